"""Publish runs against a real archive (SQLite and PostgreSQL): what is written, what is not,
the RFC 5005 walk, RFC 6721 tombstones, and failures that leave the previous files intact."""

from __future__ import annotations

import dataclasses
import errno
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from brevefeed.archive import Archive
from brevefeed.archive.breves import retract
from brevefeed.archive.db import make_engine
from brevefeed.archive.models import Breve
from brevefeed.config import Config, PublishConfig, SiteConfig
from brevefeed.errors import ConfigError, ExitCode, LockedError, PublishWriteError
from brevefeed.importing import ImportContext, import_paths
from brevefeed.publish import publish, store
from brevefeed.publish import write as write_module
from brevefeed.publish.manifest import MANIFEST_NAME
from brevefeed.publish.write import LOCK_NAME, STAGING_NAME, exclusive, state_folder
from conftest import FIXTURES
from feedcheck import NS, jing_validate, rss_rule_failures, schematron_failures

SITE = SiteConfig(title="Le Journal", link="https://journal.example.org/", timezone="UTC")
BASE = "https://journal.example.org/flux/"
NOW = datetime(2024, 5, 10, 12, tzinfo=UTC)
BREVES = FIXTURES / "publish"


def make_config(tmp_path: Path, **publish_keys: object) -> Config:
    keys: dict[str, object] = {"base_url": BASE, "archive_page_size": 2}
    keys.update(publish_keys)
    return Config(
        site=SITE,
        publish=PublishConfig(**keys),  # type: ignore[arg-type]
        path=tmp_path / "config.toml",
    )


def load(archive: Archive, *paths: Path, now: datetime = NOW) -> None:
    context = ImportContext(site=SITE, editor="test", now=now)
    summary = import_paths(archive, list(paths), context)
    assert summary.failed == 0, summary.errors


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def ids(data: bytes) -> list[str]:
    return [entry.id for entry in feedparser.parse(data).entries]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "public"


def test_first_run_writes_every_document_valid(archive: Archive, config: Config, out: Path) -> None:
    load(archive, BREVES)
    report = publish(archive, config, now=NOW)
    written = set(report.written)
    assert {"feed.xml", "atom.xml", "feed.json"} <= written
    assert {"archives/atom-1.xml", "archives/rss-1.xml", "archives/atom-2.xml"} <= written
    assert {"tags/sante/atom.xml", "sections/societe/feed.json", "tags/velo/feed.xml"} <= written
    assert report.unchanged == 0
    main = feedparser.parse((out / "atom.xml").read_bytes())
    assert [e.title for e in main.entries] == [
        "Piscine municipale : réouverture le 2 mai",
        "Le marché du samedi déménage place de l’Église",
        "Piste cyclable du quai : les travaux reportés à l’automne",
        "Cantines : la commune passe au bio à 60 %",
    ]
    # "Santé" and "santé" are one tag feed.
    sante = feedparser.parse((out / "tags/sante/feed.xml").read_bytes())
    assert sante.feed.title == "Le Journal — Santé"
    assert len(sante.entries) == 2
    cantine = main.entries[-1]
    assert cantine.author == "Sophie Lambert"
    assert 'href="https://journal.example.org/cantine/menus"' in cantine.content[0].value
    assert 'src="https://journal.example.org/images/refectoire.jpg"' in cantine.content[0].value
    atoms = sorted(out.rglob("atom*.xml"))
    for path in atoms:
        assert schematron_failures(path.read_bytes()) == [], path
    for path in out.rglob("feed.xml"):
        self_url = BASE + str(path.relative_to(out))
        assert rss_rule_failures(path.read_bytes(), SITE.link, self_url) == [], path
    jing_validate(atoms)


def test_rerun_with_no_change_touches_nothing(archive: Archive, config: Config, out: Path) -> None:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    before = snapshot(out)
    report = publish(archive, config, now=NOW + timedelta(hours=5))
    # Every file checked and left alone is counted.
    assert report.written == [] and report.unchanged == len(before)
    assert str(report) == f"publish: 0 written, {len(before)} unchanged"
    assert snapshot(out) == before


