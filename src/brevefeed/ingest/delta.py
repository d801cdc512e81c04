"""What changed: the pure decisions behind storing one fetch.

Which entries of a document are kept, whether an entry is new, edited or the same, which dates
an edit moves, and which validators and figures the source keeps: plain values in, plain
values out, tested without a database (tests/test_delta.py). ``store`` reads and writes the
archive with what these return.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from brevefeed.ingest.fetch import FetchResult
from brevefeed.ingest.filters import KeywordFilter
from brevefeed.ingest.parse import ParsedEntry, ParsedFeed
from brevefeed.ingest.schedule import Decision


def kept_entries(
    entries: Iterable[ParsedEntry], keep: KeywordFilter | None
) -> tuple[dict[str, ParsedEntry], int]:
    """The entries to store by id, and how many the keyword filter dropped.

    The same id twice in one document: the first wins (the second is neither stored nor
    counted as filtered).
    """
    kept: dict[str, ParsedEntry] = {}
    filtered = 0
    for entry in entries:
        if entry.entry_id in kept:
            continue
        if keep is not None and keep.active and not keep.keeps(entry.text()):
            filtered += 1
            continue
        kept[entry.entry_id] = entry
    return kept, filtered


@dataclass(frozen=True)
class Known:
    """What the archive holds of an item already stored."""

    content_hash: str
    updated_at: datetime | None
    published_at: datetime | None
    raw_date: str | None


def item_values(entry: ParsedEntry, now: datetime, known: Known | None) -> dict[str, Any] | None:
    """The item's columns after this fetch, or None when the entry has not changed.

    An edited entry's ``updated_at`` moves: to the feed's own updated date when it gives a
    newer one, else to now, so readers of the archive see that it changed. An entry whose
    date could not be read keeps the date it was given when first fetched while the feed's
    date text stays the same (else it would look newly published on every edit).
    """
    values: dict[str, Any] = {
        "link": entry.link,
        "title": entry.title,
        "authors": list(entry.authors),
        "summary_html": entry.summary_html,
        "content_html": entry.content_html,
        "categories": list(entry.categories),
        "published_at": entry.published_at,
        "raw_date": entry.raw_date,
        "fetched_at": now,
        "content_hash": entry.content_hash,
    }
    if known is None:
        values["updated_at"] = entry.updated_at
        return values
    if known.content_hash == entry.content_hash:
        return None
    if entry.raw_date is not None and entry.raw_date == known.raw_date:
        values["published_at"] = known.published_at
    newer = entry.updated_at is not None and (
        known.updated_at is None or entry.updated_at > known.updated_at
    )
    values["updated_at"] = entry.updated_at if newer else now
    return values


def fetch_values(
    decision: Decision,
    result: FetchResult,
    parsed: ParsedFeed | None,
    now: datetime,
    body_hash: str | None,
) -> dict[str, Any]:
    """The source's columns after a fetch, its lease released (the URL move aside: whether
    the target is free is the archive's to say)."""
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
    if decision.success:
        values["last_success_at"] = now
        if result.status == 200:
            # A validator is only worth keeping with the body it describes.
            values["etag"] = result.etag
            values["last_modified"] = result.last_modified
        else:
            # A 304 need not repeat the validators: those it omits stay.
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
    return values
