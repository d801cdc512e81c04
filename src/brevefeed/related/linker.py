"""Link external items to the brèves they cover, as items arrive and as brèves change.

Candidates come from the search index (``find_breves`` / ``find_items``, given the document's
strongest terms, those of its lead first, within a budget of documents read), never from a scan
of the archive, so the cost of linking one new item does not grow with the archive. The
candidates' profiles are built from the stems the index already holds
(``archive.index.stored_counts``): a candidate is never loaded whole nor stemmed again.
Scoring and the choice of links are pure (``score``, ``links``).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from brevefeed.archive.index import normalize, settle, stored_counts
from brevefeed.archive.models import Breve, BreveTag, Item, RelatedLink
from brevefeed.config import RelatedConfig
from brevefeed.related.evidence import (
    clear_best,
    days_apart,
    keep_best,
    keep_best_by_item,
    story_breve,
)
from brevefeed.related.links import apply_plans, existing_links, plan_links
from brevefeed.related.rarity import idf, reference
from brevefeed.related.score import (
    PackedProfile,
    Profile,
    field_counts,
    mate_strength,
    packed_profile,
    profile_from,
    strength,
    weighted_counts,
)
from brevefeed.related.similarity import terms, usable
from brevefeed.related.stats import Frequencies, reset
from brevefeed.related.stories import StoryGrouper, join_covering
from brevefeed.text import html_to_text

#: In ``best``: the item is linked but joins no brève's story (two brèves score alike).
NO_STORY = -1

#: How many of a document's strongest terms make the candidate query.
QUERY_TERMS = 12

#: ``finder(session, terms, limit)``: ids of the documents that best match ``terms`` (strongest
#: first), from the search index.
Finder = Callable[[Session, Sequence[str], int], list[int]]


class BatchFinder(Protocol):
    """``Finder``'s answer for each query, in one go; ``weights``, when given, are the stems'
    rarity (idf), which a finder whose index does not weigh rarity ranks by."""

    def __call__(
        self,
        session: Session,
        queries: Sequence[Sequence[str]],
        limit: int,
        weights: Mapping[str, float] | None = None,
    ) -> list[list[int]]: ...


@dataclass
class LinkReport:
    items: int = 0
    breves: int = 0
    links_added: int = 0
    links_removed: int = 0
    stories_joined: int = 0
    touched_breves: set[int] = field(default_factory=set)
    #: Seconds spent grouping stories ("group") and finding and choosing links ("link").
    seconds: dict[str, float] = field(default_factory=dict)

    def spend(self, stage: str, since: float) -> None:
        """Add the time since ``since`` (``time.perf_counter()``) to ``stage``."""
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - since

    def merge(self, other: LinkReport) -> None:
        for stage, seconds in other.seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        self.items += other.items
        self.breves += other.breves
        self.links_added += other.links_added
        self.links_removed += other.links_removed
        self.stories_joined += other.stories_joined
        self.touched_breves |= other.touched_breves


def breve_counts(breve: Breve) -> dict[str, float]:
    # body_html, as the search index reads it: link targets and markup are not words.
    return field_counts(breve.title, breve.standfirst, html_to_text(breve.body_html))


def item_texts(item: Item) -> tuple[str, str, str]:
    """Title, summary and content as text (feeds carry HTML in all three)."""
    title, summary, content = item.title, item.summary_html, item.content_html
    return html_to_text(title), html_to_text(summary), html_to_text(content)


def breve_terms(breve: Breve) -> set[str]:
    return set(breve_counts(breve))


#: A term in more documents than this does not look for candidates (it still scores).
MAX_CANDIDATE_DF = 500
#: The documents a candidate query may read, summed over its terms' document counts. bm25
#: costs about a microsecond per document read: this bounds a query's cost at any archive
#: size. (Measured at 100,000 brèves with 25 candidates per item: a budget of 1,000 linked at
#: 0.50× the rate at 1,000 brèves; 600 at 0.74× with the same recall; 400 lost a tenth of the
#: links.)
CANDIDATE_BUDGET = 600


#: Words this frequent in French (per million words) do not look for candidates: « trois » or
#: « semaine » match any brève, and would spend the query's budget on none in particular.
COMMON_WORD = 100.0


def strongest_terms(
    vector: Mapping[str, float],
    stats: Mapping[str, int],
    lead: Container[str] = frozenset(),
    count: int = QUERY_TERMS,
) -> list[str]:
    """The terms to find candidates with: the heaviest, those of the lead first, rare enough
    for the query to stay within ``CANDIDATE_BUDGET``.

    News is written lead first (who, what, where): the terms of the title and of the first
    sentence make a story; a heavy word further down is as likely to be colour.
    """
    common = reference()
    ranked = sorted(
        (
            (t, w)
            for t, w in vector.items()
            if stats.get(t, 0) <= MAX_CANDIDATE_DF and common.get(t, 0.0) <= COMMON_WORD
        ),
        key=lambda kv: (kv[0] in lead, kv[1], kv[0]),
        reverse=True,
    )
    chosen: list[str] = []
    spent = 0
    for term, _ in ranked:
        documents = stats.get(term, 0)
        if spent + documents <= CANDIDATE_BUDGET:
            chosen.append(term)
            spent += documents
            if len(chosen) == count:
                break
    return chosen


_SENTENCE_END = re.compile(r"[.!?…]+\s")
#: A "sentence" shorter than this ended at an abbreviation (« M. », « av. J.-C. »).
_SHORTEST_SENTENCE = 8


def first_sentence(text: str) -> str:
    for end in _SENTENCE_END.finditer(text):
        if len(text[: end.start()].split()) >= _SHORTEST_SENTENCE:
            return text[: end.end()]
    return text


def lead_terms(title: str, summary: str, content: str) -> set[str]:
    """Terms of an item's title and of the first sentence of its summary (or its text).

    Stemmed as the search index stems (``normalize``, by chunk, memoized): the index has just
    stemmed these very words, so this costs lookups, not stemming.
    """
    lead = f"{title} {first_sentence(summary or content)}"
    return {term for term in normalize(lead).split() if usable(term)}


def item_lead(item: Item) -> set[str]:
    """``lead_terms`` of an item, its content read only when its summary holds no text (the
    content is the longest field, and most items have a summary)."""
    summary = html_to_text(item.summary_html)
    content = "" if summary else html_to_text(item.content_html)
    return lead_terms(html_to_text(item.title), summary, content)


def breve_lead(breve: Breve) -> set[str]:
    return set(terms(breve.title)) | set(terms(breve.standfirst))


def _apply(
    session: Session,
    proposals: Mapping[int, list[tuple[int, float]]],
    settings: RelatedConfig,
    *,
    replace_auto: bool,
    now: datetime,
    report: LinkReport,
) -> dict[int, set[int]]:
    """Apply the proposals; returns, per brève given, the items linked to it afterwards."""
    current = existing_links(session, proposals)
    plans = {}
    covering = {}
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
        linked = {e.item_id for e in current.get(breve_id, []) if e.state == "linked"}
        covering[breve_id] = (linked - plan.remove) | set(plan.add)
    apply_plans(session, plans, now=now)
    if settings.bump_updated:
        bumped = [breve_id for breve_id, plan in plans.items() if plan.add]
        for breve in session.scalars(select(Breve).where(Breve.id.in_(bumped))):
            breve.updated_at = max(breve.updated_at, now)
    return covering


def link_new_items(
    session: Session,
    settings: RelatedConfig,
    find_breves: Finder,
    *,
    now: datetime,
    batch: int = 200,
    limit: int | None = None,
    on_item: Callable[[], None] | None = None,
    memory: LinkMemory | None = None,
    find_many: BatchFinder | None = None,
) -> LinkReport:
    """Group and link the items not processed yet (those without a story), ``limit`` at most.

    ``find_many``, when given, finds the candidates of a whole batch in one query (else
    ``find_breves`` is asked once per item).
    """
    report = LinkReport()
    memory = memory if memory is not None else LinkMemory()
    find = find_many if find_many is not None else one_by_one(find_breves)
    while limit is None or report.items < limit:
        size = batch if limit is None else min(batch, limit - report.items)
        pending = select(Item).where(Item.story_id.is_(None)).order_by(Item.id).limit(size)
        if session.get_bind().dialect.name == "postgresql":
            # Several ingest workers may link at once: each takes items no other holds.
            pending = pending.with_for_update(skip_locked=True)
        items = list(session.scalars(pending))
        if not items:
            break
        started = time.perf_counter()
        # Story grouping first, for the whole batch (two queries, not two per item).
        for item, story in zip(items, StoryGrouper(session).assign_all(items), strict=True):
            if story != item.id:
                report.stories_joined += 1
        report.spend("group", started)
        started = time.perf_counter()
        counts = _item_counts(session, items)
        memory.frequencies.count(session, counts.values())
        proposals: dict[int, list[tuple[int, float]]] = {}
        best: dict[int, int] = {}
        #: Items neither linked nor grouped yet, with their best-scored brèves.
        unplaced: dict[int, list[tuple[int, float]]] = {}
        #: Items linked to two brèves alike (``clear_best``): their story is theirs to tell.
        contested: set[int] = set()
        if memory.any_breve(session):
            stats, documents = memory.frequencies.lookup(
                session, chain.from_iterable(counts.values())
            )
            # Candidates for the whole batch: items of one story share their candidates, and
            # the brèves' profiles are then read in one go.
            profiles = {
                item.id: profile_from(
                    counts[item.id], item.categories, stats, documents, item.published_at
                )
                for item in items
            }
            queries = [
                strongest_terms(profiles[item.id].vector, stats, item_lead(item)) for item in items
            ]
            rarity = {t: idf(t, stats.get(t, 0), documents) for t in chain.from_iterable(queries)}
            # Items telling one dispatch in the same words ask the same query: asked once.
            distinct = list(dict.fromkeys(map(tuple, queries)))
            asked = find(session, distinct, settings.candidates, rarity)
            answers = dict(zip(distinct, asked, strict=True))
            found = [answers[tuple(query)] for query in queries]
            theirs = _breve_profiles(session, {i for ids in found for i in ids}, memory)
            for item, ids in zip(items, found, strict=True):
                mine = profiles[item.id]
                # Drafts and retracted brèves have no profile.
                scored = [(b, strength(mine, theirs[b])) for b in ids if b in theirs]
                kept = keep_best(scored, settings.threshold)
                for breve_id, score in kept:
                    proposals.setdefault(breve_id, []).append((item.id, round(min(1.0, score), 4)))
                if kept:
                    clear = clear_best(kept)
                    best[item.id] = NO_STORY if clear is None else clear
                    if clear is None:
                        contested.add(item.id)
                        unplaced[item.id] = kept
                elif (
                    weak := story_breve(
                        scored,
                        settings.threshold,
                        [days_apart(mine.published, theirs[b].published) for b, _ in scored],
                    )
                ) is not None:
                    best[item.id] = weak
                    proposals.setdefault(weak, [])
                else:
                    unplaced[item.id] = sorted(scored, key=lambda pair: -pair[1])[:MATE_BREVES]
            if unplaced:
                placed = {i: b for i, b in best.items() if b != NO_STORY}
                weak_ones = {i: s for i, s in unplaced.items() if i not in contested}
                for item_id, weak in _placed_by_mates(
                    session,
                    unplaced,
                    contested,
                    proposals,
                    batch_mates(weak_ones, placed, heaviest_terms(profiles)),
                    profiles,
                    theirs,
                    memory,
                    settings.threshold,
                ).items():
                    best[item_id] = weak
                    proposals.setdefault(weak, [])
        report.items += len(items)
        if on_item:
            for _ in items:
                on_item()
        session.flush()
        covering = _apply(session, proposals, settings, replace_auto=False, now=now, report=report)
        session.flush()
        # An item joins the story of the brève it covers best, not of every brève it links to:
        # one doubtful link must not merge two stories.
        stories_of = [
            {i for i in linked if best.get(i, breve_id) == breve_id}
            | {i for i, b in best.items() if b == breve_id}
            for breve_id, linked in covering.items()
        ]
        report.stories_joined += join_covering(session, stories_of, {i.id: i for i in items})
        report.spend("link", started)
    return report


#: An item too weak to link is compared with the items linked to this many of its best brèves.
MATE_BREVES = 3


#: An unplaced item is compared with the placed items of its batch sharing at least
#: ``BATCH_SHARED`` of their ``MATE_TERMS`` heaviest terms with its own. (Measured at 1,000
#: brèves: 20 terms place the same items as comparing every pair, at a third of the cost.)
MATE_TERMS = 20
BATCH_SHARED = 2


def heaviest_terms(profiles: Mapping[int, Profile]) -> dict[int, list[str]]:
    """Each profile's ``MATE_TERMS`` heaviest terms (its names, figures, rare words)."""
    return {
        item_id: sorted(p.vector, key=lambda t: -p.vector[t])[:MATE_TERMS]
        for item_id, p in profiles.items()
    }


