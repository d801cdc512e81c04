"""The output is a function of the archive, repaired rather than trusted: a history published run
after run and the same archive published into an empty folder give the same files, byte for
byte; files deleted or overwritten by hand are rewritten; stories are listed once."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.breves import get_breve, retract, save_draft
from brevefeed.archive.models import Breve, Item, Source
from brevefeed.authoring import BreveDraft
from brevefeed.config import Config, PublishConfig, SiteConfig
from brevefeed.publish import publish
from brevefeed.publish import run as run_module
from brevefeed.related.links import decide

SITE = SiteConfig(title="Le Journal", link="https://journal.example.org/", timezone="UTC")
BASE = "https://journal.example.org/flux/"
START = datetime(2024, 5, 1, 8, tzinfo=UTC)


def make_config(tmp_path: Path, output: str = "public") -> Config:
    return Config(
        site=SITE,
        publish=PublishConfig(base_url=BASE, archive_page_size=2, output=output),
        path=tmp_path / "config.toml",
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def draft(slug: str, day: int, tags: tuple[str, ...], **extra: object) -> BreveDraft:
    values: dict[str, object] = {
        "title": f"Brève {slug}",
        "slug": slug,
        "body": f"Le texte de {slug}.",
        "standfirst": f"Le chapô de {slug}.",
        "section": "Société",
        "tags": tags,
        "authors": ("Jeanne Martin", "Léo Ferrand"),
        "published": START + timedelta(days=day),
    }
    values.update(extra)
    return BreveDraft(**values)  # type: ignore[arg-type]


def save(archive: Archive, breve: BreveDraft, now: datetime) -> None:
    with archive.session() as session:
        save_draft(
            session,
            breve,
            host="journal.example.org",
            tz=UTC,
            default_language="fr",
            default_date=now,
            editor="test",
            now=now,
        )


def add_story(archive: Archive, now: datetime) -> dict[str, int]:
    """One article syndicated by two outlets (one story), the link decorated with trackers."""
    ids = {}
    with archive.session() as session:
        story: int | None = None
        for n, outlet in enumerate(("La Gazette du Midi", "Le Quotidien")):
            source = Source(url=f"https://feeds.example/{n}", name=outlet, created_at=now)
            session.add(source)
            session.flush()
            item = Item(
                source_id=source.id,
                entry_id=f"urn:item:{n}",
                link=f"https://gazette.example/piscine?utm_source=rss&id=7&xtor=RSS-{n}",
                title="La piscine rouvre",
                summary_html="<p>Enfin.</p>",
                published_at=now - timedelta(hours=2 - n),
                fetched_at=now,
                content_hash=f"h{n}",
            )
            session.add(item)
            session.flush()
            story = story or item.id
            item.story_id = story
            ids[outlet] = item.id
    return ids


def link(archive: Archive, slug: str, item_ids: list[int], *, linked: bool, now: datetime) -> None:
    with archive.session() as session:
        breve = get_breve(session, slug)
        for item_id in item_ids:
            item = session.get(Item, item_id)
            assert item is not None
            decide(session, breve, item, linked=linked, now=now)


Step = Callable[[Archive, datetime], None]


def history() -> list[Step]:
    """Adds, edits, retractions, back-dated brèves, tag changes, related links added and
    removed: each step is followed by a publish in the incremental run."""
    items: dict[str, int] = {}

    def first(a: Archive, now: datetime) -> None:
        save(a, draft("piscine", 0, ("Santé", "vélo")), now)
        save(a, draft("stade", 1, ("sport",)), now)
        save(a, draft("marche", 2, ("commerce",), sources=("https://insee.fr/a",)), now)

    def edit_and_backdate(a: Archive, now: datetime) -> None:
        save(a, draft("piscine", 0, ("Santé", "vélo"), body="Texte corrigé."), now)
        save(a, draft("registres", -300, ("archives",)), now)

    def retract_only_brève_of_a_tag(a: Archive, now: datetime) -> None:
        with a.session() as session:
            retract(session, "stade", reason="Erreur de date", editor="test", now=now)

    def retag(a: Archive, now: datetime) -> None:
        save(a, draft("piscine", 0, ("Santé", "cyclisme"), body="Texte corrigé."), now)

    def related_added(a: Archive, now: datetime) -> None:
        items.update(add_story(a, now))
        link(a, "marche", list(items.values()), linked=True, now=now)

    def related_removed(a: Archive, now: datetime) -> None:
        link(a, "marche", list(items.values()), linked=False, now=now)

    def later(a: Archive, now: datetime) -> None:
        save(a, draft("bibliotheque", 5, ("culture", "Santé")), now)

    return [
        first,
        edit_and_backdate,
        retract_only_brève_of_a_tag,
        retag,
        related_added,
        related_removed,
        later,
    ]


def test_incremental_history_and_rebuild_from_nothing_give_the_same_files(
    archive: Archive, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "public"
    now = START + timedelta(days=10)
    seen_press = False
    for step in history():
        now += timedelta(hours=1)
        step(archive, now)
        publish(archive, config, now=now)
        seen_press = seen_press or (out / "tags/commerce/related.xml").exists()
    assert seen_press  # the press review existed, then lost its coverage
    kept = tree(out)
    # The retracted brève was the tag's only one: its feed stays, with the tombstone.
    assert b"deleted-entry" in kept["tags/sport/atom.xml"]
    assert "tags/velo/feed.xml" in kept and "tags/cyclisme/feed.xml" in kept
    assert "tags/commerce/related.xml" not in kept
    # Another output folder, never published into: built from the archive alone.
    fresh = publish(archive, make_config(tmp_path, "fresh"), now=now)
    assert tree(tmp_path / "fresh") == kept
    assert len(fresh.written) == len(kept)
    # The same folder emptied by hand: repaired from the manifest.
    shutil.rmtree(out)
    out.mkdir()
    report = publish(archive, config, now=now)
    assert tree(out) == kept
    assert sorted(report.written) == sorted(kept)


def test_files_deleted_or_overwritten_by_hand_are_rewritten(
    archive: Archive, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "public"
    for step in history()[:3]:
        step(archive, START)
    publish(archive, config, now=START)
    kept = tree(out)
    (out / "feed.xml").unlink()
    (out / "atom.xml").write_bytes(b"<oops/>")
    shutil.rmtree(out / "tags")
    report = publish(archive, config, now=START)
    assert tree(out) == kept
    tag_files = [path for path in kept if path.startswith("tags/")]
    assert sorted(report.written) == sorted(["feed.xml", "atom.xml", *tag_files])
    assert report.unchanged == len(kept) - len(report.written)
    # Same length, new mtime: hashed, found different, rewritten.
    atom = out / "atom.xml"
    atom.write_bytes(atom.read_bytes().replace(b"Le Journal", b"Le Jjjjjjl", 1))
    assert publish(archive, config, now=START).written == ["atom.xml"]
    assert tree(out) == kept
    # Touched but intact: hashed once, nothing written.
    (out / "feed.json").touch()
    assert publish(archive, config, now=START).written == []
    assert str(publish(archive, config, now=START)) == f"publish: 0 written, {len(kept)} unchanged"


def test_pages_are_checked_by_turns_and_all_at_once_with_verify(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "public"
    for step in history()[:3]:
        step(archive, START)
    publish(archive, config, now=START)
    kept = tree(out)
    pages = sorted(p for p in kept if p.startswith(("breves/", "archives/")))
    assert len(pages) > 3 and pages[-1].startswith("breves/")
    monkeypatch.setattr(run_module, "SWEEP", 1)
    # Overwritten in place (same size, same folders): found when its turn comes, one a run.
    page = out / pages[-1]
    page.write_bytes(page.read_bytes().replace(b"Le Journal", b"Le Jjjjjjl"))
    runs = [publish(archive, config, now=START).written for _ in pages]
    assert runs.count([pages[-1]]) == 1 and runs.count([]) == len(pages) - 1
    assert tree(out) == kept
    # Or at once, with verify.
    page.write_bytes(page.read_bytes().replace(b"Le Journal", b"Le Jjjjjjl"))
    assert publish(archive, config, now=START, verify=True).written == [pages[-1]]
    # A brève's folder removed by hand changes breves/: every page under it is checked now.
    monkeypatch.setattr(run_module, "SWEEP", 0)
    shutil.rmtree(page.parent)
    assert publish(archive, config, now=START).written == [pages[-1]]
    assert tree(out) == kept


def test_force_rewrites_everything(archive: Archive, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    history()[0](archive, START)
    first = publish(archive, config, now=START)
    again = publish(archive, config, now=START, force=True)
    assert sorted(again.written) == sorted(first.written) and again.unchanged == 0


def test_stories_are_listed_once_without_trackers(archive: Archive, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "public"
    steps = history()
    for step in (steps[0], steps[4]):
        step(archive, START)
    publish(archive, config, now=START + timedelta(days=10))
    main = feedparser.parse((out / "atom.xml").read_bytes())
    marche = next(e for e in main.entries if e.title == "Brève marche")
    html = marche.content[0].value
    assert html.count("La piscine rouvre") == 1
    assert "La Gazette du Midi et Le Quotidien : " in html
    assert 'href="https://gazette.example/piscine?id=7"' in html
    assert 'href="https://insee.fr/a"' in html
    assert html.startswith("<p><strong>Le chapô de marche.</strong></p>")
    for name in ("related-atom.xml", "tags/commerce/related-atom.xml"):
        (entry,) = feedparser.parse((out / name).read_bytes()).entries
        assert entry.link == "https://gazette.example/piscine?id=7"
        assert "La Gazette du Midi et Le Quotidien" in entry.content[0].value
    rss = feedparser.parse((out / "feed.xml").read_bytes())
    assert {e.author for e in rss.entries} == {"Jeanne Martin et Léo Ferrand"}
    # A tag with no related coverage has no press review.
    assert not (out / "tags/sport/related.xml").exists()


def test_a_story_item_added_later_keeps_the_press_entry_id(
    archive: Archive, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    out = tmp_path / "public"
    history()[0](archive, START)
    items = add_story(archive, START)
    link(archive, "marche", [items["La Gazette du Midi"]], linked=True, now=START)
    publish(archive, config, now=START + timedelta(days=10))
    before = feedparser.parse((out / "related-atom.xml").read_bytes()).entries
    link(archive, "marche", [items["Le Quotidien"]], linked=True, now=START)
    publish(archive, config, now=START + timedelta(days=10))
    after = feedparser.parse((out / "related-atom.xml").read_bytes()).entries
    assert [e.id for e in before] == [e.id for e in after] == ["urn:item:0"]
    with archive.session() as session:
        assert session.scalar(select(Breve.status).where(Breve.slug == "marche")) == "published"
    assert "Le Quotidien" in after[0].content[0].value


@pytest.mark.parametrize("keep", [True, False])
def test_dry_run_counts_like_a_run(archive: Archive, tmp_path: Path, keep: bool) -> None:
    config = make_config(tmp_path)
    history()[0](archive, START)
    if keep:
        publish(archive, config, now=START)
    dry = publish(archive, replace(config), now=START, dry_run=True)
    real = publish(archive, config, now=START)
    assert (len(dry.written), dry.unchanged) == (len(real.written), real.unchanged)


SLUGS = ("piscine", "stade", "marche")
TAGS = ("Santé", "vélo", "sport", "culture")
operation = st.one_of(
    st.tuples(
        st.just("save"),
        st.sampled_from(SLUGS),
        st.integers(-400, 5),
        st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
    ),
    st.tuples(st.just("retract"), st.sampled_from(SLUGS)),
    st.tuples(st.just("link"), st.booleans()),
)


def apply(archive: Archive, op: tuple[object, ...], now: datetime, items: list[int]) -> None:
    kind = op[0]
    if kind == "save":
        _kind, slug, day, tags = op
        save(archive, draft(str(slug), int(str(day)), tuple(tags)), now)  # type: ignore[arg-type]
        return
    with archive.session() as session:
        known = set(session.scalars(select(Breve.slug).where(Breve.status == "published")))
    if kind == "retract" and op[1] in known:
        with archive.session() as session:
            retract(session, str(op[1]), reason="Erreur", editor="test", now=now)
    elif kind == "link" and "marche" in known:
        if not items:
            items.extend(add_story(archive, now).values())
        link(archive, "marche", items, linked=bool(op[1]), now=now)


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(operation, st.booleans()), min_size=1, max_size=6))
def test_any_history_rebuilt_from_nothing_gives_the_same_files(
    steps: list[tuple[tuple[object, ...], bool]],
) -> None:
    """Generated histories (SQLite), published after some steps only."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        archive = open_archive(f"sqlite:///{folder / 'archive.sqlite3'}")
        try:
            now = START + timedelta(days=10)
            items: list[int] = []
            for op, publish_now in steps:
                now += timedelta(hours=1)
                apply(archive, op, now, items)
                if publish_now:
                    publish(archive, make_config(folder), now=now)
            publish(archive, make_config(folder), now=now)
            publish(archive, make_config(folder, "fresh"), now=now)
            assert tree(folder / "fresh") == tree(folder / "public")
        finally:
            archive.close()
