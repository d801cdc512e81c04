from __future__ import annotations

from pathlib import Path

import pytest

from brevefeed.errors import InputError
from brevefeed.ingest.discover import discover_feeds, resolve_feed_url
from brevefeed.ingest.fetch import FetchSettings
from feedserver import FeedServer, Reply

PAGE = (Path(__file__).parent / "fixtures" / "feeds" / "page.html").read_text(encoding="utf-8")
SETTINGS = FetchSettings(timeout=2.0, connect_timeout=1.0, allow_private=True)


def test_feeds_are_found_best_format_first() -> None:
    assert discover_feeds(PAGE, "https://gazette.example.net/actu/") == [
        "https://gazette.example.net/rss.xml",
        "https://gazette.example.net/feed.json",
    ]


def test_base_href_and_other_links() -> None:
    page = """<html><head><base href="https://cdn.example/site/">
    <link rel="stylesheet" href="a.css"><link rel="ALTERNATE" type="application/atom+xml"
    href="atom.xml"><link rel="alternate" type="text/html" href="/en/"></head></html>"""
    assert discover_feeds(page, "https://x.example/") == ["https://cdn.example/site/atom.xml"]
    assert discover_feeds("<p>rien</p>", "https://x.example/") == []


def test_discovered_links_failing_the_url_rule_are_ignored() -> None:
    page = """<html><head>
    <link rel="alternate" type="application/atom+xml" href="http://0177.0.0.1/feed">
    <link rel="alternate" type="application/atom+xml" href="http://[::1/feed">
    <link rel="alternate" type="application/atom+xml" href="http://x.example:99999/feed">
    <link rel="alternate" type="application/atom+xml" href="javascript:alert(1)">
    <link rel="alternate" type="application/rss+xml" href="/rss.xml"></head></html>"""
    assert discover_feeds(page, "https://x.example/") == ["https://x.example/rss.xml"]
    based = '<base href="http://[::1/"><link rel="alternate" type="application/rss+xml" href="r">'
    assert discover_feeds(based, "https://x.example/a/") == ["https://x.example/a/r"]


def test_resolve_follows_a_page_to_its_feed(feed_server: FeedServer) -> None:
    feed_server.routes["/"] = Reply(body=PAGE.encode(), headers={"Content-Type": "text/html"})
    feed_server.routes["/rss.xml"] = Reply(body=b"<rss/>")
    assert resolve_feed_url(feed_server.url("/"), SETTINGS) == (feed_server.url("/rss.xml"), None)
    assert resolve_feed_url(feed_server.url("/rss.xml"), SETTINGS) == (
        feed_server.url("/rss.xml"),
        None,
    )


def test_page_without_feed_and_unreachable_url(feed_server: FeedServer) -> None:
    feed_server.routes["/vide"] = Reply(body=b"<html><p>x</p></html>")
    with pytest.raises(InputError, match="declares no feed"):
        resolve_feed_url(feed_server.url("/vide"), SETTINGS)
    url, note = resolve_feed_url(feed_server.url("/absent"), SETTINGS)
    assert url == feed_server.url("/absent") and note == "HTTP 404"
