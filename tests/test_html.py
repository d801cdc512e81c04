from __future__ import annotations

from brevefeed.text import html_to_text


def test_blocks_separate_words_and_entities_decode() -> None:
    html = "<p>L’<em>Arcom</em> &amp; la CNIL</p><p>Fin.</p><ul><li>un</li><li>deux</li></ul>"
    assert html_to_text(html) == "L’Arcom & la CNIL Fin. un deux"


def test_inline_tags_do_not_split_words() -> None:
    assert html_to_text("pédo<b>criminalité</b>") == "pédocriminalité"


def test_scripts_styles_and_comments_vanish() -> None:
    html = "a<script>var x = '<p>';</script>b<style>p{}</style><!-- note -->c<br/>d"
    assert html_to_text(html) == "a b c d"


def test_plain_text_passes_through() -> None:
    assert html_to_text("  deux\n espaces ") == "deux espaces"
    assert html_to_text("a &lt; b") == "a < b"
