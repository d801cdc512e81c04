"""Fuzz brevefeed for a given time with the generators of the property tests.

Alternates rounds of the two properties of tests/test_hostile.py with fresh random seeds:
``parse_feed`` on generated RSS, Atom and JSON Feed documents (never raises, returns only
XML-safe text and web links), and a newsroom that ingests generated feeds from a loopback
server, imports generated brève files, then runs publish, search, sources list, list, related
and stories through the CLI (documented exit codes, one-line errors, no traceback, every
published file well-formed, no ``javascript:`` in any). Each distinct crash is saved, with the
input that caused it and the commands' output, to a file under a temporary folder it names.

    python benchmarks/fuzz.py --minutes 10
    python benchmarks/fuzz.py --minutes 10 --backend postgresql   # $BREVEFEED_TEST_POSTGRES_URL

Prints the examples tried and the crashes found; exits 1 if there was one.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

from feedserver import FeedServer  # noqa: E402
from hostile import Batch, Feed, Newsroom, batches, check_parse, describe, feeds  # noqa: E402
from pgschema import archive_schema  # noqa: E402


class _TimeUp(Exception):
    """Raised inside a round once the time is spent (not a crash)."""


class Fuzzer:
    def __init__(self, deadline: float, crashes: Path, newsroom: Newsroom):
        self.deadline = deadline
        self.crashes = crashes
        self.newsroom = newsroom
        self.tried = {"parse": 0, "commands": 0}
        self.found: dict[str, Path] = {}

    def _round(
        self, name: str, strategy: st.SearchStrategy[Any], check: Callable[[Any], None], n: int
    ) -> None:
        current: list[Any] = [None]

        @settings(
            max_examples=n,
            deadline=None,
            database=None,
            phases=(Phase.generate,),
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
        )
        @given(value=strategy)
        def body(value: Any) -> None:
            if time.monotonic() > self.deadline:
                raise _TimeUp
            current[0] = value
            self.tried[name] += 1
            check(value)

        body._hypothesis_internal_use_seed = random.getrandbits(64)  # type: ignore[attr-defined]
        try:
            body()
        except _TimeUp:
            raise
        except Exception as exc:  # a crash of the code under test: recorded, then go on
            self._record(name, exc, current[0])

    def _record(self, name: str, exc: BaseException, value: Any) -> None:
        # The message's first line says which command; its last, what the code raised.
        lines = str(exc).strip().splitlines() or [""]
        what = lines[0] if len(lines) == 1 else f"{lines[0]} {lines[-1]}"
        signature = f"{name}: {type(exc).__name__}: {what[:300]}"
        if signature in self.found:
            return
        path = self.crashes / f"crash-{len(self.found) + 1}-{name}.txt"
        transcript = "\n".join(self.newsroom.transcript) if name == "commands" else ""
        path.write_text(
            f"{signature}\n\n--- input ---\n{describe(value)}\n\n--- traceback ---\n"
            + "".join(traceback.format_exception(exc))
            + (f"\n--- commands ---\n{transcript}" if transcript else ""),
            encoding="utf-8",
            errors="backslashreplace",
        )
        self.found[signature] = path
        print(f"crash: {signature}\n  saved to {path}", flush=True)

    def run(self) -> None:
        def check_feed(feed: Feed) -> None:
            check_parse(feed)

        def check_batch(batch: Batch) -> None:
            self.newsroom.check(batch)

        try:
            while time.monotonic() < self.deadline:
                self._round("parse", feeds, check_feed, 200)
                self._round("commands", batches, check_batch, 5)
        except _TimeUp:
            pass


@contextmanager
def _archive(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'archive.sqlite3'}"
        return
    base = os.environ.get("BREVEFEED_TEST_POSTGRES_URL")
    if not base:
        sys.exit("--backend postgresql needs $BREVEFEED_TEST_POSTGRES_URL")
    with archive_schema(base) as (url, _):
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    crashes = Path(tempfile.mkdtemp(prefix="brevefeed-fuzz-"))
    server = FeedServer()
    server.start()
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as work, _archive(args.backend, Path(work)) as url:
            newsroom = Newsroom(Path(work), server, url)
            fuzzer = Fuzzer(started + args.minutes * 60, crashes, newsroom)
            fuzzer.run()
    finally:
        server.stop()
    minutes = (time.monotonic() - started) / 60
    tried = fuzzer.tried
    print(
        f"fuzz ({args.backend}, {minutes:.1f} min): {tried['parse']:,} feeds parsed,"
        f" {tried['commands']:,} newsroom batches run; {len(fuzzer.found)} crashes"
        + (f", inputs saved in {crashes}" if fuzzer.found else "")
    )
    if not fuzzer.found:
        crashes.rmdir()
    sys.exit(1 if fuzzer.found else 0)


if __name__ == "__main__":
    main()
