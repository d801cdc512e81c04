"""How alike two texts are, on French-normalized terms weighted by rarity.

Pure functions over plain values: the archive supplies document frequencies, this module only
does arithmetic, so scoring is tested without a database.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from brevefeed.text import stems, words

#: Words this short are mostly function words whatever their frequency (le, de, un, et…).
MIN_TERM_LENGTH = 3
#: Longer "words" are identifiers, hashes or glued URLs, not vocabulary.
MAX_TERM_LENGTH = 40


def terms(text: str) -> Counter[str]:
    """Stem counts of ``text``, very short and very long stems left out."""
    return Counter(s for s in stems(text) if MIN_TERM_LENGTH <= len(s) <= MAX_TERM_LENGTH)


def weighted_terms(fields: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Sum of the stem counts of several fields, each scaled by its weight (title above body)."""
    total: dict[str, float] = {}
    for text, weight in fields:
        for term, count in terms(text).items():
            total[term] = total.get(term, 0.0) + count * weight
    return total


def idf(document_frequency: int, documents: int) -> float:
    """Smoothed inverse document frequency: a term in every document weighs almost nothing."""
    return math.log((documents + 1) / (document_frequency + 1))


def tf_idf(
    counts: Mapping[str, float], frequencies: Mapping[str, int], documents: int
) -> dict[str, float]:
    """Log-scaled term frequency times rarity; unseen terms count as seen once."""
    return {
        term: (1 + math.log(count)) * idf(frequencies.get(term, 1), documents)
        for term, count in counts.items()
        if count >= 1
    }


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(weight * b.get(term, 0.0) for term, weight in a.items())
    if dot == 0:
        return 0.0
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return dot / norm


def shingles(text: str, size: int = 3) -> set[tuple[str, ...]]:
    """Overlapping runs of ``size`` folded words: the fingerprint of a wording, not a topic."""
    tokens = words(text)
    if len(tokens) < size:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def title_key(title: str) -> str:
    """Folded words of a title, in order: « L’Arcom sévit ! » and « l'arcom sevit » match."""
    return " ".join(words(title))
