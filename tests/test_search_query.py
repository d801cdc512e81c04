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
    prefix_stems,
)


def test_words_are_stemmed_and_all_required() -> None:
    assert parse_query("Agressions homophobes") == All((Term(("agress",)), Term(("homophob",))))


def test_one_word_is_a_term() -> None:
    assert parse_query("  pédocriminalité ") == Term(("pedocriminalit",))


def test_phrase_keeps_order_and_elisions_go() -> None:
    # « un » is a stop word: it leaves a gap of one word, any word.
    assert parse_query('"l’agression d’un homme"') == Term(("agress", "homm"), gaps=(1,))


def test_stop_words_are_dropped_from_a_query_of_several_words() -> None:
    assert parse_query("les agressions d'une") == Term(("agress",))
    assert parse_query("forum OR les") == Term(("forum",))
    assert parse_query('"la fermeture du forum"') == Term(("fermetur", "forum"), gaps=(1,))


@pytest.mark.parametrize("query", ["les", "une", "les une", '"il y a"', "la OR le", "-les"])
def test_a_query_of_stop_words_only_says_so(query: str) -> None:
    with pytest.raises(QueryError, match=r"too common to search|needs a word"):
        parse_query(query)


def test_a_prefix_also_stands_for_the_stems_of_the_words_it_begins() -> None:
    """« agression » is indexed as agress, which agressio* does not begin."""
    assert parse_query("agressio*") == Any((Term(("agressio",), prefix=True), Term(("agress",))))
    assert prefix_stems("chevau") == ("cheval",)  # chevaux → cheval
    assert prefix_stems("agr") == ()  # too short to widen


def test_elided_word_outside_quotes() -> None:
    assert parse_query("l'enquête") == Term(("enquet",))


def test_word_that_splits_becomes_a_phrase() -> None:
    assert parse_query("porte-parole") == Term(("port", "parol"))


def test_or_binds_looser_than_and() -> None:
    assert parse_query("e b OR f") == Any((All((Term(("e",)), Term(("b",)))), Term(("f",))))


def test_lower_case_or_is_a_word() -> None:
    assert parse_query("or noir") == All((Term(("or",)), Term(("noir",))))


def test_exclusions() -> None:
    assert parse_query('forum -fermé -"garde à vue"') == All(
        (Term(("forum",)), Not(Term(("ferm",))), Not(Term(("gard", "vu"), gaps=(1,))))
    )


def test_prefix_is_folded_and_cut_to_its_stem() -> None:
    assert parse_query("Darmani*") == Term(("darman",), prefix=True)
    first = parse_query("pédocrim*")
    assert isinstance(first, Any)
    assert first.children[0] == Term(("pedocrim",), prefix=True)


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
    assert parse_query("e -(b OR f)") == All((Term(("e",)), Not(Any((Term(("b",)), Term(("f",)))))))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"phrase non fermée', Term(("phras", "non", "ferm"))),
        ("(e b", All((Term(("e",)), Term(("b",))))),
        ("e) b", All((Term(("e",)), Term(("b",))))),
        ("e OR", Term(("e",))),
        ("OR e", Term(("e",))),
        ("e - b", All((Term(("e",)), Term(("b",))))),
        ("e ^ b NEAR f", All((Term(("e",)), Term(("b",)), Term(("near",)), Term(("f",))))),
        ("{title}: e", All((Term(("titl",)), Term(("e",))))),
    ],
)
def test_forgiving_readings(query: str, expected: object) -> None:
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    "query",
    ["", "   ", '""', "()", "OR", "-", "*", "^", ":", "title:", "-e", "-e -b", "e OR -b"],
)
def test_unusable_queries_are_one_line_errors(query: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(query)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_limits() -> None:
    with pytest.raises(QueryError, match="deeper"):
        parse_query("(" * (MAX_DEPTH + 1) + "e")
    parse_query("(" * MAX_DEPTH + "e")
    with pytest.raises(QueryError, match="terms"):
        parse_query("e " * (MAX_TERMS + 1))
    with pytest.raises(QueryError, match="longer"):
        parse_query("e" * 5000)


def test_positive_terms_skip_exclusions() -> None:
    assert positive_terms(parse_query("e -b (f OR g)")) == [
        Term(("e",)),
        Term(("f",)),
        Term(("g",)),
    ]


def test_options_add_field_terms() -> None:
    tree = and_also(parse_query("forum"), [field_term("tag", "Modération")])
    assert tree == All((Term(("forum",)), Term(("moder",), "tag")))
    with pytest.raises(QueryError):
        field_term("tag", "!!")
