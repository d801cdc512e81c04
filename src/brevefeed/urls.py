"""Which URLs brevefeed accepts: one rule for every entrance (config, `sources add`, OPML,
page discovery, feed entries, export restore) and every exit (published links).

Standard library only, so ``config`` can use it. The rule is deliberately narrower than what
HTTP clients accept: a URL that passes here never makes httpx raise, never names a host in the
ambiguous numeric forms resolvers read as other addresses (``0177.0.0.1``, ``0x7f.1``,
``1.2.3`` are all loopback or private to ``inet_aton``), and never carries a scheme a browser
would run (``javascript:``, ``data:``).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

WEB_SCHEMES = ("http", "https")
#: A DNS label as written in URLs (underscores occur in real hostnames; IDNA labels are
#: checked by encoding them).
_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)
#: Characters never allowed anywhere in a URL we keep (controls, spaces, and the characters
#: that would let a URL break out of an attribute or a header).
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f<>\"\\^`{|}\ud800-\udfff]")
MAX_URL = 2048


class BadURLError(ValueError):
    """The URL is not one brevefeed follows or publishes; the message says why.

    Not in ``errors``: it carries a reason, not a message for the user. Every caller knows the
    file, key or source the URL came from and raises its ConfigError or InputError naming it.
    """


def _check_host(host: str) -> None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1].split("%", 1)[0])
        except ValueError:
            raise BadURLError(f"invalid IPv6 address {host}") from None
        if not host.endswith("]"):
            raise BadURLError(f"invalid IPv6 address {host}")
        return
    name = host.rstrip(".")
    if not name:
        raise BadURLError("no host")
    labels = name.split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # Looks numeric: only the four-decimal dotted form is an address; resolvers read the
        # others (octal, hex, fewer parts) as surprising ones.
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            raise BadURLError(f"ambiguous numeric host {host!r}") from None
        return
    for label in labels:
        if _LABEL.match(label):
            continue
        try:
            encoded = label.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadURLError(f"invalid host name {host!r}") from None
        if not _LABEL.match(encoded):
            raise BadURLError(f"invalid host name {host!r}")
    if not host.isascii():
        # httpx encodes non-ASCII hosts with IDNA 2008 (the idna package, which it depends
        # on), stricter than the stdlib's IDNA 2003: a name only the latter takes would make
        # httpx raise. Imported here so config loading stays stdlib-only until such a host.
        import idna

        try:
            idna.encode(name.lower())
        except (idna.IDNAError, UnicodeError):
            raise BadURLError(f"invalid host name {host!r}") from None


def check_web_url(url: str) -> str:
    """``url`` stripped if it is an absolute http(s) URL with a valid host and port, else
    BadURLError naming what is wrong."""
    url = url.strip()
    if not url:
        raise BadURLError("empty URL")
    if len(url) > MAX_URL:
        raise BadURLError(f"URL longer than {MAX_URL} characters")
    if _FORBIDDEN.search(url):
        raise BadURLError("URL contains spaces, control or forbidden characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadURLError(f"malformed URL: {exc}") from None
    if parts.scheme.lower() not in WEB_SCHEMES:
        raise BadURLError(f"not an http(s) URL (scheme {parts.scheme or 'missing'!r})")
    host = parts.netloc.rpartition("@")[2]
    if port is not None or host.endswith(":"):
        host = host.rpartition(":")[0] if not host.endswith("]") else host
    if port == 0:
        raise BadURLError("port 0")
    _check_host(host)
    return url


def web_url_or_empty(url: str) -> str:
    """``url`` if :func:`check_web_url` accepts it, else ``""`` (for links we may drop)."""
    try:
        return check_web_url(url)
    except BadURLError:
        return ""


#: Campaign and click-tracking parameters: they never change which article a link names.
_TRACKING_PREFIXES = ("utm_", "at_", "mtm_", "pk_", "hsa_", "oly_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "xtor", "xtref", "ns_mchannel", "ns_source", "ns_campaign",
        "ns_linkname", "ns_fee", "cmpid", "ref", "ref_src", "referrer", "source", "from",
        "share", "amp", "output", "_ga", "_gl", "ito", "ocid", "sr_share", "s_cid", "spm",
    }
)  # fmt: skip


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def _without_tracking(pairs: str) -> str:
    kept = (
        pair
        for pair in pairs.split("&")
        if pair and not is_tracking_parameter(unquote_plus(pair.partition("=")[0]))
    )
    return "&".join(kept)


def without_tracking(url: str) -> str:
    """``url`` without its campaign parameters, in the query or in a ``#xtor=…`` fragment;
    everything else is kept byte for byte (no re-encoding)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    fragment = parts.fragment
    if "=" in fragment:
        fragment = _without_tracking(fragment)
    cleaned = parts._replace(query=_without_tracking(parts.query), fragment=fragment)
    return url if cleaned == parts else urlunsplit(cleaned)
