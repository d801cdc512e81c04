"""Read and validate config.toml into frozen dataclasses.

Each TOML table maps to one dataclass below; its fields (names, types, defaults, and for every
number its allowed range) are the whole schema, so adding a key means adding a field. Every
problem is a ``ConfigError`` whose single line names the file, the key and what is wrong.
"""

from __future__ import annotations

import dataclasses
import os
import string
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
#: Upper bound of every interval in minutes: a year. Far beyond any use, and well inside what
#: datetime arithmetic accepts (a huge value would crash the scheduler, not be refused here).
A_YEAR_IN_MINUTES = 525_600

_N = TypeVar("_N", int, float, int | None)


@dataclass(frozen=True)
class Range:
    """The values a numeric key accepts: ``low`` (excluded when ``low_open``) up to ``high``."""

    low: float
    high: float
    low_open: bool = False

    def __contains__(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        # Written so that NaN (which TOML allows) is outside every range.
        return above and value <= self.high

    def __str__(self) -> str:
        if self.low_open:
            return f"greater than {self.low:g} and at most {self.high:g}"
        return f"between {self.low:g} and {self.high:g}"


def ranged(default: _N, low: float, high: float, *, low_open: bool = False) -> _N:
    """A dataclass field holding a number checked against ``Range(low, high, low_open)``."""
    metadata = {"range": Range(low, high, low_open)}
    return field(default=default, metadata=metadata)


def range_of(f: dataclasses.Field[Any]) -> Range | None:
    found = f.metadata.get("range")
    return found if isinstance(found, Range) else None


#: The link `init` writes until the editor gives the site's own: brève ids are never minted
#: from it (see ``archive.breves.mint_uid``).
PLACEHOLDER_LINK = "https://example.org/"


@dataclass(frozen=True)
class SiteConfig:
    title: str = "Brèves"
    #: Base URL of the site; brève ids (tag: URIs) are minted from its host.
    link: str = PLACEHOLDER_LINK
    language: str = "fr"
    timezone: str = "Europe/Paris"
    author: str = "La rédaction"
    description: str = ""
    #: Where each brève lives when the newsroom's own site has it (placeholders {slug},
    #: {year}, {month}, {day}): feeds link there and publish writes no brève page.
    item_url: str = ""
    #: A folder (relative to the config file) whose files override the page templates.
    templates: str = ""

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
    concurrency: int = ranged(16, 1, 1000)
    per_host: int = ranged(2, 1, 100)
    #: Seconds: a whole fetch (connect, headers, body) and the connection alone.
    timeout: float = ranged(30.0, 0, 3600, low_open=True)
    connect_timeout: float = ranged(10.0, 0, 3600, low_open=True)
    #: A body is cut (and the fetch fails) past this many bytes, counted after decompression.
    max_bytes: int = ranged(10_000_000, 1, 1_000_000_000)
    max_redirects: int = ranged(5, 0, 20)
    #: Fetch loopback, private, link-local and multicast addresses (tests, intranets only).
    allow_private: bool = False
    #: Sent as User-Agent; empty means "brevefeed/VERSION (+site.link)".
    user_agent: str = ""
    #: Minutes between two fetches of a source, and the ceiling of the error backoff.
    interval: int = ranged(60, 1, A_YEAR_IN_MINUTES)
    max_interval: int = ranged(1440, 1, A_YEAR_IN_MINUTES)
    #: Kept items must mention one of ``keywords`` (when keep = "matching") and none of
    #: ``exclude``; matched on French word forms, accents ignored.
    keywords: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    keep: str = "all"
    #: Processes parsing feeds beside the fetching loop; 0 parses in a thread instead.
    parse_workers: int = ranged(2, 0, 64)
    #: Seconds one feed may take to parse; past it the feed fails and its worker is stopped.
    parse_timeout: float = ranged(60.0, 0, 3600, low_open=True)
    #: Seconds a worker holds the sources it claimed before another worker may take them over.
    lease: int = ranged(600, 1, 86_400)
    #: Most archive pages `ingest --backfill` follows along prev-archive links.
    backfill_pages: int = ranged(200, 1, 100_000)


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[sources]]`` table: a feed followed because config.toml names it."""

    url: str
    name: str = ""
    keywords: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    #: Minutes; default [ingest] interval.
    interval: int | None = ranged(None, 1, A_YEAR_IN_MINUTES)


@dataclass(frozen=True)
class SearchConfig:
    #: Hits per page when --limit is not given.
    limit: int = ranged(20, 1, 10_000)
    #: Up to this many matches relevance scores each one; beyond, it ranks by tiers.
    rank_window: int = ranged(10_000, 1, 10_000_000)
    #: Matches are counted up to this many; beyond, the count shown is a lower bound.
    count_limit: int = ranged(10_000, 1, 10_000_000)
    #: Length of a hit's snippet, in characters.
    snippet_length: int = ranged(200, 1, 10_000)


@dataclass(frozen=True)
class PublishConfig:
    #: Folder the feeds are written to; relative to the config file's folder.
    output: str = "public"
    #: Public URL of that folder; required to publish (feeds must name their own URL).
    base_url: str = ""
    #: Brèves in each subscription feed (newest first).
    items: int = ranged(50, 1, 10_000)
    #: Brèves per RFC 5005 archive page.
    archive_page_size: int = ranged(100, 1, 100_000)
    #: Days a retracted brève's RFC 6721 tombstone stays in the Atom feeds.
    tombstone_days: int = ranged(30, 0, 3650)
    #: WebSub hub to notify after a run that changed a feed ("" for none).
    websub_hub: str = ""
    #: Also write one set of feeds per tag / per section.
    per_tag: bool = True
    per_section: bool = True


@dataclass(frozen=True)
class RelatedConfig:
    #: Minimum relatedness score (0–1) for an automatic link.
    threshold: float = ranged(0.2, 0, 1)
    #: At most this many related items per brève (manual links count too; 0: none automatic).
    max_per_breve: int = ranged(10, 0, 100)
    #: How many candidate brèves the search index proposes per new item (a brève being linked
    #: sees at least ``2 * max_per_breve`` items).
    candidates: int = ranged(10, 1, 1000)
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
    if origin in (types.UnionType, typing.Union):
        # ``X | None`` is a key one may leave out: the value given must be an X.
        return " or ".join(_type_name(arg) for arg in typing.get_args(tp) if arg is not type(None))
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
        allowed = range_of(f)
        value = table.get(f.name)
        if allowed is not None and value is not None and value not in allowed:
            raise ConfigError(f"{file}: [{where}] {f.name} must be {allowed}, got {value!r}")
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
    if site.item_url:
        _validate_item_url(site.item_url, file)


#: What ``[site] item_url`` may name, with a sample value to check the URL it makes.
ITEM_URL_FIELDS = {"slug": "une-breve", "year": "2024", "month": "06", "day": "26"}


def _validate_item_url(template: str, file: str) -> None:
    problem = ""
    try:
        parsed = list(string.Formatter().parse(template))
        names = {name for _text, name, _spec, _conv in parsed}
        unknown = sorted(n for n in names if n is not None and n not in ITEM_URL_FIELDS)
        if unknown or "" in names:
            problem = f"unknown placeholder {{{(unknown or [''])[0]}}}"
        elif any(spec or conv for _text, _name, spec, conv in parsed):
            problem = "placeholders take no format spec or conversion"
        elif "slug" not in names:
            problem = "it must contain {slug} (one URL per brève)"
        else:
            check_web_url(template.format(**ITEM_URL_FIELDS))
    except ValueError as exc:  # BadURLError too
        problem = str(exc)
    if problem:
        allowed = ", ".join(f"{{{n}}}" for n in ITEM_URL_FIELDS)
        raise ConfigError(
            f"{file}: site.item_url {template!r} is not a valid template: {problem}"
            f" (allowed: {allowed})"
        )


def _validate_ingest(config: Config, file: str) -> None:
    ingest = config.ingest
    if ingest.keep not in ("all", "matching"):
        raise ConfigError(f'{file}: ingest.keep must be "all" or "matching", got {ingest.keep!r}')
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


def _validate_publish(publish: PublishConfig, file: str) -> None:
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
