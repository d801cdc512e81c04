"""What publish believes is on disk: size, mtime and SHA-256 of every file it wrote, and the
document (job) that writes it, so a file deleted or overwritten by hand is noticed and rebuilt.

The manifest lives in the state folder beside the output (``.brevefeed/<output name>/``), not in
the archive: it describes *this* folder on *this* file system (an mtime means nothing elsewhere),
the archive may be restored or copied without its output, and it needs no migration. It is
replaced atomically (``brevefeed.files``) after the files it describes, so a run killed in
between leaves records older than the files: those fail the check, are hashed, found to differ
from the recorded digest, and their documents are rebuilt to the same bytes — nothing is lost,
the next run just does a little more work. A manifest that is missing or unreadable is treated
as no knowledge at all: every document is rebuilt and compared with what is there.

The check is a ``stat`` per file: a file is hashed only when its size or mtime differ from the
record (touched, copied with a new date, or overwritten with bytes of the same length).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from brevefeed.files import replace_atomically

MANIFEST_NAME = "manifest.json"
#: Bump when the layout of the file changes: an older one is then read as missing.
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Record:
    job: str
    size: int
    mtime_ns: int
    digest: str


Records = dict[str, Record]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(state: Path) -> Records | None:
    """The records of the last run, or None when there are none to trust."""
    try:
        raw = json.loads((state / MANIFEST_NAME).read_bytes())
        if raw.get("version") != MANIFEST_VERSION:
            return None
        return {
            path: Record(str(job), int(size), int(mtime), str(sha))
            for path, (job, size, mtime, sha) in raw["files"].items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def save(state: Path, records: Records) -> None:
    files = {path: [r.job, r.size, r.mtime_ns, r.digest] for path, r in sorted(records.items())}
    data = json.dumps({"version": MANIFEST_VERSION, "files": files}, separators=(",", ":"))
    replace_atomically(state / MANIFEST_NAME, (data.encode("utf-8"),))


def record(path: Path, job: str, data: bytes) -> Record:
    """The record of ``path``, which has just been found or written to hold ``data``."""
    info = path.stat()
    return Record(job, info.st_size, info.st_mtime_ns, digest(data))


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
