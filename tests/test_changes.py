"""The change stamp every mutation raises (what publish reads instead of the whole archive)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser
from sqlalchemy import select

import drafts
from brevefeed.archive import Archive
from brevefeed.archive.breves import delete_breve, retract, unretract
from brevefeed.archive.exchange import breve_record, restore_record
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.authoring import BreveDraft
from brevefeed.publish import publish
from test_publish_run import BREVES, load, make_config

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def draft(**fields: object) -> BreveDraft:
    values: dict[str, object] = {
        "title": "Le marché déménage",
        "slug": "le-marche-demenage",
        "body": "Trente-deux étals.",
        "tags": ("commerce",),
        "published": NOW,
    }
    values.update(fields)
    return BreveDraft(**values)  # type: ignore[arg-type]


def save(archive: Archive, value: BreveDraft) -> None:
    with archive.session() as session:
        drafts.save(session, value, now=NOW, host="journal.example.org")


def seqs(archive: Archive) -> dict[str, int]:
    with archive.session() as session:
        rows = session.execute(select(Breve.slug, Breve.change_seq))
        return {slug: seq for slug, seq in rows}


def test_every_mutation_raises_the_stamp(archive: Archive) -> None:
    """Each mutation puts its brève above every stamp seen before; no change, no stamp.

    (The exact numbers are not the contract: one edit may flush more than once.)
    """
    save(archive, draft())
    first = seqs(archive)
    assert first["le-marche-demenage"] >= 1
    save(archive, draft(slug="autre", title="Autre brève"))
    second = seqs(archive)
    assert second["autre"] > second["le-marche-demenage"] == first["le-marche-demenage"]
    save(archive, draft())  # unchanged: no new stamp
    assert seqs(archive) == second
    save(archive, draft(tags=("commerce", "santé")))  # a tag alone is a change
    third = seqs(archive)
    assert third["le-marche-demenage"] > max(second.values())
    assert third["autre"] == second["autre"]
    with archive.session() as session:
        retract(session, "autre", reason="Doublon", editor="test", now=NOW)
    fourth = seqs(archive)
    assert fourth["autre"] > max(third.values())
    with archive.session() as session:
        breve = session.scalars(select(Breve).where(Breve.slug == "autre")).one()
        record = breve_record(breve)
    record.update(id=record["id"] + "-copie", slug="autre-copie", revisions=[])
    with archive.session() as session:
        assert restore_record(session, record) == "created"
    assert seqs(archive)["autre-copie"] > max(fourth.values())


def test_an_item_changing_story_stamps_the_breves_it_is_linked_to(archive: Archive) -> None:
    """« À lire aussi » shows one line per story: two of a brève's items found to tell one
    story change its page, though none of its own rows changed."""
    save(archive, draft())
    save(archive, draft(slug="autre", title="Autre brève"))
    with archive.session() as session:
        source = Source(url="https://gazette.example/rss", name="La Gazette", created_at=NOW)
        session.add(source)
        session.flush()
        items = []
        for n in range(3):
            item = Item(
                source_id=source.id,
                entry_id=f"e{n}",
                link=f"https://gazette.example/{n}",
                title=f"Le marché, épisode {n}",
                fetched_at=NOW,
                content_hash=str(n),
            )
            session.add(item)
            session.flush()
            item.story_id = item.id
            items.append(item.id)
        breve = session.scalars(select(Breve).where(Breve.slug == "le-marche-demenage")).one()
        for item_id in items[:2]:
            session.add(
                RelatedLink(
                    breve_id=breve.id,
                    item_id=item_id,
                    score=0.5,
                    method="auto",
                    state="linked",
                    created_at=NOW,
                )
            )
    before = seqs(archive)
    with archive.session() as session:
        session.get_one(Item, items[2]).story_id = items[0]  # linked to no brève
    assert seqs(archive) == before
    with archive.session() as session:
        session.get_one(Item, items[1]).story_id = items[0]
    after = seqs(archive)
    assert after["le-marche-demenage"] > max(before.values())
    assert after["autre"] == before["autre"]
    with archive.session() as session:
        session.get_one(Item, items[1]).story_id = items[0]  # no move, no stamp
    assert seqs(archive) == after


def test_deleting_the_highest_stamped_draft_never_hands_its_stamp_out_again(
    archive: Archive, tmp_path: Path
) -> None:
    """Stamps came from max(change_seq) + 1: once the draft holding the maximum was deleted,
    the next edit was given the stamp publish had already read past, and never went out."""
    config = make_config(tmp_path)
    load(archive, BREVES)
    save(archive, draft(status="draft"))
    publish(archive, config, now=NOW)
    with archive.session() as session:
        delete_breve(session, "le-marche-demenage")
    with archive.session() as session:
        breve = session.scalars(select(Breve).where(Breve.status == "published")).first()
        assert breve is not None
        breve.title, uid = "Titre corrigé après coup", breve.uid
    publish(archive, config, now=NOW)
    entries = feedparser.parse((tmp_path / "public" / "atom.xml").read_bytes()).entries
    assert next(e for e in entries if e.id == uid).title == "Titre corrigé après coup"


def test_a_restored_brève_returns_to_the_feeds_and_its_tombstone_goes(
    archive: Archive, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    atom = tmp_path / "public" / "atom.xml"
    load(archive, BREVES)
    publish(archive, config, now=NOW)
    with archive.session() as session:
        uid = retract(session, "1", reason="Erreur", editor="t", now=NOW).uid
    publish(archive, config, now=NOW)
    assert f'ref="{uid}"' in atom.read_text(encoding="utf-8")
    with archive.session() as session:
        unretract(session, uid, editor="t", now=NOW)
    publish(archive, config, now=NOW)
    assert "deleted-entry" not in atom.read_text(encoding="utf-8")
    assert uid in [e.id for e in feedparser.parse(atom.read_bytes()).entries]
