"""Files replaced atomically: one helper for publish and for the commands that write files.

The new bytes go to a temporary file created under a fresh name with ``O_EXCL | O_NOFOLLOW``,
so nothing planted where it would go (a symlink to another file, a file someone else keeps
open) is ever followed or written through. It is flushed and fsynced, then renamed over the
target (``os.replace`` is atomic within one file system): a reader, or a run killed at any
instant, sees the old file or the new one, never a cut one. The target's folder is fsynced so
the rename survives a power cut, and so is the parent of every folder created on the way (a new
folder is an entry in its parent, lost with it otherwise).
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

TEMP_SUFFIX = ".tmp"
#: Fresh names tried before giving up (each collision means something sits at a random name).
_TEMP_ATTEMPTS = 16
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _fsync(path: Path, flags: int) -> None:
    fd = os.open(path, os.O_RDONLY | flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make the entries created or renamed in ``folder`` durable; raises OSError."""
    _fsync(folder, os.O_DIRECTORY)


def fsync_file(path: Path) -> None:
    """Make the bytes written to ``path`` (never through a symlink) durable; raises OSError."""
    _fsync(path, os.O_NOFOLLOW)


def make_folders(folder: Path, mode: int = 0o777) -> None:
    """Create ``folder`` and its missing parents (``mode`` minus the umask), each one fsynced
    in its parent; raises OSError (FileExistsError when a file sits where a folder should)."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode)
        except FileExistsError:
            if not new.is_dir():
                raise
            # Created meanwhile by another process: its creator syncs it.
            continue
        fsync_folder(new.parent)


def create_temporary(folder: Path, name: str) -> tuple[Path, int]:
    """A new, empty file in ``folder`` named after ``name``, and its descriptor open for writing.

    Read/write for everyone minus the umask, as a plain ``open`` would make it: the file is
    renamed to its final name and must be readable there (by the web server for a feed).
    """
    for _ in range(_TEMP_ATTEMPTS):
        tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
        try:
            return tmp, os.open(tmp, _TEMP_FLAGS, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def create_temporary_folder(folder: Path, name: str) -> Path:
    """A new, empty folder in ``folder`` named after ``name``, as ``create_temporary`` names
    files (``mkdir`` never follows a symlink planted at the name)."""
    for _ in range(_TEMP_ATTEMPTS):
        tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
        try:
            os.mkdir(tmp)
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary folder name", str(folder))


def replace_atomically(
    path: Path,
    chunks: Iterable[bytes],
    *,
    temp_folder: Path | None = None,
    sync_folder: bool = True,
) -> None:
    """Replace ``path`` with the bytes of ``chunks``; on any error the old file is intact, no
    temporary is left behind, and the error (OSError, or whatever ``chunks`` raised) propagates.

    ``temp_folder`` (default: ``path``'s folder) must be on the same file system as ``path``.
    ``sync_folder=False`` leaves the fsync of ``path``'s folder to the caller, who may batch
    one per folder for many files.
    """
    tmp, fd = create_temporary(temp_folder or path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_folder(path.parent)
