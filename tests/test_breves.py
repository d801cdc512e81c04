from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

import drafts
from brevefeed.archive import Archive
from brevefeed.archive.breves import (
    delete_breve,
    diff_fields,
    find_breve,
    get_breve,
    mint_uid,
    retract,
    unretract,
)
from brevefeed.archive.models import Breve, PublishedBreve, Revision
from brevefeed.authoring import BreveDraft
from brevefeed.errors import AmbiguousError, InputError, NotFoundError, RefusedError

PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2024, 5, 7, 18, 30, tzinfo=PARIS)
LATER = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

DRAFT = BreveDraft(
    title="Fermeture d’un forum « sans modération »",
    slug="fermeture-forum",
    body="Le site comptait 23.051 comptes actifs.\n\nIl a fermé lundi.",
    standfirst="Une décision attendue.",
    section="Numérique",
    authors=("Jeanne Martin",),
    tags=("justice", "numérique"),
    sources=("https://example.net/communique",),
    published=T0,
)


def save(
    archive: Archive, draft: BreveDraft, *, now: datetime = LATER, origin: str | None = "a.md"
):  # type: ignore[no-untyped-def]
    with archive.session() as session:
        return drafts.save(
            session,
            draft,
            now=now,
            host="breves.example.org",
            tz=PARIS,
            editor="jeanne",
            origin=origin,
        )


def test_mint_uid_uses_the_local_date() -> None:
    late_evening_utc = datetime(2024, 5, 6, 23, 30, tzinfo=UTC)  # already the 7th in Paris
    assert mint_uid("ex.org", late_evening_utc, "s", PARIS) == "tag:ex.org,2024-05-07:breves/s"


def test_create_then_same_draft_is_unchanged(archive: Archive) -> None:
    first = save(archive, DRAFT)
    assert first.change == "created"
    assert first.uid == "tag:breves.example.org,2024-05-07:breves/fermeture-forum"
    assert save(archive, DRAFT).change == "unchanged"
    with archive.session() as session:
        breve = get_breve(session, "fermeture-forum")
        assert breve.revisions == []
        assert breve.published_at == T0 and breve.updated_at == T0
        assert breve.published_at.tzinfo is not None
        assert breve.tags == ["justice", "numérique"]
        assert breve.body_html == (
            "<p>Le site comptait 23.051 comptes actifs.</p>\n<p>Il a fermé lundi.</p>"
        )


def test_content_edit_moves_updated_and_keeps_a_revision(archive: Archive) -> None:
    save(archive, DRAFT)
    edited = replace(DRAFT, body=DRAFT.body.replace("lundi", "mardi"))
    assert save(archive, edited, now=LATER).change == "updated"
    with archive.session() as session:
        breve = get_breve(session, "fermeture-forum")
        assert breve.updated_at == LATER
        assert "mardi" in breve.body_html
        (revision,) = breve.revisions
        assert (revision.number, revision.editor, revision.changed) == (1, "jeanne", ["body"])
        assert revision.recorded_at == LATER
        assert "lundi" in revision.snapshot["body"]


def test_non_content_edit_keeps_updated(archive: Archive) -> None:
    save(archive, DRAFT)
    save(archive, replace(DRAFT, authors=("Jeanne Martin", "Léo Ferrand"), section="Société"))
    with archive.session() as session:
        breve = get_breve(session, "fermeture-forum")
        assert breve.updated_at == T0
        assert breve.revisions[0].changed == ["section", "authors"]


def test_tag_reorder_is_a_content_edit(archive: Archive) -> None:
    save(archive, DRAFT)
    save(archive, replace(DRAFT, tags=("numérique", "justice", "forum")))
    with archive.session() as session:
        breve = get_breve(session, "fermeture-forum")
        assert breve.tags == ["numérique", "justice", "forum"]
        assert breve.updated_at == LATER


def test_undated_reimport_keeps_the_first_date(archive: Archive) -> None:
    save(archive, DRAFT)
    assert save(archive, replace(DRAFT, published=None), now=LATER + timedelta(days=3)).change == (
        "unchanged"
    )