def test_one_new_brève_rewrites_only_its_documents(
    archive: Archive, config: Config, out: Path, tmp_path: Path
) -> None:
    load(archive, *sorted(BREVES.glob("0[123]-*.md")))
    publish(archive, config, now=NOW)
    before = snapshot(out)
    load(archive, BREVES / "04-piscine.md")
    report = publish(archive, config, now=NOW)
    assert sorted(report.written) == sorted(
        [
            "feed.xml",
            "atom.xml",
            "feed.json",
            "sections/sports/feed.xml",
            "sections/sports/atom.xml",
            "sections/sports/feed.json",
            "tags/sport/feed.xml",
            "tags/sport/atom.xml",
            "tags/sport/feed.json",
            # A tag without related coverage gets no press review.
            "archives/rss-2.xml",
            "archives/atom-2.xml",
            # Its page, the lists it joins, and the site-wide lists naming the new folders.
            "breves/piscine-municipale-reouverture-le-2-mai/index.html",
            "index.html",
            "pages/2/index.html",
            "sections/sports/index.html",
            "tags/sport/index.html",
            "sitemaps/breves-2.xml",
            "sitemaps/lists.xml",
            "abonnement/index.html",
        ]
    )
    after = snapshot(out)
    for path, (data, mtime) in before.items():
        if path not in report.written:
            assert after[path] == (data, mtime), path
    # The full page 1 did not change at all.
    assert after["archives/atom-1.xml"] == before["archives/atom-1.xml"]
    assert after["pages/1/index.html"] == before["pages/1/index.html"]


def walk(out: Path) -> list[list[str]]:
    """Follow prev-archive from atom.xml like a client; the ids of each archive page."""
    pages = []
    doc = etree.parse(str(out / "atom.xml")).getroot()
    seen: set[str] = set()
    while True:
        prev = doc.xpath("atom:link[@rel='prev-archive']/@href", namespaces=NS)
        if not prev:
            return pages
        (href,) = prev
        assert href not in seen and href.startswith(BASE)
        seen.add(href)
        data = (out / href.removeprefix(BASE)).read_bytes()
        doc = etree.fromstring(data)
        assert doc.xpath("count(fh:archive)", namespaces=NS) == 1
        assert doc.xpath("atom:link[@rel='current']/@href", namespaces=NS) == [BASE + "atom.xml"]
        pages.append(ids(data))


def test_rfc5005_walk_sees_every_brève_once_and_pages_stay_put(
    archive: Archive, tmp_path: Path, out: Path
) -> None:
    config = make_config(tmp_path, items=2)
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    pages = walk(out)
    assert [len(p) for p in pages] == [2, 2]
    everything = [uid for page in pages for uid in page]
    assert len(everything) == len(set(everything)) == 4
    assert set(ids((out / "atom.xml").read_bytes())) <= set(everything)
    # Newest page first in the walk; each page oldest first.
    assert pages[1][0].endswith("cantines-la-commune-passe-au-bio-a-60")
    # A brève dated before all others arrives: it goes on a new page, older pages stay.
    page1 = (out / "archives/atom-1.xml").read_bytes()
    backdated = tmp_path / "ancienne.md"
    backdated.write_text(
        '+++\ntitle = "Archives : la mairie numérise ses registres"\n'
        "date = 2023-01-05T10:00:00+01:00\n+++\nUn siècle d’état civil en ligne.\n",
        encoding="utf-8",
    )
    load(archive, backdated)
    publish(archive, config, now=NOW)
    assert (out / "archives/atom-1.xml").read_bytes() == page1
    pages = walk(out)
    assert [len(p) for p in pages] == [1, 2, 2]
    assert len({uid for page in pages for uid in page}) == 5


