"""The publisher's reads and writes in the archive: what changed, where brèves were placed,
what each document contains, and the mark recorded at the end of a run.

Every read here follows an index (``change_seq``, ``published_at``, ``published_breves.page``,
``breve_tags.tag``), so a run that changes little reads little.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from brevefeed.archive.models import Breve, BreveTag, PublishedBreve, PublishState
from brevefeed.publish.plan import BreveFacts, PageCursor, Placement
from brevefeed.text import slugify

#: Ids per IN (...) list: well under every backend's bound-parameter limit.
CHUNK = 500


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


@dataclass(frozen=True)
class Tombstone:
    uid: str
    when: datetime
    reason: str


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
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


def _entries(session: Session, breves: Sequence[Breve]) -> list[Entry]:
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
        )
        for b in breves
    ]


def _spellings(session: Session, column: object, slug: str) -> list[str]:
    """Every spelling in the archive whose slug is ``slug`` ("Santé", "santé" → ``sante``)."""
    values = session.scalars(select(column).distinct())  # type: ignore[call-overload]
    return sorted(v for v in values if slugify(v) == slug)


def folder_title(session: Session, folder: str) -> str:
    """The tag or section name as written (first spelling), for the feed's title."""
    kind, _, slug = folder.partition("/")
    column = BreveTag.tag if kind == "tags" else Breve.section
    names = _spellings(session, column, slug)
    return names[0] if names else slug


def latest_entries(session: Session, folder: str, limit: int) -> list[Entry]:
    """The newest published brèves of a feed folder ("" = all)."""
    query = select(Breve).where(Breve.status == "published")
    kind, _, slug = folder.partition("/")
    if kind == "tags":
        spellings = _spellings(session, BreveTag.tag, slug)
        query = query.where(
            Breve.id.in_(select(BreveTag.breve_id).where(BreveTag.tag.in_(spellings)))
        )
    elif kind == "sections":
        query = query.where(Breve.section.in_(_spellings(session, Breve.section, slug)))
    query = query.order_by(Breve.published_at.desc(), Breve.id.desc()).limit(limit)
    return _entries(session, list(session.scalars(query)))


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


def all_feed_folders(session: Session) -> set[str]:
    """Every feed folder a placement names (for a full rebuild)."""
    folders: set[str] = set()
    for feeds in session.scalars(select(PublishedBreve.feeds)):
        folders.update(feeds)
    return folders
