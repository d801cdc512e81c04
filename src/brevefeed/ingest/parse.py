"""Fetched bytes → plain entries, ready to store: DTD guard, feedparser, dates, ids, sanitizing.

``parse_feed`` is a pure, top-level function taking and returning picklable values, so the run
can hand it to a process pool: parsing a large feed then never stalls the fetching loop.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import feedparser
import feedparser.urls
import nh3

from brevefeed.authoring.render import sanitize_html
from brevefeed.ingest.dates import from_fields, parse_date
from brevefeed.ingest.guard import neutralise_dtd, utf8_content_type

#: An entry id longer than the column is replaced by its hash (stable, and still unique).
MAX_ENTRY_ID = 2048
#: A date further ahead than this is a publisher's mistake: the item is dated when fetched and
#: the feed's string kept in raw_date.
FUTURE_SLACK = timedelta(days=1)
_SKIP_HOURS = re.compile(rb"<skipHours>(.*?)</skipHours>", re.DOTALL | re.IGNORECASE)
_HOUR = re.compile(rb"<hour>\s*(\d{1,2})\s*</hour>", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.I | re.DOTALL)


@dataclass(frozen=True)
class ParsedEntry:
    entry_id: str
    link: str
    title: str
    authors: list[str]
    summary_html: str
    content_html: str
    categories: list[str]
    published_at: datetime | None
    updated_at: datetime | None
    raw_date: str | None
    content_hash: str

    def text(self) -> str:
        """Title, summary, content and categories as plain text, for keyword filters."""
        body = nh3.clean(f"{self.summary_html} {self.content_html}", tags=set())
        return " ".join([self.title, html.unescape(body), *self.categories])


@dataclass(frozen=True)
class ParsedFeed:
    error: str | None = None
    title: str = ""
    site_link: str = ""
    ttl_minutes: int | None = None
    skip_hours: frozenset[int] = frozenset()
    #: RFC 5005 archived feeds: the previous (older) archive document.
    prev_archive: str | None = None
    entries: list[ParsedEntry] = field(default_factory=list)


def _plain(value: str) -> str:
    """Text with any markup removed (titles, names): HTML there is never meant to render."""
    return (
        html.unescape(nh3.clean(value, tags=set())).strip()
        if "<" in value or "&" in value
        else value.strip()
    )


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _html_of(detail: Any, value: str, base: str) -> str:
    """Sanitized HTML of a text construct, its relative URLs made absolute against ``base``
    (the entry's xml:base, else the feed's URL); plain text is escaped, not interpreted."""
    kind = (detail or {}).get("type", "text/html") if isinstance(detail, dict) else "text/html"
    if kind == "text/plain":
        return html.escape(value).replace("\n\n", "<br><br>")
    if base and ("src=" in value or "href=" in value):
        value = feedparser.urls.resolve_relative_uris(value, base, "utf-8", "text/html")
    return sanitize_html(value)


def _entry_id(entry: Any, link: str, title: str, raw_date: str) -> str:
    entry_id = str(entry.get("id") or "").strip() or link or f"sha256:{_hash(title, raw_date)}"
    if len(entry_id) > MAX_ENTRY_ID:
        entry_id = f"sha256:{_hash(entry_id)}"
    return entry_id


def _date(raw: str | None, parsed: Any, local: ZoneInfo) -> datetime | None:
    when = parse_date(raw, local)
    if when is None and parsed:
        # feedparser read a spelling we do not know; trust its UTC reading (if it names a
        # representable moment: its tuples allow a leap second and any year).
        when = from_fields(tuple(parsed[:6]))
    return when


def _entry(entry: Any, url: str, local: ZoneInfo, now: datetime) -> ParsedEntry:
    raw_link = str(entry.get("link") or "").strip()
    link = urljoin(url, raw_link) if raw_link else ""
    title = _plain(str(entry.get("title") or ""))
    authors = [
        _plain(str(a.get("name") or a.get("email") or ""))
        for a in entry.get("authors", [])
        if isinstance(a, dict)
    ]
    authors = [a for a in authors if a] or (
        [_plain(entry["author"])] if entry.get("author") else []
    )
    contents = [c for c in entry.get("content", []) if isinstance(c, dict) and c.get("value")]
    content_html = "".join(
        _html_of(c, str(c["value"]), urljoin(url, str(c.get("base") or ""))) for c in contents
    )
    summary_detail = entry.get("summary_detail")
    summary_base = urljoin(url, str((summary_detail or {}).get("base") or ""))
    summary_html = _html_of(summary_detail, str(entry.get("summary") or ""), summary_base)
    if summary_html == content_html:
        summary_html = ""
    categories = [_plain(str(t.get("term") or "")) for t in entry.get("tags", []) or []]
    categories = list(dict.fromkeys(c for c in categories if c))
    raw_published = str(entry.get("published") or "") or None
    # dict.get: FeedParserDict.get("updated") falls back to the published date (deprecated).
    raw_updated = str(dict.get(entry, "updated") or "") or None
    published = _date(raw_published, entry.get("published_parsed"), local)
    updated = _date(raw_updated, dict.get(entry, "updated_parsed"), local)
    raw_date = None
    if (raw_published and published is None) or (published and published > now + FUTURE_SLACK):
        raw_date, published = raw_published, now
    if updated and updated > now + FUTURE_SLACK:
        raw_date, updated = raw_date or raw_updated, now
    if published is None and updated is not None:
        published = updated
    if raw_date is None and raw_updated and updated is None and published is None:
        raw_date = raw_updated
    entry_id = _entry_id(entry, link, title, raw_published or raw_updated or "")
    # The dates as the feed wrote them, not as read: an unreadable or future date is replaced
    # by the fetch time, which must not make the entry look edited on every fetch.
    content_hash = _hash(
        json.dumps(
            [title, link, authors, summary_html, content_html, categories,
             raw_published, raw_updated],
            ensure_ascii=False,
        )
    )  # fmt: skip
    return ParsedEntry(
        entry_id=entry_id,
        link=link,
        title=title,
        authors=authors,
        summary_html=summary_html,
        content_html=content_html,
        categories=categories,
        published_at=published,
        updated_at=updated,
        raw_date=raw_date,
        content_hash=content_hash,
    )


def _skip_hours(body: bytes) -> frozenset[int]:
    """RSS <skipHours> (feedparser does not read it): hours 0-23, in GMT."""
    match = _SKIP_HOURS.search(body)
    if not match:
        return frozenset()
    return frozenset(int(h) % 24 for h in _HOUR.findall(match[1]))


def _ttl(value: Any) -> int | None:
    try:
        ttl = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return ttl if ttl > 0 else None


def looks_like_html(body: bytes, content_type: str) -> bool:
    return "html" in content_type.lower() or bool(_HTML_START.match(body[:4096]))


def _json_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """A JSON Feed item in the shape feedparser gives entries, so one path reads both."""
    content = []
    if isinstance(raw.get("content_html"), str):
        content.append({"type": "text/html", "value": raw["content_html"]})
    elif isinstance(raw.get("content_text"), str):
        content.append({"type": "text/plain", "value": raw["content_text"]})
    authors = raw.get("authors")  # 1.1; 1.0 had a single "author"
    if not isinstance(authors, list):
        authors = [raw["author"]] if isinstance(raw.get("author"), dict) else []
    tags: list[Any] = raw["tags"] if isinstance(raw.get("tags"), list) else []
    return {
        "id": raw.get("id") if isinstance(raw.get("id"), str | int) else "",
        "link": raw.get("url") or raw.get("external_url") or "",
        "title": raw.get("title") if isinstance(raw.get("title"), str) else "",
        "authors": [a for a in authors if isinstance(a, dict)],
        "content": content,
        "summary": raw.get("summary") if isinstance(raw.get("summary"), str) else "",
        "summary_detail": {"type": "text/plain"},
        "tags": [{"term": t} for t in tags if isinstance(t, str)],
        "published": raw.get("date_published")
        if isinstance(raw.get("date_published"), str)
        else None,
        "updated": raw.get("date_modified") if isinstance(raw.get("date_modified"), str) else None,
    }


def _json_feed(body: bytes, url: str, local: ZoneInfo, now: datetime) -> ParsedFeed:
    """JSON Feed 1.0 / 1.1 (https://jsonfeed.org), which feedparser does not read."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return ParsedFeed(error="not a feed: invalid JSON")
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        return ParsedFeed(error="not a feed: JSON, but not a JSON Feed")
    items = data.get("items")
    if not isinstance(items, list):
        return ParsedFeed(error="not a feed: a JSON Feed without items")
    entries: dict[str, ParsedEntry] = {}
    for raw in items:
        if isinstance(raw, dict):
            item = _entry(_json_entry(raw), url, local, now)
            entries.setdefault(item.entry_id, item)
    home = data.get("home_page_url")
    title = data.get("title")
    return ParsedFeed(
        title=_plain(title) if isinstance(title, str) else "",
        site_link=urljoin(url, home) if isinstance(home, str) else "",
        entries=list(entries.values()),
    )


def parse_feed(
    body: bytes, content_type: str, url: str, now: datetime, timezone: str = "Europe/Paris"
) -> ParsedFeed:
    """Parse a fetched document. Never raises for bad input: ``error`` says what was wrong.

    ``timezone`` is the zone a date written without one is read in (the site's).
    """
    if not body.strip():
        return ParsedFeed(error="empty body: no feed")
    local = ZoneInfo(timezone)
    if body.lstrip()[:1] == b"{":
        return _json_feed(body, url, local, now)
    safe = neutralise_dtd(body, content_type)
    headers = {"content-type": utf8_content_type(content_type)} if content_type else {}
    # No base URL is given to feedparser: it would resolve entry ids against it, and an id
    # must not change when the feed moves (after a 301 every item would be new again). Links
    # and HTML are resolved here instead. Our sanitizer (nh3) runs on every HTML field, so
    # feedparser's slower one is off; bytes in, so feedparser never opens a URL or a file.
    parsed = feedparser.parse(
        safe, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not parsed.entries and not parsed.get("version"):
        if looks_like_html(body, content_type):
            return ParsedFeed(error="an HTML page, not a feed")
        reason = parsed.get("bozo_exception")
        return ParsedFeed(error=f"not a feed: {reason}" if reason else "not a feed")
    feed = parsed.feed
    entries: dict[str, ParsedEntry] = {}
    for raw in parsed.entries:
        item = _entry(raw, url, local, now)
        # A document repeating an id keeps its first occurrence (feeds list newest first).
        entries.setdefault(item.entry_id, item)
    prev_archive = next(
        (
            urljoin(url, str(link.get("href")))
            for link in feed.get("links", [])
            if isinstance(link, dict) and link.get("rel") == "prev-archive" and link.get("href")
        ),
        None,
    )
    return ParsedFeed(
        title=_plain(str(feed.get("title") or "")),
        site_link=urljoin(url, str(feed.get("link") or "")) if feed.get("link") else "",
        ttl_minutes=_ttl(feed.get("ttl")),
        skip_hours=_skip_hours(body),
        prev_archive=prev_archive,
        entries=list(entries.values()),
    )
