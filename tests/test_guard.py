from __future__ import annotations

import codecs
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import SupportsIndex

import pytest

from brevefeed.ingest.guard import neutralise_dtd, strip_dtd, utf8_content_type
from brevefeed.ingest.parse import parse_feed

NOW = datetime(2024, 6, 1, tzinfo=UTC)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Rires &lol9;</title>
<item><title>Un titre &lol9;</title><guid>rire-1</guid></item></channel></rss>
"""


def quadratic_blowup() -> bytes:
    """~80 KB: one 40 KB entity referenced 1,000 times in a title would be 40 MB once expanded,
    and feedparser copies it several times over; the reference is 10,000 times in the issue."""
    entity = b"A" * 40_000
    refs = b"&a;" * 10_000
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + entity + b'">]>\n'
        b'<rss version="2.0"><channel><title>Quadratique</title>'
        b"<item><title>" + refs + b"</title><guid>q-1</guid></item></channel></rss>"
    )


#: The declaration feedparser's decoding gives every document: what the guard hands on is
#: UTF-8 and says so.
DECL = b"<?xml version='1.0' encoding='utf-8'?>"


def test_doctype_and_internal_subset_are_removed() -> None:
    cleaned = neutralise_dtd(BILLION_LAUGHS)
    assert b"<!DOCTYPE" not in cleaned and b"<!ENTITY" not in cleaned
    assert cleaned.startswith(DECL) and b"<rss" in cleaned


def test_brackets_and_quotes_inside_the_subset_do_not_end_it_early() -> None:
    data = b"""<!DOCTYPE x [<!ENTITY a "]>"><!-- ]> --><!ENTITY b 'x>'>]><rss/>"""
    assert neutralise_dtd(data) == DECL + b"\n<rss/>"


def test_unclosed_doctype_drops_the_rest() -> None:
    assert neutralise_dtd(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa') == DECL


def test_stray_entity_declaration_becomes_text() -> None:
    assert neutralise_dtd(b'<rss><!ENTITY a "b"></rss>') == (
        DECL + b'\n<rss>&lt;!ENTITY a "b"></rss>'
    )


def test_utf16_document_is_cleaned_and_returned_as_utf8() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><rss>é</rss>'
    cleaned = neutralise_dtd(text.encode("utf-16"))
    assert cleaned == DECL + "<rss>é</rss>".encode()


def test_a_feed_without_dtd_only_gets_the_utf8_declaration() -> None:
    data = b'<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0">\xe9t\xe9</rss>'
    assert neutralise_dtd(data) == DECL + '<rss version="2.0">été</rss>'.encode()
    # The HTTP charset wins for XML media types, as in feedparser; the result says utf-8.
    latin = neutralise_dtd(b"<rss>\xe9</rss>", "application/rss+xml; charset=iso-8859-1")
    assert latin == DECL + "\n<rss>é</rss>".encode()
    assert utf8_content_type("application/rss+xml; charset=iso-8859-1") == (
        "application/rss+xml; charset=utf-8"
    )


UTF32 = '<?xml version="1.0" encoding="UTF-32"?>'
UTF16 = '<?xml version="1.0" encoding="UTF-16"?>'
CP037 = '<?xml version="1.0" encoding="cp037"?>'


def _blowup(declaration: str) -> str:
    """An entity on a line of its own, which feedparser keeps as "safe" and expands: 2,000
    characters referenced 1,000 times, a 2 MB title from a few KB (under expat's limits)."""
    return (
        f'{declaration}\n<!DOCTYPE rss [\n<!ENTITY a "{"A" * 2000}">\n]>\n'
        '<rss version="2.0"><channel><title>Quadratique</title>'
        f"<item><title>{'&a;' * 1000}</title><guid>q-1</guid></item></channel></rss>"
    )


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        # UTF-32 with a BOM (each byte order), which a byte search for "<!" missed.
        (codecs.BOM_UTF32_LE + _blowup(UTF32).encode("utf-32-le"), ""),
        (codecs.BOM_UTF32_BE + _blowup(UTF32).encode("utf-32-be"), ""),
        (codecs.BOM_UTF16_BE + _blowup(UTF16).encode("utf-16-be"), ""),
        (codecs.BOM_UTF32_LE + _blowup("").encode("utf-32-le"), "application/xml; charset=utf-32"),
        # EBCDIC, recognised by its "<?xm" in cp037, or named only by the HTTP charset.
        (_blowup(CP037).encode("cp037"), ""),
        (_blowup("").encode("cp037"), "application/rss+xml; charset=cp037"),
    ],
)
def test_entities_in_other_encodings_are_not_expanded(data: bytes, content_type: str) -> None:
    cleaned = neutralise_dtd(data, content_type)
    assert b"<!DOCTYPE" not in cleaned and b"<!ENTITY" not in cleaned
    feed = parse_feed(data, content_type, "https://r.example/", NOW)
    assert feed.error is None and len(feed.entries) == 1
    assert feed.entries[0].title == "&a;" * 1000  # the reference kept as text, not 2 MB