def test_an_edited_copy_is_refused_with_the_way_out(archive: Archive, tmp_path: Path) -> None:
    original, copy = tmp_path / "a.md", tmp_path / "b.md"
    original.touch()
    uid = save(archive, DRAFT, origin=str(original)).uid
    # An identical copy is the same brève; the original, still there, keeps it.
    assert save(archive, DRAFT, origin=str(copy)).change == "unchanged"
    assert origin_of(archive) == str(original)
    with pytest.raises(InputError) as refused:
        save(archive, replace(DRAFT, body="Autre texte"), origin=str(copy))
    message = str(refused.value)
    assert f"already used by the brève imported from {original}, which is still there" in message
    assert f'add id = "{uid}"' in message and "give it another slug" in message
    assert save(archive, replace(DRAFT, body="Autre texte", uid=uid), origin=str(copy)).change == (
        "updated"
    )


def origin_of(archive: Archive, slug: str = "fermeture-forum") -> str | None:
    with archive.session() as session:
        return get_breve(session, slug).origin


def count(archive: Archive) -> int:
    with archive.session() as session:
        return int(session.scalar(select(func.count()).select_from(Breve)) or 0)


def test_a_title_fix_edits_the_brève_of_its_file_and_keeps_the_slug(archive: Archive) -> None:
    uid = save(archive, DRAFT, origin="a.md").uid
    fixed = replace(DRAFT, title="Fermeture d’un forum « sans modération » à Lyon")
    fixed = replace(fixed, slug="fermeture-d-un-forum-sans-moderation-a-lyon")
    result = save(archive, fixed, origin="a.md")
    assert (result.change, result.uid, result.slug) == ("updated", uid, "fermeture-forum")
    assert count(archive) == 1
    with archive.session() as session:
        breve = get_breve(session, uid)
        assert (breve.title, breve.revisions[-1].changed) == (fixed.title, ["title"])
    # Naming the id in the file, as the old error advised, works too.
    again = save(archive, replace(fixed, uid=uid, body="Corrigé."), origin="a.md")
    assert (again.change, again.slug) == ("updated", "fermeture-forum")


def test_a_file_bound_to_several_brèves_edits_the_newest(archive: Archive) -> None:
    """Archives from before files stayed bound hold a brève per title a file had."""
    save(archive, DRAFT, origin="a.md")
    save(archive, replace(DRAFT, slug="deuxieme", title="Deuxième"), origin=None)
    with archive.session() as session:
        get_breve(session, "deuxieme").origin = "a.md"
    result = save(archive, replace(DRAFT, slug="troisieme", title="Troisième"), origin="a.md")
    assert (result.change, result.slug) == ("updated", "deuxieme")


def test_a_moved_file_is_the_same_brève_and_its_path_follows(
    archive: Archive, tmp_path: Path
) -> None:
    inbox, done = tmp_path / "inbox.md", tmp_path / "done.md"
    save(archive, DRAFT, origin=str(inbox))  # inbox.md is gone by now: it was moved
    assert save(archive, DRAFT, origin=str(done)).change == "unchanged"
    assert origin_of(archive) == str(done)
    # Moved and edited in one go: still the same brève.
    edited = replace(DRAFT, body="Il a fermé mardi.")
    assert save(archive, edited, origin=str(tmp_path / "archive.md")).change == "updated"
    assert origin_of(archive) == str(tmp_path / "archive.md") and count(archive) == 1


def test_a_written_slug_renames_a_brève_until_it_is_published(archive: Archive) -> None:
    uid = save(archive, DRAFT).uid
    renamed = replace(DRAFT, uid=uid, slug="nouveau-slug", slug_given=True)
    result = save(archive, renamed, origin="b.md")
    assert (result.change, result.uid, result.slug) == ("updated", uid, "nouveau-slug")
    with archive.session() as session:
        session.add(PublishedBreve(breve_id=get_breve(session, uid).id, page=1, feeds=[""]))
    with pytest.raises(InputError, match="is published under its slug, which stays"):
        save(archive, replace(renamed, slug="encore-un-autre"), origin="b.md")


def test_id_cannot_take_another_breves_slug(archive: Archive) -> None:
    save(archive, DRAFT)
    other = replace(DRAFT, slug="autre", title="Autre")
    save(archive, other, origin="c.md")
    with pytest.raises(InputError, match="already used by"):
        save(archive, replace(other, uid="tag:x,2024-01-01:autre", slug="fermeture-forum"))


