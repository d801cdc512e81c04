"""The publisher's reads and writes in the archive: what changed, where brèves were placed,
what each document contains, and the mark recorded at the end of a run.

Every read here follows an index (``change_seq``, ``published_at``, ``published_breves.page``,
``breve_tags.tag``), so a run that changes little reads little.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

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
from brevefeed.publish.plan import BreveFacts, PageCursor, Placement, section_folder, tag_folder

_T = TypeVar("_T")

#: Ids per IN (...) list: well under every backend's bound-parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class RelatedRef:
    """An outside article shown under a brève (« À lire aussi »)."""

    title: str
    link: str
    outlet: str


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


@dataclass(frozen=True)
class Tombstone:
    uid: str
    when: datetime
    reason: str


def _chunks(ids: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def hold_writers(session: Session) -> None:
    """On PostgreSQL, wait for writers in flight and keep new ones out while we read.

    See ``archive.changes``: this is what makes "every stamp above the mark" complete. SQLite
    needs nothing: the session's ``BEGIN IMMEDIATE`` already excludes every other writer.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE breves IN SHARE MODE"))


def read_state(session: Session) -> PublishState | None:
    return session.get(PublishState, 1)


def max_seq(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(Breve.change_seq), 0))).scalar_one())


def _facts(session: Session, breves: Iterable[Breve]) -> list[BreveFacts]:
    rows = list(breves)
    tags: dict[int, list[str]] = {row.id: [] for row in rows}
    for chunk in _chunks(list(tags)):
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
        )
        for row in rows
    ]


_FACT_COLUMNS = (
    Breve.id,
    Breve.status,
    Breve.published_at,
    Breve.retracted_at,
    Breve.section,
)


def changed_facts(
    session: Session, after_seq: int, up_to: int, tombstone_cutoff: datetime
) -> list[BreveFacts]:
    """Brèves stamped in (after_seq, up_to], and tombstones that have just expired."""
    stamped = select(*_FACT_COLUMNS).where(Breve.change_seq > after_seq, Breve.change_seq <= up_to)
    expired = (
        select(*_FACT_COLUMNS)
        .join(PublishedBreve, PublishedBreve.breve_id == Breve.id)
        .where(PublishedBreve.tombstone.is_(True), Breve.retracted_at < tombstone_cutoff)
    )
    rows = {row.id: row for query in (stamped, expired) for row in session.execute(query)}
    return _facts(session, rows.values())  # type: ignore[arg-type]


def placements(session: Session, ids: Sequence[int]) -> dict[int, Placement]:
    found: dict[int, Placement] = {}
    for chunk in _chunks(ids):
        for row in session.scalars(
            select(PublishedBreve).where(PublishedBreve.breve_id.in_(chunk))
        ):
            found[row.breve_id] = Placement(row.page, tuple(row.feeds), row.tombstone)
    return found


def page_cursor(session: Session) -> PageCursor:
    last = session.execute(select(func.max(PublishedBreve.page))).scalar_one()
    if last is None:
        return PageCursor()
    count = session.execute(
        select(func.count()).select_from(PublishedBreve).where(PublishedBreve.page == last)
    ).scalar_one()
    return PageCursor(int(last), int(count))


def save(session: Session, placed: dict[int, Placement], last_seq: int, settings: str) -> None:
    """Record the run: new placements, the mark reached, the settings used."""
    ids = list(placed)
    for chunk in _chunks(ids):
        session.execute(delete(PublishedBreve).where(PublishedBreve.breve_id.in_(chunk)))
    rows = [
        {"breve_id": i, "page": p.page, "feeds": list(p.feeds), "tombstone": p.tombstone}
        for i, p in placed.items()
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(PublishedBreve), rows[start : start + CHUNK])
    state = session.get(PublishState, 1)
    if state is None:
        session.add(PublishState(id=1, last_seq=last_seq, settings=settings))
    else:
        state.last_seq = last_seq
        state.settings = settings
    session.flush()


def _related(session: Session, breve_ids: Sequence[int]) -> dict[int, list[RelatedRef]]:
    """Linked items per brève, best first (what `brevefeed related` lists)."""
    found: dict[int, list[RelatedRef]] = {}
    for chunk in _chunks(list(breve_ids)):
        query = (
            select(RelatedLink.breve_id, Item.title, Item.link, Source.name, Source.title)
            .join(Item, RelatedLink.item_id == Item.id)
            .join(Source, Item.source_id == Source.id)
            .where(RelatedLink.breve_id.in_(chunk), RelatedLink.state == "linked", Item.link != "")
            .order_by(RelatedLink.breve_id, RelatedLink.score.desc(), Item.id)
        )
        for breve_id, title, link, name, feed_title in session.execute(query):
            outlet = name or feed_title
            found.setdefault(breve_id, []).append(RelatedRef(title or link, link, outlet))
    return found


