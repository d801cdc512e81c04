"""`brevefeed ingest --backfill`: archive a source's whole history along RFC 5005
prev-archive links, one transaction per page, with the source's keyword filters."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from brevefeed.archive import Archive
from brevefeed.config import Config
from brevefeed.errors import InputError
from brevefeed.ingest.fetch import FetchSettings, fetch, make_client
from brevefeed.ingest.filters import KeywordFilter
from brevefeed.ingest.parsers import Parsers, failure, one_line
from brevefeed.ingest.run import RunSummary, fetch_settings, keyword_filter
from brevefeed.ingest.sources import find_source, sync_config
from brevefeed.ingest.store import store_entries

log = logging.getLogger(__name__)


async def _backfill(
    archive: Archive,
    config: Config,
    source_id: int,
    url: str,
    settings: FetchSettings,
    keep: KeywordFilter,
) -> RunSummary:
    summary = RunSummary()
    seen: set[str] = set()
    ingest = config.ingest
    parsers = Parsers(ingest.parse_workers, ingest.parse_timeout, config.site.timezone)
    next_url: str | None = url
    try:
        async with make_client(settings, 2) as client:
            while next_url and len(seen) < ingest.backfill_pages:
                if next_url in seen:
                    summary.failures.append(f"{next_url}: prev-archive loop, stopped")
                    break
                seen.add(next_url)
                result = await fetch(client, next_url, settings)
                log.info("%s: HTTP %s, %d bytes", next_url, result.status, len(result.body))
                parsed = None
                if result.status == 200 and result.error is None:
                    parsed = await parsers.parse(result)
                if parsed is None or parsed.error:
                    summary.errors += 1
                    reason = result.error or (parsed.error if parsed else f"HTTP {result.status}")
                    summary.failures.append(f"{next_url}: {one_line(reason or 'failed')}")
                    break
                try:
                    with archive.session() as session:
                        now = datetime.now(UTC)
                        counts = store_entries(session, source_id, parsed.entries, now, keep)
                except Exception as exc:
                    # The page is rolled back; the pages already stored stay (one transaction
                    # each), and a later backfill resumes from the feed.
                    summary.errors += 1
                    summary.failures.append(f"{next_url}: {failure('cannot store', exc)}")
                    break
                log.info("%s: %d new, %d updated, %d unchanged, %d filtered out", next_url,
                         counts.new, counts.updated, counts.unchanged, counts.filtered)  # fmt: skip
                summary.fetched += 1
                summary.new_items += counts.new
                summary.updated_items += counts.updated
                summary.filtered += counts.filtered
                next_url = parsed.prev_archive
            else:
                if next_url:
                    summary.failures.append(
                        f"{next_url}: stopped after {ingest.backfill_pages} pages"
                    )
    finally:
        parsers.shutdown()
    return summary


def backfill(archive: Archive, config: Config, ref: str) -> RunSummary:
    """Archive a source's whole history along RFC 5005 prev-archive links, one transaction
    per page (bounded by [ingest] backfill_pages, a loop stops it). Items the source's keyword
    filters drop are not stored, as in a run."""
    with archive.session() as session:
        sync_config(session, config.sources, datetime.now(UTC))
        source = find_source(session, ref)
        if source.gone or not source.enabled:
            raise InputError(f"{source.url} is {'gone' if source.gone else 'disabled'}")
        source_id, url = source.id, source.url
        keep = keyword_filter(config.ingest, source.keywords, source.exclude)
    settings = fetch_settings(config)
    return asyncio.run(_backfill(archive, config, source_id, url, settings, keep))
