"""The related passes end to end, with candidates from the real search index."""

from __future__ import annotations

from sqlalchemy import select

from brevefeed.archive import Archive
from brevefeed.archive.breves import get_breve
from brevefeed.archive.models import Breve, Item, RelatedLink
from brevefeed.config import RelatedConfig
from brevefeed.related.links import decide, find_item
from brevefeed.related.run import link_changed_breves, link_pending_items, rebuild
from related_corpus import NOW, corpus, expected_pairs, load_breves, load_items

CONFIG = RelatedConfig()


def linked(archive: Archive) -> set[tuple[int, int]]:
    with archive.session() as session:
        rows = session.execute(
            select(RelatedLink.breve_id, RelatedLink.item_id).where(RelatedLink.state == "linked")
        )
        return {(b, i) for b, i in rows}


def test_items_then_breves_then_rebuild(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        items = load_items(session, data)
    # Items first: grouped, nothing to link to yet.
    report = link_pending_items(archive, CONFIG, now=NOW)
    assert report.items == len(items) and report.links_added == 0
    assert link_pending_items(archive, CONFIG, now=NOW).items == 0
    with archive.session() as session:
        breves = load_breves(session, data)
        uids = list(session.scalars(select(Breve.uid)))
    link_changed_breves(archive, CONFIG, uids, now=NOW)
    expected = expected_pairs(data, breves, items)
    # Every right link (the same-day traps of this small corpus may link too: precision is
    # measured in test_related_quality).
    before = linked(archive)
    assert expected <= before
    # An editor's decisions survive a full rebuild.
    with archive.session() as session:
        breve = get_breve(session, "prevention-colleges")
        item = find_item(session, "https://radio.example/eco/energie")
        decide(session, breve, item, linked=True, now=NOW)
    report = rebuild(archive, CONFIG, now=NOW)
    assert report.items == len(items)
    assert linked(archive) == before | {(breve.id, item.id)}


def test_breves_then_items(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        breves = load_breves(session, data)
        uids = list(session.scalars(select(Breve.uid)))
    assert link_changed_breves(archive, CONFIG, uids, now=NOW).links_added == 0
    with archive.session() as session:
        items = load_items(session, data)
    report = link_pending_items(archive, CONFIG, now=NOW)
    assert expected_pairs(data, breves, items) <= linked(archive)
    assert report.links_added == len(linked(archive))
    with archive.session() as session:
        assert session.scalar(select(Item.id).where(Item.story_id.is_(None))) is None
