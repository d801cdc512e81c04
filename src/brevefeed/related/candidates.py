"""Candidates for linking, from the search index: the documents that best match a set of stems.

The related pass never scans the archive: it asks the full-text index (FTS5 or tsvector, the
one ``brevefeed search`` uses) for the best matches of a document's strongest terms, so the cost
of linking one item stays flat as the archive grows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from brevefeed.archive.index import INDEX_TABLES, PG_CONFIG, SQLITE_WEIGHTS
from brevefeed.search.backend import backend_for
from brevefeed.search.plan import Kind, KindQuery
from brevefeed.search.postgres import tsquery_text
from brevefeed.search.query import Any, Term
from brevefeed.search.sqlite import to_match


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


#: Queries joined into one statement (SQLite allows 500 terms in a compound SELECT).
MANY = 200


def best_matches_many(
    session: Session, kind: Kind, queries: Sequence[Sequence[str]], limit: int
) -> list[list[int]]:
    """``best_matches`` for each of ``queries``: one statement (per ``MANY`` on SQLite).

    A linking batch asks for the candidates of 200 items: one round of SQL for all of them
    instead of 200 (each query costs more to prepare, bind and read back through the driver
    than the index takes to answer it). The same order as ``best_matches`` (bm25 or
    ts_rank_cd, ties going to the newest id).
    """
    connection = session.connection()
    found: list[list[tuple[float, int]]] = [[] for _ in queries]
    asked = [n for n, stems in enumerate(queries) if stems and limit >= 1]
    if connection.dialect.name == "postgresql":
        return _postgres_many(connection, kind, queries, asked, limit)
    table = INDEX_TABLES[0] if kind == "breve" else INDEX_TABLES[1]
    weights = ", ".join(str(weight) for weight in SQLITE_WEIGHTS)
    for start in range(0, len(asked), MANY):
        parts, params = [], {}
        for n in asked[start : start + MANY]:
            params[f"m{n}"] = to_match(Any(tuple(Term((stem,)) for stem in queries[n])))
            parts.append(
                f"SELECT * FROM (SELECT {n} AS q, f.rowid AS id, -bm25({table}, {weights})"
                f" AS score FROM {table} f WHERE {table} MATCH :m{n}"
                f" ORDER BY score DESC, f.rowid DESC LIMIT {int(limit)})"
            )
        for n, id_, score in connection.execute(text(" UNION ALL ".join(parts)), params):
            found[n].append((score, id_))
    return _best_first(found)


def _best_first(found: list[list[tuple[float, int]]]) -> list[list[int]]:
    return [[id_ for _score, id_ in sorted(rows, reverse=True)] for rows in found]


def _postgres_many(
    connection: Connection,
    kind: Kind,
    queries: Sequence[Sequence[str]],
    asked: list[int],
    limit: int,
) -> list[list[int]]:
    """The queries as rows of an array, each answered by a lateral subquery: the same match
    (any of the stems in the document vector) and ``ts_rank_cd`` as ``best_matches``."""
    found: list[list[tuple[float, int]]] = [[] for _ in queries]
    if not asked:
        return _best_first(found)
    table, key = ("search_breves", "breve_id") if kind == "breve" else ("search_items", "item_id")
    texts = [" | ".join(f"({tsquery_text(Term((stem,)))})" for stem in queries[n]) for n in asked]
    rows = connection.execute(
        text(
            "SELECT q.n, c.id, c.score FROM unnest(CAST(:ns AS integer[]), CAST(:qs AS text[]))"
            f" AS q(n, query) CROSS JOIN LATERAL (SELECT s.{key} AS id,"
            f" ts_rank_cd(s.document, to_tsquery('{PG_CONFIG}', q.query)) AS score"
            f" FROM {table} s WHERE s.document @@ to_tsquery('{PG_CONFIG}', q.query)"
            f" ORDER BY score DESC, s.{key} DESC LIMIT :limit) c"
        ),
        {"ns": asked, "qs": texts, "limit": limit},
    )
    for n, id_, score in rows:
        found[n].append((float(score), id_))
    return _best_first(found)


def find_breves(session: Session, stems: Sequence[str], limit: int) -> list[int]:
    return best_matches(session, "breve", stems, limit)


def find_items(session: Session, stems: Sequence[str], limit: int) -> list[int]:
    return best_matches(session, "item", stems, limit)


def find_breves_many(
    session: Session, queries: Sequence[Sequence[str]], limit: int
) -> list[list[int]]:
    return best_matches_many(session, "breve", queries, limit)
