"""End-to-end ingest against a real HTTP server on 127.0.0.1: every hostile or broken case
is one source among healthy ones, and each test ends with the healthy ones ingested."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.models import Item, Source
from brevefeed.config import Config, SourceConfig, load_config
from brevefeed.errors import NotFoundError
from brevefeed.ingest import parsers as parsers_module
from brevefeed.ingest import run as run_module
from brevefeed.ingest.backfill import backfill
from brevefeed.ingest.run import RunSummary, ingest
from brevefeed.pipeline import ingest_and_link
from feedserver import FeedServer, Reply

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
RSS = (FEEDS / "observatoire.rss").read_bytes()
ATOM = (FEEDS / "vigie.atom").read_bytes()


def _with_sources(config: Config, server: FeedServer, *paths: str) -> Config:
    return dataclasses.replace(
        config, sources=tuple(SourceConfig(url=server.url(p), name=p) for p in paths)
    )


def _healthy(server: FeedServer) -> list[str]:
    server.routes["/gazette.rss"] = Reply(
        body=RSS, headers={"Content-Type": "application/rss+xml"}, etag='"g1"'
    )
    server.routes["/vigie.atom"] = Reply(
        body=ATOM, headers={"Content-Type": "application/atom+xml"}
    )
    return ["/gazette.rss", "/vigie.atom"]


def _source(archive: Archive, server: FeedServer, path: str) -> Source:
    with archive.session() as session:
        source = session.scalars(
            select(Source).where(Source.declared_url == server.url(path))
        ).one()
        session.expunge(source)
        return source


def _items(archive: Archive, server: FeedServer, path: str) -> int:
    with archive.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Item)
                .join(Source)
                .where(Source.declared_url == server.url(path))
            )
            or 0
        )


def _run_with(
    archive: Archive, config: Config, server: FeedServer, path: str, reply: Reply
) -> RunSummary:
    healthy = _healthy(server)
    server.routes[path] = reply
    summary = ingest(archive, _with_sources(config, server, *healthy, path))
    assert _items(archive, server, "/gazette.rss") == 3
    assert _items(archive, server, "/vigie.atom") == 1
    return summary


def _make_due(archive: Archive) -> None:
    with archive.session() as session:
        session.execute(update(Source).values(next_fetch_at=datetime.now(UTC) - timedelta(1)))


def test_first_run_stores_everything_and_a_rerun_nothing_new(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    config = _with_sources(ingest_config, feed_server, *_healthy(feed_server))
    first = ingest(archive, config)
    assert (first.fetched, first.new_items, first.errors) == (2, 4, 0)
    again = ingest(archive, config)
    assert again.sources == 0  # nothing due yet
    _make_due(archive)
    third = ingest(archive, config)
    # The gazette answers 304 to its ETag; the Atom feed (no validators) sends the same bytes,
    # which are not parsed again: both count as not modified.
    assert (third.not_modified, third.fetched, third.new_items, third.updated_items) == (2, 0, 0, 0)
    assert all(h["user-agent"].startswith("brevefeed/") for _, h in feed_server.requests)
    gazette = _source(archive, feed_server, "/gazette.rss")
    assert gazette.etag == '"g1"' and gazette.last_status == 304
    assert gazette.title == "La Gazette du Numérique"
    # <ttl>30</ttl> is shorter than the interval (60 min): the interval rules.
    assert gazette.next_fetch_at is not None
    assert gazette.next_fetch_at - datetime.now(UTC) > timedelta(minutes=50)


def test_conditional_get_sends_validators_and_304_costs_no_parse(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    config = _with_sources(ingest_config, feed_server, *_healthy(feed_server))
    ingest(archive, config)
    _make_due(archive)
    feed_server.routes["/gazette.rss"] = Reply(body=b"<not a feed", etag='"g1"')
    summary = ingest(archive, config)
    assert summary.not_modified == 2 and summary.errors == 0
    conditional = [h for p, h in feed_server.requests if p == "/gazette.rss"][-1]
    assert conditional["if-none-match"] == '"g1"'


def test_changed_entry_updates_the_item(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    config = _with_sources(ingest_config, feed_server, *_healthy(feed_server))
    ingest(archive, config)
    with archive.session() as session:
        before = session.scalars(select(Item).where(Item.entry_id == "gazette-2024-0612")).one()
        assert before.updated_at is None
    edited = RSS.replace(b"50 000 euros", b"80 000 euros")
    feed_server.routes["/gazette.rss"] = Reply(body=edited, etag='"g2"')
    _make_due(archive)
    summary = ingest(archive, config)
    assert (summary.new_items, summary.updated_items) == (0, 1)
    with archive.session() as session:
        items = session.scalars(select(Item).where(Item.entry_id == "gazette-2024-0612")).all()
        assert len(items) == 1 and "80 000 euros" in items[0].content_html
        assert items[0].updated_at is not None


@pytest.mark.parametrize(
    ("name", "reply", "error"),
    [
        ("html", Reply(body=(FEEDS / "page.html").read_bytes(),
                       headers={"Content-Type": "text/html"}), "HTML page"),
        ("empty", Reply(body=b""), "empty body"),
        ("404", Reply(404, b"introuvable"), "HTTP 404"),
        ("500", Reply(500, b"panne"), "HTTP 500"),
        ("big", Reply(body=b"<rss>" + b"x" * 1_000_000), "larger than"),
        ("bomb", Reply(body=gzip.compress(b"\0" * 50_000_000),
                       headers={"Content-Encoding": "gzip"}), "larger than"),
        ("trickle", Reply(trickle=True), "timed out"),
    ],
)  # fmt: skip
def test_a_failing_source_is_recorded_and_the_others_ingest(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    name: str,
    reply: Reply,
    error: str,
) -> None:
    summary = _run_with(archive, ingest_config, feed_server, f"/{name}", reply)
    assert summary.errors == 1
    failing = _source(archive, feed_server, f"/{name}")
    assert failing.consecutive_errors == 1 and error in (failing.last_error or "")
    assert failing.next_fetch_at is not None and failing.next_fetch_at > datetime.now(UTC)


def test_redirect_loop_is_an_error(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    feed_server.routes["/loop-b"] = Reply(302, headers={"Location": "/loop"})
    summary = _run_with(
        archive, ingest_config, feed_server, "/loop", Reply(302, headers={"Location": "/loop-b"})
    )
    assert summary.errors == 1
    assert "redirects" in (_source(archive, feed_server, "/loop").last_error or "")
    assert feed_server.hits("/loop") + feed_server.hits("/loop-b") <= 6


def test_backoff_grows_and_a_success_resets_it(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    feed_server.routes["/flaky"] = Reply(500)
    config = _with_sources(ingest_config, feed_server, "/flaky")
    delays = []
    for _ in range(3):
        ingest(archive, config, all_sources=True)
        source = _source(archive, feed_server, "/flaky")
        assert source.next_fetch_at and source.last_fetch_at
        delays.append(source.next_fetch_at - source.last_fetch_at)
    assert source.consecutive_errors == 3
    assert delays[0] < delays[1] < delays[2] <= timedelta(minutes=ingest_config.ingest.max_interval)
    feed_server.routes["/flaky"] = Reply(body=RSS)
    ingest(archive, config, all_sources=True)
    source = _source(archive, feed_server, "/flaky")
    assert source.consecutive_errors == 0 and source.last_error is None


def test_permanent_redirect_moves_the_url_when_seen_twice(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    feed_server.routes["/old"] = Reply(301, headers={"Location": "/new"})
    feed_server.routes["/new"] = Reply(body=RSS)
    config = _with_sources(ingest_config, feed_server, "/old")
    ingest(archive, config)
    first = _source(archive, feed_server, "/old")
    assert first.url == feed_server.url("/old") and first.pending_redirect == feed_server.url(
        "/new"
    )
    ingest(archive, config, all_sources=True)
    moved = _source(archive, feed_server, "/old")
    assert moved.url == feed_server.url("/new") and moved.pending_redirect is None
    assert _items(archive, feed_server, "/old") == 3  # declared URL still finds it
    ingest(archive, config, all_sources=True)  # config still says /old: no new source
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Source)) == 1
    assert feed_server.hits("/new") == 3


def test_temporary_redirect_keeps_the_url(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    feed_server.routes["/moved"] = Reply(body=RSS)
    _run_with(
        archive, ingest_config, feed_server, "/temp", Reply(302, headers={"Location": "/moved"})
    )
    source = _source(archive, feed_server, "/temp")
    assert source.url == feed_server.url("/temp") and source.pending_redirect is None
    assert _items(archive, feed_server, "/temp") == 3


def test_410_marks_gone_and_stops_fetching_even_with_all(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    _run_with(archive, ingest_config, feed_server, "/gone", Reply(410))
    assert _source(archive, feed_server, "/gone").gone
    config = _with_sources(ingest_config, feed_server, "/gone")
    ingest(archive, config, all_sources=True)
    ingest(archive, config, source=feed_server.url("/gone"))
    assert feed_server.hits("/gone") == 1


def test_429_retry_after_is_honoured_even_by_all(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    _run_with(
        archive, ingest_config, feed_server, "/busy", Reply(429, headers={"Retry-After": "7200"})
    )
    source = _source(archive, feed_server, "/busy")
    assert source.retry_after is not None
    assert source.retry_after - datetime.now(UTC) > timedelta(minutes=110)
    ingest(archive, _with_sources(ingest_config, feed_server, "/busy"), all_sources=True)
    assert feed_server.hits("/busy") == 1


def test_source_option_fetches_one_source_only(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    config = _with_sources(ingest_config, feed_server, *_healthy(feed_server))
    summary = ingest(archive, config, source="/vigie.atom")
    assert summary.fetched == 1 and feed_server.hits("/gazette.rss") == 0
    with pytest.raises(NotFoundError):
        ingest(archive, config, source="nulle part")


def test_keyword_filters_keep_matching_items_only(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    feed_server.routes["/gazette.rss"] = Reply(body=RSS)
    config = dataclasses.replace(
        ingest_config,
        ingest=dataclasses.replace(ingest_config.ingest, keep="matching", keywords=["homophobe"]),
        sources=(SourceConfig(url=feed_server.url("/gazette.rss"), keywords=["tribunal"]),),
    )
    summary = ingest(archive, config)
    assert (summary.new_items, summary.filtered) == (2, 1)
    with archive.session() as session:
        titles = set(session.scalars(select(Item.title)))
    assert titles == {
        "Harcèlement en ligne : une plateforme condamnée à Lyon",
        "Des messages homophobes signalés en masse après un match",
    }


def test_parsing_in_worker_processes(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    config = _with_sources(ingest_config, feed_server, *_healthy(feed_server))
    config = dataclasses.replace(config, ingest=dataclasses.replace(config.ingest, parse_workers=2))
    summary = ingest(archive, config)
    assert (summary.fetched, summary.new_items) == (2, 4)


def _archive_page(n: int, prev: str | None) -> bytes:
    link = f'<link rel="prev-archive" href="{prev}"/>' if prev else ""
    entries = "".join(
        f"<entry><id>tag:h.example,2023:{n}-{i}</id><title>Archive {n}, brève {i}</title></entry>"
        for i in range(2)
    )
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Historique</title>{link}{entries}</feed>'
    ).encode()


def test_backfill_follows_prev_archive_and_stops_on_a_loop(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    feed_server.routes["/h"] = Reply(body=_archive_page(0, "/h/2"))
    feed_server.routes["/h/2"] = Reply(body=_archive_page(2, "/h/1"))
    feed_server.routes["/h/1"] = Reply(body=_archive_page(1, "/h/2"))  # loops back
    config = _with_sources(ingest_config, feed_server, "/h")
    summary = backfill(archive, config, "/h")
    assert (summary.fetched, summary.new_items) == (3, 6)
    assert any("loop" in failure for failure in summary.failures)
    again = backfill(archive, config, "/h")
    assert again.new_items == 0 and _items(archive, feed_server, "/h") == 6


def test_backfill_is_bounded(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    for n in range(10):
        feed_server.routes[f"/p{n}"] = Reply(body=_archive_page(n, f"/p{n + 1}"))
    config = _with_sources(ingest_config, feed_server, "/p0")
    config = dataclasses.replace(
        config, ingest=dataclasses.replace(config.ingest, backfill_pages=4)
    )
    summary = backfill(archive, config, "/p0")
    assert summary.fetched == 4 and "stopped after 4 pages" in summary.failures[-1]


def test_backfill_applies_the_keyword_filters(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    """README: excluded items are never stored, backfilled ones included."""

    def page(prev: str | None, *titles: str) -> bytes:
        link = f'<link rel="prev-archive" href="{prev}"/>' if prev else ""
        entries = "".join(f"<entry><id>tag:f.example,2023:{t}</id><title>{t}</title></entry>"
                          for t in titles)  # fmt: skip
        return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>{link}{entries}</feed>'.encode()

    feed_server.routes["/f"] = Reply(body=page("/f/1", "Procès en appel", "Horoscope du jour"))
    feed_server.routes["/f/1"] = Reply(body=page(None, "Bulletin météo", "Audience reportée"))
    config = dataclasses.replace(
        ingest_config,
        ingest=dataclasses.replace(ingest_config.ingest, exclude=["météo"]),
        sources=(SourceConfig(url=feed_server.url("/f"), name="/f", exclude=["horoscope"]),),
    )
    summary = backfill(archive, config, "/f")
    assert (summary.fetched, summary.new_items, summary.filtered) == (2, 2, 2)
    with archive.session() as session:
        titles = set(session.scalars(select(Item.title)))
    assert titles == {"Procès en appel", "Audience reportée"}


def test_a_killed_run_loses_nothing_and_a_rerun_completes_without_duplicates(
    archive_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    count = 20
    midway, resume = threading.Event(), threading.Event()

    def hold_from_the_fifth(path: str, headers: dict[str, str]) -> Reply:
        # The killed run is frozen on its fifth fetch: mid-run, known rather than waited for.
        if len(feed_server.requests) >= 5:
            midway.set()
            resume.wait(60)
        return Reply(body=RSS.replace(b"gazette-", path[1:].encode() + b"-"))

    for n in range(count):
        feed_server.routes[f"/k{n}"] = hold_from_the_fifth
    sources = "".join(f'[[sources]]\nurl = "{feed_server.url(f"/k{n}")}"\n' for n in range(count))
    config_path = tmp_path / "config.toml"
    config_path.write_text(
        f'[archive]\nurl = "{archive_url}"\n[ingest]\nallow_private = true\nconcurrency = 1\n'
        f"parse_workers = 0\n{sources}",
        encoding="utf-8",
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "brevefeed", "ingest", "--quiet", "--config", str(config_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert midway.wait(60), "the run never reached its fifth source"
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        resume.set()
    assert len(feed_server.requests) < count  # killed mid-run
    reopened = open_archive(archive_url)
    try:
        # The killed run's leases run out (what waiting for them would do, without the wait).
        with reopened.session() as session:
            session.execute(
                update(Source)
                .where(Source.lease_owner.is_not(None))
                .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        ingest(reopened, load_config(config_path))
        with reopened.session() as session:
            per_source = session.execute(
                select(Item.source_id, func.count()).group_by(Item.source_id)
            ).all()
        assert len(per_source) == count and all(n == 3 for _, n in per_source)
    finally:
        reopened.close()


def test_a_parser_crash_costs_one_feed_not_the_run(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = parsers_module.parse_feed

    def flaky(body: bytes, *args: object) -> object:
        if b"CRASH" in body:
            raise RecursionError("maximum recursion depth exceeded")
        return real(body, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parsers_module, "parse_feed", flaky)
    summary = _run_with(archive, ingest_config, feed_server, "/crash", Reply(body=b"<rss>CRASH"))
    assert summary.errors == 1
    assert "parser failed: RecursionError" in (
        _source(archive, feed_server, "/crash").last_error or ""
    )


def _quadratic() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + b"A" * 40_000 + b'">]>\n'
        b'<rss version="2.0"><channel><title>Quadratique</title>'
        b"<item><title>" + b"&a;" * 10_000 + b"</title><guid>q-1</guid></item></channel></rss>"
    )


def _laughs() -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel>'
        "<title>Rires</title><item><title>&l9;</title><guid>l-1</guid></item></channel></rss>"
    ).encode()


def _external(secret: Path) -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>Fuite</title><item><title>Avant &x; après</title>'
        "<description>&x;</description><guid>x-1</guid></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("name", "content_type", "items"),
    [
        ("malformed.rss", "application/rss+xml", 2),
        # The header claims UTF-8, the document is ISO-8859-1 and says so.
        ("latin1-declared.rss", "application/rss+xml; charset=utf-8", 1),
        ("utf8-undeclared.rss", "", 1),
        ("duplicates.rss", "application/rss+xml", 2),
        ("dates.rss", "application/rss+xml", 5),
        ("hostile-content.rss", "application/rss+xml", 1),
        ("laughs", "application/rss+xml", 1),
        ("quadratic", "application/rss+xml", 1),
        ("external", "application/rss+xml", 1),
    ],
)
def test_odd_feeds_are_stored_safely_beside_the_others(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    tmp_path: Path,
    name: str,
    content_type: str,
    items: int,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("MOT-DE-PASSE-SECRET", encoding="utf-8")
    bodies = {"laughs": _laughs, "quadratic": _quadratic, "external": lambda: _external(secret)}
    body = bodies[name]() if name in bodies else (FEEDS / name).read_bytes()
    headers = {"Content-Type": content_type} if content_type else {}
    summary = _run_with(
        archive, ingest_config, feed_server, "/odd", Reply(body=body, headers=headers)
    )
    assert summary.errors == 0
    assert _items(archive, feed_server, "/odd") == items
    with archive.session() as session:
        for item in session.scalars(select(Item).join(Source).where(Source.url.endswith("/odd"))):
            text = item.title + item.summary_html + item.content_html
            assert len(text) < 100_000  # never more than the document itself (80 KB)
            assert "MOT-DE-PASSE-SECRET" not in text and "<script" not in text
            if name == "latin1-declared.rss":
                assert item.title == "Fête de la musique à Béziers"


def test_at_most_two_connections_per_host(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_fetch = run_module.fetch
    state = {"now": 0, "max": 0}
    pair = asyncio.Event()

    async def held(*args: Any, **kwargs: Any) -> Any:
        # No fetch leaves before a second one is in: the two a host allows always overlap,
        # and the four other sources, due at once, stand at the gate meanwhile (a third let
        # through shows in the maximum). One allowed: the wait gives up and the maximum is 1.
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
        if state["now"] >= 2:
            pair.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pair.wait(), 30)
        try:
            return await real_fetch(*args, **kwargs)
        finally:
            state["now"] -= 1

    monkeypatch.setattr(run_module, "fetch", held)
    paths = [f"/h{n}" for n in range(6)]
    for path in paths:
        feed_server.routes[path] = Reply(body=RSS)
    summary = ingest(archive, _with_sources(ingest_config, feed_server, *paths))
    assert summary.fetched == 6 and state["max"] == 2


def test_undated_entries_do_not_look_edited_on_every_fetch(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    feed_server.routes["/dates"] = Reply(body=(FEEDS / "dates.rss").read_bytes())
    config = _with_sources(ingest_config, feed_server, "/dates")
    assert ingest(archive, config).new_items == 5
    # Another body (so it is parsed again), the same entries.
    retitled = (FEEDS / "dates.rss").read_bytes().replace(b"Le Courrier", b"Le Nouveau Courrier")
    feed_server.routes["/dates"] = Reply(body=retitled)
    again = ingest(archive, config, all_sources=True)
    assert (again.fetched, again.new_items, again.updated_items) == (1, 0, 0)


def test_the_same_body_again_is_not_parsed(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[bytes] = []
    real = parsers_module.parse_feed

    def counting(body: bytes, *args: object) -> object:
        parsed.append(body)
        return real(body, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parsers_module, "parse_feed", counting)
    feed_server.routes["/plain"] = Reply(body=ATOM)  # no ETag, no Last-Modified
    config = _with_sources(ingest_config, feed_server, "/plain")
    ingest(archive, config)
    again = ingest(archive, config, all_sources=True)
    assert again.not_modified == 1 and len(parsed) == 1
    feed_server.routes["/plain"] = Reply(body=ATOM.replace(b"mardi", b"mercredi"))
    changed = ingest(archive, config, all_sources=True)
    assert (changed.fetched, changed.updated_items) == (1, 1) and len(parsed) == 2


def test_ingest_and_link_is_one_call_with_one_summary(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    config = _with_sources(ingest_config, feed_server, *_healthy(feed_server))
    stages: list[str] = []

    @contextmanager
    def stage(label: str) -> Iterator[Callable[[int, int], None]]:
        stages.append(label)
        yield lambda done, total: None

    report = ingest_and_link(archive, config, stages=stage)
    assert (report.ingest.fetched, report.ingest.new_items) == (2, 4)
    assert report.linked.items == 4 and stages == ["Fetching", "Linking"]
    with archive.session() as session:  # every item came out of the pass grouped
        assert session.scalar(select(func.count()).where(Item.story_id.is_(None))) == 0
