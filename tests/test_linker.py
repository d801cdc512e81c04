"""Linking against the known corpus. The candidate finder here returns every brève or item:
the scorer and the link choice are what is tested; the search-backed finder is tested with
the search index."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive import Archive
from brevefeed.archive.breves import get_breve
from brevefeed.archive.models import Breve, Item, RelatedLink
from brevefeed.related.linker import LinkSettings, link_breves, link_new_items, reset_links
from brevefeed.related.links import decide, find_item
from related_corpus import NOW, corpus, expected_pairs, load_breves, load_items

SETTINGS = LinkSettings(threshold=0.2, max_per_breve=5)


def every_breve(session: Session, terms: Sequence[str], limit: int) -> list[int]:
    return list(session.scalars(select(Breve.id)))


def every_item(session: Session, terms: Sequence[str], limit: int) -> list[int]:
    return list(session.scalars(select(Item.id)))


def linked_pairs(session: Session) -> set[tuple[int, int]]:
    rows = session.execute(
        select(RelatedLink.breve_id, RelatedLink.item_id).where(RelatedLink.state == "linked")
    )
    return {(b, i) for b, i in rows}


def precision_recall(
    found: set[tuple[int, int]], expected: set[tuple[int, int]]
) -> tuple[float, float]:
    hits = len(found & expected)
    return hits / max(len(found), 1), hits / len(expected)


def test_items_arriving_after_the_breves(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        breves = load_breves(session, data)
        link_breves(session, breves.values(), SETTINGS, every_item, now=NOW)
        items = load_items(session, data)
        report = link_new_items(session, SETTINGS, every_breve, now=NOW)
        assert report.items == len(items)
        precision, recall = precision_recall(
            linked_pairs(session), expected_pairs(data, breves, items)
        )
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_breves_arriving_after_the_items(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        items = load_items(session, data)
        link_new_items(session, SETTINGS, every_breve, now=NOW)
        breves = load_breves(session, data)
        report = link_breves(session, breves.values(), SETTINGS, every_item, now=NOW)
        assert report.breves == len(breves)
        precision, recall = precision_recall(
            linked_pairs(session), expected_pairs(data, breves, items)
        )
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)


def test_manual_decisions_survive_a_rebuild(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        breves = load_breves(session, data)
        items = load_items(session, data)
        link_new_items(session, SETTINGS, every_breve, now=NOW)
        breve = get_breve(session, "forum-rencontres-ferme")
        good = find_item(session, "https://gazette.example/societe/site-rencontres-ferme")
        trap = find_item(session, "https://sport.example/foot/forum-supporters-ferme")
        decide(session, breve, good, linked=False, now=NOW)
        decide(session, breve, trap, linked=True, now=NOW)
    with archive.session() as session:
        reset_links(session)
        link_new_items(session, SETTINGS, every_breve, now=NOW)
        link_breves(session, breves.values(), SETTINGS, every_item, now=NOW, count=False)
        pairs = linked_pairs(session)
        assert (
            breves["forum-rencontres-ferme"],
            items["https://sport.example/foot/forum-supporters-ferme"],
        ) in pairs
        assert (
            breves["forum-rencontres-ferme"],
            items["https://gazette.example/societe/site-rencontres-ferme"],
        ) not in pairs


def test_max_per_breve_and_bump_updated(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        load_breves(session, data)
        before = get_breve(session, "signalements-pharos-hausse").updated_at
        load_items(session, data)
        settings = LinkSettings(threshold=0.2, max_per_breve=1, bump_updated=True)
        link_new_items(session, settings, every_breve, now=NOW)
        breve = get_breve(session, "signalements-pharos-hausse")
        links = session.scalars(select(RelatedLink).where(RelatedLink.breve_id == breve.id)).all()
        assert len(links) == 1
        assert breve.updated_at == NOW != before
