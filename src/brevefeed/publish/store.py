"""The publisher's reads and writes in the archive: what changed, where brèves were placed,
what each document contains, and the mark recorded at the end of a run.

A run reads one read-only snapshot and records its results only at its end, in a short write
transaction: so the documents are built from the snapshot *plus* what the run will record
(``Pending``: new placements, new feed-folder names), read as if it were recorded already.

Every read here follows an index (``change_seq``, ``published_at``, ``published_breves.page``,
``breve_tags.tag``), so a run that changes little reads little.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Row, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from brevefeed.archive import queries
from brevefeed.archive.models import (
    Breve,
    BreveTag,
    Item,
    PublishedBreve,
    PublishedFolder,
    PublishState,
    RelatedLink,
    Source,
)
from brevefeed.archive.tables import outlet_name
from brevefeed.publish.plan import (
    BreveFacts,
    PageCursor,
    Placement,
    Plan,
    section_folder,
    tag_folder,
)
from brevefeed.urls import without_tracking

_T = TypeVar("_T")

#: Ids per IN (...) list: well under every backend's bound-parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class RelatedRef:
    """One story shown under a brève (« À lire aussi »): the best-scored of its linked
    articles, and every outlet that carried one of them."""

    title: str
    link: str
    outlets: tuple[str, ...]


@dataclass(frozen=True)
class PressItem:
    """An ingested item as the press-review feeds show it, attributed to its outlet."""

    entry_id: str
    title: str
    link: str
    html: str
    authors: tuple[str, ...]
    published: datetime
    updated: datetime
    outlet: str
    outlet_link: str
    outlet_id: str
    #: Every outlet that carried the story, this item's first (the item stands for its story).
    outlets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One brève as the documents show it (plain data, so building needs no session)."""

    uid: str
    title: str
    standfirst: str
    html: str
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    section: str
    language: str
    published: datetime
    updated: datetime
    related: tuple[RelatedRef, ...] = ()
    breve_id: int = 0
    #: Its web page (or ``[site] item_url``), filled in by the run.
    link: str = ""
    #: The URLs the brève cites (as the editor wrote them: not checked here).
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tombstone:
    uid: str
    when: datetime
    reason: str


def chunks(ids: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def read_state(session: Session) -> PublishState | None:
    return session.get(PublishState, 1)


def max_seq(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(Breve.change_seq), 0))).scalar_one())


def _facts(session: Session, breves: Iterable[Breve]) -> list[BreveFacts]:
    rows = list(breves)
    tags: dict[int, list[str]] = {row.id: [] for row in rows}
    for chunk in chunks(list(tags)):
        query = (
            select(BreveTag.breve_id, BreveTag.tag)
            .where(BreveTag.breve_id.in_(chunk))
            .order_by(BreveTag.breve_id, BreveTag.position)
        )
        for breve_id, tag in session.execute(query):
            tags[breve_id].append(tag)
    return [
        BreveFacts(
            id=row.id,
            status=row.status,
            published_at=row.published_at,
            retracted_at=row.retracted_at,
            section=row.section,
            tags=tuple(tags[row.id]),
            slug=row.slug,
        )
        for row in rows
    ]


_FACT_COLUMNS = (
    Breve.id,
    Breve.status,
    Breve.published_at,
    Breve.retracted_at,
    Breve.section,
    Breve.slug,
)


def changed_facts(
    session: Session,
    after_seq: int,
    up_to: int,
    tombstone_cutoff: datetime,
    *,
    due: tuple[datetime, datetime] | None = None,
) -> list[BreveFacts]:
    """Brèves stamped in (after_seq, up_to], tombstones that have just expired, and published
    brèves dated in ``due`` = (last run's clock, this run's]: scheduled ones whose time came,
    which no write stamped (a range on ``ix_breves_published_at_id``)."""
    stamped = select(*_FACT_COLUMNS).where(Breve.change_seq > after_seq, Breve.change_seq <= up_to)
    expired = (
        select(*_FACT_COLUMNS)
        .join(PublishedBreve, PublishedBreve.breve_id == Breve.id)
        .where(PublishedBreve.tombstone.is_(True), Breve.retracted_at < tombstone_cutoff)
    )
    queries = [stamped, expired]
    if due is not None:
        since, until = due
        queries.append(
            select(*_FACT_COLUMNS).where(
                Breve.published_at > since,
                Breve.published_at <= until,
                Breve.status == "published",
            )
        )
    rows = {row.id: row for query in queries for row in session.execute(query)}
    return _facts(session, rows.values())  # type: ignore[arg-type]


