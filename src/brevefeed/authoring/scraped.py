"""Plain text that newsroom pages are scraped to.

The shape, one paragraph per line, blank lines between them::

    Rubrique / brèves                 ← section breadcrumb
    Le titre                          ← title
    Prénom Nom                        ← author line ("Par …", several joined by "," or "et")
    Le chapô en un paragraphe.        ← standfirst
    Premier paragraphe du corps.      ← body paragraphs …
    Partager:                         ← trailing share/advertising boilerplate, dropped
    PUB
"""

from __future__ import annotations

import re

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


def parse_scraped(text: str, *, source: str) -> BreveDraft:
    paragraphs = _drop_trailing_boilerplate(_paragraphs(text))
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
