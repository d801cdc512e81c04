"""Files on disk: atomic replacement, and the lock that keeps two runs apart.

Each document is replaced atomically (``brevefeed.files``): killed at any instant, a run leaves
each file either its old or its new version. A file whose bytes would not change is not touched
at all, so its mtime — hence the web server's ETag and Last-Modified — stays the same.

The lock file and the temporaries (in ``staging/``) live in a state folder *beside* the output
folder, ``.brevefeed/<output name>/``: nothing in the served folder but the documents
themselves, and the temporaries stay on the output's file system, which the atomic rename
needs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from brevefeed.errors import LockedError, PublishWriteError
from brevefeed.files import fsync_folder, make_folders, replace_atomically

STATE_FOLDER = ".brevefeed"
LOCK_NAME = "publish.lock"
STAGING_NAME = "staging"
#: How often a waiting run retries the lock.
LOCK_POLL_SECONDS = 0.1


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    return exc.strerror or str(exc)


def state_folder(out: Path) -> Path:
    """Where the runs publishing into ``out`` keep their lock and temporaries."""
    return out.parent / STATE_FOLDER / out.name


def sync_folder(folder: Path) -> None:
    """Make the renames done in ``folder`` durable (not needed for old-or-new, only for a
    power cut not to bring back the old version)."""
    try:
        fsync_folder(folder)
    except OSError as exc:
        raise PublishWriteError(f"cannot sync folder {folder}: {_describe(exc)}") from None


def unchanged(path: Path, data: bytes) -> os.stat_result | None:
    """The status of ``path`` when it already holds exactly ``data`` (so nothing is written),
    else None."""
    try:
        info = os.stat(path)
        if info.st_size != len(data):
            return None
        with open(path, "rb") as handle:
            return info if handle.read() == data else None
    except OSError:
        return None


def write_atomic(path: Path, data: bytes, *, temp_folder: Path, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically; raise PublishWriteError (old file intact).

    ``sync=False`` leaves the folder's fsync to the caller, who may batch one per folder for
    many files.
    """
    try:
        make_folders(path.parent)
        replace_atomically(path, (data,), temp_folder=temp_folder, sync_folder=sync)
    except OSError as exc:
        raise PublishWriteError(f"cannot write {path}: {_describe(exc)}") from None


def remove_file(path: Path) -> None:
    """Delete a document that must no longer be served; raise PublishWriteError."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise PublishWriteError(f"cannot remove {path}: {_describe(exc)}") from None


def staging_folder(state: Path) -> Path:
    """Where a run stages its temporaries: a folder of its own, removed once they are in place.

    Not the state folder itself: a first publish stages one file per page, and a directory
    that once held 100,000 entries never shrinks on ext4 — listing it for leftovers took half a
    second on every later run.
    """
    return state / STAGING_NAME


def remove_stale_temporaries(state: Path) -> int:
    """Delete the temporaries a killed run left (call only while holding the lock: then no run
    is writing one), and their folder."""
    staging = staging_folder(state)
    try:
        entries = list(os.scandir(staging))
    except FileNotFoundError:
        return 0
    for entry in entries:
        # A staged page folder (``batch.stage_folder``) holds its page.
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    staging.rmdir()
    return len(entries)


def _open_lock(out: Path) -> tuple[Path, int]:
    try:
        make_folders(out)
    except OSError as exc:
        raise PublishWriteError(f"cannot use output folder {out}: {_describe(exc)}") from None
    state = state_folder(out)
    try:
        # Only brevefeed reads it: the documents get their own mode when renamed out of it.
        make_folders(state, 0o700)
        fd = os.open(
            state / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
    except OSError as exc:
        raise PublishWriteError(f"cannot use state folder {state}: {_describe(exc)}") from None
    if os.fstat(fd).st_dev != out.stat().st_dev:
        os.close(fd)
        raise PublishWriteError(
            f"state folder {state} is not on the file system of output folder {out}"
            " (files are renamed from one to the other): make the output a plain folder"
        )
    return state, fd


@contextmanager
def exclusive(out: Path, wait: float) -> Iterator[Path]:
    """Hold the publish lock of output folder ``out`` for the block, waiting up to ``wait`` s;
    yields the state folder, where temporaries go.

    ``flock`` is released by the kernel when the process dies, so a run killed with -9 never
    leaves a stale lock behind.
    """
    state, fd = _open_lock(out)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"another publish holds {state / LOCK_NAME}"
                        + (f" (waited {wait:g} s)" if wait else " (use --wait SECONDS to wait)")
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)
        yield state
    finally:
        os.close(fd)