def batch_mates(
    unplaced: Mapping[int, Sequence[tuple[int, float]]],
    placed: Mapping[int, int],
    heaviest: Mapping[int, Sequence[str]],
) -> dict[int, dict[int, set[int]]]:
    """For each unplaced item, the items of its batch ``placed`` in a brève's story that share
    at least ``BATCH_SHARED`` of its ``heaviest`` terms, by that brève.

    An outlet telling a story from another angle may not find our brève among its candidates
    at all, while another outlet's article on it, in this very batch, shares its names and
    figures. Shared heavy terms are a cheap filter: the comparison is ``mate_strength``."""
    holders: dict[str, list[int]] = {}
    for item_id in placed:
        for term in heaviest.get(item_id, ()):
            holders.setdefault(term, []).append(item_id)
    found: dict[int, dict[int, set[int]]] = {}
    for item_id in unplaced:
        shared: dict[int, int] = {}
        for term in heaviest.get(item_id, ()):
            for other in holders.get(term, ()):
                shared[other] = shared.get(other, 0) + 1
        for other, count in shared.items():
            if count >= BATCH_SHARED and other != item_id:
                found.setdefault(item_id, {}).setdefault(placed[other], set()).add(other)
    return found


def _placed_by_mates(
    session: Session,
    unplaced: Mapping[int, Sequence[tuple[int, float]]],
    contested: Container[int],
    proposals: Mapping[int, Sequence[tuple[int, float]]],
    batch: Mapping[int, Mapping[int, set[int]]],
    profiles: Mapping[int, Profile],
    breves: Mapping[int, PackedProfile],
    memory: LinkMemory,
    threshold: float,
) -> dict[int, int]:
    """The story of items that share too few words with any brève, told by the items linked to
    their best brèves (earlier or in this batch) and by the items of this batch placed in a
    story that share their rarest terms (``batch``, from ``batch_mates``): an outlet's angle on
    a story (the users at the stops, not the strike's terms) often shares more with the other
    outlets' articles than with ours. The same rule as a weak join to a brève
    (``story_breve``), each brève scored by its closest mate.

    Items linked to two brèves alike (``contested``, with their links as ``unplaced``) join
    the story whose mates they match clearly better, as a linked item joins its clear best
    link (``clear_best``): two strikes the same week share their words, and each outlet's
    article shares its city's names with the other articles on it."""
    # The brèves of an item's batch mates are compared as its own candidates are.
    widened: dict[int, list[tuple[int, float]]] = {}
    for item_id, scored in unplaced.items():
        own = {b for b, _ in scored}
        widened[item_id] = [*scored, *((b, 0.0) for b in batch.get(item_id, {}) if b not in own)]
    unplaced = widened
    wanted = sorted({b for scored in unplaced.values() for b, _ in scored})
    mates: dict[int, set[int]] = {b: {i for i, _ in proposals.get(b, [])} for b in wanted}
    for found in batch.values():
        for b, others in found.items():
            mates[b] |= others
    rows = session.execute(
        select(RelatedLink.breve_id, RelatedLink.item_id).where(
            RelatedLink.breve_id.in_(wanted), RelatedLink.state == "linked"
        )
    )
    for breve_id, item_id in rows:
        mates[breve_id].add(item_id)
    stored = {m for ids in mates.values() for m in ids if m not in profiles}
    known = {**_item_profiles(session, sorted(stored), memory.frequencies), **profiles}
    placed = {}
    for item_id, scored in unplaced.items():
        mine = profiles[item_id]
        by_mates = [
            (
                b,
                max(
                    (mate_strength(mine, known[m]) for m in mates[b] - {item_id} if m in known),
                    default=0.0,
                ),
            )
            for b, _ in scored
        ]
        days = [days_apart(mine.published, breves[b].published) for b, _ in scored]
        # Items are shorter than brèves and many: a mate must match as a link would.
        if max((score for _, score in by_mates), default=0.0) < threshold:
            continue
        if item_id in contested:
            story = clear_best([pair for pair in by_mates if pair[1] >= threshold])
        else:
            story = story_breve(by_mates, threshold, days)
        if story is not None:
            placed[item_id] = story
    return placed


