"""Archive text on the terminal: shown as written, never read as rich markup or control codes.

Titles, names, links and errors come from strangers' feeds and files. Rich reads ``[...]`` in
a plain string as markup (a feed titled ``Le Journal [/bold]`` raised MarkupError, and
``[link=…]`` forged a hyperlink), and a terminal obeys escape sequences, carriage returns and
bidi overrides. So every command builds its rich output from ``Text`` objects made here, on a
console that parses no markup, and passes every string it prints through ``line``/``block``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # rich is loaded by the first table or styled text: `--version`, `--help`, TSV and JSON
    # output need none of it.
    from rich.console import Console
    from rich.text import Text

#: What a terminal may act on rather than show: C0 and C1 controls, DEL, the bidi embeddings,
#: overrides and isolates (they reorder whatever follows them on the line), and lone
#: surrogates (a UTF-8 stream cannot even encode them).
_BIDI_AND_SURROGATES = r"\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_IN_LINE = re.compile(rf"[\x00-\x1f\x7f-\x9f{_BIDI_AND_SURROGATES}]")
#: The same, less tab and newline, for text that keeps its lines.
_UNSAFE_IN_BLOCK = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI_AND_SURROGATES}]")
#: Inside a JSON string (already escaped by json for C0, quotes and backslashes).
_UNSAFE_IN_JSON = re.compile(rf"[\x7f-\x9f{_BIDI_AND_SURROGATES}]")
_SPACING = str.maketrans("\t\n\r\v\f", "     ")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def line(value: object) -> str:
    """One line of text safe for a terminal: whitespace controls become spaces, others
    are shown escaped (``\\x1b``), so an operator sees what the feed sent."""
    return _UNSAFE_IN_LINE.sub(_escape, str(value).translate(_SPACING))


def block(value: str) -> str:
    """Several lines (a body, a CSV field): keeps newlines and tabs, escapes the rest."""
    return _UNSAFE_IN_BLOCK.sub(_escape, value.replace("\r\n", "\n"))


def plain(value: object) -> Text:
    """A table cell from a plain string: no markup, no emoji codes, no control codes."""
    from rich.text import Text

    return Text(line(value))


def marked(parts: Iterable[tuple[str, bool]], style: str = "bold") -> Text:
    """Text with some parts styled, the styles set as spans (never as markup)."""
    from rich.text import Text

    text = Text()
    for part, on in parts:
        text.append(line(part), style=style if on else None)
    return text


def json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON as ``json.dumps(ensure_ascii=False)`` writes it, but with the characters a
    terminal would act on written as JSON escapes (a backslash, ``u`` and four hex digits,
    e.g. ``\\u001b`` for ESC): the same data once decoded."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def console(*, stderr: bool = False) -> Console:
    """A console that prints strings as they are: no markup, emoji codes or highlighting."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal, tables should not be squeezed to 80 columns.
    width = None if stream.isatty() else 200
    return Console(
        stderr=stderr, width=width, soft_wrap=False, markup=False, emoji=False, highlight=False
    )


def is_terminal() -> bool:
    """Whether standard output is a terminal, as rich decides it (FORCE_COLOR and
    TTY_COMPATIBLE included), so the table and the styling agree with the console."""
    return console().is_terminal
