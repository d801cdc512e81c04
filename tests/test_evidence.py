from datetime import UTC, datetime, timedelta

from brevefeed.related.evidence import FAR, NEAR_BOOST, RELATIVE, keep_best, time_factor

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
