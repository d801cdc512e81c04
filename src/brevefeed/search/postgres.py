"""Query tree → a PostgreSQL WHERE clause of tsvector matches, and the SQL that runs it.

Each term becomes ``column @@ to_tsquery('brevefeed_french', :qN)`` where the bound tsquery text
is built from stems only, each single-quoted (stems never hold a quote) with ``<->`` between the
words of a phrase, ``:*`` for a prefix and a weight letter for a field. AND, OR and exclusion
are SQL's own, so the GIN indexes combine as bitmaps. A plain word searches the whole
``document`` vector (title A, standfirst B, tags C, body D); fields map to the small ``title``
vector and to weights of the ``fields`` vector (authors A, source B, tags C) that
``archive.index`` builds; relevance tiers use ``title`` and ``lead`` (title and standfirst),
and the title tier of plain words the title table (``archive.index.TITLE_TABLES``).

Relevance is ``ts_rank_cd`` of the document against the OR of the positive document terms
(default weights {D, C, B, A} = {0.1, 0.2, 0.4, 1.0}: title > standfirst > tags > body) when a
query has at most ``rank_window`` matches, and the tiers of ``search.plan`` beyond, exactly as
on SQLite.
"""

from __future__ import annotations

from typing import Any as AnyValue

from sqlalchemy import Connection, Float, Integer, TextClause, bindparam, text

from brevefeed.archive.index import PG_CONFIG, TITLE_TABLES
from brevefeed.archive.types import UTCDateTime
from brevefeed.search.plan import KindQuery, RankedIds, Scope, hidden_breves, tier_rows
from brevefeed.search.query import All, Node, Not, Term, positive_terms
from brevefeed.search.ranked import plain_words, ranked_rows

# Field → (vector, weight). A weight makes PostgreSQL recheck each candidate row, so fields
# use the small ``title``, ``lead`` and ``fields`` vectors, never the large ``document``, and
# titles, searched most, have a vector of their own: no recheck at all.
_TARGET: dict[str | None, tuple[str, str]] = {
    None: ("document", ""),
    "title": ("title", ""),
    "tag": ("fields", "C"),
    "author": ("fields", "A"),
    "source": ("fields", "B"),
}
# Where a tier looks for plain words: the title, then title or standfirst (lead), then all.
_SCOPES: dict[Scope, tuple[str, str]] = {
    "all": ("document", ""),
    "lead": ("lead", ""),
    "title": ("title", ""),
}


def _target(term: Term, scope: Scope) -> tuple[str, str]:
    return _SCOPES[scope] if term.field is None else _TARGET[term.field]


def tsquery_text(term: Term, scope: Scope = "all") -> str:
    """``'agress' <-> 'homophob'``, ``'darman':*``, ``'justic':C``, ``'fermetur' <2> 'forum'``
    (a stop word's gap)… (to_tsquery syntax)."""
    _column, weight = _target(term, scope)
    gaps = term.gaps or (0,) * (len(term.stems) - 1)
    query = ""
    for position, stem in enumerate(term.stems):
        star = "*" if term.prefix and position == len(term.stems) - 1 else ""
        suffix = f":{star}{weight}" if star or weight else ""
        if position:
            gap = gaps[position - 1]
            query += f" <{gap + 1}> " if gap else " <-> "
        query += f"'{stem}'{suffix}"
    return query


class _Compiler:
    def __init__(self, scope: Scope = "all") -> None:
        self.params: dict[str, AnyValue] = {}
        self.scope = scope

    def _bind(self, value: str) -> str:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return name

    def clause(self, node: Node, scope: Scope | None = None) -> str:
        scope = scope or self.scope
        if isinstance(node, Term):
            column, _weight = _target(node, scope)
            name = self._bind(tsquery_text(node, scope))
            return f"s.{column} @@ to_tsquery('{PG_CONFIG}', :{name})"
        if isinstance(node, Not):  # exclusions always apply to the whole text
            return f"NOT ({self.clause(node.child, 'all')})"
        joiner = " AND " if isinstance(node, All) else " OR "
        return "(" + joiner.join(self.clause(child, scope) for child in node.children) + ")"

    def rank_query(self, node: Node) -> str | None:
        """The tsquery ranking uses: the positive terms that search the document vector."""
        texts = [tsquery_text(t) for t in positive_terms(node) if _TARGET[t.field][0] == "document"]
        if not texts:
            return None
        return self._bind(" | ".join(f"({t})" for t in texts))


