"""One `brevefeed ingest` run: claim due sources, fetch them concurrently, parse off the event
loop, store each source in its own transaction.

Three kinds of work overlap: the event loop only fetches (bounded by ``concurrency`` and
``per_host``); a process pool parses (feedparser is CPU-bound and would stall fetching); one
thread writes to the archive (SQLite has one writer anyway, and a source's transaction is short).
A source's items and fetch state commit together, so a run killed at any point loses nothing
already committed and a rerun adds no duplicates; outcomes that bring no items (304s, errors)
only touch fetch state and are recorded several to a transaction.

The archive work stays on one thread rather than in the loop or in the parser processes: it
is short, it needs the GIL either way, and one writer never contends with itself for
SQLite's lock.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import re
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from brevefeed import __version__
from brevefeed.archive import Archive
from brevefeed.config import Config, IngestConfig
from brevefeed.errors import InputError
from brevefeed.ingest import claim as claims
from brevefeed.ingest.discover import discover_feeds
from brevefeed.ingest.fetch import FetchResult, FetchSettings, fetch, make_client
from brevefeed.ingest.filters import KeywordFilter, source_filter
from brevefeed.ingest.parse import ParsedFeed, looks_like_html, parse_feed
from brevefeed.ingest.schedule import Outcome, SourceState, decide
from brevefeed.ingest.sources import find_source, follow_feed, sync_config
from brevefeed.ingest.store import StoreCounts, record_fetch, store_entries

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


def _parser_pool(workers: int) -> Executor:
    if workers <= 0:
        return ThreadPoolExecutor(1, thread_name_prefix="brevefeed-parse")
    # forkserver, not fork: the resolver's threads may hold locks at fork time.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))


def _abandon(pool: Executor) -> None:
    """Stop a pool whose worker is stuck in a parse. Processes are killed (a stuck parse would
    hold a CPU until the run ends); a thread cannot be, so it is left to finish on its own and
    the run goes on with a fresh pool."""
    if isinstance(pool, ProcessPoolExecutor):
        # No public way to stop one busy worker before Python 3.14's terminate_workers().
        for process in list(pool._processes.values()):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def worker_id() -> str:
    """Names this run in leases: host, process, and a nonce (pids are reused)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_ERROR = 500


def one_line(message: str) -> str:
    """``message`` as a source's last error: its first line, without the characters a
    database or a terminal refuses (an error may quote the document), at most MAX_ERROR."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return _UNSTORABLE.sub("\ufffd", first)[:MAX_ERROR]


def _failure(action: str, exc: BaseException) -> str:
    """One line naming the exception type, e.g. ``cannot store: UnicodeEncodeError: …``."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    detail = str(orig if orig is not None else exc)
    kind = type(orig if orig is not None else exc).__name__
    return one_line(f"{action}: {kind}: {detail}" if detail else f"{action}: {kind}")


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
    success: bool
    error: str | None
    #: A 304, or a 200 with the very bytes parsed last time.
    not_modified: bool = False


#: A fetch that brings no items: the job, what came back, what parsing said (if it ran), and
#: whether the body was the one parsed last time.
_Pending = tuple[claims.Job, FetchResult, ParsedFeed | None, bool]


