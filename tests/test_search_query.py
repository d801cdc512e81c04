from __future__ import annotations

import pytest

from brevefeed.errors import QueryError
from brevefeed.search.query import (
    MAX_DEPTH,
    MAX_TERMS,
    All,
    Any,
    Not,
    Term,
    and_also,
    field_term,
    parse_query,
    positive_terms,
)


def test_words_are_stemmed_and_all_required() -> None:
    assert parse_query("Agressions homophobes") == All((Term(("agress",)), Term(("homophob",))))


def test_one_word_is_a_term() -> None:
    assert parse_query("  pédocriminalité ") == Term(("pedocriminalit",))


def test_phrase_keeps_order_and_elisions_go() -> None:
    assert parse_query('"l’agression d’un homme"') == Term(("agress", "un", "homm"))


def test_elided_word_outside_quotes() -> None:
    assert parse_query("l'enquête") == Term(("enquet",))


def test_word_that_splits_becomes_a_phrase() -> None:
    assert parse_query("porte-parole") == Term(("port", "parol"))


def test_or_binds_looser_than_and() -> None:
    assert parse_query("a b OR c") == Any((All((Term(("a",)), Term(("b",)))), Term(("c",))))


def test_lower_case_or_is_a_word() -> None:
    assert parse_query("or noir") == All((Term(("or",)), Term(("noir",))))


def test_exclusions() -> None:
    assert parse_query('forum -fermé -"garde à vue"') == All(
        (Term(("forum",)), Not(Term(("ferm",))), Not(Term(("gard", "a", "vu"))))
    )


def test_prefix_is_folded_and_cut_to_its_stem() -> None:
    assert parse_query("Darmani*") == Term(("darman",), prefix=True)
    assert parse_query("pédocrim*") == Term(("pedocrim",), prefix=True)


def test_fields() -> None:
    assert parse_query('title:forum author:"Léo Ferrand" tag:Justice source:radio') == All(
        (
            Term(("forum",), "title"),
            Term(("leo", "ferrand"), "author"),
            Term(("justic",), "tag"),
            Term(("radio",), "source"),
        )
    )


def test_field_applies_inside_parentheses() -> None:
    assert parse_query("title:(forum OR bar)") == Any(
        (Term(("forum",), "title"), Term(("bar",), "title"))
    )


def test_unknown_field_is_text() -> None:
    assert parse_query("foo:bar") == Term(("foo", "bar"))


def test_negated_group() -> None:
    assert parse_query("a -(b OR c)") == All((Term(("a",)), Not(Any((Term(("b",)), Term(("c",)))))))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"phrase non fermée', Term(("phras", "non", "ferm"))),
        ("(a b", All((Term(("a",)), Term(("b",))))),
        ("a) b", All((Term(("a",)), Term(("b",))))),
        ("a OR", Term(("a",))),
        ("OR a", Term(("a",))),
        ("a - b", All((Term(("a",)), Term(("b",))))),
        ("a ^ b NEAR c", All((Term(("a",)), Term(("b",)), Term(("near",)), Term(("c",))))),
        ("{title}: a", All((Term(("titl",)), Term(("a",))))),
    ],
)
def test_forgiving_readings(query: str, expected: object) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    "query",
    ["", "   ", '""', "()", "OR", "-", "*", "^", ":", "title:", "-a", "-a -b", "a OR -b"],
)
def test_unusable_queries_are_one_line_errors(query: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_limits() -> None:
    with pytest.raises(QueryError, match="deeper"):
        parse_query("(" * (MAX_DEPTH + 1) + "a")
    parse_query("(" * MAX_DEPTH + "a")
    with pytest.raises(QueryError, match="terms"):
        parse_query("a " * (MAX_TERMS + 1))
    with pytest.raises(QueryError, match="longer"):
        parse_query("a" * 5000)


def test_positive_terms_skip_exclusions() -> None:
    assert positive_terms(parse_query("a -b (c OR d)")) == [
        Term(("a",)),
        Term(("c",)),
        Term(("d",)),
    ]


def test_options_add_field_terms() -> None:
    tree = and_also(parse_query("forum"), [field_term("tag", "Modération")])
    assert tree == All((Term(("forum",)), Term(("moder",), "tag")))
    with pytest.raises(QueryError):
        field_term("tag", "!!")
