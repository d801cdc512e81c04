"""Related links in the JSON Lines export, and back (kind "link").

A link names its brève by permanent id and its item by source URL and entry id, and follows
every brève, source and item in the file. Manual decisions travel with the automatic links, so
a restored archive keeps what editors decided; stories and term statistics are derived and
are rebuilt by ``brevefeed related --rebuild``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive.breves import iso
from brevefeed.archive.exchange.record import Fields, Kind, Record
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.errors import InputError


def link_record(link: RelatedLink, breve_uid: str, source_url: str, entry_id: str) -> Record:
    return {
        "kind": "link",
        "breve": breve_uid,
        "source": source_url,
        "item": entry_id,
        "score": link.score,
        "method": link.method,
        "state": link.state,
        "created": iso(link.created_at),
    }


class LinkKind(Kind[RelatedLink]):
    name = label = "link"
    keys = frozenset(["kind", "breve", "source", "item", "score", "method", "state", "created"])
    model = RelatedLink

    def export(self, session: Session) -> Iterator[Record]:
        rows = list(
            session.execute(
                select(RelatedLink, Breve.uid, Source.url, Item.entry_id)
                .join(Breve, RelatedLink.breve_id == Breve.id)
                .join(Item, RelatedLink.item_id == Item.id)
                .join(Source, Item.source_id == Source.id)
            )
        )
        # By the ids that travel, not row numbers, and sorted here rather than by the
        # database's collation: a restored archive, on either backend, exports in the same
        # order.
        rows.sort(key=lambda row: (row[1], row[2], row[3]))
        for link, uid, url, entry_id in rows:
            yield link_record(link, uid, url, entry_id)

    def identity(self, session: Session, fields: Fields) -> dict[str, Any]:
        uid, url, entry_id = _names(fields)
        breve_id = session.scalar(select(Breve.id).where(Breve.uid == uid))
        item_id = session.scalar(
            select(Item.id)
            .join(Source, Item.source_id == Source.id)
            .where(Source.url == url, Item.entry_id == entry_id)
        )
        if breve_id is None or item_id is None:
            raise InputError(f"link between unknown records ({uid!r}, {entry_id!r})")
        return {"breve_id": breve_id, "item_id": item_id}

    def exported(self, row: RelatedLink, fields: Fields) -> Record:
        return link_record(row, *_names(fields))

    def fill(self, session: Session, row: RelatedLink, fields: Fields) -> None:
        method, state = fields.get("method", str), fields.get("state", str)
        if method not in ("auto", "manual") or state not in ("linked", "rejected"):
            raise InputError(f"link with method {method!r} and state {state!r}")
        row.score = float(fields.get("score", (int, float)))
        row.method, row.state = method, state
        row.created_at = fields.time("created")  # type: ignore[assignment]


def _names(fields: Fields) -> tuple[str, str, str]:
    """The brève's permanent id, the item's source URL and entry id."""
    return fields.get("breve", str), fields.get("source", str), fields.get("item", str)
