"""Benchmark the `brevefeed ingest` command as cron runs it (fetch, parse, store, group stories,
link to brèves) against the naive loop and the `reader` library, on the same local feeds.

500 feeds × 30 entries (French-looking text; six entries in ten follow the story of a brève of
the archive, one in ten retells another outlet's entry under the same headline), served from
loopback addresses 127.0.0.2-51 (one host per ten feeds) by an asyncio server in its own
process that answers every request after 20 ms, with ETag / 304 support. Each repetition, in
one run, times as child processes:

- `brevefeed ingest` on a fresh copy of an archive of 1,000 brèves whose 500 sources are all
  due (cold: everything new, then grouped and linked), then `brevefeed ingest --all` (warm:
  every feed answers 304), both with `[ingest] per_host` raised (one loopback address stands
  for ten hosts) and the process's own stage times (fetch, parse, store: busy seconds summed
  over concurrent work; group, link: the linking pass);
- the naive loop, cold and warm: sequential httpx.get + feedparser.parse + INSERT, one commit
  per feed, no conditional GET;
- the `reader` library (pip install 'brevefeed[bench]'): `update_feeds(workers=4)` over the
  same feeds, cold and warm (it sends ETags too).

Medians of the repetitions are printed with ratios and the targets; peak memory is each child
process's peak RSS (VmHWM: see ``peak_rss``; brevefeed's parser processes apart). Ends by
checking that every entry was stored exactly once and every item grouped.

Run: python benchmarks/ingest.py  [--feeds 500 --entries 30 --breves 1000 --repeat 3]
     python benchmarks/ingest.py --feeds 50 --repeat 1      # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import multiprocessing
import os
import random
import re
import runpy
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from brevefeed.archive import open_archive
from brevefeed.archive.models import Item, Source
from brevefeed.ingest.sources import add_source
from related import entities, fill_breves, story, text_for
from related_stories import Corpus  # importable once `related` is: it adds tests/ to the path

HOSTS = [f"127.0.0.{n}" for n in range(2, 52)]
HERE = Path(__file__).resolve()
#: The brèves of the archive date from the day before the run; items follow their stories.
START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


def feed_bodies(
    feeds: int, entries: int, told: list[tuple[str, str, str, str]]
) -> dict[str, bytes]:
    """Every feed's document (seeded); ``told``: the stories of the archive's brèves."""
    rng = random.Random(16)
    names = entities(random.Random(1), 400)
    bodies: dict[str, bytes] = {}
    retold: list[tuple[str, str, str]] = []
    for n in range(feeds):
        items = []
        for i in range(entries):
            link = f"https://journal{n}.example.org/{i}"
            if retold and rng.random() < 0.1:
                title, summary, content = rng.choice(retold)
            else:
                subject, place, action, _who = (
                    rng.choice(told) if told and rng.random() < 0.6 else story(rng, names)
                )
                title = f"{subject.capitalize()} {action} à {place} ({n}-{i})"
                summary = text_for(rng, (subject, place, action, _who), 25)
                content = "".join(
                    f"<p>{text_for(rng, (subject, place, action, _who), 20)}</p>" for _ in range(3)
                )
                retold.append((title, summary, content))
            published = format_datetime(START + timedelta(minutes=n * entries + i))
            items.append(
                f"<item><title>{title}</title><link>{link}</link><guid>journal{n}-{i}</guid>"
                f"<dc:creator>Claire Martin</dc:creator><category>Société</category>"
                f"<pubDate>{published}</pubDate><description>{summary}</description>"
                f"<content:encoded><![CDATA[{content}]]></content:encoded></item>"
            )
        bodies[f"/feed/{n}.xml"] = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
            f"<title>Journal {n}</title><link>https://journal{n}.example.org/</link>"
            f"{''.join(items)}</channel></rss>"
        ).encode()
    return bodies


def serve(bodies: dict[str, bytes], latency: float, port: int, ready: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                await asyncio.sleep(latency)
                body = bodies.get(path)
                etag = f'"{path}-v1"'
                if body is None:
                    status, body, extra = "404 Not Found", b"", ""
                elif headers.get("if-none-match") == etag:
                    status, body, extra = "304 Not Modified", b"", f"ETag: {etag}\r\n"
                else:
                    status = "200 OK"
                    extra = f"ETag: {etag}\r\nContent-Type: application/rss+xml\r\n"
                writer.write(
                    f"HTTP/1.1 {status}\r\n{extra}Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, host=HOSTS, port=port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def url_of(n: int, port: int) -> str:
    return f"http://{HOSTS[n % len(HOSTS)]}:{port}/feed/{n}.xml"


# The baselines, each run in a child process (``--child``) ------------------------------------


def naive_pass(path: str, feeds: int, port: int) -> None:
    import feedparser
    import httpx

    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE IF NOT EXISTS items (source INTEGER, entry_id TEXT, title TEXT, link TEXT,"
        " summary TEXT, published TEXT, UNIQUE (source, entry_id))"
    )
    stored = 0
    for n in range(feeds):
        response = httpx.get(url_of(n, port), timeout=30)
        parsed = feedparser.parse(response.content)
        for entry in parsed.entries:
            cursor = db.execute(
                "INSERT OR IGNORE INTO items (source, entry_id, title, link, summary, published)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (n, entry.get("id"), entry.get("title"), entry.get("link"),
                 entry.get("summary"), entry.get("published")),
            )  # fmt: skip
            stored += cursor.rowcount
        db.commit()
    db.close()
    print(f"{stored} rows inserted")


def reader_add(path: str, feeds: int, port: int) -> None:
    from reader import make_reader

    reader = make_reader(path)
    for n in range(feeds):
        reader.add_feed(url_of(n, port))
    reader.close()


def reader_pass(path: str, feeds: int, port: int) -> None:
    from reader import make_reader

    reader = make_reader(path)
    # scheduled=False: every feed, due or not (as `ingest --all`).
    reader.update_feeds(workers=4, scheduled=False)
    entries = reader.get_entry_counts().total
    reader.close()
    print(f"{entries} entries stored")


def brevefeed_command(*argv: str) -> None:
    """`brevefeed ARGV…` exactly as `python -m brevefeed` runs it."""
    sys.argv = ["brevefeed", *argv]
    runpy.run_module("brevefeed", run_name="__main__", alter_sys=True)


def peak_rss() -> None:
    """Print this process's peak RSS. Not ru_maxrss as the parent reads it: on Linux a child's
    ru_maxrss starts from its parent's at fork (here the benchmark's, with every feed in
    memory); VmHWM is the high-water mark of the process's own image since exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            print(f"peak rss: {int(line.split()[1]) * 1024}", flush=True)


