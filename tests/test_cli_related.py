from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive import open_archive
from brevefeed.archive.models import Breve, Item, Source
from brevefeed.cli import cli
from brevefeed.config import RelatedConfig
from brevefeed.related.linker import link_new_items
from brevefeed.related.run import link_pending_items
from related_corpus import NOW, corpus, load_breves, load_items


def every_breve(session: Session, terms: Sequence[str], limit: int) -> list[int]:
    return list(session.scalars(select(Breve.id)))


@pytest.fixture
def linked(tmp_path: Path, archive_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("BREVEFEED_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("BREVEFEED_DATABASE_URL", archive_url)
    archive = open_archive(archive_url)
    try:
        with archive.session() as session:
            data = corpus()
            load_breves(session, data)
            items = load_items(session, data)
            link_new_items(session, RelatedConfig(), every_breve, now=NOW)
    finally:
        archive.close()
    return items


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_related_relate_unrelate(linked: dict[str, int]) -> None:
    shown = json.loads(run("related", "forum-rencontres-ferme", "--format", "json").stdout)
    assert {"La Gazette du Midi", "Le Quotidien numérique"} <= {r["outlet"] for r in shown}
    assert shown[0]["method"] == "auto" and shown[0]["published"].startswith("2024-05-2")
    trap = str(linked["https://sport.example/foot/forum-supporters-ferme"])
    assert run("relate", "forum-rencontres-ferme", trap).stdout.startswith(f"related item {trap}")
    assert "already so" in run("relate", "forum-rencontres-ferme", trap).stdout
    first = shown[0]["link"]
    assert run("unrelate", "forum-rencontres-ferme", first, "-q").stdout == ""
    now = json.loads(run("related", "forum-rencontres-ferme", "--format", "json").stdout)
    assert {r["item_id"] for r in now} == {r["item_id"] for r in shown[1:]} | {int(trap)}
    with_rejected = run("related", "forum-rencontres-ferme", "--rejected").stdout
    assert "rejected" in with_rejected


def test_related_says_why_and_explains(linked: dict[str, int]) -> None:
    shown = json.loads(run("related", "forum-rencontres-ferme", "--format", "json").stdout)
    gazette = next(r for r in shown if r["outlet"] == "La Gazette du Midi")
    assert "forum" in gazette["why"] and len(gazette["why"]) <= 4
    table = run("related", "forum-rencontres-ferme", "--format", "tsv").stdout
    assert "forum" in table.splitlines()[0]
    link = "https://gazette.example/societe/site-rencontres-ferme"
    explained = json.loads(
        run("related", "forum-rencontres-ferme", "--explain", link, "--format", "json").stdout
    )
    assert explained[0]["score"] == gazette["score"] and explained[0]["days_apart"] < 1
    assert "forum" in {r["term"] for r in explained}
    weights = [r["weight"] for r in explained]
    assert weights == sorted(weights, reverse=True)
    assert abs(sum(weights) - explained[0]["words"]) < 0.01
    said = run("related", "forum-rencontres-ferme", "--explain", link, "--format", "table")
    assert said.stdout.startswith(f"item {linked[link]} and forum-rencontres-ferme: score")
    missing = run("related", "forum-rencontres-ferme", "--explain", "https://nowhere.example/")
    assert missing.exit_code == 3 and "no item" in missing.stderr


def test_errors(linked: dict[str, int]) -> None:
    assert run("related", "inconnue").exit_code == 3
    missing = run("relate", "forum-rencontres-ferme", "https://nowhere.example/")
    assert missing.exit_code == 3 and "no item" in missing.stderr


def test_stories(linked: dict[str, int]) -> None:
    listed = json.loads(run("stories", "--min-outlets", "1", "--format", "json").stdout)
    # The items that cover one brève are one story, whatever their wording.
    forum = next(s for s in listed if s["breve"] == "forum-rencontres-ferme")
    assert {"La Gazette du Midi", "Le Quotidien numérique"} <= set(forum["outlets"])
    assert len(listed) < len(linked)
    several = json.loads(run("stories", "--format", "json").stdout)
    assert several and all(len(s["outlets"]) >= 2 for s in several)
    nothing = run("stories", "--min-outlets", "4")
    assert (nothing.stdout, nothing.stderr) == ("", "brevefeed: no story\n")


def test_rebuild(linked: dict[str, int]) -> None:
    result = run("related", "--rebuild")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"related: {len(linked)} items grouped")
    shown = json.loads(run("related", "forum-rencontres-ferme", "--format", "json").stdout)
    assert {
        "https://gazette.example/societe/site-rencontres-ferme",
        "https://quotidien.example/tech/fin-de-partie-tchat",
    } <= {r["link"] for r in shown}
    assert run("related", "forum-rencontres-ferme", "--rebuild").exit_code == 2
    assert run("related").exit_code == 2


def test_search_shows_one_line_per_story(
    tmp_path: Path, archive_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("BREVEFEED_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("BREVEFEED_DATABASE_URL", archive_url)
    archive = open_archive(archive_url)
    try:
        with archive.session() as session:
            echo = Source(url="https://echo.example/feed", name="L’Écho", created_at=NOW)
            veille = Source(url="https://veille.example/feed", name="La Veille", created_at=NOW)
            session.add_all([echo, veille])
            session.flush()
            for n, (source, link) in enumerate(
                [
                    (echo, "https://echo.example/a?id=1"),
                    (veille, "https://www.echo.example/a/?id=1&utm_source=rss"),
                ]
            ):
                session.add(
                    Item(
                        source_id=source.id,
                        entry_id=f"e{n}",
                        link=link,
                        fetched_at=NOW,
                        title="Le conseil municipal vote la fermeture du gymnase",
                        content_hash=str(n),
                        published_at=NOW,
                    )
                )
        link_pending_items(archive, RelatedConfig(), now=NOW)
    finally:
        archive.close()
    grouped = [
        json.loads(line)
        for line in run("search", "gymnase", "--format", "jsonl").stdout.splitlines()
    ]
    assert len(grouped) == 1
    assert set(grouped[0]["outlets"]) == {"L’Écho", "La Veille"}
    assert grouped[0]["outlets"][0] == grouped[0]["source"]
    every = run("search", "gymnase", "--all-items", "--format", "jsonl").stdout.splitlines()
    assert len(every) == 2 and all(json.loads(line)["outlets"] == [] for line in every)
