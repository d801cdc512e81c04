"""Every poisoned entry of issue 11 at once, beside a healthy feed, through the whole newsroom.

One RSS feed mixes them (a title with &#11;, a link to port 99999, dates in year 1, in year 9999
and with a +9999 offset, javascript: links, a title that is rich markup, three articles sharing
one guid) with good entries; a JSON Feed carries a lone surrogate and a \\u000b. Ingest must
keep the healthy feed's items and the good entries, and every later command must exit as README
documents, on a terminal too, publishing only well-formed files without a javascript: link.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from brevefeed.archive import open_archive
from brevefeed.archive.models import Item
from brevefeed.cli import cli
from conftest import FIXTURES
from feedserver import FeedServer, Reply
from hostile import RAW_CONTROLS, check_output

HEALTHY = (FIXTURES / "feeds" / "observatoire.rss").read_bytes()
HEALTHY_TITLES = {
    "Harcèlement en ligne : une plateforme condamnée à Lyon",
    "Des messages homophobes signalés en masse après un match",
    "Le marché des objets connectés ralentit",
}
GOOD_TITLES = {"Forum fermé : la bonne entrée du flux piégé", "Forum fermé : la bonne entrée JSON"}
SHARED_GUID_LINKS = {f"https://piege.example.org/forum/article-{n}" for n in (1, 2, 3)}


def _item(title: str, link: str, guid: str, date: str = "Tue, 04 Jun 2024 10:00:00 GMT") -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
        f"<pubDate>{date}</pubDate><description>&lt;p&gt;Le forum de rencontres a fermé"
        f' après une enquête. &lt;a href="javascript:steal()"&gt;lien&lt;/a&gt;&lt;/p&gt;'
        f"</description></item>"
    )


POISONED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
    "<title>Le Piège</title><link>javascript:alert(document.domain)</link>"
    "<description>piégé</description>"
    + _item("Forum fermé : la bonne entrée du flux piégé", "https://piege.example.org/bon", "bon")
    + _item("Forum fermé&#11; : un titre &#12;interdit&#8;", "https://piege.example.org/vt", "vt")
    + _item("Forum fermé : port impossible", "http://example.com:99999/a", "port")
    + _item(
        "Forum fermé : an 1", "https://piege.example.org/an1", "an1",
        "0001-01-01T00:00:00+01:00",
    )
    + _item(
        "Forum fermé : an 9999", "https://piege.example.org/an9999", "an9999",
        "9999-12-31T23:59:59-05:00",
    )
    + _item(
        "Forum fermé : fuseau absurde", "https://piege.example.org/tz", "tz",
        "4 juin 2024 14h30 +9999",
    )
    + _item("Forum fermé : lien javascript", "javascript:alert(1)", "js")
    + _item("Le Journal [/bold] : forum fermé", "https://piege.example.org/markup", "markup")
    + "".join(
        _item(f"Forum fermé : article {n} au guid partagé", link, "guid-partage")
        for n, link in enumerate(sorted(SHARED_GUID_LINKS), start=1)
    )
    + "</channel></rss>"
).encode()  # fmt: skip

POISONED_JSON = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Le Piège JSON",
        "home_page_url": "javascript:alert(1)",
        "items": [
            {
                "id": "surrogate",
                "url": "https://piege.example.org/json/surrogate",
                "title": "\ud800",
                "content_text": "Le forum de rencontres a fermé.",
            },
            {
                "id": "vt",
                "url": "https://piege.example.org/json/vt",
                "title": "Forum fermé\u000b : contrôle",
                "content_html": '<p>Le forum a fermé. <a href="javascript:x()">x</a></p>',
            },
            {
                "id": "bon",
                "url": "https://piege.example.org/json/bon",
                "title": "Forum fermé : la bonne entrée JSON",
                "content_text": "Le forum de rencontres a fermé après une enquête.",
                "date_published": "2024-06-04T12:00:00+02:00",
            },
        ],
    }
).encode()  # json.dumps writes the surrogate as \ud800, as a hostile server would

BREVE = """+++
title = "Le forum de rencontres ferme après une enquête"
date = 2024-06-04T18:00:00+02:00
tags = ["forum"]
+++
Le forum de rencontres a fermé après une enquête sur des agressions.
"""


@pytest.fixture
def instance(tmp_path: Path, feed_server: FeedServer, archive_url: str) -> Path:
    feed_server.routes["/sain.rss"] = Reply(body=HEALTHY)
    feed_server.routes["/piege.rss"] = Reply(body=POISONED)
    feed_server.routes["/piege.json"] = Reply(body=POISONED_JSON)
    sources = "".join(
        f'[[sources]]\nurl = "{feed_server.url(path)}"\nname = "{name}"\n'
        for path, name in (("/sain.rss", "Sain"), ("/piege.rss", "Piège"), ("/piege.json", "JSON"))
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[site]\ntitle = "Brèves"\nlink = "https://breves.example.org/"\n'
        f'[archive]\nurl = "{archive_url}"\n'
        '[publish]\nbase_url = "https://breves.example.org/flux/"\noutput = "public"\n'
        "[related]\nthreshold = 0.0\n"
        f"[ingest]\nallow_private = true\ntimeout = 5.0\nparse_workers = 0\n{sources}",
        encoding="utf-8",
    )
    (tmp_path / "forum.md").write_text(BREVE, encoding="utf-8")
    return config


def _run(config: Path, *args: str, terminal: bool = False) -> Result:
    env = {"TTY_COMPATIBLE": "1" if terminal else "0", "FORCE_COLOR": None}
    result = CliRunner(env=env).invoke(cli, [*args, "--config", str(config)])
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        result.exception,
    )
    assert "Traceback" not in output, output
    for line in result.stderr.splitlines():
        assert line.startswith(("brevefeed: ", "  ")), (args, line)
    for raw in RAW_CONTROLS:
        assert raw not in output, (args, raw)
    return result


def _stored(archive_url: str) -> list[tuple[str, str]]:
    archive = open_archive(archive_url)
    try:
        with archive.session(write=False) as session:
            return [(i.title, i.link) for i in session.scalars(select(Item))]
    finally:
        archive.close()


def test_poisoned_feeds_beside_a_healthy_one(instance: Path, archive_url: str) -> None:
    assert _run(instance, "import", str(instance.parent / "forum.md")).exit_code == 0
    for _ in range(2):  # a poisoned entry must not fail the next run either
        assert _run(instance, "ingest", "--all").exit_code == 0
    stored = _stored(archive_url)
    titles = {title for title, _ in stored}
    assert titles >= HEALTHY_TITLES | GOOD_TITLES
    assert "Le Journal [/bold] : forum fermé" in titles
    assert {link for _, link in stored} >= SHARED_GUID_LINKS  # kept apart, not overwritten
    assert all(not link or link.startswith(("https://", "http://")) for _, link in stored)
    assert not any("example.com:99999" in link for _, link in stored)

    slug = json.loads(_run(instance, "list", "--format", "json").stdout)[0]["slug"]
    archive = open_archive(archive_url)
    try:
        with archive.session(write=False) as session:
            ids = list(session.scalars(select(Item.id)))
    finally:
        archive.close()
    for item_id in ids:  # every item in « À lire aussi » and the press-review feeds
        assert _run(instance, "relate", slug, str(item_id)).exit_code == 0

    for _ in range(2):
        assert _run(instance, "publish").exit_code == 0
    check_output(instance.parent / "public")
    assert (instance.parent / "public" / "related.xml").exists()

    for terminal in (False, True):
        for args, code in (
            (("search", "forum fermé"), 0),
            (("search", "forum", "--all-items", "--format", "json"), 0),
            (("sources", "list"), 0),
            (("sources", "list", "--format", "json"), 0),
            (("related", slug), 0),
            (("stories", "--min-outlets", "1"), 0),
            (("list",), 0),
            (("show", slug), 0),
        ):
            result = _run(instance, *args, terminal=terminal)
            assert result.exit_code == code, (args, terminal, result.output)
        shown = _run(instance, "sources", "list", terminal=terminal).stdout
        assert "Piège" in shown and "Sain" in shown
