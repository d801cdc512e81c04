"""Read brèves out of the archive."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from brevefeed.archive.models import Breve, BreveTag


@dataclass(frozen=True)
class BreveFilter:
    tag: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    status: str | None = None


def _filtered(query: Select[tuple[Breve]], where: BreveFilter) -> Select[tuple[Breve]]:
    if where.tag is not None:
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
    """Newest first; walks ``ix_breves_published_at_id`` so the cost follows ``limit``."""
    query = _filtered(select(Breve), where).order_by(Breve.published_at.desc(), Breve.id.desc())
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
