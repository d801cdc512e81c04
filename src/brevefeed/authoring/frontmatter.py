"""Markdown files with TOML front matter between ``+++`` lines.

::

    +++
    title = "Titre de la brève"
    date = 2024-05-07T18:30:00+02:00
    authors = ["Jeanne Martin"]
    tags = ["numérique", "justice"]
    +++
    Corps en **Markdown**.
"""

from __future__ import annotations

import re
import tomllib
from datetime import tzinfo
from typing import Any

from brevefeed.authoring.dates import to_aware
from brevefeed.authoring.draft import AUTHORED_STATUSES, BreveDraft, Status
from brevefeed.errors import InputError
from brevefeed.text.slug import SLUG_PATTERN, slugify
from brevefeed.text.xmlsafe import xml_safe
from brevefeed.urls import BadURLError, check_web_url

DELIMITER = "+++"
FRONT_MATTER_KEYS = (
    "title",
    "authors",
    "date",
    "section",
    "tags",
    "standfirst",
    "slug",
    "sources",
    "status",
    "language",
    "id",
)
_TOML_LINE = re.compile(r"at line (\d+)")

#: How each key is written, quoted in the error when a value has the wrong type: a string
#: where a list is expected (`tags = "justice, police"`) would otherwise become one tag.
EXPECTED_FORMS = {
    "title": 'title = "Titre de la brève"',
    "authors": 'authors = ["Jeanne Martin", "Léo Ferrand"]',
    "date": "date = 2024-05-07T18:30:00+02:00",
    "section": 'section = "Justice"',
    "tags": 'tags = ["justice", "police"]',
    "standfirst": 'standfirst = "Le chapô en une phrase."',
    "slug": 'slug = "titre-de-la-breve"',
    "sources": 'sources = ["https://example.org/article"]',
    "status": 'status = "draft"',
    "language": 'language = "fr"',
    "id": 'id = "tag:example.org,2024-05-07:breves/titre-de-la-breve"',
}


def has_front_matter(text: str) -> bool:
    return text.lstrip("\ufeff").startswith(DELIMITER)


def _key_line(lines: list[str], key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(lines, start=2):
        if pattern.match(line):
            return number
    return None


def _wrong_type(key: str, what: str, source: str, line: int | None) -> InputError:
    return InputError(
        f"front matter key {key!r} must be {what}, such as {EXPECTED_FORMS[key]}",
        source=source,
        line=line,
    )


def _string(data: dict[str, Any], key: str, source: str, line: int | None) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise _wrong_type(key, "a string", source, line)
    # A TOML escape (\u000b) gives a character the file's text did not hold.
    return xml_safe(value).strip()


def _string_list(data: dict[str, Any], key: str, source: str, line: int | None) -> tuple[str, ...]:
    value = data.get(key, [])
    # A lone string is refused, not wrapped: "justice, police" is two tags to its author.
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _wrong_type(key, "a list of strings", source, line)
    # Order is the author's; duplicates and blanks are noise.
    cleaned = (xml_safe(v).strip() for v in value)
    return tuple(dict.fromkeys(v for v in cleaned if v))


def parse_front_matter(text: str, *, source: str, tz: tzinfo) -> BreveDraft:
    lines = text.lstrip("\ufeff").split("\n")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == DELIMITER)
    except StopIteration:
        raise InputError(
            "front matter opened with +++ is never closed", source=source, line=1
        ) from None
    header = lines[1:end]
    try:
        data = tomllib.loads("\n".join(header))
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        line = int(match.group(1)) + 1 if match else 1
        reason = str(exc).split(" (at ")[0]
        raise InputError(f"malformed front matter: {reason}", source=source, line=line) from None

    def line_of(key: str) -> int | None:
        return _key_line(header, key)

    for key in data:
        if key not in FRONT_MATTER_KEYS:
            raise InputError(
                f"unknown front matter key {key!r} (known: {', '.join(FRONT_MATTER_KEYS)})",
                source=source,
                line=line_of(key),
            )

    title = _string(data, "title", source, line_of("title"))
    if not title:
        raise InputError("no title in front matter", source=source, line=1)
    given_slug = _string(data, "slug", source, line_of("slug"))
    slug = given_slug or slugify(title)
    if not SLUG_PATTERN.match(slug):
        raise InputError(
            f"slug {slug!r} must be lower-case letters, digits and hyphens",
            source=source,
            line=line_of("slug"),
        )
    status = _string(data, "status", source, line_of("status")) or "published"
    if status not in AUTHORED_STATUSES:
        raise InputError(
            f"status must be one of {', '.join(AUTHORED_STATUSES)}, got {status!r}"
            " (use `brevefeed retract` to retract)",
            source=source,
            line=line_of("status"),
        )
    published = None
    if "date" in data:
        try:
            published = to_aware(data["date"], tz)
        except InputError as exc:
            raise InputError(str(exc), source=source, line=line_of("date")) from None
    sources = _string_list(data, "sources", source, line_of("sources"))
    for url in sources:
        try:
            check_web_url(url)
        except BadURLError as exc:
            raise InputError(
                f"source {url!r}: {exc}", source=source, line=line_of("sources")
            ) from None
    status_value: Status = "draft" if status == "draft" else "published"
    return BreveDraft(
        title=title,
        slug=slug,
        slug_given=bool(given_slug),
        body="\n".join(lines[end + 1 :]).strip("\n"),
        standfirst=_string(data, "standfirst", source, line_of("standfirst")),
        section=_string(data, "section", source, line_of("section")),
        authors=_string_list(data, "authors", source, line_of("authors")),
        tags=_string_list(data, "tags", source, line_of("tags")),
        sources=sources,
        status=status_value,
        language=_string(data, "language", source, line_of("language")) or None,
        published=published,
        uid=_string(data, "id", source, line_of("id")) or None,
        date_source="front matter" if published else None,
    )
