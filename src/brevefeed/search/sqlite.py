"""Query tree → an FTS5 MATCH expression, and the SQL that runs it on SQLite.

The MATCH string is rebuilt from stems only: each is double-quoted (stems hold letters, digits,
« . » and « , », never a quote), so no input can inject FTS5 syntax (``NEAR``, ``^``, ``:``…).

Ranking is bm25 with the column weights of ``archive.index.SQLITE_WEIGHTS`` (title above
standfirst above body). bm25 costs a few microseconds per matching row, so a common word matching
300,000 items would take most of a second to rank in full: the ranked window is the
``rank_window`` most recent matches (rowid descending; item rowids grow with ingestion), which
FTS5 walks in rowid order and stops early. The hit count is still exact: counting matches does
not compute bm25.
"""

from __future__ import annotations

from typing import Any as AnyValue

from sqlalchemy import Connection, Float, Integer, TextClause, bindparam, text

from brevefeed.archive.index import FTS_COLUMNS, SQLITE_WEIGHTS
from brevefeed.archive.types import UTCDateTime
from brevefeed.search.plan import Kind, KindQuery, RankedIds
from brevefeed.search.query import Any, Node, Not, Term

_COLUMNS = {
    None: "{title standfirst body tag}",
    "title": "{title}",
    "author": "{author}",
    "tag": "{tag}",
    "source": "{source}",
}


def _term(term: Term) -> str:
    # One quoted string is an FTS5 phrase: its tokens must follow each other.
    phrase = '"' + " ".join(term.stems) + '"'
    if term.prefix:
        phrase = f"{phrase} *"
    return f"{_COLUMNS[term.field]} : {phrase}"


def to_match(node: Node) -> str:
    """The FTS5 expression of ``node`` (validated by ``parse_query``: Not only under All)."""
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, Any):
        return "(" + " OR ".join(to_match(child) for child in node.children) + ")"
    if isinstance(node, Not):
        raise ValueError("a lone exclusion has no FTS5 form")  # parse_query refuses these
    positive = [to_match(c) for c in node.children if not isinstance(c, Not)]
    negative = [to_match(c.child) for c in node.children if isinstance(c, Not)]
    expression = "(" + " AND ".join(positive) + ")"
    for excluded in negative:
        expression = f"({expression} NOT {excluded})"
    return expression


assert len(SQLITE_WEIGHTS) == len(FTS_COLUMNS)
_BM25 = ", ".join(str(weight) for weight in SQLITE_WEIGHTS)


def _filters(query: KindQuery) -> tuple[str, str, str, dict[str, AnyValue]]:
    """JOIN, WHERE and date expression for dates and retraction; no JOIN when none is needed."""
    params: dict[str, AnyValue] = {}
    where: list[str] = []
    if query.kind == "breve":
        table, date = "breves", "r.published_at"
        if not query.include_retracted:
            where.append("r.status != 'retracted'")
    else:
        table, date = "items", "coalesce(r.published_at, r.fetched_at)"
    if query.since is not None:
        where.append(f"{date} >= :since")
        params["since"] = query.since
    if query.until is not None:
        where.append(f"{date} < :until")
        params["until"] = query.until
    # Counting a common word's matches stays inside FTS5 when nothing needs the record itself.
    join = f"JOIN {table} r ON r.id = f.rowid" if where or query.sort != "relevance" else ""
    return join, "".join(f" AND {condition}" for condition in where), date, params


def _statement(sql: str, params: dict[str, AnyValue]) -> TextClause:
    dates = [bindparam(name, type_=UTCDateTime()) for name in ("since", "until") if name in params]
    return text(sql).bindparams(*dates)


def run(connection: Connection, query: KindQuery) -> RankedIds:
    """The best ``query.wanted`` ids of one kind with scores and dates, and the exact count."""
    table = _table(query.kind)
    join, where, date, params = _filters(query)
    params["match"] = to_match(query.node)
    source = f"FROM {table} f {join} WHERE {table} MATCH :match{where}"
    total = int(
        connection.execute(_statement(f"SELECT count(*) {source}", params), params).scalar_one()
    )
    if total == 0 or query.wanted == 0:
        return RankedIds(query.kind, total, [])
    score = f"-bm25({table}, {_BM25})"
    if query.sort == "relevance":
        params["window"] = query.rank_window
        sql = (
            f"SELECT id, score, NULL AS date FROM ("
            f" SELECT f.rowid AS id, {score} AS score {source}"
            f" ORDER BY f.rowid DESC LIMIT :window)"
            f" ORDER BY score DESC, id DESC LIMIT :wanted"
        )
    else:
        direction = "DESC" if query.sort == "newest" else "ASC"
        sql = (
            f"SELECT f.rowid AS id, {score} AS score, {date} AS date {source}"
            f" ORDER BY date {direction}, f.rowid {direction} LIMIT :wanted"
        )
    statement = _statement(sql, params).columns(id=Integer(), score=Float(), date=UTCDateTime())
    rows = connection.execute(statement, params | {"wanted": query.wanted}).all()
    return RankedIds(query.kind, total, [(row.id, float(row.score), row.date) for row in rows])


def _table(kind: Kind) -> str:
    return "search_breves" if kind == "breve" else "search_items"
