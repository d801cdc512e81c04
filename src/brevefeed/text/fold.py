"""Accent, case and ligature folding for French text."""

from __future__ import annotations

import re
import unicodedata

# NFKD decomposes accents but leaves these letters whole; French uses œ and æ in ordinary words
# (cœur, ex æquo), and ß/ø turn up in names.
_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O"}


def _strip(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _LIGATURES.get(char, char))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Folding runs on every word indexed, searched and scored, so it stays in C: the Latin letters
# (and the spaces French typography uses) are folded by one table lookup each; whatever else is
# not ASCII is decomposed (NFKD) and its combining marks dropped by one regular expression.
_TABLE = str.maketrans(
    {chr(cp): _strip(chr(cp)) for cp in range(0xA0, 0x250) if _strip(chr(cp)) != chr(cp)}
)


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents and ligatures: « Œuvre été » → « oeuvre ete »."""
    folded = text.translate(_TABLE)
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    return folded.casefold()


def has_combining(text: str) -> bool:
    """Whether ``text`` holds combining marks (an accent typed as a letter plus a mark)."""
    return _COMBINING.search(text) is not None


def _variants() -> tuple[dict[str, str], frozenset[str]]:
    letters: dict[str, list[str]] = {}
    expansions: set[str] = set()
    for code in range(0x30, 0x250):
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isalnum():
            letters.setdefault(folded, []).append(char)
        elif len(folded) > 1:
            expansions.add(folded)
    return {letter: "".join(chars) for letter, chars in letters.items()}, frozenset(expansions)


#: Every Latin character that folds to each letter or digit (« e »: eEéÉèÈêÊëË…), and the
#: letter pairs a single character folds to (« oe » from « œ »).
FOLDS_TO, FOLDED_PAIRS = _variants()


def tag_key(tag: str) -> str:
    """What identifies a tag whatever its spelling: « Éducation  nationale » and « education
    nationale » are one tag."""
    return " ".join(fold(tag).split())
