"""Atomic writes and the lock; a publish killed with -9 at random moments leaves every file
either its old or its new version."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from brevefeed.archive import open_archive
from brevefeed.archive.models import Breve
from brevefeed.config import Config, PublishConfig, SiteConfig
from brevefeed.errors import ExitCode, LockedError
from brevefeed.publish import publish
from brevefeed.publish import write as write_module
from brevefeed.publish.write import (
    LOCK_NAME,
    PublishWriteError,
    exclusive,
    remove_stale_temporaries,
    unchanged,
    write_atomic,
)


def test_write_atomic_replaces_and_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "tags" / "sante" / "atom.xml"
    write_atomic(target, b"<feed/>")
    assert target.read_bytes() == b"<feed/>"
    write_atomic(target, "<feed>é</feed>".encode())
    assert target.read_text(encoding="utf-8") == "<feed>é</feed>"
    assert [p.name for p in target.parent.iterdir()] == ["atom.xml"]


def test_unchanged_compares_bytes(tmp_path: Path) -> None:
    target = tmp_path / "feed.json"
    assert not unchanged(target, b"{}")
    target.write_bytes(b"{}")
    assert unchanged(target, b"{}")
    assert not unchanged(target, b"[]") and not unchanged(target, b"{} ")


def test_full_disk_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "atom.xml"
    target.write_bytes(b"old")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write_module.os, "fsync", no_space)
    with pytest.raises(PublishWriteError, match="no space left on device") as caught:
        write_atomic(target, b"new")
    assert caught.value.exit_code == ExitCode.PARTIAL
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atom.xml"]


def test_unwritable_folder_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "public"
    blocker.write_text("a file where the output folder should be")
    with pytest.raises(PublishWriteError) as caught:
        write_atomic(blocker / "atom.xml", b"x")
    assert "cannot write" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(PublishWriteError, match="cannot use output folder"), exclusive(blocker, 0):
        pass


def test_lock_excludes_then_releases(tmp_path: Path) -> None:
    with exclusive(tmp_path, 0):
        assert (tmp_path / LOCK_NAME).exists()
        with pytest.raises(LockedError, match="--wait"), exclusive(tmp_path, 0):
            pass
        with pytest.raises(LockedError, match=r"waited 0\.2 s"), exclusive(tmp_path, 0.2):
            pass
    with exclusive(tmp_path, 0):
        pass


def test_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path;"
        "from brevefeed.publish.write import exclusive\n"
        "with exclusive(Path(sys.argv[1]), 0):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError), exclusive(tmp_path, 0):
            pass
    finally:
        child.kill()
        child.wait()
    with exclusive(tmp_path, 0):
        pass


def test_stale_temporaries_are_removed(tmp_path: Path) -> None:
    (tmp_path / "tags").mkdir()
    (tmp_path / "tags" / ".atom.xml.123.tmp").write_text("<fe")
    (tmp_path / "atom.xml").write_text("<feed/>")
    assert remove_stale_temporaries(tmp_path) == 1
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["atom.xml"]


def _publish(url: str, folder: Path, title: str) -> None:
    """The child: publish with the site title given (alternating two titles makes every
    document change on every run, so a kill can land in the middle of any file)."""
    config = Config(
        site=SiteConfig(title=title, link="https://journal.example.org/"),
        publish=PublishConfig(
            base_url="https://journal.example.org/flux/", archive_page_size=10, items=20
        ),
        path=folder / "config.toml",
    )
    archive = open_archive(url)
    publish(archive, config, now=datetime(2024, 6, 1, tzinfo=UTC), wait=30)
    archive.close()


def _fill(url: str, count: int) -> None:
    archive = open_archive(url)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    try:
        with archive.session() as session:
            for i in range(count):
                when = start + timedelta(hours=7 * i)
                slug = f"breve-{i}"
                breve = Breve(
                    uid=f"tag:journal.example.org,2024:breves/{slug}",
                    slug=slug,
                    title=f"Brève n° {i} : le conseil vote l’aménagement",
                    section=("Société", "Sports", "Urbanisme")[i % 3],
                    standfirst="Le vote a eu lieu à l’unanimité.",
                    body="x",
                    body_html="<p>Délibération <a href='/conseil'>en ligne</a>.</p>" * 5,
                    authors=["Sophie Lambert"],
                    sources=[],
                    language="fr",
                    status="published",
                    published_at=when,
                    updated_at=when,
                )
                session.add(breve)
    finally:
        archive.close()


def _run_child(url: str, folder: Path, title: str) -> multiprocessing.process.BaseProcess:
    # Forked, not spawned: the child starts publishing at once, without re-importing.
    child = multiprocessing.get_context("fork").Process(target=_publish, args=(url, folder, title))
    child.start()
    return child


def _versions(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def _parse(name: str, data: bytes) -> None:
    if name.endswith(".json"):
        json.loads(data)
    else:
        etree.fromstring(data)


def test_kill_9_leaves_old_or_new_files_never_broken(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    out = tmp_path / "public"
    _fill(url, 300)
    titles = ("Le Journal", "La Gazette")
    known: dict[str, dict[bytes, str]] = {}
    # Both complete versions of every file, from uninterrupted runs.
    durations = []
    for title in titles:
        started = time.monotonic()
        child = _run_child(url, tmp_path, title)
        child.join(timeout=120)
        durations.append(time.monotonic() - started)
        assert child.exitcode == 0
        for name, data in _versions(out).items():
            known.setdefault(name, {})[data] = title
    assert all(len(v) == 2 for v in known.values()) and len(known) > 60
    rng = random.Random(5005)
    kills = mixed = 0
    for attempt in range(16):
        child = _run_child(url, tmp_path, titles[attempt % 2])
        # Kill moments spread over a run's length, as measured above on this machine.
        time.sleep(rng.uniform(0.0, 0.8 * min(durations)))
        if child.is_alive() and child.pid is not None:
            os.kill(child.pid, signal.SIGKILL)
            kills += 1
        child.join()
        seen = set()
        for name, data in _versions(out).items():
            _parse(name, data)
            assert data in known[name], f"{name} is neither its old nor its new version"
            seen.add(known[name][data])
        assert set(_versions(out)) == set(known)
        mixed += len(seen) > 1
    assert kills >= 8
    # Some kills did land in the middle of a run (old and new files side by side).
    assert mixed >= 1
