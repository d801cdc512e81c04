"""Documents → bytes: RSS 2.0 and Atom through feedgen (plus a small extension), JSON Feed 1.1
through ``json``.

feedgen is a well-kept generator but its defaults are wrong for a feed polled for years, so
every one of them is overridden here, on purpose:

* it stamps ``updated``/``lastBuildDate`` with the clock: we always set them, from the newest
  ``updated`` of what the document holds (tombstones included), so a rebuild of unchanged data
  gives the same bytes;
* RSS ``<channel><link>`` is the *last* link given to ``link()``: we give it only the site
  (``rel="alternate"``); self, hub and archive links are written by ``_LinksExtension`` as
  ``atom:link`` elements, so the feed URL can never land in ``<link>``;
* ``type="CDATA"`` is not an Atom content type: content is passed as ``type="html"`` (escaped);
* an RSS ``<author>`` must be an e-mail address, so feedgen drops name-only authors: names go in
  one ``dc:creator`` naming them all (« Jeanne Martin et Léo Ferrand »: newsboat and
  feedparser keep only the last of several), and one ``author/name`` each in Atom;
* it cannot write RFC 5005 ``fh:archive`` nor RFC 6721 ``at:deleted-entry``: the extension does.

What the archive holds is not trusted here either: every string is stripped of the characters
XML 1.0 forbids (one stored before that filter existed would otherwise fail every publish),
every HTML fragment goes through the sanitizer last, chapô, sources and « À lire aussi »
included, and every link we write must pass the URL rule (http/https only), so no
``javascript:`` reaches a reader.

Readers show ``content`` and hide ``description``/``summary`` once there is content, so the
content is the whole brève: the chapô as its lead paragraph, the body, the sources it cites and
« À lire aussi »; the summary keeps the chapô alone.

The generator element carries no version number, so upgrading brevefeed does not by itself
change every archive page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from html import escape
from typing import Any, TypeVar, cast

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from brevefeed.publish.store import Entry, PressItem, RelatedRef, Tombstone
from brevefeed.text.sanitize import sanitize_html
from brevefeed.text.xmlsafe import xml_safe
from brevefeed.urls import web_url_or_empty

ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"
AT_NS = "http://purl.org/atompub/tombstones/1.0"
GENERATOR_URI = "https://pypi.org/project/brevefeed/"
#: Atom ``updated`` of a document that holds nothing at all (Atom requires one): a fixed
#: instant, never the clock.
EMPTY_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)
FORMATS = ("rss", "atom", "json")


@dataclass(frozen=True)
class Meta:
    """Everything about one document except its entries. URLs are keyed by format."""

    title: str
    description: str
    site_link: str
    language: str
    default_author: str
    urls: dict[str, str]
    #: RFC 5005 links (``current``, ``prev-archive``, ``next-archive``) by format.
    history: dict[str, dict[str, str]] = field(default_factory=dict)
    archive: bool = False
    hub: str = ""


def document_updated(entries: Sequence[Entry], tombstones: Sequence[Tombstone] = ()) -> datetime:
    times = [e.updated for e in entries] + [t.when for t in tombstones]
    return max(times, default=EMPTY_UPDATED)


_T = TypeVar("_T")


def _scrubbed(value: _T) -> _T:
    """``value`` (a string, or tuples, dicts and dataclasses of them) with every string
    XML-safe; the very object when nothing had to change, so clean data costs no copy."""
    cleaned: Any = value
    if isinstance(value, str):
        cleaned = xml_safe(value)
    elif isinstance(value, tuple):
        items = tuple(_scrubbed(v) for v in value)
        if any(a is not b for a, b in zip(items, value, strict=True)):
            cleaned = items
    elif isinstance(value, dict):
        pairs = {k: _scrubbed(v) for k, v in value.items()}
        if any(pairs[k] is not v for k, v in value.items()):
            cleaned = pairs
    elif is_dataclass(value) and not isinstance(value, type):
        changed = {
            f.name: new
            for f in fields(value)
            if (new := _scrubbed(old := getattr(value, f.name))) is not old
        }
        if changed:
            cleaned = replace(value, **changed)
    return cast(_T, cleaned)


def _web_related(refs: Sequence[RelatedRef]) -> tuple[RelatedRef, ...]:
    return tuple(ref for ref in refs if web_url_or_empty(ref.link) == ref.link)


def _web_sources(urls: Sequence[str]) -> tuple[str, ...]:
    return tuple(url for url in urls if web_url_or_empty(url) == url)


def _safe_entry(entry: Entry) -> Entry:
    clean = _scrubbed(entry)
    related, sources = _web_related(clean.related), _web_sources(clean.sources)
    if len(related) == len(clean.related) and len(sources) == len(clean.sources):
        return clean
    return replace(clean, related=related, sources=sources)


def names_line(names: Sequence[str]) -> str:
    """« A », « A et B », « A, B et C »."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} et {names[-1]}"


