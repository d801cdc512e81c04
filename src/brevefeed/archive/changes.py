"""What the archive keeps true whoever writes to it: change stamps and the search index.

Publish reads only the brèves whose ``change_seq`` rose since its last run, and the search
(and the related scorer, which reads stems from it) reads the index. Both must follow every
write: a brève added, edited or retracted, a tag, a related link made or removed (by an
editor, a linking pass, ``related --rebuild``, or a cascade when a source is deleted), a
related item retitled, an outlet renamed, items stored or updated by ingest.

Why the database keeps them (triggers, migration 0009), not a module of named writes
    ORM session events used to infer what changed, and every plain ``update()``/``delete()``
    and every ``ON DELETE CASCADE`` went unseen: a source titled by its first fetch stayed
    unsearchable by that title, a link dropped by ``related --rebuild`` or by deleting its
    source stayed in the feeds. Routing every write through one module of named operations
    would fix today's writers but leave the next one (or a cascade, or an operator's SQL) to
    remember; a trigger cannot be forgotten, and sees cascades. So:

    - the stamp is wholly the database's: triggers take the next value of a one-row counter
      (``change_counter``, migration 0010) for each stamped row. Writers are serialized
      (SQLite: every writing transaction is ``BEGIN IMMEDIATE``; PostgreSQL: an advisory lock
      taken before the first stamped row), so stamps become visible in increasing order and a
      publish run that read up to a stamp never misses one below it. A counter, not
      ``max(change_seq) + 1``: a draft can be deleted, and deleting the one with the highest
      stamp would otherwise hand that stamp out again, below what publish has read.
    - the index stores stems computed in Python (``brevefeed.text``: French elisions,
      folding, Snowball), which neither database can compute. The triggers record *which*
      records are stale in ``search_pending``; ``index.settle`` rewrites them. The hooks
      below run it after every ORM flush (a linking pass reads the stems it just stored) and
      before every writing transaction commits (a plain statement since the last flush), so
      the rows commit with the change. They decide nothing about what changed: the database
      did; a transaction that leaves pending rows behind is one brevefeed did not run.

Read-only transactions (``Archive.session(write=False)``, ``Archive.snapshot``) never settle:
they must not write, and nothing they did can be pending.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from brevefeed.archive.db import WRITE_OPTION
from brevefeed.archive.index import settle


def _settle(session: Session) -> None:
    connection = session.connection()
    if connection.get_execution_options().get(WRITE_OPTION, True):
        settle(connection)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    _settle(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _settle(session)
