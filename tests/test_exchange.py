from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

import drafts
from brevefeed.archive import Archive, open_archive
from brevefeed.archive.breves import retract
from brevefeed.archive.exchange import export_lines, looks_like_export, restore_line
from brevefeed.archive.exchange.breves import iter_all_breves
from brevefeed.archive.models import Breve
from brevefeed.authoring import BreveDraft
from brevefeed.errors import InputError

FRENCH = "L’« œuvre » d’été\u00a0: 23.051 procédures, cœur, Ça\u202f!"
DRAFT = BreveDraft(
    title=FRENCH,
    slug="oeuvre",
    body=f"{FRENCH}\n\nDeuxième paragraphe.",
    standfirst=FRENCH,
    authors=("Zoé Œllet",),
    tags=("société", "œuvre"),
    sources=("https://e.org/a",),
    published=datetime(2024, 5, 7, 16, 30, tzinfo=UTC),
)
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def populate(archive: Archive) -> None:
    with archive.session() as session:
        for draft in (DRAFT, replace(DRAFT, body="Corps modifié « ici »")):
            drafts.save(session, draft, now=NOW, editor="zoé", origin="/data/oeuvre.md")
        drafts.save(session, replace(DRAFT, slug="autre", title="Autre"), now=NOW, editor="zoé")
        retract(session, "autre", reason="Doublon « malheureux »", editor="zoé", now=NOW)


def export(archive: Archive) -> list[str]:
    with archive.session() as session:
        return list(export_lines(session))


def test_round_trip_is_byte_identical_across_backends(archive: Archive, tmp_path: Path) -> None:
    populate(archive)
    first = export(archive)
    assert len(first) == 2
    assert FRENCH in first[0]  # no \u escapes: French text as written
    target = open_archive(f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    try:
        with target.session() as session:
            assert [restore_line(session, line) for line in first] == ["created", "created"]
        assert export(target) == first
        with target.session() as session:
            assert [restore_line(session, line) for line in first] == ["unchanged", "unchanged"]
            breve = session.scalars(select(Breve).where(Breve.slug == "oeuvre")).one()
            assert breve.body_html == "<p>Corps modifié « ici »</p>"
            assert len(breve.revisions) == 1
    finally:
        target.close()


def test_record_fields(archive: Archive) -> None:
    populate(archive)
    records = [json.loads(line) for line in export(archive)]
    oeuvre = next(r for r in records if r["slug"] == "oeuvre")
    assert oeuvre["kind"] == "breve"
    assert oeuvre["published"] == "2024-05-07T16:30:00+00:00"
    assert oeuvre["updated"] == "2024-06-01T00:00:00+00:00"
    assert oeuvre["origin"] == "/data/oeuvre.md"
    (revision,) = oeuvre["revisions"]
    assert revision["changed"] == ["body"] and revision["editor"] == "zoé"
    assert list(revision["snapshot"]) == sorted(revision["snapshot"])
    autre = next(r for r in records if r["slug"] == "autre")
    assert (autre["status"], autre["retraction_reason"]) == ("retracted", "Doublon « malheureux »")


def test_restore_replaces_a_changed_record(archive: Archive) -> None:
    populate(archive)
    line = export(archive)[0]
    record = json.loads(line)
    record["title"] = "Titre corrigé"
    with archive.session() as session:
        assert restore_line(session, json.dumps(record, ensure_ascii=False)) == "updated"
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Breve)) == 2


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.pop("title"), "missing key 'title'"),
        (lambda r: r.update(title=3), "key 'title' has the wrong type"),
        (lambda r: r.update(published="hier"), "key 'published': 'hier' is not an ISO 8601"),
        (lambda r: r.update(published="2024-05-07T10:00:00"), "has no time zone"),
        (lambda r: r.update(status="perdu"), "key 'status'"),
        (lambda r: r.update(tags=[1]), "key 'tags' must be a list of strings"),
        (lambda r: r.update(colour="bleu"), "unknown key 'colour'"),
        (lambda r: r.update(kind="chose"), "unknown kind 'chose'"),
    ],
)
def test_bad_records(archive: Archive, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    populate(archive)
    record = json.loads(export(archive)[0])
    mutate(record)
    with archive.session() as session, pytest.raises(InputError, match=message):
        restore_line(session, json.dumps(record))


def test_new_breve_with_a_taken_slug(archive: Archive) -> None:
    """A new brève is checked before it is added: the slug look-up's autoflush must not insert
    a half-filled row (an IntegrityError) before the one-line error names the holder."""
    populate(archive)
    record = json.loads(export(archive)[0])
    holder = record["id"]
    record.update(id=holder + "-copie", revisions=[])
    with archive.session() as session, pytest.raises(InputError, match="already used by"):
        restore_line(session, json.dumps(record))
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Breve)) == 2


def test_bad_json(archive: Archive) -> None:
    with archive.session() as session:
        with pytest.raises(InputError, match="not valid JSON"):
            restore_line(session, "{kind")
        with pytest.raises(InputError, match="must be a JSON object"):
            restore_line(session, "[1]")


def test_export_detection() -> None:
    assert looks_like_export('{"kind":"breve","id":"x"}\n')
    assert not looks_like_export("+++\ntitle = 'x'\n+++\n")
    assert not looks_like_export("Articles / brèves\n")


def test_iter_all_is_oldest_first(archive: Archive) -> None:
    with archive.session() as session:
        for n in (3, 1, 4, 0, 2):
            draft = BreveDraft(
                title=f"Brève {n}",
                slug=f"breve-{n}",
                body="B",
                published=datetime(2024, 1, 1 + n, tzinfo=UTC),
            )
            drafts.save(session, draft, now=datetime(2024, 1, 1, tzinfo=UTC), host="h.org")
    with archive.session() as session:
        found = [b.slug for b in iter_all_breves(session, batch=2)]
    assert found == [f"breve-{n}" for n in range(5)]