def _safe_press(item: PressItem) -> PressItem:
    """The item with its links checked and its HTML sanitized again (it was at ingest, but
    an archive restored from an export, or written by an older brevefeed, may hold anything)."""
    clean = _scrubbed(item)
    link = web_url_or_empty(clean.link)
    return replace(
        clean,
        link=link,
        # A title standing in for a missing one is the link: not shown when the link is not.
        title=clean.title if link or clean.title != clean.link else clean.outlet,
        html=sanitize_html(_carried_by(clean.outlets) + clean.html),
        outlet_link=web_url_or_empty(clean.outlet_link) or clean.outlet_id,
    )


def press_shown(items: Sequence[PressItem]) -> list[PressItem]:
    """Items whose outlet has a web URL (its feed's URL is its id and its fallback link; no
    source is followed without one)."""
    return [item for item in items if web_url_or_empty(item.outlet_id)]


def _press_safe(items: Sequence[PressItem]) -> list[PressItem]:
    return [_safe_press(item) for item in press_shown(items)]


def _carried_by(outlets: Sequence[str]) -> str:
    """A story several outlets carried is one press-review entry: it names them all."""
    if len(outlets) < 2:
        return ""
    return f"<p>Publié par {escape(names_line(outlets))}.</p>\n"


def absolute_html(entry: Entry, site_link: str) -> str:
    """The chapô, the body, the sources and the related coverage, with every relative URL
    resolved against the site, sanitized as one fragment: nothing is appended after the
    sanitizer."""
    lead = f"<p><strong>{escape(entry.standfirst)}</strong></p>\n" if entry.standfirst else ""
    fragment = lead + entry.html + cited_sources(entry.sources) + read_also(entry.related)
    return _absolute(fragment, site_link)


def cited_sources(urls: Sequence[str]) -> str:
    """The sources a brève cites, as an HTML list of links."""
    if not urls:
        return ""
    rows = "".join(f'<li><a href="{escape(url)}">{escape(url)}</a></li>' for url in urls)
    return f"\n<h2>Sources</h2>\n<ul>{rows}</ul>"


def read_also(related: Sequence[RelatedRef]) -> str:
    """« À lire aussi »: one line per story, its outlets, title and link, as HTML."""
    if not related:
        return ""
    rows = "".join(
        f"<li>{escape(names_line(ref.outlets))} : "
        f'<a href="{escape(ref.link)}">{escape(ref.title)}</a></li>'
        for ref in related
    )
    return f"\n<h2>À lire aussi</h2>\n<ul>{rows}</ul>"


# A document is built in two or three formats from the same entries: sanitize each body once.
@lru_cache(maxsize=1024)
def _absolute(html: str, site_link: str) -> str:
    return sanitize_html(html, base_url=site_link)


