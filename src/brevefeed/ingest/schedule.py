"""Pure scheduling decisions: what an HTTP outcome means for a source, and when to fetch next.

Nothing here touches the network or the archive: ``decide`` takes the source's state and what
the fetch found, and returns the new state, so every status code and backoff rule is tested on
plain values.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

#: Statuses that move a feed for good (RFC 9110 §15.4): the stored URL follows them.
PERMANENT_REDIRECTS = frozenset({301, 308})
#: Statuses whose Retry-After header says when to come back.
THROTTLED = frozenset({429, 503})
#: A Retry-After further away than this is treated as this (a typo must not silence a feed).
MAX_RETRY_AFTER = timedelta(days=7)
#: Jitter spreads fetches of sources added together so they do not stay in lockstep.
JITTER = 0.1


@dataclass(frozen=True)
class SourceState:
    url: str
    consecutive_errors: int
    pending_redirect: str | None
    #: The source's own interval, else [ingest] interval.
    interval: timedelta
    max_interval: timedelta


@dataclass(frozen=True)
class Outcome:
    """What one fetch found. ``status`` is None when no response came (network error, limit)."""

    status: int | None
    error: str | None = None
    #: Where the chain of redirects ends if every hop was permanent (301/308), else None.
    permanent_target: str | None = None
    retry_after: str | None = None
    #: The feed's own hints (RSS ttl in minutes, skipHours in UTC) when it was parsed.
    ttl_minutes: int | None = None
    skip_hours: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Decision:
    url: str
    pending_redirect: str | None
    consecutive_errors: int
    next_fetch_at: datetime
    retry_after: datetime | None
    gone: bool
    error: str | None
    #: The fetch counts as a success (200 parsed, or 304).
    success: bool


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3); None when unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    else:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        when = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return min(max(when, now), now + MAX_RETRY_AFTER)


def backoff(errors: int, interval: timedelta, max_interval: timedelta, jitter: float) -> timedelta:
    """Delay after the ``errors``-th consecutive error: interval × 2^(errors-1), capped.

    ``jitter`` in [-1, 1] (a random draw, passed in so tests are exact) stretches the delay by
    up to ±10 %; the cap holds after jitter.
    """
    exponent = min(max(errors - 1, 0), 30)  # 2^30 intervals is past any cap
    delay: timedelta = min(interval * (2**exponent), max_interval)
    return min(delay * (1 + JITTER * jitter), max_interval)


def skip_to_allowed_hour(when: datetime, skip_hours: frozenset[int]) -> datetime:
    """The first moment at or after ``when`` whose UTC hour is not in RSS skipHours."""
    if not skip_hours or len(skip_hours) >= 24:
        return when
    when = when.astimezone(UTC)
    while when.hour in skip_hours:
        when = (when + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return when


def success_delay(
    interval: timedelta, max_interval: timedelta, ttl_minutes: int | None, jitter: float
) -> timedelta:
    """After a success: the interval, stretched to the feed's ttl when it asks for longer."""
    delay = interval
    if ttl_minutes and ttl_minutes > 0:
        delay = max(delay, min(timedelta(minutes=ttl_minutes), max_interval))
    return delay * (1 + JITTER * jitter)


def decide(state: SourceState, outcome: Outcome, now: datetime, jitter: float) -> Decision:
    """The source's state after ``outcome``.

    - 200 (parsed) or 304: success; errors reset; next fetch after the interval (or ttl),
      outside skipHours.
    - 301/308 all the way: the target is remembered; seen twice in a row, it becomes the URL
      (one stray redirect from a misconfigured server must not lose a feed). 302/307 change
      nothing.
    - 410: gone, never fetched again until re-enabled.
    - 429/503: an error, and not before Retry-After (or the backoff, whichever is later).
    - anything else (4xx, 5xx, no response, unparsable body): one more consecutive error,
      exponential backoff.
    """
    url, pending = state.url, None
    if outcome.permanent_target and outcome.permanent_target != state.url:
        if state.pending_redirect == outcome.permanent_target:
            url = outcome.permanent_target
        else:
            pending = outcome.permanent_target
    status = outcome.status
    if status == 410:
        return Decision(
            url, pending, state.consecutive_errors + 1, now + state.max_interval, None, True,
            outcome.error or "HTTP 410 Gone: the feed was removed for good", False,
        )  # fmt: skip
    if outcome.error is None and status in (200, 304):
        delay = success_delay(state.interval, state.max_interval, outcome.ttl_minutes, jitter)
        next_at = skip_to_allowed_hour(now + delay, outcome.skip_hours)
        return Decision(url, pending, 0, next_at, None, False, None, True)
    errors = state.consecutive_errors + 1
    next_at = now + backoff(errors, state.interval, state.max_interval, jitter)
    retry_after = None
    if status in THROTTLED:
        retry_after = parse_retry_after(outcome.retry_after, now)
        if retry_after is not None:
            next_at = max(next_at, retry_after)
    error = outcome.error or f"HTTP {status}"
    return Decision(url, pending, errors, next_at, retry_after, False, error, False)


@dataclass(frozen=True)
class Standing:
    """The columns of a source that say whether it may be fetched now.

    ``skip_reason`` is the rule; ``claim.claimable`` states it in SQL so the claim walks an
    index, and tests/test_claim.py checks on both backends that the two agree on every
    combination of these values.
    """

    enabled: bool
    gone: bool
    origin: str
    retry_after: datetime | None = None
    next_fetch_at: datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    last_fetch_at: datetime | None = None


def skip_reason(
    standing: Standing, now: datetime, *, force: bool, run_started: datetime
) -> str | None:
    """Why the source is not fetched now, or None when it is due.

    ``force`` (--all, --source) skips the schedule but never a gone source, a disabled one,
    a pending Retry-After or another worker's live lease. ``run_started``: a source fetched
    since then was fetched by this run (--all must not loop over sources it just fetched).
    """
    s = standing
    if not s.enabled:
        return "disabled"
    if s.gone:
        return "gone (HTTP 410), until `sources enable`"
    if s.origin == "dropped":
        return "no longer in config.toml"
    if s.retry_after is not None and s.retry_after > now:
        return f"Retry-After until {s.retry_after.isoformat()}"
    if s.lease_expires_at is not None and s.lease_expires_at >= now:
        return f"leased by {s.lease_owner} until {s.lease_expires_at.isoformat()}"
    if s.last_fetch_at is not None and s.last_fetch_at >= run_started:
        return "already fetched by this run"
    if not force and s.next_fetch_at is not None and s.next_fetch_at > now:
        return f"not due until {s.next_fetch_at.isoformat()}"
    return None
