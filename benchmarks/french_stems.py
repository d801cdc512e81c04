"""Regenerate src/brevefeed/related/data/french_stems.tsv, the reference rarity of French stems.

The related scorer smooths an archive's document frequencies with this list, so that a young
archive (a few dozen documents) already knows « ministre » is common and « Vierzon » is not.
Word frequencies come from wordfreq (CC-BY-SA 4.0), stemmed with brevefeed's own stemmer and
summed per stem. wordfreq is needed only here, never at run time:

    pip install wordfreq
    python benchmarks/french_stems.py [--words 60000] [--stems 6000]
"""

from __future__ import annotations

import argparse
from importlib.metadata import version
from pathlib import Path

from wordfreq import top_n_list, word_frequency  # type: ignore[import-not-found]

from brevefeed.related.similarity import usable
from brevefeed.text import stem, words

OUT = Path(__file__).resolve().parents[1] / "src/brevefeed/related/data/french_stems.tsv"
HEADER = (
    "# French stems and their frequency per million words: wordfreq {version} French word"
    " frequencies (CC-BY-SA 4.0, https://github.com/rspeer/wordfreq), stemmed by brevefeed;"
    " regenerate with benchmarks/french_stems.py\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=60_000)
    parser.add_argument("--stems", type=int, default=6_000)
    args = parser.parse_args()
    totals: dict[str, float] = {}
    for word in top_n_list("fr", args.words):
        for folded in words(word):
            key = stem(folded)
            if usable(key):
                totals[key] = totals.get(key, 0.0) + word_frequency(word, "fr")
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[: args.stems]
    lines = [f"{term}\t{frequency * 1e6:.2f}\n" for term, frequency in ranked]
    OUT.write_text(HEADER.format(version=version("wordfreq")) + "".join(lines), encoding="utf-8")
    print(f"{OUT.name}: {len(lines)} stems")


if __name__ == "__main__":
    main()
