from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from brevefeed.archive import Archive
from brevefeed.archive.models import Item, Source
from brevefeed.search import SearchPage, SearchRequest, postgres, search
from brevefeed.search.postgres import SETTINGS, WORK_MEM, tsquery_text
from brevefeed.search.query import Term
from search_corpus import load_corpus

NOW = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (Term(("agress",)), "'agress'"),
        (Term(("agress", "homophob")), "'agress' <-> 'homophob'"),
        (Term(("darman",), prefix=True), "'darman':*"),
        (Term(("forum",), "title"), "'forum'"),
        (Term(("justic",), "tag"), "'justic':C"),
        (Term(("ferrand",), "author", prefix=True), "'ferrand':*A"),
        (Term(("radio", "cot"), "source"), "'radio':B <-> 'cot':B"),
    ],
)
def test_tsquery_text(term: Term, expected: str) -> None:
    assert tsquery_text(term) == expected


def test_query_text_reaches_postgres_only_as_bound_parameters(archive: Archive) -> None:
    """What a search sends: every term a parameter, fields to their columns, exclusions over
    the whole text, and nothing of the user's text (quotes, SQL) in the statement."""
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL statements")
    sent: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    event.listen(archive.engine, "before_cursor_execute", capture)
    try:
        with archive.session(write=False) as session:
            search(
                session.connection(),
                SearchRequest("(e OR title:b) -author:f x'); DROP TABLE breves; --"),
            )
    finally:
        event.remove(archive.engine, "before_cursor_execute", capture)
    matches = [(sql, params) for sql, params in sent if "to_tsquery" in sql]
    assert matches
    for sql, params in matches:
        assert "DROP" not in sql
        assert "s.title @@" in sql and "NOT (s.fields @@" in sql
        assert isinstance(params, dict)
        assert {"'e'", "'b'", "'f':A", "'drop'"} <= set(params.values())


def test_tier_scopes_become_weights() -> None:
    assert tsquery_text(Term(("forum",)), "title") == "'forum'"
    assert tsquery_text(Term(("forum",), prefix=True), "lead") == "'forum':*"
    assert tsquery_text(Term(("justic",), "tag"), "title") == "'justic':C"


def test_a_search_sets_its_own_settings_for_its_transaction(archive: Archive) -> None:
    """Room for exact bitmaps, no JIT compilation; SET LOCAL: the next transaction starts
    afresh."""
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL setting")

    def current(session: Session) -> dict[str, str]:
        return {name: session.execute(text(f"SHOW {name}")).scalar_one() for name in SETTINGS}

    with archive.session() as session:
        defaults = current(session)
        search(session.connection(), SearchRequest("forum"))
        assert current(session) == SETTINGS == {"work_mem": WORK_MEM, "jit": "off"}
    assert defaults["work_mem"] != WORK_MEM
    with archive.session() as session:
        assert current(session) == defaults


