"""Write what one fetch found: items deduplicated per (source, entry id), and the source's
new fetch state, in the caller's transaction (one per source).

Items go through the ORM session, never bulk SQL, so whatever listens to ORM events (the search
index) sees every insert and update.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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
        if keep is not None and not keep.keeps(entry.text()):
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
            previous = item.updated_at
            _fill(item, entry, now)
            moved = entry.updated_at if entry.updated_at and (
                previous is None or entry.updated_at > previous
            ) else now  # fmt: skip
            item.updated_at = moved
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    return counts


def apply_decision(
    session: Session,
    source: Source,
    decision: Decision,
    result: FetchResult,
    parsed: ParsedFeed | None,
    now: datetime,
) -> None:
    """Record the fetch on ``source`` and release its lease."""
    if decision.url != source.url:
        taken = session.scalar(
            select(Source.id).where(Source.url == decision.url, Source.id != source.id)
        )
        if taken is None:
            source.url = decision.url
    source.pending_redirect = decision.pending_redirect
    source.consecutive_errors = decision.consecutive_errors
    source.last_error = decision.error
    source.next_fetch_at = decision.next_fetch_at
    source.retry_after = decision.retry_after
    source.gone = decision.gone
    source.last_fetch_at = now
    source.last_status = result.status
    if decision.success:
        source.last_success_at = now
        if result.status == 200:
            # A validator is only worth keeping with the body it describes.
            source.etag = result.etag
            source.last_modified = result.last_modified
        else:
            source.etag = result.etag or source.etag
            source.last_modified = result.last_modified or source.last_modified
    if parsed is not None and parsed.error is None:
        source.title = parsed.title or source.title
        source.site_link = parsed.site_link or source.site_link
    source.lease_owner = None
    source.lease_expires_at = None
