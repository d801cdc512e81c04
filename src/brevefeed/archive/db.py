"""Open the archive: engine, sessions and schema migrations.

SQLite is put in WAL mode with a busy timeout and every transaction starts with
``BEGIN IMMEDIATE``, so two overlapping cron runs queue for the write lock instead of failing
halfway; PostgreSQL migrations hold an advisory lock for the same reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

from brevefeed.errors import ArchiveError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 60_000
#: Execution option telling a SQLite transaction whether it will write.
WRITE_OPTION = "brevefeed_write"
#: Arbitrary constant naming brevefeed's migration lock among PostgreSQL advisory locks.
PG_MIGRATION_LOCK = 0x62726576
#: The newest migration. Opening the archive compares its alembic_version with this, one
#: query, and loads Alembic (about a second of imports) only when they differ; a test checks
#: it against the migrations folder, so a new migration cannot forget it.
HEAD_REVISION = "0014_story_stamps"


def describe_url(url: str) -> str:
    """The URL as safe to print: password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the write lock up front (no deadlock upgrading a read lock later);
        # readers do not, so in WAL mode they never wait for a writer.
        write = connection.get_execution_options().get(WRITE_OPTION, True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")


def _create_private(database: Path, url: str) -> None:
    """Create a missing SQLite file readable by its owner alone: it holds drafts and
    retracted brèves. SQLite gives its -wal and -shm files the database file's mode."""
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise ArchiveError(f"cannot create archive {describe_url(url)}: {exc.strerror}") from None


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
        engine = create_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite")
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        hint = ""
        if url.startswith("postgres"):
            hint = " (install the extra: pip install 'brevefeed[postgres]')"
        raise ArchiveError(
            f"archive URL {describe_url(url)!r} is not usable: {exc}{hint}"
        ) from None
    if engine.dialect.name == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).parent
            if not folder.is_dir():
                raise ArchiveError(
                    f"cannot open archive {describe_url(url)}: folder {folder} does not exist"
                )
            _create_private(Path(database), url)
        _prepare_sqlite(engine)
    return engine


def _alembic_config(connection: Connection) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(files("brevefeed.archive") / "migrations"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration as Alembic reads it from the migrations folder."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(files("brevefeed.archive") / "migrations"))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with _connect(engine) as connection:
        return _stored_revision(connection)


def _stored_revision(connection: Connection) -> str | None:
    """The archive's schema revision, read as Alembic stores it (None: no schema yet)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:
        raise ArchiveError(f"archive has several schema revisions ({', '.join(rows)})")
    return rows[0] if rows else None


@contextmanager
def _connect(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    try:
        with engine.connect() as connection:
            yield connection.execution_options(**{WRITE_OPTION: write})
    except (OperationalError, InterfaceError) as exc:
        raise ArchiveError(
            f"cannot open archive {describe_url(str(engine.url))}: {_first_line(exc.orig)}"
        ) from None


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip() if exc else "unknown error"
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in the one transaction schema migrations run in.

    On SQLite, foreign keys are off meanwhile (the pragma is a no-op inside a transaction, so
    it is set on the driver's connection first): a batch migration copies a table, drops the
    original and renames the copy, and with foreign keys on, that drop would first delete every
    row referring to the table through ON DELETE CASCADE (all items when ``sources`` is
    rebuilt). References are checked before commit instead, as SQLite's ALTER TABLE page says.
    """
    with _connect(engine, write=True) as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _driver_pragma(connection, "foreign_keys = OFF")
        try:
            with connection.begin():
                if not sqlite:
                    connection.execute(select(func.pg_advisory_xact_lock(PG_MIGRATION_LOCK)))
                yield connection
                if sqlite:
                    _check_references(connection)
        finally:
            if sqlite:
                _driver_pragma(connection, "foreign_keys = ON")


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise ArchiveError(f"migration left rows of {broken[0]} referring to missing {broken[2]}")


def _driver_pragma(connection: Connection, pragma: str) -> None:
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the schema to the newest migration; returns (before, after) revisions."""
    with migrating(engine) as connection:
        before = _stored_revision(connection)
        if before != HEAD_REVISION:
            from alembic import command

            command.upgrade(_alembic_config(connection), "head")
        after = _stored_revision(connection)
    return before, after


@dataclass
class Archive:
    """An open archive: its engine, sessions, and plain connections for fast readers."""

    engine: Engine
    _sessions: sessionmaker[Session] | None = field(default=None, init=False, repr=False)

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory; the ORM is loaded by the first session, never by `reading`."""
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            # The hooks that settle the search index before each write commits.
            from brevefeed.archive import changes  # noqa: F401

            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction on a plain connection: for the commands that only read
        and must answer at once (`list`, `search`), in Core, without the ORM. On SQLite it
        never waits for a writer, as ``session(write=False)``."""
        with self.engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: False})
            with connection.begin():
                yield connection

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, rolled back otherwise.

        ``write=False`` for commands that only read: on SQLite they then never wait for a
        writer (nor make one wait).
        """
        with self.sessions.begin() as session:
            session.connection(execution_options={WRITE_OPTION: write})
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only transaction that sees one consistent state of the archive throughout,
        and keeps no writer waiting however long it lasts.

        SQLite in WAL mode gives a deferred read transaction its snapshot at its first read;
        PostgreSQL needs REPEATABLE READ (READ COMMITTED would see each statement's own state).
        """
        options: dict[str, Any] = {WRITE_OPTION: False}
        if self.engine.dialect.name == "postgresql":
            options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with self.sessions.begin() as session:
            session.connection(execution_options=options)
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_archive(url: str, *, upgrade_schema: bool = True) -> Archive:
    """Open (and by default create or upgrade) the archive at ``url``."""
    engine = make_engine(url)
    try:
        if upgrade_schema:
            if current_revision(engine) != HEAD_REVISION:
                upgrade(engine)
        else:
            with _connect(engine):
                pass
    except BaseException:
        engine.dispose()
        raise
    return Archive(engine)