def placements(session: Session, ids: Sequence[int]) -> dict[int, Placement]:
    found: dict[int, Placement] = {}
    for chunk in chunks(ids):
        for row in session.scalars(
            select(PublishedBreve).where(PublishedBreve.breve_id.in_(chunk))
        ):
            found[row.breve_id] = Placement(row.page, tuple(row.feeds), row.tombstone, row.slug)
    return found


def page_cursor(session: Session) -> PageCursor:
    last = session.execute(select(func.max(PublishedBreve.page))).scalar_one()
    if last is None:
        return PageCursor()
    count = session.execute(
        select(func.count()).select_from(PublishedBreve).where(PublishedBreve.page == last)
    ).scalar_one()
    return PageCursor(int(last), int(count))


@dataclass
class Pending:
    """What a run records at its end, for the documents it builds before then."""

    placements: dict[int, Placement] = field(default_factory=dict)
    #: Feed folders whose names this run extends, with their full new list of names.
    names: dict[str, list[str]] = field(default_factory=dict)
    #: Archive page -> the brèves this run places on it (their rows do not say so yet).
    pages: dict[int, list[int]] = field(default_factory=dict)
    #: The placements recorded before the run, of the brèves it places.
    before: dict[int, Placement] = field(default_factory=dict)
    #: The run's clock: brèves dated after it are scheduled, in no document (None: no clock).
    now: datetime | None = None

    @classmethod
    def of(
        cls,
        plan: Plan,
        names: dict[str, list[str]],
        before: dict[int, Placement],
        now: datetime | None = None,
    ) -> Pending:
        pages: dict[int, list[int]] = {}
        for breve_id, placement in plan.placements.items():
            if placement.page is not None:
                pages.setdefault(placement.page, []).append(breve_id)
        return cls(plan.placements, names, pages, before, now)

    def public(self) -> ColumnElement[bool]:
        """The brèves readers see: published, and not scheduled after this run's clock."""
        shown = Breve.status == "published"
        return shown if self.now is None else and_(shown, Breve.published_at <= self.now)

    def moved(self) -> list[tuple[int, Placement]]:
        """The placements that differ from those recorded, in the order the plan made them
        (the order it handed out new pages in)."""
        return [(i, p) for i, p in self.placements.items() if self.before.get(i) != p]


def save_placements(session: Session, placed: Sequence[tuple[int, Placement]]) -> None:
    ids = [breve_id for breve_id, _placement in placed]
    for chunk in chunks(ids):
        session.execute(delete(PublishedBreve).where(PublishedBreve.breve_id.in_(chunk)))
    rows = [
        {
            "breve_id": i,
            "page": p.page,
            "feeds": list(p.feeds),
            "tombstone": p.tombstone,
            "slug": p.slug,
        }
        for i, p in placed
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(PublishedBreve), rows[start : start + CHUNK])
    session.flush()


def save_state(session: Session, pending: Pending, last_seq: int, settings: str) -> None:
    """Record the end of a run: new folder names, the mark reached, the settings used."""
    for folder, names in pending.names.items():
        row = session.get(PublishedFolder, folder)
        if row is None:
            session.add(PublishedFolder(folder=folder, names=names))
        else:
            # Only ever added to (see new_names): another spelling saved meanwhile stays.
            row.names = sorted(set(row.names) | set(names))
    state = session.get(PublishState, 1)
    if state is None:
        state = PublishState(id=1, last_seq=last_seq, settings=settings)
        session.add(state)
    state.last_seq = last_seq
    state.settings = settings
    state.published_until = pending.now
    session.flush()


def _related(session: Session, breve_ids: Sequence[int]) -> dict[int, list[RelatedRef]]:
    """Linked stories per brève, best first: the articles of one story (the same article
    syndicated, the same wording) make one reference naming all their outlets."""
    found: dict[int, dict[int, tuple[str, str, list[str]]]] = {}
    for chunk in chunks(list(breve_ids)):
        query = (
            select(
                RelatedLink.breve_id,
                func.coalesce(Item.story_id, Item.id),
                Item.title,
                Item.link,
                Source.name,
                Source.title,
                Source.url,
            )
            .join(Item, RelatedLink.item_id == Item.id)
            .join(Source, Item.source_id == Source.id)
            .where(RelatedLink.breve_id.in_(chunk), RelatedLink.state == "linked", Item.link != "")
            .order_by(RelatedLink.breve_id, RelatedLink.score.desc(), Item.id)
        )
        for breve_id, story, title, link, name, feed_title, url in session.execute(query):
            stories = found.setdefault(breve_id, {})
            _title, _link, outlets = stories.setdefault(story, (title or link, link, []))
            outlet = outlet_name(name, feed_title, url)
            if outlet not in outlets:
                outlets.append(outlet)
    return {
        breve_id: [
            RelatedRef(title, without_tracking(link), tuple(outlets))
            for title, link, outlets in stories.values()
        ]
        for breve_id, stories in found.items()
    }


