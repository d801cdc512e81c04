from __future__ import annotations

import re
from pathlib import Path

import pytest

from brevefeed.config import IngestConfig, SourceConfig, load_config, parse_config
from brevefeed.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_configs_parse_with_ingest_defaults() -> None:
    for path in (ROOT / "config.toml", ROOT / "src" / "brevefeed" / "templates" / "config.toml"):
        config = load_config(path)
        assert config.ingest == IngestConfig() and config.sources == ()


def test_sources_array_of_tables() -> None:
    config = parse_config(
        """
[[sources]]
url = "https://a.example/rss"
name = "A"
keywords = ["élue"]
interval = 30

[[sources]]
url = "https://b.example/rss"
""",
        Path("c.toml"),
    )
    assert config.sources == (
        SourceConfig("https://a.example/rss", "A", ["élue"], [], 30),
        SourceConfig("https://b.example/rss"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[ingest]\nconcurency = 3", "unknown key ingest.concurency"),
        ("[ingest]\nmax_bytes = '10M'", "ingest.max_bytes must be an integer"),
        ("[ingest]\nkeep = 'some'", "ingest.keep"),
        ("[ingest]\nconcurrency = 0", "ingest.concurrency must be at least 1"),
        ("[ingest]\ntimeout = 0", "ingest.timeout must be positive"),
        ("[[sources]]\nname = 'x'", "missing key sources[0].url"),
        ("[[sources]]\nurl = 'ftp://x'", "sources[0].url must be an http(s) URL"),
        ("[[sources]]\nurl = 'https://a/'\ncolour = 1", "unknown key sources[0].colour"),
        ("[[sources]]\nurl = 'https://a/'\n[[sources]]\nurl = 'https://a/'", "listed twice"),
        ("sources = 3", "array of tables"),
    ],
)
def test_bad_ingest_config(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(text, Path("c.toml"))