#: The scheduled brèves (ix_breves_status_published_at): few, hashed once like retractions.
SCHEDULED_IDS = (
    "SELECT id FROM breves WHERE status = 'published' AND published_at > :scheduled_after"
)


def _source(
    query: KindQuery, compiler: _Compiler, sample: str = ""
) -> tuple[str, str, list[AnyValue]]:
    """FROM … WHERE … of one kind, the date expression, and typed date parameters.

    The title tier of plain words reads the title table, whose vector is named ``title`` too.
    ``sample``: a TABLESAMPLE clause for the index table.
    """
    where = [compiler.clause(query.node)]
    params = compiler.params
    titles = compiler.scope == "title" and plain_words(query.node)
    if query.kind == "breve":
        table, key, parent, date = "search_breves", "breve_id", "breves", "r.published_at"
        if (hidden := hidden_breves(query)) is not None:
            # A hashed set of the few hidden ids: no join to every match's row.
            where.append(f"s.breve_id NOT IN ({hidden})")
    else:
        table, key, parent = "search_items", "item_id", "items"
        date = "coalesce(r.published_at, r.fetched_at)"
    if titles:
        table = TITLE_TABLES[query.kind]
    binds = []
    if query.kind == "breve" and query.scheduled_after is not None:
        where.append(f"s.breve_id NOT IN ({SCHEDULED_IDS})")
        params["scheduled_after"] = query.scheduled_after
        binds.append(bindparam("scheduled_after", type_=UTCDateTime()))
    for name, operator, value in (("since", ">=", query.since), ("until", "<", query.until)):
        if value is not None:
            where.append(f"{date} {operator} :{name}")
            params[name] = value
            binds.append(bindparam(name, type_=UTCDateTime()))
    # As on SQLite, the record's own row is joined only when a filter or the sort needs it.
    joined = query.since is not None or query.until is not None or query.sort != "relevance"
    join = f"JOIN {parent} r ON r.id = s.{key}" if joined else ""
    return f"FROM {table} s {sample} {join} WHERE " + " AND ".join(where), date, binds


def _key(query: KindQuery) -> str:
    return "s.breve_id" if query.kind == "breve" else "s.item_id"


#: Memory for one search's bitmaps. At the default 4 MB, a word in a few hundred thousand rows
#: overflows its bitmap, which turns « lossy » (whole pages): every row on them is then
#: rechecked, reading its whole tsvector, and counting ten thousand matches takes seconds.
WORK_MEM = "64MB"


#: Settings of one search transaction. ``jit``: a word in a few hundred thousand rows makes
#: the planner's cost pass ``jit_above_cost``, and compiling the plan then takes longer (tens
#: of milliseconds, more with inlining) than running it; nothing in a search runs long enough
#: to repay compilation.
SETTINGS = {"work_mem": WORK_MEM, "jit": "off"}


def prepare(connection: Connection) -> None:
    """Once per search transaction, before its queries."""
    # One round trip for all (set_config(…, true) is SET LOCAL).
    settings = ", ".join(
        f"set_config('{name}', '{value}', true)" for name, value in SETTINGS.items()
    )
    connection.execute(text(f"SELECT {settings}"))


#: A count is skipped when the planner, the index or a sample expects at least this many
#: times the cap (see count).
ESTIMATE_MARGIN = 2


