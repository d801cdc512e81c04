"""Brèves in the JSON Lines export, and back (kind "breve").

Every stored field travels, revisions included, and nothing derived does (HTML is rendered
again on the way in).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brevefeed.archive.breves import SNAPSHOT_FIELDS, iso, set_tags, snapshot
from brevefeed.archive.exchange.record import Fields, Kind, Record
from brevefeed.archive.models import Breve, Revision
from brevefeed.archive.tables import STATUSES
from brevefeed.authoring import render_markdown
from brevefeed.errors import InputError


def breve_record(breve: Breve) -> Record:
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


def _revisions(fields: Fields) -> list[Revision]:
    revisions = []
    for raw in fields.get("revisions", list):
        if not isinstance(raw, dict):
            raise InputError("key 'revisions' must hold objects")
        rev = Fields(raw)
        revisions.append(
            Revision(
                number=rev.get("number", int),
                recorded_at=rev.time("recorded"),
                editor=rev.get("editor", str),
                changed=rev.strings("changed"),
                snapshot=rev.get("snapshot", dict),
            )
        )
    return revisions


def iter_all_breves(session: Session, *, batch: int = 500) -> Iterator[Breve]:
    """Every brève, oldest first, with revisions, streamed in batches."""
    query = (
        select(Breve)
        .order_by(Breve.published_at, Breve.id)
        .options(selectinload(Breve.revisions))
        .execution_options(yield_per=batch)
    )
    yield from session.scalars(query)


class BreveKind(Kind[Breve]):
    name = "breve"
    label = "brève"
    keys = frozenset({"kind", "id", *SNAPSHOT_FIELDS, "origin", "revisions"})
    model = Breve

    def export(self, session: Session) -> Iterator[Record]:
        for breve in iter_all_breves(session):
            yield breve_record(breve)

    def identity(self, session: Session, fields: Fields) -> dict[str, Any]:
        return {"uid": fields.get("id", str)}

    def exported(self, row: Breve, fields: Fields) -> Record:
        return breve_record(row)

    def fill(self, session: Session, row: Breve, fields: Fields) -> None:
        status = fields.get("status", str)
        if status not in STATUSES:
            raise InputError(f"key 'status': {status!r} is not one of {', '.join(STATUSES)}")
        revisions = _revisions(fields)
        slug = fields.get("slug", str)
        holder = session.scalars(select(Breve).where(Breve.slug == slug)).one_or_none()
        if holder is not None and holder is not row:
            raise InputError(f"slug {slug!r} is already used by {holder.uid}")
        body = fields.get("body", str)
        row.slug = slug
        row.title = fields.get("title", str)
        row.section = fields.get("section", str)
        row.standfirst = fields.get("standfirst", str)
        if row.body != body:
            row.body = body
            row.body_html = render_markdown(body)
        row.authors = fields.strings("authors")
        row.sources = fields.strings("sources")
        row.language = fields.get("language", str)
        row.status = status
        row.published_at = fields.time("published")  # type: ignore[assignment]
        row.updated_at = fields.time("updated")  # type: ignore[assignment]
        row.retracted_at = fields.time("retracted", optional=True)
        row.retraction_reason = fields.get("retraction_reason", str, optional=True)
        row.origin = fields.get("origin", str, optional=True)
        set_tags(row, fields.strings("tags"))
        if row.revisions:
            # Old rows must be gone before new ones reuse their (breve, number) keys.
            row.revisions.clear()
            session.flush()
        row.revisions = revisions
