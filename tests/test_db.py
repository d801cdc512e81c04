from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from brevefeed.archive.db import (
    _alembic_config,
    current_revision,
    head_revision,
    make_engine,
    open_archive,
    upgrade,
)
from brevefeed.archive.index import INDEX_TABLES, PENDING_TABLE
from brevefeed.archive.models import Base
from brevefeed.errors import ArchiveError, ExitCode


def test_open_creates_schema_at_head(archive_url: str) -> None:
    archive = open_archive(archive_url)
    try:
        assert current_revision(archive.engine) == head_revision()
        tables = set(inspect(archive.engine).get_table_names())
        assert {"breves", "breve_tags", "revisions", "sources", "items"} <= tables
    finally:
        archive.close()


def _index_table(name: str) -> bool:
    """The index's own tables, FTS5's shadow tables behind them (search_items_data…), and its
    to-do list kept by triggers."""
    if name == PENDING_TABLE:
        return True
    return any(name == table or name.startswith(f"{table}_") for table in INDEX_TABLES)


def test_migrations_match_models(archive_url: str) -> None:
    """The ORM classes and the migrations describe the same schema."""
    assert _index_table("search_breves_data") and not _index_table("items")
    archive = open_archive(archive_url)
    try:
        with archive.engine.connect() as conn:
            # The search index is not ORM-mapped (FTS5 vs tsvector; see archive.index).
            context = MigrationContext.configure(
                conn,
                opts={"include_name": lambda name, kind, _parent: not _index_table(name or "")},
            )
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
    finally:
        archive.close()


def test_upgrade_twice_is_a_no_op(archive_url: str) -> None:
    engine = make_engine(archive_url)
    try:
        before, after = upgrade(engine)
        assert before is None and after == head_revision()
        assert upgrade(engine) == (after, after)
    finally:
        engine.dispose()


def test_unreachable_postgres_is_a_clear_error() -> None:
    with pytest.raises(ArchiveError) as caught:
        open_archive("postgresql+psycopg://brevefeed:secret@127.0.0.1:1/none")
    message = str(caught.value)
    assert "cannot open archive" in message and "127.0.0.1:1" in message
    assert "secret" not in message
    assert caught.value.exit_code == ExitCode.USAGE


def test_sqlite_in_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="does not exist"):
        open_archive(f"sqlite:///{tmp_path / 'nowhere' / 'a.sqlite3'}")


def test_unknown_driver_is_a_clear_error() -> None:
    with pytest.raises(ArchiveError, match="not usable"):
        open_archive("nosuchdb://localhost/x")


def test_0008_adds_feed_counts_to_an_archive_with_sources_and_back(archive_url: str) -> None:
    engine = make_engine(archive_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0007_search_titles")
            conn.execute(
                text(
                    "INSERT INTO sources (id, url, name, title, site_link, enabled, created_at)"
                    " VALUES (1, 'https://gazette.example/rss', 'Gazette', '', '', :t, :now)"
                ),
                {"t": True, "now": "2024-06-01 12:00:00.000000"},
            )
            conn.execute(
                text(
                    "INSERT INTO items (source_id, entry_id, link, title, authors, summary_html,"
                    " content_html, categories, fetched_at, content_hash)"
                    " VALUES (1, 'a', '', 'Titre', '[]', '', '', '[]', :now, 'h')"
                ),
                {"now": "2024-06-01 12:00:00.000000"},
            )
        assert upgrade(engine) == ("0007_search_titles", head_revision())
        with engine.connect() as conn:
            row = conn.execute(text("SELECT name, id_collisions, dropped_links FROM sources"))
            assert row.one() == ("Gazette", 0, 0)
        with engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0007_search_titles")
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("sources")}
            assert "id_collisions" not in columns and "dropped_links" not in columns
            # The items of the source survive the downgrade.
            assert conn.execute(text("SELECT count(*) FROM items")).scalar_one() == 1
    finally:
        engine.dispose()