def _statements(archive: Archive, request: SearchRequest) -> tuple[list[str], SearchPage]:
    sent: list[str] = []

    def capture(_conn, _cursor, statement, _parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(archive.engine, "before_cursor_execute", capture)
    try:
        with archive.session(write=False) as session:
            page = search(session.connection(), request)
    finally:
        event.remove(archive.engine, "before_cursor_execute", capture)
    return sent, page


def test_single_words_the_statistics_expect_far_beyond_the_cap_are_not_counted(
    archive: Archive,
) -> None:
    """« more than count_limit » from the planner's estimate for very common single words;
    rare words, phrases and prefixes are counted as before."""
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL statistics")
    with archive.session() as session:
        source = Source(url="https://radio.example.net/rss", name="radio", created_at=NOW)
        session.add(source)
        session.flush()
        for n in range(60):
            words = "coco gouvernement" + (" rare" if n < 3 else "")
            session.add(
                Item(source_id=source.id, entry_id=f"e{n}", link="", title=f"titre {n}",
                     summary_html=f"<p>{words} fin</p>", content_html="", fetched_at=NOW,
                     content_hash=str(n))
            )  # fmt: skip
    with archive.engine.begin() as conn:
        conn.execute(text("ANALYZE search_items"))

    def counted(query: str, count_limit: int = 5) -> tuple[bool, SearchPage]:
        request = SearchRequest(query, kinds=("item",), count_limit=count_limit, rank_window=5)
        sent, page = _statements(archive, request)
        return any("count(*)" in sql for sql in sent), page

    skipped, page = counted("gouvernement")
    assert not skipped and (page.total, page.exact, page.tiered) == (5, False, True)
    assert len(page.hits) == 20
    assert counted("coco gouvernement")[0] is False
    for query in ('"coco gouvernement"', "gouv*", "rare", "gouvernement rare"):
        assert counted(query)[0], query
    # Estimated at 60, below twice the cap of 41 : counted, and exact.
    exact, page = counted("gouvernement", count_limit=40)
    assert exact and (page.total, page.exact) == (40, False)
    exact, page = counted("gouvernement", count_limit=100)
    assert exact and (page.total, page.exact) == (60, True)


def test_the_title_tier_of_plain_words_reads_the_title_table(archive: Archive) -> None:
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL statements")
    load_corpus(archive)
    for query, table in (("forum", "search_items_titles"), ("tag:justice", "search_items ")):
        sent, page = _statements(archive, SearchRequest(query, kinds=("item",), rank_window=0))
        assert page.tiered and page.hits
        tier = next(sql for sql in sent if "ORDER BY s.item_id DESC" in sql)
        assert f"FROM {table}" in tier, query


def test_words_the_index_lists_far_beyond_the_cap_are_not_counted(archive: Archive) -> None:
    """Words that go together (half the items hold both) are estimated as if independent, a
    quarter; the GIN index lists them all, and that listing answers « more than … »."""
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL plans")
    with archive.session() as session:
        source = Source(url="https://radio.example.net/rss", name="radio", created_at=NOW)
        session.add(source)
        session.flush()
        for n in range(200):
            words = "police municipale" if n % 2 else "garde champêtre"
            session.add(
                Item(source_id=source.id, entry_id=f"e{n}", link="", title=f"titre {n}",
                     summary_html=f"<p>{words}</p>", content_html="", fetched_at=NOW,
                     content_hash=str(n))
            )  # fmt: skip
    with archive.engine.begin() as conn:
        conn.execute(text("ANALYZE search_items"))

    def page(count_limit: int, rank_window: int = 5) -> tuple[list[str], SearchPage]:
        request = SearchRequest(
            "police municipale", kinds=("item",), count_limit=count_limit, rank_window=rank_window
        )
        return _statements(archive, request)

    # Estimated at 50, listed at 100: beyond twice a cap of 31, below twice a cap of 51.
    sent, listed = page(30)
    assert not any("count(*)" in sql for sql in sent)
    assert (listed.total, listed.exact, len(listed.hits)) == (30, False, 20)
    sent, counted = page(50)
    assert any("count(*)" in sql for sql in sent)
    assert (counted.total, counted.exact) == (50, False)
    # Listed below the cap: ranked, and the count scores its matches in the same pass.
    sent, ranked = page(200, rank_window=200)
    assert (ranked.total, ranked.exact, ranked.tiered) == (100, True, False)
    assert sum("ts_rank_cd" in sql and "FROM search_items" in sql for sql in sent) == 1
    # The scans are given back to the rest of the transaction as they were.
    with archive.session() as session:
        session.execute(text("SET LOCAL enable_indexscan = off"))
        search(session.connection(), SearchRequest("police municipale", count_limit=30))
        settings = [
            session.execute(text(f"SHOW {name}")).scalar_one() for name in postgres._OTHER_SCANS
        ]
        assert settings == ["on", "off"]


def test_phrases_a_sample_finds_far_beyond_the_cap_are_not_counted(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phrase has no estimate and no exact listing: a random sample of the index table's
    pages (here a few of a small table) stands for it when it finds enough matches; a phrase
    the sample barely finds is counted."""
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL sampling")
    monkeypatch.setattr(postgres, "SAMPLE_PAGES", 4)
    monkeypatch.setattr(postgres, "SAMPLE_MATCHES", 5)
    with archive.session() as session:
        source = Source(url="https://radio.example.net/rss", name="radio", created_at=NOW)
        session.add(source)
        session.flush()
        for n in range(2000):
            words = "la police municipale" if n % 50 else "la garde champêtre"
            session.add(
                Item(source_id=source.id, entry_id=f"e{n}", link="", title=f"titre {n}",
                     summary_html=f"<p>{words} {n}</p>", content_html="", fetched_at=NOW,
                     content_hash=str(n))
            )  # fmt: skip
    with archive.engine.begin() as conn:
        conn.execute(text("ANALYZE search_items"))

    def page(query: str) -> tuple[bool, SearchPage]:
        request = SearchRequest(query, kinds=("item",), count_limit=30, rank_window=5)
        sent, found = _statements(archive, request)
        assert any("TABLESAMPLE" in sql for sql in sent), query
        return any("count(*)" in sql and "TABLESAMPLE" not in sql for sql in sent), found

    counted, found = page('"police municipale"')
    assert not counted and (found.total, found.exact, len(found.hits)) == (30, False, 20)
    counted, found = page('"garde champêtre"')
    assert counted and (found.total, found.exact) == (30, False)