CHILDREN = {"naive": naive_pass, "reader-add": reader_add, "reader": reader_pass}


# Timing child processes ---------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    #: Peak RSS of the child process itself, in bytes.
    rss: int
    output: str
    #: CPU seconds (user + system) of the process and of the children it waited for.
    cpu: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)


def run_child(command: list[str], env: dict[str, str]) -> Run:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    stages = {
        name: float(value) for name, value in re.findall(r"(\w+) ([\d.]+) s\b", _stage_line(output))
    }
    peak = re.search(r"^peak rss: (\d+)$", output, re.MULTILINE)
    rss = int(peak.group(1)) if peak else usage.ru_maxrss * 1024
    return Run(seconds, rss, output, usage.ru_utime + usage.ru_stime, stages)


def _stage_line(output: str) -> str:
    found = re.search(r"^.*stage times: (.*)$", output, re.MULTILINE)
    return found.group(1) if found else ""


def brevefeed(config: Path, env: dict[str, str], *args: str) -> Run:
    command = [sys.executable, str(HERE), "--child", "brevefeed", "ingest", "--config"]
    return run_child([*command, str(config), *args, "--verbose"], env)


def baseline(kind: str, path: Path, env: dict[str, str], feeds: int, port: int) -> Run:
    command = [sys.executable, str(HERE), "--child", kind, str(path), str(feeds), str(port)]
    return run_child(command, env)


# The archive --------------------------------------------------------------------------------

CONFIG = """\
[site]
link = "https://bench.example.org/"

[archive]
url = "sqlite:///archive.sqlite3"

[ingest]
allow_private = true
concurrency = 16
# One loopback address stands for ten hosts of the real world.
per_host = 16
parse_workers = 2
"""


def template(
    folder: Path, feeds: int, breves: int, port: int
) -> tuple[Path, list[tuple[str, str, str, str]]]:
    """An archive of ``breves`` brèves (indexed, terms counted) following every feed, and the
    brèves' stories."""
    path = folder / "template.sqlite3"
    archive = open_archive(f"sqlite:///{path}")
    told = []
    if breves:
        told, _dates = fill_breves(
            archive, breves, random.Random(2), entities(random.Random(1), 400), Corpus((), ())
        )
    with archive.session() as session:
        for n in range(feeds):
            add_source(session, url_of(n, port), START)
    archive.close()
    return path, told


def check(path: Path, expected: int, entries: int) -> tuple[bool, str]:
    archive = open_archive(f"sqlite:///{path}")
    with archive.session(write=False) as session:
        stored = session.scalar(select(func.count()).select_from(Item))
        distinct = session.scalar(
            select(func.count()).select_from(
                select(Item.source_id, Item.entry_id).distinct().subquery()
            )
        )
        per_source = set(
            session.scalars(select(func.count(Item.id)).join(Source).group_by(Source.id)).all()
        )
        ungrouped = session.scalar(
            select(func.count()).select_from(Item).where(Item.story_id.is_(None))
        )
    archive.close()
    ok = stored == distinct == expected and per_source == {entries} and ungrouped == 0
    return ok, f"{stored} of {expected}, {distinct} distinct, {ungrouped} not grouped"


