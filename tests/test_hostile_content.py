"""Hostile content, end to end: characters XML forbids, javascript:/data: links and one guid on
several articles, through ingest (real loopback server), import, export restore and publish,
on SQLite and PostgreSQL. Whatever gets in, every published file stays well-formed XML or JSON
and no link a browser would run reaches a reader."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.cli import cli
from feedserver import FeedServer, Reply

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)

HOSTILE_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>La Gazette&#11; du Midi</title>
  <link>javascript:alert('site')</link>
  <item>
    <title>Forum&#11; fermé&#12; par la justice&#8;</title>
    <link>javascript:alert(1)</link>
    <guid isPermaLink="false">meme-guid</guid>
    <description>&lt;p&gt;Le forum&amp;#11; est fermé.
      &lt;a href="javascript:alert(2)"&gt;voir&lt;/a&gt;&lt;/p&gt;</description>
  </item>
  <item>
    <title>Deuxième article, même guid</title>
    <link>https://gazette.example/deux</link>
    <guid isPermaLink="false">meme-guid</guid>
    <description>Autre chose.</description>
  </item>
  <item>
    <title>Troisième article, même guid</title>
    <link>data:text/html,&lt;script&gt;alert(3)&lt;/script&gt;</link>
    <guid isPermaLink="false">meme-guid</guid>
    <description>Encore autre chose.</description>
  </item>
</channel></rss>
"""

HOSTILE_JSON = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Le Quotidien\u000b\ud800",
        "home_page_url": "https://quotidien.example/",
        "items": [
            {
                "id": "q-1\u000b",
                "url": "https://quotidien.example/forum",
                "title": "Le forum\u000b ferm\ud800é",
                "content_html": "<p>Texte\u000b\ud800 &#11;</p>",
                "authors": [{"name": "Camille\u0000 Durand"}],
                "tags": ["justice\u000b"],
            }
        ],
    }
).encode("ascii")