class _CountingStr(str):
    """A str that counts the characters copied out of it by slicing or indexing."""

    copied = 0

    def __getitem__(self, key: SupportsIndex | slice) -> str:
        piece = super().__getitem__(key)
        _CountingStr.copied += len(piece)
        return piece


def test_many_doctypes_are_stripped_in_one_pass() -> None:
    # 1 MB of repeated DOCTYPEs: each character is copied out of the document at most once
    # (rebuilding the document after each declaration copied it once per declaration).
    unit = '<!DOCTYPE r [<!ENTITY a "x">]><p>texte</p>'
    text = unit * (1_000_000 // len(unit))
    _CountingStr.copied = 0
    cleaned = strip_dtd(_CountingStr(text))
    assert cleaned == "<p>texte</p>" * (1_000_000 // len(unit))
    assert _CountingStr.copied <= len(text)


def test_billion_laughs_parses_without_expansion() -> None:
    feed = parse_feed(BILLION_LAUGHS, "application/rss+xml", "https://r.example/", NOW)
    assert feed.error is None and len(feed.entries) == 1
    # The undefined reference stays as its own few characters of text.
    assert feed.entries[0].title == "Un titre &lol9;"


def test_quadratic_blowup_stays_small_in_memory() -> None:
    data = quadratic_blowup()
    tracemalloc.start()
    try:
        feed = parse_feed(data, "application/rss+xml", "https://q.example/", NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(data) < 100_000
    assert all(len(entry.title) < 100_000 for entry in feed.entries)
    assert peak < 50_000_000  # an expanded title alone would be 400 MB


def test_external_entity_content_never_appears(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MOT-DE-PASSE-SECRET", encoding="utf-8")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>Fuite</title>'
        "<item><title>A &xxe; B</title><description>&xxe;</description><guid>x-1</guid></item>"
        "</channel></rss>"
    ).encode()
    feed = parse_feed(data, "application/rss+xml", "https://x.example/", NOW)
    dumped = repr(feed)
    assert "MOT-DE-PASSE-SECRET" not in dumped


@pytest.mark.parametrize(
    "reference", ["&#55296;", "&#xD800;", "&#11;", "&#11", "&#1114112;", "&#x110000;", "&#65535;",
                  "&#00000000000000000000000000055296;", "&#" + "9" * 5000 + ";"],
)  # fmt: skip
def test_references_to_forbidden_characters_are_cut(reference: str) -> None:
    feed = f"<rss><channel><title>A{reference}B &#233;&#x2019;&#10;</title></channel></rss>"
    cleaned = neutralise_dtd(feed.encode()).decode()
    assert "AB &#233;&#x2019;&#10;" in cleaned


def test_a_surrogate_reference_costs_no_entry() -> None:
    feed = (
        b"<rss version='2.0'><channel><title>T</title><item><title>Forum &#55296;ferm\xc3\xa9"
        b"</title><link>https://gazette.example/a</link></item></channel></rss>"
    )
    parsed = parse_feed(feed, "application/rss+xml", "https://gazette.example/rss", NOW)
    assert parsed.error is None
    assert [e.title for e in parsed.entries] == ["Forum fermé"]
