"""Share due sources between workers: claim a batch under a lease, release it when stored.

On PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED``: workers on one or many machines
never wait for each other's rows nor take the same one. On SQLite every write transaction
begins IMMEDIATE (see ``archive.db``), so claims are serialized the same way. A lease that
expires (a worker killed mid-batch) makes its sources claimable again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from brevefeed.archive.models import Source
from brevefeed.ingest.schedule import Standing, skip_reason


@dataclass(frozen=True)
class Job:
    """What the fetching loop needs to know about one claimed source (no ORM object crosses
    into the event loop)."""

    id: int
    url: str
    name: str
    etag: str | None
    last_modified: str | None
    consecutive_errors: int
    pending_redirect: str | None
    body_hash: str | None
    interval: int | None
    keywords: tuple[str, ...]
    exclude: tuple[str, ...]


def _job(source: Source) -> Job:
    return Job(
        id=source.id,
        url=source.url,
        name=source.name,
        etag=source.etag,
        last_modified=source.last_modified,
        consecutive_errors=source.consecutive_errors,
        pending_redirect=source.pending_redirect,
        body_hash=source.body_hash,
        interval=source.interval,
        keywords=tuple(source.keywords),
        exclude=tuple(source.exclude),
    )


def _standing(source: Source) -> Standing:
    return Standing(
        source.enabled, source.gone, source.origin, source.retry_after, source.next_fetch_at,
        source.lease_owner, source.lease_expires_at, source.last_fetch_at,
    )  # fmt: skip


def claimable(
    now: datetime, *, force: bool, run_started: datetime, only: Sequence[int] | None
) -> ColumnElement[bool]:
    """``schedule.skip_reason`` in SQL (its docstring states the rule): true for the sources
    it finds due, clause for clause, with ``only`` (--source) on top."""
    return and_(
        Source.enabled.is_(true()),
        Source.gone.is_(false()),
        Source.origin != "dropped",
        or_(Source.retry_after.is_(None), Source.retry_after <= now),
        or_(Source.lease_expires_at.is_(None), Source.lease_expires_at < now),
        or_(Source.last_fetch_at.is_(None), Source.last_fetch_at < run_started),
        true() if force else or_(Source.next_fetch_at.is_(None), Source.next_fetch_at <= now),
        Source.id.in_(only) if only is not None else true(),
    )


def skipped(
    session: Session,
    now: datetime,
    *,
    force: bool,
    run_started: datetime,
    only: Sequence[int] | None = None,
) -> list[tuple[str, str]]:
    """(url, why) for each source that will not be claimed now, for the run's log."""
    rows = session.scalars(
        select(Source)
        .where(~claimable(now, force=force, run_started=run_started, only=None))
        .where(Source.id.in_(only) if only is not None else true())
        .order_by(Source.id)
    )
    found = ((row.url, skip_reason(_standing(row), now, force=force, run_started=run_started))
             for row in rows)  # fmt: skip
    return [(url, why) for url, why in found if why is not None]


def count_claimable(
    session: Session,
    now: datetime,
    *,
    force: bool,
    run_started: datetime,
    only: Sequence[int] | None = None,
) -> int:
    where = claimable(now, force=force, run_started=run_started, only=only)
    return session.scalar(select(func.count()).select_from(Source).where(where)) or 0


def claim(
    session: Session,
    owner: str,
    now: datetime,
    *,
    lease: timedelta,
    limit: int,
    force: bool,
    run_started: datetime,
    only: Sequence[int] | None = None,
) -> list[Job]:
    """Lease up to ``limit`` due sources to ``owner``, most overdue first."""
    rows = session.scalars(
        select(Source)
        .where(claimable(now, force=force, run_started=run_started, only=only))
        .order_by(Source.next_fetch_at.asc().nulls_first(), Source.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for source in rows:
        source.lease_owner = owner
        source.lease_expires_at = now + lease
    session.flush()
    return [_job(source) for source in rows]


def release(session: Session, owner: str, ids: Sequence[int]) -> None:
    """Give back sources claimed but not processed (a run interrupted between two batches)."""
    if ids:
        session.execute(
            update(Source)
            .where(Source.id.in_(ids), Source.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
        )
