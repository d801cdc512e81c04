"""No entry, source or document can abort an ingest run: each failure is recorded on its own
source (one line naming the exception) and the healthy sources beside it are ingested. Against
a real HTTP server on 127.0.0.1, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

import slowparse
from brevefeed.archive import Archive
from brevefeed.archive.models import Item, Source
from brevefeed.config import Config, SourceConfig
from brevefeed.ingest import backfill as backfill_module
from brevefeed.ingest import parsers as parsers_module
from brevefeed.ingest import run as run_module
from brevefeed.ingest.backfill import backfill
from brevefeed.ingest.parsers import one_line
from brevefeed.ingest.run import ingest
from feedserver import FeedServer, Reply
from test_run import FEEDS, RSS, _healthy, _items, _make_due, _run_with, _source, _with_sources

_real_store = run_module.store_entries
_real_record = run_module.record_fetch


def _rss(*items: tuple[str, str]) -> bytes:
    """An RSS document of (title, pubDate) items."""
    body = "".join(
        f"<item><title>{title}</title><guid>g-{n}</guid><pubDate>{date}</pubDate></item>"
        for n, (title, date) in enumerate(items)
    )
    return f'<rss version="2.0"><channel><title>T</title>{body}</channel></rss>'.encode()


def _assert_recorded_failure(source: Source, start: str) -> None:
    error = source.last_error or ""
    assert error.startswith(start) and "\n" not in error
    assert source.consecutive_errors == 1
    # Not due again at once: a failing source is not fetched on every run forever.
    assert source.next_fetch_at is not None and source.next_fetch_at > datetime.now(UTC)
    assert source.lease_owner is None


def test_a_store_that_raises_fails_that_source_only(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def store(session: Any, source_id: int, entries: Any, *args: Any) -> Any:
        entries = list(entries)
        if any("POISON" in entry.title for entry in entries):
            # What a lone surrogate did at the insert: neither IntegrityError nor DataError.
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return _real_store(session, source_id, entries, *args)

    monkeypatch.setattr(run_module, "store_entries", store)
    poisoned = Reply(body=_rss(("ok", "Tue, 04 Jun 2024 14:30:00 +0200"), ("POISON", "")))
    summary = _run_with(archive, ingest_config, feed_server, "/poison", poisoned)
    assert summary.errors == 1 and summary.new_items == 4
    source = _source(archive, feed_server, "/poison")
    _assert_recorded_failure(source, "cannot store: UnicodeEncodeError: ")
    # The source's transaction was rolled back: none of its items half-stored.
    assert _items(archive, feed_server, "/poison") == 0


def test_a_store_refused_in_a_shared_transaction_costs_only_its_source(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def store(session: Any, source_id: int, entries: Any, *args: Any) -> Any:
        entries = list(entries)
        if any("POISON" in entry.title for entry in entries):
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return _real_store(session, source_id, entries, *args)

    batches: list[int] = []
    real_finish = run_module.Runner.finish

    def finish(self: run_module.Runner, batch: Any) -> Any:
        batches.append(len(batch))
        return real_finish(self, batch)

    monkeypatch.setattr(run_module, "store_entries", store)
    monkeypatch.setattr(run_module.Runner, "finish", finish)
    # Long enough for the three sources to finish before their outcomes are written.
    monkeypatch.setattr(run_module._Batcher, "GATHER", 2.0)
    poisoned = Reply(body=_rss(("ok", "Tue, 04 Jun 2024 14:30:00 +0200"), ("POISON", "")))
    summary = _run_with(archive, ingest_config, feed_server, "/poison", poisoned)
    # One transaction for the three, rolled back; then each source alone.
    assert batches == [3, 1, 1, 1]
    assert summary.errors == 1 and summary.new_items == 4
    _assert_recorded_failure(
        _source(archive, feed_server, "/poison"), "cannot store: UnicodeEncodeError: "
    )
    assert _items(archive, feed_server, "/poison") == 0


def test_a_lone_surrogate_in_a_json_feed_never_stops_the_run(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    body = b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [' \
        b'{"id": "1", "title": "\\ud800", "content_text": "x"},' \
        b'{"id": "2", "title": "Bon", "content_text": "y"}]}'  # fmt: skip
    reply = Reply(body=body, headers={"Content-Type": "application/feed+json"})
    summary = _run_with(archive, ingest_config, feed_server, "/surrogate.json", reply)
    # Whether the parser strips the surrogate (then both items are stored) or the store
    # refuses it (then the source records its error), the run goes on.
    source = _source(archive, feed_server, "/surrogate.json")
    stored = _items(archive, feed_server, "/surrogate.json")
    assert (summary.errors, stored) in ((0, 2), (1, 0))
    if summary.errors:
        _assert_recorded_failure(source, "cannot store: ")


def test_an_outcome_the_archive_refuses_does_not_cost_its_neighbours(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def record(session: Any, source_id: int, url: str, decision: Any, *args: Any) -> None:
        if "HTTP 500" in (decision.error or ""):
            raise RuntimeError("the driver refused a value")
        _real_record(session, source_id, url, decision, *args)

    monkeypatch.setattr(run_module, "record_fetch", record)
    feed_server.routes["/panne"] = Reply(500)
    feed_server.routes["/absent"] = Reply(404)
    healthy = _healthy(feed_server)
    config = _with_sources(ingest_config, feed_server, *healthy, "/panne", "/absent")
    summary = ingest(archive, config)
    assert summary.errors == 2 and summary.new_items == 4
    _assert_recorded_failure(
        _source(archive, feed_server, "/panne"), "cannot record: RuntimeError: the driver"
    )
    _assert_recorded_failure(_source(archive, feed_server, "/absent"), "HTTP 404")


def test_a_source_with_a_url_httpx_refuses_records_its_error(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    # Planted before the entrances checked URLs (an old archive, a hand-edited export).
    with archive.session() as session:
        session.add(
            Source(url="http://0177.0.0.1/feed", declared_url="", created_at=datetime.now(UTC))
        )
    healthy = _healthy(feed_server)
    summary = ingest(archive, _with_sources(ingest_config, feed_server, *healthy))
    assert summary.errors == 1 and summary.new_items == 4
    with archive.session() as session:
        source = session.scalars(select(Source).where(Source.url.startswith("http://0177"))).one()
        session.expunge(source)
    _assert_recorded_failure(source, "bad URL: ambiguous numeric host")


DATES = (
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-05:00",
    "4 juin 2024 14h30 +9999",
    "Fri, 31 Dec 9999 23:59:59 -0500",
)


def test_dates_out_of_range_are_kept_unread_not_the_feed_lost(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    body = _rss(*((f"Brève {n}", date) for n, date in enumerate(DATES)), ("Datée", "2024-06-04"))
    reply = Reply(body=body, headers={"Content-Type": "application/rss+xml"})
    summary = _run_with(archive, ingest_config, feed_server, "/dates", reply)
    assert summary.errors == 0
    with archive.session() as session:
        items = session.scalars(select(Item).join(Source).where(Source.url.endswith("/dates")))
        raw = {item.title: item.raw_date for item in items}
    assert raw == {f"Brève {n}": date for n, date in enumerate(DATES)} | {"Datée": None}


def test_backfill_survives_odd_dates_and_a_store_that_raises(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def page(titles: tuple[str, ...], prev: str) -> bytes:
        entries = "".join(
            f"<entry><id>tag:h.example,2023:{t}</id><title>{t}</title>"
            f"<updated>{DATES[n % len(DATES)]}</updated></entry>"
            for n, t in enumerate(titles)
        )
        link = f'<link rel="prev-archive" href="{prev}"/>'
        return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>H</title>{link}{entries}</feed>'.encode()

    feed_server.routes["/h"] = Reply(body=page(("a", "b", "c", "d"), "/h/1"))
    feed_server.routes["/h/1"] = Reply(body=page(("POISON",), "/h/0"))
    feed_server.routes["/h/0"] = Reply(body=page(("z",), "/h/x"))

    def store(session: Any, source_id: int, entries: Any, *args: Any) -> Any:
        entries = list(entries)
        if any(entry.title == "POISON" for entry in entries):
            raise OverflowError("date value out of range")
        return _real_store(session, source_id, entries, *args)

    monkeypatch.setattr(backfill_module, "store_entries", store)
    config = dataclasses.replace(ingest_config, sources=(SourceConfig(url=feed_server.url("/h")),))
    summary = backfill(archive, config, feed_server.url("/h"))
    assert (summary.fetched, summary.new_items, summary.errors) == (1, 4, 1)
    assert summary.failures == [
        f"{feed_server.url('/h/1')}: cannot store: OverflowError: date value out of range"
    ]


@pytest.mark.parametrize(
    ("message", "line"),
    [
        ("a\nb", "a"),
        ("bad \x00 byte \ud800", "bad \ufffd byte \ufffd"),
        ("", ""),
        ("x" * 2000, "x" * 500),
    ],
)
def test_one_line(message: str, line: str) -> None:
    assert one_line(message) == line


@pytest.mark.parametrize("workers", [0, 2])
def test_a_parse_past_the_time_limit_fails_that_feed_and_frees_its_worker(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    monkeypatch.setattr(parsers_module, "parse_feed", slowparse.parse_or_hang)
    slowparse.RELEASE.clear()
    # Generous for worker start-up on a loaded machine: the hanging parse never ends anyway.
    limit = 5.0 if workers else 1.0
    config = dataclasses.replace(
        ingest_config,
        ingest=dataclasses.replace(
            ingest_config.ingest, parse_workers=workers, parse_timeout=limit
        ),
    )
    try:
        hang = Reply(body=b"<rss><channel><title>HANG</title></channel></rss>")
        summary = _run_with(archive, config, feed_server, "/hang", hang)
    finally:
        slowparse.RELEASE.set()
    assert summary.errors == 1
    error = _source(archive, feed_server, "/hang").last_error or ""
    assert error == f"parsing took longer than {limit:g} s ([ingest] parse_timeout)"


def test_a_config_source_that_is_a_web_page_follows_the_feed_it_declares(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    page = (FEEDS / "page.html").read_bytes()  # declares /rss.xml, then /feed.json
    feed_server.routes["/actu/"] = Reply(body=page, headers={"Content-Type": "text/html"})
    feed_server.routes["/rss.xml"] = Reply(
        body=RSS, headers={"Content-Type": "application/rss+xml"}
    )
    config = _with_sources(ingest_config, feed_server, "/actu/")
    summary = ingest(archive, config)
    assert (summary.errors, summary.fetched, summary.new_items) == (0, 1, 3)
    source = _source(archive, feed_server, "/actu/")
    assert source.url == feed_server.url("/rss.xml")  # recorded, and what `sources list` shows
    assert source.declared_url == feed_server.url("/actu/") and source.last_error is None
    _make_due(archive)
    again = ingest(archive, config)  # config.toml still names the page: the same source
    assert again.errors == 0 and again.new_items == 0
    assert feed_server.hits("/actu/") == 1 and feed_server.hits("/rss.xml") == 2
    with archive.session() as session:
        assert len(session.scalars(select(Source)).all()) == 1


def test_a_page_declaring_no_usable_feed_stays_an_error(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    page = b'<html><link rel="alternate" type="application/rss+xml" href="http://0177.0.0.1/">'
    reply = Reply(body=page, headers={"Content-Type": "text/html"})
    summary = _run_with(archive, ingest_config, feed_server, "/page", reply)
    assert summary.errors == 1
    source = _source(archive, feed_server, "/page")
    assert source.url == feed_server.url("/page") and "HTML page" in (source.last_error or "")
