"""Sources and items travel through `export` / `import`: the whole archive round-trips."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.exchange import export_lines, restore_line
from brevefeed.config import Config, SourceConfig
from brevefeed.errors import InputError
from brevefeed.importing import ImportContext, import_paths
from brevefeed.ingest.run import ingest
from feedserver import FeedServer, Reply

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def _fill(archive: Archive, config: Config, server: FeedServer) -> None:
    server.routes["/a.rss"] = Reply(body=(FEEDS / "observatoire.rss").read_bytes(), etag='"e"')
    server.routes["/b.atom"] = Reply(body=(FEEDS / "vigie.atom").read_bytes())
    server.routes["/c.rss"] = Reply(body=(FEEDS / "dates.rss").read_bytes())
    server.routes["/gone"] = Reply(410)
    sources = tuple(
        SourceConfig(url=server.url(p), name=p, keywords=["élue"] if p == "/b.atom" else [])
        for p in ("/a.rss", "/b.atom", "/c.rss", "/gone")
    )
    ingest(archive, dataclasses.replace(config, sources=sources))


def test_export_import_export_is_byte_identical(
    archive: Archive,
    ingest_config: Config,
    feed_server: FeedServer,
    tmp_path: Path,
    context: ImportContext,
) -> None:
    _fill(archive, ingest_config, feed_server)
    with archive.session() as session:
        first = "\n".join(export_lines(session)) + "\n"
    kinds = [json.loads(line)["kind"] for line in first.splitlines()]
    assert kinds.count("source") == 4 and kinds.count("item") == 9
    assert kinds.index("item") > max(i for i, k in enumerate(kinds) if k == "source")
    dump = tmp_path / "export.jsonl"
    dump.write_text(first, encoding="utf-8")
    copy = open_archive(f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    try:
        summary = import_paths(copy, [dump], context)
        assert (summary.created, summary.failed) == (13, 0)
        with copy.session() as session:
            second = "\n".join(export_lines(session)) + "\n"
        assert second == first
        again = import_paths(copy, [dump], context)
        assert (again.unchanged, again.created, again.updated) == (13, 0, 0)
    finally:
        copy.close()


def test_item_of_an_unknown_source_is_refused(archive: Archive) -> None:
    record = {
        "kind": "item", "source": "https://nulle-part.example/rss", "id": "x", "link": "",
        "title": "t", "authors": [], "summary_html": "", "content_html": "", "categories": [],
        "published": None, "updated": None, "raw_date": None,
        "fetched": datetime(2024, 6, 1, tzinfo=UTC).isoformat(), "content_hash": "0",
    }  # fmt: skip
    with archive.session() as session, pytest.raises(InputError, match="unknown source"):
        restore_line(session, json.dumps(record))


def test_source_record_with_unknown_key_or_bad_origin_is_refused(archive: Archive) -> None:
    with archive.session() as session:
        with pytest.raises(InputError, match="unknown key 'colour'"):
            restore_line(session, json.dumps({"kind": "source", "colour": "bleu"}))
        with pytest.raises(InputError, match="origin"):
            restore_line(
                session,
                json.dumps({"kind": "source", "url": "https://u.example/rss", "origin": "moi"}),
            )
