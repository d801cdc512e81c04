from __future__ import annotations

from datetime import UTC, datetime

from brevefeed.search.plan import RankedIds, Scope, merge, tier_rows


def _day(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


def test_relevance_merges_kinds_by_score() -> None:
    answers = [
        RankedIds("breve", [(1, 5.0, None), (2, 1.0, None)]),
        RankedIds("item", [(7, 3.0, None), (8, 2.0, None), (9, 1.0, None)]),
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
        RankedIds("breve", [(1, 0.0, _day(2))]),
        RankedIds("item", [(5, 0.0, _day(3)), (6, 0.0, None)]),
    ]
    assert [row[1] for row in merge(answers, "newest", 0, 10)] == [5, 1, 6]
    assert [row[1] for row in merge(answers, "oldest", 0, 10)] == [6, 1, 5]


def test_offset_past_the_end_is_empty() -> None:
    assert merge([RankedIds("item", [(1, 1.0, None)])], "relevance", 5, 10) == []


def test_tiers_take_title_then_lead_then_anywhere_newest_first() -> None:
    tiers: dict[Scope, list[int]] = {
        "title": [9, 4],
        "lead": [9, 8, 4, 2],
        "all": [9, 8, 7, 4, 2, 1],
    }
    asked: list[tuple[Scope, int]] = []

    def fetch(scope: Scope, limit: int) -> list[int]:
        asked.append((scope, limit))
        return tiers[scope][:limit]

    assert tier_rows(fetch, 5) == [
        (9, 3.0, None),
        (4, 3.0, None),
        (8, 2.0, None),
        (2, 2.0, None),
        (7, 1.0, None),
    ]
    assert asked == [("title", 5), ("lead", 7), ("all", 9)]
    asked.clear()
    assert [row[0] for row in tier_rows(fetch, 2)] == [9, 4]
    assert asked == [("title", 2)]
