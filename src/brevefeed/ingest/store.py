"""Write what one fetch found: items deduplicated per (source, entry id), and the source's
new fetch state, in the caller's transaction (one per source).

The search index follows whatever is written here, ORM or plain SQL: the database's triggers
note the records it must rewrite (see ``archive.changes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from brevefeed.archive.models import Item, Source
from brevefeed.ingest.delta import Known, fetch_values, item_values, kept_entries
from brevefeed.ingest.fetch import FetchResult
from brevefeed.ingest.filters import KeywordFilter
from brevefeed.ingest.parse import ParsedEntry, ParsedFeed
from brevefeed.ingest.schedule import Decision

#: Entry ids looked up per query (well under every backend's bound-parameter limit).
LOOKUP_BATCH = 500


@dataclass
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    filtered: int = 0


def store_entries(
    session: Session,
    source_id: int,
    entries: Iterable[ParsedEntry],
    now: datetime,
    keep: KeywordFilter | None = None,
) -> StoreCounts:
    """Insert new entries, update changed ones, leave the rest (``delta.item_values``
    decides); returns what happened.

    Plain bulk statements, not ORM objects: a cold run stores every entry of every feed, and
    building, flushing and expiring an object per row cost more than the INSERT itself. The
    search index follows at the next flush or commit (``archive.changes``), once for every
    source the transaction stores.
    """
    kept, filtered = kept_entries(entries, keep)
    counts = StoreCounts(filtered=filtered)
    ids = list(kept)
    existing: dict[str, tuple[int, Known]] = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        chunk = ids[start : start + LOOKUP_BATCH]
        rows = session.execute(
            select(
                Item.entry_id, Item.id, Item.content_hash, Item.updated_at, Item.published_at,
                Item.raw_date,
            ).where(Item.source_id == source_id, Item.entry_id.in_(chunk))
        )  # fmt: skip
        existing.update((row[0], (row[1], Known(*row[2:]))) for row in rows)
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for entry_id, entry in kept.items():
        found = existing.get(entry_id)
        values = item_values(entry, now, None if found is None else found[1])
        if values is None:
            counts.unchanged += 1
        elif found is None:
            new.append({"source_id": source_id, "entry_id": entry_id, **values})
        else:
            changed.append({"id": found[0], **values})
    if new:
        session.execute(insert(Item), new)
    if changed:
        session.execute(update(Item), changed)
    counts.new, counts.updated = len(new), len(changed)
    return counts


def record_fetch(
    session: Session,
    source_id: int,
    current_url: str,
    decision: Decision,
    result: FetchResult,
    parsed: ParsedFeed | None,
    now: datetime,
    body_hash: str | None = None,
) -> None:
    """Record the fetch on the source (``delta.fetch_values``) and release its lease, in one
    UPDATE.

    ``body_hash`` is the hash of a body parsed and stored without error, remembered so the
    same bytes next time are not parsed again.

    One statement, no SELECT first: on a warm run (every feed 304) this is most of the
    archive's work, once per source.
    """
    values = fetch_values(decision, result, parsed, now, body_hash)
    if decision.url != current_url:
        taken = session.scalar(
            select(Source.id).where(Source.url == decision.url, Source.id != source_id)
        )
        if taken is None:  # never two sources on one URL: the move waits
            values["url"] = decision.url
    # Core, not an ORM-enabled update: nothing in the session holds the row, and the ORM's
    # bookkeeping cost several times the statement.
    table = cast(Table, Source.__table__)
    session.connection().execute(update(table).where(table.c.id == source_id).values(**values))