def _entries(session: Session, breves: Sequence[Breve]) -> list[Entry]:
    related = _related(session, [b.id for b in breves])
    return [
        Entry(
            uid=b.uid,
            title=b.title,
            standfirst=b.standfirst,
            html=b.body_html,
            authors=tuple(b.authors),
            tags=tuple(b.tags),
            section=b.section,
            language=b.language,
            published=b.published_at,
            updated=b.updated_at,
            related=tuple(related.get(b.id, ())),
        )
        for b in breves
    ]


def remember_names(session: Session, facts: Iterable[BreveFacts]) -> None:
    """Add the tag and section spellings of these brèves to their feed folders' names.

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
        row.folder: row
        for chunk in _chunks(folders)
        for row in session.scalars(select(PublishedFolder).where(PublishedFolder.folder.in_(chunk)))
    }
    for folder in folders:
        row = known.get(folder)
        if row is None:
            session.add(PublishedFolder(folder=folder, names=sorted(wanted[folder])))
        elif not wanted[folder] <= set(row.names):
            row.names = sorted(wanted[folder] | set(row.names))
    session.flush()


def folder_names(session: Session, folder: str) -> list[str]:
    row = session.get(PublishedFolder, folder)
    return list(row.names) if row else []


def folder_title(session: Session, folder: str) -> str:
    """The tag or section name as written (first spelling), for the feed's title."""
    names = folder_names(session, folder)
    return names[0] if names else folder.partition("/")[2]


def latest_entries(session: Session, folder: str, limit: int) -> list[Entry]:
    """The newest published brèves of a feed folder ("" = all).

    Each query walks an index newest first and stops after ``limit`` matches: tags through a
    correlated EXISTS on ``breve_tags``' primary key, sections one spelling at a time through
    ``ix_breves_section_published_at`` (an IN list would make the database sort every match).
    """
    newest = (Breve.published_at.desc(), Breve.id.desc())
    published = select(Breve).where(Breve.status == "published")
    kind, _, _slug = folder.partition("/")
    names = folder_names(session, folder) if kind else []
    if kind == "sections":
        found: list[Breve] = []
        for name in names:
            query = published.where(Breve.section == name).order_by(*newest).limit(limit)
            found.extend(session.scalars(query))
        found.sort(key=lambda b: (b.published_at, b.id), reverse=True)
        return _entries(session, found[:limit])
    query = published
    if kind == "tags":
        query = query.where(
            select(BreveTag.breve_id)
            .where(BreveTag.breve_id == Breve.id, BreveTag.tag.in_(names))
            .exists()
        )
    return _entries(session, list(session.scalars(query.order_by(*newest).limit(limit))))


def page_entries(session: Session, page: int) -> list[Entry]:
    """The published brèves of one archive page, oldest first."""
    query = (
        select(Breve)
        .join(PublishedBreve, PublishedBreve.breve_id == Breve.id)
        .where(PublishedBreve.page == page, Breve.status == "published")
        .order_by(Breve.published_at, Breve.id)
    )
    return _entries(session, list(session.scalars(query)))


def tombstones(session: Session) -> dict[str, list[Tombstone]]:
    """Current tombstones by feed folder, newest retraction first."""
    query = (
        select(Breve.uid, Breve.retracted_at, Breve.retraction_reason, PublishedBreve.feeds)
        .join(PublishedBreve, PublishedBreve.breve_id == Breve.id)
        .where(PublishedBreve.tombstone.is_(True))
        .order_by(Breve.retracted_at.desc(), Breve.id.desc())
    )
    found: dict[str, list[Tombstone]] = {}
    for uid, when, reason, feeds in session.execute(query):
        assert when is not None  # a retracted brève always has its retraction time
        for folder in feeds:
            found.setdefault(folder, []).append(Tombstone(uid, when, reason or ""))
    return found


def press_items(session: Session, folder: str, limit: int) -> list[PressItem]:
    """The newest items linked to a published brève of this feed folder ("" = all, tags/…).

    Newest by the item's own date (its fetch time when the feed gave none), each once.
    """
    kind, _, _slug = folder.partition("/")
    linked = (
        select(RelatedLink.item_id)
        .join(Breve, RelatedLink.breve_id == Breve.id)
        .where(RelatedLink.state == "linked", Breve.status == "published")
    )
    if kind == "tags":
        names = folder_names(session, folder)
        linked = linked.where(
            select(BreveTag.breve_id)
            .where(BreveTag.breve_id == Breve.id, BreveTag.tag.in_(names))
            .exists()
        )
    when = func.coalesce(Item.published_at, Item.fetched_at)
    query = (
        select(Item, Source)
        .join(Source, Item.source_id == Source.id)
        .where(Item.id.in_(linked))
        .order_by(when.desc(), Item.id.desc())
        .limit(limit)
    )
    return [
        PressItem(
            entry_id=item.entry_id,
            title=item.title or item.link,
            link=item.link,
            html=item.content_html or item.summary_html,
            authors=tuple(item.authors),
            published=item.published_at or item.fetched_at,
            updated=item.updated_at or item.published_at or item.fetched_at,
            outlet=source.name or source.title or source.url,
            outlet_link=source.site_link or source.url,
            outlet_id=source.url,
        )
        for item, source in session.execute(query)
    ]
