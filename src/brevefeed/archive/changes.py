"""A monotonic change stamp on brèves, raised by every mutation.

Publishing must find what changed since its last run without reading the whole archive. Instead
of asking every writer (``breves.py``, ``exchange.py``, and whatever comes later) to remember,
one ``before_flush`` listener on all sessions gives every new or modified brève — tags,
retraction and related items included — ``max(change_seq) + 1``. The max walks
``ix_breves_change_seq``, so the cost is one index lookup per flush.

The publisher records the highest stamp of the snapshot it read and later reads only stamps
above it, so a stamp must never become visible *below* that mark. Writers are serialized (on
SQLite every writing transaction is ``BEGIN IMMEDIATE``; on PostgreSQL a writer takes ``SHARE
ROW EXCLUSIVE`` on ``breves`` before reading the max, so two can no longer compute the same
stamp), hence stamps become visible in increasing order: a snapshot holds every stamp up to its
highest, and a writer still in flight when it was taken commits a higher one. Brèves are never
deleted, so the max never goes down.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from brevefeed.archive.models import Breve, BreveTag, RelatedLink


def _touched(session: Session) -> set[Breve]:
    breves: set[Breve] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, RelatedLink):
            # A related item shown under a brève is part of its entry (« À lire aussi »).
            with session.no_autoflush:
                breve = session.get(Breve, obj.breve_id)
            if breve is not None and breve not in session.deleted:
                breves.add(breve)
        elif isinstance(obj, Breve) and obj not in session.deleted:
            if obj in session.new or session.is_modified(obj):
                breves.add(obj)
        elif (
            isinstance(obj, BreveTag) and obj.breve is not None and obj.breve not in session.deleted
        ):
            breves.add(obj.breve)
    return breves


@event.listens_for(Session, "before_flush")
def _stamp_changes(session: Session, _context: Any, _instances: Any) -> None:
    touched = _touched(session)
    if not touched:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE breves IN SHARE ROW EXCLUSIVE MODE"))
    current = session.execute(select(func.coalesce(func.max(Breve.change_seq), 0))).scalar_one()
    for breve in touched:
        breve.change_seq = current + 1
