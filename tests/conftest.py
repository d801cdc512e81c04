"""Shared fixtures: an archive on SQLite and on the real PostgreSQL server, sample brèves.

Every test that takes ``archive_url`` (or ``archive``) runs twice: on a fresh SQLite file, and
on a fresh schema of the PostgreSQL database named by $BREVEFEED_TEST_POSTGRES_URL (skipped,
with the reason shown, when that variable is unset).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from brevefeed.archive import Archive, open_archive
from brevefeed.config import Config, IngestConfig, SiteConfig
from brevefeed.importing import ImportContext
from feedserver import FeedServer

POSTGRES_ENV = "BREVEFEED_TEST_POSTGRES_URL"
FIXTURES = Path(__file__).parent / "fixtures"
#: A scraped page in the shape brevefeed imports (breadcrumb, title, author line, standfirst,
#: body, share and advertising lines), written for the tests.
SCRAPED_PAGE = FIXTURES / "pages" / "scraped-page.txt"


def _postgres_schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.sqlite3'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need ${POSTGRES_ENV} (set by .ci/run)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(base, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def archive(archive_url: str) -> Iterator[Archive]:
    opened = open_archive(archive_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def site() -> SiteConfig:
    return SiteConfig(title="Brèves de test", link="https://breves.example.org/")


NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def context(site: SiteConfig) -> ImportContext:
    return ImportContext(site=site, editor="test", now=NOW)


@pytest.fixture
def scraped_page() -> str:
    return SCRAPED_PAGE.read_text(encoding="utf-8")


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A real HTTP server on 127.0.0.1; tests register what each path answers."""
    server = FeedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ingest_config(site: SiteConfig) -> Config:
    """Ingest settings for tests: loopback allowed, limits and timeouts small."""
    return Config(
        site=site,
        ingest=IngestConfig(
            allow_private=True,
            timeout=1.0,
            connect_timeout=1.0,
            max_bytes=300_000,
            parse_workers=0,
            concurrency=8,
        ),
    )
