"""Migrations are history: each one self-contained, undoable, and able to carry real data.

For every revision (found in the script directory, so a new one is covered as soon as it
exists), an archive is created at that revision, filled with the search corpus through plain
SQL on that revision's own schema (as the code of the day would have left it, index rows
included), and upgraded to head: every row must survive, the index must be the one the live
code would build from scratch, and the search must answer as on a fresh archive. A second
test walks back from head to every earlier revision and up again with data in the archive.
"""

from __future__ import annotations

import ast
import html
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, inspect, select, text

from brevefeed.archive import index, open_archive
from brevefeed.archive.db import _alembic_config, make_engine, migrating, upgrade
from brevefeed.errors import ArchiveError
from brevefeed.search import SearchRequest, search
from brevefeed.text import tag_key
from search_corpus import corpus
from test_search_engine import CASES

MIGRATIONS = Path(str(files("brevefeed.archive") / "migrations"))
SCRIPT = ScriptDirectory(str(MIGRATIONS))
#: Oldest first.
REVISIONS = [script.revision for script in reversed(list(SCRIPT.walk_revisions()))]
HEAD = REVISIONS[-1]
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
#: The tables the test fills, parents first; each row lists every column it ever had, and a
#: revision gets the ones its schema has.
DATA_TABLES = (
    "breves",
    "breve_tags",
    "revisions",
    "sources",
    "items",
    "related_links",
    "published_breves",
    "publish_state",
)


# Rows -------------------------------------------------------------------------------------


def _uid(ref: str) -> str:
    return f"tag:breves.example.org,2024:{ref}"


def _entry_id(ref: str) -> str:
    return f"urn:test:{ref}"


def _rows() -> dict[str, list[dict[str, Any]]]:
    data = corpus()
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in DATA_TABLES}
    for number, raw in enumerate(data["breves"], start=1):
        published = datetime.fromisoformat(raw["published"]).astimezone(UTC)
        retracted = raw.get("retracted")
        paragraphs = raw["body"].split("\n\n")
        rows["breves"].append(
            {
                "id": number,
                "uid": _uid(raw["ref"]),
                "slug": raw["ref"],
                "title": raw["title"],
                "section": "Société",
                "standfirst": raw["standfirst"],
                "body": raw["body"],
                "body_html": "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs),
                "authors": raw["authors"],
                "sources": [],
                "language": "fr",
                "status": "retracted" if retracted else "published",
                "published_at": published,
                "updated_at": published,
                "retracted_at": NOW if retracted else None,
                "retraction_reason": retracted,
                "origin": None,
                "change_seq": number,
            }
        )
        rows["breve_tags"] += [
            {"breve_id": number, "tag": tag, "position": position, "key": tag_key(tag)}
            for position, tag in enumerate(raw["tags"])
        ]
        rows["revisions"].append(
            {
                "id": number,
                "breve_id": number,
                "number": 1,
                "recorded_at": published,
                "editor": "test",
                "changed": ["title", "body"],
                "snapshot": [raw["title"]],
            }
        )
        rows["published_breves"].append(
            {
                "breve_id": number,
                "page": 1,
                "feeds": ["all"],
                "tombstone": bool(retracted),
                # What 0009 fills in from the brève, so a downgrade and upgrade keep it.
                "slug": raw["ref"],
            }
        )
    source_ids = {}
    for number, raw in enumerate(data["sources"], start=1):
        source_ids[raw["ref"]] = number
        rows["sources"].append(
            {
                "id": number,
                "url": raw["url"],
                "name": raw["name"],
                "title": raw["title"],
                "site_link": f"https://{raw['ref']}.example.net/",
                "enabled": True,
                "created_at": NOW,
                "origin": "config",
                "declared_url": raw["url"],
                "etag": f'"{raw["ref"]}"',
                "last_fetch_at": NOW,
                "last_status": 200,
                "consecutive_errors": 0,
            }
        )
    for number, raw in enumerate(data["items"], start=1):
        rows["items"].append(
            {
                "id": number,
                "source_id": source_ids[raw["source"]],
                "entry_id": _entry_id(raw["ref"]),
                "link": f"https://example.net/{raw['ref']}",
                "title": raw["title"],
                "authors": raw["authors"],
                "summary_html": raw["summary_html"],
                "content_html": raw["content_html"],
                "categories": raw["categories"],
                "published_at": datetime.fromisoformat(raw["published"]).astimezone(UTC),
                "updated_at": None,
                "raw_date": raw["published"],
                "fetched_at": NOW,
                "content_hash": raw["ref"],
                "canonical_link": f"https://example.net/{raw['ref']}",
                "title_key": raw["ref"],
                "story_id": None,
            }
        )
    rows["related_links"].append(
        {
            "breve_id": 1,
            "item_id": 1,
            "score": 0.5,
            "method": "auto",
            "state": "linked",
            "created_at": NOW,
        }
    )
    rows["publish_state"].append({"id": 1, "last_seq": 5, "settings": "0" * 64})
    return rows


