"""The [publish] table of config.toml: defaults, checks, and the shipped files."""

from __future__ import annotations

from pathlib import Path

import pytest

from brevefeed.config import PublishConfig, parse_config
from brevefeed.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def parse(text: str) -> PublishConfig:
    return parse_config(text, Path("config.toml")).publish


def test_defaults() -> None:
    publish = parse("")
    assert publish == PublishConfig(
        output="public",
        base_url="",
        items=50,
        archive_page_size=100,
        tombstone_days=30,
        websub_hub="",
        per_tag=True,
        per_section=True,
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("items = 0", "publish.items must be at least 1"),
        ("archive_page_size = -3", "publish.archive_page_size must be at least 1"),
        ("tombstone_days = -1", "publish.tombstone_days must not be negative"),
        ('base_url = "flux/"', "publish.base_url must be an http(s) URL"),
        ('websub_hub = "ftp://hub.example.net/"', "publish.websub_hub must be an http(s) URL"),
        ('items = "50"', "publish.items must be an integer"),
        ("per_tag = 1", "publish.per_tag must be true or false"),
        ("feeds = 3", "unknown key publish.feeds"),
    ],
)
def test_bad_values_are_one_line_errors(line: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(f"[publish]\n{line}\n")
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("path", ["config.toml", "src/brevefeed/templates/config.toml"])
def test_shipped_configs_document_every_publish_key(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    parse_config(text, ROOT / path)
    for key in PublishConfig.__dataclass_fields__:
        assert f"\n{key} = " in text, key
