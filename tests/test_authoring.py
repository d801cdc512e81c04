from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from brevefeed.authoring import decode_text, parse_draft
from brevefeed.errors import InputError

PARIS = ZoneInfo("Europe/Paris")


def test_decode_normalizes_line_endings_and_bom() -> None:
    assert decode_text("\ufeffa\r\nb\rc".encode(), source="x") == "a\nb\nc"


def test_non_utf8_names_the_line() -> None:
    with pytest.raises(InputError) as caught:
        decode_text(b"ligne un\nCaf\xe9\n", source="f.md")
    assert caught.value.line == 2 and "not UTF-8" in str(caught.value)


def test_binary_is_refused() -> None:
    with pytest.raises(InputError, match="binary file"):
        decode_text(b"\x89PNG\x00\x00", source="f.png")


def test_format_detection() -> None:
    assert parse_draft('+++\ntitle = "T"\n+++\nB', source="x", tz=PARIS).title == "T"
    assert parse_draft("A / b\n\nT2\n\nAuteur\n\nCorps", source="x", tz=PARIS).title == "T2"


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty(text: str) -> None:
    with pytest.raises(InputError, match="empty file"):
        parse_draft(text, source="x", tz=PARIS)
