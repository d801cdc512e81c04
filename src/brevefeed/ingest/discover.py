"""Find a page's feeds: ``<link rel="alternate">`` of an RSS, Atom or JSON Feed type."""

from __future__ import annotations

import asyncio
from html.parser import HTMLParser
from urllib.parse import urljoin

from brevefeed.errors import InputError
from brevefeed.ingest.fetch import FetchSettings, fetch, make_client
from brevefeed.ingest.parse import looks_like_html
from brevefeed.urls import web_url_or_empty

#: In order of preference: the formats feedparser reads best first.
FEED_TYPES = (
    "application/atom+xml",
    "application/rss+xml",
    "application/feed+json",
    "application/json",
)


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and values.get("href"):
            self.links.append((kind, values["href"].strip()))


def _absolute(base: str, href: str) -> str:
    """``href`` against ``base`` if the result passes the shared URL rule, else "" (a page
    is a stranger's input: its links must not plant a URL the fetcher would choke on)."""
    try:
        return web_url_or_empty(urljoin(base, href))
    except ValueError:  # urljoin: a malformed [IPv6] host
        return ""


def discover_feeds(page: str, url: str) -> list[str]:
    """Absolute feed URLs a page declares, best format first, without duplicates; links that
    fail the shared URL rule are ignored."""
    collector = _LinkCollector()
    collector.feed(page)
    collector.close()
    base = (_absolute(url, collector.base) or url) if collector.base else url
    ranked = sorted(enumerate(collector.links), key=lambda p: (FEED_TYPES.index(p[1][0]), p[0]))
    found = (_absolute(base, href) for _, (_, href) in ranked)
    return list(dict.fromkeys(link for link in found if link))


async def _resolve(url: str, settings: FetchSettings) -> tuple[str, str | None]:
    async with make_client(settings, 2) as client:
        result = await fetch(client, url, settings)
    if result.status != 200 or result.error:
        return url, result.error or f"HTTP {result.status}"
    if not looks_like_html(result.body, result.content_type):
        return url, None
    found = discover_feeds(result.body.decode("utf-8", errors="replace"), result.url)
    if not found:
        raise InputError(f"{url} is an HTML page that declares no feed")
    return found[0], None


def resolve_feed_url(url: str, settings: FetchSettings) -> tuple[str, str | None]:
    """The feed to follow for ``url``: itself if it serves a feed, else the first feed its
    page declares. The second value is a note when the URL could not be fetched (the URL is
    then followed as given: the next ingest will say more)."""
    return asyncio.run(_resolve(url, settings))
