from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from brevefeed.ingest.dates import from_fields, parse_date

PARIS = ZoneInfo("Europe/Paris")
NOON_30 = datetime(2024, 6, 4, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "Tue, 04 Jun 2024 14:30:00 +0200",
        "Tue, 04 Jun 2024 14:30:00 CEST",
        "Tue, 04 Jun 2024 12:30:00 GMT",
        "2024-06-04T14:30:00+02:00",
        "2024-06-04T12:30:00Z",
        "mardi 4 juin 2024 à 14h30",
        "4 juin 2024 14:30 CEST",
        "Mardi 4 Juin 2024, 14:30",
        "04/06/2024 14:30",
        "4 juin 2024 12:30 +00:00",
    ],
)
def test_spellings_of_one_moment(raw: str) -> None:
    assert parse_date(raw, PARIS) == NOON_30


def test_french_day_without_time_is_local_midnight() -> None:
    assert parse_date("1er mars 2024", PARIS) == datetime(2024, 2, 29, 23, 0, tzinfo=UTC)
    assert parse_date("15 août 2023", PARIS) == datetime(2023, 8, 14, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["", "   ", None, "le lendemain de la fête", "31 février 2024"])
def test_not_a_date(raw: str | None) -> None:
    assert parse_date(raw, PARIS) is None


@pytest.mark.parametrize(
    "raw",
    [
        "0001-01-01T00:00:00+01:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59-05:00",  # after year 9999 once in UTC
        "0001-01-01",  # local midnight in Paris is still year 0 in UTC
        "Fri, 31 Dec 9999 23:59:59 -0500",
        "31/12/9999 23:59 -0500",
        "4 juin 2024 14h30 +9999",  # not an offset: offsets stay under 24 h
        "9999-12-31T12:00:00Z",  # representable, but any zone conversion would overflow
    ],
)
def test_dates_out_of_range_are_unread_not_raised(raw: str) -> None:
    assert parse_date(raw, PARIS) is None


def test_feedparser_tuples_outside_datetime_are_unread() -> None:
    assert from_fields((2024, 6, 30, 23, 59, 60)) is None  # a leap second
    assert from_fields((0, 1, 1, 0, 0, 0)) is None
    assert from_fields((2024, 6, 4, 12, 30, 0)) == NOON_30
