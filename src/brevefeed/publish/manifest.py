"""What publish believes is on disk: size, mtime and SHA-256 of every file it wrote, and the
document (job) that writes it, so a file deleted or overwritten by hand is noticed and rebuilt.

The manifest lives in the state folder beside the output (``.brevefeed/<output name>/``), not in
the archive: it describes *this* folder on *this* file system (an mtime means nothing elsewhere),
the archive may be restored or copied without its output, and it needs no migration. It is a
small SQLite file of its own so that a run reads and rewrites only the records it needs: at
100,000 brèves, loading and rewriting a whole-file manifest cost more than the run's work.

A run checks, by a ``stat`` each (a hash only when size or mtime differ from the record):

- every *front* file — the feeds, lists, home and tag or section pages, the few hundred files
  that name the latest brèves and that people and feed readers open first;
- every file under a top-level folder whose own mtime moved since the last run: deleting or
  renaming anything directly in ``breves/`` or ``archives/`` (a brève's folder, an archive
  page) changes that folder, so those are seen at once, for one ``stat`` per folder;
- a rotating share of the rest (``sweep`` files a run, brève and archive pages, which never
  change once written), so that a page overwritten in place is found within
  ``records ÷ sweep`` runs; ``publish --verify`` checks every file now.

Checking all 100,000 pages on every run took a second, more than everything else a one-brève
run does: the share keeps a run's cost following change, not archive size.

Records are saved after the files they describe are in place, so a run killed in between
leaves records older than the files: those fail the check when next due, are hashed, found to
differ from the recorded digest, and their documents are rebuilt to the same bytes — nothing
is lost, a later run just does a little more work. A manifest that is missing, unreadable or
of another version is no knowledge at all: every document is rebuilt and compared with what is
there.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

MANIFEST_NAME = "manifest.sqlite3"
#: The whole-file manifest of earlier versions, removed when found.
_OLD_MANIFEST = "manifest.json"
#: Bump when the tables change: a file of another version is read as no knowledge.
MANIFEST_VERSION = 2
#: Jobs whose files never change once written (a brève page changes only with its brève,
#: a full archive page never): checked by turns, not on every run.
_CLOSED_JOBS = ("breve:", "page:")

_SCHEMA = """
CREATE TABLE files (
    path TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    front INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX front_files ON files (front) WHERE front = 1;
CREATE TABLE folders (name TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
_COLUMNS = "path, job, size, mtime_ns, digest"
#: Paths per ``IN (…)`` list: far below SQLite's limit on parameters.
_CHUNK = 500


@dataclass(frozen=True)
class Record:
    job: str
    size: int
    mtime_ns: int
    digest: str


Records = dict[str, Record]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record(job: str, data: bytes, info: os.stat_result) -> Record:
    """The record of a file just found or written to hold ``data``, whose status is ``info``."""
    return Record(job, info.st_size, info.st_mtime_ns, digest(data))


def is_front(relative: str, job: str) -> bool:
    """Whether the file is checked on every run (see the module docstring)."""
    return not job.startswith(_CLOSED_JOBS)


def _top_folder(relative: str) -> str | None:
    head, sep, _rest = relative.partition("/")
    return head if sep else None


def _mtime(path: str) -> int | None:
    try:
        return os.lstat(path).st_mtime_ns
    except OSError:
        return None


class Manifest:
    """The records of one output folder; open with ``open_manifest``."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        #: Where the next run's sweep starts, once ``due`` has taken this run's share.
        self._next_cursor: str | None = None

    @property
    def known(self) -> bool:
        """Whether an earlier run was recorded in full (else nothing is known of the output)."""
        return self._value("complete") == "1"

    def total(self) -> int:
        """How many files the manifest holds: kept as a figure, since counting 100,000 records
        cost as much as the rest of a run with nothing to do."""
        count = self._value("count")
        if count is None:
            return int(self._db.execute("SELECT count(*) FROM files").fetchone()[0])
        return int(count)

    def _held(self, records: Records) -> int:
        """How many of ``records``' paths the manifest holds already."""
        paths = list(records)
        held = 0
        for start in range(0, len(paths), _CHUNK):
            chunk = paths[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT count(*) FROM files WHERE path IN ({marks})"
            held += int(self._db.execute(sql, chunk).fetchone()[0])
        return held

    def _value(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _rows(self, sql: str, *params: object) -> Iterator[tuple[str, Record]]:
        for path, job, size, mtime_ns, sha in self._db.execute(sql, params):
            yield path, Record(job, size, mtime_ns, sha)

    def due(self, out: Path, sweep: int | None) -> Records:
        """The records this run checks: the front files, those under a top-level folder
        changed since, and the next ``sweep`` of the rest (``None``: every record)."""
        if sweep is None:
            return dict(self._rows(f"SELECT {_COLUMNS} FROM files"))
        due = dict(self._rows(f"SELECT {_COLUMNS} FROM files WHERE front = 1"))
        folder = os.fspath(out)
        for name, mtime_ns in self._db.execute("SELECT name, mtime_ns FROM folders"):
            if _mtime(os.path.join(folder, name)) != mtime_ns:
                # '0' sorts right after '/': the range is the folder's whole subtree.
                under = f"SELECT {_COLUMNS} FROM files WHERE path > ? AND path < ?"
                due.update(self._rows(under, name + "/", name + "0"))
        cursor = self._value("cursor") or ""
        turn = list(self._rows(self._AFTER, cursor, sweep))
        if len(turn) < sweep:
            turn += self._rows(self._UP_TO, cursor, sweep - len(turn))
        self._next_cursor = turn[-1][0] if turn else ""
        due.update(turn)
        return due

    # The sweep: closed files in path order from where the last run stopped, wrapping round.
    _AFTER = f"SELECT {_COLUMNS} FROM files WHERE front = 0 AND path > ? ORDER BY path LIMIT ?"
    _UP_TO = f"SELECT {_COLUMNS} FROM files WHERE front = 0 AND path <= ? ORDER BY path LIMIT ?"

    def save(
        self,
        out: Path,
        changed: Records,
        gone: Iterable[str],
        *,
        everything: bool,
        keep: bool = True,
    ) -> int:
        """Record a run — ``changed`` written or checked, ``gone`` no longer there; with
        ``everything``, ``changed`` is the whole output — and return how many files the
        manifest then holds. ``keep=False`` (a dry run) counts without recording."""
        db = self._db
        try:
            if everything:
                db.execute("DELETE FROM files")
                db.execute("DELETE FROM folders")
            total = len(changed)
            if not everything:
                total += self.total() - self._held(changed)
            before = db.total_changes
            db.executemany("DELETE FROM files WHERE path = ?", ((path,) for path in gone))
            total -= db.total_changes - before
            db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (path, r.job, r.size, r.mtime_ns, r.digest, is_front(path, r.job))
                    for path, r in changed.items()
                ),
            )
            self._save_folders(out, {top for path in changed if (top := _top_folder(path))})
            if self._next_cursor is not None:
                self._set("cursor", self._next_cursor)
            self._set("count", str(total))
            self._set("complete", "1")
        except BaseException:
            db.rollback()
            raise
        if keep:
            db.commit()
        else:
            db.rollback()
        return total

    def _save_folders(self, out: Path, touched: set[str]) -> None:
        """The mtime of each top-level folder now that the run's files are in place."""
        known = {name for (name,) in self._db.execute("SELECT name FROM folders")}
        for name in sorted(known | touched):
            mtime_ns = _mtime(os.path.join(out, name))
            if mtime_ns is None:
                self._db.execute("DELETE FROM folders WHERE name = ?", (name,))
            else:
                self._db.execute("INSERT OR REPLACE INTO folders VALUES (?, ?)", (name, mtime_ns))

    def _set(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))


@contextmanager
def open_manifest(state: Path) -> Iterator[Manifest]:
    """The manifest of the output whose state folder is ``state``; one that is unreadable or
    of another version is replaced by an empty one (no knowledge: see the module docstring)."""
    (state / _OLD_MANIFEST).unlink(missing_ok=True)
    path = state / MANIFEST_NAME
    try:
        db = _connect(path)
    except sqlite3.DatabaseError:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        db = _connect(path)
    with closing(db):
        yield Manifest(db)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level="DEFERRED")
    try:
        # A lost last transaction only makes a later run hash a few more files: no need to
        # wait for the disk at each commit, but the file must never be left corrupt.
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version != MANIFEST_VERSION:
            tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            if tables:
                raise sqlite3.DatabaseError(f"manifest version {version}")
            db.executescript(_SCHEMA + f"PRAGMA user_version = {MANIFEST_VERSION};")
        db.execute("SELECT path FROM files LIMIT 1").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def _file_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check(out: Path, records: Records) -> tuple[set[str], Records]:
    """The paths that are missing or no longer hold what was written, and the records of
    files whose bytes are intact under a new mtime (to be recorded so they are not hashed
    again)."""
    broken: set[str] = set()
    retimed: Records = {}
    # Plain strings: at thousands of files, building Path objects costs more than the stats.
    folder = os.fspath(out)
    for relative, rec in records.items():
        path = os.path.join(folder, relative)
        try:
            info = os.lstat(path)
        except OSError:
            broken.add(relative)
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size != rec.size:
            broken.add(relative)
        elif info.st_mtime_ns != rec.mtime_ns:
            try:
                same = _file_digest(path) == rec.digest
            except OSError:
                same = False
            if same:
                retimed[relative] = replace(rec, mtime_ns=info.st_mtime_ns)
            else:
                broken.add(relative)
    return broken, retimed