def one_by_one(finder: Finder) -> BatchFinder:
    """A batch finder asking ``finder`` once per query."""

    def find(
        session: Session,
        queries: Sequence[Sequence[str]],
        limit: int,
        weights: Mapping[str, float] | None = None,
    ) -> list[list[int]]:
        return [finder(session, query, limit) for query in queries]

    return find


def _item_counts(session: Session, items: Sequence[Item]) -> dict[int, dict[str, float]]:
    """Weighted stem counts of each item, from the stems the search index holds (ingest just
    stemmed them there); an item without an index row (written behind brevefeed's back) is
    stemmed here."""
    # What this transaction wrote with plain statements is indexed first (flushes already are).
    settle(session.connection())
    stored = stored_counts(session.connection(), "item", [item.id for item in items])
    return {
        item.id: weighted_counts(stored[item.id])
        if item.id in stored
        else field_counts(*item_texts(item))
        for item in items
    }


def _published(session: Session, ids: Iterable[int]) -> dict[int, datetime | None]:
    """Only published brèves take links (drafts are not public, retractions leave the feeds);
    with their dates."""
    wanted = list(ids)
    if not wanted:
        return {}
    # Looked up by primary key, the status checked here: given both, SQLite may prefer the
    # status index and read every published brève.
    rows = session.execute(
        select(Breve.id, Breve.status, Breve.published_at).where(Breve.id.in_(wanted))
    )
    return {id_: published for id_, status, published in rows if status == "published"}


