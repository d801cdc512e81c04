"""What `brevefeed ingest` logs for a sysadmin whose source misbehaves (brevefeed.ingest.*)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from brevefeed.archive import Archive
from brevefeed.archive.models import Source
from brevefeed.config import Config
from brevefeed.ingest.run import ingest
from feedserver import FeedServer, Reply
from test_run import FEEDS, RSS, _healthy, _with_sources


def _lines(caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.startswith("brevefeed.ingest") and r.levelno == level]  # fmt: skip


def _logged(
    archive: Archive, config: Config, caplog: pytest.LogCaptureFixture, all_sources: bool = False
) -> list[str]:
    """What one run logs at INFO."""
    caplog.clear()
    ingest(archive, config, all_sources=all_sources)
    return _lines(caplog, logging.INFO)


def _has(lines: list[str], start: str) -> bool:
    return any(line.startswith(start) for line in lines)


def test_the_log_says_what_was_fetched_skipped_and_backed_off(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="brevefeed.ingest")
    feed_server.routes["/down"] = Reply(status=500)
    feed_server.routes["/gone"] = Reply(status=410)
    config = _with_sources(ingest_config, feed_server, *_healthy(feed_server), "/down", "/gone")
    url = feed_server.url
    info = _logged(archive, config, caplog)
    assert _has(info, f"{url('/gazette.rss')}: HTTP 200, {len(RSS)} bytes")
    assert f"{url('/gazette.rss')}: 3 new, 0 updated, 0 unchanged, 0 filtered out" in info
    assert _has(info, f"{url('/down')}: HTTP 500; error 1 in a row, backed off until ")
    assert _has(info, f"{url('/gone')}: HTTP 410 Gone")
    assert any(line.endswith("not fetched again until `sources enable`") for line in info)

    later = datetime.now(UTC) + timedelta(hours=1)
    with archive.session() as session:
        session.execute(
            update(Source).where(Source.url == url("/vigie.atom")).values(enabled=False)
        )
        session.execute(
            update(Source).where(Source.url == url("/down"))
            .values(lease_owner="other:1:ab", lease_expires_at=later)
        )  # fmt: skip
    info = _logged(archive, config, caplog, all_sources=True)
    assert f"{url('/gazette.rss')}: not modified (HTTP 304)" in info
    assert f"{url('/vigie.atom')}: skipped, disabled" in info
    assert f"{url('/gone')}: skipped, gone (HTTP 410), until `sources enable`" in info
    assert f"{url('/down')}: skipped, leased by other:1:ab until {later.isoformat()}" in info

    assert not _has(_logged(archive, config, caplog), f"{url('/gazette.rss')}: skipped")
    assert _has(_lines(caplog, logging.DEBUG), f"{url('/gazette.rss')}: skipped, not due until ")


def test_the_log_says_why_a_document_failed_and_which_feed_a_page_led_to(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="brevefeed.ingest")
    page = (FEEDS / "page.html").read_bytes()  # declares /rss.xml
    feed_server.routes["/actu/"] = Reply(body=page, headers={"Content-Type": "text/html"})
    feed_server.routes["/rss.xml"] = Reply(body=RSS)
    feed_server.routes["/junk"] = Reply(body=b"\x89PNG not a feed")
    config = _with_sources(ingest_config, feed_server, "/actu/", "/junk")
    url = feed_server.url
    info = _logged(archive, config, caplog)
    assert _has(info, f"{url('/actu/')}: cannot parse: ")
    assert f"{url('/actu/')}: a web page; following the feed it declares, {url('/rss.xml')}" in info
    assert _has(info, f"{url('/rss.xml')}: HTTP 200")
    assert _has(info, f"{url('/junk')}: cannot parse: ")
    backed_off = [line for line in info if line.startswith(f"{url('/junk')}: not a feed")]
    assert len(backed_off) == 1 and "; error 1 in a row, backed off until " in backed_off[0]
