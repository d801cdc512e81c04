"""The `ingest` and `sources` commands, through click, against a real local server."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from brevefeed.archive import db
from brevefeed.cli import cli
from feedserver import FeedServer, Reply

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


@pytest.fixture
def instance(tmp_path: Path, feed_server: FeedServer, archive_url: str) -> Path:
    feed_server.routes["/gazette.rss"] = Reply(body=(FEEDS / "observatoire.rss").read_bytes())
    feed_server.routes["/panne"] = Reply(500)
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[site]
link = "https://breves.example.org/"

[archive]
url = "{archive_url}"

[ingest]
allow_private = true
timeout = 2.0
parse_workers = 0

[[sources]]
url = "{feed_server.url("/gazette.rss")}"
name = "La Gazette"

[[sources]]
url = "{feed_server.url("/panne")}"
""",
        encoding="utf-8",
    )
    return config


def _run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args, "--config", str(config)])
    return result.exit_code, result.stdout, result.stderr


def test_ingest_summary_quiet_and_list(instance: Path) -> None:
    code, out, err = _run(instance, "ingest")
    assert code == 0  # a failing source is normal life
    assert "1 sources fetched, 0 not modified, 3 new items, 0 updated items, 1 errors" in out
    assert "HTTP 500" in err
    code, out, err = _run(instance, "ingest", "--all", "--quiet")
    assert (code, out, err) == (0, "", "")
    code, out, _ = _run(instance, "sources", "list", "--format", "json")
    records = {r["name"]: r for r in json.loads(out)}
    assert records["La Gazette"]["items"] == 3 and records["La Gazette"]["last_status"] == 200
    assert records[""]["status"] == "failing" and records[""]["consecutive_errors"] == 2
    code, out, _ = _run(instance, "sources", "list")
    assert code == 0 and "La Gazette" in out and "HTTP 500" in out


def test_add_discovers_and_manages_sources(instance: Path, feed_server: FeedServer) -> None:
    page = (FEEDS / "page.html").read_bytes()
    feed_server.routes["/site/"] = Reply(body=page, headers={"Content-Type": "text/html"})
    feed_server.routes["/rss.xml"] = Reply(body=(FEEDS / "vigie.atom").read_bytes())
    code, out, _ = _run(instance, "sources", "add", feed_server.url("/site/"), "--name", "Vigie")
    assert code == 0 and f"following {feed_server.url('/rss.xml')}" in out
    code, _, err = _run(instance, "sources", "add", feed_server.url("/rss.xml"))
    assert code == 1 and err.count("\n") == 1 and "already followed" in err
    assert _run(instance, "sources", "disable", "Vigie")[0] == 0
    _run(instance, "ingest")
    assert feed_server.hits("/rss.xml") == 1  # only the discovery fetch
    assert _run(instance, "sources", "enable", "Vigie")[0] == 0
    _run(instance, "ingest", "--source", "Vigie")
    assert feed_server.hits("/rss.xml") == 2
    code, out, _ = _run(instance, "sources", "remove", "Vigie")
    assert code == 0 and "removed" in out and "1 items" in out
    code, _, err = _run(instance, "sources", "remove", "La Gazette")
    assert code == 1 and "config.toml" in err


@pytest.mark.parametrize("url", ["http://0177.0.0.1/feed", "http://example.com:99999/feed"])
def test_add_refuses_a_bad_url_in_one_line(instance: Path, url: str) -> None:
    for extra in ([], ["--no-discover"]):
        code, out, err = _run(instance, "sources", "add", url, *extra)
        assert code == 1 and out == "" and err.count("\n") == 1
        assert "not a URL brevefeed follows" in err and "Traceback" not in err


def test_a_discovered_feed_with_a_bad_url_is_not_followed(
    instance: Path, feed_server: FeedServer
) -> None:
    page = b'<link rel="alternate" type="application/rss+xml" href="http://0177.0.0.1/feed">'
    feed_server.routes["/page/"] = Reply(body=page, headers={"Content-Type": "text/html"})
    code, _, err = _run(instance, "sources", "add", feed_server.url("/page/"))
    assert code == 1 and err.count("\n") == 1 and "declares no feed" in err


