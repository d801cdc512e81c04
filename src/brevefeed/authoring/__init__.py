"""Brève files → drafts: detect the format, parse it, render Markdown to safe HTML.

Pure text in, ``BreveDraft`` out: nothing here touches the archive.
"""

from __future__ import annotations

from datetime import tzinfo

from brevefeed.authoring.draft import BreveDraft
from brevefeed.authoring.frontmatter import has_front_matter, parse_front_matter
from brevefeed.authoring.render import render_markdown
from brevefeed.authoring.scraped import parse_scraped
from brevefeed.errors import InputError
from brevefeed.text.xmlsafe import xml_safe

__all__ = ["BreveDraft", "decode_text", "parse_draft", "render_markdown"]


def decode_text(raw: bytes, *, source: str) -> str:
    """UTF-8 text with normalized line endings, or an InputError naming the file and line."""
    if b"\x00" in raw:
        raise InputError("binary file (contains NUL bytes), not a brève", source=source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            source=source,
            line=line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_draft(text: str, *, source: str, tz: tzinfo) -> BreveDraft:
    """Read one brève, in either input format (detected from its first line)."""
    # Characters XML cannot carry would make every publish fail once imported; removing them
    # keeps line numbers (line breaks are allowed), so errors still point at the right line.
    text = xml_safe(text)
    if not text.strip():
        raise InputError("empty file", source=source)
    if has_front_matter(text):
        return parse_front_matter(text, source=source, tz=tz)
    return parse_scraped(text, source=source, tz=tz)
