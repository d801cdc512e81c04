"""Why an item is (or is not) related to a brève: the comparison the linker makes, shown.

Profiles are rebuilt as the linker builds them (the stems the search index holds, the term
frequencies of the archive), so the score shown is the score the linker would give now. Stems
are shown as the item's own words (« ministr » as « ministre »).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive.index import stored_counts
from brevefeed.archive.models import Breve, Item
from brevefeed.related.evidence import time_factor
from brevefeed.related.score import (
    MAX_TAGS_COUNTED,
    TAG_BONUS,
    Profile,
    contributions,
    profile_from,
    relatedness,
    shared_tags,
    text_score,
    weighted_counts,
)
from brevefeed.related.stats import frequencies
from brevefeed.text import html_to_text, stem, words

#: Shared terms shown beside each related item.
WHY_TERMS = 4


@dataclass(frozen=True)
class Comparison:
    score: float
    #: Words' likeness (cosine) and the bonus of shared tags, before the dates.
    words: float
    tags: float
    shared_tags: int
    #: The dates' factor and how far apart they are (None: a date is missing).
    dates: float
    days_apart: float | None
    #: Shared terms (as the item writes them) and their share of ``words``, heaviest first.
    terms: tuple[tuple[str, float], ...]


def surface_words(texts: Iterable[str]) -> dict[str, str]:
    """The first word written for each stem of ``texts``."""
    found: dict[str, str] = {}
    for text in texts:
        for word in words(text):
            found.setdefault(stem(word), word)
    return found


def _profiles(
    session: Session, breve: Breve, items: Sequence[Item]
) -> tuple[Profile, dict[int, Profile]]:
    connection = session.connection()
    mine = stored_counts(connection, "breve", [breve.id]).get(breve.id)
    theirs = stored_counts(connection, "item", [i.id for i in items])
    counts = {i.id: weighted_counts(f) for i, f in ((i, theirs.get(i.id)) for i in items) if f}
    breve_counts = weighted_counts(mine) if mine else {}
    every = set(breve_counts).union(*counts.values()) if counts else set(breve_counts)
    stats, documents = frequencies(session, every)
    breve_profile = profile_from(breve_counts, breve.tags, stats, documents, breve.published_at)
    item_profiles = {
        i.id: profile_from(
            counts.get(i.id, {}), i.categories or [], stats, documents, i.published_at
        )
        for i in items
    }
    return breve_profile, item_profiles


def _days(first: datetime | None, second: datetime | None) -> float | None:
    if first is None or second is None:
        return None
    return abs((first - second).total_seconds()) / 86_400


def compare(session: Session, breve: Breve, item: Item) -> Comparison:
    """The full comparison of ``item`` with ``breve``."""
    theirs, mine = _profiles(session, breve, [item])
    profile = mine[item.id]
    written = surface_words([item.title, html_to_text(item.summary_html or item.content_html)])
    text = text_score(profile, theirs)
    tags = min(shared_tags(profile, theirs), MAX_TAGS_COUNTED) if text else 0
    return Comparison(
        score=relatedness(profile, theirs),
        words=text - TAG_BONUS * tags,
        tags=TAG_BONUS * tags,
        shared_tags=tags,
        dates=time_factor(item.published_at, breve.published_at),
        days_apart=_days(item.published_at, breve.published_at),
        terms=tuple((written.get(t, t), w) for t, w in contributions(profile, theirs)),
    )


def reasons(session: Session, breve: Breve, item_ids: Sequence[int]) -> dict[int, list[str]]:
    """For each item, the shared words that weighed most (``WHY_TERMS`` at most)."""
    items = list(session.scalars(select(Item).where(Item.id.in_(list(item_ids)))))
    if not items:
        return {}
    theirs, mine = _profiles(session, breve, items)
    found = {}
    for item in items:
        written = surface_words([item.title, html_to_text(item.summary_html or item.content_html)])
        top = contributions(mine[item.id], theirs)[:WHY_TERMS]
        found[item.id] = [written.get(term, term) for term, _ in top]
    return found
