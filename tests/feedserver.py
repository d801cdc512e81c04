"""A real HTTP server on 127.0.0.1 for ingest tests: each path answers what a test registers.

Every behaviour a hostile or broken feed server has is one ``Reply``: any status and headers,
a body, a trickle (one byte at a time, forever), conditional GET on an ETag.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Answer 304 when the request's If-None-Match equals this.
    etag: str | None = None
    #: Send the body one byte every 0.1 s until the client goes away.
    trickle: bool = False
    delay: float = 0.0


Handler = Callable[[str, dict[str, str]], Reply]


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a 404 it stops reading, a timeout) is what these tests provoke.

    socketserver prints such errors to ``sys.stderr``, which belongs to whatever the main
    thread runs at that moment, a CliRunner capturing a command's one-line error included:
    the traceback then landed in the command's stderr. Anything else still fails loudly.
    """

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply | Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((self.path, headers))
                route = outer.routes.get(self.path)
                reply = Reply(404, b"not here") if route is None else route
                if callable(reply):
                    reply = reply(self.path, headers)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.etag and headers.get("if-none-match") == reply.etag:
                    self.send_response(304)
                    self.send_header("ETag", reply.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.etag:
                    self.send_header("ETag", reply.etag)
                if reply.trickle:
                    self.send_header("Content-Type", "application/rss+xml")
                    self.end_headers()
                    try:
                        while not outer.stopping.is_set():
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.1)
                    except OSError:
                        pass
                    return
                if "Content-Length" not in reply.headers:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(reply.body)

        self.httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
