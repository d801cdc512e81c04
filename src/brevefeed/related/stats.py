"""Document frequencies of French stems, kept up to date as documents are scored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from brevefeed.archive.models import TermStat

#: The row that counts documents rather than a term.
TOTAL = ""


def count_documents(session: Session, documents: Iterable[Iterable[str]]) -> None:
    """Add documents (each given as its distinct terms) to the frequencies."""
    increments: dict[str, int] = {}
    total = 0
    for terms in documents:
        total += 1
        for term in set(terms):
            increments[term] = increments.get(term, 0) + 1
    if not total:
        return
    increments[TOTAL] = total
    rows = [{"term": term, "documents": n} for term, n in sorted(increments.items())]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(TermStat)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[TermStat.term],
            set_={"documents": TermStat.documents + statement.excluded.documents},
        ),
        rows,
    )


def frequencies(session: Session, terms: Iterable[str]) -> tuple[Mapping[str, int], int]:
    """Document frequency of each term, and the number of documents counted."""
    wanted = sorted(set(terms) | {TOTAL})
    rows = session.execute(
        select(TermStat.term, TermStat.documents).where(TermStat.term.in_(wanted))
    )
    found = {term: documents for term, documents in rows}
    return found, found.pop(TOTAL, 0)


def reset(session: Session) -> None:
    session.execute(delete(TermStat))
