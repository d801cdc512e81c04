from __future__ import annotations

import pytest
from sqlalchemy import event, text

from brevefeed.archive import Archive
from brevefeed.search import SearchRequest, search
from brevefeed.search.postgres import WORK_MEM, tsquery_text
from brevefeed.search.query import Term


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
            search(session, SearchRequest("(e OR title:b) -author:f x'); DROP TABLE breves; --"))
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


def test_a_search_gets_room_for_exact_bitmaps(archive: Archive) -> None:
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL setting")
    with archive.session() as session:
        default = session.execute(text("SHOW work_mem")).scalar_one()
        search(session, SearchRequest("forum"))
        assert session.execute(text("SHOW work_mem")).scalar_one() == WORK_MEM != default
    with archive.session() as session:  # SET LOCAL: the next transaction starts afresh
        assert session.execute(text("SHOW work_mem")).scalar_one() == default
