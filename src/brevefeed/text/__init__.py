"""French text handling shared by every part of brevefeed (one normalization, never two)."""

from brevefeed.text.analysis import stem, stems, strip_elisions, words
from brevefeed.text.fold import fold, tag_key
from brevefeed.text.html import html_to_text
from brevefeed.text.slug import slugify
from brevefeed.text.stopwords import is_stop_word

__all__ = [
    "fold",
    "html_to_text",
    "is_stop_word",
    "slugify",
    "stem",
    "stems",
    "strip_elisions",
    "tag_key",
    "words",
]
