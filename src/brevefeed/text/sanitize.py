"""The one HTML sanitizer: every fragment we store or publish goes through it last.

Brève bodies, ingested entries, restored exports and « À lire aussi » all meet it, so what
reaches a reader's browser never depends on where the HTML came from.
"""

from __future__ import annotations

from functools import lru_cache

import nh3

from brevefeed.text.xmlsafe import xml_safe

_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "cite",
    "code",
    "del",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    # Markdown footnotes are a <section> holding their list.
    "section",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {
    # Footnote references and their notes point at each other by id (#fn1 ↔ #fnref1).
    "a": {"href", "title", "hreflang", "id"},
    "li": {"id"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}


@lru_cache(maxsize=16)
def _cleaner(base_url: str | None) -> nh3.Cleaner:
    """One reusable sanitizer per base URL: ``nh3.clean`` converts the allowed sets to Rust on
    every call, about two thirds of its time on a brève's body (a full publish sanitizes one
    per page). A run resolves against one or two base URLs."""
    return nh3.Cleaner(
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        url_relative=("rewrite_with_base", base_url) if base_url else None,
    )


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Drop scripts, styles, event handlers and javascript: URLs; keep ordinary markup.

    With ``base_url``, relative ``href``/``src`` URLs are resolved against it (feeds are read
    far from the site, where a relative link would point nowhere).
    """
    # Before: nh3 cannot take a lone surrogate. After: a character reference (&#11;) comes
    # out of nh3 as the character itself.
    cleaned: str = _cleaner(base_url or None).clean(xml_safe(html))
    return xml_safe(cleaned)
