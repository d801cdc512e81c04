"""Read brèves out of the archive."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from brevefeed.archive.models import Breve, BreveTag, Tag
from brevefeed.text import tag_key

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


#: Above this many brèves with the tag, walking the date index and probing each brève's tags
#: beats collecting and sorting every tagged brève (measured in benchmarks/import_and_list.py).
TAG_SCAN_THRESHOLD = 2000


def _filtered(
    query: Select[tuple[Breve]], where: BreveFilter, *, common_tag: bool = False
) -> Select[tuple[Breve]]:
    if where.tag is not None:
        key = tag_key(where.tag)
        if common_tag:
            query = query.where(
                select(BreveTag.breve_id)
                .where(BreveTag.breve_id == Breve.id, BreveTag.key == key)
                .exists()
            )
        else:
            query = query.where(Breve.id.in_(select(BreveTag.breve_id).where(BreveTag.key == key)))
    if where.since is not None:
        query = query.where(Breve.published_at >= where.since)
    if where.until is not None:
        query = query.where(Breve.published_at < where.until)
    if where.status == SCHEDULED:
        query = query.where(Breve.status == "published")
        if where.now is not None:
            query = query.where(Breve.published_at > where.now)
    elif where.status is not None:
        query = query.where(Breve.status == where.status)
        if where.status == "published" and where.now is not None:
            query = query.where(Breve.published_at <= where.now)
    return query


def list_breves(session: Session, where: BreveFilter, *, limit: int | None = 50) -> list[Breve]:
    """Newest first; walks ``ix_breves_published_at_id`` so the cost follows ``limit``.

    A tag filter picks its plan from how many brèves carry the tag (one index count): a rare
    tag's few brèves are fetched and sorted, a common tag's are met while walking the index.
    """
    common_tag = False
    if where.tag is not None and limit is not None:
        tagged = session.scalar(
            select(func.count()).select_from(BreveTag).where(BreveTag.key == tag_key(where.tag))
        )
        common_tag = (tagged or 0) > TAG_SCAN_THRESHOLD
    query = _filtered(select(Breve), where, common_tag=common_tag).order_by(
        Breve.published_at.desc(), Breve.id.desc()
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def iter_all_breves(session: Session, *, batch: int = 500) -> Iterator[Breve]:
    """Every brève, oldest first, with revisions, streamed in batches (for export)."""
    query = (
        select(Breve)
        .order_by(Breve.published_at, Breve.id)
        .options(selectinload(Breve.revisions))
        .execution_options(yield_per=batch)
    )
    yield from session.scalars(query)


@dataclass(frozen=True)
class TagCount:
    name: str
    #: Brèves carrying the tag, whatever their status.
    count: int


def tag_counts(session: Session) -> list[TagCount]:
    """Every tag by its display name, most used first (then by name)."""
    query = (
        select(Tag.name, func.count(BreveTag.breve_id))
        .join(BreveTag, BreveTag.key == Tag.key)
        .group_by(Tag.key, Tag.name)
    )
    found = [TagCount(name, int(count)) for name, count in session.execute(query)]
    return sorted(found, key=lambda t: (-t.count, tag_key(t.name)))
