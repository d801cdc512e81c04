"""Read brèves out of the archive, in SQLAlchemy Core on a plain connection.

`list` and `search` read through here without loading the ORM (see ``archive.tables``);
whoever holds a session passes ``session.connection()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, func, select

from brevefeed.archive.tables import breve_tags, breves, tags
from brevefeed.text.fold import tag_key

#: Not a stored status: a published brève dated after now (see ``BreveFilter.now``).
SCHEDULED = "scheduled"


@dataclass(frozen=True)
class BreveFilter:
    #: Any spelling of the tag (« education » finds « Éducation »).
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    #: A stored status, or ``SCHEDULED``; "published" then means published and due.
    status: str | None = None
    #: The clock that tells a scheduled brève from a published one.
    now: datetime | None = None


@dataclass(frozen=True)
class BreveSummary:
    """What a listing shows of a brève (not its text)."""

    id: int
    uid: str
    slug: str
    title: str
    section: str
    authors: list[str]
    #: Display names (each tag's first spelling in the archive), in the author's order.
    tags: list[str]
    status: str
    published_at: datetime
    updated_at: datetime


#: Above this many brèves with the tag, walking the date index and probing each brève's tags
#: beats collecting and sorting every tagged brève (measured in benchmarks/import_and_list.py).
TAG_SCAN_THRESHOLD = 2000


def _filtered(
    query: Select[tuple[int]], where: BreveFilter, *, common_tag: bool
) -> Select[tuple[int]]:
    b = breves.c
    if where.tag is not None:
        key = tag_key(where.tag)
        t = breve_tags.c
        if common_tag:
            query = query.where(select(t.breve_id).where(t.breve_id == b.id, t.key == key).exists())
        else:
            query = query.where(b.id.in_(select(t.breve_id).where(t.key == key)))
    if where.since is not None:
        query = query.where(b.published_at >= where.since)
    if where.until is not None:
        query = query.where(b.published_at < where.until)
    if where.status == SCHEDULED:
        query = query.where(b.status == "published")
        if where.now is not None:
            query = query.where(b.published_at > where.now)
    elif where.status is not None:
        query = query.where(b.status == where.status)
        if where.status == "published" and where.now is not None:
            query = query.where(b.published_at <= where.now)
    return query


def list_breves(
    connection: Connection, where: BreveFilter, *, limit: int | None = 50
) -> list[BreveSummary]:
    """Newest first; walks ``ix_breves_published_at_id`` so the cost follows ``limit``.

    A tag filter picks its plan from how many brèves carry the tag (one index count): a rare
    tag's few brèves are fetched and sorted, a common tag's are met while walking the index.
    """
    common_tag = False
    if where.tag is not None and limit is not None:
        t = breve_tags.c
        tagged = connection.scalar(
            select(func.count()).select_from(breve_tags).where(t.key == tag_key(where.tag))
        )
        common_tag = (tagged or 0) > TAG_SCAN_THRESHOLD
    b = breves.c
    query = _filtered(select(b.id), where, common_tag=common_tag).order_by(
        b.published_at.desc(), b.id.desc()
    )
    if limit is not None:
        query = query.limit(limit)
    rows = connection.execute(
        query.add_columns(
            b.uid, b.slug, b.title, b.section, b.authors, b.status, b.published_at, b.updated_at
        )
    ).all()
    names = tag_names(connection, [row.id for row in rows])
    return [
        BreveSummary(
            id=row.id,
            uid=row.uid,
            slug=row.slug,
            title=row.title,
            section=row.section,
            authors=list(row.authors or []),
            tags=names.get(row.id, []),
            status=row.status,
            published_at=row.published_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def tag_names(connection: Connection, ids: Iterable[int]) -> dict[int, list[str]]:
    """Each brève's tags by display name, in the order its author gave them."""
    wanted = list(ids)
    if not wanted:
        return {}
    t = breve_tags.c
    query = (
        select(t.breve_id, func.coalesce(tags.c.name, t.tag))
        .select_from(breve_tags.outerjoin(tags, tags.c.key == t.key))
        .where(t.breve_id.in_(wanted))
        .order_by(t.breve_id, t.position)
    )
    found: dict[int, list[str]] = {}
    for breve_id, name in connection.execute(query):
        found.setdefault(breve_id, []).append(name)
    return found


@dataclass(frozen=True)
class TagCount:
    name: str
    #: Brèves carrying the tag, whatever their status.
    count: int


def tag_counts(connection: Connection) -> list[TagCount]:
    """Every tag by its display name, most used first (then by name)."""
    query = (
        select(tags.c.name, func.count(breve_tags.c.breve_id))
        .select_from(tags.join(breve_tags, breve_tags.c.key == tags.c.key))
        .group_by(tags.c.key, tags.c.name)
    )
    found = [TagCount(name, int(count)) for name, count in connection.execute(query)]
    return sorted(found, key=lambda t: (-t.count, tag_key(t.name)))
