"""Read and validate config.toml into frozen dataclasses.

Each TOML table maps to one dataclass below; its fields (names, types, defaults) are the whole
schema, so adding a key means adding a field. Every problem is a ``ConfigError`` whose single line
names the file, the key and what is wrong.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from brevefeed.errors import ConfigError

CONFIG_ENV = "BREVEFEED_CONFIG"
DATABASE_URL_ENV = "BREVEFEED_DATABASE_URL"
DEFAULT_CONFIG_NAME = "config.toml"
DEFAULT_ARCHIVE_URL = "sqlite:///archive/brevefeed.sqlite3"


@dataclass(frozen=True)
class SiteConfig:
    title: str = "Brèves"
    #: Base URL of the site; brève ids (tag: URIs) are minted from its host.
    link: str = "https://example.org/"
    language: str = "fr"
    timezone: str = "Europe/Paris"
    author: str = "La rédaction"
    description: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        return urlsplit(self.link).hostname or "localhost"


@dataclass(frozen=True)
class ArchiveConfig:
    #: A SQLAlchemy URL; a relative SQLite path is resolved against the config file's folder.
    url: str = DEFAULT_ARCHIVE_URL


@dataclass(frozen=True)
class SearchConfig:
    #: Hits per page when --limit is not given.
    limit: int = 20
    #: Up to this many matches relevance scores each one; beyond, it ranks by tiers.
    rank_window: int = 10_000
    #: Matches are counted up to this many; beyond, the count shown is a lower bound.
    count_limit: int = 100_000
    #: Length of a hit's snippet, in characters.
    snippet_length: int = 200


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    #: The file this configuration was read from (None for built-in defaults).
    path: Path | None = None

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


_T = TypeVar("_T")


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0])}s"
    return {str: "a string", int: "an integer", bool: "true or false", float: "a number"}.get(
        tp, str(tp)
    )


def _check_value(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        return isinstance(value, list) and all(_check_value(v, item_tp) for v in value)
    if origin in (types.UnionType, typing.Union):
        return any(_check_value(value, arg) for arg in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def build_section(cls: type[_T], table: Any, where: str, file: str) -> _T:
    """Build dataclass ``cls`` from a TOML table, refusing unknown keys and wrong types."""
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [{where}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{file}: unknown key {where}.{key}")
        if not _check_value(value, hints[key]):
            raise ConfigError(
                f"{file}: {where}.{key} must be {_type_name(hints[key])}, got {value!r}"
            )
    return cls(**table)


def _validate_site(site: SiteConfig, file: str) -> None:
    try:
        site.tz  # noqa: B018 - resolving the zone is the check
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{file}: site.timezone {site.timezone!r} is not a known time zone"
        ) from None
    parts = urlsplit(site.link)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{file}: site.link must be an http(s) URL, got {site.link!r}")


def _resolve_archive_url(url: str, folder: Path) -> str:
    """Make a relative SQLite path absolute against ``folder`` (the config file's folder)."""
    prefix, sep, rest = url.partition(":///")
    if sep and prefix.startswith("sqlite") and rest and not rest.startswith("/"):
        if rest == ":memory:" or rest.startswith("file:"):
            return url
        return f"{prefix}:///{(folder / rest).resolve()}"
    return url


def parse_config(text: str, path: Path) -> Config:
    file = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    sections: dict[str, type] = {
        f.name: typing.get_type_hints(Config)[f.name]
        for f in dataclasses.fields(Config)
        if f.name != "path"
    }
    built: dict[str, Any] = {}
    for key, table in data.items():
        if key not in sections:
            raise ConfigError(f"{file}: unknown table or key [{key}]")
        built[key] = build_section(sections[key], table, key, file)
    config = Config(**built, path=path.resolve())
    _validate_site(config.site, file)
    for key, value in dataclasses.asdict(config.search).items():
        if value < 1:
            raise ConfigError(f"{file}: search.{key} must be at least 1, got {value}")
    url = os.environ.get(DATABASE_URL_ENV) or config.archive.url
    archive = dataclasses.replace(
        config.archive, url=_resolve_archive_url(url, path.resolve().parent)
    )
    return dataclasses.replace(config, archive=archive)


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config PATH, else $BREVEFEED_CONFIG, else ./config.toml."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return Path(DEFAULT_CONFIG_NAME)


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    path = find_config_path(explicit)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (use --config, ${CONFIG_ENV}, or `brevefeed init DIR`)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    return parse_config(text, path)
