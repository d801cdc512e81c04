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
from brevefeed.urls import BadURLError, check_web_url

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
class IngestConfig:
    """How `brevefeed ingest` fetches other outlets' feeds (see README, "Ingesting feeds")."""

    #: Feeds fetched at the same time, and at most this many connections to one host.
    concurrency: int = 16
    per_host: int = 2
    #: Seconds: a whole fetch (connect, headers, body) and the connection alone.
    timeout: float = 30.0
    connect_timeout: float = 10.0
    #: A body is cut (and the fetch fails) past this many bytes, counted after decompression.
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    #: Fetch loopback, private, link-local and multicast addresses (tests, intranets only).
    allow_private: bool = False
    #: Sent as User-Agent; empty means "brevefeed/VERSION (+site.link)".
    user_agent: str = ""
    #: Minutes between two fetches of a source, and the ceiling of the error backoff.
    interval: int = 60
    max_interval: int = 1440
    #: Kept items must mention one of ``keywords`` (when keep = "matching") and none of
    #: ``exclude``; matched on French word forms, accents ignored.
    keywords: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    keep: str = "all"
    #: Processes parsing feeds beside the fetching loop; 0 parses in a thread instead.
    parse_workers: int = 2
    #: Seconds one feed may take to parse; past it the feed fails and its worker is stopped.
    parse_timeout: float = 60.0
    #: Seconds a worker holds the sources it claimed before another worker may take them over.
    lease: int = 600
    #: Most archive pages `ingest --backfill` follows along prev-archive links.
    backfill_pages: int = 200


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[sources]]`` table: a feed followed because config.toml names it."""

    url: str
    name: str = ""
    keywords: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    #: Minutes; default [ingest] interval.
    interval: int | None = None


@dataclass(frozen=True)
class SearchConfig:
    #: Hits per page when --limit is not given.
    limit: int = 20
    #: Up to this many matches relevance scores each one; beyond, it ranks by tiers.
    rank_window: int = 10_000
    #: Matches are counted up to this many; beyond, the count shown is a lower bound.
    count_limit: int = 10_000
    #: Length of a hit's snippet, in characters.
    snippet_length: int = 200


@dataclass(frozen=True)
class PublishConfig:
    #: Folder the feeds are written to; relative to the config file's folder.
    output: str = "public"
    #: Public URL of that folder; required to publish (feeds must name their own URL).
    base_url: str = ""
    #: Brèves in each subscription feed (newest first).
    items: int = 50
    #: Brèves per RFC 5005 archive page.
    archive_page_size: int = 100
    #: Days a retracted brève's RFC 6721 tombstone stays in the Atom feeds.
    tombstone_days: int = 30
    #: WebSub hub to notify after a run that changed a feed ("" for none).
    websub_hub: str = ""
    #: Also write one set of feeds per tag / per section.
    per_tag: bool = True
    per_section: bool = True


@dataclass(frozen=True)
class RelatedConfig:
    #: Minimum relatedness score (0–1) for an automatic link.
    threshold: float = 0.2
    #: At most this many related items per brève (manual links count too).
    max_per_breve: int = 10
    #: How many candidate brèves the search index proposes per new item (a brève being linked
    #: sees at least ``2 * max_per_breve`` items).
    candidates: int = 10
    #: Whether a new related item moves its brève's `updated` time (a new link is not an edit).
    bump_updated: bool = False


@dataclass(frozen=True)
class Config:
    site: SiteConfig = field(default_factory=SiteConfig)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    sources: tuple[SourceConfig, ...] = ()
    search: SearchConfig = field(default_factory=SearchConfig)
    publish: PublishConfig = field(default_factory=PublishConfig)
    related: RelatedConfig = field(default_factory=RelatedConfig)
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
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if f.init and required and f.name not in table:
            raise ConfigError(f"{file}: missing key {where}.{f.name}")
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


def _validate_ingest(config: Config, file: str) -> None:
    ingest = config.ingest
    if ingest.keep not in ("all", "matching"):
        raise ConfigError(f'{file}: ingest.keep must be "all" or "matching", got {ingest.keep!r}')
    for key in ("concurrency", "per_host", "max_bytes", "interval", "max_interval", "lease"):
        if getattr(ingest, key) < 1:
            raise ConfigError(f"{file}: ingest.{key} must be at least 1")
    for key in ("timeout", "connect_timeout", "parse_timeout"):
        if getattr(ingest, key) <= 0:
            raise ConfigError(f"{file}: ingest.{key} must be positive")
    if not 0 <= ingest.max_redirects <= 20 or ingest.parse_workers < 0:
        raise ConfigError(f"{file}: ingest.max_redirects must be 0-20, parse_workers >= 0")
    seen: set[str] = set()
    for i, source in enumerate(config.sources):
        try:
            check_web_url(source.url)
        except BadURLError as exc:
            raise ConfigError(
                f"{file}: sources[{i}].url must be an http(s) URL, got {source.url!r}: {exc}"
            ) from None
        if source.url in seen:
            raise ConfigError(f"{file}: sources[{i}].url {source.url!r} is listed twice")
        seen.add(source.url)
        if source.interval is not None and source.interval < 1:
            raise ConfigError(f"{file}: sources[{i}].interval must be at least 1 (minutes)")


def _validate_publish(publish: PublishConfig, file: str) -> None:
    for key in ("items", "archive_page_size"):
        if getattr(publish, key) < 1:
            raise ConfigError(f"{file}: publish.{key} must be at least 1")
    if publish.tombstone_days < 0:
        raise ConfigError(f"{file}: publish.tombstone_days must not be negative")
    for key in ("base_url", "websub_hub"):
        value = getattr(publish, key)
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ConfigError(f"{file}: publish.{key} must be an http(s) URL, got {value!r}")


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
        if typing.get_origin(sections[key]) is tuple:
            # An array of tables ([[sources]]): each element is one dataclass.
            (item_cls, _) = typing.get_args(sections[key])
            if not isinstance(table, list):
                raise ConfigError(f"{file}: {key} must be an array of tables ([[{key}]])")
            built[key] = tuple(
                build_section(item_cls, item, f"{key}[{i}]", file) for i, item in enumerate(table)
            )
        else:
            built[key] = build_section(sections[key], table, key, file)
    config = Config(**built, path=path.resolve())
    _validate_site(config.site, file)
    _validate_ingest(config, file)
    for key, value in dataclasses.asdict(config.search).items():
        if value < 1:
            raise ConfigError(f"{file}: search.{key} must be at least 1, got {value}")
    _validate_publish(config.publish, file)
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
