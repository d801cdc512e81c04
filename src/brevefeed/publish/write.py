"""Files on disk: atomic replacement, and the lock that keeps two runs apart.

A document is written to a temporary file in its own folder, flushed and fsynced, then renamed
over the old one (``os.replace`` is atomic on POSIX within one file system), and the folder is
fsynced so the rename itself survives a power cut. Killed at any instant, a run leaves each file
either its old or its new version. A file whose bytes would not change is not touched at all,
so its mtime — hence the web server's ETag and Last-Modified — stays the same.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from brevefeed.errors import BrevefeedError, ExitCode, LockedError

LOCK_NAME = ".brevefeed-publish.lock"
#: How often a waiting run retries the lock.
LOCK_POLL_SECONDS = 0.1


class PublishWriteError(BrevefeedError):
    """A document could not be written; the file it would have replaced is intact."""

    exit_code = ExitCode.PARTIAL


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return exc.strerror or str(exc)


def fsync_folder(folder: Path) -> None:
    """Make the renames done in ``folder`` durable (not needed for old-or-new, only for a
    power cut not to bring back the old version)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise PublishWriteError(f"cannot sync folder {folder}: {_describe(exc)}") from None


def unchanged(path: Path, data: bytes) -> bool:
    """True when ``path`` already holds exactly ``data`` (so nothing is written)."""
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def write_atomic(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically; raise PublishWriteError (old file intact).

    ``sync_folder=False`` leaves the folder's fsync to the caller, who may batch one per
    folder for many files.
    """
    # A fixed name is safe under the lock, and a run killed mid-write leaves at most one
    # stale temporary per document, overwritten by the next write of that document.
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise PublishWriteError(f"cannot write {path}: {_describe(exc)}") from None
    if sync_folder:
        fsync_folder(path.parent)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files a killed run left behind (call only while holding the lock).

    It walks the whole output tree, so runs call it only when they rebuild everything anyway.
    """
    removed = 0
    for tmp in folder.rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


@contextmanager
def exclusive(folder: Path, wait: float) -> Iterator[None]:
    """Hold ``folder/.brevefeed-publish.lock`` (flock) for the block; wait up to ``wait`` s.

    ``flock`` is released by the kernel when the process dies, so a run killed with -9 never
    leaves a stale lock behind.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PublishWriteError(f"cannot use output folder {folder}: {_describe(exc)}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"another publish holds {folder / LOCK_NAME}"
                        + (f" (waited {wait:g} s)" if wait else " (use --wait SECONDS to wait)")
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(fd)
