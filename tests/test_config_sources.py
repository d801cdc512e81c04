"""config.toml's [[sources]] URLs go through the shared URL rule at load time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from brevefeed.config import parse_config
from brevefeed.errors import ConfigError


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://0177.0.0.1/feed", "ambiguous numeric host"),
        ("http://0x7f.1/feed", "ambiguous numeric host"),
        ("http://example.com:99999/feed", "malformed URL"),
        ("http://exa mple.com/feed", "forbidden characters"),
        ("javascript:alert(1)", "not an http(s) URL"),
    ],
)
def test_a_source_url_failing_the_rule_is_one_config_error(url: str, reason: str) -> None:
    text = f"[[sources]]\nurl = '{url}'\n"
    with pytest.raises(ConfigError, match=re.escape("sources[0].url")) as caught:
        parse_config(text, Path("c.toml"))
    message = str(caught.value)
    assert reason in message and "\n" not in message and message.startswith("c.toml: ")