class ProfileCache:
    """Brève profiles kept across batches (least recently used go first).

    New items mostly cover recent stories, so the same brèves come back as candidates; and an
    item of another story meets brèves no earlier item met. Packed, a profile takes about 1 KB:
    the default keeps every brève a run over an archive of 100,000 meets (10,000 new items with
    25 candidates each met about 70,000 of them) in at most 100 MB.
    """

    def __init__(self, size: int = 100_000):
        self.size = size
        self._profiles: OrderedDict[int, PackedProfile] = OrderedDict()

    def get(self, breve_id: int) -> PackedProfile | None:
        found = self._profiles.get(breve_id)
        if found is not None:
            self._profiles.move_to_end(breve_id)
        return found

    def put(self, breve_id: int, profile: PackedProfile) -> None:
        self._profiles[breve_id] = profile
        if len(self._profiles) > self.size:
            self._profiles.popitem(last=False)


@dataclass
class LinkMemory:
    """What one linking run keeps from batch to batch: brève profiles and term frequencies."""

    profiles: ProfileCache = field(default_factory=ProfileCache)
    frequencies: Frequencies = field(default_factory=Frequencies)
    #: Whether the archive holds a published brève (asked once: none, no candidate search).
    _any_breve: bool | None = None

    def any_breve(self, session: Session) -> bool:
        if self._any_breve is None:
            found = session.scalar(select(Breve.id).where(Breve.status == "published").limit(1))
            self._any_breve = found is not None
        return self._any_breve


