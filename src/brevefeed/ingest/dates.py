"""Feed dates → aware UTC datetimes, including the French and CEST spellings feeds really use.

feedparser reads RFC 822 and ISO 8601 but takes « CEST » for UTC (two hours off) and knows no
French month names, so the raw string is read here first and feedparser's own reading is the
last resort.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from brevefeed.text import fold

#: Abbreviations European feeds write, with their offsets (email.utils knows only US ones).
_ZONES = {
    "CEST": "+0200",
    "CET": "+0100",
    "EEST": "+0300",
    "EET": "+0200",
    "WEST": "+0100",
    "WET": "+0000",
    "BST": "+0100",
    "IST": "+0100",
    "UTC": "+0000",
    "GMT": "+0000",
    "UT": "+0000",
    "Z": "+0000",
}
_ZONE_WORD = re.compile(r"\b(" + "|".join(sorted(_ZONES, key=len, reverse=True)) + r")\s*$")
_MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_FRENCH = re.compile(
    r"(?P<day>\d{1,2})(?:er)?\s+(?P<month>[a-z]+)\.?\s+(?P<year>\d{4})"
    r"(?:\s*(?:,|a|-)?\s*(?P<hour>\d{1,2})\s*[h:]\s*(?P<minute>\d{2})?(?::(?P<second>\d{2}))?)?"
    r"\s*(?P<zone>[+-]\d{2}:?\d{2})?\s*$"
)
_NUMERIC = re.compile(
    r"(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})"
    r"(?:\s*(?:,|a|-)?\s*(?P<hour>\d{1,2})\s*[h:]\s*(?P<minute>\d{2})?(?::(?P<second>\d{2}))?)?"
    r"\s*(?P<zone>[+-]\d{2}:?\d{2})?\s*$"
)


#: The dates kept as read: one day inside what ``datetime`` holds, so converting a stored date
#: to any time zone (offsets stay under 24 h) cannot overflow later, in publish or search.
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def to_utc(when: datetime) -> datetime | None:
    """``when`` in UTC (naive means UTC), or None when it lies outside [EARLIEST, LATEST]:
    such a date is treated as unreadable rather than stored and overflowing later."""
    try:
        utc = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return utc if EARLIEST <= utc <= LATEST else None


def from_fields(fields: tuple[int, ...]) -> datetime | None:
    """A UTC datetime from (year, month, day, hour, minute, second) such as feedparser's
    ``*_parsed`` tuples, or None when they name no representable moment (a leap second 60,
    year 0, …)."""
    try:
        year, month, day, hour, minute, second = fields[:6]
        return to_utc(datetime(year, month, day, hour, minute, second, tzinfo=UTC))
    except (OverflowError, ValueError, TypeError):
        return None


def _offset(text: str) -> timezone | None:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    try:
        return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    except ValueError:  # +9999: not an offset (they stay under 24 h)
        return None


def _from_match(match: re.Match[str], month: int, local: ZoneInfo) -> datetime | None:
    try:
        naive = datetime(
            int(match["year"]),
            month,
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
        )
    except ValueError:
        return None
    zone = _offset(match["zone"]) if match["zone"] else local
    if zone is None:
        return None
    return to_utc(naive.replace(tzinfo=zone))


def parse_french(raw: str, local: ZoneInfo) -> datetime | None:
    """« mardi 4 juin 2024 à 14h30 », « 1er mars 2024 », « 04/06/2024 14:30 » (no zone: local)."""
    raw = raw.strip()
    zone = _ZONE_WORD.search(raw)
    text = fold(raw[: zone.start()] if zone else raw).lower().strip()
    if zone:
        text += " " + _ZONES[zone[1]]
    text = re.sub(r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b,?\s*", "", text)
    text = re.sub(r"^le\s+", "", text)
    match = _FRENCH.search(text)
    if match and match["month"] in _MONTHS:
        return _from_match(match, _MONTHS[match["month"]], local)
    match = _NUMERIC.search(text)
    if match:
        return _from_match(match, int(match["month"]), local)
    return None


def parse_date(raw: str | None, local: ZoneInfo) -> datetime | None:
    """An aware UTC datetime, or None when ``raw`` is not a date any reader here knows."""
    if not raw or not raw.strip():
        return None
    raw = raw.strip()
    rfc822 = _ZONE_WORD.sub(lambda m: _ZONES[m[1]], raw) if "," in raw or " " in raw else raw
    try:
        parsed = email.utils.parsedate_to_datetime(rfc822)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None:
        return to_utc(parsed)
    try:
        iso = datetime.fromisoformat(raw)
    except ValueError:
        iso = None
    if iso is not None:
        return to_utc(iso if iso.tzinfo else iso.replace(tzinfo=local))
    return parse_french(raw, local)
