"""The publish manifest: which records a run checks, and what survives a damaged state file."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from brevefeed.publish.manifest import MANIFEST_NAME, Records, check, open_manifest, record

FRONT = {"feed.xml": "feeds:", "tags/velo/atom.xml": "feeds:tags/velo", "index.html": "feeds:"}
CLOSED = {f"breves/b-{i:02}/index.html": f"breve:{i}" for i in range(10)} | {
    f"archives/atom-{i}.xml": f"page:{i}" for i in range(1, 5)
}


def write_output(out: Path) -> Records:
    records = {}
    for relative, job in {**FRONT, **CLOSED}.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = f"<{relative}/>".encode()
        path.write_bytes(data)
        records[relative] = record(job, data, path.stat())
    return records


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "public"


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    folder.mkdir()
    return folder


def saved(out: Path, state: Path) -> Records:
    records = write_output(out)
    with open_manifest(state) as book:
        assert not book.known
        assert book.save(out, records, (), everything=True) == len(records)
    return records


def test_every_run_checks_the_front_and_a_turning_share_of_the_rest(out: Path, state: Path) -> None:
    saved(out, state)
    seen: list[set[str]] = []
    for _ in range(5):
        with open_manifest(state) as book:
            assert book.known
            due = book.due(out, 3)
            book.save(out, {}, (), everything=False)
        assert set(FRONT) <= set(due)
        seen.append(set(due) - set(FRONT))
    assert [len(share) for share in seen] == [3, 3, 3, 3, 3]
    # 14 closed files, 3 a run: the first five runs cover all of them, then start again.
    assert set().union(*seen) == set(CLOSED)
    assert seen[0] & seen[4] and not seen[0] & seen[1]


def test_a_share_larger_than_the_output_checks_everything_each_run(out: Path, state: Path) -> None:
    records = saved(out, state)
    for _ in range(2):
        with open_manifest(state) as book:
            assert book.due(out, 1_000) == records
            book.save(out, {}, (), everything=False)


def test_a_page_overwritten_in_place_is_found_when_its_turn_comes(out: Path, state: Path) -> None:
    saved(out, state)
    page = out / "breves/b-07/index.html"
    page.write_bytes(page.read_bytes().upper())  # same size, new mtime, same folders
    found = []
    for run in range(1, 6):
        with open_manifest(state) as book:
            broken, _ = check(out, book.due(out, 3))
            book.save(out, {}, (), everything=False)
        if broken:
            found.append((run, broken))
    assert found == [(4, {"breves/b-07/index.html"})]  # the 12th of 14 closed files, 3 a run
    with open_manifest(state) as book:
        assert check(out, book.due(out, None))[0] == {"breves/b-07/index.html"}


def test_a_folder_removed_by_hand_is_checked_whole_on_the_next_run(out: Path, state: Path) -> None:
    saved(out, state)
    shutil.rmtree(out / "breves/b-08")
    (out / "archives/atom-2.xml").unlink()
    with open_manifest(state) as book:
        broken, retimed = check(out, book.due(out, 0))
    assert broken == {"breves/b-08/index.html", "archives/atom-2.xml"} and not retimed


def test_folders_changed_by_the_run_itself_are_not_checked_again(out: Path, state: Path) -> None:
    records = saved(out, state)
    page = out / "breves/b-10/index.html"
    page.parent.mkdir()
    page.write_bytes(b"<new/>")
    with open_manifest(state) as book:
        book.due(out, 0)
        new = {"breves/b-10/index.html": record("breve:10", b"<new/>", page.stat())}
        assert book.save(out, new, (), everything=False) == len(records) + 1
    with open_manifest(state) as book:
        assert set(book.due(out, 0)) == set(FRONT)


def test_touched_but_intact_files_are_hashed_and_retimed(out: Path, state: Path) -> None:
    records = saved(out, state)
    feed = out / "feed.xml"
    os.utime(feed, ns=(1, 1))
    broken, retimed = check(out, records)
    assert not broken and retimed["feed.xml"].mtime_ns == 1
    assert retimed["feed.xml"].digest == records["feed.xml"].digest


def test_a_dry_run_counts_without_recording(out: Path, state: Path) -> None:
    records = saved(out, state)
    with open_manifest(state) as book:
        book.due(out, 2)
        total = book.save(out, {}, ["feed.xml", "index.html"], everything=False, keep=False)
        assert total == len(records) - 2
    with open_manifest(state) as book:
        assert book.total() == len(records)
        # The dry run's share was not recorded as done: the same files are due.
        assert set(book.due(out, 2)) - set(FRONT) == set(sorted(CLOSED)[:2])


@pytest.mark.parametrize("damage", [b"", b"not a database at all" * 100, b"SQLite format 3\0junk"])
def test_a_damaged_manifest_is_no_knowledge(out: Path, state: Path, damage: bytes) -> None:
    saved(out, state)
    (state / MANIFEST_NAME).write_bytes(damage)
    with open_manifest(state) as book:
        assert not book.known and book.total() == 0


def test_a_manifest_of_another_version_is_no_knowledge(out: Path, state: Path) -> None:
    saved(out, state)
    with sqlite3.connect(state / MANIFEST_NAME) as db:
        db.execute("PRAGMA user_version = 1")
    with open_manifest(state) as book:
        assert not book.known


def test_the_whole_file_manifest_of_earlier_versions_is_removed(state: Path) -> None:
    (state / "manifest.json").write_text('{"version": 1, "files": {}}')
    with open_manifest(state) as book:
        assert not book.known
    assert sorted(p.name for p in state.iterdir()) == [MANIFEST_NAME]


def test_the_count_follows_additions_replacements_and_removals(out: Path, state: Path) -> None:
    records = saved(out, state)
    page = out / "breves/b-10/index.html"
    page.parent.mkdir()
    page.write_bytes(b"<new/>")
    changed = {
        "breves/b-10/index.html": record("breve:10", b"<new/>", page.stat()),
        "feed.xml": records["feed.xml"],
    }
    with open_manifest(state) as book:
        total = book.save(out, changed, ["index.html", "archives/atom-1.xml"], everything=False)
        assert total == len(records) + 1 - 2
    with open_manifest(state) as book:
        assert book.total() == total == len(book.due(out, None))
        assert book.save(out, {}, [], everything=True) == 0
