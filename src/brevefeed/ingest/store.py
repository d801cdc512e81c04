"""Write what one fetch found: items deduplicated per (source, entry id), and the source's
new fetch state, in the caller's transaction (one per source).

The search index follows whatever is written here, ORM or plain SQL: the database's triggers
note the records it must rewrite (see ``archive.changes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
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
    decides); returns what happened."""
    kept, filtered = kept_entries(entries, keep)
    counts = StoreCounts(filtered=filtered)
    ids = list(kept)
    existing: dict[str, Item] = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        chunk = ids[start : start + LOOKUP_BATCH]
        rows = session.scalars(
            select(Item).where(Item.source_id == source_id, Item.entry_id.in_(chunk))
        )
        existing.update((row.entry_id, row) for row in rows)
    for entry_id, entry in kept.items():
        item = existing.get(entry_id)
        known = None if item is None else Known(
            item.content_hash, item.updated_at, item.published_at, item.raw_date
        )  # fmt: skip
        values = item_values(entry, now, known)
        if values is None:
            counts.unchanged += 1
        elif item is None:
            session.add(Item(source_id=source_id, entry_id=entry_id, **values))
            counts.new += 1
        else:
            for column, value in values.items():
                setattr(item, column, value)
            counts.updated += 1
    session.flush()
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
    session.execute(update(Source).where(Source.id == source_id).values(**values))
