"""`brevefeed serve`: the output folder on a local port, for editors to look before they push.

Pages link to each other under the path of ``[publish] base_url`` (``/flux/…``), so the folder
is served under that same path: navigation works as it will on the site. Only the loopback
address by default: a preview is not a web server for the public.
"""

from __future__ import annotations

import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class _Handler(SimpleHTTPRequestHandler):
    prefix = "/"

    def __init__(self, *args: Any, prefix: str, **kwargs: Any) -> None:
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def _mapped(self) -> bool:
        """Strip the base path from the request; answer it here when it lies outside."""
        path = urlsplit(self.path).path
        if path.startswith(self.prefix):
            self.path = "/" + self.path[len(self.prefix) :]
            return True
        if path == "/favicon.ico":
            # Browsers ask the host's root for an icon; a 404 there is a console error in
            # every preview, while the published site's host answers it on its own.
            self.send_response(204)
            self.end_headers()
        elif path in ("/", self.prefix.rstrip("/")):
            self.send_response(302)
            self.send_header("Location", self.prefix)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_error(404, f"outside {self.prefix}")
        return False

    def do_GET(self) -> None:
        if self._mapped():
            super().do_GET()

    def do_HEAD(self) -> None:
        if self._mapped():
            super().do_HEAD()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a preview needs no access log."""


class _PreviewServer(ThreadingHTTPServer):
    # A browser that cancels a load (a page left before its images came) resets the
    # connection; socketserver would print a traceback for each on the editor's terminal.
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def make_server(
    out: Path, base_url: str, port: int, host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """A server (not yet serving) of ``out`` under ``base_url``'s path, on ``host:port``
    (port 0: any free one)."""
    prefix = urlsplit(base_url).path or "/"
    prefix = prefix if prefix.endswith("/") else prefix + "/"
    handler = partial(_Handler, directory=str(out), prefix=prefix)
    return _PreviewServer((host, port), handler)


def local_url(server: ThreadingHTTPServer, base_url: str) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}{urlsplit(base_url).path or '/'}"
