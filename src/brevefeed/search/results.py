"""Snippets: the best passage of a hit, with the words the query matched highlighted (pure).

Highlighting works on the ORIGINAL text: each word of it is normalized exactly as the index
normalizes (``brevefeed.text``) and compared with the query's stems, so « Agressions » is marked
for the query ``agression`` while the printed text keeps its case, accents and elisions.

A phrase is marked where it occurs, as one span (« [fermeture d’un forum] »), never word by
word across the text: its words alone are not what was asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from brevefeed.search.query import Node, Term, positive_terms
from brevefeed.text import stem, words
from brevefeed.text.analysis import elided_starts
from brevefeed.text.fold import FOLDED_PAIRS, FOLDS_TO, has_combining

# Words as the analysis tokenizer sees them (figures such as 23.051 stay whole).
_WORD = re.compile(r"\w+(?:(?<=\d)[.,](?=\d)\w+)*", re.UNICODE)
#: Characters of context kept before the first highlighted word of a passage.
_LEAD = 50

Segment = tuple[str, bool]


@dataclass(frozen=True)
class Matcher:
    """Which words of a text the query found: stems, and prefixes of stems."""

    stems: frozenset[str]
    prefixes: tuple[str, ...] = ()
    #: Terms of several stems, matched in sequence (with their gaps), not word by word.
    phrases: tuple[Term, ...] = ()
    #: Where a matching word may start (``word_starts``), or None: look at every word.
    starts: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    #: Each word's answer, once: a page's passages repeat the same words (de, la, le…).
    _answers: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, word: str) -> bool:
        answer = self._answers.get(word)
        if answer is None:
            answer = self._answers[word] = any(
                stemmed in self.stems or any(stemmed.startswith(p) for p in self.prefixes)
                for stemmed in _word_stems(word)
            )
        return answer


@lru_cache(maxsize=65_536)
def _word_stems(word: str) -> tuple[str, ...]:
    return tuple(stem(folded) for folded in words(word))


def matcher_for(node: Node) -> Matcher:
    """Words to mark: every positive term that searches text (author:/source: do not)."""
    found: set[str] = set()
    prefixes: list[str] = []
    phrases: list[Term] = []
    for term in positive_terms(node):
        if term.field in ("author", "source"):
            continue
        if len(term.stems) > 1:
            phrases.append(term)
        elif term.prefix:
            prefixes.append(term.stems[-1])
        else:
            found.update(term.stems)
    return Matcher(
        frozenset(found), tuple(prefixes), tuple(phrases), word_starts([*found, *prefixes])
    )


#: Letters of a stem that the word it comes from begins with: the stemmer only rewrites endings.
_HEAD = 3
#: A letter or digit outside the Latin blocks ``FOLDS_TO`` covers.
_BEYOND_LATIN = re.compile(r"[^\W\u0000-\u024f]")


def word_starts(stems: list[str]) -> re.Pattern[str] | None:
    """A pattern for the words that may stem to one of ``stems``: those beginning with one of
    their first letters, in any case and accent (« Gouv », « gouv », « GOÛV » for gouvern).

    A passage then goes to the stemmer a few words at a time, not whole. None when a stem is
    too short to tell, or holds a letter pair a ligature may stand for (« oe » from « œ »).
    """
    heads = {stem[:_HEAD] for stem in stems}
    if not heads or any(len(head) < _HEAD or not set(head) <= FOLDS_TO.keys() for head in heads):
        return None
    if any(pair in head for head in heads for pair in FOLDED_PAIRS):
        return None
    alternatives = (
        "".join(f"[{re.escape(FOLDS_TO[letter])}]" for letter in head) for head in sorted(heads)
    )
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + ")")


def spans(text: str, matcher: Matcher) -> list[tuple[int, int]]:
    """(start, end) of every matched word and phrase of ``text``, in order, never overlapping."""
    found = _word_spans(text, matcher) if matcher.stems or matcher.prefixes else []
    if not matcher.phrases:
        return found
    phrases = _phrase_spans(text, matcher.phrases)
    inside = [(s, e) for s, e in found if not any(ps <= s and e <= pe for ps, pe in phrases)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(phrases + inside):
        if merged and start < merged[-1][1]:  # overlapping phrases: one span
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """Each word of ``text`` as the index holds it: (start, end, stem), elided articles out."""
    elided = elided_starts(text)
    return [
        (m.start(), m.end(), stemmed)
        for m in _WORD.finditer(text)
        if m.start() not in elided
        for stemmed in _word_stems(m.group())
    ]


def _phrase_spans(text: str, phrases: tuple[Term, ...]) -> list[tuple[int, int]]:
    """Where each phrase occurs: its words in order, each gap holding exactly that many words."""
    tokens = _tokens(text)
    found = []
    for phrase in phrases:
        gaps = phrase.gaps or (0,) * (len(phrase.stems) - 1)
        steps = [0, *(gap + 1 for gap in gaps)]
        last = len(phrase.stems) - 1
        for first in range(len(tokens)):
            position = first
            for index, (wanted, step) in enumerate(zip(phrase.stems, steps, strict=True)):
                position += step if index else 0
                if position >= len(tokens):
                    break
                stemmed = tokens[position][2]
                if not (
                    stemmed.startswith(wanted)
                    if phrase.prefix and index == last
                    else stemmed == wanted
                ):
                    break
            else:
                found.append((tokens[first][0], tokens[position][1]))
    return found


def _word_spans(text: str, matcher: Matcher) -> list[tuple[int, int]]:
    matches = matcher.matches
    starts = matcher.starts
    # Decomposed accents, underscores (which split a token in two for the stemmer) and letters
    # beyond Latin hide where words begin from the pattern: those texts are read word by word.
    if starts is None or "_" in text or _BEYOND_LATIN.search(text) or has_combining(text):
        return [m.span() for m in _WORD.finditer(text) if matches(m.group())]
    found = []
    for start in starts.finditer(text):
        word = _WORD.match(text, start.start())
        if word is not None and matches(word.group()):
            found.append(word.span())
    return found


def _cut_start(text: str, start: int) -> int:
    """Move ``start`` back to the beginning of the word it falls in."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return start


