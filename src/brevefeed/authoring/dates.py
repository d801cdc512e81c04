"""Dates as authors write them, turned into timezone-aware datetimes."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from brevefeed.errors import InputError


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


def period_bound(text: str, tz: tzinfo, *, end: bool) -> datetime:
    """``--since``/``--until`` values: ``2024``, ``2024-05``, ``2024-05-07`` or a date-time.

    A partial date names a whole period: as a start it means its first instant, as an end its
    last, so ``--until 2024-05`` includes all of May.
    """
    text = text.strip()
    parts = text.split("-")
    try:
        if len(parts) == 1 and text.isdigit() and len(text) == 4:
            start, step = datetime(int(text), 1, 1, tzinfo=tz), "year"
        elif len(parts) == 2 and all(p.isdigit() for p in parts):
            start, step = datetime(int(parts[0]), int(parts[1]), 1, tzinfo=tz), "month"
        elif len(parts) == 3 and "T" not in text and " " not in text:
            start, step = to_aware(date.fromisoformat(text), tz), "day"
        else:
            return to_aware(text, tz)
    except ValueError:
        raise InputError(
            f"{text!r} is not a date (YYYY, YYYY-MM, YYYY-MM-DD or ISO 8601)"
        ) from None
    if not end:
        return start
    if step == "year":
        return start.replace(year=start.year + 1)
    if step == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return to_aware(start.date() + timedelta(days=1), tz)
