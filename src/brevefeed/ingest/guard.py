"""Neutralise DTDs before any XML parser sees a feed.

feedparser 6 expands internal entities: a "billion laughs" or "quadratic blowup" feed of 80 KB
becomes hundreds of millions of characters. Feeds never need a DTD, so the DOCTYPE declaration
(with its internal subset) is cut out, and any stray ``<!ENTITY`` left outside one is turned into
text. With no declaration, a reference such as ``&lol9;`` is undefined: the strict parser fails,
feedparser's lenient one keeps it as text, and nothing is expanded or fetched (external entities
included).
"""

from __future__ import annotations

import codecs
import re

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_XML_DECL_ENCODING = re.compile(r"""(<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WIDE_STARTS = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


def _doctype_end(data: bytes, start: int) -> int:
    """Index just past the DOCTYPE declaration starting at ``start`` (len(data) if unclosed).

    Walks the declaration itself rather than using a regex: quoted strings and the internal
    subset may contain ``>`` and ``]``.
    """
    i, n = start + len(b"<!DOCTYPE"), len(data)
    in_subset = False
    while i < n:
        c = data[i : i + 1]
        if c in (b'"', b"'"):
            close = data.find(c, i + 1)
            if close < 0:
                return n
            i = close + 1
            continue
        if in_subset and data.startswith(b"<!--", i):
            close = data.find(b"-->", i + 4)
            if close < 0:
                return n
            i = close + 3
            continue
        if c == b"[" and not in_subset:
            in_subset = True
        elif c == b"]" and in_subset:
            in_subset = False
        elif c == b">" and not in_subset:
            return i + 1
        i += 1
    return n


def _strip_ascii_compatible(data: bytes) -> bytes:
    match = _DOCTYPE.search(data)
    while match:
        end = _doctype_end(data, match.start())
        data = data[: match.start()] + data[end:]
        match = _DOCTYPE.search(data, match.start())
    return _ENTITY.sub(b"&lt;!ENTITY", data)


def neutralise_dtd(data: bytes) -> bytes:
    """``data`` with every DOCTYPE declaration removed and stray ENTITY declarations defused.

    UTF-16/32 documents are decoded, cleaned and returned as UTF-8 (their XML declaration's
    encoding is dropped so it no longer lies); every other encoding feeds use is ASCII-compatible
    where ``<!DOCTYPE`` appears, so it is cleaned as bytes and left in its encoding.
    """
    if b"<!" not in data and b"<\x00!" not in data and b"\x00<\x00!" not in data:
        return data
    wide = next((enc for bom, enc in _WIDE_BOMS if data.startswith(bom)), None)
    wide = wide or next((enc for start, enc in _WIDE_STARTS if data.startswith(start)), None)
    if wide is None:
        return _strip_ascii_compatible(data)
    text = data.decode(wide, errors="replace").lstrip("\ufeff")
    text = _XML_DECL_ENCODING.sub(r"\1", text, count=1)
    return _strip_ascii_compatible(text.encode("utf-8"))
