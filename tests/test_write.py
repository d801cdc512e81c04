"""Atomic writes and the lock; a publish killed with -9 at any moment leaves every file
either its old or its new version."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from brevefeed import files as files_module
from brevefeed.archive import open_archive
from brevefeed.archive.models import Breve
from brevefeed.config import Config, PublishConfig, SiteConfig
from brevefeed.errors import ExitCode, LockedError, PublishWriteError
from brevefeed.publish import publish
from brevefeed.publish import write as write_module
from brevefeed.publish.write import (
    LOCK_NAME,
    exclusive,
    remove_stale_temporaries,
    staging_folder,
    state_folder,
    unchanged,
    write_atomic,
)


@pytest.fixture
def temps(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    folder.mkdir()
    return folder


def test_write_atomic_replaces_and_creates_folders(tmp_path: Path, temps: Path) -> None:
    target = tmp_path / "tags" / "sante" / "atom.xml"
    write_atomic(target, b"<feed/>", temp_folder=temps)
    assert target.read_bytes() == b"<feed/>"
    write_atomic(target, "<feed>é</feed>".encode(), temp_folder=temps)
    assert target.read_text(encoding="utf-8") == "<feed>é</feed>"
    assert [p.name for p in target.parent.iterdir()] == ["atom.xml"]
    assert list(temps.iterdir()) == []


def test_new_folders_are_synced_in_their_parent(
    tmp_path: Path, temps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(files_module, "fsync_folder", synced.append)
    write_atomic(tmp_path / "tags" / "sante" / "atom.xml", b"<feed/>", temp_folder=temps)
    # Each new folder is an entry of its parent; the last one holds the renamed file.
    assert synced == [tmp_path, tmp_path / "tags", tmp_path / "tags" / "sante"]


def test_a_symlink_planted_at_a_temporary_name_is_not_followed(
    tmp_path: Path, temps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    names = iter(["planted", "fresh"])
    monkeypatch.setattr(files_module.secrets, "token_hex", lambda _n: next(names))
    planted = temps / f".atom.xml.{os.getpid()}.planted.tmp"
    planted.symlink_to(victim)
    target = tmp_path / "public" / "atom.xml"
    write_atomic(target, b"<feed/>", temp_folder=temps)
    assert target.read_bytes() == b"<feed/>" and not target.is_symlink()
    assert victim.read_text() == "precious"
    assert planted.is_symlink() and sorted(p.name for p in temps.iterdir()) == [planted.name]


def test_unchanged_compares_bytes(tmp_path: Path) -> None:
    target = tmp_path / "feed.json"
    assert not unchanged(target, b"{}")
    target.write_bytes(b"{}")
    assert unchanged(target, b"{}")
    assert not unchanged(target, b"[]") and not unchanged(target, b"{} ")


def test_full_disk_keeps_the_old_file(
    tmp_path: Path, temps: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "atom.xml"
    target.write_bytes(b"old")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write_module.os, "fsync", no_space)
    with pytest.raises(PublishWriteError, match="no space left on device") as caught:
        write_atomic(target, b"new", temp_folder=temps)
    assert caught.value.exit_code == ExitCode.PARTIAL
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atom.xml", "state"]
    assert list(temps.iterdir()) == []


def test_unwritable_folder_is_one_clear_line(tmp_path: Path, temps: Path) -> None:
    blocker = tmp_path / "public"
    blocker.write_text("a file where the output folder should be")
    with pytest.raises(PublishWriteError) as caught:
        write_atomic(blocker / "atom.xml", b"x", temp_folder=temps)
    assert "cannot write" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(PublishWriteError, match="cannot use output folder"), exclusive(blocker, 0):
        pass


def test_lock_excludes_then_releases(tmp_path: Path) -> None:
    out = tmp_path / "public"
    with exclusive(out, 0) as state:
        assert state == tmp_path / ".brevefeed" / "public" == state_folder(out)
        assert (state / LOCK_NAME).exists() and list(out.iterdir()) == []
        assert os.stat(state).st_mode & 0o777 == 0o700
        with pytest.raises(LockedError, match="--wait"), exclusive(out, 0):
            pass
        with pytest.raises(LockedError, match=r"waited 0\.2 s"), exclusive(out, 0.2):
            pass
    with exclusive(out, 0):
        pass


def test_a_state_folder_on_another_file_system_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fstat = os.fstat

    def elsewhere(fd: int) -> os.stat_result:
        found = real_fstat(fd)
        return os.stat_result((*found[:2], found.st_dev + 1, *found[3:]))

    monkeypatch.setattr(write_module.os, "fstat", elsewhere)
    with (
        pytest.raises(PublishWriteError, match="not on the file system") as caught,
        exclusive(tmp_path / "public", 0),
    ):
        pass
    assert "\n" not in str(caught.value)


def test_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    code = (
        "import sys, time; from pathlib import Path;"
        "from brevefeed.publish.write import exclusive\n"
        "with exclusive(Path(sys.argv[1]), 0):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    out = tmp_path / "public"
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError), exclusive(out, 0):
            pass
    finally:
        child.kill()
        child.wait()
    with exclusive(out, 0):
        pass


def test_stale_temporaries_are_removed_with_their_folder(temps: Path) -> None:
    assert remove_stale_temporaries(temps) == 0
    staging = staging_folder(temps)
    staging.mkdir()
    (staging / ".atom.xml.123.abcdef.tmp").write_text("<fe")
    # A brève page's folder staged whole.
    (staging / ".b-1.123.abcdef.tmp").mkdir()
    (staging / ".b-1.123.abcdef.tmp" / "index.html").write_text("<!DOC")
    (temps / LOCK_NAME).write_text("")
    assert remove_stale_temporaries(temps) == 2
    assert [p.name for p in temps.iterdir()] == [LOCK_NAME]


def _publish(url: str, folder: Path, title: str, stop: tuple[str, int, int] | None) -> None:
    """The child: publish with the site title given (alternating two titles makes every
    document change on every run, so a kill can land in the middle of any file)."""
    if stop is not None:
        _stop_at(*stop)
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


def _stop_at(name: str, nth: int, signal_fd: int) -> None:
    """In the child: freeze the run just before its ``nth`` call of ``os.<name>`` (``fstat``:
    a temporary being staged, not yet durable; ``replace``: durable but not renamed), tell the
    parent through ``signal_fd`` and wait there for its kill -9. Where the run stands is then
    known, not guessed from a sleep."""
    real = getattr(os, name)
    calls = 0

    def frozen(*args: object) -> object:
        nonlocal calls
        calls += 1
        if calls == nth:
            os.write(signal_fd, b"!")
            signal.pause()
        return real(*args)

    setattr(os, name, frozen)


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


def _run_child(
    url: str, folder: Path, title: str, stop: tuple[str, int, int] | None = None
) -> multiprocessing.process.BaseProcess:
    # Forked, not spawned: the child starts publishing at once, without re-importing.
    child = multiprocessing.get_context("fork").Process(
        target=_publish, args=(url, folder, title, stop)
    )
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
    elif name.endswith(".html"):
        assert data.rstrip().endswith(b"</html>"), name
    elif name.endswith(".css"):
        assert data.decode("utf-8")
    else:
        etree.fromstring(data)


def test_kill_9_leaves_old_or_new_files_never_broken(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    out = tmp_path / "public"
    _fill(url, 300)
    titles = ("Le Journal", "La Gazette")
    known: dict[str, dict[bytes, str]] = {}
    # Both complete versions of every file, from uninterrupted runs.
    for title in titles:
        child = _run_child(url, tmp_path, title)
        child.join(timeout=120)
        assert child.exitcode == 0
        for name, data in _versions(out).items():
            known.setdefault(name, {})[data] = title
    # The stylesheet and the sitemaps do not name the site: one version of each.
    same = {n for n in known if n.endswith(".css") or n.startswith(("sitemap", "sitemaps/"))}
    assert all(len(v) == 2 for n, v in known.items() if n not in same) and len(known) > 60
    mixed = 0
    for attempt in range(16):
        # Back to the last complete run's files (killed runs record nothing, so that run
        # stays the mark): each run rewrites all of them, and reaches its stop.
        for name, versions in known.items():
            (out / name).write_bytes(next(d for d, t in versions.items() if t == titles[1]))
        read_end, write_end = os.pipe()
        stop = ("fstat" if attempt % 2 else "replace", 1 + attempt * 2, write_end)
        child = _run_child(url, tmp_path, titles[0], stop)
        os.close(write_end)
        try:
            assert os.read(read_end, 1) == b"!", "the run ended before its stop"
        finally:
            os.close(read_end)
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
            child.join()
        assert child.exitcode == -signal.SIGKILL
        seen = set()
        for name, data in _versions(out).items():
            _parse(name, data)
            assert data in known[name], f"{name} is neither its old nor its new version"
            if name not in same:
                seen.add(known[name][data])
        assert set(_versions(out)) == set(known)
        mixed += len(seen) > 1
    # Files are staged, then all renamed at the end: a stop while staging leaves every file
    # old; every stop among the renames but the first (before any) leaves old and new side by
    # side.
    assert mixed == 7
