"""Write what one fetch found: items deduplicated per (source, entry id), and the source's
new fetch state, in the caller's transaction (one per source).

The search index follows whatever is written here, ORM or plain SQL: the database's triggers
note the records it must rewrite (see ``archive.changes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from brevefeed.archive.models import Item, Source
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


def _fill(item: Item, entry: ParsedEntry, now: datetime) -> None:
    item.link = entry.link
    item.title = entry.title
    item.authors = list(entry.authors)
    item.summary_html = entry.summary_html
    item.content_html = entry.content_html
    item.categories = list(entry.categories)
    item.published_at = entry.published_at
    item.raw_date = entry.raw_date
    item.fetched_at = now
    item.content_hash = entry.content_hash


def store_entries(
    session: Session,
    source_id: int,
    entries: Iterable[ParsedEntry],
    now: datetime,
    keep: KeywordFilter | None = None,
) -> StoreCounts:
    """Insert new entries, update changed ones, leave the rest; returns what happened.

    An updated entry's ``updated_at`` moves: to the feed's own updated date when it gives a
    newer one, else to now, so readers of the archive see that it changed.
    """
    counts = StoreCounts()
    kept: dict[str, ParsedEntry] = {}
    for entry in entries:
        if entry.entry_id in kept:
            continue  # the same id twice in one document: the first wins
        if keep is not None and keep.active and not keep.keeps(entry.text()):
            counts.filtered += 1
            continue
        kept[entry.entry_id] = entry
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
        if item is None:
            item = Item(source_id=source_id, entry_id=entry_id, updated_at=entry.updated_at)
            _fill(item, entry, now)
            session.add(item)
            counts.new += 1
        elif item.content_hash != entry.content_hash:
            previous, first_dated = item.updated_at, item.published_at
            same_unreadable_date = entry.raw_date is not None and entry.raw_date == item.raw_date
            _fill(item, entry, now)
            if same_unreadable_date:
                item.published_at = first_dated  # still dated when first fetched
            moved = entry.updated_at if entry.updated_at and (
                previous is None or entry.updated_at > previous
            ) else now  # fmt: skip
            item.updated_at = moved
            counts.updated += 1
        else:
            counts.unchanged += 1
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
    """Record the fetch on the source and release its lease, in one UPDATE.

    ``body_hash`` is the hash of a body parsed and stored without error, remembered so the
    same bytes next time are not parsed again.

    One statement, no SELECT first: on a warm run (every feed 304) this is most of the
    archive's work, once per source.
    """
    values: dict[str, Any] = {
        "pending_redirect": decision.pending_redirect,
        "consecutive_errors": decision.consecutive_errors,
        "last_error": decision.error,
        "next_fetch_at": decision.next_fetch_at,
        "retry_after": decision.retry_after,
        "gone": decision.gone,
        "last_fetch_at": now,
        "last_status": result.status,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if decision.url != current_url:
        taken = session.scalar(
            select(Source.id).where(Source.url == decision.url, Source.id != source_id)
        )
        if taken is None:  # never two sources on one URL: the move waits
            values["url"] = decision.url
    if decision.success:
        values["last_success_at"] = now
        if result.status == 200:
            # A validator is only worth keeping with the body it describes.
            values["etag"] = result.etag
            values["last_modified"] = result.last_modified
        else:
            if result.etag:
                values["etag"] = result.etag
            if result.last_modified:
                values["last_modified"] = result.last_modified
    if body_hash is not None:
        values["body_hash"] = body_hash
    if parsed is not None and parsed.error is None:
        # What the newest document held, not a running total: the same document fetched
        # again must not make the figures grow.
        values["id_collisions"] = parsed.id_collisions
        values["dropped_links"] = parsed.dropped_links
        if parsed.title:
            values["title"] = parsed.title
        if parsed.site_link:
            values["site_link"] = parsed.site_link
    session.execute(update(Source).where(Source.id == source_id).values(**values))
