"""Readable plain text out of sanitized HTML, for the search index and its snippets.

Tags are dropped, entities decoded, and block elements (paragraphs, list items, line breaks…)
become spaces, so « <p>fin</p><p>début</p> » gives two words, not « findébut ».
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS_TEXT = (
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4"
    " h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul"
)
_BLOCKS = frozenset(_BLOCKS_TEXT.split())
# Their content is never prose (the sanitizer removes them from brèves; feeds may not).
_SKIPPED = frozenset({"script", "style", "template"})
_SPACES = re.compile(r"\s+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """« <p>L’<em>Arcom</em> &amp; la CNIL</p><p>Fin.</p> » → « L’Arcom & la CNIL Fin. »."""
    if "<" not in html and "&" not in html:
        return _SPACES.sub(" ", html).strip()
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return _SPACES.sub(" ", "".join(collector.parts)).strip()
