from __future__ import annotations

import re
from pathlib import Path

import pytest

from brevefeed.config import (
    CONFIG_ENV,
    DATABASE_URL_ENV,
    IngestConfig,
    PublishConfig,
    SourceConfig,
    find_config_path,
    load_config,
    parse_config,
)
from brevefeed.errors import ConfigError, ExitCode

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_tables_are_empty(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.site.language == "fr"
    assert config.site.timezone == "Europe/Paris"
    assert config.archive.url == f"sqlite:///{tmp_path.resolve() / 'archive/brevefeed.sqlite3'}"


def test_relative_sqlite_path_follows_the_config_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "inst").mkdir()
    path = write(tmp_path / "inst", '[archive]\nurl = "sqlite:///data/a.sqlite3"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    assert config.archive.url == f"sqlite:///{(tmp_path / 'inst' / 'data' / 'a.sqlite3')}"


def test_absolute_and_server_urls_are_kept(tmp_path: Path) -> None:
    pg = "postgresql+psycopg://u@127.0.0.1:5432/db"
    assert load_config(write(tmp_path, f'[archive]\nurl = "{pg}"\n')).archive.url == pg
    absolute = f"sqlite:///{tmp_path}/x.sqlite3"
    assert load_config(write(tmp_path, f'[archive]\nurl = "{absolute}"\n')).archive.url == absolute


def test_environment_overrides_archive_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql+psycopg://other@127.0.0.1/x")
    config = load_config(write(tmp_path, '[archive]\nurl = "sqlite:///a.sqlite3"\n'))
    assert config.archive.url == "postgresql+psycopg://other@127.0.0.1/x"


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert find_config_path(None) == Path("config.toml")
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "env.toml"))
    assert find_config_path(None) == tmp_path / "env.toml"
    assert find_config_path(tmp_path / "explicit.toml") == tmp_path / "explicit.toml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[site]\ntitel = 'x'\n", "unknown key site.titel"),
        ("[sites]\n", "unknown table or key [sites]"),
        ("[site]\ntitle = 3\n", "site.title must be a string, got 3"),
        ("[site]\ntitle = \n", "not valid TOML"),
        ("[site]\ntimezone = 'Europe/Lutece'\n", "site.timezone 'Europe/Lutece' is not a known"),
        ("[site]\nlink = 'example.org'\n", "site.link must be an http(s) URL"),
        ("site = 3\n", "[site] must be a table"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "absent.toml")


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[site]\ntitle = 'Br\xe8ves'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


@pytest.mark.parametrize(
    "path", [REPO / "config.toml", REPO / "src/brevefeed/templates/config.toml"]
)
def test_shipped_configs_parse_and_document_every_key(path: Path) -> None:
    """Every key sits in a run of keys that a comment opens (related keys share one)."""
    config = parse_config(path.read_text(encoding="utf-8"), path)
    documented = False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            documented = True
        elif "=" in stripped:
            assert documented, f"{path.name}: {stripped} has no comment above it"
        else:
            documented = False
    assert config.site.language == "fr"


def test_shipped_configs_parse_with_ingest_defaults() -> None:
    for path in (REPO / "config.toml", REPO / "src" / "brevefeed" / "templates" / "config.toml"):
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


def parse_publish(text: str) -> PublishConfig:
    return parse_config(text, Path("config.toml")).publish


def test_defaults() -> None:
    publish = parse_publish("")
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
        parse_publish(f"[publish]\n{line}\n")
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("path", ["config.toml", "src/brevefeed/templates/config.toml"])
def test_shipped_configs_document_every_publish_key(path: str) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    parse_config(text, REPO / path)
    for key in PublishConfig.__dataclass_fields__:
        assert f"\n{key} = " in text, key
