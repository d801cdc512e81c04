"""Markdown source → sanitized HTML, the only way a brève body becomes HTML."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from brevefeed.text.sanitize import sanitize_html

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@cache
def _markdown() -> MarkdownIt:
    """CommonMark with raw HTML allowed: nh3 strips what is unsafe afterwards, so an author can
    still write <abbr> or <sup> where Markdown has no syntax for it. Tables (GFM pipes) and
    footnotes ([^1]) are what newsroom copy uses beyond CommonMark; their HTML meets the same
    sanitizer. Built on first use: `list` and `search` import this package (for its dates)
    and render nothing."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    return MarkdownIt("commonmark", {"html": True}).enable("table").use(footnote_plugin)


def render_markdown(source: str) -> str:
    return sanitize_html(_markdown().render(source)).strip()


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
