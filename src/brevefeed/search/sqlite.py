"""Query tree → an FTS5 MATCH expression, and the SQL that runs it on SQLite.

The MATCH string is rebuilt from stems only: each is double-quoted (stems hold letters, digits,
« . » and « , », never a quote), so no input can inject FTS5 syntax (``NEAR``, ``^``, ``:``…).

Relevance is bm25 with the column weights of ``archive.index.SQLITE_WEIGHTS`` (title above
standfirst above tags above body) when a query has at most ``rank_window`` matches, and tiers
beyond (see ``search.plan``): FTS5 reads a term's document list in rowid order and stops at the
LIMIT, which it cannot do once bm25 is asked for. The title tier of a query of plain words asks
the title table (``archive.index.TITLE_TABLES``), whose lists hold titles only.
"""

from __future__ import annotations

from typing import Any as AnyValue

from sqlalchemy import Connection, TextClause, bindparam, text

from brevefeed.archive.index import FTS_COLUMNS, SQLITE_WEIGHTS, TITLE_TABLES
from brevefeed.archive.types import UTCDateTime
from brevefeed.search.plan import Kind, KindQuery, RankedIds, Scope, hidden_breves, tier_rows
from brevefeed.search.query import Any, Node, Not, Term
from brevefeed.search.ranked import plain_words, ranked_rows

_COLUMNS = {
    None: "{title standfirst body tag}",
    "title": "{title}",
    "author": "{author}",
    "tag": "{tag}",
    "source": "{source}",
}
_SCOPES: dict[Scope, str] = {
    "all": _COLUMNS[None],
    "lead": "{title standfirst}",
    "title": "{title}",
}


def _term(term: Term, scope: Scope | None) -> str:
    # One quoted string is an FTS5 phrase: its tokens must follow each other.
    runs = ['"' + " ".join(run) + '"' for run in term.runs()]
    if term.prefix:
        runs[-1] = f"{runs[-1]} *"
    # A phrase's stop words leave gaps, which FTS5 phrases cannot hold: its runs must then be
    # NEAR each other, as many words apart as the gaps allow (in either order: FTS5's NEAR
    # does not keep it, where PostgreSQL's <N> does).
    phrase = runs[0] if len(runs) == 1 else f"NEAR({' '.join(runs)}, {sum(term.gaps)})"
    if scope is None:  # a table of one column
        return phrase
    columns = _SCOPES[scope] if term.field is None else _COLUMNS[term.field]
    return f"{columns} : {phrase}"


def to_match(node: Node, scope: Scope | None = "all") -> str:
    """The FTS5 expression of ``node`` (validated by ``parse_query``: Not only under All).

    ``scope`` narrows where plain words must be found (for tiers); exclusions always apply to
    the whole text. No scope: no column filter (for the title table, plain words only).
    """
    if isinstance(node, Term):
        return _term(node, scope)
    if isinstance(node, Any):
        return "(" + " OR ".join(to_match(child, scope) for child in node.children) + ")"
    if isinstance(node, Not):
        raise ValueError("a lone exclusion has no FTS5 form")  # parse_query refuses these
    positive = [to_match(c, scope) for c in node.children if not isinstance(c, Not)]
    negative = [to_match(c.child) for c in node.children if isinstance(c, Not)]
    expression = "(" + " AND ".join(positive) + ")"
    for excluded in negative:
        expression = f"({expression} NOT {excluded})"
    return expression


assert len(SQLITE_WEIGHTS) == len(FTS_COLUMNS)
_BM25 = ", ".join(str(weight) for weight in SQLITE_WEIGHTS)


#: The scheduled brèves (ix_breves_status_published_at): few, gathered once like retractions.
SCHEDULED_IDS = (
    "SELECT id FROM breves WHERE status = 'published' AND published_at > :scheduled_after"
)


def _filters(query: KindQuery) -> tuple[str, str, str, dict[str, AnyValue]]:
    """JOIN, WHERE and date expression for dates and retraction; no JOIN when none is needed."""
    params: dict[str, AnyValue] = {}
    where: list[str] = []
    if query.kind == "breve":
        table, date = "breves", "r.published_at"
        if (hidden := hidden_breves(query)) is not None:
            # The few hidden ids are gathered once (status index); a join would read the row
            # of every match (1.3 ms against 0.2 for a word in 1,500 brèves).
            where.append(f"f.rowid NOT IN ({hidden})")
        if query.scheduled_after is not None:
            where.append(f"f.rowid NOT IN ({SCHEDULED_IDS})")
            params["scheduled_after"] = query.scheduled_after
    else:
        table, date = "items", "coalesce(r.published_at, r.fetched_at)"
    if query.since is not None:
        where.append(f"{date} >= :since")
        params["since"] = query.since
    if query.until is not None:
        where.append(f"{date} < :until")
        params["until"] = query.until
    # Counting a common word's matches stays inside FTS5 when nothing needs the record itself.
    dated = query.since is not None or query.until is not None or query.sort != "relevance"
    join = f"JOIN {table} r ON r.id = f.rowid" if dated else ""
    return join, "".join(f" AND {condition}" for condition in where), date, params


def _statement(sql: str, params: dict[str, AnyValue]) -> TextClause:
    names = ("since", "until", "scheduled_after")
    dates = [bindparam(name, type_=UTCDateTime()) for name in names if name in params]
    return text(sql).bindparams(*dates)


def _source(query: KindQuery, scope: Scope = "all") -> tuple[str, str, dict[str, AnyValue]]:
    join, where, date, params = _filters(query)
    if scope == "title" and plain_words(query.node):
        table = TITLE_TABLES[query.kind]
        params["match"] = to_match(query.node, None)
    else:
        table = _table(query.kind)
        params["match"] = to_match(query.node, scope)
    return f"FROM {table} f {join} WHERE {table} MATCH :match{where}", date, params


def count(connection: Connection, query: KindQuery) -> int:
    """Matches of one kind, counted up to ``query.count_limit + 1``."""
    source, _date, params = _source(query)
    sql = f"SELECT count(*) FROM (SELECT 1 {source} LIMIT :cap)"
    params["cap"] = query.count_limit + 1
    return int(connection.execute(_statement(sql, params), params).scalar_one())


def run(connection: Connection, query: KindQuery) -> RankedIds:
    """The best ``query.wanted`` rows of one kind: (id, score, date), in the query's order."""
    if query.sort == "relevance" and query.tiered:

        def fetch(scope: Scope, limit: int) -> list[int]:
            source, _date, params = _source(query, scope)
            sql = f"SELECT f.rowid {source} ORDER BY f.rowid DESC LIMIT :limit"
            params["limit"] = limit
            return list(connection.execute(_statement(sql, params), params).scalars())

        return RankedIds(query.kind, tier_rows(fetch, query.wanted))
    source, date, params = _source(query)
    return ranked_rows(
        connection,
        query,
        lambda sql: _statement(sql, params),
        params,
        key="f.rowid",
        score=f"-bm25({_table(query.kind)}, {_BM25})",
        date=date,
        source=source,
    )


def _table(kind: Kind) -> str:
    return "search_breves" if kind == "breve" else "search_items"
