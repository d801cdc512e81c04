from __future__ import annotations

import asyncio
import gzip
import zlib

import brotli
import httpcore
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
        # Shared address space (carrier NAT; a cloud metadata service lives there), site-local
        # IPv6, and IPv6 forms that wrap a loopback or link-local IPv4 address.
        ("100.64.0.1", True), ("100.100.100.200", True), ("fec0::1", True),
        ("2002:7f00:1::1", True), ("2002:a9fe:a9fe::", True), ("64:ff9b::7f00:1", True),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", True), ("::127.0.0.1", True),
        ("240.0.0.1", True), ("fe80::1%eth0", True), ("not an address", True),
        ("2002:5db8:d822::1", False), ("64:ff9b::5db8:d822", False),
        ("::ffff:93.184.216.34", False),
    ],
)  # fmt: skip
def test_forbidden_addresses(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(address) is forbidden


class _RecordingNetwork(httpcore.AsyncNetworkBackend):
    """Records every address a connection is opened to; connects only to loopback (tests
    never send traffic elsewhere) and fails the others as an unreachable host would."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connected: list[str] = []

    async def connect_tcp(  # type: ignore[no-untyped-def]
        self, host: str, port: int, timeout=None, local_address=None, socket_options=None
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append(host)
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"test network: {host} unreachable")
        return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)


def _get_via(
    url: str, settings: FetchSettings, answers: list[list[str]], network: _RecordingNetwork
) -> tuple[FetchResult, int]:
    """Fetch with a resolver giving ``answers`` in turn (the last one repeats)."""
    calls = 0

    async def resolver(host: str, port: int) -> list[str]:
        nonlocal calls
        calls += 1
        return answers[min(calls, len(answers)) - 1]

    async def go() -> FetchResult:
        async with make_client(settings, 4, resolver=resolver, network=network) as client:
            return await fetch(client, url, settings)

    return asyncio.run(go()), calls


STRICT = FetchSettings(timeout=2.0, connect_timeout=1.0, allow_private=False)


def test_a_name_answering_public_then_loopback_is_refused_whole(feed_server: FeedServer) -> None:
    feed_server.routes["/f"] = Reply(body=b"<rss/>")
    network = _RecordingNetwork()
    result, _ = _get_via(
        f"http://feeds.example:{feed_server.port}/f",
        STRICT,
        [["93.184.216.34", "127.0.0.1"]],
        network,
    )
    assert result.status is None and "127.0.0.1" in (result.error or "")
    assert network.connected == [] and feed_server.hits("/f") == 0


def test_rebinding_cannot_reach_loopback_after_the_check(feed_server: FeedServer) -> None:
    # The first lookup (the check) answers a public address, every later one loopback: the
    # connection must go to the address checked, never resolve again.
    feed_server.routes["/f"] = Reply(body=b"<rss/>")
    network = _RecordingNetwork()
    result, calls = _get_via(
        f"http://feeds.example:{feed_server.port}/f",
        STRICT,
        [["93.184.216.34"], ["127.0.0.1"]],
        network,
    )
    assert result.status is None and result.error
    assert calls == 1 and network.connected == ["93.184.216.34"]
    assert feed_server.hits("/f") == 0


def test_rebinding_connection_keeps_the_name_in_the_host_header(
    feed_server: FeedServer,
) -> None:
    # Allowed to loopback, a name resolved by the injected resolver is connected to by address
    # while the request still names the host (as TLS SNI would).
    feed_server.routes["/f"] = Reply(body=b"<rss/>")
    network = _RecordingNetwork()
    result, calls = _get_via(
        f"http://feeds.example:{feed_server.port}/f", SETTINGS, [["127.0.0.1"]], network
    )
    assert result.status == 200 and result.body == b"<rss/>"
    assert calls == 1 and network.connected == ["127.0.0.1"]
    assert feed_server.requests[-1][1]["host"] == f"feeds.example:{feed_server.port}"


def test_every_redirect_hop_is_checked(feed_server: FeedServer) -> None:
    feed_server.routes["/f"] = Reply(body=b"<rss/>")
    feed_server.routes["/hop"] = Reply(
        302, headers={"Location": f"http://inside.example:{feed_server.port}/f"}
    )
    network = _RecordingNetwork()

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "inside.example" else ["93.184.216.34"]

    async def go() -> FetchResult:
        # The first hop goes to the loopback server by its literal address, allowed only
        # because it is the test's own server: the check is on the redirect target.
        settings = SETTINGS
        async with make_client(settings, 4, resolver=resolver, network=network) as client:
            return await fetch(client, feed_server.url("/hop"), settings)

    assert asyncio.run(go()).status == 200  # allowed: both hops reach the server
    strict = STRICT
    refused = _get(feed_server.url("/hop"), strict)
    assert refused.status is None and "refused" in (refused.error or "")
    assert feed_server.hits("/f") == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://0177.0.0.1/feed",
        "http://0x7f.1/feed",
        "http://example.com:99999/feed",
        "http://[::1/feed",
        "http://xn--/feed",
        "http://exa mple.com/feed",
        "ftp://example.com/feed",
        "",
    ],
)
def test_a_bad_url_is_an_error_not_an_exception(url: str) -> None:
    result = _get(url)
    assert result.status is None and (result.error or "").startswith("bad URL:")


@pytest.mark.parametrize(
    "location",
    [
        "http://0177.0.0.1/feed",
        "http://xn--/feed",
        "http://127.0.0.1:99999/feed",
        "http://" + "a" * 70 + ".example/feed",
        "http://[::1/feed",
    ],
)
def test_a_redirect_to_a_bad_url_is_an_error_not_an_exception(
    feed_server: FeedServer, location: str
) -> None:
    feed_server.routes["/r"] = Reply(302, headers={"Location": location})
    result = _get(feed_server.url("/r"))
    assert result.status is None and result.error