def count(connection: Connection, query: KindQuery) -> int:
    """Matches of one kind, counted up to ``query.count_limit + 1``.

    GIN cannot stop early: it builds the bitmap of every match (300,000 for a word in 30 % of
    a million items), then each counted match is a visit to its row. A query of single words
    that the planner's statistics (the frequency of each lexeme in a sample of 30,000 rows,
    refreshed by ANALYZE) expect in at least ``ESTIMATE_MARGIN`` times ``count_limit`` rows is
    answered « more than ``count_limit`` » without counting: sampling error is a few percent at
    such frequencies, far inside the margin. Words the statistics take for independent but
    that go together (« police municipale ») are estimated far too low: the GIN index then
    says how many rows it lists (``_listed``), and the same margin applies. Phrases, prefixes
    and weighted fields have neither: their estimates are products of word frequencies (far
    too low for a phrase's words, which go together) or ignore the weight, the index lists
    candidates for them, not matches (a recheck reads each row), and a prefix's listing merges
    the lists of every lexeme it begins, slower than counting. A random sample of the table's
    pages stands for them (``_sampled``), with the same margin.

    A query the listing or the sample puts below the cap is ranked, not tiered: it is counted
    and scored in one pass (``_count_ranked``).
    """
    compiler = _Compiler()
    source, _date, binds = _source(query, compiler)
    cap = query.count_limit + 1
    if _estimable(query.node):
        explain = text(f"EXPLAIN (FORMAT JSON) SELECT 1 {source}").bindparams(*binds)
        plan = connection.execute(explain, compiler.params).scalar_one()
        if plan[0]["Plan"]["Plan Rows"] >= ESTIMATE_MARGIN * cap:
            return cap
        if _matches_only(query):
            analyze = "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF, FORMAT JSON)"
            first = text(f"{analyze} SELECT {source} LIMIT 1").bindparams(*binds)
            listed = _listed(connection, first, compiler.params)
            if listed is not None and listed >= ESTIMATE_MARGIN * cap:
                return cap
            few = listed is not None and listed < cap
        else:
            few = False
    else:
        sampled = _sampled(connection, query)
        if sampled is None:
            few = False
        else:
            found, estimate = sampled
            if found >= SAMPLE_MATCHES and estimate >= ESTIMATE_MARGIN * cap:
                return cap
            few = estimate < cap
    if few and query.sort == "relevance":
        return _count_ranked(connection, query, cap)
    sql = text(f"SELECT count(*) FROM (SELECT 1 {source} LIMIT :cap) c").bindparams(*binds)
    return int(connection.execute(sql, compiler.params | {"cap": cap}).scalar_one())


def _cache_key(kind: str) -> str:
    return f"brevefeed.search.postgres.ranked.{kind}"


def _count_ranked(connection: Connection, query: KindQuery, cap: int) -> int:
    """Count up to ``cap`` and, in the same pass, keep the best ``query.wanted`` rows by score
    for ``run`` (``connection.info``, one entry per kind, taken by the next ``run``).

    For a query the index or the sample expects below the cap: ranked, not tiered, so its
    matches would be read twice, once to count and once to score (« plainte victime », 7,947
    matches: a heap page each, twice). Scoring rows only to count them is the cost of a wrong
    guess, bounded by the cap.
    """
    compiler = _Compiler()
    source, _date, binds = _source(query, compiler)
    rank_name = compiler.rank_query(query.node)
    score = _rank(rank_name) if rank_name else "0.0"
    sql = (
        "SELECT id, score, count(*) OVER () AS n FROM"
        f" (SELECT {_key(query)} AS id, {score} AS score {source} LIMIT :cap) c"
        " ORDER BY score DESC, id DESC LIMIT :wanted"
    )
    statement = text(sql).bindparams(*binds).columns(id=Integer(), score=Float(), n=Integer())
    params = compiler.params | {"cap": cap, "wanted": query.wanted}
    rows = connection.execute(statement, params).all()
    total = rows[0].n if rows else 0
    if 0 < total < cap:
        ranked = RankedIds(query.kind, [(row.id, float(row.score), None) for row in rows])
        connection.info[_cache_key(query.kind)] = (query, ranked)
    return int(total)


def _rank(name: str) -> str:
    return f"ts_rank_cd(s.document, to_tsquery('{PG_CONFIG}', :{name}))"


def _matches_only(query: KindQuery) -> bool:
    """Whether the count's rows are the index's matches, with no other condition (dates, hidden
    brèves) or join: the only case ``_listed`` can answer, not worth its round trips else."""
    if query.since is not None or query.until is not None or query.sort != "relevance":
        return False
    return query.kind == "item" or (hidden_breves(query) is None and query.scheduled_after is None)


_OTHER_SCANS = ("enable_seqscan", "enable_indexscan")