def test_retraction_leaves_everything_and_tombstones_the_atom_feeds(
    archive: Archive, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    page2 = (out / "archives/atom-2.xml").read_bytes()
    retracted_at = NOW + timedelta(hours=1)
    with archive.session() as session:
        breve = retract(
            session,
            "piste-cyclable-du-quai-les-travaux-reportes-a-l-automne",
            reason="Date des travaux erronée",
            editor="test",
            now=retracted_at,
        )
        uid = breve.uid
    report = publish(archive, config, now=NOW + timedelta(hours=2))
    assert "archives/atom-1.xml" in report.written
    assert (out / "archives/atom-2.xml").read_bytes() == page2
    for path in out.rglob("*.xml"):
        assert uid not in ids(path.read_bytes()), path
    for atom in ("atom.xml", "tags/velo/atom.xml", "sections/urbanisme/atom.xml"):
        doc = etree.parse(str(out / atom)).getroot()
        (stone,) = doc.xpath("at:deleted-entry", namespaces=NS)
        assert stone.get("ref") == uid
        assert stone.get("when") == "2024-05-10T13:00:00Z"
        assert stone.findtext("at:comment", namespaces=NS) == "Date des travaux erronée"
        assert doc.findtext(f"{{{NS['atom']}}}updated") == "2024-05-10T13:00:00+00:00"
    assert not feedparser.parse((out / "tags/velo/feed.xml").read_bytes()).entries
    jing_validate([out / "atom.xml", out / "tags/velo/atom.xml"])
    # Within tombstone_days nothing changes; after them, the tombstone goes.
    assert publish(archive, config, now=NOW + timedelta(days=29)).written == []
    later = publish(archive, config, now=NOW + timedelta(days=31))
    assert "atom.xml" in later.written and "tags/velo/atom.xml" in later.written
    assert "at:deleted-entry" not in (out / "atom.xml").read_text(encoding="utf-8")
    assert publish(archive, config, now=NOW + timedelta(days=32)).written == []


def test_a_corrected_brève_shows_its_new_updated(
    archive: Archive, config: Config, out: Path, tmp_path: Path
) -> None:
    edited = tmp_path / "04-piscine.md"
    text = (BREVES / "04-piscine.md").read_text(encoding="utf-8")
    edited.write_text(text, encoding="utf-8")
    load(archive, edited)
    publish(archive, config, now=NOW)
    edited.write_text(text.replace("huit mois", "neuf mois"), encoding="utf-8")
    load(archive, edited, now=NOW + timedelta(days=1))
    report = publish(archive, config, now=NOW + timedelta(days=1))
    assert "atom.xml" in report.written and "archives/atom-1.xml" in report.written
    entry = feedparser.parse((out / "atom.xml").read_bytes()).entries[0]
    assert entry.summary.startswith("Après neuf mois")
    assert entry.updated_parsed[:4] == (2024, 5, 11, 12)
    assert entry.published_parsed[:3] == (2024, 4, 28)


def test_missing_base_url_is_a_config_error(archive: Archive, tmp_path: Path, out: Path) -> None:
    config = make_config(tmp_path, base_url="")
    with pytest.raises(ConfigError, match=r"publish\.base_url is not set"):
        publish(archive, config, now=NOW)
    assert not out.exists()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_a_failed_write_keeps_old_files_and_is_retried(
    archive: Archive, config: Config, out: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    load(archive, *sorted(BREVES.glob("0[12]-*.md")))
    publish(archive, config, now=NOW)
    before = snapshot(out)
    load(archive, *sorted(BREVES.glob("0[34]-*.md")))
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(write_module.os, "replace", failing_replace)
    with pytest.raises(PublishWriteError) as caught:
        publish(archive, config, now=NOW)
    assert caught.value.exit_code == ExitCode.PARTIAL
    assert "\n" not in str(caught.value) and "feed.json" not in str(caught.value)
    assert snapshot(out) == before
    assert not [p for p in out.rglob(".*")]
    assert {p.name for p in state_folder(out).iterdir()} == {LOCK_NAME, MANIFEST_NAME}
    monkeypatch.setattr(write_module.os, "replace", real_replace)
    report = publish(archive, config, now=NOW)
    assert "atom.xml" in report.written
    assert len(ids((out / "atom.xml").read_bytes())) == 4


def test_the_output_folder_holds_only_documents(
    archive: Archive, config: Config, out: Path, tmp_path: Path
) -> None:
    load(archive, BREVES)
    state = state_folder(out)
    (state / STAGING_NAME).mkdir(parents=True)
    (state / STAGING_NAME / ".atom.xml.99.0badc0ffee00.tmp").write_text("<fe")  # a killed run's
    publish(archive, config, now=NOW)
    assert (out / "atom.xml").exists()
    assert not [p for p in out.rglob(".*")]
    assert state == tmp_path / ".brevefeed" / "public"
    assert {p.name for p in state.iterdir()} == {LOCK_NAME, MANIFEST_NAME}


def test_dry_run_writes_and_records_nothing(archive: Archive, config: Config, out: Path) -> None:
    load(archive, BREVES)
    dry = publish(archive, config, now=NOW, dry_run=True)
    assert dry.dry_run and "atom.xml" in dry.written
    assert snapshot(out) == {}
    real = publish(archive, config, now=NOW)
    assert sorted(real.written) == sorted(dry.written)


def test_a_second_run_is_locked_out(archive: Archive, config: Config, out: Path) -> None:
    with exclusive(out, 0), pytest.raises(LockedError) as caught:
        publish(archive, config, now=NOW, wait=0.3)
    assert caught.value.exit_code == ExitCode.LOCKED
    assert "waited 0.3 s" in str(caught.value)
    publish(archive, config, now=NOW)


def test_websub_gets_only_changed_feed_urls(archive: Archive, tmp_path: Path, out: Path) -> None:
    config = make_config(tmp_path, websub_hub="https://hub.example.net/", per_section=False)
    calls: list[tuple[str, list[str]]] = []

    def notify(hub: str, urls: list[str]) -> list[str]:
        calls.append((hub, urls))
        return ["hub down"]

    load(archive, *sorted(BREVES.glob("0[123]-*.md")))
    publish(archive, config, now=NOW, notify=notify)
    load(archive, BREVES / "04-piscine.md")
    report = publish(archive, config, now=NOW, notify=notify)
    assert report.warnings == ["hub down"]
    assert calls[-1] == (
        "https://hub.example.net/",
        [BASE + p for p in ("feed.xml", "atom.xml", "feed.json")]
        + [BASE + f"tags/sport/{p}" for p in ("feed.xml", "atom.xml", "feed.json")],
    )
    assert publish(archive, config, now=NOW, notify=notify).changed_urls == []
    assert len(calls) == 2
    hub_links = etree.parse(str(out / "atom.xml")).xpath(
        "atom:link[@rel='hub']/@href", namespaces=NS
    )
    assert hub_links == ["https://hub.example.net/"]


def test_new_settings_rebuild_everything(archive: Archive, config: Config, out: Path) -> None:
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    retitled = dataclasses.replace(config, site=dataclasses.replace(SITE, title="La Gazette"))
    report = publish(archive, retitled, now=NOW)
    assert "archives/atom-1.xml" in report.written and "tags/sport/feed.json" in report.written
    assert feedparser.parse((out / "feed.xml").read_bytes()).feed.title == "La Gazette"


def test_an_emptied_output_folder_is_rebuilt(archive: Archive, config: Config, out: Path) -> None:
    load(archive, BREVES)
    first = publish(archive, config, now=NOW)
    for path in out.rglob("*.xml"):
        path.unlink()
    again = publish(archive, config, now=NOW)
    assert sorted(again.written) == sorted(p for p in first.written if p.endswith(".xml"))


def test_cost_follows_what_changed_not_the_archive_size(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted in brèves loaded from the archive (not in time): none when nothing changed, a
    few feeds' and one page's worth after one new brève, however large the archive."""
    config = make_config(tmp_path, items=5, archive_page_size=10, per_tag=False)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    with archive.session() as session:
        for i in range(120):
            when = start + timedelta(hours=i)
            session.add(
                Breve(
                    uid=f"tag:journal.example.org,2023:breves/b-{i}",
                    slug=f"b-{i}",
                    title=f"Brève {i}",
                    section="Société",
                    standfirst="",
                    body="x",
                    body_html="<p>x</p>",
                    authors=[],
                    sources=[],
                    language="fr",
                    status="published",
                    published_at=when,
                    updated_at=when,
                )
            )
    loaded: list[int] = []

    def count(target: Breve, _context: object) -> None:
        loaded.append(target.id)

    read_entries = store._entries

    def entries(session: Session, rows: Any) -> list[store.Entry]:
        # Documents are built from plain rows, not ORM objects: count those too.
        loaded.extend(row.id for row in rows)
        return read_entries(session, rows)

    publish(archive, config, now=NOW)
    monkeypatch.setattr(store, "_entries", entries)
    event.listen(Breve, "load", count)
    try:
        assert publish(archive, config, now=NOW).written == []
        assert loaded == []
        load(archive, BREVES / "04-piscine.md")
        assert publish(archive, config, now=NOW).written
        # main feed (5) + section feed (5) + the open archive page (at most 10), nothing more
        assert 0 < len(set(loaded)) <= 20
    finally:
        event.remove(Breve, "load", count)


def test_related_coverage_reaches_subscribers(archive: Archive, tmp_path: Path, out: Path) -> None:
    """« À lire aussi » in every format, Atom rel="related" links, press-review feeds with
    each entry attributed to its outlet; a new link changes the feeds, not the brève's date."""
    from sqlalchemy import select

    from brevefeed.archive.breves import get_breve
    from brevefeed.config import RelatedConfig
    from brevefeed.related.links import decide, find_item
    from brevefeed.related.run import rebuild
    from related_corpus import NOW as CORPUS_NOW
    from related_corpus import corpus, load_breves, load_items

    config = make_config(tmp_path, per_section=False, archive_page_size=100)
    data = corpus()
    with archive.session() as session:
        load_breves(session, data)
        load_items(session, data)
    rebuild(archive, RelatedConfig(), now=CORPUS_NOW)
    publish(archive, config, now=CORPUS_NOW)

    main = feedparser.parse((out / "atom.xml").read_bytes())
    forum = next(e for e in main.entries if "forum de rencontres" in e.title)
    related = [link for link in forum.links if link.rel == "related"]
    # The two outlets that covered the story are one story: listed once, naming both.
    assert {link.href for link in related} == {
        "https://gazette.example/societe/site-rencontres-ferme",
    }
    assert "À lire aussi" in forum.content[0].value
    assert "La Gazette du Midi, Le Quotidien numérique" in forum.content[0].value
    rss = feedparser.parse((out / "feed.xml").read_bytes())
    # Related links never become <link>: that is the brève's own page.
    assert all(e.link.startswith(BASE + "breves/") for e in rss.entries)
    assert "À lire aussi" in next(e for e in rss.entries if e.id == forum.id).content[0].value
    assert "À lire aussi" in (out / "feed.json").read_text(encoding="utf-8")

    press = feedparser.parse((out / "related-atom.xml").read_bytes())
    assert len(press.entries) == 5  # one per story: the items covering one brève are one story
    gazette = next(e for e in press.entries if e.id == data["items"][0]["link"])
    assert gazette.source.title == "La Gazette du Midi"
    assert gazette.source.updated_parsed == gazette.updated_parsed  # RFC 4287 §4.2.11
    assert gazette.link == data["items"][0]["link"]
    rss_press = feedparser.parse((out / "related.xml").read_bytes())
    assert {e.id for e in rss_press.entries} == {e.id for e in press.entries}
    assert (out / "tags/justice/related.json").exists()
    jing_validate(
        [out / "atom.xml", out / "related-atom.xml", out / "tags/justice/related-atom.xml"]
    )
    for path in (out / "atom.xml", out / "related-atom.xml"):
        assert schematron_failures(path.read_bytes()) == [], path
    assert publish(archive, config, now=CORPUS_NOW).written == []

    with archive.session() as session:
        breve = get_breve(session, "forum-rencontres-ferme")
        before = breve.updated_at
        decide(
            session,
            breve,
            # An item on another story: the feeds change (one already linked would not).
            find_item(session, "https://radio.example/eco/energie"),
            linked=True,
            now=CORPUS_NOW,
        )
    report = publish(archive, config, now=CORPUS_NOW)
    assert {"atom.xml", "related-atom.xml", "tags/justice/atom.xml"} <= set(report.written)
    with archive.session() as session:
        assert (
            session.scalar(select(Breve.updated_at).where(Breve.slug == "forum-rencontres-ferme"))
            == before
        )


@contextmanager
def impatient_writer(url: str) -> Iterator[Session]:
    """A write transaction on a connection of its own that gives up after waiting 200 ms for
    a lock: it fails at once, instead of waiting, wherever publish would keep writers out."""
    engine = make_engine(url)
    sqlite = engine.dialect.name == "sqlite"

    @event.listens_for(engine, "connect")
    def _impatient(dbapi_connection: Any, _record: Any) -> None:
        if sqlite:
            dbapi_connection.execute("PRAGMA busy_timeout = 200")
        else:
            dbapi_connection.autocommit = True
            dbapi_connection.execute("SET lock_timeout = '200ms'")
            dbapi_connection.autocommit = False

    try:
        with sessionmaker(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def new_breve(slug: str, when: datetime) -> Breve:
    return Breve(
        uid=f"tag:journal.example.org,2024:breves/{slug}",
        slug=slug,
        title="Bibliothèque : ouverture le dimanche",
        section="Culture",
        standfirst="",
        body="x",
        body_html="<p>Dès juin.</p>",
        authors=[],
        sources=[],
        language="fr",
        status="published",
        published_at=when,
        updated_at=when,
    )


def every_file(out: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file())


def test_a_change_made_while_publish_builds_is_in_the_next_run(
    archive: Archive, archive_url: str, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    piste = "piste-cyclable-du-quai-les-travaux-reportes-a-l-automne"

    def meanwhile(done: int, _total: int) -> None:
        # After the first documents are written, before the others are built.
        if done == 1:
            with impatient_writer(archive_url) as session:
                edited = session.scalars(select(Breve).where(Breve.slug == piste)).one()
                edited.title = "Piste cyclable : travaux avancés au printemps"
                session.add(new_breve("bibliotheque", NOW - timedelta(hours=1)))

    first = publish(archive, config, now=NOW, progress=meanwhile)
    assert first.written
    # The run wrote the archive as it was when it began: no document has the change.
    text = every_file(out)
    assert "Bibliothèque" not in text and "avancés au printemps" not in text
    second = publish(archive, config, now=NOW)
    assert "atom.xml" in second.written
    titles = [e.title for e in feedparser.parse((out / "atom.xml").read_bytes()).entries]
    assert titles[0] == "Bibliothèque : ouverture le dimanche"
    assert "Piste cyclable : travaux avancés au printemps" in titles
    assert publish(archive, config, now=NOW).written == []


def test_a_writer_is_not_kept_waiting_while_publish_builds(
    archive: Archive, archive_url: str, config: Config, out: Path
) -> None:
    load(archive, BREVES)
    building, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def pause(done: int, _total: int) -> None:
        if done == 1:
            building.set()
            release.wait()

    def run() -> None:
        try:
            publish(archive, config, now=NOW, progress=pause)
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert building.wait(timeout=60)
        # An ingest-like write while the run is paused in the middle of its build.
        with impatient_writer(archive_url) as session:
            session.add(new_breve("bibliotheque", NOW - timedelta(hours=1)))
    finally:
        release.set()
        thread.join()
    assert failures == []
    publish(archive, config, now=NOW)
    assert "Bibliothèque" in (out / "atom.xml").read_text(encoding="utf-8")


def test_a_run_killed_while_recording_is_completed_by_the_next(
    archive: Archive, tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Placements are recorded in several short transactions after the files are written; a
    run stopped between two of them leaves the next run a consistent start."""
    from brevefeed.publish import run as run_module
    from brevefeed.publish import store

    config = make_config(tmp_path, items=2)
    load(archive, BREVES)
    real = store.save_placements
    calls: list[int] = []

    def dies_on_the_second(session: Session, placed: Any) -> None:
        calls.append(len(placed))
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(session, placed)

    monkeypatch.setattr(run_module, "RECORD_CHUNK", 1)
    monkeypatch.setattr(run_module, "RECORD_PAUSE", 0)
    monkeypatch.setattr(store, "save_placements", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        publish(archive, config, now=NOW)
    monkeypatch.setattr(store, "save_placements", real)
    published = snapshot(out)
    again = publish(archive, config, now=NOW)
    # The same plan, carried on: nothing the first run wrote changes.
    assert again.written == []
    assert {k: v[0] for k, v in snapshot(out).items()} == {k: v[0] for k, v in published.items()}
    pages = walk(out)
    assert [len(p) for p in pages] == [2, 2]
    assert len({uid for page in pages for uid in page}) == 4
    assert publish(archive, config, now=NOW).written == []


def _scheduled_file(folder: Path, date: str) -> Path:
    path = folder / "programmee.md"
    path.write_text(
        f'+++\ntitle = "Conseil municipal extraordinaire"\ndate = {date}\n'
        'tags = ["Santé"]\n+++\nLe conseil se réunira.\n',
        encoding="utf-8",
    )
    return path


def test_a_scheduled_breve_waits_for_its_date_then_the_first_run_after_publishes_it(
    archive: Archive, config: Config, out: Path, tmp_path: Path
) -> None:
    """It used to be published at once and to drag `updated` to its date, years ahead."""
    load(archive, BREVES, _scheduled_file(tmp_path, "2024-05-12T08:00:00Z"))
    publish(archive, config, now=NOW)
    main = feedparser.parse((out / "atom.xml").read_bytes())
    titles = [e.title for e in main.entries]
    assert "Conseil municipal extraordinaire" not in titles
    assert main.feed.updated_parsed[:3] <= NOW.timetuple()[:3]
    rss = (out / "feed.xml").read_text(encoding="utf-8")
    assert "2024-05-12" not in rss and "12 May 2024" not in rss
    pages = "".join(p.read_text(encoding="utf-8") for p in out.rglob("archives/*.xml"))
    assert "Conseil municipal" not in pages
    assert "Conseil municipal" not in (out / "tags/sante/atom.xml").read_text(encoding="utf-8")

    # Still before its date: nothing changes, nothing is written.
    assert publish(archive, config, now=NOW + timedelta(days=1)).written == []
    # The first run after it: no write to the archive happened, yet it is published, dated as
    # scheduled, in the main and the tag feed and on an archive page.
    after = datetime(2024, 5, 12, 8, 5, tzinfo=UTC)
    report = publish(archive, config, now=after)
    assert {"atom.xml", "tags/sante/atom.xml"} <= set(report.written)
    main = feedparser.parse((out / "atom.xml").read_bytes())
    first = main.entries[0]
    assert first.title == "Conseil municipal extraordinaire"
    assert first.published == "2024-05-12T08:00:00+00:00"
    sante = feedparser.parse((out / "tags/sante/atom.xml").read_bytes())
    assert sante.entries[0].title == "Conseil municipal extraordinaire"
    pages = "".join(p.read_text(encoding="utf-8") for p in out.rglob("archives/atom-*.xml"))
    assert "Conseil municipal extraordinaire" in pages
    # And only once: the next run has nothing to do.
    assert publish(archive, config, now=after + timedelta(minutes=5)).written == []


def test_a_breve_moved_into_the_future_leaves_the_feeds_until_its_new_date(
    archive: Archive, config: Config, out: Path, tmp_path: Path
) -> None:
    path = _scheduled_file(tmp_path, "2024-05-09T08:00:00Z")
    load(archive, BREVES, path)
    publish(archive, config, now=NOW)
    assert "Conseil municipal" in (out / "atom.xml").read_text(encoding="utf-8")
    load(archive, _scheduled_file(tmp_path, "2031-05-09T08:00:00Z"))
    publish(archive, config, now=NOW + timedelta(minutes=5))
    main = (out / "atom.xml").read_text(encoding="utf-8")
    assert "Conseil municipal" not in main and "2031" not in main
    pages = "".join(p.read_text(encoding="utf-8") for p in out.rglob("archives/*.xml"))
    assert "Conseil municipal" not in pages
