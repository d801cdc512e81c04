"""French stop words: the words a search ignores because nearly every text holds them.

The list is based on the Snowball project's French stop list
(snowballstem.org/algorithms/french/stop.txt, BSD licence): no package installed here ships it
(PyStemmer carries stemmers only), so it is written out below, as the Snowball file lays it
out, and folded as the index folds words
(« été » → ete, « à » → a). Queries drop these words (``search.query``); the index keeps them,
so a phrase still finds its words at their true distance.
"""

from __future__ import annotations

from brevefeed.text.fold import fold

_SNOWBALL_FRENCH = """
au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
tu un une vos votre vous
c d j l à m n s t y
été étée étées étés étant étante étants étantes
suis es est sommes êtes sont serai seras sera serons serez seront serais serait serions seriez
seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez
soient fusse fusses fût fussions fussiez fussent
ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez
auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes
eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent
"""

#: Folded, as ``brevefeed.text.words`` returns words.
STOP_WORDS: frozenset[str] = frozenset(fold(word) for word in _SNOWBALL_FRENCH.split())


def is_stop_word(folded: str) -> bool:
    """Whether a folded word (``brevefeed.text.words``) carries no meaning of its own."""
    return folded in STOP_WORDS
