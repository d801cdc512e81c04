from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from brevefeed.authoring.dates import to_aware
from brevefeed.errors import InputError

PARIS = ZoneInfo("Europe/Paris")


def test_date_only_is_midnight_in_the_site_zone() -> None:
    assert to_aware("2024-05-07", PARIS) == datetime(2024, 5, 7, tzinfo=PARIS)
    assert to_aware(date(2024, 5, 7), PARIS).astimezone(UTC) == datetime(2024, 5, 6, 22, tzinfo=UTC)


def test_offsets_are_kept_and_naive_times_are_local() -> None:
    assert to_aware("2024-05-07T18:30:00+02:00", PARIS).utcoffset().total_seconds() == 7200  # type: ignore[union-attr]
    assert to_aware("2024-05-07 18:30", PARIS) == datetime(2024, 5, 7, 18, 30, tzinfo=PARIS)
    assert to_aware("2024-05-07T16:30:00Z", PARIS) == datetime(2024, 5, 7, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-02-30", "mardi", "2024-13-01T10:00", ""])
def test_bad_dates(text: str) -> None:
    with pytest.raises(InputError, match="not a valid ISO 8601 date"):
        to_aware(text, PARIS)


def test_wrong_type() -> None:
    with pytest.raises(InputError, match="must be a date"):
        to_aware(20240507, PARIS)
