"""Link external items to the brèves they cover, as items arrive and as brèves change.

Candidates come from the search index (``find_breves`` / ``find_items``, given the document's
strongest terms), never from a scan of the archive, so the cost of linking one new item does not
grow with the archive. Scoring and the choice of links are pure (``score``, ``links``).
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from brevefeed.archive.models import Breve, Item, RelatedLink
from brevefeed.related.links import apply_plans, existing_links, plan_links
from brevefeed.related.score import Profile, field_counts, profile, profile_from, relatedness
from brevefeed.related.similarity import terms
from brevefeed.related.stats import count_documents, frequencies, reset
from brevefeed.related.stories import assign_story, item_text

#: How many of a document's strongest terms make the candidate query.
QUERY_TERMS = 12

#: ``finder(session, terms, limit)``: ids of the documents that best match ``terms`` (strongest
#: first), from the search index.
Finder = Callable[[Session, Sequence[str], int], list[int]]


@dataclass(frozen=True)
class LinkSettings:
    threshold: float = 0.2
    max_per_breve: int = 10
    candidates: int = 25
    bump_updated: bool = False


@dataclass
class LinkReport:
    items: int = 0
    breves: int = 0
    links_added: int = 0
    links_removed: int = 0
    stories_joined: int = 0
    touched_breves: set[int] = field(default_factory=set)

    def merge(self, other: LinkReport) -> None:
        self.items += other.items
        self.breves += other.breves
        self.links_added += other.links_added
        self.links_removed += other.links_removed
        self.stories_joined += other.stories_joined
        self.touched_breves |= other.touched_breves


def breve_terms(breve: Breve) -> set[str]:
    return set(terms(f"{breve.title} {breve.standfirst} {breve.body}"))


def item_terms(item: Item) -> set[str]:
    return set(terms(f"{item.title} {item_text(item)}"))


def breve_profile(breve: Breve, stats: Mapping[str, int], documents: int) -> Profile:
    return profile(breve.title, breve.standfirst, breve.body, breve.tags, stats, documents)


def item_profile(item: Item, stats: Mapping[str, int], documents: int) -> Profile:
    return profile(item.title, "", item_text(item), item.categories, stats, documents)


#: A term in more documents than this does not look for candidates (it still scores): each
#: candidate query then matches a bounded number of documents, whatever the archive's size.
MAX_CANDIDATE_DF = 500


def strongest_terms(
    vector: Mapping[str, float], stats: Mapping[str, int], count: int = QUERY_TERMS
) -> list[str]:
    """The heaviest terms that are rare enough to find candidates with."""
    usable = ((t, w) for t, w in vector.items() if stats.get(t, 0) <= MAX_CANDIDATE_DF)
    return [term for term, _ in heapq.nlargest(count, usable, key=lambda kv: (kv[1], kv[0]))]


def _apply(
    session: Session,
    proposals: Mapping[int, list[tuple[int, float]]],
    settings: LinkSettings,
    *,
    replace_auto: bool,
    now: datetime,
    report: LinkReport,
) -> None:
    current = existing_links(session, proposals)
    plans = {}
    for breve_id, scored in proposals.items():
        plan = plan_links(
            current.get(breve_id, []),
            scored,
            threshold=settings.threshold,
            max_per_breve=settings.max_per_breve,
            replace_auto=replace_auto,
        )
        if plan.add or plan.remove:
            plans[breve_id] = plan
            report.links_added += len(plan.add)
            report.links_removed += len(plan.remove)
            report.touched_breves.add(breve_id)
    apply_plans(session, plans, now=now)
    if settings.bump_updated:
        bumped = [breve_id for breve_id, plan in plans.items() if plan.add]
        for breve in session.scalars(select(Breve).where(Breve.id.in_(bumped))):
            breve.updated_at = max(breve.updated_at, now)


def link_new_items(
    session: Session,
    settings: LinkSettings,
    find_breves: Finder,
    *,
    now: datetime,
    batch: int = 200,
    limit: int | None = None,
    on_item: Callable[[], None] | None = None,
    profiles: ProfileCache | None = None,
) -> LinkReport:
    """Group and link the items not processed yet (those without a story), ``limit`` at most."""
    report = LinkReport()
    profiles = profiles if profiles is not None else ProfileCache()
    while limit is None or report.items < limit:
        size = batch if limit is None else min(batch, limit - report.items)
        pending = select(Item).where(Item.story_id.is_(None)).order_by(Item.id).limit(size)
        if session.get_bind().dialect.name == "postgresql":
            # Several ingest workers may link at once: each takes items no other holds.
            pending = pending.with_for_update(skip_locked=True)
        items = list(session.scalars(pending))
        if not items:
            break
        words = {item.id: item_terms(item) for item in items}
        count_documents(session, words.values())
        proposals: dict[int, list[tuple[int, float]]] = {}
        for item in items:
            if assign_story(session, item) != item.id:
                report.stories_joined += 1
            report.items += 1
            stats, documents = frequencies(session, words[item.id])
            mine = item_profile(item, stats, documents)
            ids = find_breves(session, strongest_terms(mine.vector, stats), settings.candidates)
            for breve_id, theirs in _breve_profiles(session, ids, profiles, documents).items():
                score = relatedness(mine, theirs)
                if score >= settings.threshold:
                    proposals.setdefault(breve_id, []).append((item.id, round(score, 4)))
            if on_item:
                on_item()
        session.flush()
        _apply(session, proposals, settings, replace_auto=False, now=now, report=report)
        session.flush()
    return report


def _published(session: Session, ids: Iterable[int]) -> list[Breve]:
    """Only published brèves take links (drafts are not public, retractions leave the feeds)."""
    wanted = list(ids)
    if not wanted:
        return []
    return list(
        session.scalars(select(Breve).where(Breve.id.in_(wanted), Breve.status == "published"))
    )


class ProfileCache:
    """Brève profiles kept across batches (least recently used go first).

    New items mostly cover recent stories, so the same brèves come back as candidates; building
    a profile means stemming the brève's whole text.
    """

    def __init__(self, size: int = 20_000):
        self.size = size
        self._profiles: OrderedDict[int, Profile] = OrderedDict()

    def get(self, breve_id: int) -> Profile | None:
        found = self._profiles.get(breve_id)
        if found is not None:
            self._profiles.move_to_end(breve_id)
        return found

    def put(self, breve_id: int, profile: Profile) -> None:
        self._profiles[breve_id] = profile
        if len(self._profiles) > self.size:
            self._profiles.popitem(last=False)


def _breve_profiles(
    session: Session, ids: Sequence[int], cache: ProfileCache, documents: int
) -> dict[int, Profile]:
    found = {i: p for i in ids if (p := cache.get(i)) is not None}
    missing = [i for i in ids if i not in found]
    if missing:
        breves = _published(session, missing)
        counts = {b.id: field_counts(b.title, b.standfirst, b.body) for b in breves}
        stats, _ = frequencies(session, set().union(*counts.values()))
        for breve in breves:
            found[breve.id] = profile_from(counts[breve.id], breve.tags, stats, documents)
            cache.put(breve.id, found[breve.id])
    return {i: found[i] for i in ids if i in found}


def link_breves(
    session: Session,
    breve_ids: Iterable[int],
    settings: LinkSettings,
    find_items: Finder,
    *,
    now: datetime,
    count: bool = True,
) -> LinkReport:
    """Score new or edited brèves against the items; their automatic links are chosen anew."""
    report = LinkReport()
    breves = _published(session, breve_ids)
    if count:
        count_documents(session, (breve_terms(b) for b in breves))
    if session.scalar(select(Item.id).limit(1)) is None:
        # Nothing ingested yet (a fresh archive, a first import): nothing to score against.
        report.breves = len(breves)
        return report
    proposals: dict[int, list[tuple[int, float]]] = {}
    for breve in breves:
        report.breves += 1
        stats, documents = frequencies(session, breve_terms(breve))
        mine = breve_profile(breve, stats, documents)
        proposals[breve.id] = []
        item_ids = find_items(session, strongest_terms(mine.vector, stats), settings.candidates)
        items = list(session.scalars(select(Item).where(Item.id.in_(item_ids)))) if item_ids else []
        wanted = {item.id: item_terms(item) for item in items}
        item_stats, _ = frequencies(session, set().union(*wanted.values()))
        for item in items:
            theirs = item_profile(item, item_stats, documents)
            score = relatedness(theirs, mine)
            if score >= settings.threshold:
                proposals[breve.id].append((item.id, round(score, 4)))
    _apply(session, proposals, settings, replace_auto=True, now=now, report=report)
    session.flush()
    return report


def reset_links(session: Session) -> None:
    """Forget automatic links, stories and term counts (manual decisions stay)."""
    session.execute(delete(RelatedLink).where(RelatedLink.method == "auto"))
    session.execute(update(Item).values(story_id=None))
    reset(session)
