"""Candidates for linking, from the search index: the documents that best match a set of stems.

The related pass never scans the archive: it asks the full-text index (FTS5 or tsvector, the
one ``brevefeed search`` uses) for the best matches of a document's strongest terms, so the cost
of linking one item stays flat as the archive grows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from brevefeed.search.backend import backend_for
from brevefeed.search.plan import Kind, KindQuery
from brevefeed.search.query import Any, Term


def best_matches(session: Session, kind: Kind, stems: Sequence[str], limit: int) -> list[int]:
    """Ids of the ``limit`` documents of ``kind`` that best match any of ``stems``."""
    if not stems or limit < 1:
        return []
    node = Any(tuple(Term((stem,)) for stem in stems))
    connection = session.connection()
    # Retracted brèves are not filtered here (that joins every match to its record, doubling
    # the cost): the linker keeps published brèves only, drafts included in what it drops.
    query = KindQuery(
        node=node, kind=kind, wanted=limit, include_retracted=True, include_drafts=True
    )
    answer = backend_for(connection).run(connection, query)
    return [id_ for id_, _score, _date in answer.rows]


def find_breves(session: Session, stems: Sequence[str], limit: int) -> list[int]:
    return best_matches(session, "breve", stems, limit)


def find_items(session: Session, stems: Sequence[str], limit: int) -> list[int]:
    return best_matches(session, "item", stems, limit)
