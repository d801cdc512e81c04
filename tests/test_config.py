from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import pytest

from brevefeed.config import (
    CONFIG_ENV,
    DATABASE_URL_ENV,
    Config,
    IngestConfig,
    PublishConfig,
    SourceConfig,
    find_config_path,
    load_config,
    parse_config,
    range_of,
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
        ("[ingest]\nconcurrency = 0", "[ingest] concurrency must be between 1 and 1000, got 0"),
        (
            "[ingest]\ntimeout = 0",
            "[ingest] timeout must be greater than 0 and at most 3600, got 0",
        ),
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
        ("items = 0", "[publish] items must be between 1 and 10000, got 0"),
        (
            "archive_page_size = -3",
            "[publish] archive_page_size must be between 1 and 100000, got -3",
        ),
        ("tombstone_days = -1", "[publish] tombstone_days must be between 0 and 3650, got -1"),
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


def _keys(kind: type) -> list[tuple[str, str]]:
    """(table, key) of every key of config.toml whose type is ``kind`` (or ``kind | None``),
    read from the dataclasses: a key added later is covered without touching this file."""
    found = []
    for section in dataclasses.fields(Config):
        if section.name == "path":
            continue
        cls = typing.get_type_hints(Config)[section.name]
        if typing.get_origin(cls) is tuple:  # [[sources]]
            cls = typing.get_args(cls)[0]
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            if tp is kind or kind in typing.get_args(tp):
                found.append((section.name, f.name))
    return found


def _table(table: str, key: str, value: str) -> str:
    if table == "sources":
        return f'[[sources]]\nurl = "https://a.example/rss"\n{key} = {value}\n'
    return f"[{table}]\n{key} = {value}\n"


def _field(table: str, key: str) -> dataclasses.Field[object]:
    cls = typing.get_type_hints(Config)[table]
    if typing.get_origin(cls) is tuple:
        cls = typing.get_args(cls)[0]
    return next(f for f in dataclasses.fields(cls) if f.name == key)


NUMERIC_KEYS = _keys(int) + _keys(float)


def test_the_numeric_keys_are_found() -> None:
    assert {("related", "threshold"), ("related", "max_per_breve"), ("sources", "interval")} <= set(
        NUMERIC_KEYS
    )
    assert len(NUMERIC_KEYS) >= 22


@pytest.mark.parametrize(("table", "key"), NUMERIC_KEYS)
def test_every_numeric_key_has_a_range_and_refuses_values_outside(table: str, key: str) -> None:
    allowed = range_of(_field(table, key))
    assert allowed is not None, f"[{table}] {key} needs a range: ranged(default, low, high)"
    is_float = (table, key) in _keys(float)
    step = 0.5 if is_float else 1
    below = allowed.low if allowed.low_open else allowed.low - step
    outside = [below, allowed.high + step]
    for value in outside:
        text = repr(float(value)) if is_float else str(int(value))
        with pytest.raises(ConfigError) as caught:
            parse_config(_table(table, key, text), Path("c.toml"))
        shown = float(value) if is_float else int(value)
        assert str(caught.value) == (
            f"c.toml: [{'sources[0]' if table == 'sources' else table}] {key}"
            f" must be {allowed}, got {shown!r}"
        )
    inside = [allowed.high] if allowed.low_open else [allowed.low, allowed.high]
    for value in inside:
        text = repr(float(value)) if is_float else str(int(value))
        parse_config(_table(table, key, text), Path("c.toml"))
    # Every default is allowed.
    default = _field(table, key).default
    assert default is None or default in allowed


@pytest.mark.parametrize(("table", "key"), _keys(float))
def test_nan_is_outside_every_range(table: str, key: str) -> None:
    with pytest.raises(ConfigError, match="got nan"):
        parse_config(_table(table, key, "nan"), Path("c.toml"))


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (bool, "1", "must be true or false"),
        (int, "true", "must be an integer"),
        (float, "false", "must be a number"),
    ],
)
def test_booleans_and_numbers_are_not_mixed(kind: type, value: str, message: str) -> None:
    keys = _keys(kind)
    assert keys
    for table, key in keys:
        with pytest.raises(ConfigError, match=re.escape(message)):
            parse_config(_table(table, key, value), Path("c.toml"))


def test_the_issue_examples_are_one_line_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "[related]\nthreshold = -5.0\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: [related] threshold must be between 0 and 1, got -5.0"
    with pytest.raises(ConfigError, match=r"\[related\] max_per_breve must be between 0 and 100"):
        parse_config("[related]\nmax_per_breve = -1\n", Path("c.toml"))


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("https://x.fr/b/{slog}/", "unknown placeholder {slog}"),
        ("https://x.fr/b/{}/", "unknown placeholder {}"),
        ("https://x.fr/b/{slug!r}/", "no format spec or conversion"),
        ("https://x.fr/b/{slug/", "expected '}'"),
        ("https://x.fr/b/", "it must contain {slug}"),
        ("javascript:{slug}", "not an http(s) URL"),
    ],
)
def test_item_url_template_is_checked_at_load(tmp_path: Path, template: str, problem: str) -> None:
    path = write(tmp_path, f"[site]\nitem_url = {template!r}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message and "site.item_url" in message and problem in message


def test_item_url_template_with_dates(tmp_path: Path) -> None:
    template = "https://x.fr/{year}/{month}/{day}/{slug}.html"
    assert (
        load_config(write(tmp_path, f"[site]\nitem_url = {template!r}\n")).site.item_url == template
    )
