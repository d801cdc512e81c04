"""How alike two texts are, on French-normalized terms weighted by rarity.

Pure functions over plain values: the archive supplies document frequencies, this module only
does arithmetic, so scoring is tested without a database.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from brevefeed.related.rarity import idf
from brevefeed.text import stems, words

#: Words this short are mostly function words whatever their frequency (le, de, un, et…).
MIN_TERM_LENGTH = 3
#: Longer "words" are identifiers, hashes or glued URLs, not vocabulary.
MAX_TERM_LENGTH = 40


def usable(term: str) -> bool:
    return MIN_TERM_LENGTH <= len(term) <= MAX_TERM_LENGTH


def terms(text: str) -> Counter[str]:
    """Stem counts of ``text``, very short and very long stems left out."""
    return Counter(s for s in stems(text) if usable(s))


def weighted_terms(fields: Iterable[tuple[Mapping[str, int], float]]) -> dict[str, float]:
    """Sum of the stem counts of several fields, each scaled by its weight (title above body)."""
    total: dict[str, float] = {}
    get = total.get
    for counts, weight in fields:
        for term, count in counts.items():
            total[term] = get(term, 0.0) + count * weight
    return {term: count for term, count in total.items() if usable(term)}


def tf_idf(
    counts: Mapping[str, float], frequencies: Mapping[str, int], documents: int
) -> dict[str, float]:
    """Log-scaled term frequency times rarity (``rarity.idf``: the archive's document
    frequencies smoothed by a French reference list); unseen terms count as seen once."""
    log, df = math.log, frequencies.get
    return {
        term: (1 + log(count)) * idf(term, df(term, 1), documents)
        for term, count in counts.items()
        if count >= 1
    }


def norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(w * w for w in vector.values()))


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    get = b.get
    return sum(weight * get(term, 0.0) for term, weight in a.items())


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
