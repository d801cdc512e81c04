"""Pure decisions of related coverage beyond text likeness: time, and choosing among candidates.

Outlets cover an event within hours or days of each other; an article two years from a brève
needs much stronger words in common to be about the same story. The time factor multiplies the
text score: above 1 within a few days, 1 after a month, below 1 for a distant date (a follow-up
months later still links when the names, places and figures it shares make a strong match).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

#: Within this many days of each other, an item and a brève are about the same moment.
NEAR_DAYS = 3.0
#: How much a match within ``NEAR_DAYS`` counts more than the same words a month apart.
NEAR_BOOST = 3.5
#: A month apart the text decides alone (factor 1).
MONTH = 30.0
#: A year or more apart, the factor floor: the text must be that much stronger.
FAR = 0.7
YEAR = 365.0


def days_apart(first: datetime | None, second: datetime | None) -> float:
    """Days between two dates; 0 when either is unknown (nothing says they are far)."""
    if first is None or second is None:
        return 0.0
    return abs((first - second).total_seconds()) / 86_400


def time_factor(first: datetime | None, second: datetime | None) -> float:
    """How much the dates of two documents make them more (or less) likely one story."""
    if first is None or second is None:
        return 1.0
    days = days_apart(first, second)
    if days <= NEAR_DAYS:
        return NEAR_BOOST
    if days <= MONTH:
        return NEAR_BOOST + (1 - NEAR_BOOST) * math.log(days / NEAR_DAYS) / math.log(
            MONTH / NEAR_DAYS
        )
    return max(FAR, 1 + (FAR - 1) * math.log(days / MONTH) / math.log(YEAR / MONTH))


#: An item links to a brève only if it scores at least this share of its best brève: the
#: same words in two stories go to the one told closest.
RELATIVE = 0.75


def keep_best(scored: Sequence[tuple[int, float]], threshold: float) -> list[tuple[int, float]]:
    """Of one document's scored candidates, those that make a link: over ``threshold`` and
    close enough to the best of them."""
    if not scored:
        return []
    best = max(score for _, score in scored)
    return [(i, s) for i, s in scored if s >= threshold and s >= RELATIVE * best]


def keep_best_by_item(
    proposals: Mapping[int, Sequence[tuple[int, float]]],
    elsewhere: Mapping[int, float],
    threshold: float,
) -> dict[int, list[tuple[int, float]]]:
    """``keep_best`` from the brèves' side: of each brève's proposed (item, score), those the
    item would keep among all its brèves: these ``proposals`` and, in ``elsewhere``, its best
    score among the brèves not proposed here (its links already made).

    A brève edited or linked anew must not take an item that scores better with another: ingest
    would not have given it, and a rebuild must choose the links ingest chooses.
    """
    by_item: dict[int, list[tuple[int, float]]] = {}
    for breve_id, scored in proposals.items():
        for item_id, score in scored:
            by_item.setdefault(item_id, []).append((breve_id, score))
    kept: set[tuple[int, int]] = set()
    for item_id, scored in by_item.items():
        other = elsewhere.get(item_id)
        # The links made elsewhere compete as one contender standing for them all (id -1).
        contenders = [*scored, (-1, other)] if other is not None else scored
        kept.update((b, item_id) for b, _ in keep_best(contenders, threshold) if b != -1)
    return {
        breve_id: [(i, s) for i, s in scored if (breve_id, i) in kept]
        for breve_id, scored in proposals.items()
    }


#: An item too weak to link joins the story of its best brève down to this share of the
#: threshold, when no other brève comes close (``CLEAR_LEAD`` times the second best).
STORY_SHARE = 0.6
CLEAR_LEAD = 2.0
#: An item too weak to link joins no story told further than this many days from it.
WEAK_DAYS = MONTH


def story_breve(
    scored: Sequence[tuple[int, float]], threshold: float, days: Sequence[float] | None = None
) -> int | None:
    """The brève whose story an item belongs to: its best, if clear enough and, when ``days``
    (each candidate's distance in days from the item) are given, within ``WEAK_DAYS``.

    A story is a weaker claim than a link (nothing is published under the brève), so an item
    an editor would not list under it may still be grouped with the articles that are; but a
    follow-up months later belongs to a story by strong words, which make a link, not by weak
    ones."""
    if not scored:
        return None
    order = sorted(range(len(scored)), key=lambda n: -scored[n][1])
    breve, best = scored[order[0]]
    second = scored[order[1]][1] if len(order) > 1 else 0.0
    if days is not None and days[order[0]] > WEAK_DAYS:
        return None
    if best >= STORY_SHARE * threshold and best >= CLEAR_LEAD * second:
        return breve
    return None


#: An item linked to two brèves scoring this close (the second at least this share of the
#: best) joins neither story: two strikes the same week in two cities, told in the words every
#: strike shares, would otherwise merge on the item's slightly better guess.
CONTESTED = 0.85


def clear_best(kept: Sequence[tuple[int, float]]) -> int | None:
    """The brève whose story a linked item joins: its best link, unless another is as good.

    A link is listed under a brève and an editor sees it; joining a story merges every item
    told with it, so it asks for a clearer lead."""
    if not kept:
        return None
    ranked = sorted(kept, key=lambda pair: -pair[1])
    if len(ranked) > 1 and ranked[1][1] >= CONTESTED * ranked[0][1]:
        return None
    return ranked[0][0]