# Archives ---------------------------------------------------------------------------------


@pytest.fixture
def engine(archive_url: str) -> Iterator[Engine]:
    made = make_engine(archive_url)
    try:
        yield made
    finally:
        made.dispose()


def _migrate(engine: Engine, target: str | None) -> None:
    """Upgrade or downgrade to ``target`` (None: base), in a transaction as brevefeed runs it."""
    with migrating(engine) as conn:
        config = _alembic_config(conn)
        current = MigrationContext.configure(conn).get_current_revision()
        if target is None:
            command.downgrade(config, "base")
        elif current is None or REVISIONS.index(target) >= REVISIONS.index(current):
            command.upgrade(config, target)
        else:
            command.downgrade(config, target)


def _data_tables(conn: Connection) -> MetaData:
    """The filled tables as this revision has them."""
    present = set(inspect(conn).get_table_names())
    metadata = MetaData()
    metadata.reflect(conn, only=[table for table in DATA_TABLES if table in present])
    return metadata


def _fill(engine: Engine) -> None:
    """The corpus on the schema of whatever revision the archive is at, index included."""
    with engine.begin() as conn:
        metadata = _data_tables(conn)
        for name, rows in _rows().items():
            if (table := metadata.tables.get(name)) is not None:
                conn.execute(table.insert(), [_project(row, table.c.keys()) for row in rows])
        _write_index(conn)


def _project(row: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key in columns}


def _write_index(conn: Connection) -> None:
    """The index rows brevefeed writes beside each record (by ORM events, not run by plain SQL)."""
    present = set(inspect(conn).get_table_names())
    if "search_breves" not in present:  # before 0004
        return
    for kind, loader, table in (
        ("breve", index.load_breves, "breves"),
        ("item", index.load_items, "items"),
    ):
        docs = loader(conn, list(conn.execute(text(f"SELECT id FROM {table}")).scalars()))
        if index.TITLE_TABLES[kind] in present:
            index.insert_entries(conn, kind, docs)
            continue
        # Before 0007 on SQLite and 0012 on PostgreSQL, the index was the main table alone.
        if conn.dialect.name == "postgresql":
            key = "breve_id" if kind == "breve" else "item_id"
            sql = (
                f"INSERT INTO search_{kind}s ({key}, document, title, lead, fields) VALUES"
                f" (:id, {index._PG_DOCUMENT}, to_tsvector('{index.PG_CONFIG}', :title),"
                f" {index._PG_LEAD}, {index._PG_FIELDS})"
            )
        else:
            columns = ", ".join(index.FTS_COLUMNS)
            values = ", ".join(f":{column}" for column in index.FTS_COLUMNS)
            sql = f"INSERT INTO search_{kind}s (rowid, {columns}) VALUES (:id, {values})"
        conn.execute(text(sql), [{"id": id_, **vars(doc)} for id_, doc in docs])


