"""A monotonic change stamp on brèves, raised by every mutation.

Publishing must find what changed since its last run without reading the whole archive. Instead
of asking every writer (``breves.py``, ``exchange.py``, and whatever comes later) to remember,
one ``before_flush`` listener on all sessions gives every new or modified brève — tags and
retraction included — ``max(change_seq) + 1``. The max walks ``ix_breves_change_seq``, so the
cost is one index lookup per flush.

Two writers never interleave on SQLite (every transaction is ``BEGIN IMMEDIATE``). On PostgreSQL
two concurrent transactions may compute the same stamp; the publisher therefore takes a SHARE
lock on ``breves`` while it reads, which waits for writers in flight to commit, so no stamp can
appear below the mark it records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from brevefeed.archive.models import Breve, BreveTag


def _touched(session: Session) -> set[Breve]:
    breves: set[Breve] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, Breve) and obj not in session.deleted:
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
    current = session.execute(select(func.coalesce(func.max(Breve.change_seq), 0))).scalar_one()
    for breve in touched:
        breve.change_seq = current + 1
