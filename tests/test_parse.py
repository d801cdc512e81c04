from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from brevefeed.ingest.parse import parse_feed
from brevefeed.text.xmlsafe import xml_safe

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)


def _parse(name: str, content_type: str = "application/rss+xml", url: str = "") -> object:
    url = url or f"https://{name.split('.')[0]}.example/feed"
    return parse_feed((FEEDS / name).read_bytes(), content_type, url, NOW)


def test_rss_items_carry_every_field() -> None:
    feed = parse_feed(
        (FEEDS / "observatoire.rss").read_bytes(),
        "application/rss+xml",
        "https://gazette.example.net/rss.xml",
        NOW,
    )
    assert feed.error is None
    assert (feed.title, feed.site_link, feed.ttl_minutes) == (
        "La Gazette du Numérique",
        "https://gazette.example.net/",
        30,
    )
    first = feed.entries[0]
    assert first.entry_id == "gazette-2024-0612"
    # A relative link is made absolute against the feed's URL.
    assert first.link == "https://gazette.example.net/2024/06/harcelement-plateforme-condamnee"
    assert first.authors == ["Camille Durand"]
    assert first.categories == ["Justice", "Réseaux sociaux"]
    assert first.published_at == datetime(2024, 6, 4, 12, 30, tzinfo=UTC)
    assert first.summary_html == "Le tribunal a jugé que la modération avait été insuffisante."
    assert "<strong>50 000 euros</strong>" in first.content_html
    assert len(first.content_hash) == 64
    second = feed.entries[1]
    assert second.entry_id == "https://gazette.example.net/2024/06/messages-homophobes-match"
    assert second.summary_html == "<p>Plus de deux cents signalements en une soirée.</p>"
    # No guid: the link is the id.
    assert feed.entries[2].entry_id == "https://gazette.example.net/2024/06/objets-connectes"


def test_atom_entry_with_html_title_and_two_authors() -> None:
    feed = parse_feed(
        (FEEDS / "vigie.atom").read_bytes(),
        "application/atom+xml",
        "https://vigie.example.org/",
        NOW,
    )
    (entry,) = feed.entries
    assert entry.title == "Menaces contre une élue : trois interpellations"
    assert entry.authors == ["Lucie Moreau", "Paul Girard"]
    assert entry.published_at == datetime(2024, 6, 5, 5, 30, tzinfo=UTC)
    assert entry.updated_at == datetime(2024, 6, 5, 8, 0, tzinfo=UTC)
    assert entry.content_html == "<p>Trois personnes ont été interpellées mardi.</p>"


def test_dates_french_cest_invalid_future_missing() -> None:
    feed = parse_feed((FEEDS / "dates.rss").read_bytes(), "", "https://c.example/", NOW)
    by_id = {e.entry_id: e for e in feed.entries}
    assert by_id["courrier-1"].published_at == datetime(2024, 6, 4, 12, 30, tzinfo=UTC)
    assert by_id["courrier-2"].published_at == datetime(2024, 6, 4, 12, 30, tzinfo=UTC)
    invalid = by_id["courrier-3"]
    assert invalid.raw_date == "le lendemain de la fête" and invalid.published_at == NOW
    future = by_id["courrier-4"]
    assert future.published_at == NOW and future.raw_date == "Fri, 01 Jan 2100 10:00:00 GMT"
    missing = by_id["courrier-5"]
    assert missing.published_at is None and missing.raw_date is None
    assert by_id["courrier-1"].raw_date is None


def test_scripts_iframes_and_event_handlers_are_removed() -> None:
    feed = parse_feed((FEEDS / "hostile-content.rss").read_bytes(), "", "https://p.example/", NOW)
    html = feed.entries[0].summary_html
    assert "Texte visible" in html
    for bad in ("<script", "alert", "<iframe", "onerror", "onclick", "javascript:", "<style"):
        assert bad not in html


def test_duplicate_ids_keep_the_first() -> None:
    feed = parse_feed((FEEDS / "duplicates.rss").read_bytes(), "", "https://d.example/", NOW)
    assert [(e.entry_id, e.title) for e in feed.entries] == [
        ("doublon-1", "Première version"),
        ("doublon-2", "Un autre article"),
    ]


def test_malformed_xml_still_yields_what_can_be_read() -> None:
    feed = parse_feed((FEEDS / "malformed.rss").read_bytes(), "", "https://b.example/", NOW)
    assert feed.error is None
    assert [e.entry_id for e in feed.entries][:1] == ["bancal-1"]
    assert feed.entries[0].title == "Balise non fermée & esperluette nue"


def test_declared_latin1_and_undeclared_utf8() -> None:
    latin = parse_feed((FEEDS / "latin1-declared.rss").read_bytes(), "", "https://l.example/", NOW)
    assert latin.entries[0].title == "Fête de la musique à Béziers"
    # The server says latin-1 but the bytes are UTF-8 with no declaration: the document wins.
    plain = parse_feed(
        (FEEDS / "utf8-undeclared.rss").read_bytes(), "text/xml", "https://u.example/", NOW
    )
    assert plain.entries[0].title == "Été caniculaire à Nîmes"


