"""French tokens and stems: the one normalization search, keyword filters and related-story
scoring all use, so a query and a document always reduce the same way.

Order matters: elisions are cut on the original text (l’, qu’…), then accents and ligatures are
folded, then the Snowball French stemmer runs on the folded word. Folding before stemming means
a query typed without accents (« pedocriminalite ») stems like the accented text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from brevefeed.text.fold import fold

# Letters (any script) and digits, with inner hyphens, dots and commas kept inside a token only
# between digits, so 23.051 and 1,5 stay whole while « fin. Puis » splits.
_TOKEN = re.compile(r"\w+(?:(?<=\d)[.,](?=\d)\w+)*", re.UNICODE)
_APOSTROPHES = "'’ʼ‘`´"
_ELISION = re.compile(
    rf"\b(?:[ldjmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)[{_APOSTROPHES}](?=\w)",
    re.IGNORECASE | re.UNICODE,
)

_stemmer = Stemmer.Stemmer("french")


def strip_elisions(text: str) -> str:
    """« l’agression d’un homme qu’on » → « agression un homme on »."""
    return _ELISION.sub("", text)


def elided_starts(text: str) -> set[int]:
    """Where ``text``'s elided articles begin (the « l » of « l’agression »): not words."""
    return {match.start() for match in _ELISION.finditer(text)}


def words(text: str) -> list[str]:
    """Folded words of ``text``, elisions removed: « L’Œuvre d’été » → [oeuvre, ete]."""
    return [token for token in _TOKEN.findall(fold(strip_elisions(text)).replace("_", " "))]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball French stem of an already folded word (homophobes → homophob).

    Snowball strips -ée/-és only when the accent is there; on folded text « retrouvee » keeps
    an « e » that « retrouves » loses. Dropping one final « e » from the stem makes every form
    (retrouvé, retrouvée, retrouvés, retrouver) meet again.
    """
    stemmed: str = _stemmer.stemWord(word)
    if len(stemmed) > 3 and stemmed.endswith("e"):
        return stemmed[:-1]
    return stemmed


def stems(text: str) -> list[str]:
    """The stems of every word of ``text``, in order (duplicates kept)."""
    return [stem(word) for word in words(text)]
