"""Query tree → a PostgreSQL WHERE clause of tsvector matches, and the SQL that runs it.

Each term becomes ``column @@ to_tsquery('brevefeed_french', :qN)`` where the bound tsquery text
is built from stems only, each single-quoted (stems never hold a quote) with ``<->`` between the
words of a phrase, ``:*`` for a prefix and a weight letter for a field. AND, OR and exclusion
are SQL's own, so the GIN indexes combine as bitmaps. Fields map to weights of the two vectors
``archive.index`` builds: ``document`` (title A, standfirst B, tags C, body D) and ``fields``
(authors A, source B); a plain word searches the whole ``document``.

Ranking is ``ts_rank_cd`` of the document against the OR of the positive document terms, with
the default weights {D, C, B, A} = {0.1, 0.2, 0.4, 1.0} so title > standfirst > tags > body.
"""

from __future__ import annotations

from typing import Any as AnyValue

from sqlalchemy import Connection, Float, Integer, bindparam, text

from brevefeed.archive.index import PG_CONFIG
from brevefeed.archive.types import UTCDateTime
from brevefeed.search.plan import KindQuery, RankedIds
from brevefeed.search.query import All, Node, Not, Term, positive_terms

_TARGET: dict[str | None, tuple[str, str]] = {
    None: ("document", ""),
    "title": ("document", "A"),
    "tag": ("document", "C"),
    "author": ("fields", "A"),
    "source": ("fields", "B"),
}


def tsquery_text(term: Term) -> str:
    """``'agress' <-> 'homophob'``, ``'darman':*``, ``'justic':C``… (to_tsquery syntax)."""
    _column, weight = _TARGET[term.field]
    lexemes = []
    for position, stem in enumerate(term.stems):
        star = "*" if term.prefix and position == len(term.stems) - 1 else ""
        suffix = f":{star}{weight}" if star or weight else ""
        lexemes.append(f"'{stem}'{suffix}")
    return " <-> ".join(lexemes)


class _Compiler:
    def __init__(self) -> None:
        self.params: dict[str, AnyValue] = {}

    def _bind(self, value: str) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return name

    def clause(self, node: Node) -> str:
        if isinstance(node, Term):
            column, _weight = _TARGET[node.field]
            name = self._bind(tsquery_text(node))
            return f"s.{column} @@ to_tsquery('{PG_CONFIG}', :{name})"
        if isinstance(node, Not):
            return f"NOT ({self.clause(node.child)})"
        joiner = " AND " if isinstance(node, All) else " OR "
        return "(" + joiner.join(self.clause(child) for child in node.children) + ")"

    def rank_query(self, node: Node) -> str | None:
        """The tsquery ranking uses: the positive terms that search the document vector."""
        texts = [tsquery_text(t) for t in positive_terms(node) if _TARGET[t.field][0] == "document"]
        if not texts:
            return None
        return self._bind(" | ".join(f"({t})" for t in texts))


def compile_where(node: Node) -> tuple[str, dict[str, AnyValue]]:
    """The WHERE clause of ``node`` over index alias ``s`` and its bound parameters."""
    compiler = _Compiler()
    return compiler.clause(node), compiler.params


def run(connection: Connection, query: KindQuery) -> RankedIds:
    """The best ``query.wanted`` ids of one kind with scores and dates, and the exact count."""
    compiler = _Compiler()
    where = [compiler.clause(query.node)]
    rank_name = compiler.rank_query(query.node)
    params = compiler.params
    if query.kind == "breve":
        table, key, parent, date = "search_breves", "breve_id", "breves", "r.published_at"
        if not query.include_retracted:
            where.append("r.status != 'retracted'")
    else:
        table, key, parent = "search_items", "item_id", "items"
        date = "coalesce(r.published_at, r.fetched_at)"
    binds = []
    if query.since is not None:
        where.append(f"{date} >= :since")
        params["since"] = query.since
        binds.append(bindparam("since", type_=UTCDateTime()))
    if query.until is not None:
        where.append(f"{date} < :until")
        params["until"] = query.until
        binds.append(bindparam("until", type_=UTCDateTime()))
    source = f"FROM {table} s JOIN {parent} r ON r.id = s.{key} WHERE " + " AND ".join(where)
    count = connection.execute(text(f"SELECT count(*) {source}").bindparams(*binds), params)
    total = int(count.scalar_one())
    if total == 0 or query.wanted == 0:
        return RankedIds(query.kind, total, [])
    score = f"ts_rank_cd(s.document, to_tsquery('{PG_CONFIG}', :{rank_name}))" if rank_name else "0"
    if query.sort == "relevance":
        # Rank only the rank_window most recent matches, as on SQLite (see search.sqlite).
        inner = (
            f"SELECT r.id AS id, s.document AS document {source} ORDER BY r.id DESC LIMIT :window"
        )
        params["window"] = query.rank_window
        score = score.replace("s.document", "w.document")
        sql_text = (
            f"SELECT w.id AS id, {score} AS score, NULL AS date FROM ({inner}) w"
            " ORDER BY score DESC, w.id DESC LIMIT :wanted"
        )
    else:
        direction = "DESC" if query.sort == "newest" else "ASC"
        sql_text = (
            f"SELECT r.id AS id, {score} AS score, {date} AS date {source}"
            f" ORDER BY date {direction}, r.id {direction} LIMIT :wanted"
        )
    sql = text(sql_text).bindparams(*binds).columns(id=Integer(), score=Float(), date=UTCDateTime())
    rows = connection.execute(sql, params | {"wanted": query.wanted}).all()
    return RankedIds(query.kind, total, [(row.id, float(row.score), row.date) for row in rows])
