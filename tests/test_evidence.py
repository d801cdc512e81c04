from datetime import UTC, datetime, timedelta

from brevefeed.related.evidence import (
    CONTESTED,
    FAR,
    NEAR_BOOST,
    RELATIVE,
    WEAK_DAYS,
    clear_best,
    days_apart,
    keep_best,
    keep_best_by_item,
    story_breve,
    time_factor,
)

DAY = datetime(2024, 3, 12, 9, tzinfo=UTC)


def after(days: float) -> datetime:
    return DAY + timedelta(days=days)


def test_close_dates_count_more_distant_ones_less() -> None:
    assert time_factor(DAY, after(0.5)) == time_factor(after(2), DAY) == NEAR_BOOST
    assert NEAR_BOOST > time_factor(DAY, after(10)) > time_factor(DAY, after(20)) > 1
    assert abs(time_factor(DAY, after(30)) - 1) < 1e-9
    assert 1 > time_factor(DAY, after(200)) > FAR
    assert time_factor(DAY, after(800)) == FAR
    assert time_factor(None, DAY) == time_factor(DAY, None) == 1.0


def test_keep_best_keeps_what_is_over_the_threshold_and_near_the_best() -> None:
    scored = [(1, 0.9), (2, 0.9 * RELATIVE + 0.01), (3, 0.9 * RELATIVE - 0.01), (4, 0.1)]
    assert keep_best(scored, 0.2) == [(1, 0.9), (2, 0.9 * RELATIVE + 0.01)]
    assert keep_best([(1, 0.15)], 0.2) == []
    assert keep_best([], 0.2) == []


def test_an_item_linked_to_two_brèves_alike_joins_neither_story() -> None:
    assert clear_best([]) is None
    assert clear_best([(4, 0.4)]) == 4
    assert clear_best([(4, 0.3), (7, 0.6)]) == 7
    # Two strikes the same week: the item scores both alike, its story stays undecided.
    assert clear_best([(4, 0.37), (7, 0.37 * CONTESTED)]) is None
    assert clear_best([(4, 0.37), (7, 0.37 * CONTESTED * 0.99)]) == 4


def test_a_weak_story_join_stays_within_weeks_of_the_brève() -> None:
    day = datetime(2024, 2, 5, tzinfo=UTC)
    assert days_apart(day, day + timedelta(days=3)) == 3.0
    assert days_apart(None, day) == 0.0
    scored = [(1, 0.15), (2, 0.02)]
    assert story_breve(scored, 0.2) == 1
    assert story_breve(scored, 0.2, [WEAK_DAYS, 0.0]) == 1
    assert story_breve(scored, 0.2, [WEAK_DAYS + 1, 0.0]) is None
    # The nearer, weaker candidate does not take the far one's place.
    assert story_breve([(2, 0.02), (1, 0.15)], 0.2, [0.0, 270.0]) is None


def test_a_brève_linked_anew_takes_only_what_the_items_would_keep() -> None:
    proposals = {10: [(1, 0.5), (2, 0.3)], 11: [(1, 0.25), (3, 0.4)]}
    # Item 1 scores 0.5 with brève 10: 0.25 is under RELATIVE of it, brève 11 does not take it.
    # Item 2 already links elsewhere with 0.6: brève 10 does not take it either. Item 3 keeps.
    kept = keep_best_by_item(proposals, {2: 0.6, 3: 0.4 * RELATIVE}, 0.2)
    assert kept == {10: [(1, 0.5)], 11: [(3, 0.4)]}
    assert keep_best_by_item(proposals, {}, 0.45) == {10: [(1, 0.5)], 11: []}
