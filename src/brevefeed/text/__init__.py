"""French text handling shared by every part of brevefeed (one normalization, never two)."""

from brevefeed.text.analysis import stem, stems, strip_elisions, words
from brevefeed.text.fold import fold
from brevefeed.text.slug import slugify

__all__ = ["fold", "slugify", "stem", "stems", "strip_elisions", "words"]
