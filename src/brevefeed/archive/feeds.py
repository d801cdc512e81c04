"""Sources and items in the JSON Lines export, and back.

Registered in ``exchange`` as kinds "source" and "item". Every stored field travels (fetch
state included, so a restored archive resumes its schedule) except a worker's lease, which
means nothing outside the run that took it. Items name their source by URL and follow all
sources in the file, so a restore sees each source before its items.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive.breves import Change, iso
from brevefeed.archive.models import SOURCE_ORIGINS, Item, Source
from brevefeed.errors import InputError
from brevefeed.text.sanitize import sanitize_html
from brevefeed.urls import BadURLError, check_web_url, web_url_or_empty

#: Items are streamed, never all loaded at once.
YIELD_PER = 1000


def source_record(source: Source) -> dict[str, Any]:
    return {
        "kind": "source",
        "url": source.url,
        "declared_url": source.declared_url,
        "name": source.name,
        "title": source.title,
        "site_link": source.site_link,
        "enabled": source.enabled,
        "origin": source.origin,
        "keywords": list(source.keywords),
        "exclude": list(source.exclude),
        "interval": source.interval,
        "created": iso(source.created_at),
        "etag": source.etag,
        "last_modified": source.last_modified,
        "last_fetch": iso(source.last_fetch_at),
        "last_status": source.last_status,
        "last_success": iso(source.last_success_at),
        "consecutive_errors": source.consecutive_errors,
        "last_error": source.last_error,
        "next_fetch": iso(source.next_fetch_at),
        "gone": source.gone,
        "retry_after": iso(source.retry_after),
        "pending_redirect": source.pending_redirect,
        "body_hash": source.body_hash,
        "id_collisions": source.id_collisions,
        "dropped_links": source.dropped_links,
    }


def item_record(item: Item, source_url: str) -> dict[str, Any]:
    return {
        "kind": "item",
        "source": source_url,
        "id": item.entry_id,
        "link": item.link,
        "title": item.title,
        "authors": list(item.authors),
        "summary_html": item.summary_html,
        "content_html": item.content_html,
        "categories": list(item.categories),
        "published": iso(item.published_at),
        "updated": iso(item.updated_at),
        "raw_date": item.raw_date,
        "fetched": iso(item.fetched_at),
        "content_hash": item.content_hash,
    }


def export_sources(session: Session) -> Iterator[dict[str, Any]]:
    for source in session.scalars(select(Source).order_by(Source.id)):
        yield source_record(source)


def export_items(session: Session) -> Iterator[dict[str, Any]]:
    rows = session.execute(
        select(Item, Source.url)
        .join(Source, Item.source_id == Source.id)
        .order_by(Item.source_id, Item.id)
        .execution_options(yield_per=YIELD_PER)
    )
    for item, url in rows:
        yield item_record(item, url)
        session.expunge(item)  # keep memory flat on large archives


SOURCE_KEYS = frozenset(
    [
        "kind", "url", "declared_url", "name", "title", "site_link", "enabled", "origin",
        "keywords", "exclude", "interval", "created", "etag", "last_modified", "last_fetch",
        "last_status", "last_success", "consecutive_errors", "last_error", "next_fetch", "gone",
        "retry_after", "pending_redirect", "body_hash", "id_collisions", "dropped_links",
    ]
)  # fmt: skip
ITEM_KEYS = frozenset(
    [
        "kind", "source", "id", "link", "title", "authors", "summary_html", "content_html",
        "categories", "published", "updated", "raw_date", "fetched", "content_hash",
    ]
)  # fmt: skip


def _check_keys(record: dict[str, Any], known: frozenset[str], kind: str) -> None:
    unknown = sorted(set(record) - known)
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r} in a {kind} record")


def _feed_url(f: Any, key: str, *, empty: bool = False) -> str:
    """A URL the source is fetched or matched by: refused, naming the key, unless the URL
    rule accepts it (an export is input like any other; nothing else would check it)."""
    value: str = f.get(key, str)
    if empty and not value:
        return value
    try:
        return check_web_url(value)
    except BadURLError as exc:
        raise InputError(f"key {key!r}: {value!r}: {exc}") from None


def restore_source(session: Session, record: dict[str, Any]) -> Change:
    """Make the archive hold exactly this exported source (matched by URL)."""
    from brevefeed.archive.exchange import _Fields, dumps  # exchange imports this module

    _check_keys(record, SOURCE_KEYS, "source")
    f = _Fields(record)
    url = _feed_url(f, "url")
    origin = f.get("origin", str)
    if origin not in SOURCE_ORIGINS:
        raise InputError(f"key 'origin': {origin!r} is not one of {', '.join(SOURCE_ORIGINS)}")
    source = session.scalars(select(Source).where(Source.url == url)).one_or_none()
    if source is not None and dumps(source_record(source)) == dumps(record):
        return "unchanged"
    change: Change = "updated"
    if source is None:
        source = Source(url=url)
        session.add(source)
        change = "created"
    # Empty is the column default: a source created without a declared URL.
    source.declared_url = _feed_url(f, "declared_url", empty=True)
    source.name = f.get("name", str)
    source.title = f.get("title", str)
    source.site_link = web_url_or_empty(f.get("site_link", str))
    source.enabled = f.get("enabled", bool)
    source.origin = origin
    source.keywords = f.strings("keywords")
    source.exclude = f.strings("exclude")
    source.interval = f.get("interval", int, optional=True)
    source.created_at = f.time("created")  # type: ignore[assignment]
    source.etag = f.get("etag", str, optional=True)
    source.last_modified = f.get("last_modified", str, optional=True)
    source.last_fetch_at = f.time("last_fetch", optional=True)
    source.last_status = f.get("last_status", int, optional=True)
    source.last_success_at = f.time("last_success", optional=True)
    source.consecutive_errors = f.get("consecutive_errors", int)
    source.last_error = f.get("last_error", str, optional=True)
    source.next_fetch_at = f.time("next_fetch", optional=True)
    source.gone = f.get("gone", bool)
    source.retry_after = f.time("retry_after", optional=True)
    redirect = f.get("pending_redirect", str, optional=True)
    source.pending_redirect = web_url_or_empty(redirect or "") or None
    source.body_hash = f.get("body_hash", str, optional=True)
    # Optional: exports written before these counts existed do not carry them.
    source.id_collisions = f.get("id_collisions", int, optional=True) or 0
    source.dropped_links = f.get("dropped_links", int, optional=True) or 0
    session.flush()
    return change


def restore_item(session: Session, record: dict[str, Any]) -> Change:
    """Make the archive hold exactly this exported item, under its source (by URL)."""
    from brevefeed.archive.exchange import _Fields, dumps  # exchange imports this module

    _check_keys(record, ITEM_KEYS, "item")
    f = _Fields(record)
    url = f.get("source", str)
    source_id = session.scalar(select(Source.id).where(Source.url == url))
    if source_id is None:
        raise InputError(f"item of unknown source {url!r} (its source record must come first)")
    entry_id = f.get("id", str)
    item = session.scalars(
        select(Item).where(Item.source_id == source_id, Item.entry_id == entry_id)
    ).one_or_none()
    if item is not None and dumps(item_record(item, url)) == dumps(record):
        return "unchanged"
    change: Change = "updated"
    if item is None:
        item = Item(source_id=source_id, entry_id=entry_id)
        session.add(item)
        change = "created"
    # As ingest stores them: http(s) links only, HTML through the sanitizer.
    item.link = web_url_or_empty(f.get("link", str))
    item.title = f.get("title", str)
    item.authors = f.strings("authors")
    item.summary_html = sanitize_html(f.get("summary_html", str))
    item.content_html = sanitize_html(f.get("content_html", str))
    item.categories = f.strings("categories")
    item.published_at = f.time("published", optional=True)
    item.updated_at = f.time("updated", optional=True)
    item.raw_date = f.get("raw_date", str, optional=True)
    item.fetched_at = f.time("fetched")  # type: ignore[assignment]
    item.content_hash = f.get("content_hash", str)
    session.flush()
    return change
