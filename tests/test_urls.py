"""The shared URL rule: whatever it accepts, httpx accepts too and reads the same host."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import idna
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from brevefeed.urls import BadURLError, check_web_url

_HOST_CHARS = st.sampled_from(list("abcxyz019-_.éßX[]:%@"))
_hosts = st.one_of(
    st.text(_HOST_CHARS, min_size=1, max_size=30),
    st.ip_addresses().map(lambda ip: f"[{ip}]" if ip.version == 6 else str(ip)),
    st.text(min_size=1, max_size=20),
)
_ports = st.one_of(st.just(""), st.integers(-5, 70_000).map(lambda p: f":{p}"), st.just(":"))
_urls = st.one_of(
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}/{path}",
        st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
        _hosts,
        _ports,
        st.text(max_size=20),
    ),
    st.text(max_size=60),
)


@settings(max_examples=500, deadline=None)
@given(_urls)
@example("http://0177.0.0.1/feed")
@example("http://example.com:99999/a")
@example("http://[::1/a")
@example("http://xn--/")
@example("http://0.ß/")
def test_what_the_rule_accepts_httpx_accepts_with_the_same_host(url: str) -> None:
    try:
        accepted = check_web_url(url)
    except BadURLError:
        return
    parsed = httpx.URL(accepted)
    host = urlsplit(accepted).hostname or ""
    assert parsed.scheme in ("http", "https")
    # httpx gives IDNA hosts in Unicode or in their ASCII form, and drops IPv6 brackets and
    # zone ids as urlsplit does. Both read names by IDNA 2008 (« ß » is xn--zca), as the idna
    # package does; the standard library's IDNA 2003 codec would make it « ss ».
    assert parsed.host.lower().rstrip(".") == host.lower().rstrip(".") or (
        _idna(parsed.host) == _idna(host)
    )


def _idna(host: str) -> bytes:
    return bytes(idna.encode(host.rstrip("."), uts46=True))


@pytest.mark.parametrize(
    "url",
    ["http://0177.0.0.1/feed", "http://0x7f.1/", "http://example.com:99999/a", "http://[::1/"],
)
def test_urls_httpx_refuses_or_misreads_are_refused(url: str) -> None:
    with pytest.raises(BadURLError):
        check_web_url(url)