BREVE = """+++
title = "Le forum\\u000b fermé\\u0000 par la justice"
authors = ["Jeanne\\u0000 Martin"]
tags = ["justice\\u000b"]
standfirst = "Un chapô\\u000b"
+++
Le **forum** est fermé.\u000b
"""


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--config", str(config)])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def instance(tmp_path: Path, feed_server: FeedServer, archive_url: str) -> Path:
    feed_server.routes["/gazette.rss"] = Reply(body=HOSTILE_RSS.encode("utf-8"))
    feed_server.routes["/quotidien.json"] = Reply(
        body=HOSTILE_JSON, headers={"Content-Type": "application/feed+json"}
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[site]
title = "Le Journal"
link = "https://journal.example.org/"

[archive]
url = "{archive_url}"

[publish]
base_url = "https://journal.example.org/flux/"
output = "www"

[ingest]
allow_private = true
timeout = 2.0
parse_workers = 0

[[sources]]
url = "{feed_server.url("/gazette.rss")}"

[[sources]]
url = "{feed_server.url("/quotidien.json")}"
""",
        encoding="utf-8",
    )
    return config


def _link_every_item(archive_url: str) -> None:
    archive = open_archive(archive_url)
    try:
        with archive.session() as session:
            breve_id = session.scalars(select(Breve.id)).one()
            for item_id in session.scalars(select(Item.id)):
                session.merge(
                    RelatedLink(
                        breve_id=breve_id,
                        item_id=item_id,
                        score=1.0,
                        method="manual",
                        state="linked",
                        created_at=NOW,
                    )
                )
    finally:
        archive.close()


def assert_output_is_safe(folder: Path) -> None:
    """Every file parses (XML with lxml, JSON with json) and none holds a javascript: link."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".xml" for p in files) and any(p.suffix == ".json" for p in files)
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".json":
            json.loads(data.decode("utf-8"))
        elif path.suffix == ".xml":
            etree.fromstring(data)
        assert b"javascript:" not in data.lower(), path
        assert b"data:text" not in data.lower(), path


def test_poisoned_feeds_and_brief_ingest_import_and_publish(
    instance: Path, archive_url: str
) -> None:
    brief = instance.parent / "forum.md"
    brief.write_text(BREVE, encoding="utf-8")
    code, _out, err = run(instance, "import", str(brief))
    assert code == 0, err
    code, out, err = run(instance, "ingest")
    assert code == 0, err
    assert "2 sources fetched" in out and "0 errors" in out
    _link_every_item(archive_url)
    code, _out, err = run(instance, "publish")
    assert code == 0, err
    assert_output_is_safe(instance.parent / "www")

    archive = open_archive(archive_url)
    try:
        with archive.session() as session:
            breve = session.scalars(select(Breve)).one()
            assert breve.title == "Le forum fermé par la justice"
            assert (breve.authors, breve.tags) == (["Jeanne Martin"], ["justice"])
            items = {i.title: i for i in session.scalars(select(Item))}
            gazette = session.scalars(select(Source).where(Source.url.like("%gazette%"))).one()
            assert gazette.site_link == ""
    finally:
        archive.close()
    # One guid, three different articles: three items, the later two under their link or hash.
    assert set(items) == {
        "Forum fermé par la justice",
        "Deuxième article, même guid",
        "Troisième article, même guid",
        "Le forum fermé",
    }
    assert items["Forum fermé par la justice"].entry_id == "meme-guid"
    assert items["Deuxième article, même guid"].entry_id == "https://gazette.example/deux"
    assert items["Troisième article, même guid"].entry_id.startswith("sha256:")
    assert items["Forum fermé par la justice"].link == ""
    assert "javascript" not in items["Forum fermé par la justice"].summary_html
    assert items["Le forum fermé"].entry_id == "q-1"

    code, out, _err = run(instance, "sources", "list", "--format", "json")
    counts = {r["url"].rsplit("/", 1)[1]: r for r in json.loads(out)}
    # two item links and the site link refused; two entries given another id
    assert (counts["gazette.rss"]["dropped_links"], counts["gazette.rss"]["id_collisions"]) == (
        3,
        2,
    )
    assert (
        counts["quotidien.json"]["dropped_links"],
        counts["quotidien.json"]["id_collisions"],
    ) == (
        0,
        0,
    )
    code, out, _err = run(instance, "sources", "list", "--format", "table")
    assert code == 0 and "id clashes" in out and "links dropped" in out


def test_a_bad_string_already_in_the_archive_cannot_stop_publish(
    instance: Path, archive_url: str
) -> None:
    """Rows written before the filters existed (or by hand): publish still writes valid files."""
    code, _out, err = run(instance, "import", str(Path(__file__).parent / "fixtures" / "publish"))
    assert code == 0, err
    archive = open_archive(archive_url)
    try:
        with archive.session() as session:
            breve = session.scalars(select(Breve).order_by(Breve.id)).first()
            assert breve is not None
            breve.title = "Titre\x0b piégé\ufffe"
            breve.body_html = '<p>corps\x0c</p><a href="javascript:alert(1)">x</a>'
            source = Source(
                url="https://gazette.example/rss", site_link="javascript:alert('site')",
                title="Gazette\x08", created_at=NOW,
            )  # fmt: skip
            session.add(source)
            session.flush()
            item = Item(
                source_id=source.id, entry_id="g\x0b1", link="javascript:alert(2)",
                title="javascript:alert(2)", authors=["A\x0b"], summary_html="",
                content_html='<p>x\x0b</p><img src="javascript:alert(3)">', categories=[],
                fetched_at=NOW, content_hash="0",
            )  # fmt: skip
            session.add(item)
            session.flush()
            session.add(
                RelatedLink(
                    breve_id=breve.id, item_id=item.id, score=1.0, method="manual",
                    state="linked", created_at=NOW,
                )
            )  # fmt: skip
    finally:
        archive.close()
    code, _out, err = run(instance, "publish")
    assert code == 0, err
    out = instance.parent / "www"
    assert_output_is_safe(out)
    assert "Titre piégé" in (out / "atom.xml").read_text(encoding="utf-8")


def _export_lines(archive: Archive) -> list[str]:
    from brevefeed.archive.exchange import export_lines

    with archive.session() as session:
        return list(export_lines(session))


def test_restoring_an_export_checks_it_like_any_input(
    instance: Path, archive_url: str, tmp_path: Path
) -> None:
    source = {
        "kind": "source", "url": "https://gazette.example/rss", "declared_url": "",
        "name": "Gazette\u000b", "title": "", "site_link": "javascript:alert(0)", "enabled": True,
        "origin": "cli", "keywords": [], "exclude": [], "interval": None,
        "created": NOW.isoformat(), "etag": None, "last_modified": None, "last_fetch": None,
        "last_status": None, "last_success": None, "consecutive_errors": 0, "last_error": None,
        "next_fetch": None, "gone": False, "retry_after": None,
        "pending_redirect": "javascript:alert(1)", "body_hash": None,
    }  # fmt: skip
    bad_source = {**source, "url": "javascript:alert('source')"}
    item = {
        "kind": "item", "source": "https://gazette.example/rss", "id": "a\ud800",
        "link": "javascript:alert(2)", "title": "Titre\u000b", "authors": ["A\u0000"],
        "summary_html": "<script>alert(3)</script><p>ok</p>",
        "content_html": '<a href="javascript:alert(4)" onclick="x()">lien</a>',
        "categories": [], "published": None, "updated": None, "raw_date": None,
        "fetched": NOW.isoformat(), "content_hash": "0",
    }  # fmt: skip
    export = tmp_path / "export.jsonl"
    export.write_text(
        "\n".join(json.dumps(r) for r in (source, bad_source, item)) + "\n", encoding="utf-8"
    )
    code, _out, err = run(instance, "import", str(export))
    assert code == 1  # ExitCode.PARTIAL: one record refused, the others restored
    errors = err.strip().splitlines()
    assert len(errors) == 1 and ":2:" in errors[0] and "key 'url'" in errors[0]
    archive = open_archive(archive_url)
    try:
        with archive.session() as session:
            restored = session.scalars(select(Source)).one()
            assert (restored.name, restored.site_link) == ("Gazette", "")
            assert restored.pending_redirect is None
            row = session.scalars(select(Item)).one()
            assert (row.entry_id, row.link, row.title, row.authors) == ("a", "", "Titre", ["A"])
            assert "script" not in row.summary_html and "ok" in row.summary_html
            assert "javascript" not in row.content_html and "onclick" not in row.content_html
        assert not any("\ud800" in line or "\x0b" in line for line in _export_lines(archive))
    finally:
        archive.close()
