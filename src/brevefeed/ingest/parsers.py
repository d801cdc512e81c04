"""Parse fetched documents off the event loop, each within [ingest] parse_timeout.

feedparser is CPU-bound and would stall fetching, so documents are parsed in a pool of worker
processes (or one thread with ``parse_workers = 0``). A document that keeps a worker past the
time limit, or kills it, fails alone: that pool is stopped and the documents after it get a
fresh one. Whatever goes wrong, ``Parsers.parse`` returns a ``ParsedFeed`` whose ``error``
says what, never raises.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import re
import time
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime

from brevefeed.ingest.fetch import FetchResult
from brevefeed.ingest.parse import ParsedFeed, parse_feed

log = logging.getLogger(__name__)

_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_ERROR = 500
DIED = "the parser process died on this document"


def one_line(message: str) -> str:
    """``message`` as a source's last error: its first line, without the characters a
    database or a terminal refuses (an error may quote the document), at most MAX_ERROR."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return _UNSTORABLE.sub("\ufffd", first)[:MAX_ERROR]


def failure(action: str, exc: BaseException) -> str:
    """One line naming the exception type, e.g. ``cannot store: UnicodeEncodeError: …``."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    detail = str(orig if orig is not None else exc)
    kind = type(orig if orig is not None else exc).__name__
    return one_line(f"{action}: {kind}: {detail}" if detail else f"{action}: {kind}")


def _pool(workers: int) -> Executor:
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


class Parsers:
    """The parser pool of one run, replaced whenever a document stops or kills a worker."""

    def __init__(self, workers: int, timeout: float, timezone: str):
        self.workers = workers
        self.timeout = timeout
        self.timezone = timezone
        self.pool = _pool(workers)
        # Only as many parses as workers are submitted, so the time limit counts parsing,
        # not waiting in the pool's queue.
        self.slots = asyncio.Semaphore(max(1, workers))
        #: Pools stopped for a document's sake: the parses they cancelled are retried.
        self.abandoned: set[Executor] = set()
        #: Seconds parses took once a worker was free (waiting for one is not parsing).
        self.seconds = 0.0

    async def parse(self, result: FetchResult) -> ParsedFeed:
        for attempt in range(2):
            pool = self.pool
            async with self.slots:
                started = time.perf_counter()
                parsed = await self._attempt(pool, result, retry=attempt == 0)
                self.seconds += time.perf_counter() - started
            if parsed is not None:
                if parsed.error:
                    log.info("%s: cannot parse: %s", result.url, parsed.error)
                return parsed
        return ParsedFeed(error=DIED)

    async def _attempt(
        self, pool: Executor, result: FetchResult, *, retry: bool
    ) -> ParsedFeed | None:
        """One parse in ``pool``; None when that pool was stopped for another document's sake
        and this one deserves another go."""
        work = asyncio.get_running_loop().run_in_executor(
            pool, parse_feed, result.body, result.content_type, result.url,
            datetime.now(UTC), self.timezone,
        )  # fmt: skip
        try:
            return await asyncio.wait_for(work, self.timeout)
        except TimeoutError:
            # The worker is stopped and the documents after this one get a fresh pool.
            if self._replace(pool):
                self.abandoned.add(pool)
                _abandon(pool)
            return ParsedFeed(
                error=f"parsing took longer than {self.timeout:g} s ([ingest] parse_timeout)"
            )
        except BrokenExecutor:
            if pool in self.abandoned and retry:
                return None
            # A parser process died (killed, out of memory): this document fails.
            if self._replace(pool):
                pool.shutdown(wait=False, cancel_futures=True)
            return ParsedFeed(error=DIED)
        except Exception as exc:  # a parser bug must cost one document, not the run
            return ParsedFeed(error=failure("parser failed", exc))

    def _replace(self, pool: Executor) -> bool:
        """Give the documents after this one a fresh pool; False when a neighbour's failure
        already did (the old pool is then stopped already)."""
        if self.pool is not pool:
            return False
        log.debug("a new parser pool replaces one that failed")
        self.pool = _pool(self.workers)
        return True

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
