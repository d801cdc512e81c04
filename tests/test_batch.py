"""Brève pages written in batches: every file replaced whole, nothing left behind on failure."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from brevefeed.files import TEMP_SUFFIX
from brevefeed.publish import batch
from brevefeed.publish.write import PublishWriteError


def _files(out: Path, count: int, text: str) -> list[tuple[Path, bytes]]:
    return [(out / f"breves/b-{i}/index.html", f"{text} {i}".encode()) for i in range(count)]


@pytest.mark.skipif(batch._SYNCFS is None, reason="syncfs is Linux's")
@pytest.mark.parametrize("count", [3, 5])
def test_a_small_batch_syncs_its_own_files_a_large_one_the_file_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    calls: list[tuple[str, Path]] = []

    def recorder(kind: str, real: Callable[[Path], None]) -> Callable[[Path], None]:
        def call(path: Path) -> None:
            calls.append((kind, path))
            real(path)

        return call

    monkeypatch.setattr(batch, "FSYNC_BATCH", 4)
    for kind, name in (("syncfs", "_sync_file_system"), ("file", "_fsync_staged")):
        monkeypatch.setattr(batch, name, recorder(kind, getattr(batch, name)))
    monkeypatch.setattr(batch, "fsync_folder", recorder("folder", batch.fsync_folder))
    out, state = tmp_path / "public", tmp_path / "state"
    state.mkdir()
    batch.write_batch(_files(out, count, "new"), temp_folder=state)
    kinds = [kind for kind, _path in calls]
    if count > 4:
        assert kinds == ["syncfs", "syncfs"]
    else:
        # Each file before the renames; after them each new folder, then the folders holding
        # the new folders' names, up to the root.
        assert kinds[:count] == ["file"] * count and "syncfs" not in kinds
        folders = [path for kind, path in calls if kind == "folder"]
        assert folders[: count + 2] == [
            *sorted(out / f"breves/b-{i}" for i in range(count)),
            out / "breves",
            out,
        ]
        assert folders[-1] == Path("/")


@pytest.mark.parametrize("syncfs", [True, False])
def test_a_batch_writes_every_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: bool
) -> None:
    if not syncfs:
        # Where syncfs is missing, each file and folder is fsynced instead.
        monkeypatch.setattr(batch, "_SYNCFS", None)
    out, state = tmp_path / "public", tmp_path / "state"
    state.mkdir()
    batch.write_batch(_files(out, 5, "old"), temp_folder=state)
    batch.write_batch(_files(out, 5, "new"), temp_folder=state)
    assert [(out / f"breves/b-{i}/index.html").read_bytes() for i in range(5)] == [
        f"new {i}".encode() for i in range(5)
    ]
    assert list(state.iterdir()) == []


def test_a_failed_rename_keeps_the_other_files_old_and_removes_temporaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, state = tmp_path / "public", tmp_path / "state"
    state.mkdir()
    batch.write_batch(_files(out, 4, "old"), temp_folder=state)
    real = os.replace
    calls = []

    def fails_on_the_third(source: str | Path, target: str | Path) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(source, target)

    monkeypatch.setattr(batch.os, "replace", fails_on_the_third)
    with pytest.raises(PublishWriteError, match=r"b-2/index\.html: no space left on device"):
        batch.write_batch(_files(out, 4, "new"), temp_folder=state)
    contents = [(out / f"breves/b-{i}/index.html").read_bytes() for i in range(4)]
    assert contents == [b"new 0", b"new 1", b"old 2", b"old 3"]
    assert not [p for p in state.iterdir() if p.name.endswith(TEMP_SUFFIX)]


def test_a_file_where_a_folder_should_be_is_one_clear_error(tmp_path: Path) -> None:
    out, state = tmp_path / "public", tmp_path / "state"
    state.mkdir()
    (out / "breves").mkdir(parents=True)
    (out / "breves/b-0").write_text("planted")
    with pytest.raises(PublishWriteError, match="cannot write"):
        batch.write_batch(_files(out, 2, "new"), temp_folder=state)
    assert list(state.iterdir()) == []


def _stage_folders(out: Path, state: Path, count: int) -> list[tuple[Path, Path]]:
    staged = []
    for i in range(count):
        folder = out / f"breves/b-{i}"
        tmp, info = batch.stage_folder(
            folder, "index.html", f"page {i}".encode(), temp_folder=state
        )
        assert info.st_size == len(f"page {i}")
        staged.append((tmp, folder))
    return staged


@pytest.mark.parametrize("syncfs", [True, False])
def test_a_new_folder_is_staged_whole_and_renamed_into_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: bool
) -> None:
    if not syncfs:
        monkeypatch.setattr(batch, "_SYNCFS", None)
    out, state = tmp_path / "public", tmp_path / "state"
    state.mkdir()
    staged = _stage_folders(out, state, 3)
    # Nothing is in the output before the commit but the folder the pages go in.
    assert list((out / "breves").iterdir()) == []
    batch.commit(staged, temp_folder=state)
    assert [(out / f"breves/b-{i}/index.html").read_bytes() for i in range(3)] == [
        b"page 0",
        b"page 1",
        b"page 2",
    ]
    assert list(state.iterdir()) == []


def test_a_failed_rename_removes_the_staged_folders_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, state = tmp_path / "public", tmp_path / "state"
    state.mkdir()
    staged = _stage_folders(out, state, 3)
    real = os.replace
    calls = []

    def fails_on_the_second(source: str | Path, target: str | Path) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(source, target)

    monkeypatch.setattr(batch.os, "replace", fails_on_the_second)
    with pytest.raises(PublishWriteError, match=r"b-1: no space left on device"):
        batch.commit(staged, temp_folder=state)
    assert sorted(p.name for p in (out / "breves").iterdir()) == ["b-0"]
    assert list(state.iterdir()) == []