def median(runs: list[Run]) -> float:
    return statistics.median(run.seconds for run in runs)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        atexit.register(peak_rss)
        if sys.argv[2] == "brevefeed":
            brevefeed_command(*sys.argv[3:])
        kind, path, feeds, port = sys.argv[2:6]
        CHILDREN[kind](path, int(feeds), int(port))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=30)
    parser.add_argument("--breves", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=18_765)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="brevefeed-bench-"))
    source, told = template(folder, args.feeds, args.breves, args.port)
    bodies = feed_bodies(args.feeds, args.entries, told)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    server = context.Process(
        target=serve, args=(bodies, args.latency, args.port, ready), daemon=True
    )
    server.start()
    if not ready.wait(60):
        sys.exit("the feed server did not start")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path[1:])}
    env.pop("BREVEFEED_DATABASE_URL", None)
    runs: dict[str, list[Run]] = {}
    try:
        (folder / "config.toml").write_text(CONFIG)
        for n in range(args.repeat):
            archive = folder / "archive.sqlite3"
            shutil.copy(source, archive)
            runs.setdefault("brevefeed cold", []).append(brevefeed(folder / "config.toml", env))
            runs.setdefault("brevefeed warm", []).append(
                brevefeed(folder / "config.toml", env, "--all")
            )
            if n == args.repeat - 1:
                exact, stored = check(archive, args.feeds * args.entries, args.entries)
            archive.unlink()

            naive = folder / "naive.sqlite3"
            for key in ("naive cold", "naive warm"):
                runs.setdefault(key, []).append(
                    baseline("naive", naive, env, args.feeds, args.port)
                )
            naive.unlink()

            theirs = folder / "reader.sqlite3"
            baseline("reader-add", theirs, env, args.feeds, args.port)
            for key in ("reader cold", "reader warm"):
                runs.setdefault(key, []).append(
                    baseline("reader", theirs, env, args.feeds, args.port)
                )
            theirs.unlink()
    finally:
        server.terminate()
        shutil.rmtree(folder, ignore_errors=True)

    report(args, runs, exact, stored)
    sys.exit(0 if exact else 1)


def report(args: argparse.Namespace, runs: dict[str, list[Run]], exact: bool, stored: str) -> None:
    print(f"workload: {args.feeds} feeds × {args.entries} entries, {args.latency * 1000:g} ms"
          f" per response, {len(HOSTS)} loopback hosts, archive of {args.breves} brèves,"
          f" {os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.1f};"
          f" medians of {args.repeat}")  # fmt: skip
    for key, measured in runs.items():
        every = ", ".join(f"{run.seconds:.2f}" for run in measured)
        cpu = statistics.median(run.cpu for run in measured)
        print(f"  {key:15} {median(measured):7.2f} s  CPU {cpu:6.2f} s  (each: {every})")
    for phase in ("cold", "warm"):
        mine = runs[f"brevefeed {phase}"]
        print(f"  stage times, {phase} (median of each; fetch, parse and store overlap):")
        stages = sorted({stage for run in mine for stage in run.stages})
        print(
            "    "
            + ", ".join(
                f"{stage} {statistics.median(r.stages.get(stage, 0.0) for r in mine):.2f} s"
                for stage in stages
            )
        )
    targets = {"cold": (4, 2), "warm": (25, 2)}
    held = []
    for phase, (versus_naive, versus_reader) in targets.items():
        mine = median(runs[f"brevefeed {phase}"])
        naive = median(runs[f"naive {phase}"]) / mine
        reader = median(runs[f"reader {phase}"]) / mine
        held += [naive >= versus_naive, reader >= versus_reader]
        print(f"  {phase}: {naive:5.1f}× naive (target ≥ {versus_naive}×),"
              f" {reader:5.1f}× reader (target ≥ {versus_reader}×)")  # fmt: skip
    peak = max(run.rss for key in ("brevefeed cold", "brevefeed warm") for run in runs[key])
    held.append(peak <= 300 * 2**20)
    print(f"  peak memory of the brevefeed process (VmHWM): {peak / 2**20:.0f} MB"
          " (target ≤ 300 MB; its two parser processes are apart)")  # fmt: skip
    print(f"  naive peak {max(r.rss for r in runs['naive cold']) / 2**20:.0f} MB,"
          f" reader peak {max(r.rss for r in runs['reader cold']) / 2**20:.0f} MB")  # fmt: skip
    print(f"  entries stored: {stored}; every entry exactly once: {'yes' if exact else 'NO'}")
    print(f"  targets held: {sum(held)} of {len(held)}")


if __name__ == "__main__":
    main()