def test_add_refuses_a_url_that_cannot_be_fetched_unless_forced(
    instance: Path, feed_server: FeedServer
) -> None:
    """A 404 was followed « as given » with exit 0: most often a typo."""
    missing = feed_server.url("/nulle-part.xml")
    code, out, err = _run(instance, "sources", "add", missing)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("brevefeed: error: ") and "HTTP 404" in err and "--force" in err
    code, out, _ = _run(instance, "sources", "list", "--format", "json")
    assert missing not in out
    code, out, err = _run(instance, "sources", "add", missing, "--force", "--name", "Plus tard")
    assert code == 0 and "following it as given" in err
    assert missing in _run(instance, "sources", "list", "--format", "json")[1]


def test_a_source_with_keywords_keeps_only_its_matching_items(
    instance: Path, feed_server: FeedServer
) -> None:
    """`--keywords` said « keep items mentioning one » but kept all under keep = "all"."""
    feed_server.routes["/vigie.atom"] = Reply(body=(FEEDS / "vigie.atom").read_bytes())
    url = feed_server.url("/vigie.atom")
    code, _, _ = _run(instance, "sources", "add", url, "--name", "Vigie", "--keywords", "licorne")
    assert code == 0
    _run(instance, "ingest", "--source", "Vigie")
    records = {
        r["name"]: r
        for r in json.loads(_run(instance, "sources", "list", "-q", "--format", "json")[1])
    }
    assert records["Vigie"]["items"] == 0  # no item mentions a unicorn
    assert records["Vigie"]["keeps"] == "mentioning: licorne"
    assert records["La Gazette"]["keeps"] == "all"


def test_unknown_source_is_exit_3(instance: Path) -> None:
    code, _, err = _run(instance, "ingest", "--source", "Inconnue")
    assert code == 3 and err.startswith("brevefeed: error: no source") and "Traceback" not in err


def test_opml_import_and_export(instance: Path, tmp_path: Path) -> None:
    code, out, err = _run(instance, "sources", "import", str(FEEDS / "abonnements.opml"))
    # The ftp:// outline is refused in one line (exit 1: part of the input was bad), the
    # others are followed.
    assert code == 1 and "2 sources added, 0 already followed, 1 refused (bad URL)" in out
    assert err.count("\n") == 1 and "'ftp://archive.example.com/flux' skipped" in err
    target = tmp_path / "out.opml"
    code, out, _ = _run(instance, "sources", "export", "-o", str(target))
    assert code == 0 and "exported 4 sources" in out
    text = target.read_text(encoding="utf-8")
    assert 'xmlUrl="https://vigie.example.org/atom.xml"' in text and "La Gazette" in text


def test_opml_keeps_keywords_and_the_site_url(
    instance: Path, tmp_path: Path, feed_server: FeedServer
) -> None:
    """Export wrote the feed's id (urn:…) as htmlUrl and dropped keywords."""
    feed = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id><title>Vigie</title>"
        b'<link rel="alternate" href="https://vigie.example.org/"/>'
        b"<updated>2024-01-01T00:00:00Z</updated></feed>"
    )
    # An Atom feed without a site link: feedparser gives its <id> as the feed's link.
    no_site = feed.replace(b'<link rel="alternate" href="https://vigie.example.org/"/>', b"")
    no_site = no_site.replace(
        b"urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6", b"https://ids.example.org/flux/42"
    )
    feed_server.routes["/vigie.atom"] = Reply(body=feed)
    feed_server.routes["/sans-site.atom"] = Reply(body=no_site)
    for path, name in (("/vigie.atom", "Vigie"), ("/sans-site.atom", "Sans site")):
        url = feed_server.url(path)
        keywords = ["--keywords", "haine en ligne, harcèlement"] if name == "Vigie" else []
        assert _run(instance, "sources", "add", url, "--name", name, *keywords)[0] == 0
        _run(instance, "ingest", "--source", name)
    target = tmp_path / "out.opml"
    assert _run(instance, "sources", "export", "-o", str(target))[0] == 0
    text = target.read_text(encoding="utf-8")
    assert 'htmlUrl="https://vigie.example.org/"' in text
    assert "ids.example.org" not in text  # an id is no web site
    assert 'brevefeed:keywords="haine en ligne, harcèlement"' in text
    assert 'xmlns:brevefeed="' in text
    for name in ("Vigie", "Sans site"):
        _run(instance, "sources", "remove", name)
    code, out, _ = _run(instance, "sources", "import", str(target))
    assert code == 0 and "2 sources added" in out
    records = {
        r["name"]: r for r in json.loads(_run(instance, "sources", "list", "--format", "json")[1])
    }
    assert records["Vigie"]["keeps"] == "mentioning: haine en ligne, harcèlement"