def test_html_page_empty_body_and_garbage_are_errors() -> None:
    page = parse_feed((FEEDS / "page.html").read_bytes(), "text/html", "https://h.example/", NOW)
    assert page.error == "an HTML page, not a feed" and not page.entries
    assert parse_feed(b"  \n", "", "https://e.example/", NOW).error == "empty body: no feed"
    assert parse_feed(b"\x00\x01binaire", "", "https://g.example/", NOW).error


def test_id_fallbacks_and_long_ids() -> None:
    long_guid = "x" * 3000
    data = (
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>Sans lien ni guid</title>"
        "<pubDate>Tue, 04 Jun 2024 10:00:00 GMT</pubDate></item>"
        f"<item><title>Long</title><guid>{long_guid}</guid></item>"
        "</channel></rss>"
    ).encode()
    first, second = parse_feed(data, "", "https://i.example/", NOW).entries
    assert first.entry_id.startswith("sha256:") and len(first.entry_id) == 71
    assert second.entry_id.startswith("sha256:")


def test_skip_hours_and_prev_archive() -> None:
    data = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <link rel="prev-archive" href="/archives/2023.xml"/>
    <entry><id>a-1</id><title>x</title></entry></feed>"""
    feed = parse_feed(data, "application/atom+xml", "https://a.example/feed.xml", NOW)
    assert feed.prev_archive == "https://a.example/archives/2023.xml"
    rss = b"""<rss version="2.0"><channel><title>t</title>
    <skipHours><hour>0</hour><hour>1</hour><hour>23</hour></skipHours></channel></rss>"""
    assert parse_feed(rss, "", "https://s.example/", NOW).skip_hours == frozenset({0, 1, 23})


def test_plain_text_summary_is_escaped() -> None:
    data = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
    <entry><id>a-1</id><title>x</title><summary type="text">1 &lt; 2 &amp; &lt;b&gt;</summary>
    </entry></feed>"""
    (entry,) = parse_feed(data, "", "https://a.example/", NOW).entries
    assert entry.summary_html == "1 &lt; 2 &amp; &lt;b&gt;"


def test_ids_do_not_depend_on_where_the_feed_is_served() -> None:
    data = (FEEDS / "duplicates.rss").read_bytes()
    here = parse_feed(data, "", "https://old.example/rss", NOW)
    there = parse_feed(data, "", "https://new.example/flux/rss", NOW)
    assert [e.entry_id for e in here.entries] == [e.entry_id for e in there.entries]


def test_relative_urls_in_content_become_absolute() -> None:
    data = b"""<rss version="2.0"><channel><title>t</title><item><guid>r-1</guid>
    <description>&lt;img src="/photo.jpg"&gt; &lt;a href="suite.html"&gt;suite&lt;/a&gt;
    </description>
    </item></channel></rss>"""
    (entry,) = parse_feed(data, "", "https://r.example/actu/rss", NOW).entries
    assert 'src="https://r.example/photo.jpg"' in entry.summary_html
    assert 'href="https://r.example/actu/suite.html"' in entry.summary_html


def test_json_feed() -> None:
    feed = parse_feed(
        (FEEDS / "gazette.json").read_bytes(),
        "application/feed+json",
        "https://gazette.example.net/feed.json",
        NOW,
    )
    assert feed.error is None and feed.title == "La Gazette du Numérique"
    first, second = feed.entries
    assert first.entry_id == "gazette-json-1"
    assert first.link == "https://gazette.example.net/2024/06/signalements"
    assert first.content_html == "<p>Plus de <em>cent mille</em> signalements en un an.</p>"
    assert first.summary_html == "Le service manque d’enquêteurs."
    assert (first.authors, first.categories) == (["Camille Durand"], ["Police", "Numérique"])
    assert first.published_at == datetime(2024, 6, 4, 12, 30, tzinfo=UTC)
    assert second.entry_id == "42"
    assert second.content_html == "Un texte brut &lt;sans balises&gt;."
    assert second.updated_at == datetime(2024, 6, 4, 14, 0, tzinfo=UTC)


def test_json_that_is_not_a_json_feed() -> None:
    assert "not a JSON Feed" in (parse_feed(b'{"a": 1}', "", "https://j.example/", NOW).error or "")
    assert "invalid JSON" in (parse_feed(b"{nope", "", "https://j.example/", NOW).error or "")
    deep = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 100_000
    assert parse_feed(deep, "", "https://j.example/", NOW).error


def test_content_hash_does_not_move_with_the_fetch_time() -> None:
    data = (FEEDS / "dates.rss").read_bytes()
    today = parse_feed(data, "", "https://c.example/", NOW)
    tomorrow = parse_feed(data, "", "https://c.example/", NOW.replace(day=11))
    assert [e.content_hash for e in today.entries] == [e.content_hash for e in tomorrow.entries]
    fixed = data.replace(b"Date invalide", "Date invalide, corrigée".encode())
    edited = parse_feed(fixed, "", "https://c.example/", NOW)
    assert today.entries[2].content_hash != edited.entries[2].content_hash


