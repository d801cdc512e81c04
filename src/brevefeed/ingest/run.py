"""One `brevefeed ingest` run: claim due sources, fetch them concurrently, parse off the event
loop, store the sources that finished together in one transaction.

Three kinds of work overlap: the event loop only fetches (bounded by ``concurrency`` and
``per_host``); a process pool parses (feedparser is CPU-bound and would stall fetching); one
thread writes to the archive (SQLite has one writer anyway). A source's items and fetch state
commit together, so a run killed at any point loses nothing already committed and a rerun adds
no duplicates. Sources finishing while the archive thread is busy are written by its next
transaction, all of them: a transaction's fixed costs (the search index rewrite, the commit)
are then paid once for many sources, and a cold run is not bound by them. Should the archive
refuse one source's outcome, each is written again alone, so only that one fails.

The archive work stays on one thread rather than in the loop or in the parser processes: it
is short, it needs the GIL either way, and one writer never contends with itself for
SQLite's lock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from brevefeed import __version__
from brevefeed.archive import Archive
from brevefeed.config import Config, IngestConfig
from brevefeed.ingest import claim as claims
from brevefeed.ingest.discover import discover_feeds
from brevefeed.ingest.fetch import FetchResult, FetchSettings, fetch, make_client
from brevefeed.ingest.filters import KeywordFilter, source_filter
from brevefeed.ingest.parse import ParsedFeed, looks_like_html
from brevefeed.ingest.parsers import Parsers, failure, one_line
from brevefeed.ingest.schedule import Decision, Outcome, SourceState, decide
from brevefeed.ingest.sources import find_source, follow_feed, sync_config
from brevefeed.ingest.store import StoreCounts, record_fetch, store_entries

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

Progress = Callable[[int, int], None]


@dataclass
class RunSummary:
    fetched: int = 0
    not_modified: int = 0
    new_items: int = 0
    updated_items: int = 0
    filtered: int = 0
    errors: int = 0
    #: "url: error" for each failing source, for the person reading the summary.
    failures: list[str] = field(default_factory=list)
    #: Busy seconds per stage ("fetch", "parse", "store"), each summed over its concurrent
    #: work (fetches overlap each other and the parsing), so the slow stage shows.
    seconds: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def spent(self, stage: str, since: float) -> None:
        """Add the time since ``since`` (``time.perf_counter()``) to ``stage`` (any thread)."""
        elapsed = time.perf_counter() - since
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed

    @property
    def sources(self) -> int:
        return self.fetched + self.not_modified + self.errors

    def __str__(self) -> str:
        return (
            f"{self.fetched} sources fetched, {self.not_modified} not modified,"
            f" {self.new_items} new items, {self.updated_items} updated items,"
            f" {self.errors} errors"
        )


def fetch_settings(config: Config) -> FetchSettings:
    ingest = config.ingest
    agent = ingest.user_agent or f"brevefeed/{__version__} (+{config.site.link})"
    return FetchSettings(
        timeout=ingest.timeout,
        connect_timeout=ingest.connect_timeout,
        max_bytes=ingest.max_bytes,
        max_redirects=ingest.max_redirects,
        allow_private=ingest.allow_private,
        user_agent=agent,
    )


def keyword_filter(
    ingest: IngestConfig, keywords: Sequence[str], exclude: Sequence[str]
) -> KeywordFilter:
    """A source's filter: its own keywords and exclusions with [ingest]'s."""
    return source_filter(ingest.keywords, ingest.exclude, keywords, exclude, ingest.keep)


def worker_id() -> str:
    """Names this run in leases: host, process, and a nonce (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _outcome(result: FetchResult, parsed: ParsedFeed | None) -> Outcome:
    error = result.error or (parsed.error if parsed else None)
    error = one_line(error) if error else None
    return Outcome(
        status=result.status,
        error=error,
        permanent_target=result.permanent_target,
        retry_after=result.retry_after,
        ttl_minutes=parsed.ttl_minutes if parsed else None,
        skip_hours=parsed.skip_hours if parsed else frozenset(),
    )


@dataclass(frozen=True)
class _Finish:
    counts: StoreCounts
    #: What the source's state became, as committed.
    decision: Decision
    #: A 304, or a 200 with the very bytes parsed last time.
    not_modified: bool = False

    @property
    def success(self) -> bool:
        return self.decision.success


@dataclass(frozen=True)
class _Fetched:
    """One source's fetch, ready to write: what came back and what parsing said (if it ran)."""

    job: claims.Job
    result: FetchResult
    parsed: ParsedFeed | None
    #: The hash of the body parsed ("" when none was).
    digest: str = ""
    #: The body was the one parsed last time (not parsed again).
    same_body: bool = False
    #: The source's URL answered a web page and ``result`` is the feed that page declares.
    on_page: bool = False

    @property
    def has_entries(self) -> bool:
        return self.parsed is not None and self.parsed.error is None


class _Batcher:
    """Collects the outcomes finishing while the archive thread is busy and writes them in
    one call there once it is free; each submitter gets its own result back."""

    #: How long the first outcome waits for neighbours (fetches finish in bursts).
    GATHER = 0.005

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        executor: Executor,
        flush: Callable[[Sequence[_Fetched]], list[_Finish]],
    ):
        self.loop = loop
        self.executor = executor
        self.flush = flush
        self.items: list[_Fetched] = []
        self.futures: list[asyncio.Future[_Finish]] = []
        self.flushing: asyncio.Task[None] | None = None

    async def submit(self, item: _Fetched) -> _Finish:
        future: asyncio.Future[_Finish] = self.loop.create_future()
        self.items.append(item)
        self.futures.append(future)
        if self.flushing is None:
            self.flushing = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        """Flush until nothing is waiting: what arrives during a flush goes in the next."""
        await asyncio.sleep(self.GATHER)
        while self.items:
            items, futures = self.items, self.futures
            self.items, self.futures = [], []
            try:
                results = await self.loop.run_in_executor(self.executor, self.flush, items)
            except BaseException as exc:  # each submitter sees the failure (e.g. archive down)
                for future in futures:
                    if not future.done():  # its submitter was cancelled meanwhile
                        future.set_exception(exc)
                continue
            for future, result in zip(futures, results, strict=True):
                if not future.done():
                    future.set_result(result)
        self.flushing = None


