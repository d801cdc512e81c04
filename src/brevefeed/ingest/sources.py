"""Follow, unfollow, pause and list sources; keep config.toml's ``[[sources]]`` in step.

Config sources and command-line sources live side by side in one table, told apart by
``origin``. A source that leaves config.toml becomes "dropped": kept with its items (the archive
keeps every fetched story), never fetched, and back to "config" if it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from brevefeed.archive.breves import iso
from brevefeed.archive.models import Item, Source
from brevefeed.config import SourceConfig
from brevefeed.errors import InputError, NotFoundError
from brevefeed.urls import BadURLError, check_web_url


def check_url(url: str) -> str:
    """``url`` stripped, or InputError saying why brevefeed will not follow it (the shared
    rule of :mod:`brevefeed.urls`, so nothing followed can make the fetcher raise)."""
    try:
        return check_web_url(url)
    except BadURLError as exc:
        raise InputError(f"{url.strip()!r} is not a URL brevefeed follows: {exc}") from None


def find_source(session: Session, ref: str) -> Source:
    """A source by URL (current or as declared) or by name."""
    matches = session.scalars(
        select(Source)
        .where(or_(Source.url == ref, Source.declared_url == ref, Source.name == ref))
        .order_by(Source.id)
    ).all()
    if not matches:
        raise NotFoundError(f"no source {ref!r} (see `brevefeed sources list`)")
    if len(matches) > 1 and len({s.id for s in matches if s.url == ref}) != 1:
        raise InputError(f"{ref!r} names {len(matches)} sources; use its URL")
    return next((s for s in matches if s.url == ref), matches[0])


def _by_url(session: Session, url: str) -> Source | None:
    return session.scalars(
        select(Source).where(or_(Source.declared_url == url, Source.url == url)).limit(1)
    ).first()


def sync_config(session: Session, declared: Sequence[SourceConfig], now: datetime) -> None:
    """Make the archive's config sources exactly those of config.toml (re-read every run)."""
    listed = set()
    for entry in declared:
        source = _by_url(session, entry.url)
        if source is None:
            source = Source(url=entry.url, declared_url=entry.url, created_at=now)
            session.add(source)
        source.origin = "config"
        source.name = entry.name
        source.keywords = list(entry.keywords)
        source.exclude = list(entry.exclude)
        source.interval = entry.interval
        session.flush()
        listed.add(source.id)
    for source in session.scalars(select(Source).where(Source.origin == "config")):
        if source.id not in listed:
            source.origin = "dropped"
    session.flush()


def config_in_step(session: Session, declared: Sequence[SourceConfig]) -> bool:
    """Whether ``sync_config`` would change nothing: read-only commands check this first so
    they take the write lock only when config.toml was edited since."""
    stored = {s.url: s for s in session.scalars(select(Source).where(Source.origin == "config"))}
    wanted = {entry.url: entry for entry in declared}
    if stored.keys() != wanted.keys():
        return False
    return all(
        (s.name, list(s.keywords), list(s.exclude), s.interval)
        == (e.name, list(e.keywords), list(e.exclude), e.interval)
        for s, e in ((stored[url], wanted[url]) for url in wanted)
    )


def follow_feed(session: Session, source_id: int, feed_url: str) -> bool:
    """Point a source at the feed its page declares (keeping its declared URL, the page, so
    config.toml still names it). False when another source already follows that feed: two
    sources never share a URL, so this one keeps reaching the feed through its page."""
    taken = session.scalar(select(Source.id).where(Source.url == feed_url, Source.id != source_id))
    if taken is not None:
        return False
    session.execute(update(Source).where(Source.id == source_id).values(url=feed_url))
    return True


def add_source(
    session: Session,
    url: str,
    now: datetime,
    *,
    name: str = "",
    keywords: Sequence[str] = (),
    declared_url: str | None = None,
) -> Source:
    url = check_url(url)
    existing = _by_url(session, url)
    if existing is not None and existing.origin == "dropped":
        # Left config.toml earlier, kept with its items: following it again revives it.
        existing.origin = "cli"
        existing.name = name or existing.name
        existing.keywords = list(keywords)
        existing.next_fetch_at = None
        session.flush()
        return existing
    if existing is not None:
        raise InputError(f"{url} is already followed (as {existing.outlet})")
    source = Source(
        url=url,
        declared_url=declared_url or url,
        name=name,
        keywords=list(keywords),
        origin="cli",
        created_at=now,
    )
    session.add(source)
    session.flush()
    return source


def remove_source(session: Session, ref: str) -> tuple[str, int]:
    """Delete a command-line source and its items; returns (url, items deleted)."""
    source = find_source(session, ref)
    if source.origin == "config":
        raise InputError(f"{source.url} is listed in config.toml: remove it there")
    count = 0
    # Item by item: the ORM would otherwise empty the items' source_id before deleting it.
    for item in session.scalars(select(Item).where(Item.source_id == source.id)):
        session.delete(item)
        count += 1
    session.delete(source)
    session.flush()
    return source.url, count


def set_enabled(session: Session, ref: str, enabled: bool) -> Source:
    """Pause or resume a source. Enabling also forgives it: a 410, a Retry-After and the
    error backoff are cleared and it is due at once."""
    source = find_source(session, ref)
    source.enabled = enabled
    if enabled:
        source.gone = False
        source.retry_after = None
        source.consecutive_errors = 0
        source.next_fetch_at = None
    session.flush()
    return source


def site_of(source: Source) -> str:
    """The outlet's web site: the one its feed names, else the page `sources add` was given
    and found the feed on; "" when neither is known (never the feed itself)."""
    if source.site_link:
        return source.site_link
    declared = source.declared_url or ""
    return declared if declared and declared != source.url else ""


def status_of(source: Source) -> str:
    if source.origin == "dropped":
        return "dropped"
    if not source.enabled:
        return "disabled"
    if source.gone:
        return "gone"
    if source.consecutive_errors:
        return "failing"
    return "ok" if source.last_fetch_at else "new"


@dataclass(frozen=True)
class SourceRow:
    source: Source
    items: int

    def record(self) -> dict[str, Any]:
        s = self.source
        return {
            "url": s.url,
            "name": s.name,
            "title": s.title,
            "origin": s.origin,
            "status": status_of(s),
            "last_fetch": iso(s.last_fetch_at),
            "last_status": s.last_status,
            "consecutive_errors": s.consecutive_errors,
            "last_error": s.last_error,
            "next_fetch": iso(s.next_fetch_at),
            "retry_after": iso(s.retry_after),
            "items": self.items,
            "id_collisions": s.id_collisions,
            "dropped_links": s.dropped_links,
        }


def list_sources(session: Session) -> list[SourceRow]:
    counted = session.execute(select(Item.source_id, func.count()).group_by(Item.source_id))
    counts: dict[int, int] = {source_id: n for source_id, n in counted}
    return [
        SourceRow(source, counts.get(source.id, 0))
        for source in session.scalars(select(Source).order_by(Source.id))
    ]
