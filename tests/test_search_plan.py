from __future__ import annotations

from datetime import UTC, datetime

from brevefeed.search.plan import RankedIds, merge


def _day(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


def test_relevance_merges_kinds_by_score() -> None:
    answers = [
        RankedIds("breve", 2, [(1, 5.0, None), (2, 1.0, None)]),
        RankedIds("item", 3, [(7, 3.0, None), (8, 2.0, None), (9, 1.0, None)]),
    ]
    assert merge(answers, "relevance", 0, 3) == [
        ("breve", 1, 5.0),
        ("item", 7, 3.0),
        ("item", 8, 2.0),
    ]
    # equal scores: brèves first, then the newest id
    assert merge(answers, "relevance", 3, 5) == [("breve", 2, 1.0), ("item", 9, 1.0)]


def test_date_sorts_with_undated_last_when_newest() -> None:
    answers = [
        RankedIds("breve", 1, [(1, 0.0, _day(2))]),
        RankedIds("item", 2, [(5, 0.0, _day(3)), (6, 0.0, None)]),
    ]
    assert [row[1] for row in merge(answers, "newest", 0, 10)] == [5, 1, 6]
    assert [row[1] for row in merge(answers, "oldest", 0, 10)] == [6, 1, 5]


def test_offset_past_the_end_is_empty() -> None:
    assert merge([RankedIds("item", 1, [(1, 1.0, None)])], "relevance", 5, 10) == []
