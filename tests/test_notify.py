"""WebSub pings against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs

import pytest

from brevefeed.publish.notify import ping_hub


class _Hub(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, list[str]]]] = []
    status = 204

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode()
        type(self).received.append(parse_qs(body))
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hub() -> Iterator[tuple[str, type[_Hub]]]:
    handler = type("Hub", (_Hub,), {"received": [], "status": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", handler
    finally:
        server.shutdown()
        server.server_close()


def test_one_publish_ping_per_changed_url(hub: tuple[str, type[_Hub]]) -> None:
    url, handler = hub
    urls = [
        "https://journal.example.org/flux/atom.xml",
        "https://journal.example.org/flux/feed.xml",
    ]
    assert ping_hub(url, urls) == []
    assert handler.received == [{"hub.mode": ["publish"], "hub.url": [u]} for u in urls]


def test_a_refusing_hub_is_a_warning(hub: tuple[str, type[_Hub]]) -> None:
    url, handler = hub
    handler.status = 500
    warnings = ping_hub(url, ["https://journal.example.org/flux/atom.xml"])
    assert warnings == [
        f"WebSub hub {url} answered 500 for https://journal.example.org/flux/atom.xml"
    ]


def test_an_unreachable_hub_is_a_warning() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    warnings = ping_hub("http://127.0.0.1:1/", ["https://journal.example.org/flux/atom.xml"])
    assert len(warnings) == 1 and "unreachable" in warnings[0]
