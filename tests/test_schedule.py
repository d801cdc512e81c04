from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from brevefeed.ingest.schedule import (
    MAX_RETRY_AFTER,
    Outcome,
    SourceState,
    Standing,
    backoff,
    decide,
    parse_retry_after,
    skip_reason,
    skip_to_allowed_hour,
)

NOW = datetime(2024, 6, 4, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
STATE = SourceState("https://a.example/rss", 0, None, HOUR, timedelta(days=1))


def test_success_schedules_after_the_interval_and_resets_errors() -> None:
    failing = SourceState(STATE.url, 4, None, HOUR, timedelta(days=1))
    decision = decide(failing, Outcome(200), NOW, jitter=0.0)
    assert decision.success and decision.consecutive_errors == 0 and decision.error is None
    assert decision.next_fetch_at == NOW + HOUR


def test_304_is_a_success() -> None:
    assert decide(STATE, Outcome(304), NOW, 0.0).success


def test_ttl_longer_than_the_interval_stretches_it_up_to_the_cap() -> None:
    assert decide(STATE, Outcome(200, ttl_minutes=180), NOW, 0.0).next_fetch_at == NOW + 3 * HOUR
    capped = decide(STATE, Outcome(200, ttl_minutes=100_000), NOW, 0.0)
    assert capped.next_fetch_at == NOW + timedelta(days=1)


def test_skip_hours_push_the_next_fetch_out() -> None:
    # 10:00 + 1 h = 11:00, skipped with 12:00 too: 13:00.
    decision = decide(STATE, Outcome(200, skip_hours=frozenset({11, 12})), NOW, 0.0)
    assert decision.next_fetch_at == NOW.replace(hour=13)
    assert skip_to_allowed_hour(NOW, frozenset(range(24))) == NOW


def test_errors_back_off_exponentially_with_a_cap() -> None:
    delays = [backoff(n, HOUR, timedelta(hours=10), 0.0) for n in range(1, 7)]
    assert delays == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 10 * HOUR, 10 * HOUR]
    assert backoff(10_000, HOUR, timedelta(hours=10), 1.0) == timedelta(hours=10)


def test_jitter_stays_within_ten_percent() -> None:
    low, high = backoff(2, HOUR, timedelta(days=1), -1.0), backoff(2, HOUR, timedelta(days=1), 1.0)
    assert low == 2 * HOUR * 0.9 and high == 2 * HOUR * 1.1


@pytest.mark.parametrize("status", [None, 400, 403, 404, 500, 502])
def test_failures_count_and_back_off(status: int | None) -> None:
    decision = decide(STATE, Outcome(status, error="boom" if status is None else None), NOW, 0.0)
    assert not decision.success and decision.consecutive_errors == 1 and not decision.gone
    assert decision.error == ("boom" if status is None else f"HTTP {status}")


def test_a_200_that_does_not_parse_is_an_error() -> None:
    decision = decide(STATE, Outcome(200, error="an HTML page, not a feed"), NOW, 0.0)
    assert not decision.success and decision.error == "an HTML page, not a feed"


def test_410_is_gone() -> None:
    decision = decide(STATE, Outcome(410), NOW, 0.0)
    assert decision.gone and not decision.success


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_is_honoured(status: int) -> None:
    decision = decide(STATE, Outcome(status, retry_after="7200"), NOW, 0.0)
    assert decision.retry_after == NOW + 2 * HOUR
    assert decision.next_fetch_at == NOW + 2 * HOUR


def test_retry_after_date_and_garbage() -> None:
    assert parse_retry_after("Tue, 04 Jun 2024 12:00:00 GMT", NOW) == NOW + 2 * HOUR
    assert parse_retry_after("bientôt", NOW) is None
    assert parse_retry_after("99999999", NOW) == NOW + MAX_RETRY_AFTER
    assert parse_retry_after("Mon, 03 Jun 2024 12:00:00 GMT", NOW) == NOW  # in the past


def test_permanent_redirect_moves_the_url_only_when_seen_twice() -> None:
    target = "https://b.example/rss"
    first = decide(STATE, Outcome(200, permanent_target=target), NOW, 0.0)
    assert first.url == STATE.url and first.pending_redirect == target
    seen = SourceState(STATE.url, 0, target, HOUR, timedelta(days=1))
    second = decide(seen, Outcome(200, permanent_target=target), NOW, 0.0)
    assert second.url == target and second.pending_redirect is None
    # A fetch without the redirect forgets it.
    assert decide(seen, Outcome(200), NOW, 0.0).pending_redirect is None


def test_skip_reason_names_what_holds_a_source_back() -> None:
    ready = Standing(enabled=True, gone=False, origin="cli")

    def why(force: bool = False, **changes: object) -> str | None:
        return skip_reason(replace(ready, **changes), NOW, force=force, run_started=NOW - HOUR)

    assert why() is None and why(next_fetch_at=NOW) is None
    assert why(next_fetch_at=NOW + HOUR) == f"not due until {(NOW + HOUR).isoformat()}"
    assert why(force=True, next_fetch_at=NOW + HOUR) is None
    assert why(force=True, enabled=False) == "disabled"
    assert why(force=True, gone=True) == "gone (HTTP 410), until `sources enable`"
    assert why(force=True, origin="dropped") == "no longer in config.toml"
    assert (
        why(force=True, retry_after=NOW + HOUR) == f"Retry-After until {(NOW + HOUR).isoformat()}"
    )
    leased = why(force=True, lease_owner="host:12:ab", lease_expires_at=NOW)
    assert leased == f"leased by host:12:ab until {NOW.isoformat()}"
    assert why(force=True, last_fetch_at=NOW - HOUR) == "already fetched by this run"
    assert why(force=True, last_fetch_at=NOW - 2 * HOUR, lease_expires_at=NOW - HOUR) is None