def test_export_includes_sources_and_items(instance: Path) -> None:
    _run(instance, "ingest")
    code, out, _ = _run(instance, "export")
    kinds = [json.loads(line)["kind"] for line in out.splitlines()]
    assert code == 0 and kinds.count("source") == 2 and kinds.count("item") == 3


def test_bad_ingest_config_is_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ingest]\nkeep = "parfois"\n', encoding="utf-8")
    code, _, err = _run(config, "ingest")
    assert code == 2 and "ingest.keep" in err


def test_help_has_examples() -> None:
    for args in (["ingest"], ["sources"], ["sources", "add"], ["sources", "list"]):
        result = CliRunner().invoke(cli, [*args, "--help"])
        assert result.exit_code == 0 and "Example" in result.output


def test_backfill_with_all_is_a_usage_error(instance: Path) -> None:
    code, _, err = _run(instance, "ingest", "--all", "--backfill", "La Gazette")
    assert code == 2 and "--backfill cannot be combined" in err


def test_backfill_from_the_command_line(instance: Path) -> None:
    code, out, _ = _run(instance, "ingest", "--backfill", "La Gazette")
    assert code == 0 and "1 sources fetched" in out and "3 new items" in out


def test_missing_opml_file_is_one_line(instance: Path, tmp_path: Path) -> None:
    code, _, err = _run(instance, "sources", "import", str(tmp_path / "absent.opml"))
    assert code == 1 and err.count("\n") == 1 and "cannot read" in err


def test_quiet_commands_print_nothing(instance: Path) -> None:
    assert _run(instance, "sources", "disable", "La Gazette", "--quiet") == (0, "", "")
    assert _run(instance, "sources", "enable", "La Gazette", "--quiet") == (0, "", "")


def test_sources_list_reads_while_another_run_holds_the_write_lock(
    instance: Path, archive_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sources list` used to bring config.toml's sources into the archive on every call, in
    a write transaction: behind a long ingest it waited for the lock, then failed."""
    if not archive_url.startswith("sqlite"):
        pytest.skip("the SQLite write lock is what this test holds")
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    assert _run(instance, "sources", "list", "--format", "json")[0] == 0  # config written
    holder = sqlite3.connect(archive_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, out, err = _run(instance, "sources", "list", "--format", "json")
        exported = _run(instance, "sources", "export")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (code, err) == (0, "")
    assert [s["name"] for s in json.loads(out)] == ["La Gazette", ""]
    assert exported[0] == 0 and "La Gazette" in exported[1]


def test_sources_list_shows_a_source_just_added_to_the_config(instance: Path) -> None:
    assert _run(instance, "sources", "list", "--format", "json")[0] == 0
    text = instance.read_text(encoding="utf-8")
    instance.write_text(
        text + '\n[[sources]]\nurl = "https://nouveau.example.org/feed.xml"\nname = "Nouveau"\n',
        encoding="utf-8",
    )
    code, out, _ = _run(instance, "sources", "list", "--format", "json")
    assert code == 0
    assert "Nouveau" in [s["name"] for s in json.loads(out)]