#: What an ``Entry`` is built from: plain columns, no ORM object (a full publish reads every
#: brève, and loading each as an object with its tags costs several times the query).
ENTRY_COLUMNS = (
    Breve.id,
    Breve.uid,
    Breve.title,
    Breve.standfirst,
    Breve.body_html,
    Breve.authors,
    Breve.section,
    Breve.language,
    Breve.published_at,
    Breve.updated_at,
    Breve.sources,
)


def tag_names(session: Session, breve_ids: Sequence[int]) -> dict[int, list[str]]:
    """``archive.queries.tag_names`` by chunks: a full publish asks for every brève at once."""
    found: dict[int, list[str]] = {}
    connection = session.connection()
    for chunk in chunks(list(breve_ids)):
        found.update(queries.tag_names(connection, chunk))
    return found


def _entries(session: Session, rows: Sequence[Row[Any]]) -> list[Entry]:
    """Entries from rows of ``ENTRY_COLUMNS``."""
    ids = [row.id for row in rows]
    related = _related(session, ids)
    tags = tag_names(session, ids)
    return [
        Entry(
            uid=b.uid,
            title=b.title,
            standfirst=b.standfirst,
            html=b.body_html,
            authors=tuple(b.authors),
            tags=tuple(tags.get(b.id, ())),
            section=b.section,
            language=b.language,
            published=b.published_at,
            updated=b.updated_at,
            related=tuple(related.get(b.id, ())),
            breve_id=b.id,
            sources=tuple(b.sources),
        )
        for b in rows
    ]


def new_names(session: Session, facts: Iterable[BreveFacts]) -> dict[str, list[str]]:
    """The feed folders whose names the tag and section spellings of these brèves extend, each
    with its full new list (recorded by ``save``).

    Names are only ever added: a spelling no brève uses any more costs one string and
    matches nothing.
    """
    wanted: dict[str, set[str]] = {}
    for fact in facts:
        for tag in fact.tags:
            wanted.setdefault(tag_folder(tag), set()).add(tag)
        if fact.section:
            wanted.setdefault(section_folder(fact.section), set()).add(fact.section)
    folders = sorted(wanted)
    known = {
        row.folder: set(row.names)
        for chunk in chunks(folders)
        for row in session.scalars(select(PublishedFolder).where(PublishedFolder.folder.in_(chunk)))
    }
    return {
        folder: sorted(wanted[folder] | known.get(folder, set()))
        for folder in folders
        if not wanted[folder] <= known.get(folder, set())
    }


def folder_names(session: Session, pending: Pending, folder: str) -> list[str]:
    if folder in pending.names:
        return pending.names[folder]
    row = session.get(PublishedFolder, folder)
    return list(row.names) if row else []


def folder_title(session: Session, pending: Pending, folder: str) -> str:
    """The tag or section name as written (first spelling), for the feed's title."""
    names = folder_names(session, pending, folder)
    return names[0] if names else folder.partition("/")[2]


def latest_entries(session: Session, pending: Pending, folder: str, limit: int) -> list[Entry]:
    """The newest published brèves of a feed folder ("" = all).

    Each query walks an index newest first and stops after ``limit`` matches: tags through a
    correlated EXISTS on ``breve_tags``' primary key, sections one spelling at a time through
    ``ix_breves_section_published_at`` (an IN list would make the database sort every match).
    """
    newest = (Breve.published_at.desc(), Breve.id.desc())
    published = select(*ENTRY_COLUMNS).where(pending.public())
    kind, _, _slug = folder.partition("/")
    names = folder_names(session, pending, folder) if kind else []
    if kind == "sections":
        found: list[Row[Any]] = []
        for name in names:
            query = published.where(Breve.section == name).order_by(*newest).limit(limit)
            found.extend(session.execute(query))
        found.sort(key=lambda b: (b.published_at, b.id), reverse=True)
        return _entries(session, found[:limit])
    query = published
    if kind == "tags":
        query = query.where(
            select(BreveTag.breve_id)
            .where(BreveTag.breve_id == Breve.id, BreveTag.tag.in_(names))
            .exists()
        )
    return _entries(session, list(session.execute(query.order_by(*newest).limit(limit))))