class _LinksExtension(BaseExtension):  # type: ignore[misc]
    """Feed-level elements feedgen cannot write: atom:link self/hub/history, fh:archive,
    at:deleted-entry (Atom only)."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str, str]] = []
        self.archive = False
        self.tombstones: Sequence[Tombstone] = ()
        self.empty = False

    def extend_ns(self) -> dict[str, str]:
        namespaces = {"fh": FH_NS} if self.archive else {}
        if self.tombstones:
            namespaces["at"] = AT_NS
        return namespaces

    def _add(self, parent: Any, link_tag: str) -> None:
        for rel, href, mime in self.links:
            link = etree.SubElement(parent, link_tag, href=href, rel=rel)
            if mime:
                link.set("type", mime)
        if self.archive:
            etree.SubElement(parent, f"{{{FH_NS}}}archive")

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        self._add(channel, f"{{{ATOM_NS}}}link")
        if self.empty:
            # Nothing to date it by: RSS lets us omit lastBuildDate rather than invent one.
            for element in channel.findall("lastBuildDate"):
                channel.remove(element)
        return feed

    def extend_atom(self, feed: Any) -> Any:
        # feedgen builds Atom elements without a namespace and declares the default one on
        # the root, so a plain "link" is what serializes as atom:link here.
        self._add(feed, "link")
        for stone in self.tombstones:
            deleted = etree.SubElement(
                feed, f"{{{AT_NS}}}deleted-entry", ref=stone.uid, when=rfc3339(stone.when)
            )
            if stone.reason:
                comment = etree.SubElement(deleted, f"{{{AT_NS}}}comment")
                comment.text = stone.reason
        return feed


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_MIME = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


def _head(meta: Meta, fmt: str, *, empty: bool) -> tuple[FeedGenerator, _LinksExtension]:
    """A generator with the feed-level elements every document shares."""
    fg = FeedGenerator()
    if fmt == "rss":
        fg.load_extension("dc", atom=False, rss=True)
    fg.register_extension("brevefeed", _LinksExtension, atom=True, rss=True)
    fg.register_extension("brevefeedentry", BaseExtension, _EntryExtension, atom=True, rss=False)
    ext: _LinksExtension = fg.brevefeed
    ext.empty = empty
    ext.links.append(("self", meta.urls[fmt], _MIME[fmt]))
    if meta.hub:
        ext.links.append(("hub", meta.hub, ""))
    fg.id(meta.urls["atom"])
    fg.title(meta.title)
    fg.description(meta.description or meta.title)
    # The only link feedgen sees: it becomes RSS <channel><link> and Atom rel="alternate".
    fg.link(href=meta.site_link, rel="alternate")
    fg.language(meta.language)
    fg.generator("brevefeed", uri=GENERATOR_URI)
    return fg, ext


def _authors(fe: Any, names: Sequence[str], fmt: str) -> None:
    if fmt == "rss":
        fe.dc.dc_creator(names_line(names))
    else:
        for name in names:
            fe.author(name=name)


def _generator(
    meta: Meta, entries: Sequence[Entry], fmt: str, tombstones: Sequence[Tombstone]
) -> FeedGenerator:
    meta, tombstones = _scrubbed(meta), _scrubbed(tuple(tombstones))
    entries = [_safe_entry(entry) for entry in entries]
    fg, ext = _head(meta, fmt, empty=not entries and not tombstones)
    ext.archive = meta.archive
    # Tombstones are shown in Atom only, but they date every format: a retraction changed
    # the feed.
    ext.tombstones = tombstones if fmt == "atom" else ()
    for rel, href in sorted(meta.history.get(fmt, {}).items()):
        ext.links.append((rel, href, _MIME[fmt]))
    fg.updated(document_updated(entries, tombstones))
    for entry in entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.uid)
        fe.guid(entry.uid, permalink=False)
        fe.title(entry.title)
        if entry.link:
            # Its web page: RSS <link>, Atom rel="alternate"; the tag: id stays the guid.
            fe.link(href=entry.link, rel="alternate", type="text/html")
        fe.published(entry.published)
        fe.updated(entry.updated)
        _authors(fe, entry.authors or (meta.default_author,), fmt)
        if fmt == "rss":
            # description is required beside content:encoded; a brève without a standfirst
            # is summed up by its title.
            fe.description(entry.standfirst or entry.title)
        elif entry.standfirst:
            fe.summary(entry.standfirst, type="text")
        fe.content(absolute_html(entry, meta.site_link), type="html")
        if entry.tags:
            fe.category([{"term": tag} for tag in entry.tags])
        if fmt == "atom":
            fe.brevefeedentry.related = entry.related
    return fg


def build_rss(meta: Meta, entries: Sequence[Entry], tombstones: Sequence[Tombstone] = ()) -> bytes:
    data: bytes = _generator(meta, entries, "rss", tombstones).rss_str(pretty=True)
    return data


def build_atom(meta: Meta, entries: Sequence[Entry], tombstones: Sequence[Tombstone]) -> bytes:
    data: bytes = _generator(meta, entries, "atom", tombstones).atom_str(pretty=True)
    return data


def _json_head(meta: Meta) -> dict[str, Any]:
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.site_link,
        "feed_url": meta.urls["json"],
    }
    if meta.description:
        feed["description"] = meta.description
    feed["language"] = meta.language
    if meta.hub:
        feed["hubs"] = [{"type": "WebSub", "url": meta.hub}]
    return feed


def build_json(meta: Meta, entries: Sequence[Entry]) -> bytes:
    """JSON Feed 1.1 (no archive or tombstone notion exists in it: subscription feeds only)."""
    meta = _scrubbed(meta)
    feed = _json_head(meta)
    feed["items"] = [
        {
            "id": entry.uid,
            **({"url": entry.link} if entry.link else {}),
            "title": entry.title,
            "content_html": absolute_html(entry, meta.site_link),
            **({"summary": entry.standfirst} if entry.standfirst else {}),
            "date_published": rfc3339(entry.published),
            "date_modified": rfc3339(entry.updated),
            "authors": [{"name": n} for n in entry.authors or (meta.default_author,)],
            **({"tags": list(entry.tags)} if entry.tags else {}),
            "language": entry.language,
        }
        for entry in map(_safe_entry, entries)
    ]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


class _EntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Entry elements feedgen 1.0 gets wrong or cannot write, Atom only.

    * ``<link rel="related" title="…">`` for a brève's related coverage: feedgen's entry
      serializer reads ``rel`` and ``title`` off the element it has just created instead of
      the data, so every entry link comes out as a bare alternate link;
    * ``<source>`` for a press-review entry with the outlet's id, title, link and updated:
      feedgen's ``source()`` writes no id, and RFC 4287 §4.2.11 wants id, title and updated so
      readers can tell which feed an entry came from. The outlet's feed changed last no earlier
      than this entry; its own last change would move every entry of that outlet at each of
      its posts, related or not (churn), so the entry's date stands for it.
    """

    def __init__(self) -> None:
        self.related: Sequence[RelatedRef] = ()
        self.outlet: PressItem | None = None

    def extend_atom(self, entry: Any) -> Any:
        for ref in self.related:
            etree.SubElement(entry, "link", href=ref.link, rel="related", title=ref.title)
        if self.outlet is not None:
            source = etree.SubElement(entry, "source")
            etree.SubElement(source, "id").text = self.outlet.outlet_id
            etree.SubElement(source, "title").text = self.outlet.outlet
            etree.SubElement(source, "link", href=self.outlet.outlet_link, rel="alternate")
            etree.SubElement(source, "updated").text = rfc3339(self.outlet.updated)
        return entry


