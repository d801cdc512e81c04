"""Neutralise DTDs before any XML parser sees a feed.

feedparser 6 expands internal entities: a "billion laughs" or "quadratic blowup" feed of 80 KB
becomes hundreds of millions of characters. Feeds never need a DTD, so the DOCTYPE declaration
(with its internal subset) is cut out, and any stray ``<!ENTITY`` left outside one is turned into
text. With no declaration, a reference such as ``&lol9;`` is undefined: the strict parser fails,
feedparser's lenient one keeps it as text, and nothing is expanded or fetched (external entities
included).

The DTD is looked for in the *text*, not the bytes: the document is first decoded exactly as
feedparser would decode it (its own detection: BOMs of every UTF form, the ``<?xm`` markers of
UTF-16/32 and EBCDIC, the XML declaration, the HTTP charset), and handed on as UTF-8. A byte
search for ``<!DOCTYPE`` misses it in UTF-32 with a BOM or in cp037, where feedparser would
still find and expand it.

Character references to characters XML forbids (``&#55296;``, ``&#11;``, ``&#x110000;``) are
cut out here too: feedparser's lenient parser turns them into characters and fails on a
surrogate (an exception, the whole feed lost), and its strict one gives up on the document.
"""

from __future__ import annotations

import re

_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
#: A numeric character reference, as lenient parsers read it (the semicolon may be missing).
_CHARREF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
#: Longest run of digits a reference to a real character needs (U+10FFFF is 1114111).
_MAX_DIGITS = 7
#: What can end, open or hide the end of a DOCTYPE: quotes, subset brackets, ``>``, comments.
_SIGNIFICANT = re.compile(r"""["'\[\]>]|<!--""")


def _doctype_end(text: str, start: int) -> int:
    """Index just past the DOCTYPE declaration starting at ``start`` (len(text) if unclosed).

    Walks the declaration rather than matching it with one regex: quoted strings and the
    internal subset may contain ``>`` and ``]``. Each step jumps to the next significant
    character, so a declaration costs time in its length only.
    """
    i, n = start + len("<!DOCTYPE"), len(text)
    in_subset = False
    while (found := _SIGNIFICANT.search(text, i)) is not None:
        token, i = found.group(), found.start()
        if token in ('"', "'"):
            close = text.find(token, i + 1)
            if close < 0:
                return n
            i = close + 1
        elif token == "<!--":
            if not in_subset:
                i += 4
                continue
            close = text.find("-->", i + 4)
            if close < 0:
                return n
            i = close + 3
        elif token == "[" and not in_subset:
            in_subset, i = True, i + 1
        elif token == "]" and in_subset:
            in_subset, i = False, i + 1
        elif token == ">" and not in_subset:
            return i + 1
        else:
            i += 1
    return n


def strip_dtd(text: str) -> str:
    """``text`` without its DOCTYPE declarations, stray ENTITY declarations made text.

    Linear: the kept pieces are joined once at the end (rebuilding the text after each
    declaration made a feed of repeated DOCTYPEs quadratic).
    """
    kept: list[str] = []
    position = 0
    while (found := _DOCTYPE.search(text, position)) is not None:
        kept.append(text[position : found.start()])
        position = _doctype_end(text, found.start())
    if not kept:
        return _ENTITY.sub("&lt;!ENTITY", text)
    kept.append(text[position:])
    return _ENTITY.sub("&lt;!ENTITY", "".join(kept))


def _forbidden_code_point(hexa: str | None, decimal: str | None) -> bool:
    digits = (hexa or decimal or "").lstrip("0")
    if len(digits) > _MAX_DIGITS:
        return True
    code = int(digits or "0", 16 if hexa else 10)
    return (
        code > 0x10FFFF
        or 0xD800 <= code <= 0xDFFF
        or code in (0xFFFE, 0xFFFF)
        or (code < 0x20 and code not in (0x9, 0xA, 0xD))
    )


def strip_forbidden_references(text: str) -> str:
    """``text`` without references to characters XML forbids (the others left as written)."""
    if "&#" not in text:
        return text
    return _CHARREF.sub(
        lambda m: "" if _forbidden_code_point(m.group(1), m.group(2)) else m.group(0), text
    )


def utf8_content_type(content_type: str) -> str:
    """``content_type`` with its charset replaced by utf-8: what a document returned by
    :func:`neutralise_dtd` must be described as, so nothing decodes it a second way."""
    from feedparser.encodings import parse_content_type  # see neutralise_dtd

    mime, _ = parse_content_type(content_type)
    return f"{mime}; charset=utf-8" if mime else ""


def neutralise_dtd(data: bytes, content_type: str = "") -> bytes:
    """``data`` decoded as feedparser would decode it (``content_type`` is the HTTP header,
    "" when there is none), without DOCTYPE declarations, as UTF-8 with an XML declaration
    saying so. Give the parser :func:`utf8_content_type` of the header with it."""
    # Imported here: only the parser processes read documents, and the run's own process
    # (a warm run: every feed answering 304) need not load feedparser at all.
    from feedparser.encodings import convert_to_utf8

    headers = {"content-type": content_type} if content_type else {}
    # feedparser's own detection: it returns UTF-8 bytes whose XML declaration says utf-8
    # (and falls back to encodings that decode anything, so the result is always UTF-8).
    utf8: bytes = convert_to_utf8(headers, data, {})
    text = utf8.decode("utf-8", errors="replace")
    if "<!" not in text and "&#" not in text:
        return utf8
    return strip_forbidden_references(strip_dtd(text)).encode("utf-8")