def _listed(connection: Connection, explain: TextClause, params: dict[str, AnyValue]) -> int | None:
    """How many rows the GIN index lists for a query of single words, or None when the plan
    does not show it (another plan shape: a filter, a join, several index scans).

    A single word's posting list is exact (no recheck), so the bitmap the index builds holds
    every match, counted by the executor, before the first row is read: ``EXPLAIN ANALYZE`` of
    ``LIMIT 1`` gives it for one index scan and one heap page, where counting to the cap reads
    a heap page per match (31,000 matches of « police municipale »: 14 ms against 50 to 380 ms
    on the benchmark archive). The bitmap also lists rows deleted or rewritten since the last
    vacuum, hence the margin: autovacuum runs before a fifth of a table is dead.

    The planner's other scans are turned off for this statement alone: read and turned off in
    one round trip, given back in one (a savepoint takes two more; round trips, not work, are
    what a loaded server makes slow). An error aborts the transaction, whose end restores them.
    """
    reads = ", ".join(f"current_setting('{name}')" for name in _OTHER_SCANS)
    turns = ", ".join(f"set_config('{name}', 'off', true)" for name in _OTHER_SCANS)
    before = connection.execute(text(f"SELECT {reads}, {turns}")).one()[: len(_OTHER_SCANS)]
    plan = connection.execute(explain, params).scalar_one()[0]["Plan"]
    back = ", ".join(f"set_config('{name}', :v{n}, true)" for n, name in enumerate(_OTHER_SCANS))
    connection.execute(text(f"SELECT {back}"), {f"v{n}": value for n, value in enumerate(before)})
    heap = plan.get("Plans", [{}])[0]
    scans = heap.get("Plans", [])
    if heap.get("Node Type") != "Bitmap Heap Scan" or "Filter" in heap or len(scans) != 1:
        return None
    if scans[0].get("Node Type") != "Bitmap Index Scan":
        return None
    return int(scans[0]["Actual Rows"])


#: Pages of the index table a sample reads (see ``_sampled``): 1 % of a million items.
SAMPLE_PAGES = 2000
#: Matches a sample must find before its estimate is trusted.
SAMPLE_MATCHES = 100


def _sampled(connection: Connection, query: KindQuery) -> tuple[int, float] | None:
    """The matches of any query found in a random sample of the index table's pages, and the
    estimate they give for the whole table; None when the table is too small to sample.

    Phrases, prefixes and weighted fields have no usable estimate and no exact listing, and
    counting them to the cap reads a heap page per match (10,000 pages, 60 to 300 ms on the
    benchmark archive). ``SAMPLE_PAGES`` random pages (TABLESAMPLE SYSTEM, the same pages for
    a given table size) are read instead, each row tested against the whole query. With at
    least ``SAMPLE_MATCHES`` matches found, the estimate's error is about a tenth; the margin
    of ``count`` is ten times that.
    """
    table = "search_breves" if query.kind == "breve" else "search_items"
    # The share of pages to read, from the table's size, in the same round trip; none of a
    # small table (counting reads at most a few times the sample's pages).
    percent = (
        "(SELECT CASE WHEN relpages >= :least THEN 100.0 * :pages / relpages ELSE 0 END"
        " FROM pg_class WHERE oid = CAST(:table AS regclass))"
    )
    compiler = _Compiler()
    source, _date, binds = _source(
        query, compiler, f"TABLESAMPLE SYSTEM ({percent}) REPEATABLE (0)"
    )
    sql = text(f"SELECT count(*), {percent} {source}").bindparams(*binds)
    sizes = {"least": 10 * SAMPLE_PAGES, "pages": SAMPLE_PAGES, "table": table}
    found, share = connection.execute(sql, compiler.params | sizes).one()
    if not share:
        return None
    return int(found), float(found * 100 / share)


def _estimable(node: Node) -> bool:
    """Single words, in the whole text or the title, however combined (see ``count``)."""
    if isinstance(node, Term):
        return len(node.stems) == 1 and not node.prefix and node.field in (None, "title")
    if isinstance(node, Not):
        return _estimable(node.child)
    return all(_estimable(child) for child in node.children)


def run(connection: Connection, query: KindQuery) -> RankedIds:
    """The best ``query.wanted`` rows of one kind: (id, score, date), in the query's order."""
    counted: tuple[KindQuery, RankedIds] | None = connection.info.pop(_cache_key(query.kind), None)
    if counted is not None and counted[0] == query:
        return counted[1]
    key = _key(query)
    if query.sort == "relevance" and query.tiered:

        def fetch(scope: Scope, limit: int) -> list[int]:
            compiler = _Compiler(scope)
            source, _date, binds = _source(query, compiler)
            sql = text(f"SELECT {key} {source} ORDER BY {key} DESC LIMIT :limit")
            params = compiler.params | {"limit": limit}
            return list(connection.execute(sql.bindparams(*binds), params).scalars())

        return RankedIds(query.kind, tier_rows(fetch, query.wanted))
    compiler = _Compiler()
    source, date, binds = _source(query, compiler)
    rank_name = compiler.rank_query(query.node)
    return ranked_rows(
        connection,
        query,
        lambda sql: text(sql).bindparams(*binds),
        compiler.params,
        key=key,
        score=_rank(rank_name) if rank_name else "0",
        date=date,
        source=source,
    )
