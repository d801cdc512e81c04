from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import drafts
from brevefeed.archive import Archive
from brevefeed.archive.breves import (
    diff_fields,
    find_breve,
    get_breve,
    mint_uid,
    retract,
)
from brevefeed.authoring import BreveDraft
from brevefeed.errors import InputError, NotFoundError

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


def test_same_slug_from_another_file_is_refused(archive: Archive) -> None:
    save(archive, DRAFT, origin="a.md")
    with pytest.raises(InputError, match=r"already used by the brève imported from a\.md"):
        save(archive, replace(DRAFT, body="Autre texte"), origin="b.md")


def test_matching_by_id_allows_a_slug_change(archive: Archive) -> None:
    uid = save(archive, DRAFT).uid
    result = save(archive, replace(DRAFT, uid=uid, slug="nouveau-slug"), origin="b.md")
    assert (result.change, result.uid, result.slug) == ("updated", uid, "nouveau-slug")


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
