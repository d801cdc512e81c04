"""Sources and items in the JSON Lines export, and back.

Kinds "source" and "item". Every stored field travels (fetch
state included, so a restored archive resumes its schedule) except a worker's lease, which
means nothing outside the run that took it. Items name their source by URL and follow all
sources in the file, so a restore sees each source before its items.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive.breves import iso
from brevefeed.archive.exchange.record import Fields, Kind, Record
from brevefeed.archive.models import SOURCE_ORIGINS, Item, Source
from brevefeed.errors import InputError
from brevefeed.text.sanitize import sanitize_html
from brevefeed.urls import BadURLError, check_web_url, web_url_or_empty

#: Items are streamed, never all loaded at once.
YIELD_PER = 1000


def source_record(source: Source) -> Record:
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


def item_record(item: Item, source_url: str) -> Record:
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


def _feed_url(fields: Fields, key: str, *, empty: bool = False) -> str:
    """A URL the source is fetched or matched by: refused, naming the key, unless the URL
    rule accepts it (an export is input like any other; nothing else would check it)."""
    value: str = fields.get(key, str)
    if empty and not value:
        return value
    try:
        return check_web_url(value)
    except BadURLError as exc:
        raise InputError(f"key {key!r}: {value!r}: {exc}") from None


class SourceKind(Kind[Source]):
    """Matched by URL."""

    name = label = "source"
    keys = frozenset(
        [
            "kind", "url", "declared_url", "name", "title", "site_link", "enabled", "origin",
            "keywords", "exclude", "interval", "created", "etag", "last_modified", "last_fetch",
            "last_status", "last_success", "consecutive_errors", "last_error", "next_fetch",
            "gone", "retry_after", "pending_redirect", "body_hash", "id_collisions",
            "dropped_links",
        ]
    )  # fmt: skip
    model = Source

    def export(self, session: Session) -> Iterator[Record]:
        for source in session.scalars(select(Source).order_by(Source.id)):
            yield source_record(source)

    def identity(self, session: Session, fields: Fields) -> dict[str, Any]:
        return {"url": _feed_url(fields, "url")}

    def exported(self, row: Source, fields: Fields) -> Record:
        return source_record(row)

    def fill(self, session: Session, row: Source, fields: Fields) -> None:
        f = fields
        origin = f.get("origin", str)
        if origin not in SOURCE_ORIGINS:
            raise InputError(f"key 'origin': {origin!r} is not one of {', '.join(SOURCE_ORIGINS)}")
        # Empty is the column default: a source created without a declared URL.
        row.declared_url = _feed_url(f, "declared_url", empty=True)
        row.name = f.get("name", str)
        row.title = f.get("title", str)
        row.site_link = web_url_or_empty(f.get("site_link", str))
        row.enabled = f.get("enabled", bool)
        row.origin = origin
        row.keywords = f.strings("keywords")
        row.exclude = f.strings("exclude")
        row.interval = f.get("interval", int, optional=True)
        row.created_at = f.time("created")  # type: ignore[assignment]
        row.etag = f.get("etag", str, optional=True)
        row.last_modified = f.get("last_modified", str, optional=True)
        row.last_fetch_at = f.time("last_fetch", optional=True)
        row.last_status = f.get("last_status", int, optional=True)
        row.last_success_at = f.time("last_success", optional=True)
        row.consecutive_errors = f.get("consecutive_errors", int)
        row.last_error = f.get("last_error", str, optional=True)
        row.next_fetch_at = f.time("next_fetch", optional=True)
        row.gone = f.get("gone", bool)
        row.retry_after = f.time("retry_after", optional=True)
        redirect = f.get("pending_redirect", str, optional=True)
        row.pending_redirect = web_url_or_empty(redirect or "") or None
        row.body_hash = f.get("body_hash", str, optional=True)
        # Optional: exports written before these counts existed do not carry them.
        row.id_collisions = f.get("id_collisions", int, optional=True) or 0
        row.dropped_links = f.get("dropped_links", int, optional=True) or 0


class ItemKind(Kind[Item]):
    """Under its source, named by URL: the source record must come first."""

    name = label = "item"
    keys = frozenset(
        [
            "kind", "source", "id", "link", "title", "authors", "summary_html", "content_html",
            "categories", "published", "updated", "raw_date", "fetched", "content_hash",
        ]
    )  # fmt: skip
    model = Item

    def export(self, session: Session) -> Iterator[Record]:
        rows = session.execute(
            select(Item, Source.url)
            .join(Source, Item.source_id == Source.id)
            .order_by(Item.source_id, Item.id)
            .execution_options(yield_per=YIELD_PER)
        )
        for item, url in rows:
            yield item_record(item, url)
            session.expunge(item)  # keep memory flat on large archives

    def identity(self, session: Session, fields: Fields) -> dict[str, Any]:
        url = fields.get("source", str)
        source_id = session.scalar(select(Source.id).where(Source.url == url))
        if source_id is None:
            raise InputError(f"item of unknown source {url!r} (its source record must come first)")
        return {"source_id": source_id, "entry_id": fields.get("id", str)}

    def exported(self, row: Item, fields: Fields) -> Record:
        return item_record(row, fields.get("source", str))

    def fill(self, session: Session, row: Item, fields: Fields) -> None:
        f = fields
        # As ingest stores them: http(s) links only, HTML through the sanitizer.
        row.link = web_url_or_empty(f.get("link", str))
        row.title = f.get("title", str)
        row.authors = f.strings("authors")
        row.summary_html = sanitize_html(f.get("summary_html", str))
        row.content_html = sanitize_html(f.get("content_html", str))
        row.categories = f.strings("categories")
        row.published_at = f.time("published", optional=True)
        row.updated_at = f.time("updated", optional=True)
        row.raw_date = f.get("raw_date", str, optional=True)
        row.fetched_at = f.time("fetched")  # type: ignore[assignment]
        row.content_hash = f.get("content_hash", str)