class _Batcher:
    """Collects state-only outcomes finishing close together and records them in one call on
    the archive thread; each submitter gets its own result back."""

    #: How long the first outcome waits for neighbours (fetches finish in bursts).
    GATHER = 0.005

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        executor: Executor,
        flush: Callable[[Sequence[_Pending]], list[_Finish]],
    ):
        self.loop = loop
        self.executor = executor
        self.flush = flush
        self.items: list[_Pending] = []
        self.futures: list[asyncio.Future[_Finish]] = []
        self.flushing: asyncio.Task[None] | None = None

    async def submit(self, item: _Pending) -> _Finish:
        future: asyncio.Future[_Finish] = self.loop.create_future()
        self.items.append(item)
        self.futures.append(future)
        if self.flushing is None:
            self.flushing = asyncio.create_task(self._flush_soon())
        return await future

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.GATHER)
        items, futures = self.items, self.futures
        self.items, self.futures, self.flushing = [], [], None
        try:
            results = await self.loop.run_in_executor(self.executor, self.flush, items)
        except BaseException as exc:  # each submitter sees the failure (e.g. archive down)
            for future in futures:
                future.set_exception(exc)
            return
        for future, result in zip(futures, results, strict=True):
            future.set_result(result)


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

    def _filter(self, job: claims.Job) -> KeywordFilter:
        i = self.ingest
        return source_filter(i.keywords, i.exclude, job.keywords, job.exclude, i.keep)

    def finish(
        self,
        job: claims.Job,
        result: FetchResult,
        parsed: ParsedFeed | None,
        body_hash: str,
        found_on_page: bool = False,
    ) -> _Finish:
        """Store one source's outcome in one transaction (runs on the archive thread).

        ``found_on_page``: the source's URL answered a web page and ``result`` is the feed that
        page declares; the source follows that feed from now on (its declared URL, the page,
        stays what config.toml or `sources add` names)."""
        now = datetime.now(UTC)
        outcome = _outcome(result, parsed)
        decision = decide(self._state(job), outcome, now, self.random.uniform(-1, 1))
        counts = StoreCounts()
        try:
            with self.archive.session() as session:
                if decision.success and parsed is not None:
                    counts = store_entries(session, job.id, parsed.entries, now, self._filter(job))
                stored = body_hash if decision.success else None
                record_fetch(session, job.id, job.url, decision, result, parsed, now, stored)
                if found_on_page and decision.success:
                    follow_feed(session, job.id, result.requested_url)
        except Exception as exc:
            # Whatever the database or the driver refuses in a stranger's document (an id
            # clash with a concurrent writer, a character the encoding cannot take, a value
            # out of range): the transaction is rolled back, this source fails this time with
            # its error recorded (and its next fetch scheduled), the run goes on.
            return self.record_failure(job, result, _failure("cannot store", exc), now)
        return _Finish(counts, decision.success, decision.error)

    def record_failure(
        self, job: claims.Job, result: FetchResult, message: str, now: datetime
    ) -> _Finish:
        """Record ``message`` as the source's error, with nothing from the document (which is
        what failed). If even that fails the archive itself is failing: that is raised."""
        failed = Outcome(status=result.status, error=message)
        decision = decide(self._state(job), failed, now, self.random.uniform(-1, 1))
        with self.archive.session() as session:
            record_fetch(session, job.id, job.url, decision, result, None, now)
        return _Finish(StoreCounts(), False, message)

    def finish_states(self, batch: Sequence[_Pending]) -> list[_Finish]:
        """Record fetches that bring no items (304, errors) together, in one transaction.

        Only fetch state is written, so grouping them risks nothing: were the run killed
        before the commit, those sources would merely be fetched again. On a warm run this
        turns hundreds of transactions into a handful.
        """
        now = datetime.now(UTC)
        try:
            with self.archive.session() as session:
                return [self._record_state(session, pending, now) for pending in batch]
        except Exception as exc:
            if len(batch) == 1:
                job, result, _, _ = batch[0]
                return [self.record_failure(job, result, _failure("cannot record", exc), now)]
        # One outcome the database refused rolled back its neighbours: each is recorded in
        # its own transaction, so only the one at fault fails.
        return [finished for pending in batch for finished in self.finish_states([pending])]

    def _record_state(self, session: Session, pending: _Pending, now: datetime) -> _Finish:
        job, result, parsed, same_body = pending
        outcome = _outcome(result, parsed)
        decision = decide(self._state(job), outcome, now, self.random.uniform(-1, 1))
        record_fetch(session, job.id, job.url, decision, result, parsed, now)
        unchanged = decision.success and (same_body or result.status == 304)
        return _Finish(StoreCounts(), decision.success, decision.error, unchanged)

    async def run(
        self, *, force: bool, only: Sequence[int] | None, progress: Progress | None
    ) -> RunSummary:
        summary = RunSummary()
        loop = asyncio.get_running_loop()
        run_started = datetime.now(UTC)
        lease = timedelta(seconds=self.ingest.lease)
        batch = self.ingest.concurrency * 2
        archive_thread = ThreadPoolExecutor(1, thread_name_prefix="brevefeed-archive")
        parser = _parser_pool(self.ingest.parse_workers)
        fetch_slots = asyncio.Semaphore(self.ingest.concurrency)
        host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.ingest.per_host)
        )
        tz = self.config.site.timezone
        claimed: set[int] = set()
        states = _Batcher(loop, archive_thread, self.finish_states)
        parse_slots = asyncio.Semaphore(max(1, self.ingest.parse_workers))
        abandoned: set[Executor] = set()

        def claim_batch() -> list[claims.Job]:
            with self.archive.session() as session:
                return claims.claim(
                    session, self.owner, datetime.now(UTC), lease=lease, limit=batch,
                    force=force, run_started=run_started, only=only,
                )  # fmt: skip

        def count() -> int:
            with self.archive.session() as session:
                return claims.count_claimable(
                    session, datetime.now(UTC), force=force, run_started=run_started, only=only
                )

        async def parse(result: FetchResult) -> ParsedFeed:
            nonlocal parser
            for attempt in range(2):
                pool = parser
                # Only as many parses as workers are submitted, so the time limit counts
                # parsing, not waiting in the pool's queue.
                async with parse_slots:
                    work = loop.run_in_executor(
                        pool, parse_feed, result.body, result.content_type, result.url,
                        datetime.now(UTC), tz,
                    )  # fmt: skip
                    try:
                        return await asyncio.wait_for(work, self.ingest.parse_timeout)
                    except TimeoutError:
                        # A document that keeps a parser busy this long fails; its worker is
                        # stopped and the feeds after it get a fresh pool.
                        if parser is pool:
                            parser = _parser_pool(self.ingest.parse_workers)
                            abandoned.add(pool)
                            _abandon(pool)
                        return ParsedFeed(
                            error=f"parsing took longer than {self.ingest.parse_timeout:g} s"
                            " ([ingest] parse_timeout)"
                        )
                    except BrokenExecutor:
                        if pool in abandoned and attempt == 0:
                            continue  # stopped for another feed's timeout: parse it again
                        # A parser process died (killed, out of memory): this feed fails,
                        # and the feeds after it get a fresh pool.
                        if parser is pool:
                            parser = _parser_pool(self.ingest.parse_workers)
                            pool.shutdown(wait=False, cancel_futures=True)
                        return ParsedFeed(error="the parser process died on this document")
                    except Exception as exc:  # a parser bug must cost one feed, not the run
                        return ParsedFeed(error=_failure("parser failed", exc))
            return ParsedFeed(error="the parser process died on this document")

        async def process(job: claims.Job) -> tuple[claims.Job, FetchResult, _Finish]:
            host = urlsplit(job.url).hostname or ""
            async with host_slots[host], fetch_slots:
                result = await fetch(
                    client, job.url, self.settings, etag=job.etag, last_modified=job.last_modified
                )
            parsed, digest, same_body, on_page = None, "", False, False
            if result.status == 200 and result.error is None:
                # The same bytes as last time (a server without validators) need no parsing.
                digest = result.body_hash
                same_body = digest == job.body_hash
                if not same_body:
                    parsed = await parse(result)
            if (
                parsed is not None
                and parsed.error
                and looks_like_html(result.body, result.content_type)
            ):
                page = result.body.decode("utf-8", errors="replace")
                feeds = [url for url in discover_feeds(page, result.url) if url != job.url]
                if feeds:
                    # A web page listed as a source (config.toml, `sources add --no-discover`):
                    # follow the feed it declares, as `sources add` does.
                    async with host_slots[urlsplit(feeds[0]).hostname or ""], fetch_slots:
                        found = await fetch(client, feeds[0], self.settings)
                    if found.status == 200 and found.error is None:
                        result, parsed, on_page = found, await parse(found), True
                        digest = found.body_hash
            if parsed is not None and parsed.error is None:
                finished = await loop.run_in_executor(
                    archive_thread, self.finish, job, result, parsed, digest, on_page
                )
            else:
                finished = await states.submit((job, result, parsed, same_body))
            return job, result, finished

        def tally(job: claims.Job, result: FetchResult, finished: _Finish) -> None:
            claimed.discard(job.id)
            if finished.success:
                if finished.not_modified:
                    summary.not_modified += 1
                else:
                    summary.fetched += 1
            else:
                summary.errors += 1
                summary.failures.append(f"{job.url}: {finished.error or result.error}")
            summary.new_items += finished.counts.new
            summary.updated_items += finished.counts.updated
            summary.filtered += finished.counts.filtered

        total = await loop.run_in_executor(archive_thread, count)
        pending: set[asyncio.Task[tuple[claims.Job, FetchResult, _Finish]]] = set()
        exhausted = False
        done_count = 0
        try:
            async with make_client(self.settings, self.ingest.concurrency) as client:
                while True:
                    # Keep about two batches in flight so fetch slots never wait for a claim.
                    if not exhausted and len(pending) < batch:
                        jobs = await loop.run_in_executor(archive_thread, claim_batch)
                        exhausted = not jobs
                        claimed.update(job.id for job in jobs)
                        pending.update(asyncio.create_task(process(job)) for job in jobs)
                        total = max(total, done_count + len(pending))
                    if not pending:
                        break
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        tally(*task.result())
                        done_count += 1
                    if progress:
                        progress(done_count, total)
        finally:
            for task in pending:
                task.cancel()
            if claimed:
                leftover = list(claimed)

                def give_back() -> None:
                    with self.archive.session() as session:
                        claims.release(session, self.owner, leftover)

                await loop.run_in_executor(archive_thread, give_back)
            archive_thread.shutdown(wait=True)
            parser.shutdown(wait=True, cancel_futures=True)
        return summary


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


