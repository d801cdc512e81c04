"""URL slugs from French titles."""

from __future__ import annotations

import re

from brevefeed.text.fold import fold

_NON_WORD = re.compile(r"[^a-z0-9]+")
MAX_SLUG_LENGTH = 80
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """« Coût de l’énergie : 23.051 foyers » → ``cout-de-l-energie-23-051-foyers``.

    Long titles are cut at a word boundary so slugs stay readable in URLs.
    """
    slug = _NON_WORD.sub("-", fold(text)).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug
