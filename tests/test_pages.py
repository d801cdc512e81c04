"""The web pages publish writes (SQLite and PostgreSQL): a page per brève at a URL that never
moves, retracted pages, lists cut like the archives, the sitemap, links that all resolve,
``[site] item_url``, template overrides, and `brevefeed serve` answering on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from lxml import etree, html
from sqlalchemy import select

import browsercheck
from brevefeed.archive import Archive
from brevefeed.archive.breves import retract
from brevefeed.archive.models import Breve
from brevefeed.config import Config
from brevefeed.publish import publish
from brevefeed.publish.site import french_date, json_ld
from test_publish_run import BASE, BREVES, NOW, SITE, load, make_config, snapshot

ROOT = "/flux/"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
CANTINE = "breves/cantines-la-commune-passe-au-bio-a-60/index.html"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "public"


def page(out: Path, relative: str) -> html.HtmlElement:
    return html.fromstring((out / relative).read_bytes())


def text(element: html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def local_file(out: Path, url: str) -> Path | None:
    """The output file a link names, or None when it points outside base_url."""
    for prefix in (BASE, ROOT):
        if url.startswith(prefix):
            relative = url[len(prefix) :].partition("#")[0].partition("?")[0]
            if relative == "" or relative.endswith("/"):
                relative += "index.html"
            return out / relative
    return None


def broken_links(out: Path) -> list[str]:
    broken = []
    for path in sorted(out.rglob("*.html")):
        for element, _attribute, url, _pos in page(out, str(path.relative_to(out))).iterlinks():
            target = local_file(out, url)
            if target is not None and not target.is_file():
                broken.append(f"{path.relative_to(out)}: {element.tag} {url}")
    return broken


def sitemap_urls(out: Path) -> set[str]:
    index = etree.parse(str(out / "sitemap.xml"))
    urls: set[str] = set()
    for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS):
        target = local_file(out, loc.text or "")
        assert target is not None and target.is_file(), loc.text
        urls.update(
            u.text or "" for u in etree.parse(str(target)).findall("s:url/s:loc", SITEMAP_NS)
        )
    return urls


def pages_written(out: Path) -> set[str]:
    return {BASE + str(p.relative_to(out)).removesuffix("index.html") for p in out.rglob("*.html")}


# Units ------------------------------------------------------------------------------------


def test_french_dates() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert french_date(datetime(2024, 6, 26, 10, tzinfo=UTC), paris) == "26 juin 2024"
    # The day in the site's time zone, and French ordinals for the first.
    assert french_date(datetime(2024, 4, 30, 23, tzinfo=UTC), paris) == "1er mai 2024"


def test_json_ld_cannot_close_its_script_element() -> None:
    embedded = str(json_ld({"headline": "</script><script>alert(1)</script> & <!--"}))
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert json.loads(embedded)["headline"] == "</script><script>alert(1)</script> & <!--"


# Pages ------------------------------------------------------------------------------------


def test_a_brève_page_shows_the_brève_and_links_its_lists(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    doc = page(out, CANTINE)
    assert doc.get("lang") == "fr"
    assert doc.findtext(".//title") == "Cantines : la commune passe au bio à 60 %"
    assert text(doc.find(".//h1")) == "Cantines : la commune passe au bio à 60 %"
    assert "budget en hausse" in text(doc.find('.//p[@class="chapo"]'))
    time = doc.find('.//p[@class="meta"]/time')
    assert (time.text, time.get("datetime")) == ("4 mars 2024", "2024-03-04T08:30:00+00:00")
    assert "Sophie Lambert" in text(doc.find('.//p[@class="meta"]'))
    assert "Mis à jour" not in text(doc)
    body = doc.find('.//div[@class="body"]')
    assert body.find(".//a").get("href") == "https://journal.example.org/cantine/menus"
    hrefs = {a.get("href") for a in doc.iterfind(".//footer//a")}
    assert {f"{ROOT}tags/sante/", f"{ROOT}tags/education/", f"{ROOT}sections/societe/"} <= hrefs
    canonical = BASE + CANTINE.removesuffix("index.html")
    assert doc.find('.//link[@rel="canonical"]').get("href") == canonical
    assert doc.find('.//meta[@property="og:url"]').get("content") == canonical
    data = json.loads(doc.find('.//script[@type="application/ld+json"]').text)
    assert data["@type"] == "NewsArticle" and data["url"] == canonical
    feeds = {link.get("type") for link in doc.iterfind('.//link[@rel="alternate"]')}
    assert feeds == {"application/rss+xml", "application/atom+xml", "application/feed+json"}
    # Every feed links each brève to its page; the tag: id stays the id.
    for name in ("feed.xml", "atom.xml"):
        cantine = next(e for e in feedparser.parse(out / name).entries if "Cantines" in e.title)
        assert cantine.link == canonical and cantine.id.startswith("tag:")
    items = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert next(i for i in items if "Cantines" in i["title"])["url"] == canonical


def test_a_tag_page_lists_its_brèves_and_announces_its_feeds(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    doc = page(out, "tags/sante/index.html")
    assert text(doc.find(".//h1")) == "Santé"
    announced = {link.get("href") for link in doc.iterfind('.//link[@rel="alternate"]')}
    assert BASE + "tags/sante/feed.xml" in announced and BASE + "feed.xml" in announced
    listed = [a.get("href") for a in doc.iterfind(".//ol//h2/a")]
    assert f"{ROOT}{CANTINE.removesuffix('index.html')}" in listed
    subscribe = text(page(out, "abonnement/index.html"))
    assert BASE + "tags/sante/atom.xml" in subscribe and BASE + "feed.json" in subscribe


def test_a_retracted_brève_keeps_its_page_saying_why_without_the_body(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    with archive.session() as session:
        retract(
            session,
            "cantines-la-commune-passe-au-bio-a-60",
            reason="Chiffres erronés",
            editor="test",
            now=datetime(2024, 6, 26, 9, tzinfo=UTC),
        )
    report = publish(archive, config, now=datetime(2024, 6, 27, tzinfo=UTC))
    assert CANTINE in report.written
    doc = page(out, CANTINE)
    notice = text(doc.find('.//section[@class="notice"]'))
    assert "retirée le 26 juin 2024" in notice and "Chiffres erronés" in notice
    assert doc.find('.//div[@class="body"]') is None
    assert "réfectoire" not in text(doc) and "budget en hausse" not in text(doc)
    assert BASE + CANTINE.removesuffix("index.html") in sitemap_urls(out)


def test_a_title_and_slug_change_never_moves_the_page(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    with archive.session() as session:
        breve = session.scalars(select(Breve).where(Breve.slug.like("cantines%"))).one()
        breve.title = "Cantines : 70 % de bio finalement"
        breve.slug = "cantines-70-de-bio"
        breve.updated_at = datetime(2024, 5, 2, 8, tzinfo=UTC)
    publish(archive, config, now=NOW)
    assert not (out / "breves/cantines-70-de-bio").exists()
    doc = page(out, CANTINE)
    assert text(doc.find(".//h1")) == "Cantines : 70 % de bio finalement"
    assert "Mis à jour le 2 mai 2024" in text(doc.find('.//p[@class="meta"]'))
    # A later brève taking the old slug gets a page of its own beside it.
    with archive.session() as session:
        other = session.scalars(select(Breve).where(Breve.slug.like("piscine%"))).one()
        session.delete(other)
    load(archive, BREVES / "04-piscine.md")
    with archive.session() as session:
        newest = session.scalars(select(Breve).where(Breve.slug.like("piscine%"))).one()
        newest.slug = "cantines-la-commune-passe-au-bio-a-60"
    publish(archive, config, now=NOW)
    assert text(page(out, CANTINE).find(".//h1")) == "Cantines : 70 % de bio finalement"
    moved = page(out, "breves/cantines-la-commune-passe-au-bio-a-60-2/index.html")
    assert "Piscine" in text(moved.find(".//h1"))


def test_full_older_pages_never_change_and_every_page_is_in_the_sitemap(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, *sorted(BREVES.glob("0[12]-*.md")))
    publish(archive, config, now=NOW)
    first = snapshot(out)["pages/1/index.html"]
    load(archive, *sorted(BREVES.glob("0[34]-*.md")))
    publish(archive, config, now=NOW)
    after = snapshot(out)
    assert after["pages/1/index.html"][0] != first[0]  # it gained its link to page 2
    with archive.session() as session:
        session.add(
            Breve(
                uid="tag:journal.example.org,2024-05-01:breves/nouvelle",
                slug="nouvelle",
                title="Une nouvelle brève",
                body="Texte.",
                body_html="<p>Texte.</p>",
                language="fr",
                status="published",
                published_at=datetime(2024, 5, 1, tzinfo=UTC),
                updated_at=datetime(2024, 5, 1, tzinfo=UTC),
            )
        )
    report = publish(archive, config, now=NOW)
    assert "pages/3/index.html" in report.written and "pages/2/index.html" in report.written
    assert "pages/1/index.html" not in report.written
    assert snapshot(out)["pages/1/index.html"] == after["pages/1/index.html"]
    older = page(out, "pages/2/index.html")
    assert {a.get("href") for a in older.iterfind(".//nav[@aria-label='Pages']//a")} == {
        f"{ROOT}pages/1/",
        f"{ROOT}pages/3/",
    }
    assert sitemap_urls(out) == pages_written(out)
    assert broken_links(out) == []


def test_item_url_links_feeds_to_the_newsroom_site_and_writes_no_page(
    archive: Archive, tmp_path: Path, out: Path
) -> None:
    site = dataclasses.replace(SITE, item_url="https://journal.example.org/{year}/{slug}.html")
    config = dataclasses.replace(make_config(tmp_path), site=site)
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    assert not list(out.rglob("*.html")) and not (out / "sitemap.xml").exists()
    cantine = next(e for e in feedparser.parse(out / "feed.xml").entries if "Cantines" in e.title)
    assert (
        cantine.link
        == "https://journal.example.org/2024/cantines-la-commune-passe-au-bio-a-60.html"
    )


def test_templates_override_the_defaults_and_an_edit_rebuilds_the_pages(
    archive: Archive, tmp_path: Path, out: Path
) -> None:
    own = tmp_path / "templates"
    own.mkdir()
    (own / "breve.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Édition : {{ entry.title }}</h1>'
        "{% endblock %}",
        encoding="utf-8",
    )
    site = dataclasses.replace(SITE, templates="templates/")
    config = dataclasses.replace(make_config(tmp_path), site=site)
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    assert text(page(out, CANTINE).find(".//h1")).startswith("Édition : Cantines")
    # The other templates are still the shipped ones.
    assert page(out, "index.html").find(".//ol") is not None
    (own / "breve.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>{{ entry.title|upper }}</h1>{% endblock %}',
        encoding="utf-8",
    )
    report = publish(archive, config, now=NOW)
    assert CANTINE in report.written
    assert text(page(out, CANTINE).find(".//h1")).startswith("CANTINES")


def test_autoescaping_keeps_markup_in_titles_as_text(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    with archive.session() as session:
        breve = session.scalars(select(Breve).where(Breve.slug.like("cantines%"))).one()
        breve.title = "<script>alert(1)</script> & </script>"
    publish(archive, config, now=NOW)
    raw = (out / CANTINE).read_text(encoding="utf-8")
    assert "<script>alert" not in raw
    assert text(page(out, CANTINE).find(".//h1")) == "<script>alert(1)</script> & </script>"


# Serve ------------------------------------------------------------------------------------


@pytest.fixture
def served(archive: Archive, config: Config, out: Path) -> Iterator[str]:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    with browsercheck.served(out) as url:
        yield url


def test_serve_maps_base_url_so_navigation_works(served: str) -> None:
    assert served.startswith("http://127.0.0.1:") and served.endswith(ROOT)
    with urllib.request.urlopen(served) as answer:
        home = html.fromstring(answer.read())
    link = home.find(".//ol//h2/a").get("href")
    assert link.startswith(ROOT)
    with urllib.request.urlopen(served.removesuffix(ROOT) + link) as answer:
        assert answer.status == 200 and b"<h1>" in answer.read()
    with urllib.request.urlopen(served + "style.css") as answer:
        assert answer.headers["Content-Type"] == "text/css"
    # The bare host leads to the site; anything outside base_url's path is not there.
    with urllib.request.urlopen(served.removesuffix(ROOT) + "/") as answer:
        assert answer.url == served
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(served.removesuffix(ROOT) + "/ailleurs/")
    assert missing.value.code == 404


def test_a_day_later_nothing_changed_touches_no_page(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    before = snapshot(out)
    report = publish(archive, config, now=NOW + timedelta(days=1))
    assert report.written == [] and snapshot(out) == before


def test_a_draft_published_later_does_not_take_a_recorded_page_slug(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, *sorted(BREVES.glob("0[12]-*.md")))
    with archive.session() as session:
        draft = Breve(
            uid="tag:journal.example.org,2024-05-01:breves/brouillon",
            slug="brouillon",
            title="Un brouillon",
            body="Texte.",
            body_html="<p>Texte.</p>",
            language="fr",
            status="draft",
            published_at=datetime(2024, 5, 1, tzinfo=UTC),
            updated_at=datetime(2024, 5, 1, tzinfo=UTC),
        )
        session.add(draft)
    publish(archive, config, now=NOW)
    with archive.session() as session:
        cantine = session.scalars(select(Breve).where(Breve.slug.like("cantines%"))).one()
        cantine.slug = "cantines-renommee"
        draft = session.scalars(select(Breve).where(Breve.slug == "brouillon")).one()
        draft.slug = "cantines-la-commune-passe-au-bio-a-60"
        draft.status = "published"
    publish(archive, config, now=NOW)
    assert "Cantines" in text(page(out, CANTINE).find(".//h1"))
    taken = page(out, "breves/cantines-la-commune-passe-au-bio-a-60-2/index.html")
    assert text(taken.find(".//h1")) == "Un brouillon"
