"""Markdown source → sanitized HTML, the only way a brève body becomes HTML."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

# CommonMark with raw HTML allowed: nh3 strips what is unsafe afterwards, so an author can still
# write <abbr> or <sup> where Markdown has no syntax for it.
_markdown = MarkdownIt("commonmark", {"html": True})

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
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}


def sanitize_html(html: str, *, base_url: str | None = None) -> str:
    """Drop scripts, styles, event handlers and javascript: URLs; keep ordinary markup.

    With ``base_url``, relative ``href``/``src`` URLs are resolved against it (feeds are read
    far from the site, where a relative link would point nowhere).
    """
    cleaned: str = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        url_relative=("rewrite_with_base", base_url) if base_url else None,
    )
    return cleaned


def render_markdown(source: str) -> str:
    return sanitize_html(_markdown.render(source)).strip()


# Characters that would turn literal scraped text into Markdown markup.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_BLOCK_START = re.compile(r"^(\s*)([#>+\-=|]|\d+[.)])")


def escape_markdown(text: str) -> str:
    """Make plain text render as itself: escape only what CommonMark would read as markup."""
    escaped_lines = []
    for line in text.split("\n"):
        line = _INLINE_SPECIAL.sub(r"\\\1", line)
        match = _BLOCK_START.match(line)
        if match:
            marker = match.group(2)
            line = f"{match.group(1)}{marker[:-1]}\\{marker[-1]}{line[match.end() :]}"
        escaped_lines.append(line)
    return "\n".join(escaped_lines)
