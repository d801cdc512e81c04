"""Many small files replaced atomically for the price of two file-system syncs.

A full publish writes one page per brève: with ``write_atomic`` each costs an fsync of the
file, of its folder (each page has its own), and of the parent of that new folder — about
three quarters of the run's time on a 2-core machine. Here ``stage`` writes each temporary
(from any process: worker processes stage the pages they render, see ``publish.workers``), and
``commit`` syncs the file system once (Linux ``syncfs``; one fsync per file elsewhere, and for a
batch of a few dozen files), renames them all, and syncs once more so the renames and new
folders are durable. The guarantee is
``write_atomic``'s: a file is renamed into place only once its bytes are on disk, so a run
killed (or a power cut) at any instant leaves each file old or new; temporaries left by a
killed run are removed by the next one.

A page whose folder does not exist yet (every page of a first publish) is staged as that whole
folder (``stage_folder``), renamed into place in one piece: it costs the file system about half
what a new folder in the output, a temporary file in the state folder and a rename between the
two cost (measured on ext4), and a new folder is all or nothing just as a file is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from brevefeed.errors import PublishWriteError
from brevefeed.files import create_temporary, create_temporary_folder, fsync_file, fsync_folder
from brevefeed.publish.write import _describe


def _syncfs_function() -> ctypes._NamedFuncPointer | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:
        return None
    return getattr(libc, "syncfs", None)


_SYNCFS = _syncfs_function()
#: Batches up to this size sync file by file (see ``commit``).
FSYNC_BATCH = 64
#: A file created in a temporary folder this process has just made: nobody else can have
#: planted anything there, but no symlink is followed all the same.
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _sync_file_system(folder: Path) -> None:
    assert _SYNCFS is not None
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if _SYNCFS(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(folder))
    finally:
        os.close(fd)


def _write(fd: int, data: bytes) -> os.stat_result:
    """Write ``data`` to the new file open as ``fd``, then close it; its status. Without
    syncfs, each file is fsynced now (``commit`` has no other way to make it durable)."""
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        if _SYNCFS is None:
            os.fsync(out.fileno())
        return os.fstat(out.fileno())


def stage(path: Path, data: bytes, *, temp_folder: Path) -> tuple[Path, os.stat_result]:
    """Write ``data`` to a new temporary for ``path`` (creating ``path``'s folder), to be put in
    place by ``commit``; the temporary and its status (a rename keeps its size and mtime).
    Raise PublishWriteError, leaving no temporary behind."""
    try:
        os.makedirs(path.parent, exist_ok=True)
        tmp, fd = create_temporary(temp_folder, path.name)
    except OSError as exc:
        raise PublishWriteError(f"cannot write {path}: {_describe(exc)}") from None
    try:
        info = _write(fd, data)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink()
        raise PublishWriteError(f"cannot write {path}: {_describe(exc)}") from None
    return tmp, info


def stage_folder(
    folder: Path, name: str, data: bytes, *, temp_folder: Path
) -> tuple[Path, os.stat_result]:
    """Write ``data`` as the file ``name`` of a new temporary folder, to be renamed by ``commit``
    to ``folder`` (which must not exist then); the temporary folder and the file's status.
    Raise PublishWriteError, leaving no temporary behind."""
    path = folder / name
    try:
        os.makedirs(folder.parent, exist_ok=True)
        tmp = create_temporary_folder(temp_folder, folder.name)
    except OSError as exc:
        raise PublishWriteError(f"cannot write {path}: {_describe(exc)}") from None
    try:
        info = _write(os.open(tmp / name, _FILE_FLAGS, 0o666), data)
        if _SYNCFS is None:
            fsync_folder(tmp)
    except OSError as exc:
        discard(tmp)
        raise PublishWriteError(f"cannot write {path}: {_describe(exc)}") from None
    return tmp, info


def discard(tmp: Path) -> None:
    """Remove a temporary file, or a temporary folder and what it holds; errors are ignored
    (a killed run's leftovers are removed by the next run)."""
    if tmp.is_dir() and not tmp.is_symlink():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)


def _fsync_staged(tmp: Path) -> None:
    """A staged file, or a staged folder with its files, made durable."""
    if tmp.is_dir() and not tmp.is_symlink():
        for entry in os.scandir(tmp):
            fsync_file(Path(entry.path))
        fsync_folder(tmp)
    else:
        fsync_file(tmp)


def _folders(renamed: Sequence[tuple[Path, Path]]) -> list[Path]:
    """Each renamed file's folder and that folder's parents: a folder made for this batch is
    durable only once the entry naming it in its parent is."""
    folders = {folder for _tmp, path in renamed for folder in (path.parent, *path.parent.parents)}
    return sorted(folders, key=lambda folder: (-len(folder.parts), folder))


def commit(staged: Sequence[tuple[Path, Path]], *, temp_folder: Path) -> None:
    """Rename each staged temporary (file, or folder from ``stage_folder``) over its path, once
    every one is on disk; raise PublishWriteError (files not yet renamed are intact, no
    temporary is left behind).

    Up to ``FSYNC_BATCH`` files, each file and folder is fsynced rather than the file system:
    ``syncfs`` also waits for every other process's unwritten data on that file system, which
    made a one-brève run on a busy machine wait a second for others' writes.
    """
    pending = list(staged)
    whole = _SYNCFS is not None and len(pending) > FSYNC_BATCH
    try:
        try:
            if whole:
                _sync_file_system(temp_folder)
            elif _SYNCFS is not None:
                # Staged without an fsync (see ``stage``): one each now.
                for tmp, _path in pending:
                    _fsync_staged(tmp)
        except OSError as exc:
            raise PublishWriteError(f"cannot sync {temp_folder}: {_describe(exc)}") from None
        for index, (tmp, path) in enumerate(pending):
            try:
                os.replace(tmp, path)
            except OSError as exc:
                pending = pending[index:]
                raise PublishWriteError(f"cannot write {path}: {_describe(exc)}") from None
        renamed, pending = pending, []
        try:
            if whole:
                _sync_file_system(temp_folder)
            else:
                for folder in _folders(renamed):
                    fsync_folder(folder)
        except OSError as exc:
            raise PublishWriteError(f"cannot sync {temp_folder}: {_describe(exc)}") from None
    finally:
        for tmp, _path in pending:
            discard(tmp)


def write_batch(files: Sequence[tuple[Path, bytes]], *, temp_folder: Path) -> None:
    """Replace each path with its bytes; raise PublishWriteError (files not yet renamed are
    intact, no temporary is left behind)."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            tmp, _info = stage(path, data, temp_folder=temp_folder)
            staged.append((tmp, path))
    except PublishWriteError:
        for tmp, _path in staged:
            discard(tmp)
        raise
    commit(staged, temp_folder=temp_folder)
