"""How long an ingest-like write waits for the archive while a full publish runs.

A first (full) publish of an archive of N generated brèves runs in a forked child. From the
moment it starts until it ends, the parent performs one write every 0.2 s — what `ingest`
does for an entry: insert an item of a followed source and link it to a brève (which stamps
the brève, taking the same locks as ingest's related pass) — and times each one from BEGIN to
COMMIT. Target: every write done in less than 1 s (before, publish held the write lock for its
whole run: about a minute at 100,000 brèves, past SQLite's 60 s busy timeout).

    python benchmarks/publish_lock.py                         # 100,000 brèves, SQLite
    python benchmarks/publish_lock.py 20000                   # another size
    python benchmarks/publish_lock.py --backend postgresql    # $BREVEFEED_TEST_POSTGRES_URL
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.models import Item, RelatedLink, Source
from brevefeed.config import Config, PublishConfig
from brevefeed.publish import publish
from pgschema import archive_schema
from publish import SITE, START, generate

TARGET_SECONDS = 1.0
#: Seconds between two writes: enough samples over a run, without flooding the archive.
SPACING = 0.2


def ingest_like(archive: Archive, source_id: int, n: int, breve_id: int) -> float:
    """One entry stored and linked, as `ingest` and its related pass do; seconds taken."""
    when = START + timedelta(days=20_000, seconds=n)
    started = time.perf_counter()
    with archive.session() as session:
        item = Item(
            source_id=source_id,
            entry_id=f"https://gazette.example/articles/{n}",
            link=f"https://gazette.example/articles/{n}",
            title=f"Le quai sera réaménagé, article {n}",
            summary_html="<p>Le conseil municipal a voté.</p>",
            fetched_at=when,
            content_hash=f"{n:064x}",
        )
        session.add(item)
        session.flush()
        session.add(
            RelatedLink(
                breve_id=breve_id,
                item_id=item.id,
                score=0.5,
                method="auto",
                state="linked",
                created_at=when,
            )
        )
    return time.perf_counter() - started


def add_source(archive: Archive) -> int:
    with archive.session() as session:
        source = Source(url="https://gazette.example/rss.xml", created_at=START)
        session.add(source)
        session.flush()
        return source.id


def run(url: str, size: int, folder: Path) -> tuple[float, list[tuple[float, float]]]:
    """Seconds the full publish took, and each write made while it ran: when it started
    (seconds into the publish) and how long it waited."""
    archive = open_archive(url)
    started = time.perf_counter()
    generate(archive, size)
    print(f"  generated {size:,} brèves in {time.perf_counter() - started:.1f} s", flush=True)
    source_id = add_source(archive)
    archive.close()
    config = Config(
        site=SITE,
        publish=PublishConfig(base_url="https://journal.example.org/flux/", output="public"),
        path=folder / "config.toml",
    )
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        child = open_archive(url)
        os.write(write, b"s")
        began = time.perf_counter()
        publish(child, config, now=START + timedelta(days=20_000))
        os.write(write, json.dumps(time.perf_counter() - began).encode())
        os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"s"
    began = time.perf_counter()
    writer = open_archive(url)
    waits: list[tuple[float, float]] = []
    try:
        while not select.select([read], [], [], SPACING)[0]:
            at = time.perf_counter() - began
            waited = ingest_like(writer, source_id, len(waits), 1 + len(waits) % size)
            waits.append((at, waited))
    finally:
        writer.close()
    with os.fdopen(read) as pipe:
        took = json.loads(pipe.read())
    os.waitpid(pid, 0)
    return float(took), waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int, nargs="?", default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("BREVEFEED_TEST_POSTGRES_URL", ""))
    args = parser.parse_args()
    if args.backend == "postgresql" and not args.postgres_url:
        sys.exit("--backend postgresql needs --postgres-url or $BREVEFEED_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        if args.backend == "postgresql":
            url, _kept = stack.enter_context(archive_schema(args.postgres_url))
        else:
            url = f"sqlite:///{folder / 'archive.sqlite3'}"
        print(f"full publish of {args.size:,} brèves ({args.backend})", flush=True)
        took, waits = run(url, args.size, folder)
    print(f"  publish took {took:.1f} s; {len(waits)} ingest-like writes meanwhile")
    if not waits:
        sys.exit("  no write ran during the publish: nothing measured")
    worst = max(waited for _at, waited in waits)
    print(
        f"  write wait: median {statistics.median(w for _a, w in waits) * 1000:.1f} ms,"
        f" max {worst * 1000:.1f} ms (target < {TARGET_SECONDS:g} s)"
    )
    slowest = sorted(waits, key=lambda w: w[1], reverse=True)[:3]
    print("  slowest: " + ", ".join(f"{w * 1000:.0f} ms at {a:.1f} s" for a, w in slowest))
    print(f"  {'met' if worst < TARGET_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    main()
