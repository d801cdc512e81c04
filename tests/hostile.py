"""Hostile input generators and the properties every command keeps, shared by the property
tests (tests/test_hostile.py, a fixed budget) and the fuzz script (benchmarks/fuzz.py, a
duration).

Generated: feeds (RSS 2.0, Atom, JSON Feed) whose text holds control characters, lone
surrogates, markup and entities, written in one encoding and declared in another, with absurd
dates and odd URLs; brève files (Markdown with TOML front matter of wrong types, odd dates,
forbidden characters; scraped page text). ``javascript:`` only ever goes where a URL goes (a
link, an ``href``, a ``src``), so finding it in a published file means a link got through.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from click.testing import CliRunner, Result
from hypothesis import strategies as st
from lxml import etree

from brevefeed.cli import cli
from brevefeed.ingest.parse import parse_feed
from brevefeed.urls import BadURLError, check_web_url
from feedserver import FeedServer, Reply

NOW = datetime(2024, 6, 5, 12, 0, tzinfo=UTC)

NASTY_TEXT = [
    "&#11;", "&#12;", "&#8;", "&#0;", "&#xD800;", "&#x110000;", "&#xFFFE;", "&amp;", "&lt;b&gt;",
    "&nbsp;", "&eacute;", "&bogus;", "\x0b", "\x00", "\x08", "\x1b[31m", "\x1b]8;;http://evil\x07x",
    "\r", "\u202e", "\u2066", "\ufffe", "\uffff", "\ud800", "\udfff", "\U0001f600", "e\u0301",
    "Le Journal [/bold]", "[link=https://evil.example]clic[/link]", ":smile:", "]]>",
    "<![CDATA[", "<script>alert(1)</script>", "<b>gras</b>", "<img src=x onerror=alert(1)>",
    "<!-- c -->", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "%s", "{0}", "' OR 1=1 --", "\\", '"',
    "journal", "forum", "tribune", "l’agression", "Œuvre", "ﬁn", " ", "\t", "\n\n",
]  # fmt: skip
NASTY_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:x",
    "javascript&#58;alert(1)", "vbscript:x", "data:text/html,<script>x</script>",
    "file:///etc/passwd", "http://example.com:99999/a", "http://example.com:-1/a",
    "http://example.com:0/a", "http://0177.0.0.1/feed", "http://0x7f.1/", "http://1.2.3/",
    "http://[::1/", "http://[fe80::1%25eth0]/", "http://[:::]/", "http://[2001:db8::1]:8080/a",
    "https://exa mple.org/", "//evil.example/x", "/relative/path", "relative", "", "http://",
    "https://例え.jp/記事", "http://a@b@c/", "http://user:pass@example.org/", "https://ok.example.org/a?x=1#y",
    "https://ok.example.org/" + "a" * 3000, "http://xn--/", "http://-a-.example/", "?q=1",
]  # fmt: skip
NASTY_DATES = [
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "4 juin 2024 14h30 +9999",
    "Mon, 32 Jan 2024 25:61:61 GMT", "Tue, 10 Jun 2003 04:00:00 +9999", "-0001-01-01",
    "+275760-09-13T00:00:00Z", "99999999999", "2024-02-30", "2024-06-04T14:30:00",
    "1970-01-01T00:00:00Z", "4 juin 2024 16:00 CEST", "hier", "", "0", "9999-12-31",
    "Sat, 01 Jan 0001 00:00:00 +0100", "2024-06-04T14:30:00+24:00",
]  # fmt: skip
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "cp037"]
DECLARED = [None, "utf-8", "iso-8859-1", "utf-16", "utf-32", "windows-1252", "us-ascii",
            "ebcdic-cp-us", "x-bogus"]  # fmt: skip

#: What XML 1.0 forbids; none of it may come out of parse_feed.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: A terminal's attention: an OSC sequence, a bell, a carriage return, a bidi override.
RAW_CONTROLS = ("\x1b]", "\x07", "\r", "\u202e", "\u2066")

characters = st.characters(exclude_categories=())  # surrogates and controls included
texts = st.lists(
    st.one_of(st.text(characters, max_size=12), st.sampled_from(NASTY_TEXT)), max_size=4
).map("".join)
urls = st.one_of(
    st.sampled_from(NASTY_URLS),
    st.builds(
        "{}://{}:{}/{}".format,
        st.sampled_from(["http", "https", "HTTP", "ftp", "javascript"]),
        st.sampled_from(["example.org", "127.0.0.1", "0177.1", "[::ffff:7f00:1]", "exa_mple"]),
        st.integers(-5, 70_000),
        st.text(characters, max_size=8),
    ),
)
dates = st.one_of(
    st.sampled_from(NASTY_DATES),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.strftime("%a, %d %b %Y %H:%M:%S +0000")
    ),
    st.datetimes(min_value=datetime(1, 1, 2)).map(lambda d: d.isoformat() + "+02:00"),
)
odd_scalars = st.one_of(
    st.none(), st.integers(), st.floats(), st.booleans(), st.just([]), st.just({})
)


@st.composite
def html_fragments(draw: st.DrawFn) -> str:
    """HTML where URLs go into attributes only (a sanitizer must drop the bad ones)."""
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        url = draw(urls).replace('"', "%22")
        parts.append(
            draw(
                st.sampled_from(
                    [
                        f'<a href="{url}">{escape(draw(texts))}</a>',
                        f'<img src="{url}" alt="x">',
                        f"<p>{escape(draw(texts))}</p>",
                        f'<iframe src="{url}"></iframe>',
                        f'<a href="{url}" onclick="x()">lien</a>',
                    ]
                )
            )
        )
    return "".join(parts)


@dataclass
class Entry:
    title: str
    link: str
    guid: str
    published: str
    updated: str
    author: str
    summary: str
    content: str
    category: str


entries = st.builds(
    Entry,
    title=texts,
    link=urls,
    guid=st.one_of(st.sampled_from(["same-guid", ""]), texts),
    published=dates,
    updated=dates,
    author=texts,
    summary=texts,
    content=html_fragments(),
    category=texts,
)


@dataclass
class Feed:
    kind: str
    body: bytes
    content_type: str


def _xml_text(value: str, style: str) -> str:
    if style == "cdata":
        return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    text = escape(value)
    if style == "charref":
        text = XML_FORBIDDEN.sub(lambda m: f"&#{ord(m.group())};", text)
    return text


def _encode(document: str, encoding: str) -> bytes:
    errors = "surrogatepass" if encoding.startswith("utf") else "xmlcharrefreplace"
    try:
        return document.encode(encoding, errors)
    except UnicodeEncodeError:  # a surrogate in utf-8-sig, say
        return document.encode(encoding, "replace")


@st.composite
def xml_feeds(draw: st.DrawFn) -> Feed:
    kind = draw(st.sampled_from(["rss", "atom"]))
    style = draw(st.sampled_from(["escape", "charref", "cdata"]))
    declared = draw(st.sampled_from(DECLARED))
    encoding = draw(st.sampled_from(ENCODINGS))
    items = draw(st.lists(entries, min_size=1, max_size=4))

    def t(value: str) -> str:
        return _xml_text(value, style)

    def a(value: str) -> str:
        return escape(value, {'"': "&quot;"})

    head = f'<?xml version="1.0" encoding="{declared}"?>\n' if declared else ""
    if kind == "rss":
        body = "".join(
            f"<item><title>{t(e.title)}</title><link>{t(e.link)}</link>"
            f"<guid>{t(e.guid)}</guid><pubDate>{t(e.published)}</pubDate>"
            f"<author>{t(e.author)}</author><category>{t(e.category)}</category>"
            f"<description>{escape(e.content)}</description></item>"
            for e in items
        )
        document = (
            f'{head}<rss version="2.0"><channel><title>{t(draw(texts))}</title>'
            f"<link>{t(draw(urls))}</link><description>{t(draw(texts))}</description>"
            f"<ttl>{t(draw(texts))}</ttl>{body}</channel></rss>"
        )
    else:
        body = "".join(
            f'<entry><id>{t(e.guid)}</id><title type="html">{escape(e.title)}</title>'
            f'<link href="{a(e.link)}"/><published>{t(e.published)}</published>'
            f"<updated>{t(e.updated)}</updated><author><name>{t(e.author)}</name></author>"
            f'<category term="{a(e.category)}"/><summary type="text">{t(e.summary)}</summary>'
            f'<content type="html">{escape(e.content)}</content></entry>'
            for e in items
        )
        document = (
            f'{head}<feed xmlns="http://www.w3.org/2005/Atom"><title>{t(draw(texts))}</title>'
            f'<link href="{a(draw(urls))}"/><link rel="prev-archive" href="{a(draw(urls))}"/>'
            f"<id>urn:x</id><updated>{t(draw(dates))}</updated>{body}</feed>"
        )
    charset = draw(st.sampled_from(["", "; charset=utf-8", "; charset=iso-8859-1", "; charset=x"]))
    return Feed(kind, _encode(document, encoding), f"application/{kind}+xml{charset}")


@st.composite
def json_feeds(draw: st.DrawFn) -> Feed:
    def value(good: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(good, good, good, odd_scalars))

    items = [
        {
            "id": value(st.one_of(texts, st.integers(), st.just("same-guid"))),
            "url": value(urls),
            "external_url": value(urls),
            "title": value(texts),
            "summary": value(texts),
            "content_html": value(html_fragments()),
            "content_text": value(texts),
            "date_published": value(dates),
            "date_modified": value(dates),
            "authors": value(st.lists(st.builds(lambda n: {"name": n}, texts), max_size=2)),
            "tags": value(st.lists(texts, max_size=2)),
        }
        for _ in range(draw(st.integers(1, 4)))
    ]
    document = {
        "version": draw(st.sampled_from(["https://jsonfeed.org/version/1.1", "1.0"])),
        "title": value(texts),
        "home_page_url": value(urls),
        "items": items if draw(st.integers(0, 9)) else {"items": items},
    }
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    return Feed("json", text.encode("utf-8", "surrogatepass"), "application/feed+json")


feeds = st.one_of(xml_feeds(), json_feeds())


def _toml(value: Any) -> str:
    """A TOML value; JSON's string escapes are TOML's (a surrogate makes a TOML error)."""
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value) if not isinstance(value, float) else repr(value)
    return str(value)


class Raw(str):
    """A TOML literal written as is (a date, or something broken)."""


toml_dates = st.sampled_from(
    [
        Raw("0001-01-01T00:00:00+01:00"), Raw("9999-12-31T23:59:59-05:00"), Raw("1979-05-27"),
        Raw("2024-06-04T14:30:00"), Raw("07:32:00"), Raw("2024-06-04T14:30:00Z"), Raw("2024-13-45"),
        "hier", "4 juin 2024 14h30 +9999", 20240604,
    ]
)  # fmt: skip


@st.composite
def breve_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """One brève file: Markdown with TOML front matter, or scraped page text."""
    if draw(st.booleans()):
        lines = [
            draw(st.sampled_from(["Actualités / brèves", "", draw(texts)])),
            draw(texts),
            draw(texts),
            draw(texts),
            *draw(st.lists(texts, max_size=3)),
            draw(st.sampled_from(["Partager:", "PUB", ""])),
        ]
        text = "\n\n".join(lines)
        encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
        return "scraped.txt", _encode(text, encoding)
    keys: dict[str, Any] = {
        "title": draw(st.one_of(texts, texts, odd_scalars.filter(lambda v: v is not None))),
        "date": draw(toml_dates),
        "authors": draw(st.one_of(st.lists(texts, max_size=2), texts, st.lists(st.integers()))),
        "tags": draw(st.one_of(st.lists(texts, max_size=3), texts)),
        "standfirst": draw(texts),
        "slug": draw(st.one_of(texts, st.sampled_from(["../../etc", "a/b", ".", "-"]))),
        "sources": draw(st.lists(urls, max_size=2)),
        "status": draw(st.sampled_from(["published", "draft", "retracted", "bogus", 3])),
        "language": draw(st.sampled_from(["fr", "", "x" * 40, 7])),
        "extra": draw(st.just(None) | texts),
    }
    present = draw(st.sets(st.sampled_from(sorted(keys)), min_size=1))
    front = "".join(
        f"{key} = {_toml(value)}\n"
        for key, value in keys.items()
        if key in present and value is not None
    )
    body = "\n\n".join(draw(st.lists(st.one_of(texts, html_fragments()), max_size=3)))
    return "breve.md", _encode(f"+++\n{front}+++\n{body}\n", "utf-8")


@dataclass
class Batch:
    feeds: list[Feed]
    files: list[tuple[str, bytes]]
    terminal: bool


batches = st.builds(
    Batch,
    feeds=st.lists(feeds, min_size=1, max_size=3),
    files=st.lists(breve_files(), max_size=3),
    terminal=st.booleans(),
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | frozenset | set):
        for part in value:
            yield from _strings(part)
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _strings(getattr(value, f.name))


def check_parse(feed: Feed) -> None:
    """parse_feed never raises; every string it returns is XML-safe; links are web URLs."""
    parsed = parse_feed(feed.body, feed.content_type, "https://feeds.example.org/feed", NOW)
    for text in _strings(parsed):
        assert not XML_FORBIDDEN.search(text), f"XML-forbidden character in {text!r}"
    links = [parsed.site_link, *(e.link for e in parsed.entries)]
    for link in links:
        if link:
            try:
                check_web_url(link)
            except BadURLError as exc:
                raise AssertionError(f"link {link!r} kept: {exc}") from None


#: Exit codes README documents for each command (search: 1 is "no hits").
EXIT_CODES = {
    "ingest": {0},
    "import": {0, 1},
    "publish": {0},
    "search": {0, 1},
    "sources": {0},
    "list": {0},
    "related": {0},
    "stories": {0},
}
_JAVASCRIPT = re.compile(rb"j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t\s*(:|&#0*58;|&#x0*3a;|&colon;)")


@dataclass
class Newsroom:
    """One instance reused by a batch of examples: each example follows new feeds and adds
    new files to the same archive, so the commands also meet what earlier ones stored."""

    folder: Path
    server: FeedServer
    archive_url: str
    runs: int = 0
    transcript: list[str] = field(default_factory=list)

    def run(self, *args: str, terminal: bool) -> Result:
        env = {"TTY_COMPATIBLE": "1" if terminal else "0", "FORCE_COLOR": None}
        config = str(self.folder / "config.toml")
        result = CliRunner(env=env).invoke(cli, [*args, "--config", config])
        output = result.stdout + result.stderr
        self.transcript.append(f"$ brevefeed {' '.join(args)}  -> {result.exit_code}\n{output}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            trace = "".join(traceback.format_exception(result.exception))
            raise AssertionError(f"brevefeed {' '.join(args)} raised:\n{trace}")
        assert "Traceback" not in output, output
        allowed = EXIT_CODES[args[0]]
        assert result.exit_code in allowed, f"brevefeed {' '.join(args)}: {output}"
        for line in result.stderr.splitlines():
            assert line.startswith(("brevefeed: ", "  ")), f"not a one-line error: {line!r}"
        for raw in RAW_CONTROLS:
            assert raw not in output, f"{raw!r} sent to the terminal by {args}"
        return result

    def check(self, batch: Batch) -> None:
        self.runs += 1
        self.transcript = []
        n = self.runs
        sources = ""
        for i, feed in enumerate(batch.feeds):
            path = f"/b{n}/f{i}.{feed.kind}"
            self.server.routes[path] = Reply(
                body=feed.body, headers={"Content-Type": feed.content_type}
            )
            sources += f'[[sources]]\nurl = "{self.server.url(path)}"\nname = "f{n}-{i}"\n'
        (self.folder / "config.toml").write_text(
            '[site]\ntitle = "Brèves"\nlink = "https://breves.example.org/"\n'
            f'[archive]\nurl = "{self.archive_url}"\n'
            '[publish]\nbase_url = "https://breves.example.org/flux/"\noutput = "public"\n'
            "[ingest]\nallow_private = true\ntimeout = 5.0\nparse_workers = 0\n" + sources,
            encoding="utf-8",
        )
        files = self.folder / f"b{n}"
        files.mkdir()
        for j, (name, data) in enumerate(batch.files):
            (files / f"{j}-{name}").write_bytes(data)
        terminal = batch.terminal
        self.run("ingest", terminal=terminal)
        if batch.files:
            self.run("import", str(files), terminal=terminal)
        self.run("publish", terminal=terminal)
        self.run("search", "journal OR forum OR tribune", terminal=terminal)
        self.run("search", "journal", "--format", "json", terminal=terminal)
        self.run("sources", "list", terminal=terminal)
        json.loads(self.run("sources", "list", "--format", "json", terminal=terminal).stdout)
        self.run("list", terminal=terminal)
        listed = json.loads(self.run("list", "--format", "json", terminal=False).stdout)
        if listed:
            self.run("related", listed[0]["slug"], terminal=terminal)
        self.run("stories", "--min-outlets", "1", terminal=terminal)
        check_output(self.folder / "public")


def check_output(folder: Path) -> None:
    """Every published file is well-formed XML or JSON, and no javascript: URL is in any."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".xml":
            try:
                etree.fromstring(data, parser)
            except etree.XMLSyntaxError as exc:
                raise AssertionError(f"{path}: not well-formed XML: {exc}") from None
        elif path.suffix == ".json":
            try:
                json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise AssertionError(f"{path}: not valid JSON: {exc}") from None
        found = _JAVASCRIPT.search(data.lower())
        assert found is None, f"{path}: {data[max(0, found.start() - 80) : found.end() + 40]!r}"


def describe(value: Any) -> str:
    """A failing input as text a person can replay (bytes shown as Python literals)."""
    if isinstance(value, Batch):
        parts = [f"terminal={value.terminal}"]
        parts += [f"feed {f.kind} {f.content_type}:\n{f.body!r}" for f in value.feeds]
        parts += [f"file {name}:\n{data!r}" for name, data in value.files]
        return "\n\n".join(parts)
    if isinstance(value, Feed):
        return f"feed {value.kind} {value.content_type}:\n{value.body!r}"
    return repr(value)
