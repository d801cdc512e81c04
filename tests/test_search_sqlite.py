from __future__ import annotations

import pytest

from brevefeed.search.query import parse_query
from brevefeed.search.ranked import plain_words
from brevefeed.search.sqlite import to_match


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("agression", '{title standfirst body tag} : "agress"'),
        # A stop word leaves a gap, which FTS5 can only say with NEAR.
        ('"site de rencontres"', '{title standfirst body tag} : NEAR("sit" "rencontr", 1)'),
        ('"site web"', '{title standfirst body tag} : "sit web"'),
        # The prefix, and the stems of the words it begins that it does not begin itself.
        (
            "agressio*",
            '({title standfirst body tag} : "agressio" *'
            ' OR {title standfirst body tag} : "agress")',
        ),
        ("title:forum", '{title} : "forum"'),
        ("author:ferrand", '{author} : "ferrand"'),
        ("tag:justice source:radio", '({tag} : "justic" AND {source} : "radio")'),
        ("e OR b", '({title standfirst body tag} : "e" OR {title standfirst body tag} : "b")'),
        (
            "e -b -f",
            '((({title standfirst body tag} : "e") NOT {title standfirst body tag} : "b")'
            ' NOT {title standfirst body tag} : "f")',
        ),
    ],
)
def test_match_expressions(query: str, expected: str) -> None:
    assert to_match(parse_query(query)) == expected


@pytest.mark.parametrize("query", ['a" OR "b', "NEAR(a b)", "a^b", "x:y", "{body}: z", "a AND b"])
def test_no_input_reaches_fts5_as_syntax(query: str) -> None:
    match = to_match(parse_query(query))
    quoted = match.split('"')[1::2]
    assert all(part.replace(" ", "").isalnum() for part in quoted)
    outside = "".join(match.split('"')[0::2])
    assert set(outside) <= set("{} :()*ANDORTtitlestandfirstbodytagNO")


def test_tier_scopes_narrow_plain_words_but_not_exclusions() -> None:
    tree = parse_query("forum tag:justice -fermé")
    assert to_match(tree, "title") == (
        '(({title} : "forum" AND {tag} : "justic") NOT {title standfirst body tag} : "ferm")'
    )
    assert to_match(tree, "lead").startswith('(({title standfirst} : "forum"')


def test_queries_of_plain_words_go_to_the_title_table_without_columns() -> None:
    tree = parse_query('forum OR ("garde-fou" pedocriminel*)')
    assert plain_words(tree)
    assert to_match(tree, None) == '("forum" OR ("gard fou" AND "pedocriminel" *))'
    for query in ("forum tag:justice", "forum -fermé", "title:forum"):
        assert not plain_words(parse_query(query))
