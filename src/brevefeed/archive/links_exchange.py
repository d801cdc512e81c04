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

from brevefeed.archive.breves import Change, iso
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.errors import InputError

LINK_KEYS = frozenset(["kind", "breve", "source", "item", "score", "method", "state", "created"])


def link_record(
    link: RelatedLink, breve_uid: str, source_url: str, entry_id: str
) -> dict[str, Any]:
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


def export_links(session: Session) -> Iterator[dict[str, Any]]:
    rows = list(
        session.execute(
            select(RelatedLink, Breve.uid, Source.url, Item.entry_id)
            .join(Breve, RelatedLink.breve_id == Breve.id)
            .join(Item, RelatedLink.item_id == Item.id)
            .join(Source, Item.source_id == Source.id)
        )
    )
    # By the ids that travel, not row numbers, and sorted here rather than by the database's
    # collation: a restored archive, on either backend, exports in the same order.
    rows.sort(key=lambda row: (row[1], row[2], row[3]))
    for link, uid, url, entry_id in rows:
        yield link_record(link, uid, url, entry_id)


def restore_link(session: Session, record: dict[str, Any]) -> Change:
    """Make the archive hold exactly this exported link."""
    from brevefeed.archive.exchange import _Fields, dumps  # exchange imports this module

    unknown = sorted(set(record) - LINK_KEYS)
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r} in a link record")
    f = _Fields(record)
    uid, url, entry_id = f.get("breve", str), f.get("source", str), f.get("item", str)
    breve_id = session.scalar(select(Breve.id).where(Breve.uid == uid))
    item_id = session.scalar(
        select(Item.id)
        .join(Source, Item.source_id == Source.id)
        .where(Source.url == url, Item.entry_id == entry_id)
    )
    if breve_id is None or item_id is None:
        raise InputError(f"link between unknown records ({uid!r}, {entry_id!r})")
    method, state = f.get("method", str), f.get("state", str)
    if method not in ("auto", "manual") or state not in ("linked", "rejected"):
        raise InputError(f"link with method {method!r} and state {state!r}")
    link = session.get(RelatedLink, (breve_id, item_id))
    if link is not None and dumps(link_record(link, uid, url, entry_id)) == dumps(record):
        return "unchanged"
    change: Change = "updated"
    if link is None:
        link = RelatedLink(breve_id=breve_id, item_id=item_id)
        session.add(link)
        change = "created"
    link.score = float(f.get("score", (int, float)))
    link.method, link.state = method, state
    link.created_at = f.time("created")  # type: ignore[assignment]
    session.flush()
    return change
