"""Candidates for linking, from the search index: the documents that best match a set of stems.

The related pass never scans the archive: it asks the full-text index (FTS5 or tsvector, the
one ``brevefeed search`` uses) for the best matches of a document's strongest terms, so the cost
of linking one item stays flat as the archive grows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from brevefeed.archive.index import INDEX_TABLES, PG_CONFIG, SQLITE_WEIGHTS
from brevefeed.related.rarity import idf
from brevefeed.related.stats import frequencies
from brevefeed.search.backend import backend_for
from brevefeed.search.plan import Kind, KindQuery
from brevefeed.search.postgres import tsquery_text
from brevefeed.search.query import Any, Term
from brevefeed.search.sqlite import to_match


def best_matches(session: Session, kind: Kind, stems: Sequence[str], limit: int) -> list[int]:
    """Ids of the ``limit`` documents of ``kind`` that best match any of ``stems``."""
    if not stems or limit < 1:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Ranked by rarity like the batches (the search backend's ts_rank_cd ignores it).
        return best_matches_many(session, kind, [stems], limit)[0]
    node = Any(tuple(Term((stem,)) for stem in stems))
    # Retracted brèves are not filtered here (that joins every match to its record, doubling
    # the cost): the linker keeps published brèves only, drafts included in what it drops.
    query = KindQuery(
        node=node, kind=kind, wanted=limit, include_retracted=True, include_drafts=True
    )
    answer = backend_for(connection).run(connection, query)
    return [id_ for id_, _score, _date in answer.rows]


#: Queries joined into one statement (SQLite allows 500 terms in a compound SELECT).
MANY = 200


def rarity_weights(session: Session, stems: Iterable[str]) -> dict[str, float]:
    """Each stem's idf (the archive's document frequencies smoothed by the reference list)."""
    wanted = set(stems)
    stats, documents = frequencies(session, wanted)
    return {stem: idf(stem, stats.get(stem, 0), documents) for stem in wanted}


def best_matches_many(
    session: Session,
    kind: Kind,
    queries: Sequence[Sequence[str]],
    limit: int,
    weights: Mapping[str, float] | None = None,
) -> list[list[int]]:
    """``best_matches`` for each of ``queries``: one statement (per ``MANY`` on SQLite).

    A linking batch asks for the candidates of 200 items: one round of SQL for all of them
    instead of 200 (each query costs more to prepare, bind and read back through the driver
    than the index takes to answer it). The same order as ``best_matches``: bm25 on SQLite;
    on PostgreSQL the sum of the matched stems' ``weights`` (their idf; read from the term
    counts when not given), ties going to the newest id.
    """
    connection = session.connection()
    found: list[list[tuple[float, int]]] = [[] for _ in queries]
    asked = [n for n, stems in enumerate(queries) if stems and limit >= 1]
    if connection.dialect.name == "postgresql":
        if weights is None:
            weights = rarity_weights(session, (stem for n in asked for stem in queries[n]))
        return _postgres_many(connection, kind, queries, asked, limit, weights)
    table = INDEX_TABLES[0] if kind == "breve" else INDEX_TABLES[1]
    columns = ", ".join(str(weight) for weight in SQLITE_WEIGHTS)
    for start in range(0, len(asked), MANY):
        parts, params = [], {}
        for n in asked[start : start + MANY]:
            params[f"m{n}"] = to_match(Any(tuple(Term((stem,)) for stem in queries[n])))
            parts.append(
                f"SELECT * FROM (SELECT {n} AS q, f.rowid AS id, -bm25({table}, {columns})"
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
    weights: Mapping[str, float],
) -> list[list[int]]:
    """Each stem of each query a row, joined to the documents that hold it through the index:
    a document's score is the summed rarity of the query's stems it holds.

    ts_rank_cd counts matches and their proximity, not how rare they are: « grève » and
    « conducteurs » outranked « Quinconces », and the brève an item covers fell out of its
    candidates (bm25, on SQLite, weighs rarity). Matching stem by stem reads only the index's
    postings, never the (often compressed) document vectors: a query reads the documents of its
    stems, which ``CANDIDATE_BUDGET`` bounds, as the lateral OR-query did.
    """
    if not asked:
        return [[] for _ in queries]
    table, key = ("search_breves", "breve_id") if kind == "breve" else ("search_items", "item_id")
    rows_n, rows_term, rows_weight = [], [], []
    for n in asked:
        for stem in dict.fromkeys(queries[n]):
            rows_n.append(n)
            rows_term.append(tsquery_text(Term((stem,))))
            rows_weight.append(weights.get(stem, 0.0))
    rows = connection.execute(
        text(
            "SELECT n, id FROM (SELECT n, id, row_number() OVER (PARTITION BY n"
            f" ORDER BY score DESC, id DESC) AS place FROM (SELECT q.n, s.{key} AS id,"
            " sum(q.weight) AS score FROM unnest(CAST(:ns AS integer[]), CAST(:ts AS text[]),"
            f" CAST(:ws AS float8[])) AS q(n, term, weight) JOIN {table} s"
            f" ON s.document @@ to_tsquery('{PG_CONFIG}', q.term)"
            f" GROUP BY q.n, s.{key}) scored) ranked WHERE place <= :limit"
            " ORDER BY n, place"
        ),
        {"ns": rows_n, "ts": rows_term, "ws": rows_weight, "limit": limit},
    )
    found: list[list[int]] = [[] for _ in queries]
    for n, id_ in rows:
        found[n].append(id_)
    return found


def find_breves(session: Session, stems: Sequence[str], limit: int) -> list[int]:
    return best_matches(session, "breve", stems, limit)


def find_items(session: Session, stems: Sequence[str], limit: int) -> list[int]:
    return best_matches(session, "item", stems, limit)


def find_breves_many(
    session: Session,
    queries: Sequence[Sequence[str]],
    limit: int,
    weights: Mapping[str, float] | None = None,
) -> list[list[int]]:
    return best_matches_many(session, "breve", queries, limit, weights)
