"""Command-line dates: parsed by click's ParamTypes, placed in the site's zone afterwards."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner

from brevefeed.cli.dates import INSTANT, PERIOD, Period, parse_period, since_option

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024", datetime(2024, 1, 1, tzinfo=PARIS), datetime(2025, 1, 1, tzinfo=PARIS)),
        ("2024-05", datetime(2024, 5, 1, tzinfo=PARIS), datetime(2024, 6, 1, tzinfo=PARIS)),
        ("2024-12", datetime(2024, 12, 1, tzinfo=PARIS), datetime(2025, 1, 1, tzinfo=PARIS)),
        ("2024-05-07", datetime(2024, 5, 7, tzinfo=PARIS), datetime(2024, 5, 8, tzinfo=PARIS)),
        (
            "2024-05-07T18:30",
            datetime(2024, 5, 7, 18, 30, tzinfo=PARIS),
            datetime(2024, 5, 7, 18, 30, tzinfo=PARIS),
        ),
        (
            "2024-05-07T16:30:00Z",
            datetime(2024, 5, 7, 16, 30, tzinfo=UTC),
            datetime(2024, 5, 7, 16, 30, tzinfo=UTC),
        ),
    ],
)
def test_period_bounds(text: str, start: datetime, end: datetime) -> None:
    period = PERIOD.convert(text, None, None)
    assert (period.start(PARIS), period.end(PARIS)) == (start, end)


@pytest.mark.parametrize("text", ["2024-13", "mardi", "2024-02-30", "", "24", "2024-05-07T25:00"])
def test_nonsense_is_a_usage_error_naming_the_option(text: str) -> None:
    @click.command()
    @since_option
    def show(since: Period | None) -> None:
        click.echo(repr(since))

    result = CliRunner().invoke(show, ["--since", text])
    assert result.exit_code == 2
    assert "Invalid value for '--since'" in result.stderr
    assert "is not a date" in result.stderr
    assert "Traceback" not in result.output


def test_instant_is_midnight_or_the_time_given() -> None:
    assert INSTANT.convert("2024-05-07", None, None).start(PARIS) == datetime(
        2024, 5, 7, tzinfo=PARIS
    )
    with pytest.raises(click.BadParameter, match="not a valid ISO 8601 date"):
        INSTANT.convert("2024-05", None, None)


def test_parse_period_keeps_the_date_as_written() -> None:
    assert parse_period(" 2024-05 ") == Period(datetime(2024, 5, 1), "month")
