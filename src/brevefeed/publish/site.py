"""Pages → bytes: the web face of the archive, rendered with Jinja2 (autoescaped).

One page per brève at ``breves/<slug>/`` (the slug fixed at first publication), the home page
and an HTML page beside every tag and section feed (its latest brèves), numbered older pages
cut like the RFC 5005 archives (``pages/<n>/``: a full one never changes again), a « S'abonner »
page, and a sitemap index with one sitemap per archive page plus one for the lists.

Links between pages are root-relative (the path of ``[publish] base_url``), so the output can
be previewed on another host (``brevefeed serve``); canonical URLs, OpenGraph and JSON-LD are
absolute. Every string is made XML-safe (a control character is a parse error in HTML too),
and the body is sanitized last, as in the feeds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from brevefeed.config import Config
from brevefeed.publish.pagedata import PageBreve
from brevefeed.publish.plan import section_folder, tag_folder
from brevefeed.publish.store import Entry, RelatedRef
from brevefeed.text import slugify
from brevefeed.text.sanitize import sanitize_html
from brevefeed.text.xmlsafe import is_xml_safe, xml_safe
from brevefeed.urls import web_url_or_empty

#: The shipped templates (``brevefeed init --templates`` copies them).
DEFAULTS = files("brevefeed") / "templates" / "site"
TEMPLATE_NAMES = ("base.html", "breve.html", "list.html", "subscribe.html", "style.css")
STYLESHEET = "style.css"
SUBSCRIBE_FOLDER = "abonnement"
PAGES_FOLDER = "pages"
BREVES_FOLDER = "breves"
SITEMAP = "sitemap.xml"
SITEMAP_FOLDER = "sitemaps"
MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()
FEED_TYPES = (
    ("rss", "application/rss+xml", "RSS"),
    ("atom", "application/atom+xml", "Atom"),
    ("json", "application/feed+json", "JSON Feed"),
)


def french_date(moment: datetime, tz: ZoneInfo) -> str:
    """« 26 juin 2024 », « 1er mai 2024 »."""
    local = moment.astimezone(tz)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {MONTHS[local.month - 1]} {local.year}"


def item_url(template: str, slug: str, published: datetime, tz: ZoneInfo) -> str:
    local = published.astimezone(tz)
    return template.format(
        slug=slug, year=f"{local.year:04d}", month=f"{local.month:02d}", day=f"{local.day:02d}"
    )


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script>`` element: ``<``, ``>`` and ``&`` escaped so no ``</script>`` or
    ``<!--`` in a title can end the element early."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escaped)
    return Markup(text)


def _finalize(value: Any) -> Any:
    # Called on every value a page prints (some fifty per brève page): clean text, nearly
    # all of it, goes through untouched, without a copy.
    if not isinstance(value, str) or is_xml_safe(value):
        return value
    if isinstance(value, Markup):
        return Markup(xml_safe(str(value)))
    return xml_safe(value)


def _loader(config: Config) -> jinja2.BaseLoader:
    shipped = jinja2.PackageLoader("brevefeed", "templates/site")
    if not config.site.templates:
        return shipped
    own = jinja2.FileSystemLoader(str(config.folder / config.site.templates))
    return jinja2.ChoiceLoader([own, shipped])


def templates_digest(config: Config) -> str:
    """A hash of the overriding templates, so that editing one rebuilds every page."""
    if not config.site.templates:
        return ""
    digest = hashlib.sha256()
    folder = config.folder / config.site.templates
    for name in TEMPLATE_NAMES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class Story:
    """One line of « À lire aussi »: an article, and every outlet that ran it."""

    title: str
    link: str
    outlets: tuple[str, ...]


def stories(related: Sequence[RelatedRef]) -> list[Story]:
    """One line per story: the store groups related items by story already (one syndicated
    article is one reference naming every outlet that ran it)."""
    return [
        Story(ref.title, ref.link, ref.outlets)
        for ref in related
        if web_url_or_empty(ref.link) == ref.link
    ]


@dataclass(frozen=True)
class Feed:
    label: str
    mime: str
    url: str
    #: Relative to base_url: what page links use, so a preview on another host navigates.
    path: str


class Site:
    """Renders every page of one run (settings fixed: ``last_page`` is the newest archive
    page after the run)."""

    def __init__(self, config: Config, base: str, last_page: int) -> None:
        self.config = config
        self.base = base
        self.root = urlsplit(base).path or "/"
        self.tz = config.site.tz
        self.last_page = last_page
        self.env = jinja2.Environment(
            loader=_loader(config),
            autoescape=True,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            # A Site lives for one run, which must not see a template change halfway: and
            # checking the templates' mtimes costs a few stats per page rendered.
            auto_reload=False,
        )
        self.main_feeds = self.feeds("", config.site.title)
        #: Tag or section name -> its page's path (slugging costs more than the lookup).
        self._paths: dict[tuple[str, str], str | None] = {}
        self.env.filters["french_date"] = lambda moment: french_date(moment, self.tz)
        self.env.filters["iso"] = lambda moment: moment.astimezone(self.tz).isoformat()

    # Links ------------------------------------------------------------------------------

    def breve_path(self, slug: str) -> str:
        return f"{BREVES_FOLDER}/{slug}/"

    def link(self, slug: str, published: datetime) -> str:
        """The URL feeds give a brève: its page, or ``[site] item_url``."""
        template = self.config.site.item_url
        if template:
            return item_url(template, slug, published, self.tz)
        return self.base + self.breve_path(slug)

    def tag_path(self, tag: str) -> str | None:
        key = ("tags", tag)
        if key not in self._paths:
            shown = self.config.publish.per_tag and slugify(tag)
            self._paths[key] = tag_folder(tag) + "/" if shown else None
        return self._paths[key]

    def section_path(self, section: str) -> str | None:
        key = ("sections", section)
        if key not in self._paths:
            shown = self.config.publish.per_section and slugify(section)
            self._paths[key] = section_folder(section) + "/" if shown else None
        return self._paths[key]

    def has_page(self, folder: str) -> bool:
        """Whether a tag or section feed folder is written (and so its page)."""
        kind, _, slug = folder.partition("/")
        enabled = {"tags": self.config.publish.per_tag, "sections": self.config.publish.per_section}
        return bool(slug) and enabled.get(kind, False)

    def feeds(self, folder: str, title: str) -> list[Feed]:
        return self.feeds_named(folder, title, ("feed.xml", "atom.xml", "feed.json"))

    # Pages ------------------------------------------------------------------------------

    def _render(self, template: str, path: str, **context: Any) -> tuple[str, bytes]:
        page_path = path.removesuffix("index.html")
        html = self.env.get_template(template).render(
            site=self.config.site,
            root=self.root,
            canonical=self.base + page_path,
            main_feeds=self.main_feeds,
            subscribe=SUBSCRIBE_FOLDER + "/",
            **context,
        )
        return path, html.encode("utf-8")

    def breve(self, page: PageBreve) -> tuple[str, bytes]:
        entry = page.entry
        body = sanitize_html(entry.html, base_url=self.config.site.link)
        shown = page.status == "published"
        tags = [(tag, self.tag_path(tag)) for tag in entry.tags]
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": xml_safe(entry.title),
            "datePublished": entry.published.isoformat(),
            "dateModified": entry.updated.isoformat(),
            "inLanguage": entry.language,
            "url": self.base + self.breve_path(page.slug),
            "author": [
                {"@type": "Person", "name": xml_safe(name)}
                for name in entry.authors or (self.config.site.author,)
            ],
            "publisher": {"@type": "Organization", "name": xml_safe(self.config.site.title)},
        }
        if entry.standfirst and shown:
            data["description"] = xml_safe(entry.standfirst)
        if entry.section:
            data["articleSection"] = xml_safe(entry.section)
        return self._render(
            "breve.html",
            self.breve_path(page.slug) + "index.html",
            entry=entry,
            page=page,
            shown=shown,
            body=Markup(body) if shown else Markup(""),
            tags=tags,
            section=(entry.section, self.section_path(entry.section)),
            sources=[url for url in page.sources if web_url_or_empty(url) == url],
            stories=stories(entry.related) if shown else [],
            edited=entry.updated > entry.published,
            authors=" et ".join(filter(None, [", ".join(entry.authors[:-1]), *entry.authors[-1:]])),
            json_ld=json_ld(data),
            # A retracted brève says nothing of what it said, in its <head> either.
            description=(entry.standfirst or entry.title) if shown else "Brève retirée",
            og_type="article",
            feeds=[],
            title=entry.title,
        )

    def listing(
        self,
        folder: str,
        heading: str,
        entries: Sequence[Entry],
        *,
        page: int | None = None,
    ) -> tuple[str, bytes]:
        """The home page (folder ""), a tag or section page, or archive page ``page``."""
        site = self.config.site
        feeds = self.feeds(folder, heading) if folder else []
        older = newer = None
        if page is not None:
            path = f"{PAGES_FOLDER}/{page}/index.html"
            older = f"{PAGES_FOLDER}/{page - 1}/" if page > 1 else None
            newer = f"{PAGES_FOLDER}/{page + 1}/" if page < self.last_page else ""
        else:
            path = f"{folder}/index.html" if folder else "index.html"
            if not folder and self.last_page:
                older = f"{PAGES_FOLDER}/{self.last_page}/"
        items = [(entry, entry.link.removeprefix(self.base)) for entry in entries]
        return self._render(
            "list.html",
            path,
            heading=heading,
            items=items,
            page=page,
            older=older,
            newer=newer,
            feeds=feeds,
            description=site.description or site.title,
            og_type="website",
            json_ld=None,
            title=heading if heading == site.title else f"{heading} — {site.title}",
        )

    def subscribe_page(
        self, folders: Sequence[tuple[str, str]], *, press: bool
    ) -> tuple[str, bytes]:
        """Every feed URL: the main feeds, the press review (``press``: when it is written),
        then each section and tag."""
        site = self.config.site
        groups: list[tuple[str, list[Feed], str | None]] = [
            (site.title, self.feeds("", site.title), None)
        ]
        if press:
            names = ("related.xml", "related-atom.xml", "related.json")
            review = self.feeds_named("", f"{site.title} — revue de presse", names)
            groups.append((f"{site.title} — revue de presse", review, None))
        kinds = {"tags": "Mot-clé", "sections": "Rubrique"}
        for folder, name in folders:
            heading = f"{kinds[folder.partition('/')[0]]} « {name} »"
            groups.append((heading, self.feeds(folder, name), folder + "/"))
        return self._render(
            "subscribe.html",
            f"{SUBSCRIBE_FOLDER}/index.html",
            groups=groups,
            feeds=[],
            description=f"Suivre {site.title} dans un lecteur de flux",
            og_type="website",
            json_ld=None,
            title=f"S'abonner — {site.title}",
        )

    def feeds_named(self, folder: str, title: str, names: Sequence[str]) -> list[Feed]:
        prefix = f"{folder}/" if folder else ""
        return [
            Feed(f"{title} ({label})", mime, self.base + prefix + name, prefix + name)
            for (_fmt, mime, label), name in zip(FEED_TYPES, names, strict=True)
        ]

    def stylesheet(self) -> tuple[str, bytes]:
        source = self.env.loader.get_source(self.env, STYLESHEET)[0]  # type: ignore[union-attr]
        return STYLESHEET, source.encode("utf-8")

    # Sitemaps ---------------------------------------------------------------------------

    @staticmethod
    def _urlset(urls: Iterable[tuple[str, datetime | None]]) -> bytes:
        rows = "".join(
            f"<url><loc>{xml_escape(url)}</loc>"
            + (f"<lastmod>{when.date().isoformat()}</lastmod>" if when else "")
            + "</url>\n"
            for url, when in urls
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{rows}</urlset>\n"
        ).encode()

    def sitemap_breves(self, page: int, rows: Sequence[tuple[str, datetime]]) -> tuple[str, bytes]:
        urls = [(self.base + self.breve_path(slug), when) for slug, when in rows]
        return f"{SITEMAP_FOLDER}/breves-{page}.xml", self._urlset(urls)

    def sitemap_lists(self, folders: Sequence[str]) -> tuple[str, bytes]:
        paths = ["", SUBSCRIBE_FOLDER + "/"]
        paths += [f"{PAGES_FOLDER}/{n}/" for n in range(1, self.last_page + 1)]
        paths += [folder + "/" for folder in folders]
        return f"{SITEMAP_FOLDER}/lists.xml", self._urlset((self.base + p, None) for p in paths)

    def sitemap_index(self) -> tuple[str, bytes]:
        names = ["lists.xml", *(f"breves-{n}.xml" for n in range(1, self.last_page + 1))]
        rows = "".join(
            f"<sitemap><loc>{xml_escape(self.base + SITEMAP_FOLDER + '/' + name)}</loc></sitemap>\n"
            for name in names
        )
        return SITEMAP, (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{rows}</sitemapindex>\n"
        ).encode()


def copy_defaults(folder: Path) -> list[Path]:
    """Write the shipped templates into ``folder`` (existing files are kept); the copies made."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name in TEMPLATE_NAMES:
        target = folder / name
        if not target.exists():
            target.write_bytes((DEFAULTS / name).read_bytes())
            made.append(target)
    return made
