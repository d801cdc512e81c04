"""Document frequencies of French stems, kept up to date as documents are scored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from brevefeed.archive.models import TermStat

#: The row that counts documents rather than a term.
TOTAL = ""


def count_documents(session: Session, documents: Iterable[Iterable[str]]) -> dict[str, int]:
    """Add documents (each given as its distinct terms) to the frequencies; returns what was
    added per term (the ``TOTAL`` key: how many documents)."""
    distinct = [set(terms) for terms in documents]
    # Counted in C: a linking batch brings some twenty thousand (document, term) pairs.
    increments: dict[str, int] = Counter(chain.from_iterable(distinct))
    total = len(distinct)
    if not total:
        return increments
    increments[TOTAL] = total
    rows = sorted(increments.items())
    connection = session.connection()
    table = cast(Table, TermStat.__table__)
    if connection.dialect.name == "sqlite":
        # Straight to the driver: SQLAlchemy's work per row of an executemany (binding,
        # type processing) cost as much as SQLite's upsert of it, for thousands of rows.
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} (term, documents) VALUES (?, ?) ON CONFLICT (term)"
            " DO UPDATE SET documents = documents + excluded.documents",
            rows,
        )
        return increments
    # The table, not the ORM entity: the ORM's bulk path costs more per row than the upsert.
    statement = postgresql.insert(table)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.term],
            set_={"documents": table.c.documents + statement.excluded.documents},
        ),
        [{"term": term, "documents": n} for term, n in rows],
    )
    return increments


def frequencies(session: Session, terms: Iterable[str]) -> tuple[Mapping[str, int], int]:
    """Document frequency of each term, and the number of documents counted."""
    wanted = sorted(set(terms) | {TOTAL})
    rows = session.execute(
        select(TermStat.term, TermStat.documents).where(TermStat.term.in_(wanted))
    )
    found = {term: documents for term, documents in rows}
    return found, found.pop(TOTAL, 0)


class Frequencies:
    """Document frequencies as one linking run reads them: each term fetched once, then kept.

    Every candidate brève shares the archive's common terms, so without this a run would read
    the same rows again for every item. What the run counts itself is added to what it keeps;
    what another process counts meanwhile shows up in the next run (idf moves slowly).
    """

    #: Terms kept at most; past this the memory starts over (a run over a huge backlog).
    LIMIT = 500_000

    def __init__(self) -> None:
        self._known: dict[str, int] = {}
        self._absent: set[str] = set()
        self._documents: int | None = None

    def count(self, session: Session, documents: Iterable[Iterable[str]]) -> None:
        added = count_documents(session, documents)
        if self._documents is not None:
            self._documents += added.pop(TOTAL, 0)
        for term, n in added.items():
            if term in self._known:
                self._known[term] += n
            elif term in self._absent:
                self._absent.discard(term)
                self._known[term] = n

    def lookup(self, session: Session, terms: Iterable[str]) -> tuple[Mapping[str, int], int]:
        """Like ``frequencies``; the mapping returned may hold other terms too."""
        if len(self._known) + len(self._absent) > self.LIMIT:
            self._known.clear()
            self._absent.clear()
        missing = {t for t in terms if t not in self._known and t not in self._absent}
        if missing or self._documents is None:
            found, self._documents = frequencies(session, missing)
            self._known.update(found)
            self._absent.update(missing.difference(found))
        return self._known, self._documents


def reset(session: Session) -> None:
    session.execute(delete(TermStat))