def _dump(conn: Connection, metadata: MetaData) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of these tables, in these columns only, by primary key."""
    return {
        name: [
            tuple(row)
            for row in conn.execute(select(*table.c).order_by(*table.primary_key.columns))
        ]
        for name, table in metadata.tables.items()
    }


def _schema(conn: Connection) -> dict[str, Any]:
    inspector = inspect(conn)
    shape: dict[str, Any] = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        shape[table] = (
            [
                (column["name"], str(column["type"]), column["nullable"], column.get("default"))
                for column in inspector.get_columns(table)
            ],
            inspector.get_pk_constraint(table),
            sorted(map(repr, inspector.get_foreign_keys(table))),
            sorted(map(repr, inspector.get_indexes(table))),
            sorted(map(repr, inspector.get_unique_constraints(table))),
            sorted(map(repr, inspector.get_check_constraints(table))),
        )
    if conn.dialect.name == "postgresql":
        shape["text search configurations"] = conn.execute(
            text(
                "SELECT cfgname FROM pg_ts_config"
                " WHERE cfgnamespace = current_schema()::regnamespace ORDER BY cfgname"
            )
        ).all()
    return shape


def _index_rows(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    if conn.dialect.name == "postgresql":
        return {
            table: conn.execute(
                text(
                    f"SELECT {key}, document::text, title::text, lead::text, fields::text"
                    f" FROM {table} ORDER BY {key}"
                )
            ).all()
            for table, key in (("search_breves", "breve_id"), ("search_items", "item_id"))
        } | {
            table: conn.execute(
                text(f"SELECT {key}, title::text FROM {table} ORDER BY {key}")
            ).all()
            for table, key in (
                ("search_breves_titles", "breve_id"),
                ("search_items_titles", "item_id"),
            )
        }
    return {
        table: conn.execute(text(f"SELECT rowid, * FROM {table} ORDER BY rowid")).all()
        for table in (*index.INDEX_TABLES, *index.TITLE_TABLES.values())
    }


def _check_index(engine: Engine) -> None:
    """The index the migrations left is the one the live code builds from the same rows."""
    with engine.connect() as conn, conn.begin() as transaction:
        migrated = _index_rows(conn)
        index.rebuild(conn)
        assert migrated == _index_rows(conn)
        transaction.rollback()


def _check_search(url: str, present: set[str]) -> None:
    """Every query of the search tests finds what it finds on a fresh archive (of what is left)."""
    ids = {_uid(raw["ref"]): raw["ref"] for raw in corpus()["breves"]}
    ids |= {_entry_id(raw["ref"]): raw["ref"] for raw in corpus()["items"]}
    archive = open_archive(url, upgrade_schema=False)
    wrong = {}
    try:
        with archive.session(write=False) as session:
            for query, expected in CASES:
                found = {
                    ids[hit.id] for hit in search(session.connection(), SearchRequest(query)).hits
                }
                if found != expected & present:
                    wrong[query] = {"expected": sorted(expected & present), "found": sorted(found)}
    finally:
        archive.close()
    assert wrong == {}


def _projected(
    rows: dict[str, list[tuple[Any, ...]]], dumped: MetaData, kept: MetaData
) -> dict[str, list[tuple[Any, ...]]]:
    """``rows`` (dumped from ``dumped``) reduced to the tables and columns of ``kept``."""
    projected = {}
    for name, table in kept.tables.items():
        columns = dumped.tables[name].c.keys()
        positions = [columns.index(column.name) for column in table.columns]
        projected[name] = [tuple(row[at] for at in positions) for row in rows[name]]
    return projected


def _refs(tables: MetaData) -> set[str]:
    refs = set()
    if "breves" in tables.tables:
        refs |= {raw["ref"] for raw in corpus()["breves"]}
    if "items" in tables.tables:
        refs |= {raw["ref"] for raw in corpus()["items"]}
    return refs


# Tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("revision", REVISIONS)
def test_an_archive_made_at_each_revision_upgrades_with_its_data(
    engine: Engine, archive_url: str, revision: str
) -> None:
    _migrate(engine, revision)
    _fill(engine)
    with engine.connect() as conn:
        then = _data_tables(conn)
        before = _dump(conn, then)
    _migrate(engine, HEAD)
    with engine.connect() as conn:
        assert _dump(conn, then) == before
        # 0003 took the sources it found as declared the way they are fetched.
        sources = conn.execute(text("SELECT url, declared_url FROM sources")).all()
        assert all(url == declared for url, declared in sources)
    _check_index(engine)
    _check_search(archive_url, _refs(then))


def test_every_downgrade_restores_the_earlier_schema_and_upgrading_again_keeps_data(
    engine: Engine, archive_url: str
) -> None:
    with engine.connect() as conn:
        fresh: dict[str | None, dict[str, Any]] = {None: _schema(conn)}
    for revision in REVISIONS:
        _migrate(engine, revision)
        with engine.connect() as conn:
            fresh[revision] = _schema(conn)
    _fill(engine)
    with engine.connect() as conn:
        head = _data_tables(conn)
        before = _dump(conn, head)
    # Each round goes further back than the last, so what a round loses was bound to go.
    for target in [*reversed(REVISIONS[:-1]), None]:
        _migrate(engine, target)
        with engine.connect() as conn:
            assert _schema(conn) == fresh[target], f"downgrade to {target or 'base'}"
            kept = _data_tables(conn)
        _migrate(engine, HEAD)
        with engine.connect() as conn:
            assert _schema(conn) == fresh[HEAD], f"upgrade from {target or 'base'}"
            assert _dump(conn, kept) == _projected(before, head, kept)
        _check_index(engine)
        _check_search(archive_url, _refs(kept))


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")


def _migration_files() -> list[Path]:
    return sorted((MIGRATIONS / "versions").glob("*.py"))


def test_migrations_import_no_live_code() -> None:
    # Live modules change; a migration that imports one changes what it did when it shipped.
    live = {
        f"{path.name}: {name}"
        for path in _migration_files()
        for name in _imports(path)
        if (name == "brevefeed" or name.startswith("brevefeed."))
        and not name.startswith("brevefeed.archive.migrations")
    }
    assert live == set()
    assert len(_migration_files()) == len(REVISIONS)


def test_no_downgrade_is_left_empty() -> None:
    empty = []
    for path in _migration_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        (downgrade,) = (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == "downgrade"
        )
        if all(
            isinstance(statement, ast.Pass)
            or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
            for statement in downgrade.body
        ):
            empty.append(path.name)
    assert empty == []


def test_sqlite_migrations_cascade_nothing_but_leave_no_dangling_reference(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'archive.sqlite3'}")
    try:
        upgrade(engine)
        refused = pytest.raises(ArchiveError, match="breve_tags referring to missing breves")
        with refused, migrating(engine) as conn:
            conn.execute(
                text("INSERT INTO breve_tags (breve_id, tag, position) VALUES (99, 'orphan', 0)")
            )
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM breve_tags")).scalar_one() == 0
            # The pooled connection serves the next command with its foreign keys on again.
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        engine.dispose()


def test_0013_gives_existing_tags_their_key_and_first_spelling(
    engine: Engine, archive_url: str
) -> None:
    _migrate(engine, "0012_search_titles_postgresql")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO breves (id, uid, slug, title, section, standfirst, body, body_html,"
                " authors, sources, language, status, published_at, updated_at)"
                " VALUES (:id, :uid, :slug, 't', '', '', 'b', '<p>b</p>', '[]', '[]', 'fr',"
                " 'published', :when, :when)"
            ),
            [
                {"id": n, "uid": _uid(f"s{n}"), "slug": f"s{n}", "when": NOW.replace(tzinfo=None)}
                for n in (1, 2)
            ],
        )
        conn.execute(
            text("INSERT INTO breve_tags (breve_id, tag, position) VALUES (:b, :t, :p)"),
            [
                {"b": 1, "t": "Éducation  nationale", "p": 0},
                {"b": 1, "t": "Cœur", "p": 1},
                {"b": 2, "t": "education nationale", "p": 0},
            ],
        )
        stamps = conn.execute(text("SELECT id, change_seq FROM breves ORDER BY id")).all()
    _migrate(engine, HEAD)
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT tag, key FROM breve_tags ORDER BY breve_id, tag")).all()
        assert all(key == tag_key(tag) for tag, key in keys)
        names = dict(conn.execute(text("SELECT key, name FROM tags")).all())
        assert names == {"education nationale": "Éducation  nationale", "coeur": "Cœur"}
        # Filling a derived column is no edit: nothing to republish.
        assert conn.execute(text("SELECT id, change_seq FROM breves ORDER BY id")).all() == stamps
