"""The archive as JSON Lines: one object per line, each with a ``kind``.

``export`` followed by ``restore`` into an empty archive and ``export`` again yields the same
bytes: every stored field travels, revisions included, and nothing derived does (HTML is
rendered again on the way in). Other parts of brevefeed register their own kinds in
``RESTORERS`` and ``EXPORTERS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive.breves import SNAPSHOT_FIELDS, Change, iso, set_tags, snapshot
from brevefeed.archive.models import STATUSES, Breve, Revision
from brevefeed.archive.queries import iter_all_breves
from brevefeed.authoring import render_markdown
from brevefeed.errors import InputError
from brevefeed.text.xmlsafe import xml_safe


def breve_record(breve: Breve) -> dict[str, Any]:
    return {
        "kind": "breve",
        "id": breve.uid,
        **snapshot(breve),
        "origin": breve.origin,
        "revisions": [
            {
                "number": r.number,
                "recorded": iso(r.recorded_at),
                "editor": r.editor,
                "changed": list(r.changed),
                # Sorted: PostgreSQL's JSONB does not keep key order, and exports must not
                # depend on the backend.
                "snapshot": dict(sorted(r.snapshot.items())),
            }
            for r in breve.revisions
        ],
    }


def dumps(record: dict[str, Any]) -> str:
    """One line of the export: UTF-8 as written (no \\u escapes), keys in a fixed order."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _export_breves(session: Session) -> Iterator[dict[str, Any]]:
    for breve in iter_all_breves(session):
        yield breve_record(breve)


Exporter = Callable[[Session], Iterator[dict[str, Any]]]
Restorer = Callable[[Session, dict[str, Any]], Change]

EXPORTERS: list[Exporter] = [_export_breves]


def export_lines(session: Session) -> Iterator[str]:
    for exporter in EXPORTERS:
        for record in exporter(session):
            yield dumps(record)


class _Fields:
    """Typed access to one export record; every problem names the key."""

    def __init__(self, record: dict[str, Any]):
        self.record = record

    def get(self, key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        if key not in self.record:
            if optional:
                return None
            raise InputError(f"missing key {key!r}")
        value = self.record[key]
        if value is None and optional:
            return None
        if not isinstance(value, kind):
            raise InputError(f"key {key!r} has the wrong type ({type(value).__name__})")
        return value

    def strings(self, key: str) -> list[str]:
        value = self.get(key, list)
        if not all(isinstance(v, str) for v in value):
            raise InputError(f"key {key!r} must be a list of strings")
        return list(value)

    def time(self, key: str, *, optional: bool = False) -> datetime | None:
        value = self.get(key, str, optional=optional)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InputError(f"key {key!r}: {value!r} is not an ISO 8601 date-time") from None
        if parsed.tzinfo is None:
            raise InputError(f"key {key!r}: {value!r} has no time zone")
        return parsed


BREVE_KEYS = frozenset({"kind", "id", *SNAPSHOT_FIELDS, "origin", "revisions"})


def restore_breve(session: Session, record: dict[str, Any]) -> Change:
    """Make the archive hold exactly this exported brève (inserted, replaced or unchanged)."""
    unknown = sorted(set(record) - BREVE_KEYS)
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r} in a brève record")
    fields = _Fields(record)
    uid = fields.get("id", str)
    status = fields.get("status", str)
    if status not in STATUSES:
        raise InputError(f"key 'status': {status!r} is not one of {', '.join(STATUSES)}")
    revisions = []
    for raw in fields.get("revisions", list):
        if not isinstance(raw, dict):
            raise InputError("key 'revisions' must hold objects")
        rev = _Fields(raw)
        snapshot = rev.get("snapshot", dict)
        revisions.append(
            Revision(
                number=rev.get("number", int),
                recorded_at=rev.time("recorded"),
                editor=rev.get("editor", str),
                changed=rev.strings("changed"),
                snapshot=snapshot,
            )
        )
    breve = session.scalars(select(Breve).where(Breve.uid == uid)).one_or_none()
    if breve is not None and dumps(breve_record(breve)) == dumps(record):
        return "unchanged"
    slug = fields.get("slug", str)
    holder = session.scalars(select(Breve).where(Breve.slug == slug)).one_or_none()
    if holder is not None and holder is not breve:
        raise InputError(f"slug {slug!r} is already used by {holder.uid}")
    change: Change = "updated"
    if breve is None:
        breve = Breve(uid=uid)
        session.add(breve)
        change = "created"
    body = fields.get("body", str)
    breve.slug = slug
    breve.title = fields.get("title", str)
    breve.section = fields.get("section", str)
    breve.standfirst = fields.get("standfirst", str)
    if breve.body != body:
        breve.body = body
        breve.body_html = render_markdown(body)
    breve.authors = fields.strings("authors")
    breve.sources = fields.strings("sources")
    breve.language = fields.get("language", str)
    breve.status = status
    breve.published_at = fields.time("published")  # type: ignore[assignment]
    breve.updated_at = fields.time("updated")  # type: ignore[assignment]
    breve.retracted_at = fields.time("retracted", optional=True)
    breve.retraction_reason = fields.get("retraction_reason", str, optional=True)
    breve.origin = fields.get("origin", str, optional=True)
    set_tags(breve, fields.strings("tags"))
    if breve.revisions:
        # Old rows must be gone before new ones reuse their (breve, number) keys.
        breve.revisions.clear()
        session.flush()
    breve.revisions = revisions
    session.flush()
    return change


RESTORERS: dict[str, Restorer] = {"breve": restore_breve}


def _xml_safe(value: Any) -> Any:
    """A decoded record with every string XML-safe: an export is input like any other, and
    JSON escapes (\u000b, a lone \ud800) can say what no UTF-8 file could."""
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
    kind = record.get("kind")
    restorer = RESTORERS.get(kind) if isinstance(kind, str) else None
    if restorer is None:
        raise InputError(f"unknown kind {kind!r} (known: {', '.join(RESTORERS)})")
    return restorer(session, record)


def looks_like_export(text: str) -> bool:
    """An export starts with a JSON object carrying a ``kind``."""
    first = text.lstrip("\ufeff").lstrip()
    return first.startswith("{") and '"kind"' in first.split("\n", 1)[0]


# Sources and items fetched by ingest travel too, after the brèves (sources before items).
from brevefeed.archive import feeds as _feeds  # noqa: E402 - feeds reads this module lazily

EXPORTERS.extend([_feeds.export_sources, _feeds.export_items])
RESTORERS.update(source=_feeds.restore_source, item=_feeds.restore_item)

# Related links last: they name brèves and items that come before them in the file.
from brevefeed.archive import links_exchange as _links  # noqa: E402 - reads this module lazily

EXPORTERS.append(_links.export_links)
RESTORERS.update(link=_links.restore_link)
