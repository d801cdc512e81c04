"""Keyword filters on fetched items: pure, on French word forms, accents ignored.

A keyword is a word or a phrase; it matches when its stems appear in the item's text in the same
order, side by side (« violences en ligne » matches « Violence en ligne », not « en ligne, la
violence »). Stems come from ``brevefeed.text``, the normalization search and related stories
use, so « homophobe » matches « homophobes » and « Homophobe » alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from brevefeed.text import stems


def _phrases(keywords: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(p for p in (tuple(stems(k)) for k in keywords) if p)


def _contains(haystack: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    first = phrase[0]
    return any(
        haystack[i] == first and tuple(haystack[i : i + n]) == phrase
        for i in range(len(haystack) - n + 1)
    )


@dataclass(frozen=True)
class KeywordFilter:
    keywords: tuple[tuple[str, ...], ...]
    exclude: tuple[tuple[str, ...], ...]
    #: "matching": keep only items matching a keyword; "all": keywords do not restrict.
    keep: str = "all"

    @classmethod
    def build(
        cls, keywords: Iterable[str], exclude: Iterable[str], keep: str = "all"
    ) -> KeywordFilter:
        return cls(_phrases(keywords), _phrases(exclude), keep)

    @property
    def active(self) -> bool:
        """Whether the filter can drop anything (else items need not be read at all)."""
        return bool(self.exclude) or (self.keep == "matching" and bool(self.keywords))

    def matches(self, text: str) -> bool:
        """Whether an item whose text is ``text`` mentions one of the keywords."""
        words = stems(text)
        return any(_contains(words, phrase) for phrase in self.keywords)

    def excluded(self, text: str) -> bool:
        words = stems(text)
        return any(_contains(words, phrase) for phrase in self.exclude)

    def keeps(self, text: str) -> bool:
        """Exclusions always apply; keywords restrict only with keep = "matching" (and only
        when there are some: no keywords keeps everything not excluded)."""
        if not self.active:
            return True
        words = stems(text)
        if any(_contains(words, phrase) for phrase in self.exclude):
            return False
        if self.keep != "matching" or not self.keywords:
            return True
        return any(_contains(words, phrase) for phrase in self.keywords)


def source_keep(keep: str, keywords: Iterable[str]) -> str:
    """What a source keeps: a source given keywords of its own keeps only the items mentioning
    one (or a global keyword), whatever the global ``keep``; else the global ``keep``.

    Keywords that restricted nothing under the default ``keep = "all"`` were a trap: the
    newsroom gave them precisely to keep the matching items only.
    """
    return "matching" if any(k.strip() for k in keywords) else keep


def source_filter(
    global_keywords: Iterable[str],
    global_exclude: Iterable[str],
    keywords: Iterable[str],
    exclude: Iterable[str],
    keep: str,
) -> KeywordFilter:
    """A source's filter: its own keywords and exclusions added to the global ones."""
    own = list(keywords)
    return KeywordFilter.build(
        [*global_keywords, *own], [*global_exclude, *exclude], source_keep(keep, own)
    )


def keeps(global_keywords: Iterable[str], keep: str, keywords: Iterable[str]) -> str:
    """One line for `sources list`: which of a source's items ingest keeps."""
    own = list(keywords)
    words = [*own, *global_keywords]
    if source_keep(keep, own) == "matching" and words:
        return "mentioning: " + ", ".join(words)
    return "all"
