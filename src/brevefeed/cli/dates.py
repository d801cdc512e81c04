"""Dates on the command line (``--since``, ``--until``, ``--date``), checked as click parses.

A bad date is a usage error naming its option, like any other bad value. The time zone they
are read in is the site's, known only once config.toml is loaded, so parsing keeps the
date as written and the command places it in the zone (``Period.start``/``Period.end``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Literal

import click

from brevefeed.authoring.dates import MONTHS, to_aware

Step = Literal["year", "month", "day", "instant"]


@dataclass(frozen=True)
class Period:
    """A date as given: a year, a month, a day, or an instant (naive means the site's zone)."""

    first: datetime
    step: Step

    def start(self, tz: tzinfo) -> datetime:
        """The period's first instant: ``--since 2024-05`` is from 1 May, 00:00."""
        return to_aware(self.first, tz)

    def end(self, tz: tzinfo) -> datetime:
        """The instant just after the period, so ``--until 2024-05`` includes all of May."""
        first = self.first
        if self.step == "year":
            return to_aware(first.replace(year=first.year + 1), tz)
        if self.step == "month":
            following = first.replace(
                year=first.year + first.month // 12, month=first.month % 12 + 1
            )
            return to_aware(following, tz)
        if self.step == "day":
            return to_aware(first.date() + timedelta(days=1), tz)
        return self.start(tz)


def parse_period(text: str) -> Period:
    """``2024``, ``2024-05``, ``2024-05-07`` or an ISO 8601 date-time; ValueError otherwise."""
    text = text.strip()
    parts = text.split("-")
    if len(parts) == 1 and text.isdigit() and len(text) == 4:
        return Period(datetime(int(text), 1, 1), "year")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return Period(datetime(int(parts[0]), int(parts[1]), 1), "month")
    if len(parts) == 3 and "T" not in text and " " not in text:
        day = date.fromisoformat(text)
        return Period(datetime(day.year, day.month, day.day), "day")
    return Period(parse_instant(text), "instant")


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date (midnight) or date-time; ValueError otherwise."""
    text = text.strip()
    if "T" in text or " " in text:
        return datetime.fromisoformat(text)
    day = date.fromisoformat(text)
    return datetime(day.year, day.month, day.day)


if TYPE_CHECKING:
    _DateType = click.ParamType[Period]
else:  # ParamType is generic only from click 8.2 on
    _DateType = click.ParamType


class DateType(_DateType):
    """A date option: parsed by ``parse``, or a usage error naming the option and ``expected``."""

    name = "date"

    def __init__(self, parse: Callable[[str], Period], expected: str):
        self.parse = parse
        self.expected = expected

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Period:
        if isinstance(value, Period):
            return value
        try:
            return self.parse(str(value))
        except ValueError:
            self.fail(f"{value!r} {self.expected}", param, ctx)


#: ``--since``/``--until``: a year, a month, a day or a date-time.
PERIOD = DateType(parse_period, "is not a date (YYYY, YYYY-MM, YYYY-MM-DD or ISO 8601)")
#: ``--date``: an ISO 8601 date or date-time.
INSTANT = DateType(
    lambda text: Period(parse_instant(text), "instant"), "is not a valid ISO 8601 date"
)


def since_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--since",
        type=PERIOD,
        metavar="DATE",
        help="Published on or after DATE (2024, 2024-05, …).",
    )(func)


def until_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--until", type=PERIOD, metavar="DATE", help="Published on or before DATE (inclusive)."
    )(func)


def french_datetime(moment: datetime, tz: tzinfo) -> str:
    """« 2 décembre 2026 à 08:00 », in the site's time zone (what an editor reads)."""
    local = moment.astimezone(tz)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {MONTHS[local.month - 1]} {local.year} à {local:%H:%M}"
