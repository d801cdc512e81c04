from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

from brevefeed.ingest.guard import neutralise_dtd
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


def test_doctype_and_internal_subset_are_removed() -> None:
    cleaned = neutralise_dtd(BILLION_LAUGHS)
    assert b"<!DOCTYPE" not in cleaned and b"<!ENTITY" not in cleaned
    assert cleaned.startswith(b'<?xml version="1.0"?>') and b"<rss" in cleaned


def test_brackets_and_quotes_inside_the_subset_do_not_end_it_early() -> None:
    data = b"""<!DOCTYPE x [<!ENTITY a "]>"><!-- ]> --><!ENTITY b 'x>'>]><rss/>"""
    assert neutralise_dtd(data) == b"<rss/>"


def test_unclosed_doctype_drops_the_rest() -> None:
    assert neutralise_dtd(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa') == (
        b'<?xml version="1.0"?>'
    )


def test_stray_entity_declaration_becomes_text() -> None:
    assert neutralise_dtd(b'<rss><!ENTITY a "b"></rss>') == b'<rss>&lt;!ENTITY a "b"></rss>'


def test_utf16_document_is_cleaned_and_returned_as_utf8() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><rss>é</rss>'
    cleaned = neutralise_dtd(text.encode("utf-16"))
    assert cleaned == '<?xml version="1.0"?><rss>é</rss>'.encode()


def test_a_feed_without_dtd_is_untouched() -> None:
    data = b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'
    assert neutralise_dtd(data) is data


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
