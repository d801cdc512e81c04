"""Benchmark how fast the command line answers: start-up and whole commands, end to end.

Each command runs in a fresh interpreter as the `brevefeed` script runs it, interleaved with
its baseline so both see the same load (machines here are too noisy for absolute times), and
the medians are compared as ratios:

- `brevefeed --version` and `--help` against `python -c "import click"`;
- `brevefeed list` and `brevefeed search QUERY` against `python -c "import sqlalchemy"` plus
  the query's own time, measured inside one process on a warm archive.

    python benchmarks/cli.py                                # a 20,000-item archive, ~1 minute
    python benchmarks/cli.py --archive /tmp/bench.sqlite3   # e.g. search.py --keep's 1,000,000
    python benchmarks/cli.py --archive /tmp/bench.sqlite3 --all-queries   # p95 of 30 queries
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from brevefeed.archive import open_archive
from brevefeed.archive.index import rebuild
from brevefeed.archive.queries import BreveFilter, list_breves
from brevefeed.search import SearchRequest, search
from search import QUERIES, generate, percentile

SRC = Path(__file__).resolve().parents[1] / "src"
#: What the installed `brevefeed` script does.
SCRIPT = "import sys; from brevefeed.cli import main; sys.exit(main())"
TARGET = 1.5


def run_once(argv: Sequence[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def medians(commands: dict[str, Sequence[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median wall time of each command, the commands taking turns in every round."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm-up: the OS caches the files each one reads
        run_once(argv, env)
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(run_once(argv, env))
    return {name: statistics.median(values) for name, values in times.items()}


def in_process(call: Callable[[], object], runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def build_small(path: Path, items: int) -> None:
    archive = open_archive(f"sqlite:///{path}")
    try:
        generate(archive, items, max(items // 200, 50), seed=7)
        with archive.engine.begin() as conn:
            rebuild(conn)
    finally:
        archive.close()


def query_times(url: str, queries: Sequence[str], runs: int) -> dict[str, float]:
    """Each command's own work, as the CLI asks it (first page, default limits)."""
    archive = open_archive(url)
    try:
        with archive.reading() as connection:
            times = {
                "list": in_process(lambda: list_breves(connection, BreveFilter(), limit=50), runs)
            }
            for query in queries:
                request = SearchRequest(query, limit=20)
                times[query] = in_process(lambda r=request: search(connection, r), runs)  # type: ignore[misc]
    finally:
        archive.close()
    return times


def verdict(ratio: float) -> str:
    return "met" if ratio <= TARGET else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, help="an existing SQLite archive to query")
    parser.add_argument("--items", type=int, default=20_000, help="size of the archive built")
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (median)")
    parser.add_argument("--query", default="agression homophobe")
    parser.add_argument(
        "--all-queries",
        action="store_true",
        help="also run `search` for each of search.py's 30 queries: p95 against the p95 of"
        " their own times (slow: 30 x --runs processes)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="brevefeed-cli-bench-"))
    try:
        path = args.archive.resolve() if args.archive else work / "archive.sqlite3"
        if args.archive is None:
            began = time.perf_counter()
            build_small(path, args.items)
            print(f"built a {args.items:,}-item archive in {time.perf_counter() - began:.0f} s")
        url = f"sqlite:///{path}"
        config = work / "config.toml"
        config.write_text(f'[archive]\nurl = "{url}"\n', encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(SRC), "BREVEFEED_CONFIG": str(config)}
        py = sys.executable
        brevefeed = [py, "-c", SCRIPT]
        queries = QUERIES if args.all_queries else [args.query]
        own = query_times(url, queries, args.runs)

        wall = medians(
            {
                "python -c pass": [py, "-c", "pass"],
                "import click": [py, "-c", "import click"],
                "import sqlalchemy": [py, "-c", "import sqlalchemy"],
                "--version": [*brevefeed, "--version"],
                "--help": [*brevefeed, "--help"],
                "list": [*brevefeed, "list", "--format", "tsv"],
                "search": [*brevefeed, "search", args.query, "--format", "tsv"],
            },
            env,
            args.runs,
        )
        print(f"archive {path}; medians of {args.runs} runs, in turn with their baselines")
        for name in ("python -c pass", "import click", "import sqlalchemy"):
            print(f"  {name:<28}{wall[name] * 1000:8.0f} ms")
        click, sqla = wall["import click"], wall["import sqlalchemy"]
        print(f"target: within {TARGET}x of the baseline")
        for name in ("--version", "--help"):
            ratio = wall[name] / click
            print(
                f"  brevefeed {name:<18}{wall[name] * 1000:8.0f} ms"
                f"  {ratio:5.2f}x import click  {verdict(ratio)}"
            )
        for name, own_time in (("list", own["list"]), ("search", own[args.query])):
            label = name if name == "list" else f"search {args.query!r}"
            ratio = wall[name] / (sqla + own_time)
            print(
                f"  brevefeed {label:<18}{wall[name] * 1000:8.0f} ms"
                f"  {ratio:5.2f}x (import sqlalchemy + {own_time * 1000:.1f} ms query)"
                f"  {verdict(ratio)}"
            )
        if args.all_queries:
            # The baseline again, in turn with these: the load may have changed meanwhile.
            each = medians(
                {
                    "import sqlalchemy": [py, "-c", "import sqlalchemy"],
                    **{q: [*brevefeed, "search", q, "--format", "tsv"] for q in QUERIES},
                },
                env,
                args.runs,
            )
            p95_wall = percentile([each[q] for q in QUERIES], 0.95)
            p95_own = percentile([own[q] for q in QUERIES], 0.95)
            ratio = p95_wall / (each["import sqlalchemy"] + p95_own)
            print(
                f"  search, p95 of {len(QUERIES)} queries {p95_wall * 1000:6.0f} ms"
                f" (import sqlalchemy now {each['import sqlalchemy'] * 1000:.0f} ms)"
                f"  {ratio:5.2f}x (import sqlalchemy + p95 {p95_own * 1000:.1f} ms query)"
                f"  {verdict(ratio)}"
            )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
