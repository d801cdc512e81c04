"""Read brèves out of the archive."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from brevefeed.archive.models import Breve, BreveTag


@dataclass(frozen=True)
class BreveFilter:
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None


#: Above this many brèves with the tag, walking the date index and probing each brève's tags
#: beats collecting and sorting every tagged brève (measured in benchmarks/import_and_list.py).
TAG_SCAN_THRESHOLD = 2000


def _filtered(
    query: Select[tuple[Breve]], where: BreveFilter, *, common_tag: bool = False
) -> Select[tuple[Breve]]:
    if where.tag is not None:
        if common_tag:
            query = query.where(
                select(BreveTag.breve_id)
                .where(BreveTag.breve_id == Breve.id, BreveTag.tag == where.tag)
                .exists()
            )
        else:
            query = query.where(
                Breve.id.in_(select(BreveTag.breve_id).where(BreveTag.tag == where.tag))
            )
    if where.since is not None:
        query = query.where(Breve.published_at >= where.since)
    if where.until is not None:
        query = query.where(Breve.published_at < where.until)
    if where.status is not None:
        query = query.where(Breve.status == where.status)
    return query


def list_breves(session: Session, where: BreveFilter, *, limit: int | None = 50) -> list[Breve]:
    """Newest first; walks ``ix_breves_published_at_id`` so the cost follows ``limit``.

    A tag filter picks its plan from how many brèves carry the tag (one index count): a rare
    tag's few brèves are fetched and sorted, a common tag's are met while walking the index.
    """
    common_tag = False
    if where.tag is not None and limit is not None:
        tagged = session.scalar(
            select(func.count()).select_from(BreveTag).where(BreveTag.tag == where.tag)
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
