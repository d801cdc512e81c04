"""Plain text that newsroom pages are scraped to.

The shape, one paragraph per line, blank lines between them::

    Rubrique / brèves                 ← section breadcrumb
    Le titre                          ← title
    Prénom Nom                        ← author line ("Par …", several joined by "," or "et")
    Publié le 26 juin 2024 à 10h30    ← date line, if any (before or after the author line)
    Le chapô en un paragraphe.        ← standfirst
    Premier paragraphe du corps.      ← body paragraphs …
    Partager:                         ← trailing share/advertising boilerplate, dropped
    PUB
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, tzinfo
from pathlib import PurePath

from brevefeed.authoring.dates import MONTHS
from brevefeed.authoring.draft import BreveDraft
from brevefeed.authoring.render import escape_markdown
from brevefeed.errors import InputError
from brevefeed.text.slug import slugify

_BREADCRUMB_SEPARATOR = re.compile(r"\s+[/›»>|]\s+")
_BOILERPLATE = re.compile(
    r"^(partager|partagez|partage|share|pub|publicit[ée]|advertisement|annonce|imprimer|"
    r"envoyer|tweet|tweeter|facebook|twitter|linkedin|whatsapp|e-?mail|"
    r"(?:à )?lire aussi|abonnez-vous|newsletter|commentaires?|[\d\s]+)\b[\s:.!]*.{0,40}$",
    re.IGNORECASE,
)
_AUTHOR_PREFIX = re.compile(r"^(par|by)\s+", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|&|\bet\b|\band\b)\s*")


_TIME = r"(?:\s*(?:à|,|-)?\s*(?P<hour>\d{1,2})\s*[h:]\s*(?P<minute>\d{2})?)?"
_DATE_LINE = re.compile(
    r"^(?:(?:publié|mis à jour|modifié|mise à jour)\s+le\s+|le\s+)?"
    r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s+)?"
    r"(?:(?P<day>\d{1,2})(?:er)?\s+(?P<month>" + "|".join(MONTHS) + r")\s+(?P<year>\d{4})"
    r"|(?P<nday>\d{1,2})/(?P<nmonth>\d{1,2})/(?P<nyear>\d{4}))" + _TIME + r"\s*\.?$",
    re.IGNORECASE,
)
_FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")


def read_date_line(line: str, tz: tzinfo) -> datetime | None:
    """« Publié le 26 juin 2024 à 10h30 », « 26/06/2024 »… in the site's time zone, or None."""
    match = _DATE_LINE.match(line.strip())
    if match is None:
        return None
    if match["day"]:
        day, month, year = (
            int(match["day"]),
            MONTHS.index(match["month"].lower()) + 1,
            match["year"],
        )
    else:
        day, month, year = int(match["nday"]), int(match["nmonth"]), match["nyear"]
    try:
        return datetime(
            int(year), month, day, int(match["hour"] or 0), int(match["minute"] or 0), tzinfo=tz
        )
    except ValueError:
        return None  # 31/02/2024: not a date, so not a date line


def file_name_date(source: str, tz: tzinfo) -> datetime | None:
    """The date a file name starts with (``2024-05-21-forum-ferme.txt``), at midnight."""
    match = _FILE_DATE.match(PurePath(source).name)
    if match is None:
        return None
    try:
        year, month, day = (int(part) for part in match.groups())
        return datetime(year, month, day, tzinfo=tz)
    except ValueError:
        return None


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based line numbers."""
    return [(n, line.strip()) for n, line in enumerate(text.split("\n"), 1) if line.strip()]


def _drop_trailing_boilerplate(paragraphs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    end = len(paragraphs)
    while end and _BOILERPLATE.match(paragraphs[end - 1][1]):
        end -= 1
    return paragraphs[:end]


def split_authors(line: str) -> tuple[str, ...]:
    names = _AUTHOR_SPLIT.split(_AUTHOR_PREFIX.sub("", line.strip()))
    return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))


def looks_like_breadcrumb(line: str) -> bool:
    return bool(_BREADCRUMB_SEPARATOR.search(line)) and len(line) < 120


def _take_date_line(
    paragraphs: list[tuple[int, str]], tz: tzinfo
) -> tuple[list[tuple[int, str]], datetime | None]:
    """The date line just after the title or the author line, removed from the paragraphs."""
    for index in (2, 3):
        if index < len(paragraphs):
            found = read_date_line(paragraphs[index][1], tz)
            if found is not None:
                return paragraphs[:index] + paragraphs[index + 1 :], found
    return paragraphs, None


def parse_scraped(text: str, *, source: str, tz: tzinfo) -> BreveDraft:
    """A scraped page; its date is its date line, else its file name's, else none (the
    importer's --date or now)."""
    paragraphs, published = _take_date_line(_drop_trailing_boilerplate(_paragraphs(text)), tz)
    draft = _parse_paragraphs(paragraphs, source)
    if published is not None:
        return replace(draft, published=published, date_source="date line")
    published = file_name_date(source, tz)
    if published is not None:
        return replace(draft, published=published, date_source="file name")
    return draft


def _parse_paragraphs(paragraphs: list[tuple[int, str]], source: str) -> BreveDraft:
    if not paragraphs:
        raise InputError("no text to import (only boilerplate)", source=source, line=1)
    line_no, breadcrumb = paragraphs[0]
    if not looks_like_breadcrumb(breadcrumb):
        raise InputError(
            "expected a section breadcrumb such as « Articles / brèves » on the first line"
            " (or +++ front matter)",
            source=source,
            line=line_no,
        )
    if len(paragraphs) < 2:
        raise InputError("no title after the breadcrumb", source=source, line=line_no)
    title = paragraphs[1][1]
    if len(paragraphs) < 3:
        raise InputError("no author line after the title", source=source, line=paragraphs[1][0])
    authors = split_authors(paragraphs[2][1])
    rest = [p for _, p in paragraphs[3:]]
    if not rest:
        raise InputError("no text after the author line", source=source, line=paragraphs[2][0])
    # A lone paragraph is the body; otherwise the first one is the standfirst (chapô).
    standfirst, body = ("", rest) if len(rest) == 1 else (rest[0], rest[1:])
    crumbs = _BREADCRUMB_SEPARATOR.split(breadcrumb)
    return BreveDraft(
        title=title,
        slug=slugify(title),
        body="\n\n".join(escape_markdown(p) for p in body),
        standfirst=standfirst,
        section=crumbs[-1].strip(),
        authors=authors,
    )
