"""Import 10,000 generated brèves; time `list --limit 50` on archives of 1,000 and 100,000.

Baselines measured in the same run:
- import: one transaction per file (what a naive loop of `brevefeed add` does);
- list: a full scan (load every brève, sort in Python, keep 50), i.e. what listing costs
  without the (published_at, id) index.

Usage: python benchmarks/import_and_list.py [--files 10000] [--naive-files 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.models import Breve, BreveTag
from brevefeed.archive.queries import BreveFilter, list_breves
from brevefeed.config import SiteConfig
from brevefeed.importing import ImportContext, import_paths

WORDS = [
    "agression", "signalement", "plateforme", "association", "justice", "enquête", "modération",
    "forum", "victime", "plainte", "procédure", "parquet", "réseau", "prévention", "école",
    "numérique", "harcèlement", "rencontre", "police",
]  # fmt: skip
START = datetime(2015, 1, 1, tzinfo=UTC)


def sentence(n: int, length: int) -> str:
    return " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(length)).capitalize()


def write_files(folder: Path, count: int) -> None:
    for n in range(count):
        date = START + timedelta(hours=n)
        (folder / f"{n:05d}.md").write_text(
            f'+++\ntitle = "{sentence(n, 6)} n°{n}"\ndate = {date.isoformat()}\n'
            f'authors = ["Rédaction"]\ntags = ["{WORDS[n % 7]}", "{WORDS[n % 11]}"]\n'
            f'standfirst = "{sentence(n + 1, 18)}."\n+++\n'
            f"{sentence(n + 2, 60)} : 23.051 cas, l’œuvre « d’été ».\n\n{sentence(n + 3, 40)}.\n",
            encoding="utf-8",
        )


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def bench_import(workdir: Path, files: int, naive_files: int) -> None:
    source = workdir / "files"
    source.mkdir()
    write_files(source, files)
    context = ImportContext(site=SiteConfig(), editor="bench", now=datetime.now(UTC))

    archive = open_archive(f"sqlite:///{workdir / 'batched.sqlite3'}")
    batched = timed(lambda: import_paths(archive, [source], context))
    rerun = timed(lambda: import_paths(archive, [source], context))
    archive.close()

    naive_archive = open_archive(f"sqlite:///{workdir / 'naive.sqlite3'}")
    subset = sorted(source.iterdir())[:naive_files]
    naive = timed(lambda: [import_paths(naive_archive, [path], context) for path in subset])
    naive_archive.close()

    rate, naive_rate = files / batched, naive_files / naive
    print(f"import {files:,} files, batched transactions: {batched:.2f} s ({rate:,.0f} files/s)")
    print(f"re-import of the same {files:,} files (all unchanged): {rerun:.2f} s")
    print(
        f"naive, one transaction per file, {naive_files:,} files: {naive:.2f} s"
        f" ({naive_rate:,.0f} files/s); batched is {rate / naive_rate:.2f}x the naive rate"
    )


def fill(archive: Archive, count: int) -> None:
    """Bulk rows for the list benchmark only (the import path is measured above)."""
    batch = 5000
    with archive.session() as session:
        for first in range(0, count, batch):
            rows = [
                {
                    "uid": f"tag:bench.example,2015-01-01:breves/b{n}",
                    "slug": f"b{n}",
                    "title": sentence(n, 8),
                    "section": "Société",
                    "standfirst": sentence(n + 1, 20),
                    "body": sentence(n + 2, 80),
                    "body_html": f"<p>{sentence(n + 2, 80)}</p>",
                    "authors": ["Rédaction"],
                    "sources": [],
                    "language": "fr",
                    "status": "published",
                    "published_at": START + timedelta(minutes=n),
                    "updated_at": START + timedelta(minutes=n),
                }
                for n in range(first, min(first + batch, count))
            ]
            session.execute(insert(Breve), rows)
        ids = session.scalars(select(Breve.id)).all()
        session.execute(
            insert(BreveTag), [{"breve_id": i, "tag": WORDS[i % 7], "position": 0} for i in ids]
        )


def median_ms(func: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        samples.append(timed(func) * 1000)
    return statistics.median(samples)


def run_cli_list(url: str) -> None:
    """The whole command, as cron or an editor runs it (interpreter start-up included)."""
    config = Path(__file__).resolve().parents[1] / "config.toml"
    subprocess.run(
        [sys.executable, "-m", "brevefeed", "list", "--limit", "50", "--config", str(config)],
        env=dict(os.environ, BREVEFEED_DATABASE_URL=url),
        check=True,
        capture_output=True,
    )


def bench_list(workdir: Path, sizes: list[int]) -> None:
    results = {}
    for size in sizes:
        url = f"sqlite:///{workdir / f'list-{size}.sqlite3'}"
        archive = open_archive(url)
        fill(archive, size)

        def indexed(archive: Archive = archive) -> None:
            with archive.session() as session:
                assert len(list_breves(session.connection(), BreveFilter(), limit=50)) == 50

        def by_tag(archive: Archive = archive) -> None:
            with archive.session() as session:
                assert (
                    len(list_breves(session.connection(), BreveFilter(tag=WORDS[3]), limit=50))
                    == 50
                )

        def scan(archive: Archive = archive) -> None:
            with archive.session() as session:
                everything = session.scalars(select(Breve)).all()
                newest = sorted(everything, key=lambda b: (b.published_at, b.id), reverse=True)
                assert len(newest[:50]) == 50

        with archive.session() as session:
            plan = session.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT * FROM breves ORDER BY published_at DESC, id DESC"
                    " LIMIT 50"
                )
            ).all()
        cli_ms = median_ms(lambda url=url: run_cli_list(url), 5)
        results[size] = (median_ms(indexed, 50), median_ms(by_tag, 50), median_ms(scan, 3), cli_ms)
        archive.close()
        print(f"query plan at {size:,}: {' / '.join(row[-1] for row in plan)}")
    for size, (indexed_ms, tag_ms, scan_ms, cli_ms) in results.items():
        print(
            f"list --limit 50 on {size:>7,} brèves: {indexed_ms:6.2f} ms (--tag: {tag_ms:6.2f} ms),"
            f" full scan {scan_ms:9.1f} ms ({scan_ms / indexed_ms:,.0f}x slower);"
            f" whole `brevefeed list` command {cli_ms:.0f} ms"
        )
    small, large = results[sizes[0]][0], results[sizes[-1]][0]
    print(f"growth of list from {sizes[0]:,} to {sizes[-1]:,} brèves: {large / small:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--naive-files", type=int, default=1_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_import(Path(folder), args.files, args.naive_files)
        bench_list(Path(folder), args.sizes)


if __name__ == "__main__":
    main()