class Runner:
    """Everything one run shares: config, archive, executors, the HTTP client."""

    def __init__(self, archive: Archive, config: Config, *, owner: str | None = None):
        self.archive = archive
        self.config = config
        self.ingest: IngestConfig = config.ingest
        self.settings = fetch_settings(config)
        self.owner = owner or worker_id()
        self.random = random.Random()

    def _state(self, job: claims.Job) -> SourceState:
        interval = timedelta(minutes=job.interval or self.ingest.interval)
        max_interval = max(timedelta(minutes=self.ingest.max_interval), interval)
        return SourceState(
            job.url, job.consecutive_errors, job.pending_redirect, interval, max_interval
        )

    def finish(self, batch: Sequence[_Fetched]) -> list[_Finish]:
        """Write these sources' outcomes (items, then fetch state) in one transaction (runs
        on the archive thread).

        Whatever the database or the driver refuses in a stranger's document (an id clash
        with a concurrent writer, a character the encoding cannot take, a value out of
        range) rolls the transaction back: each source is then written again in its own, so
        only the one at fault fails, with its error recorded (and its next fetch scheduled),
        and the run goes on.
        """
        now = datetime.now(UTC)
        try:
            with self.archive.session() as session:
                return [self._write(session, fetched, now) for fetched in batch]
        except Exception as exc:
            if len(batch) == 1:
                fetched = batch[0]
                action = "cannot store" if fetched.has_entries else "cannot record"
                return [self.record_failure(fetched.job, fetched.result, failure(action, exc), now)]
        return [finished for fetched in batch for finished in self.finish([fetched])]

    def _write(self, session: Session, fetched: _Fetched, now: datetime) -> _Finish:
        """One source's outcome; a web page listed as a source follows the feed it declares
        from now on (its declared URL, the page, stays what config.toml or `sources add`
        names)."""
        job, result, parsed = fetched.job, fetched.result, fetched.parsed
        decision = decide(
            self._state(job), _outcome(result, parsed), now, self.random.uniform(-1, 1)
        )
        entries = decision.success and parsed is not None and fetched.has_entries
        stored = fetched.digest if entries else None
        # The fetch state first: a first fetch titles the source, and the database's trigger
        # then marks the source's items for the search index again; written before them, the
        # new items are not marked twice (they are indexed with the new title either way).
        record_fetch(session, job.id, job.url, decision, result, parsed, now, stored)
        counts = StoreCounts()
        if entries and parsed is not None:
            keep = keyword_filter(self.ingest, job.keywords, job.exclude)
            counts = store_entries(session, job.id, parsed.entries, now, keep)
        if stored is not None and fetched.on_page:
            follow_feed(session, job.id, result.requested_url)
        unchanged = decision.success and (fetched.same_body or result.status == 304)
        return _Finish(counts, decision, unchanged)

    def record_failure(
        self, job: claims.Job, result: FetchResult, message: str, now: datetime
    ) -> _Finish:
        """Record ``message`` as the source's error, with nothing from the document (which is
        what failed). If even that fails the archive itself is failing: that is raised."""
        failed = Outcome(status=result.status, error=message)
        decision = decide(self._state(job), failed, now, self.random.uniform(-1, 1))
        with self.archive.session() as session:
            record_fetch(session, job.id, job.url, decision, result, None, now)
        return _Finish(StoreCounts(), decision)

    async def run(
        self, *, force: bool, only: Sequence[int] | None, progress: Progress | None
    ) -> RunSummary:
        return await _Pass(self, force=force, only=only, progress=progress).run()


