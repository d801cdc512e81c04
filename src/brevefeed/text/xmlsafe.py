"""Text that XML 1.0 can carry: the one filter every entrance and every document goes through.

XML 1.0 (§2.2, production ``Char``) forbids the C0 controls other than tab, line feed and
carriage return, the surrogates D800–DFFF (in a Python ``str`` they can only be lone ones, which
no UTF-8 encoder writes either) and U+FFFE/U+FFFF. One of them in a title makes lxml refuse to
build the document, and a lone surrogate makes every UTF-8 write, JSON or SQL, fail.

What XML merely discourages is kept: C1 controls (U+0080–U+009F, usually a Windows-1252 text
read as Latin-1, which a reader may still repair) and the other noncharacters (U+FDD0–U+FDEF,
U+nFFFE/U+nFFFF of the supplementary planes) are legal characters, lxml and every JSON and
UTF-8 writer accept them, and removing them would change text without making anything safer.
"""

from __future__ import annotations

import re

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (the others are left as they are)."""
    return _FORBIDDEN.sub("", text)


def is_xml_safe(text: str) -> bool:
    """Whether ``xml_safe`` would leave ``text`` as it is (no copy made to find out)."""
    return _FORBIDDEN.search(text) is None
