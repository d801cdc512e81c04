"""Fetch one feed over HTTP, within limits: the only network I/O of ingest.

Limits hold whatever the server does: a total deadline per fetch (a server trickling one byte a
second cannot hold a worker), a connect timeout, at most ``max_redirects`` hops, and a body cut
at ``max_bytes`` counted *after* decompression. Decompression is done here rather than by httpx
so every step is bounded: a 10 KB gzip or brotli bomb never inflates past the cap in memory.
Addresses are checked after DNS resolution, on every hop, so a public name pointing at
127.0.0.1 or 169.254.169.254 is refused like the literal address would be.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import brotli
import httpx

from brevefeed.ingest.schedule import PERMANENT_REDIRECTS

#: Feed types first; a server that ignores Accept still gets served.
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9,"
    " text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)
CHUNK = 65_536


class BodyTooLargeError(Exception):
    pass


class RefusedAddressError(httpx.ConnectError):
    """The host resolves to an address brevefeed must not reach (loopback, private, …)."""


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    allow_private: bool = False
    user_agent: str = "brevefeed"


@dataclass(frozen=True)
class FetchResult:
    requested_url: str
    #: Where the last hop landed.
    url: str
    #: None when no usable response came (then ``error`` says why).
    status: int | None
    error: str | None = None
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    retry_after: str | None = None
    #: The final URL when every redirect hop was 301/308; None otherwise.
    permanent_target: str | None = None

    @property
    def body_hash(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def is_forbidden_address(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified (IPv4-mapped too)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


async def check_host(host: str, port: int) -> None:
    """Raise RefusedAddressError if ``host`` is or resolves to any forbidden address.

    Every address the name resolves to is checked, not just the first, since the connection
    may use any of them.
    """
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if is_forbidden_address(address):
            raise RefusedAddressError(
                f"refused: {host} resolves to the non-public address {address}"
                " (set [ingest] allow_private = true to allow it)"
            )


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that checks each request's host before connecting.

    httpx follows redirects through the transport, so every hop is checked. The connection
    pool resolves the name again when it connects; a DNS answer changing between the two
    lookups (rebinding) is the residual risk, narrowed by the resolver cache of the host.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, allow_private: bool):
        self.inner = inner
        self.allow_private = allow_private

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.allow_private:
            url = request.url
            await check_host(url.host, url.port or (443 if url.scheme == "https" else 80))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_client(settings: FetchSettings, max_connections: int) -> httpx.AsyncClient:
    """One client per run: pooled keep-alive connections, limits from config."""
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    transport = GuardedTransport(
        httpx.AsyncHTTPTransport(limits=limits, retries=0), settings.allow_private
    )
    return httpx.AsyncClient(
        transport=transport,
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        headers={
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": "gzip, deflate, br",
        },
    )


class _Inflater:
    """gzip / deflate, at most ``limit`` + 1 output bytes per chunk."""

    def __init__(self, *, gzip: bool, limit: int):
        self.gzip = gzip
        self.limit = limit
        self.started = False
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)

    def __call__(self, chunk: bytes) -> bytes:
        try:
            out = self.inflater.decompress(chunk, self.limit + 1)
        except zlib.error:
            # Some servers send raw deflate streams as "deflate": retry the start as raw.
            if self.gzip or self.started:
                raise
            self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self.inflater.decompress(chunk, self.limit + 1)
        self.started = True
        return out


def _decoder(encoding: str, limit: int) -> Callable[[bytes], bytes]:
    """A function turning raw body chunks into decoded bytes, never more than ``limit`` + 1
    bytes per call (so a bomb is detected before it is inflated)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return lambda chunk: chunk
    if encoding in ("gzip", "x-gzip", "deflate"):
        return _Inflater(gzip="gzip" in encoding, limit=limit)
    if encoding == "br":
        unbrotli = brotli.Decompressor()

        def unbrotli_chunk(chunk: bytes) -> bytes:
            out: bytes = unbrotli.process(chunk, output_buffer_limit=limit + 1)
            return out

        return unbrotli_chunk
    raise ValueError(f"unsupported Content-Encoding {encoding!r}")


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, or BodyTooLargeError as soon as it passes ``max_bytes``."""
    decode = _decoder(response.headers.get("content-encoding", ""), max_bytes)
    parts: list[bytes] = []
    total = 0
    async for chunk in response.aiter_raw(CHUNK):
        out = decode(chunk)
        total += len(out)
        if total > max_bytes:
            raise BodyTooLargeError(f"body larger than {max_bytes} bytes (after decompression)")
        parts.append(out)
    return b"".join(parts)


def _permanent_target(response: httpx.Response) -> str | None:
    if not response.history:
        return None
    if all(hop.status_code in PERMANENT_REDIRECTS for hop in response.history):
        return str(response.url)
    return None


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    settings: FetchSettings,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """GET ``url`` conditionally; never raises for anything the server or network does."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(settings.timeout):
            async with client.stream("GET", url, headers=headers) as response:
                body = b""
                if response.status_code == 200:
                    body = await read_capped(response, settings.max_bytes)
                return FetchResult(
                    requested_url=url,
                    url=str(response.url),
                    status=response.status_code,
                    body=body,
                    content_type=response.headers.get("content-type", ""),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    retry_after=response.headers.get("retry-after"),
                    permanent_target=_permanent_target(response),
                )
    except TimeoutError:
        error = f"timed out after {settings.timeout:g} s"
    except httpx.TooManyRedirects:
        error = f"more than {settings.max_redirects} redirects (or a redirect loop)"
    except RefusedAddressError as exc:
        error = str(exc)
    except httpx.ConnectTimeout:
        error = f"could not connect within {settings.connect_timeout:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    except BodyTooLargeError as exc:
        error = str(exc)
    except (zlib.error, brotli.error, ValueError) as exc:
        error = f"cannot decode the body: {exc}"
    return FetchResult(requested_url=url, url=url, status=None, error=error)
