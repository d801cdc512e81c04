from __future__ import annotations

import asyncio
import gzip
import zlib

import brotli
import pytest

from brevefeed.ingest.fetch import (
    FetchResult,
    FetchSettings,
    fetch,
    is_forbidden_address,
    make_client,
)
from feedserver import FeedServer, Reply

SETTINGS = FetchSettings(timeout=2.0, connect_timeout=1.0, max_bytes=100_000, allow_private=True)


def _get(url: str, settings: FetchSettings = SETTINGS, **kwargs: str) -> FetchResult:
    async def go() -> FetchResult:
        async with make_client(settings, 4) as client:
            return await fetch(client, url, settings, **kwargs)

    return asyncio.run(go())


def test_plain_body_and_validators(feed_server: FeedServer) -> None:
    feed_server.routes["/f"] = Reply(
        body=b"<rss/>",
        etag='"v1"',
        headers={"Content-Type": "application/rss+xml", "Last-Modified": "Tue, 04 Jun 2024"},
    )
    result = _get(feed_server.url("/f"))
    assert (result.status, result.body, result.etag) == (200, b"<rss/>", '"v1"')
    assert result.content_type == "application/rss+xml" and result.error is None
    again = _get(feed_server.url("/f"), etag='"v1"', last_modified="Tue, 04 Jun 2024")
    assert again.status == 304 and again.body == b""
    _, headers = feed_server.requests[-1]
    assert headers["if-modified-since"] == "Tue, 04 Jun 2024"
    assert "br" in headers["accept-encoding"] and "gzip" in headers["accept-encoding"]


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
    ],
)
def test_compressed_bodies_are_decoded(feed_server: FeedServer, encoding: str, compress) -> None:  # type: ignore[no-untyped-def]
    body = "<rss>éèà</rss>".encode() * 100
    feed_server.routes["/c"] = Reply(body=compress(body), headers={"Content-Encoding": encoding})
    assert _get(feed_server.url("/c")).body == body


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("br", lambda data: brotli.compress(data, quality=1))],
)
def test_bombs_stop_at_the_cap(feed_server: FeedServer, encoding: str, compress) -> None:  # type: ignore[no-untyped-def]
    bomb = compress(b"\0" * 50_000_000)  # 50 MB of zeros, 50 KB or less on the wire
    assert len(bomb) < 60_000
    feed_server.routes["/bomb"] = Reply(body=bomb, headers={"Content-Encoding": encoding})
    result = _get(feed_server.url("/bomb"))
    assert result.status is None and "larger than 100000 bytes" in (result.error or "")


def test_a_50_mb_body_is_cut(feed_server: FeedServer) -> None:
    feed_server.routes["/big"] = Reply(body=b"x" * 50_000_000)
    result = _get(feed_server.url("/big"))
    assert result.status is None and "larger than" in (result.error or "")


def test_a_body_at_the_cap_is_kept(feed_server: FeedServer) -> None:
    feed_server.routes["/edge"] = Reply(body=b"y" * 100_000)
    assert len(_get(feed_server.url("/edge")).body) == 100_000


def test_trickling_server_hits_the_total_deadline(feed_server: FeedServer) -> None:
    feed_server.routes["/slow"] = Reply(trickle=True)
    settings = FetchSettings(timeout=0.5, connect_timeout=0.5, allow_private=True)
    result = _get(feed_server.url("/slow"), settings)
    assert result.status is None and result.error == "timed out after 0.5 s"


def test_redirect_limit_and_permanent_chains(feed_server: FeedServer) -> None:
    for i in range(7):
        feed_server.routes[f"/r{i}"] = Reply(301, headers={"Location": f"/r{i + 1}"})
    feed_server.routes["/r7"] = Reply(body=b"<rss/>")
    too_many = _get(feed_server.url("/r0"))
    assert too_many.status is None and "redirects" in (too_many.error or "")
    moved = _get(feed_server.url("/r3"))  # 4 hops, all permanent
    assert moved.status == 200 and moved.permanent_target == feed_server.url("/r7")
    feed_server.routes["/t"] = Reply(307, headers={"Location": "/r6"})
    mixed = _get(feed_server.url("/t"))
    assert mixed.status == 200 and mixed.permanent_target is None


def test_private_addresses_are_refused_after_resolution(feed_server: FeedServer) -> None:
    feed_server.routes["/f"] = Reply(body=b"<rss/>")
    strict = FetchSettings(timeout=2.0, connect_timeout=1.0, allow_private=False)
    for host in ("127.0.0.1", "localhost"):
        result = _get(f"http://{host}:{feed_server.port}/f", strict)
        assert result.status is None and "refused" in (result.error or "")
    assert feed_server.hits("/f") == 0


def test_cloud_metadata_address_is_refused_without_connecting() -> None:
    result = _get("http://169.254.169.254/latest/meta-data/", FetchSettings(allow_private=False))
    assert "refused" in (result.error or "")


def test_connection_refused_is_an_error_not_an_exception() -> None:
    result = _get("http://127.0.0.1:9/feed")
    assert result.status is None and result.error


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.1", True), ("172.16.5.4", True),
        ("169.254.169.254", True), ("224.0.0.1", True), ("0.0.0.0", True), ("::1", True),
        ("fe80::1", True), ("fc00::1", True), ("::ffff:127.0.0.1", True), ("ff02::1", True),
        ("93.184.216.34", False), ("2606:4700::1111", False),
    ],
)  # fmt: skip
def test_forbidden_addresses(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(address) is forbidden
