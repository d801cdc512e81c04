"""Which full-text backend answers a query: FTS5 on SQLite, tsvector on PostgreSQL.

The one place that decides; ``brevefeed search`` and the related pass's candidates both ask
here, so a third backend would be added here only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from brevefeed.search import postgres, sqlite
from brevefeed.search.plan import KindQuery, RankedIds


def _nothing_to_prepare(connection: Connection) -> None:
    return None


@dataclass(frozen=True)
class Backend:
    #: Matches of one kind, counted up to ``query.count_limit + 1``.
    count: Callable[[Connection, KindQuery], int]
    #: The best ``query.wanted`` ids of one kind, with their scores and dates.
    run: Callable[[Connection, KindQuery], RankedIds]
    #: Once per search transaction, before its queries.
    prepare: Callable[[Connection], None]


SQLITE = Backend(count=sqlite.count, run=sqlite.run, prepare=_nothing_to_prepare)
POSTGRES = Backend(count=postgres.count, run=postgres.run, prepare=postgres.prepare)


def backend_for(connection: Connection) -> Backend:
    return POSTGRES if connection.dialect.name == "postgresql" else SQLITE
