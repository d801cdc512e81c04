from __future__ import annotations

from pathlib import Path

import pytest

from brevefeed.config import (
    CONFIG_ENV,
    DATABASE_URL_ENV,
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
    config = parse_config(path.read_text(encoding="utf-8"), path)
    text = path.read_text(encoding="utf-8")
    for line_number, line in enumerate(text.splitlines()):
        if "=" in line and not line.lstrip().startswith("#"):
            previous = text.splitlines()[line_number - 1].lstrip()
            assert previous.startswith("#"), f"{path.name}: {line.strip()} has no comment above it"
    assert config.site.language == "fr"
