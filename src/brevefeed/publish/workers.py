"""Brève pages rendered and staged beside the run, in worker processes when there are many.

A first full publish renders one page per brève: at 100,000 brèves, rendering and sanitizing
alone take about half a minute of one core, while the run's own process reads the archive and
builds the feeds. So past ``PARALLEL_PAGES`` pages, the pages go to a pool of processes (one
per core) as soon as the archive has been read for them, and are rendered *while* the feeds
are built. A worker renders a page, compares it with the file in place and, when it differs,
writes it to a temporary (``batch.stage``); the run renames every temporary into place at the
end (``batch.commit``: one file-system sync before the renames, one after). So the guarantee is
the same as for every other file — each file old or new, whatever instant the run is killed —
and what a worker hands back is a few numbers per page, never the page itself.

Workers are forked: they inherit the rendering code already imported, and only render and write
files (they never touch the archive connection they inherit, and leave through ``os._exit``
without closing it). ``spawn`` would import the caller's main module again in each worker,
which a script calling ``publish`` without a ``__main__`` guard does not survive. A process
running other threads (a progress bar on a terminal) is not forked, since a lock one of them
holds would stay locked in the child: the pages are then rendered in the run's own process, as
they are below the threshold and where ``fork`` does not exist — the same function, so every
way gives the same files.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from brevefeed.config import Config
from brevefeed.publish import manifest
from brevefeed.publish.batch import stage, stage_folder
from brevefeed.publish.pagedata import PageBreve
from brevefeed.publish.site import Site
from brevefeed.publish.write import unchanged

#: Below this many brève pages, rendering in the run's own process is cheaper than starting
#: workers (each imports brevefeed, about half a second of a core).
PARALLEL_PAGES = 3000
#: The manifest job of a brève page: ``breve:<id>``.
BREVE_JOB = "breve"
#: Chunks handed to the workers ahead of time, per worker: enough that none waits for the run.
AHEAD = 4


@dataclass(frozen=True)
class Setup:
    """What every page of a run is rendered and staged with."""

    config: Config
    base: str
    last_page: int
    out: Path
    temp_folder: Path
    force: bool
    dry_run: bool


@dataclass(frozen=True)
class Staged:
    """One brève page: its manifest record and, when it must be written, its temporary."""

    relative: str
    job: str
    written: bool
    record: manifest.Record
    #: None when nothing is to be renamed (the file holds the page already, or a dry run).
    tmp: Path | None
    #: The output-relative path ``tmp`` is renamed to: the page, or its folder when the run
    #: creates that folder (staged whole, see ``batch.stage_folder``).
    target: str


def stage_pages(site: Site, setup: Setup, pages: Sequence[PageBreve]) -> list[Staged]:
    """Render each page and stage it unless the file in place holds it already."""
    staged = []
    for page in pages:
        relative, data = site.breve(page)
        job = f"{BREVE_JOB}:{page.entry.breve_id}"
        path = setup.out / relative
        same = None if setup.force else unchanged(path, data)
        if setup.dry_run:
            record = manifest.Record(job, len(data), 0, "")
            staged.append(Staged(relative, job, same is None, record, None, relative))
        elif same is not None:
            record = manifest.record(job, data, same)
            staged.append(Staged(relative, job, False, record, None, relative))
        else:
            target = relative
            if os.path.lexists(path.parent):
                tmp, info = stage(path, data, temp_folder=setup.temp_folder)
            else:
                target = relative.rpartition("/")[0]
                tmp, info = stage_folder(
                    path.parent, path.name, data, temp_folder=setup.temp_folder
                )
            record = manifest.record(job, data, info)
            staged.append(Staged(relative, job, True, record, tmp, target))
    return staged


_WORKER: tuple[Site, Setup] | None = None


def _start_worker(setup: Setup) -> None:
    global _WORKER
    # The forked worker inherits the whole heap of the run: frozen, the garbage collector no
    # longer walks those objects again and again while pages are rendered.
    gc.freeze()
    _WORKER = (Site(setup.config, setup.base, setup.last_page), setup)


def _work(pages: Sequence[PageBreve]) -> list[Staged]:
    assert _WORKER is not None
    return stage_pages(*_WORKER, pages)


def worker_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


class PageStager:
    """Stages chunks of pages in order, in workers or in this process; ``take`` gets each
    chunk's results, in the order the chunks were given."""

    def __init__(self, setup: Setup, pages: int, take: Callable[[list[Staged]], None]) -> None:
        self.setup = setup
        self.take = take
        workers = worker_count()
        self.pool: ProcessPoolExecutor | None = None
        self.site: Site | None = None
        if pages >= PARALLEL_PAGES and workers > 1 and _can_fork():
            self.pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_worker,
                initargs=(setup,),
            )
            self.window = workers * AHEAD
        else:
            self.site = Site(setup.config, setup.base, setup.last_page)
            self.window = 1
        self.running: deque[Future[list[Staged]]] = deque()

    def room(self) -> bool:
        """Whether a chunk given now would start at once (workers are not all busy)."""
        self._collect(block=False)
        return len(self.running) < self.window

    def put(self, pages: Sequence[PageBreve]) -> None:
        if self.pool is None:
            assert self.site is not None
            self.take(stage_pages(self.site, self.setup, pages))
            return
        while len(self.running) >= self.window:
            self._collect(block=True)
        self.running.append(self.pool.submit(_work, list(pages)))

    def _collect(self, *, block: bool) -> None:
        while self.running and (block or self.running[0].done()):
            self.take(self.running.popleft().result())
            block = False

    def finish(self) -> None:
        while self.running:
            self._collect(block=True)

    def close(self) -> None:
        if self.pool is not None:
            for future in self.running:
                future.cancel()
            self.pool.shutdown(wait=True)
            # A chunk that failed may leave others' results uncollected: their temporaries
            # are in the state folder, removed by the caller.
            self.running.clear()
