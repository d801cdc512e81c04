"""Benchmark `brevefeed ingest` against the naive loop, on the same local workload.

500 feeds × 30 entries, served from loopback addresses 127.0.0.2-51 (one host per ten feeds,
as real feeds live on many hosts) by an asyncio server in its own process that answers every
request after 20 ms, with ETag / 304 support. Measured in one run:

- brevefeed cold pass (everything new) and warm pass (nothing changed: all 304);
- the naive loop, cold and warm: sequential httpx.get + feedparser.parse + INSERT, one commit
  per feed, no conditional GET;
- peak memory (RSS) of brevefeed's process plus its parser processes during the cold pass;
- that every entry is stored exactly once.

Run: python benchmarks/ingest.py  [--feeds 500 --entries 30 --latency 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx
from sqlalchemy import func, select

from brevefeed.archive import open_archive
from brevefeed.archive.models import Item, Source
from brevefeed.config import Config, IngestConfig, SiteConfig
from brevefeed.ingest.run import ingest
from brevefeed.ingest.sources import add_source

HOSTS = [f"127.0.0.{n}" for n in range(2, 52)]


def feed_body(n: int, entries: int) -> bytes:
    items = []
    for i in range(entries):
        items.append(
            f"""<item><title>Brève {n}-{i} : le conseil municipal adopte le budget</title>
<link>https://journal{n}.example.org/{i}</link><guid>journal{n}-{i}</guid>
<dc:creator>Claire Martin</dc:creator><category>Politique locale</category>
<pubDate>Tue, 04 Jun 2024 {i % 24:02d}:30:00 +0200</pubDate>
<description>Les élus ont voté après trois heures de débat.</description>
<content:encoded><![CDATA[<p>Le budget prévoit la rénovation de l’école et de la médiathèque.</p>
<p>Le maire a salué « un vote responsable », l’opposition réclame un audit.</p>
<p>Les travaux commenceront à l’automne, pour une livraison prévue en {2025 + i % 3}.</p>]]>
</content:encoded></item>"""
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Journal {n}</title><link>https://journal{n}.example.org/</link>"
        f"{''.join(items)}</channel></rss>"
    ).encode()


def serve(feeds: int, entries: int, latency: float, port: int, ready: object) -> None:
    bodies = {f"/feed/{n}.xml": feed_body(n, entries) for n in range(feeds)}

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
        ready.set()  # type: ignore[attr-defined]
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def url_of(n: int, port: int) -> str:
    return f"http://{HOSTS[n % len(HOSTS)]}:{port}/feed/{n}.xml"


class PeakRSS:
    """Samples the RSS of this process and its descendants (the parser processes)."""

    def __init__(self, exclude: set[int]):
        self.exclude = exclude
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, frontier = {os.getpid()}, [os.getpid()]
        while frontier:
            pid = frontier.pop()
            for child, parent in parents.items():
                if parent == pid and child not in tree and child not in self.exclude:
                    tree.add(child)
                    frontier.append(child)
        return list(tree)

    def _rss(self, pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def run(self) -> None:
        # Walking /proc is not free: the process tree is refreshed every 0.5 s, RSS read
        # every 0.1 s, so the sampler takes no measurable share of the two cores.
        tree: list[int] = []
        ticks = 0
        while not self.stop.is_set():
            if ticks % 5 == 0:
                tree = self._tree()
            self.peak = max(self.peak, sum(self._rss(pid) for pid in tree))
            ticks += 1
            time.sleep(0.1)

    def __enter__(self) -> PeakRSS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def naive_pass(db: sqlite3.Connection, feeds: int, port: int) -> int:
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
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--port", type=int, default=18_765)
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    server = context.Process(
        target=serve, args=(args.feeds, args.entries, args.latency, args.port, ready), daemon=True
    )
    server.start()
    if not ready.wait(60):
        sys.exit("the feed server did not start")
    folder = Path(tempfile.mkdtemp(prefix="brevefeed-bench-"))
    try:
        config = Config(
            site=SiteConfig(link="https://bench.example.org/"),
            ingest=IngestConfig(allow_private=True, parse_workers=2, concurrency=16),
        )
        archive = open_archive(f"sqlite:///{folder / 'archive.sqlite3'}")
        now = datetime.now(UTC)
        with archive.session() as session:
            for n in range(args.feeds):
                add_source(session, url_of(n, args.port), now)
        expected = args.feeds * args.entries

        with PeakRSS(exclude={server.pid or 0}) as memory:
            start = time.perf_counter()
            cold = ingest(archive, config, all_sources=True)
            cold_s = time.perf_counter() - start
        start = time.perf_counter()
        warm = ingest(archive, replace(config), all_sources=True)
        warm_s = time.perf_counter() - start
        with archive.session() as session:
            stored = session.scalar(select(func.count()).select_from(Item))
            distinct = session.scalar(
                select(func.count()).select_from(
                    select(Item.source_id, Item.entry_id).distinct().subquery()
                )
            )
            per_source = set(
                session.scalars(select(func.count(Item.id)).join(Source).group_by(Source.id)).all()
            )
        archive.close()

        naive_db = sqlite3.connect(folder / "naive.sqlite3")
        naive_db.execute(
            "CREATE TABLE items (source INTEGER, entry_id TEXT, title TEXT, link TEXT,"
            " summary TEXT, published TEXT, UNIQUE (source, entry_id))"
        )
        start = time.perf_counter()
        naive_cold_stored = naive_pass(naive_db, args.feeds, args.port)
        naive_cold_s = time.perf_counter() - start
        start = time.perf_counter()
        naive_warm_stored = naive_pass(naive_db, args.feeds, args.port)
        naive_warm_s = time.perf_counter() - start
        naive_db.close()
    finally:
        server.terminate()
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()

    print(f"workload: {args.feeds} feeds × {args.entries} entries, {args.latency * 1000:g} ms"
          f" per response, {len(HOSTS)} loopback hosts, {os.cpu_count()} CPUs,"
          f" load average at the end {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"brevefeed cold: {cold_s:6.2f} s  ({cold})")
    print(f"brevefeed warm: {warm_s:6.2f} s  ({warm})")
    print(f"naive cold:     {naive_cold_s:6.2f} s  ({naive_cold_stored} rows inserted)")
    print(f"naive warm:     {naive_warm_s:6.2f} s  ({naive_warm_stored} rows inserted)")
    print(f"speed-up cold:  {naive_cold_s / cold_s:6.1f}×  (target ≥ 4×)")
    print(f"speed-up warm:  {naive_warm_s / warm_s:6.1f}×  (target ≥ 25×)")
    print(f"peak RSS during the cold pass (process + parsers): {memory.peak / 2**20:.0f} MB"
          " (target < 300 MB)")  # fmt: skip
    exact = stored == distinct == expected and per_source == {args.entries}
    print(f"entries stored: {stored} of {expected}, {distinct} distinct;"
          f" every entry exactly once: {'yes' if exact else 'NO'}")  # fmt: skip
    ok = cold.errors == 0 and warm.not_modified == args.feeds and exact
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
