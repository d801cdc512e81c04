from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from brevefeed.errors import InputError
from brevefeed.ingest.opml import Outline, read_opml, write_opml

FIXTURE = Path(__file__).parent / "fixtures" / "feeds" / "abonnements.opml"


def test_read_flattens_folders_and_skips_outlines_without_url() -> None:
    listed = read_opml(FIXTURE.read_bytes(), str(FIXTURE))
    assert listed.outlines == [
        Outline(
            "https://regional.example.com/rss.xml", "Le Régional", "https://regional.example.com/"
        ),
        Outline("https://vigie.example.org/atom.xml", "Vigie des réseaux"),
    ]
    assert len(listed.rejected) == 1 and "ftp://archive.example.com/flux" in listed.rejected[0]


def test_write_then_read_round_trips() -> None:
    outlines = [
        Outline("https://a.example/rss", "L’Écho « local »", "https://a.example/"),
        Outline("https://b.example/feed?x=1&y=2"),
    ]
    text = write_opml("Brèves", outlines, datetime(2024, 6, 1, tzinfo=UTC))
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert "<dateCreated>Sat, 01 Jun 2024 00:00:00 +0000</dateCreated>" in text
    assert read_opml(text.encode(), "x").outlines == outlines


def test_bad_opml_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not valid OPML"):
        read_opml(b"<opml><body>", "a.opml")
    with pytest.raises(InputError, match="root element"):
        read_opml(b"<rss/>", "b.opml")


def test_entity_expansion_is_neutralised() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>'
    )
    with pytest.raises(InputError, match="not valid OPML"):
        read_opml(bomb, "bomb.opml")


def test_outlines_failing_the_url_rule_are_reported_and_the_others_kept() -> None:
    data = (
        b'<opml version="2.0"><body>'
        b'<outline text="a" xmlUrl="http://0177.0.0.1/feed"/>'
        b'<outline text="b" xmlUrl="http://example.com:99999/feed"/>'
        b'<outline text="c" xmlUrl="javascript:alert(1)"/>'
        b'<outline text="d" xmlUrl="https://ok.example/feed" htmlUrl="javascript:alert(1)"/>'
        b"</body></opml>"
    )
    listed = read_opml(data, "liste.opml")
    assert listed.outlines == [Outline("https://ok.example/feed", "d", "")]
    assert [line.split(" skipped")[0] for line in listed.rejected] == [
        "liste.opml: outline 'http://0177.0.0.1/feed'",
        "liste.opml: outline 'http://example.com:99999/feed'",
        "liste.opml: outline 'javascript:alert(1)'",
    ]
    assert all("\n" not in line for line in listed.rejected)
