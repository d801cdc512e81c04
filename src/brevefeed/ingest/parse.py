"""Fetched bytes → plain entries, ready to store: DTD guard, feedparser, dates, ids, sanitizing.

``parse_feed`` is a pure, top-level function taking and returning picklable values, so the run
can hand it to a process pool: parsing a large feed then never stalls the fetching loop.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import nh3

from brevefeed.ingest.dates import from_fields, parse_date
from brevefeed.ingest.guard import neutralise_dtd, utf8_content_type
from brevefeed.text.sanitize import sanitize_html
from brevefeed.text.xmlsafe import xml_safe
from brevefeed.urls import web_url_or_empty

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
    #: The feed gave a link we do not keep (not http(s), malformed): ``link`` is empty.
    dropped_link: bool = False

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
    #: Item and site links refused by the URL rule (``javascript:``, ``data:``, malformed).
    dropped_links: int = 0
    #: Entries that reused the id of a different article earlier in the document, and were
    #: given their link (or a hash) as id instead.
    id_collisions: int = 0


def _text(value: Any) -> str:
    """A feed's value as text XML can carry (a control character or a lone surrogate from a
    feed would otherwise reach the archive, and make every later publish fail)."""
    return xml_safe(str(value or ""))


def _plain(value: str) -> str:
    """Text with any markup removed (titles, names): HTML there is never meant to render."""
    value = xml_safe(value)
    if "<" not in value and "&" not in value:
        return value.strip()
    # Unescaping again: a character reference may stand for a forbidden character.
    return xml_safe(html.unescape(nh3.clean(value, tags=set()))).strip()


def _web_link(base: str, raw: str) -> str:
    """``raw`` made absolute against ``base`` if the URL rule accepts it, else ``""``: only
    http(s) links are stored, so no ``javascript:`` link can reach a reader."""
    try:
        return web_url_or_empty(urljoin(base, raw))
    except ValueError:  # urljoin refuses some malformed URLs (an unclosed IPv6 bracket)
        return ""


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _base(url: str, xml_base: Any) -> str:
    """The URL an entry's relative links are resolved against: its xml:base, else the feed's
    (a malformed xml:base is ignored rather than losing the entry)."""
    try:
        return urljoin(url, _text(xml_base))
    except ValueError:
        return url


def _html_of(detail: Any, value: str, base: str) -> str:
    """Sanitized HTML of a text construct, its relative URLs made absolute against ``base``
    (the entry's xml:base, else the feed's URL); plain text is escaped, not interpreted."""
    kind = (detail or {}).get("type", "text/html") if isinstance(detail, dict) else "text/html"
    value = xml_safe(value)
    if kind == "text/plain":
        return html.escape(value).replace("\n\n", "<br><br>")
    if base and ("src=" in value or "href=" in value):
        import feedparser.urls  # see parse_feed

        value = feedparser.urls.resolve_relative_uris(value, base, "utf-8", "text/html")
    return sanitize_html(value)


def _entry_id(entry: Any, link: str, title: str, raw_date: str) -> str:
    entry_id = _text(entry.get("id")).strip() or link or f"sha256:{_hash(title, raw_date)}"
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
    raw_link = _text(entry.get("link")).strip()
    link = _web_link(url, raw_link) if raw_link else ""
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
        _html_of(c, str(c["value"]), _base(url, c.get("base"))) for c in contents
    )
    summary_detail = entry.get("summary_detail")
    summary_base = _base(url, (summary_detail or {}).get("base"))
    summary_html = _html_of(summary_detail, str(entry.get("summary") or ""), summary_base)
    if summary_html == content_html:
        summary_html = ""
    categories = [_plain(str(t.get("term") or "")) for t in entry.get("tags", []) or []]
    categories = list(dict.fromkeys(c for c in categories if c))
    raw_published = _text(entry.get("published")) or None
    # dict.get: FeedParserDict.get("updated") falls back to the published date (deprecated).
    raw_updated = _text(dict.get(entry, "updated")) or None
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
        dropped_link=bool(raw_link) and not link,
    )


def _same_article(first: ParsedEntry, other: ParsedEntry) -> bool:
    """Two entries under one id are one article listed twice unless their titles differ and
    their links do not match (an empty link is no evidence either way)."""
    return first.title == other.title or (bool(first.link) and first.link == other.link)


def _unique(items: Sequence[ParsedEntry]) -> tuple[list[ParsedEntry], int]:
    """The document's entries, one per id, and how many collisions were resolved.

    A repeated id is the same article listed twice (the first occurrence is kept: feeds list
    newest first) or a feed giving one guid to several articles: those would overwrite one
    another in the archive, so each later one takes its link as id, else a hash of what it says.
    A fallback never takes an id another entry of the document holds as its own.
    """
    own = {item.entry_id for item in items}
    kept: dict[str, ParsedEntry] = {}
    collisions = 0
    for item in items:
        first = kept.get(item.entry_id)
        if first is None:
            kept[item.entry_id] = item
            continue
        if _same_article(first, item):
            continue
        fallback = item.link
        if not fallback or fallback in own or fallback in kept:
            fallback = f"sha256:{_hash(item.entry_id, item.link, item.title, item.content_hash)}"
        if fallback not in kept:
            kept[fallback] = replace(item, entry_id=fallback)
            collisions += 1
    return list(kept.values()), collisions


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
    parsed = [_entry(_json_entry(raw), url, local, now) for raw in items if isinstance(raw, dict)]
    entries, collisions = _unique(parsed)
    raw_home = data.get("home_page_url")
    home = _text(raw_home).strip() if isinstance(raw_home, str) else ""
    site_link = _web_link(url, home) if home else ""
    title = data.get("title")
    return ParsedFeed(
        title=_plain(title) if isinstance(title, str) else "",
        site_link=site_link,
        entries=entries,
        dropped_links=sum(e.dropped_link for e in parsed) + bool(home and not site_link),
        id_collisions=collisions,
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
    # Imported here: parsing runs in the parser processes, and the run's own process need
    # not load feedparser (a warm run parses nothing).
    import feedparser

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
    items = [_entry(raw, url, local, now) for raw in parsed.entries]
    entries, collisions = _unique(items)
    prev_archive = next(
        (
            _web_link(url, _text(link.get("href")).strip()) or None
            for link in feed.get("links", [])
            if isinstance(link, dict) and link.get("rel") == "prev-archive" and link.get("href")
        ),
        None,
    )
    # The site is the alternate link; feedparser's ``feed.link`` falls back to an Atom
    # feed's <id>, an identifier (urn:uuid:…, tag:…) that is no page.
    home = next(
        (
            _text(link.get("href")).strip()
            for link in feed.get("links", [])
            if isinstance(link, dict) and link.get("rel") == "alternate" and link.get("href")
        ),
        "",
    )
    site_link = _web_link(url, home) if home else ""
    return ParsedFeed(
        title=_plain(str(feed.get("title") or "")),
        site_link=site_link,
        ttl_minutes=_ttl(feed.get("ttl")),
        skip_hours=_skip_hours(body),
        prev_archive=prev_archive,
        entries=entries,
        dropped_links=sum(e.dropped_link for e in items) + bool(home and not site_link),
        id_collisions=collisions,
    )
