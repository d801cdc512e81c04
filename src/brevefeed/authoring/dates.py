"""Dates as authors write them, turned into timezone-aware datetimes."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from brevefeed.errors import InputError

#: French month names, January first: how pages write dates and how editors read them.
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def to_aware(value: object, tz: tzinfo, *, what: str = "date") -> datetime:
    """Accept a TOML date/datetime or an ISO 8601 string; naive values are in ``tz``.

    ``2024-05-07`` means midnight in the site's time zone, not in UTC, because that is the day
    the newsroom means.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            if "T" in text or " " in text:
                value = datetime.fromisoformat(text)
            else:
                value = date.fromisoformat(text)
        except ValueError:
            raise InputError(f"{what} {text!r} is not a valid ISO 8601 date") from None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=tz)
    raise InputError(f"{what} must be a date such as 2024-05-07 or 2024-05-07T18:30:00+02:00")