def _rss(*items: str, channel: str = "") -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return f'<rss version="2.0"><channel><title>T</title>{channel}{body}</channel></rss>'.encode()


def test_xml_forbidden_characters_never_leave_the_parser() -> None:
    feed = parse_feed(
        _rss(
            "<title>Forum&#11; fermé&#12;&#8;</title><guid>g&#11;1</guid>"
            "<author>a@b.example (Ann&#11;e)</author><category>ju&#11;stice</category>"
            "<description>&lt;p&gt;x&amp;#11;y&lt;/p&gt;</description>"
        ),
        "application/rss+xml",
        "https://f.example/rss",
        NOW,
    )
    (entry,) = feed.entries
    assert (entry.title, entry.entry_id, entry.categories) == ("Forum fermé", "g1", ["justice"])
    assert entry.summary_html == "<p>xy</p>"
    forbidden = "\x0b\x0c\x08"
    assert not any(c in entry.authors[0] for c in forbidden)


def test_json_feed_control_characters_and_lone_surrogates_are_removed() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Q\u000b\ud800",
            "items": [
                {
                    "id": "\ud800i\u000b",
                    "url": "https://q.example/a",
                    "title": "\ud800",
                    "summary": "s\u000b",
                    "content_text": "t\ud800\u0000",
                    "date_published": "2024-06-01T10:00:00\u000bZ",
                    "authors": [{"name": "N\u0000"}],
                }
            ],
        }
    ).encode()
    feed = parse_feed(body, "application/feed+json", "https://q.example/feed.json", NOW)
    (entry,) = feed.entries
    assert (feed.title, entry.entry_id, entry.title, entry.authors) == ("Q", "i", "", ["N"])
    assert (entry.summary_html, entry.content_html) == ("s", "t")
    assert entry.raw_date is None or "\x0b" not in entry.raw_date


def test_only_http_links_are_kept_and_the_others_counted() -> None:
    feed = parse_feed(
        _rss(
            "<title>a</title><link>javascript:alert(1)</link><guid>1</guid>",
            "<title>b</title><link>data:text/html,x</link><guid>2</guid>",
            "<title>c</title><link>/relative</link><guid>3</guid>",
            "<title>d</title><link>http://[::1</link><guid>4</guid>",
            channel="<link>javascript:alert(0)</link>"
            '<atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="prev-archive"'
            ' href="javascript:alert(9)"/>',
        ),
        "application/rss+xml",
        "https://f.example/rss",
        NOW,
    )
    assert [e.link for e in feed.entries] == ["", "", "https://f.example/relative", ""]
    assert (feed.site_link, feed.prev_archive, feed.dropped_links) == ("", None, 4)


def test_one_guid_on_several_articles_keeps_them_apart() -> None:
    feed = parse_feed(
        _rss(
            "<title>Un</title><link>https://f.example/1</link><guid>same</guid>",
            "<title>Deux</title><link>https://f.example/2</link><guid>same</guid>",
            '<title>Trois</title><guid isPermaLink="false">same</guid>',
            # the same article listed twice (same link): one entry, no collision
            "<title>Un, corrigé</title><link>https://f.example/1</link><guid>same</guid>",
            # a later entry whose own guid is the link of an earlier colliding one
            "<title>Quatre</title><link>https://f.example/4</link><guid>https://f.example/2</guid>",
        ),
        "application/rss+xml",
        "https://f.example/rss",
        NOW,
    )
    ids = {e.title: e.entry_id for e in feed.entries}
    assert ids["Un"] == "same" and ids["Quatre"] == "https://f.example/2"
    assert ids["Deux"].startswith("sha256:") and ids["Trois"].startswith("sha256:")
    assert "Un, corrigé" not in ids
    assert feed.id_collisions == 2
    assert len({e.entry_id for e in feed.entries}) == len(feed.entries) == 4


_ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)


@settings(max_examples=150, deadline=None)
@given(title=_ANY_TEXT, link=_ANY_TEXT, guid=_ANY_TEXT, body=_ANY_TEXT, author=_ANY_TEXT)
def test_any_json_feed_entry_comes_out_xml_safe_with_web_links(
    title: str, link: str, guid: str, body: str, author: str
) -> None:
    item = {"id": guid, "url": link, "title": title, "content_html": body}
    item["authors"] = [{"name": author}]
    data = {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": [item]}
    feed = parse_feed(json.dumps(data).encode(), "", "https://f.example/feed.json", NOW)
    for entry in feed.entries:
        strings = [entry.entry_id, entry.link, entry.title, entry.summary_html]
        strings += [entry.content_html, *entry.authors, *entry.categories]
        assert all(xml_safe(s) == s for s in strings)
        assert entry.link == "" or entry.link.startswith(("http://", "https://"))