def _cut_end(text: str, end: int) -> int:
    """Move ``end`` back to the last space before it, unless that loses the whole passage."""
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", 0, end)
    return space if space > 0 else end


def snippet(text: str, matcher: Matcher, width: int) -> list[Segment]:
    """The ``width``-character passage of ``text`` holding the most distinct matched words.

    Segments alternate plain and highlighted text; « … » marks a cut at either end. With no
    match, the beginning of the text.
    """
    text = " ".join(text.split())
    found = spans(text, matcher)
    start = 0
    if found:
        best, best_distinct = 0, -1
        for first, (anchor, _end) in enumerate(found):
            limit = max(anchor - _LEAD, 0) + width
            inside = {text[s:e].casefold() for s, e in found[first:] if e <= limit}
            if len(inside) > best_distinct:
                best, best_distinct = first, len(inside)
        start = _cut_start(text, max(found[best][0] - _LEAD, 0))
    end = _cut_end(text, start + width)
    segments: list[Segment] = []
    if start > 0:
        segments.append(("…", False))
    position = start
    for s, e in found:
        if s < start or e > end:
            continue
        if s > position:
            segments.append((text[position:s], False))
        segments.append((text[s:e], True))
        position = e
    if end > position:
        segments.append((text[position:end], False))
    if end < len(text):
        segments.append(("…", False))
    return segments


def with_markers(segments: list[Segment]) -> str:
    """Plain text with highlighted words in brackets: « les [agressions] [homophobes] »."""
    return "".join(f"[{part}]" if marked else part for part, marked in segments)


def plain(segments: list[Segment]) -> str:
    return "".join(part for part, _marked in segments)
