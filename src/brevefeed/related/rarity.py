"""How rare a French stem is: the archive's document frequencies smoothed by a reference list.

On a young archive (a few dozen documents) raw document frequencies are noise: « ministre »
seen in one document weighs as much as « Vierzon ». Each term's share of documents is therefore
estimated as if the archive had started with ``PRIOR_DOCUMENTS`` documents written in ordinary
French, whose frequencies come from ``data/french_stems.tsv`` (wordfreq French frequencies,
CC-BY-SA 4.0, stemmed by brevefeed). As the archive grows its own counts take over, so a
threshold means the same on 6 documents and on a million; they make a word more common, never
rarer than the reference says (``idf``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib.resources import files

#: Pseudo-documents the reference list stands for: the archive's own counts weigh as much once
#: it holds this many documents.
PRIOR_DOCUMENTS = 5_000
#: Words of a typical news text, to turn a word frequency into a share of documents.
WORDS_PER_DOCUMENT = 150
#: Frequency (per million words) of a stem the list does not hold: rarer than its rarest.
UNLISTED = 1.0


@lru_cache(maxsize=1)
def reference() -> dict[str, float]:
    """Frequency per million words of the few thousand most common French stems."""
    text = files("brevefeed.related").joinpath("data/french_stems.tsv").read_text("utf-8")
    table = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            term, frequency = line.split("\t")
            table[term] = float(frequency)
    return table


@lru_cache(maxsize=262_144)
def reference_documents(term: str) -> float:
    """How many of the ``PRIOR_DOCUMENTS`` reference documents hold ``term``."""
    per_word = reference().get(term, UNLISTED) / 1e6
    return PRIOR_DOCUMENTS * -math.expm1(-per_word * WORDS_PER_DOCUMENT)


def idf(term: str, df: int, documents: int) -> float:
    """Inverse document frequency of ``term``, seen in ``df`` of ``documents`` documents.

    Never above the reference's own: an archive that has not (yet) used a common French word
    does not make it a name. Generated archives of 100,000 brèves that never said « grève »
    weighed it almost as much as « Vierzon », and strikes elsewhere linked to the corpus'.
    """
    expected = reference_documents(term)
    seen = math.log((documents + PRIOR_DOCUMENTS) / (df + expected))
    return max(0.0, min(seen, math.log(PRIOR_DOCUMENTS / expected)))
