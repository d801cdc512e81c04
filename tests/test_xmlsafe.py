"""The XML 1.0 filter: what it removes, what it keeps, and that its output always builds XML
and encodes as UTF-8, whatever the input."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from brevefeed.text.sanitize import sanitize_html
from brevefeed.text.xmlsafe import is_xml_safe, xml_safe

#: Every code point, lone surrogates included (Hypothesis leaves them out unless told).
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()))


def test_forbidden_characters_go_and_the_rest_stays() -> None:
    assert xml_safe("a\x00b\x08c\x0bd\x0ce\x1ff\ud800g\udfffh\ufffei\uffffj") == "abcdefghij"
    kept = "\t\n\r é\x85\x9f\ufdd0\ufffd\U0001fffe😀"
    assert xml_safe(kept) == kept


def test_sanitizer_output_is_xml_safe_even_from_character_references() -> None:
    # nh3 turns &#11; into the character itself, and cannot take a lone surrogate at all.
    assert sanitize_html("<p>a&#11;b&#xFFFF;c\ud800</p>") == "<p>abc</p>"


@settings(max_examples=300)
@given(ANY_TEXT)
def test_output_always_builds_xml_and_json(text: str) -> None:
    safe = xml_safe(text)
    element = etree.Element("t")
    element.text = safe
    assert (etree.fromstring(etree.tostring(element)).text or "") == safe
    json.dumps(safe, ensure_ascii=False).encode("utf-8")
    assert xml_safe(safe) == safe


@settings(max_examples=300)
@given(ANY_TEXT)
def test_is_xml_safe_says_whether_the_filter_would_change_the_text(text: str) -> None:
    assert is_xml_safe(text) == (xml_safe(text) == text)
    assert is_xml_safe(xml_safe(text))
