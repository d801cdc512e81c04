"""Brève pages rendered in worker processes give the very files the run's own process gives,
and a worker that fails leaves the old files and no temporary behind (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from brevefeed.archive import Archive
from brevefeed.config import Config
from brevefeed.errors import PublishWriteError
from brevefeed.files import TEMP_SUFFIX
from brevefeed.publish import publish, workers
from brevefeed.publish.write import state_folder
from test_publish_history import history
from test_publish_history import make_config as history_config
from test_publish_run import BREVES, NOW, load, make_config


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


class CountingPool(workers.ProcessPoolExecutor):
    started = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        CountingPool.started += 1
        super().__init__(*args, **kwargs)


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers for every run, however few its pages, on a machine of two cores at least."""
    monkeypatch.setattr(workers, "PARALLEL_PAGES", 1)
    monkeypatch.setattr(workers, "worker_count", lambda: 2)
    monkeypatch.setattr(workers, "ProcessPoolExecutor", CountingPool)
    CountingPool.started = 0


def test_workers_and_one_process_give_the_same_files(
    archive: Archive, tmp_path: Path, parallel: None
) -> None:
    load(archive, BREVES)
    config = make_config(tmp_path, output="parallel")
    report = publish(archive, config, now=NOW)
    assert CountingPool.started == 1
    with pytest.MonkeyPatch.context() as serial:
        serial.setattr(workers, "PARALLEL_PAGES", 10**9)
        alone = publish(archive, make_config(tmp_path, output="serial"), now=NOW)
    assert CountingPool.started == 1
    both = tree(tmp_path / "parallel")
    assert any(name.startswith("breves/") for name in both)
    assert both == tree(tmp_path / "serial")
    assert sorted(report.written) == sorted(alone.written)
    # What the workers recorded is what is on disk: the next run finds every file intact.
    again = publish(archive, config, now=NOW)
    assert again.written == [] and again.unchanged == len(both)


def test_a_history_published_by_workers_matches_one_rebuilt_in_one_process(
    archive: Archive, tmp_path: Path, parallel: None
) -> None:
    config = history_config(tmp_path)
    now = NOW
    for step in history():
        step(archive, now)
        publish(archive, config, now=now)
    with pytest.MonkeyPatch.context() as serial:
        serial.setattr(workers, "PARALLEL_PAGES", 10**9)
        publish(archive, history_config(tmp_path, "fresh"), now=now)
    assert tree(tmp_path / "public") == tree(tmp_path / "fresh")


def test_a_page_that_cannot_be_written_leaves_no_temporary(
    archive: Archive, tmp_path: Path, parallel: None
) -> None:
    load(archive, BREVES)
    config: Config = make_config(tmp_path)
    out = tmp_path / "public"
    # A file where a brève's folder must go: that page cannot be written.
    (out / "breves").mkdir(parents=True)
    (out / "breves" / "cantines-la-commune-passe-au-bio-a-60").write_text("planted")
    with pytest.raises(PublishWriteError, match="cannot write"):
        publish(archive, config, now=NOW)
    state = state_folder(out)
    assert not [p for p in os.listdir(state) if p.endswith(TEMP_SUFFIX)]
    # Nothing staged was renamed into place: the pages come in together at the end.
    assert list((out / "breves").glob("*/index.html")) == []