def page_entries(session: Session, pending: Pending, page: int) -> list[Entry]:
    """The published brèves of one archive page, oldest first."""
    recorded = session.scalars(select(PublishedBreve.breve_id).where(PublishedBreve.page == page))
    ids = {
        breve_id
        for breve_id in recorded
        if breve_id not in pending.placements or pending.placements[breve_id].page == page
    }
    ids.update(pending.pages.get(page, ()))
    found: list[Row[Any]] = []
    for chunk in chunks(sorted(ids)):
        query = select(*ENTRY_COLUMNS).where(Breve.id.in_(chunk), pending.public())
        found.extend(session.execute(query))
    found.sort(key=lambda b: (b.published_at, b.id))
    return _entries(session, found)


def tombstones(session: Session, pending: Pending) -> dict[str, list[Tombstone]]:
    """Current tombstones by feed folder, newest retraction first."""
    columns = (Breve.id, Breve.uid, Breve.retracted_at, Breve.retraction_reason)
    recorded = (
        select(*columns, PublishedBreve.feeds)
        .join(PublishedBreve, PublishedBreve.breve_id == Breve.id)
        .where(PublishedBreve.tombstone.is_(True))
    )
    rows = [row for row in session.execute(recorded) if row.id not in pending.placements]
    laid = [i for i, placement in pending.placements.items() if placement.tombstone]
    for chunk in chunks(laid):
        for row in session.execute(select(*columns).where(Breve.id.in_(chunk))):
            rows.append((*row, pending.placements[row.id].feeds))  # type: ignore[arg-type]
    found: dict[str, list[Tombstone]] = {}
    for _id, uid, when, reason, feeds in sorted(rows, key=lambda r: (r[2], r[0]), reverse=True):
        assert when is not None  # a retracted brève always has its retraction time
        for folder in feeds:
            found.setdefault(folder, []).append(Tombstone(uid, when, reason or ""))
    return found


def _press_item(group: Sequence[tuple[Item, Source]], story: int) -> PressItem:
    """One entry for a story: its first item stands for it (so the entry keeps its id when
    another outlet picks the story up), dated by its latest change, naming every outlet."""
    item, source = next(((i, s) for i, s in group if i.id == story), group[0])
    outlets = [source.outlet]
    for _other, other_source in group:
        name = other_source.outlet
        if name not in outlets:
            outlets.append(name)
    return PressItem(
        entry_id=item.entry_id,
        title=item.title or item.link,
        link=without_tracking(item.link),
        html=item.content_html or item.summary_html,
        authors=tuple(item.authors),
        published=item.published_at or item.fetched_at,
        updated=max(i.updated_at or i.published_at or i.fetched_at for i, _s in group),
        outlet=outlets[0],
        outlet_link=source.site_link or source.url,
        outlet_id=source.url,
        outlets=tuple(outlets),
    )


def press_items(session: Session, pending: Pending, folder: str, limit: int) -> list[PressItem]:
    """The newest stories linked to a published brève of this feed folder ("" = all, tags/…),
    each once however many outlets carried it.

    Newest by the latest of their items' own dates (the fetch time when a feed gave none).
    """
    kind, _, _slug = folder.partition("/")
    shown = select(Breve.id).where(Breve.id == RelatedLink.breve_id, pending.public())
    if kind == "tags":
        names = folder_names(session, pending, folder)
        shown = shown.where(
            select(BreveTag.breve_id)
            .where(BreveTag.breve_id == Breve.id, BreveTag.tag.in_(names))
            .exists()
        )
    # A correlated EXISTS, not a join: SQLite, without statistics, would otherwise walk every
    # published brève looking for links (0.1 s per folder at 100,000 brèves), where the links
    # themselves are the shorter walk.
    linked = select(RelatedLink.item_id).where(RelatedLink.state == "linked", shown.exists())
    story = func.coalesce(Item.story_id, Item.id)
    when = func.coalesce(Item.published_at, Item.fetched_at)
    newest = (
        select(story)
        .where(Item.id.in_(linked))
        .group_by(story)
        .order_by(func.max(when).desc(), func.max(Item.id).desc())
        .limit(limit)
    )
    order = list(session.scalars(newest))
    groups: dict[int, list[tuple[Item, Source]]] = {key: [] for key in order}
    query = (
        select(story, Item, Source)
        .join(Source, Item.source_id == Source.id)
        .where(Item.id.in_(linked), story.in_(order))
        .order_by(when, Item.id)
    )
    for key, item, source in session.execute(query):
        groups[key].append((item, source))
    return [_press_item(groups[key], key) for key in order]


def known_folders(session: Session) -> list[str]:
    """Every tag and section folder a run has published (their names are only ever added)."""
    return list(session.scalars(select(PublishedFolder.folder).order_by(PublishedFolder.folder)))