async def _backfill(
    archive: Archive, config: Config, source_id: int, url: str, settings: FetchSettings
) -> RunSummary:
    summary = RunSummary()
    seen: set[str] = set()
    loop = asyncio.get_running_loop()
    next_url: str | None = url
    async with make_client(settings, 2) as client:
        while next_url and len(seen) < config.ingest.backfill_pages:
            if next_url in seen:
                summary.failures.append(f"{next_url}: prev-archive loop, stopped")
                break
            seen.add(next_url)
            result = await fetch(client, next_url, settings)
            parsed = None
            if result.status == 200 and result.error is None:
                work = loop.run_in_executor(
                    None, parse_feed, result.body, result.content_type, result.url,
                    datetime.now(UTC), config.site.timezone,
                )  # fmt: skip
                try:
                    parsed = await asyncio.wait_for(work, config.ingest.parse_timeout)
                except TimeoutError:
                    parsed = ParsedFeed(error="parsing took longer than parse_timeout")
                except Exception as exc:  # a parser bug stops the backfill, not the command
                    parsed = ParsedFeed(error=_failure("parser failed", exc))
            if parsed is None or parsed.error:
                summary.errors += 1
                reason = result.error or (parsed.error if parsed else f"HTTP {result.status}")
                summary.failures.append(f"{next_url}: {one_line(reason or 'failed')}")
                break
            try:
                with archive.session() as session:
                    counts = store_entries(session, source_id, parsed.entries, datetime.now(UTC))
            except Exception as exc:
                # The page is rolled back; the pages already stored stay (one transaction
                # each), and a later backfill resumes from the feed.
                summary.errors += 1
                summary.failures.append(f"{next_url}: {_failure('cannot store', exc)}")
                break
            summary.fetched += 1
            summary.new_items += counts.new
            summary.updated_items += counts.updated
            next_url = parsed.prev_archive
        else:
            if next_url:
                summary.failures.append(
                    f"{next_url}: stopped after {config.ingest.backfill_pages} pages"
                )
    return summary


def backfill(archive: Archive, config: Config, ref: str) -> RunSummary:
    """Archive a source's whole history along RFC 5005 prev-archive links, one transaction
    per page (bounded by [ingest] backfill_pages, a loop stops it)."""
    with archive.session() as session:
        sync_config(session, config.sources, datetime.now(UTC))
        source = find_source(session, ref)
        if source.gone or not source.enabled:
            raise InputError(f"{source.url} is {'gone' if source.gone else 'disabled'}")
        source_id, url = source.id, source.url
    return asyncio.run(_backfill(archive, config, source_id, url, fetch_settings(config)))
