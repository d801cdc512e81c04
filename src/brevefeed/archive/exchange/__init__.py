"""The archive as JSON Lines: one object per line, each with a ``kind``.

``export`` followed by ``restore`` into an empty archive and ``export`` again yields the same
bytes: every stored field travels, and nothing derived does. Each kind lives in its own module
of this package and is restored the one way ``record.Kind.restore`` says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session

from brevefeed.archive.breves import Change
from brevefeed.archive.exchange.breves import BreveKind, breve_record
from brevefeed.archive.exchange.feeds import ItemKind, SourceKind
from brevefeed.archive.exchange.links import LinkKind
from brevefeed.archive.exchange.record import Kind, Record, dumps
from brevefeed.errors import InputError
from brevefeed.text.xmlsafe import xml_safe

__all__ = ["breve_record", "export_lines", "looks_like_export", "restore_line", "restore_record"]

#: In file order: sources before their items, links after the brèves and items they name.
KINDS: tuple[Kind[Any], ...] = (BreveKind(), SourceKind(), ItemKind(), LinkKind())
_BY_NAME = {kind.name: kind for kind in KINDS}


def export_lines(session: Session) -> Iterator[str]:
    for kind in KINDS:
        for record in kind.export(session):
            yield dumps(record)


def restore_record(session: Session, record: Record) -> Change:
    """Make the archive hold exactly this decoded record, whatever its kind."""
    name = record.get("kind")
    kind = _BY_NAME.get(name) if isinstance(name, str) else None
    if kind is None:
        raise InputError(f"unknown kind {name!r} (known: {', '.join(_BY_NAME)})")
    return kind.restore(session, record)


def _xml_safe(value: Any) -> Any:
    """A decoded record with every string XML-safe: an export is input like any other, and
    JSON escapes (\\u000b, a lone \\ud800) can say what no UTF-8 file could."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_xml_safe(v) for v in value]
    if isinstance(value, dict):
        return {xml_safe(k): _xml_safe(v) for k, v in value.items()}
    return value


def restore_line(session: Session, line: str) -> Change:
    """Restore one line of an export; an InputError names the key that is wrong."""
    try:
        record = _xml_safe(json.loads(line))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply") from None
    if not isinstance(record, dict):
        raise InputError("each line must be a JSON object")
    return restore_record(session, record)


def looks_like_export(text: str) -> bool:
    """An export starts with a JSON object carrying a ``kind``."""
    first = text.lstrip("\ufeff").lstrip()
    return first.startswith("{") and '"kind"' in first.split("\n", 1)[0]