def _tags(session: Session, breve_ids: Sequence[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    rows = session.execute(
        select(BreveTag.breve_id, BreveTag.tag)
        .where(BreveTag.breve_id.in_(breve_ids))
        .order_by(BreveTag.breve_id, BreveTag.position)
    )
    for breve_id, tag in rows:
        tags.setdefault(breve_id, []).append(tag)
    return tags


def _breve_profiles(
    session: Session, ids: Iterable[int], memory: LinkMemory
) -> dict[int, PackedProfile]:
    """Profiles of the candidate brèves, built from the stems the search index holds."""
    wanted = sorted(ids)
    found = {i: p for i in wanted if (p := memory.profiles.get(i)) is not None}
    missing = _published(session, [i for i in wanted if i not in found])
    if missing:
        stored = stored_counts(session.connection(), "breve", list(missing))
        tags = _tags(session, list(missing))
        every = chain.from_iterable(chain.from_iterable(stored.values()))
        stats, documents = memory.frequencies.lookup(session, every)
        for breve_id, fields in stored.items():
            found[breve_id] = packed_profile(
                fields, tags.get(breve_id, []), stats, documents, missing[breve_id]
            )
            memory.profiles.put(breve_id, found[breve_id])
    return found


def link_breves(
    session: Session,
    breve_ids: Iterable[int],
    settings: RelatedConfig,
    find_items: Finder,
    *,
    now: datetime,
    count: bool = True,
) -> LinkReport:
    """Score new or edited brèves against the items; their automatic links are chosen anew."""
    report = LinkReport()
    # By primary key only, the status checked here (see ``_published``).
    chosen = session.scalars(select(Breve).where(Breve.id.in_(list(breve_ids))))
    breves = [breve for breve in chosen if breve.status == "published"]
    counts = {breve.id: breve_counts(breve) for breve in breves}
    frequencies = Frequencies()
    if count:
        frequencies.count(session, counts.values())
    if session.scalar(select(Item.id).limit(1)) is None:
        # Nothing ingested yet (a fresh archive, a first import): nothing to score against.
        report.breves = len(breves)
        return report
    proposals: dict[int, list[tuple[int, float]]] = {}
    # A brève may keep ``max_per_breve`` links: it sees more candidates than that.
    wanted = max(settings.candidates, 2 * settings.max_per_breve)
    for breve in breves:
        report.breves += 1
        stats, documents = frequencies.lookup(session, counts[breve.id])
        mine = profile_from(counts[breve.id], breve.tags, stats, documents, breve.published_at)
        proposals[breve.id] = []
        query = strongest_terms(mine.vector, stats, breve_lead(breve))
        item_ids = find_items(session, query, wanted)
        for item_id, theirs in _item_profiles(session, item_ids, frequencies).items():
            score = strength(theirs, mine)
            if score >= settings.threshold:
                proposals[breve.id].append((item_id, score))
    elsewhere = _best_elsewhere(session, proposals)
    kept = keep_best_by_item(proposals, elsewhere, settings.threshold)
    rounded = {b: [(i, round(min(1.0, s), 4)) for i, s in scored] for b, scored in kept.items()}
    _apply(session, rounded, settings, replace_auto=True, now=now, report=report)
    session.flush()
    return report


def _best_elsewhere(
    session: Session, proposals: Mapping[int, Sequence[tuple[int, float]]]
) -> dict[int, float]:
    """Each proposed item's best automatic link score with a brève not among ``proposals``."""
    items = sorted({i for scored in proposals.values() for i, _ in scored})
    if not items:
        return {}
    rows = session.execute(
        select(RelatedLink.item_id, func.max(RelatedLink.score))
        .where(
            RelatedLink.item_id.in_(items),
            RelatedLink.breve_id.not_in(list(proposals)),
            RelatedLink.method == "auto",
            RelatedLink.state == "linked",
        )
        .group_by(RelatedLink.item_id)
    )
    return {item_id: score for item_id, score in rows}


def _item_profiles(
    session: Session, ids: Sequence[int], frequencies: Frequencies
) -> dict[int, Profile]:
    """Profiles of candidate items, built from the stems the search index holds."""
    if not ids:
        return {}
    counts = {
        item_id: weighted_counts(fields)
        for item_id, fields in stored_counts(session.connection(), "item", ids).items()
    }
    rows = session.execute(
        select(Item.id, Item.categories, Item.published_at).where(Item.id.in_(ids))
    )
    about = {item_id: (tags or [], published) for item_id, tags, published in rows}
    stats, documents = frequencies.lookup(session, chain.from_iterable(counts.values()))
    profiles = {}
    for item_id, weighted in counts.items():
        tags, published = about.get(item_id, ([], None))
        profiles[item_id] = profile_from(weighted, tags, stats, documents, published)
    return profiles


def reset_links(session: Session) -> None:
    """Forget automatic links, stories and term counts (manual decisions stay)."""
    session.execute(delete(RelatedLink).where(RelatedLink.method == "auto"))
    session.execute(update(Item).values(story_id=None))
    reset(session)
