from __future__ import annotations

import pytest

from brevefeed.search.query import parse_query
from brevefeed.search.ranked import plain_words
from brevefeed.search.sqlite import to_match


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("agression", '{title standfirst body tag} : "agress"'),
        ('"site de rencontres"', '{title standfirst body tag} : "sit de rencontr"'),
        ("pedocrim*", '{title standfirst body tag} : "pedocrim" *'),
        ("title:forum", '{title} : "forum"'),
        ("author:ferrand", '{author} : "ferrand"'),
        ("tag:justice source:radio", '({tag} : "justic" AND {source} : "radio")'),
        ("a OR b", '({title standfirst body tag} : "a" OR {title standfirst body tag} : "b")'),
        (
            "a -b -c",
            '((({title standfirst body tag} : "a") NOT {title standfirst body tag} : "b")'
            ' NOT {title standfirst body tag} : "c")',
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
    tree = parse_query('forum OR ("garde à vue" pedocrim*)')
    assert plain_words(tree)
    assert to_match(tree, None) == '("forum" OR ("gard a vu" AND "pedocrim" *))'
    for query in ("forum tag:justice", "forum -fermé", "title:forum"):
        assert not plain_words(parse_query(query))
