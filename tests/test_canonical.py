import pytest

from brevefeed.related.canonical import canonical_link
from brevefeed.urls import is_tracking_parameter


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.Example.org/a/b/?utm_source=x&id=2#top", "example.org/a/b?id=2"),
        ("http://example.org/a/b?id=2&utm_medium=rss&fbclid=zz", "example.org/a/b?id=2"),
        ("https://m.example.org/a/b/amp/?xtor=RSS-1", "example.org/a/b"),
        ("https://example.org:443/a?b=2&a=1", "example.org/a?a=1&b=2"),
        ("https://example.org:8443/a", "example.org:8443/a"),
        ("ftp://example.org/a", ""),
        ("", ""),
        # Malformed links from a feed give no key instead of raising.
        ("http://example.com:99999/a", ""),
        ("http://example.com:-1/a", ""),
        ("http://[::1/a", ""),
    ],
)
def test_canonical_link(url: str, key: str) -> None:
    assert canonical_link(url) == key


def test_tracking_parameters() -> None:
    assert is_tracking_parameter("UTM_Campaign") and is_tracking_parameter("gclid")
    assert not is_tracking_parameter("id") and not is_tracking_parameter("page")