def _press_generator(meta: Meta, items: Sequence[PressItem], fmt: str) -> FeedGenerator:
    meta, items = _scrubbed(meta), _press_safe(items)
    fg, _ext = _head(meta, fmt, empty=not items)
    fg.updated(max((item.updated for item in items), default=EMPTY_UPDATED))
    for item in items:
        fe = fg.add_entry(order="append")
        # The outlet's own id: a reader that also follows that outlet sees one article.
        fe.id(item.entry_id)
        fe.guid(item.entry_id, permalink=False)
        fe.title(item.title)
        if item.link:
            fe.link(href=item.link, rel="alternate")
        fe.published(item.published)
        fe.updated(item.updated)
        _authors(fe, item.authors or (item.outlet,), fmt)
        if fmt == "rss":
            fe.source(url=item.outlet_id, title=item.outlet)
            fe.description(item.html or item.title)
        else:
            fe.brevefeedentry.outlet = item
            if item.html:
                fe.content(item.html, type="html")
    return fg


def build_press_rss(meta: Meta, items: Sequence[PressItem]) -> bytes:
    data: bytes = _press_generator(meta, items, "rss").rss_str(pretty=True)
    return data


def build_press_atom(meta: Meta, items: Sequence[PressItem]) -> bytes:
    data: bytes = _press_generator(meta, items, "atom").atom_str(pretty=True)
    return data


def build_press_json(meta: Meta, items: Sequence[PressItem]) -> bytes:
    meta = _scrubbed(meta)
    feed = _json_head(meta)
    feed["items"] = [
        {
            "id": item.entry_id,
            **({"url": item.link} if item.link else {}),
            "title": item.title,
            **({"content_html": item.html} if item.html else {"content_text": item.title}),
            "date_published": rfc3339(item.published),
            "date_modified": rfc3339(item.updated),
            "authors": [{"name": n} for n in item.authors or (item.outlet,)],
            "_source": {"title": item.outlet, "url": item.outlet_link, "id": item.outlet_id},
        }
        for item in _press_safe(items)
    ]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
