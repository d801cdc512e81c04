"""Canonical links: the same article reached through different URLs gets one key.

Outlets and aggregators decorate links with campaign parameters (utm_*, xtor, fbclid…: the
list is ``brevefeed.urls``', which published links are cleaned with too), switch
between http and https, add or drop ``www.`` and trailing slashes. None of that changes the
article, so none of it is in the key.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from brevefeed.urls import is_tracking_parameter

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_link(url: str) -> str:
    """``https://www.Example.org/a/?utm_source=x&id=2#top`` → ``example.org/a?id=2``.

    The scheme is dropped (http and https name the same article); what is left is a key, not a
    URL to fetch. An empty, malformed or non-http(s) URL gives an empty key: links come from
    strangers' feeds, and one bad link must not stop the related pass.
    """
    try:
        # .port raises for a port out of range, urlsplit for a malformed [IPv6] host.
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    host = parts.hostname.lower().removeprefix("www.").removeprefix("m.").removeprefix("amp.")
    if port and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    for suffix in ("/amp", "/index.html", "/index.php"):
        path = path.removesuffix(suffix)
    query = sorted(
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_parameter(name)
    )
    return urlunsplit(("", host, path, urlencode(query), "")).removeprefix("//")