def test_retract_keeps_the_breve_and_its_reason(archive: Archive) -> None:
    save(archive, DRAFT)
    with archive.session() as session:
        retract(session, "fermeture-forum", reason="Chiffres faux", editor="léo", now=LATER)
    with archive.session() as session:
        breve = get_breve(session, "fermeture-forum")
        assert (breve.status, breve.retracted_at, breve.retraction_reason) == (
            "retracted",
            LATER,
            "Chiffres faux",
        )
        assert breve.updated_at == T0
        assert breve.revisions[-1].changed == ["status"]
    # A re-import of the same file does not bring it back.
    assert save(archive, DRAFT).change == "unchanged"
    with archive.session() as session, pytest.raises(InputError, match="already retracted"):
        retract(session, "fermeture-forum", reason="encore", editor="x", now=LATER)


def test_retract_needs_a_reason_and_an_existing_breve(archive: Archive) -> None:
    save(archive, DRAFT)
    with archive.session() as session:
        with pytest.raises(InputError, match="needs a reason"):
            retract(session, "fermeture-forum", reason="  ", editor="x", now=LATER)
        with pytest.raises(NotFoundError):
            retract(session, "absente", reason="r", editor="x", now=LATER)


def test_find_by_uid_slug_and_number(archive: Archive) -> None:
    uid = save(archive, DRAFT).uid
    with archive.session() as session:
        by_uid = find_breve(session, uid)
        assert by_uid is not None
        assert find_breve(session, "fermeture-forum") is by_uid
        assert find_breve(session, str(by_uid.id)) is by_uid
        assert find_breve(session, "nope") is None


def test_diff_fields_order() -> None:
    before = {"title": "a", "tags": ["x"], "body": "b"}
    assert diff_fields(before, {"title": "b", "tags": ["y"], "body": "b"}) == ["title", "tags"]


def test_a_slug_prefix_finds_one_brève_or_names_the_candidates(archive: Archive) -> None:
    for slug in ("coco-un", "coco-deux", "cantine"):
        save(archive, replace(DRAFT, slug=slug, slug_given=True), origin=f"{slug}.md")
    with archive.session() as session:
        assert get_breve(session, "cant", prefix=True).slug == "cantine"
        with pytest.raises(
            AmbiguousError, match=r"'coco' is the start of several slugs: coco-deux, coco-un$"
        ):
            get_breve(session, "coco", prefix=True)
        with pytest.raises(NotFoundError):
            get_breve(session, "cant")  # writers name a brève in full
        # LIKE's wildcards are letters here.
        with pytest.raises(NotFoundError):
            get_breve(session, "c%", prefix=True)


def test_delete_removes_a_draft_with_its_revisions(archive: Archive) -> None:
    save(archive, replace(DRAFT, status="draft"))
    save(archive, replace(DRAFT, status="draft", body="Deuxième version."))
    with archive.session() as session:
        deleted = delete_breve(session, "fermeture-forum")
        assert deleted.slug == "fermeture-forum"
    assert count(archive) == 0
    with archive.session() as session:
        assert session.scalar(select(func.count()).select_from(Revision)) == 0
    # The same file then makes a new brève.
    assert save(archive, DRAFT).change == "created"


def test_delete_refuses_a_published_or_retracted_brève(archive: Archive) -> None:
    save(archive, DRAFT)
    with archive.session() as session:
        session.add(
            PublishedBreve(breve_id=get_breve(session, "fermeture-forum").id, page=1, feeds=[""])
        )
    with archive.session() as session, pytest.raises(RefusedError, match="retract it instead"):
        delete_breve(session, "fermeture-forum")
    save(archive, replace(DRAFT, slug="autre", slug_given=True), origin="autre.md")
    with archive.session() as session:
        retract(session, "autre", reason="Erreur", editor="x", now=LATER)
    with archive.session() as session, pytest.raises(RefusedError, match="retract it instead"):
        delete_breve(session, "autre")
    assert count(archive) == 2


def test_retract_undo_restores_the_status_it_had(archive: Archive) -> None:
    save(archive, replace(DRAFT, status="draft"))
    with archive.session() as session, pytest.raises(RefusedError, match="is not retracted"):
        unretract(session, "fermeture-forum", editor="x", now=LATER)
    with archive.session() as session:
        retract(session, "fermeture-forum", reason="Erreur", editor="x", now=LATER)
    with archive.session() as session:
        breve = unretract(session, "fermeture-forum", editor="léo", now=LATER)
        assert (breve.status, breve.retracted_at, breve.retraction_reason) == ("draft", None, None)
        assert [r.changed for r in breve.revisions] == [["status"], ["status"]]
        assert breve.revisions[-1].snapshot["status"] == "retracted"
