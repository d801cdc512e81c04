"""Documents built from plain entries: every field read back by feedparser, the Atom schema and
rules, the RSS rules, and none of feedgen's defaults leaking through."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from brevefeed.publish.build import (
    EMPTY_UPDATED,
    Meta,
    build_atom,
    build_json,
    build_press_atom,
    build_press_json,
    build_press_rss,
    build_rss,
    document_updated,
    names_line,
)
from brevefeed.publish.store import Entry, PressItem, RelatedRef, Tombstone
from feedcheck import NS, jing_validate, rss_rule_failures, schematron_failures

SITE = "https://journal.example.org/"
BASE = "https://journal.example.org/flux/"
URLS = {"rss": BASE + "feed.xml", "atom": BASE + "atom.xml", "json": BASE + "feed.json"}

ENTRIES = [
    Entry(
        uid="tag:journal.example.org,2024-04-28:breves/piscine",
        title="Piscine municipale : réouverture le 2 mai",
        standfirst="Après huit mois de rénovation, le bassin rouvre.",
        html='<p>Horaires <a href="/horaires">ici</a> ; «&nbsp;enfin&nbsp;» &amp; cœur.</p>'
        '<p><img src="img/bassin.jpg" alt="Le bassin"></p>',
        authors=("Sophie Lambert", "Inès Haddad"),
        tags=("sport", "Santé"),
        section="Sports",
        language="fr",
        published=datetime(2024, 4, 28, 10, tzinfo=UTC),
        updated=datetime(2024, 4, 29, 8, 30, tzinfo=UTC),
    ),
    Entry(
        uid="tag:journal.example.org,2024-04-20:breves/marche",
        title="Le marché du samedi déménage",
        standfirst="",
        html="<p>Trente-deux étals.</p>",
        authors=(),
        tags=(),
        section="",
        language="fr",
        published=datetime(2024, 4, 20, 5, 45, tzinfo=UTC),
        updated=datetime(2024, 4, 20, 5, 45, tzinfo=UTC),
    ),
]
STONE = Tombstone(
    "tag:journal.example.org,2024-04-01:breves/erreur",
    datetime(2024, 4, 30, 9, tzinfo=UTC),
    "Chiffres erronés",
)


def meta(**extra: object) -> Meta:
    values: dict[str, object] = {
        "title": "Le Journal — brèves",
        "description": "Les brèves de la ville",
        "site_link": SITE,
        "language": "fr",
        "default_author": "La rédaction",
        "urls": URLS,
        "history": {
            "rss": {"prev-archive": BASE + "archives/rss-3.xml"},
            "atom": {"prev-archive": BASE + "archives/atom-3.xml"},
        },
        "hub": "https://hub.example.net/",
    }
    values.update(extra)
    return Meta(**values)  # type: ignore[arg-type]


def test_document_updated_comes_from_the_data() -> None:
    assert document_updated(ENTRIES) == datetime(2024, 4, 29, 8, 30, tzinfo=UTC)
    assert document_updated(ENTRIES, [STONE]) == STONE.when
    assert document_updated([]) == EMPTY_UPDATED


def test_rss_reads_back_field_by_field() -> None:
    data = build_rss(meta(), ENTRIES)
    feed = feedparser.parse(data)
    assert not feed.bozo
    assert feed.feed.title == "Le Journal — brèves"
    assert feed.feed.link == SITE
    assert feed.feed.subtitle == "Les brèves de la ville"
    assert feed.feed.language == "fr"
    assert feed.feed.updated_parsed[:6] == (2024, 4, 29, 8, 30, 0)
    first, second = feed.entries
    assert first.title == "Piscine municipale : réouverture le 2 mai"
    assert first.id == ENTRIES[0].uid and first.guidislink is False
    assert first.summary == "Après huit mois de rénovation, le bassin rouvre."
    # One dc:creator naming them all: feedparser and newsboat keep only the last of several.
    assert first.author == "Sophie Lambert et Inès Haddad"
    assert [a.name for a in first.authors] == ["Sophie Lambert et Inès Haddad"]
    assert [t.term for t in first.tags] == ["sport", "Santé"]
    assert first.published_parsed[:5] == (2024, 4, 28, 10, 0)
    html = first.content[0].value
    assert 'href="https://journal.example.org/horaires"' in html
    assert 'src="https://journal.example.org/img/bassin.jpg"' in html
    assert "«&nbsp;enfin&nbsp;» &amp; cœur" in html
    # No standfirst: the title sums it up; no author: the site's.
    assert second.summary == "Le marché du samedi déménage"
    assert second.author == "La rédaction"
    assert rss_rule_failures(data, SITE, URLS["rss"]) == []


def test_rss_never_lets_feedgen_choose_links_dates_or_authors() -> None:
    doc = etree.fromstring(build_rss(meta(), ENTRIES))
    channel = doc.find("channel")
    assert channel is not None
    assert channel.findtext("link") == SITE
    assert channel.findtext("lastBuildDate") == "Mon, 29 Apr 2024 08:30:00 +0000"
    links = {link.get("rel"): link.get("href") for link in channel.findall(f"{{{NS['atom']}}}link")}
    assert links == {
        "self": URLS["rss"],
        "prev-archive": BASE + "archives/rss-3.xml",
        "hub": "https://hub.example.net/",
    }
    assert doc.find(".//item/author") is None
    assert "CDATA" not in etree.tostring(doc).decode()


def test_atom_reads_back_with_tombstone_and_history() -> None:
    data = build_atom(meta(), ENTRIES, [STONE])
    feed = feedparser.parse(data)
    assert not feed.bozo
    assert feed.feed.id == URLS["atom"]
    assert feed.feed.updated_parsed[:6] == (2024, 4, 30, 9, 0, 0)
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {
        "alternate": SITE,
        "self": URLS["atom"],
        "prev-archive": BASE + "archives/atom-3.xml",
        "hub": "https://hub.example.net/",
    }
    first = feed.entries[0]
    assert first.id == ENTRIES[0].uid
    assert first.updated_parsed[:5] == (2024, 4, 29, 8, 30)
    assert first.published_parsed[:5] == (2024, 4, 28, 10, 0)
    assert first.summary == ENTRIES[0].standfirst
    assert first.content[0].type == "text/html"
    assert [a.name for a in first.authors] == ["Sophie Lambert", "Inès Haddad"]
    assert feed.entries[1].author == "La rédaction"
    doc = etree.fromstring(data)
    assert doc.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert doc.xpath("//atom:content/@type", namespaces=NS) == ["html", "html"]
    (deleted,) = doc.xpath("at:deleted-entry", namespaces=NS)
    assert deleted.get("ref") == STONE.uid
    assert deleted.get("when") == "2024-04-30T09:00:00Z"
    assert deleted.findtext("at:comment", namespaces=NS) == "Chiffres erronés"
    assert schematron_failures(data) == []


def test_archive_pages_carry_fh_archive() -> None:
    history = {"atom": {"current": URLS["atom"], "next-archive": BASE + "archives/atom-2.xml"}}
    doc = etree.fromstring(build_atom(meta(history=history, archive=True), ENTRIES, []))
    assert doc.xpath("count(fh:archive)", namespaces=NS) == 1
    rels = doc.xpath("atom:link/@rel", namespaces=NS)
    assert sorted(rels) == ["alternate", "current", "hub", "next-archive", "self"]


def test_atom_is_valid_rfc4287(tmp_path: Path) -> None:
    files = []
    for name, data in {
        "feed.atom": build_atom(meta(), ENTRIES, [STONE]),
        "empty.atom": build_atom(meta(hub=""), [], []),
        "page.atom": build_atom(meta(archive=True), ENTRIES, []),
    }.items():
        (tmp_path / name).write_bytes(data)
        files.append(tmp_path / name)
        assert schematron_failures(data) == []
    jing_validate(files)


def test_schematron_check_can_fail() -> None:
    """The rules checker is not a rubber stamp: an entry without author is caught."""
    bad = build_atom(meta(), ENTRIES, []).replace(b"<author>", b"<contributor>")
    bad = bad.replace(b"</author>", b"</contributor>")
    assert any("atom:author" in failure for failure in schematron_failures(bad))


def test_json_feed_reads_back() -> None:
    data = build_json(meta(), ENTRIES)
    feed = json.loads(data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == URLS["json"] and feed["home_page_url"] == SITE
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example.net/"}]
    first, second = feed["items"]
    assert first["id"] == ENTRIES[0].uid
    assert first["date_published"] == "2024-04-28T10:00:00Z"
    assert first["date_modified"] == "2024-04-29T08:30:00Z"
    assert first["authors"] == [{"name": "Sophie Lambert"}, {"name": "Inès Haddad"}]
    assert first["tags"] == ["sport", "Santé"]
    assert 'href="https://journal.example.org/horaires"' in first["content_html"]
    assert "summary" not in second and second["authors"] == [{"name": "La rédaction"}]
    assert "cœur".encode() in data  # UTF-8 as written, no \\u escapes


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_same_input_same_bytes(fmt: str) -> None:
    def build() -> bytes:
        if fmt == "rss":
            return build_rss(meta(), ENTRIES)
        if fmt == "atom":
            return build_atom(meta(), ENTRIES, [STONE])
        return build_json(meta(), ENTRIES)

    assert build() == build()


def test_a_retraction_dates_the_rss_feed_and_an_empty_one_has_no_date() -> None:
    emptied = etree.fromstring(build_rss(meta(), [], [STONE]))
    assert emptied.findtext("channel/lastBuildDate") == "Tue, 30 Apr 2024 09:00:00 +0000"
    assert emptied.find("channel/item") is None
    nothing = etree.fromstring(build_rss(meta(), [], []))
    assert nothing.find("channel/lastBuildDate") is None
    assert feedparser.parse(etree.tostring(nothing)).bozo is False


CITED = dataclasses.replace(
    ENTRIES[0],
    sources=(
        "https://www.insee.fr/fr/statistiques/1",
        "javascript:alert(1)",
        "ftp://archives.example.org/registre.pdf",
    ),
    related=(
        RelatedRef(
            "Le bassin rouvre",
            "https://gazette.example/piscine",
            ("La Gazette du Midi", "Le Quotidien"),
        ),
    ),
)


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_content_is_the_whole_brève_and_the_summary_the_chapô(fmt: str) -> None:
    """Readers show content and hide the summary once there is content: the chapô leads it,
    then the body, the cited sources (web links only) and « À lire aussi »."""
    if fmt == "json":
        item = json.loads(build_json(meta(), [CITED]))["items"][0]
        summary, html = item["summary"], item["content_html"]
    else:
        data = build_rss(meta(), [CITED]) if fmt == "rss" else build_atom(meta(), [CITED], ())
        entry = feedparser.parse(data).entries[0]
        summary, html = entry.summary, entry.content[0].value
    assert summary == CITED.standfirst
    assert html.startswith(f"<p><strong>{CITED.standfirst}</strong></p>")
    order = [html.index(part) for part in ("Horaires", "<h2>Sources</h2>", "À lire aussi")]
    assert order == sorted(order)
    assert 'href="https://www.insee.fr/fr/statistiques/1"' in html
    assert "javascript" not in html and "ftp:" not in html
    assert "La Gazette du Midi et Le Quotidien : <a" in html


def test_json_and_atom_keep_one_author_object_each() -> None:
    atom = feedparser.parse(build_atom(meta(), ENTRIES, ())).entries[0]
    assert [a.name for a in atom.authors] == ["Sophie Lambert", "Inès Haddad"]
    item = json.loads(build_json(meta(), ENTRIES))["items"][0]
    assert item["authors"] == [{"name": "Sophie Lambert"}, {"name": "Inès Haddad"}]


def test_names_line() -> None:
    assert names_line([]) == ""
    assert names_line(["A"]) == "A"
    assert names_line(["Jeanne Martin", "Léo Ferrand"]) == "Jeanne Martin et Léo Ferrand"
    assert names_line(["A", "B", "C"]) == "A, B et C"


def test_a_story_carried_by_two_outlets_names_both_in_the_press_review() -> None:
    when = datetime(2024, 4, 28, 10, tzinfo=UTC)
    item = PressItem(
        entry_id="https://gazette.example/piscine",
        title="Le bassin rouvre",
        link="https://gazette.example/piscine",
        html="<p>Enfin.</p>",
        authors=(),
        published=when,
        updated=when,
        outlet="La Gazette du Midi",
        outlet_link="https://gazette.example/",
        outlet_id="https://gazette.example/feed.xml",
        outlets=("La Gazette du Midi", "Le Quotidien"),
    )
    press_meta = meta(history={})
    for data in (build_press_rss(press_meta, [item]), build_press_atom(press_meta, [item])):
        (entry,) = feedparser.parse(data).entries
        text = entry.content[0].value if "content" in entry else entry.summary
        assert text.startswith("<p>Publié par La Gazette du Midi et Le Quotidien.</p>")
    (json_item,) = json.loads(build_press_json(press_meta, [item]))["items"]
    assert json_item["content_html"].startswith("<p>Publié par La Gazette du Midi et Le")
    alone = dataclasses.replace(item, outlets=("La Gazette du Midi",))
    (entry,) = feedparser.parse(build_press_atom(press_meta, [alone])).entries
    assert "Publié par" not in entry.content[0].value
