"""The SELECT of one kind's best rows, the same on both backends: by score (ties, newest id
first) or by date. Only the row key, the score expression, the date column and the
``FROM … WHERE`` part differ between FTS5 and tsvector. And which queries the title tables
(``archive.index.TITLE_TABLES``) can answer alone, for the title tier on both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Float, Integer, TextClause

from brevefeed.archive.types import UTCDateTime
from brevefeed.search.plan import KindQuery, RankedIds
from brevefeed.search.query import Node, Not, Term


def ranked_rows(
    connection: Connection,
    query: KindQuery,
    statement: Callable[[str], TextClause],
    params: Mapping[str, Any],
    *,
    key: str,
    score: str,
    date: str,
    source: str,
) -> RankedIds:
    """``query.wanted`` rows of ``source``; ``statement`` binds the backend's parameters."""
    if query.sort == "relevance":
        sql = (
            f"SELECT {key} AS id, {score} AS score, NULL AS date {source}"
            f" ORDER BY score DESC, {key} DESC LIMIT :wanted"
        )
    else:
        direction = "DESC" if query.sort == "newest" else "ASC"
        # Date sorts past the rank window do not score: every match would be visited.
        score = "0.0" if query.tiered else score
        sql = (
            f"SELECT {key} AS id, {score} AS score, {date} AS date {source}"
            f" ORDER BY date {direction}, {key} {direction} LIMIT :wanted"
        )
    typed = statement(sql).columns(id=Integer(), score=Float(), date=UTCDateTime())
    rows = connection.execute(typed, {**params, "wanted": query.wanted}).all()
    return RankedIds(query.kind, [(row.id, float(row.score), row.date) for row in rows])


def plain_words(node: Node) -> bool:
    """Words and phrases only (no field, no exclusion): the title table alone can answer."""
    if isinstance(node, Term):
        return node.field is None
    if isinstance(node, Not):
        return False
    return all(plain_words(child) for child in node.children)
