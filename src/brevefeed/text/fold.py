"""Accent, case and ligature folding for French text."""

from __future__ import annotations

import unicodedata

# NFKD decomposes accents but leaves these letters whole; French uses œ and æ in ordinary words
# (cœur, ex æquo), and ß/ø turn up in names.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o"})


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents and ligatures: « Œuvre été » → « oeuvre ete »."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()
