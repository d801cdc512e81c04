from __future__ import annotations

import pytest
from sqlalchemy import text

from brevefeed.archive import Archive
from brevefeed.search import SearchRequest, search
from brevefeed.search.postgres import WORK_MEM, compile_where, tsquery_text
from brevefeed.search.query import Term, parse_query


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


def test_where_clause_binds_every_term() -> None:
    where, params = compile_where(parse_query("(a OR title:b) -author:c"))
    assert where == (
        "((s.document @@ to_tsquery('brevefeed_french', :q0)"
        " OR s.title @@ to_tsquery('brevefeed_french', :q1))"
        " AND NOT (s.fields @@ to_tsquery('brevefeed_french', :q2)))"
    )
    assert params == {"q0": "'a'", "q1": "'b'", "q2": "'c':A"}


def test_quotes_and_operators_never_reach_sql() -> None:
    where, params = compile_where(parse_query("x'); DROP TABLE breves; -- & | !"))
    assert "DROP" not in where and "'" not in where.replace("'brevefeed_french'", "")
    assert all("'" not in value.replace("'", "", 0)[1:-1] for value in params.values())


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
