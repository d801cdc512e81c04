"""Fetch one feed over HTTP, within limits: the only network I/O of ingest.

Limits hold whatever the server does: a total deadline per fetch (a server trickling one byte a
second cannot hold a worker), a connect timeout, at most ``max_redirects`` hops, and a body cut
at ``max_bytes`` counted *after* decompression. Decompression is done here rather than by httpx
so every step is bounded: a 10 KB gzip or brotli bomb never inflates past the cap in memory.
Addresses are checked after DNS resolution, on every connection (so on every redirect hop), and
the connection goes to the very address checked: a public name pointing at 127.0.0.1 or
169.254.169.254, or answering differently a moment later, is refused like the literal address.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import socket
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import brotli
import httpcore
import httpx

from brevefeed.config import IngestConfig
from brevefeed.ingest.schedule import PERMANENT_REDIRECTS
from brevefeed.urls import BadURLError, check_web_url

#: Feed types first; a server that ignores Accept still gets served.
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9,"
    " text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)
CHUNK = 65_536


class BodyTooLargeError(Exception):
    """Private to ``fetch``, which turns it into the FetchResult's error: never reaches a user."""


class RefusedAddressError(httpx.ConnectError):
    """The host resolves to an address brevefeed must not reach (loopback, private, …).

    Private to ``fetch``, like BodyTooLargeError: raised inside the network backend, where
    httpx expects a ConnectError, and caught by ``fetch`` into the FetchResult's error."""


#: The documented defaults, those of [ingest] in config.toml, stated there only.
_DEFAULTS = IngestConfig()


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = _DEFAULTS.timeout
    connect_timeout: float = _DEFAULTS.connect_timeout
    max_bytes: int = _DEFAULTS.max_bytes
    max_redirects: int = _DEFAULTS.max_redirects
    allow_private: bool = _DEFAULTS.allow_private
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


#: NAT64's well-known prefix (RFC 6052): 64:ff9b::7f00:1 reaches 127.0.0.1 through a gateway.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _translated(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped or NAT64 address *is* (judged alone: the IPv6 blocks
    themselves are not global, yet ::ffff:93.184.216.34 is that public host)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _tunnelled(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a 6to4 or Teredo address reaches (judged besides the IPv6 one)."""
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def _not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # is_global alone misses multicast, site-local (fec0::/10) and the reserved blocks in
    # Python 3.11, so those are named too.
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    return (
        not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or site_local
    )


def is_forbidden_address(address: str) -> bool:
    """Anything but a global unicast address. An IPv6 form of an IPv4 address (IPv4-mapped,
    NAT64) is judged as that address; a tunnel form (6to4, Teredo) by both."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        translated = _translated(ip)
        if translated is not None:
            return _not_public(translated)
        if any(_not_public(v4) for v4 in _tunnelled(ip)):
            return True
    return _not_public(ip)


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host``, in its order."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OverflowError) as exc:
        # UnicodeError: a label too long for IDNA; OverflowError: a port above 65535.
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise httpx.ConnectError(f"cannot resolve {host}: {reason}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves each connection's host once, checks every address, and connects to a checked
    one: the address that was checked is the address connected to, so a DNS answer changing
    between check and connect (rebinding) cannot reach a private address.

    The connection keeps the name everywhere else: httpcore sends TLS SNI and verifies the
    certificate for the origin's host, and httpx writes the Host header from the URL.
    """

    def __init__(
        self,
        allow_private: bool,
        resolver: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ):
        self.allow_private = allow_private
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses a connection to ``host`` may use, or RefusedAddressError."""
        if not 0 < port < 65536:
            # httpx lets a redirect name port 99999; the socket layer would raise outside
            # every error httpx maps.
            raise httpx.ConnectError(f"invalid port {port}")
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
            addresses = [host]
        except ValueError:
            addresses = await self.resolver(host, port)
        if not addresses:
            raise httpx.ConnectError(f"cannot resolve {host}: no address")
        if not self.allow_private:
            # Every address is checked, not just the first: one private answer among public
            # ones is how a rebinding name hides.
            for address in addresses:
                if is_forbidden_address(address):
                    raise RefusedAddressError(
                        f"refused: {host} resolves to the non-public address {address}"
                        " (set [ingest] allow_private = true to allow it)"
                    )
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception | None = None
        for address in await self.addresses(host, port):
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # addresses() never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpx.ConnectError("unix sockets are never used for feeds")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose every connection goes through
    :class:`GuardedBackend`; httpx follows redirects through the transport, so every hop's
    connection is checked.

    httpx takes no network backend, so its pool is replaced by an identical one that has ours
    (the only private attribute used; ``test_rebinding_*`` fail if httpx stops using it).
    """

    def __init__(self, limits: httpx.Limits, backend: GuardedBackend):
        # One TLS context for both pools: loading the CA bundle costs tens of milliseconds,
        # a good part of a run where every feed answers 304.
        context = httpx.create_ssl_context()
        super().__init__(verify=context, limits=limits, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            retries=0,
            network_backend=backend,
        )


def make_client(
    settings: FetchSettings,
    max_connections: int,
    *,
    resolver: Resolver = system_resolver,
    network: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """One client per run: pooled keep-alive connections, limits from config. ``resolver``
    and ``network`` are the seams tests use to play a rebinding DNS server."""
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    backend = GuardedBackend(settings.allow_private, resolver, network)
    return httpx.AsyncClient(
        transport=GuardedTransport(limits, backend),
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
    """GET ``url`` conditionally; never raises for anything the URL, the server or the
    network does."""
    try:
        check_web_url(url)
    except BadURLError as exc:
        return FetchResult(requested_url=url, url=url, status=None, error=f"bad URL: {exc}")
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
    except (httpx.InvalidURL, UnicodeError) as exc:
        # A redirect's Location can name what the entrance rule refused (an ambiguous
        # numeric host, an IDNA label no codec accepts): httpx raises these outside HTTPError.
        error = f"bad URL: {exc}"
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