class _Pass:
    """One pass over the due sources, in named steps: claim a batch, process each job
    (fetch → parse → follow a page's feed → store), tally, and give back what is left."""

    def __init__(
        self, runner: Runner, *, force: bool, only: Sequence[int] | None, progress: Progress | None
    ):
        ingest = runner.ingest
        self.runner = runner
        self.force = force
        self.only = only
        self.progress = progress
        self.started = datetime.now(UTC)
        self.summary = RunSummary()
        #: Claimed and not yet tallied: given back if the run stops early.
        self.claimed: set[int] = set()
        # Keep about two batches in flight so fetch slots never wait for a claim.
        self.batch = ingest.concurrency * 2
        self.fetch_slots = asyncio.Semaphore(ingest.concurrency)
        self.host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(ingest.per_host)
        )
        self.archive_thread = ThreadPoolExecutor(1, thread_name_prefix="brevefeed-archive")
        self.parsers = Parsers(
            ingest.parse_workers, ingest.parse_timeout, runner.config.site.timezone
        )
        self.outcomes = _Batcher(
            asyncio.get_running_loop(), self.archive_thread, self.stored(runner.finish)
        )

    def stored(self, work: Callable[P, T]) -> Callable[P, T]:
        """``work``, its time counted as the store stage's."""

        def timed(*args: P.args, **kwargs: P.kwargs) -> T:
            started = time.perf_counter()
            try:
                return work(*args, **kwargs)
            finally:
                self.summary.spent("store", started)

        return timed

    async def on_archive(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``work`` on the archive thread (the one writer)."""
        loop = asyncio.get_running_loop()
        timed = self.stored(work)
        return await loop.run_in_executor(self.archive_thread, lambda: timed(*args, **kwargs))

    async def parse(self, result: FetchResult) -> ParsedFeed:
        started = time.perf_counter()
        try:
            return await self.parsers.parse(result)
        finally:
            self.summary.spent("parse", started)

    async def run(self) -> RunSummary:
        pending: set[asyncio.Task[tuple[claims.Job, FetchResult, _Finish]]] = set()
        try:
            total = await self.on_archive(self.count)
            exhausted, done_count = False, 0
            async with make_client(self.runner.settings, self.runner.ingest.concurrency) as client:
                while True:
                    if not exhausted and len(pending) < self.batch:
                        jobs = await self.on_archive(self.claim_batch)
                        exhausted = not jobs
                        self.claimed.update(job.id for job in jobs)
                        pending.update(asyncio.create_task(self.process(client, j)) for j in jobs)
                        total = max(total, done_count + len(pending))
                    if not pending:
                        break
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        self.tally(*task.result())
                        done_count += 1
                    if self.progress:
                        self.progress(done_count, total)
        finally:
            await self.stop(pending)
        return self.summary

    def count(self) -> int:
        """How many sources are due, logging why the others are not."""
        now = datetime.now(UTC)
        with self.runner.archive.session() as session:
            if log.isEnabledFor(logging.INFO):
                skipped = claims.skipped(
                    session, now, force=self.force, run_started=self.started, only=self.only
                )
                for url, why in skipped:
                    # Not due is the normal state of most sources between two runs.
                    level = logging.DEBUG if why.startswith("not due") else logging.INFO
                    log.log(level, "%s: skipped, %s", url, why)
            return claims.count_claimable(
                session, now, force=self.force, run_started=self.started, only=self.only
            )

    def claim_batch(self) -> list[claims.Job]:
        with self.runner.archive.session() as session:
            jobs = claims.claim(
                session, self.runner.owner, datetime.now(UTC),
                lease=timedelta(seconds=self.runner.ingest.lease), limit=self.batch,
                force=self.force, run_started=self.started, only=self.only,
            )  # fmt: skip
        log.debug("claimed %d sources", len(jobs))
        return jobs

    async def fetch(
        self, client: httpx.AsyncClient, url: str, etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:  # fmt: skip
        """One GET within the run's and the host's connection limits."""
        async with self.host_slots[urlsplit(url).hostname or ""], self.fetch_slots:
            started = time.perf_counter()
            result = await fetch(
                client, url, self.runner.settings, etag=etag, last_modified=last_modified
            )
            self.summary.spent("fetch", started)
        if result.error is not None:
            log.info("%s: fetch failed (HTTP %s): %s", url, result.status, result.error)
        elif result.status == 304:
            log.info("%s: not modified (HTTP 304)", url)
        else:
            log.info("%s: HTTP %s, %d bytes from %s", url, result.status, len(result.body),
                     result.url)  # fmt: skip
        return result

    async def process(
        self, client: httpx.AsyncClient, job: claims.Job
    ) -> tuple[claims.Job, FetchResult, _Finish]:
        """Fetch one source, parse what came back, and store the outcome."""
        result = await self.fetch(client, job.url, job.etag, job.last_modified)
        parsed, digest, same_body, on_page = None, "", False, False
        if result.status == 200 and result.error is None:
            # The same bytes as last time (a server without validators) need no parsing.
            digest = result.body_hash
            same_body = digest == job.body_hash
            if same_body:
                log.info("%s: the same body as last time, not parsed", job.url)
            else:
                parsed = await self.parsers.parse(result)
        if (
            parsed is not None
            and parsed.error
            and looks_like_html(result.body, result.content_type)
        ):
            found = await self.follow_page(client, job, result)
            if found is not None:
                (result, parsed), digest, on_page = found, found[0].body_hash, True
        fetched = _Fetched(job, result, parsed, digest, same_body, on_page)
        return job, result, await self.outcomes.submit(fetched)

    async def follow_page(
        self, client: httpx.AsyncClient, job: claims.Job, page: FetchResult
    ) -> tuple[FetchResult, ParsedFeed] | None:
        """A web page listed as a source (config.toml, `sources add --no-discover`): the feed
        it declares, fetched and parsed, as `sources add` would follow it; None if none."""
        text = page.body.decode("utf-8", errors="replace")
        feeds = [url for url in discover_feeds(text, page.url) if url != job.url]
        if not feeds:
            log.info("%s: a web page declaring no feed", job.url)
            return None
        log.info("%s: a web page; following the feed it declares, %s", job.url, feeds[0])
        found = await self.fetch(client, feeds[0])
        if found.status != 200 or found.error is not None:
            return None
        return found, await self.parsers.parse(found)

    def tally(self, job: claims.Job, result: FetchResult, finished: _Finish) -> None:
        summary, decision, counts = self.summary, finished.decision, finished.counts
        self.claimed.discard(job.id)
        if finished.success:
            if finished.not_modified:
                summary.not_modified += 1
            else:
                summary.fetched += 1
            if counts.new or counts.updated or counts.unchanged or counts.filtered:
                log.info("%s: %d new, %d updated, %d unchanged, %d filtered out", job.url,
                         counts.new, counts.updated, counts.unchanged, counts.filtered)  # fmt: skip
        else:
            summary.errors += 1
            summary.failures.append(f"{job.url}: {decision.error or result.error}")
            _log_failure(job.url, decision)
        if decision.url != job.url:
            log.info("%s: moved for good to %s (HTTP 301/308 seen twice)", job.url, decision.url)
        elif decision.pending_redirect and decision.pending_redirect != job.pending_redirect:
            log.info("%s: permanently redirected to %s; followed if seen again",
                     job.url, decision.pending_redirect)  # fmt: skip
        summary.new_items += counts.new
        summary.updated_items += counts.updated
        summary.filtered += counts.filtered

    async def stop(
        self, pending: set[asyncio.Task[tuple[claims.Job, FetchResult, _Finish]]]
    ) -> None:
        """Cancel what is in flight and give its sources back (a run interrupted between two
        batches must not keep them leased until the lease expires)."""
        for task in pending:
            task.cancel()
        if self.claimed:
            await self.on_archive(self.give_back, list(self.claimed))
        self.archive_thread.shutdown(wait=True)
        self.parsers.shutdown()
        self.summary.seconds["parse"] = self.parsers.seconds

    def give_back(self, ids: list[int]) -> None:
        with self.runner.archive.session() as session:
            claims.release(session, self.runner.owner, ids)


def _log_failure(url: str, decision: Decision) -> None:
    """Why the source failed and when it is tried again."""
    if decision.gone:
        log.info("%s: %s; not fetched again until `sources enable`", url, decision.error)
        return
    when = decision.next_fetch_at.isoformat(timespec="seconds")
    if decision.retry_after is not None:
        log.info("%s: %s; Retry-After says not before %s", url, decision.error, when)
    else:
        log.info("%s: %s; error %d in a row, backed off until %s", url, decision.error,
                 decision.consecutive_errors, when)  # fmt: skip


def prepare(archive: Archive, config: Config, source: str | None) -> list[int] | None:
    """Bring config sources in step and resolve --source to an id (NotFoundError if none)."""
    with archive.session() as session:
        sync_config(session, config.sources, datetime.now(UTC))
        if source is None:
            return None
        return [find_source(session, source).id]


def ingest(
    archive: Archive,
    config: Config,
    *,
    all_sources: bool = False,
    source: str | None = None,
    progress: Progress | None = None,
    owner: str | None = None,
) -> RunSummary:
    """Fetch every due source (all of them with ``all_sources``, one with ``source``)."""
    only = prepare(archive, config, source)
    runner = Runner(archive, config, owner=owner)
    force = all_sources or source is not None
    return asyncio.run(runner.run(force=force, only=only, progress=progress))
