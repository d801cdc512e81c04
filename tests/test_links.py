from __future__ import annotations

from datetime import UTC, datetime

import pytest

import drafts
from brevefeed.archive import Archive
from brevefeed.archive.breves import get_breve
from brevefeed.archive.models import Item, Source
from brevefeed.authoring import BreveDraft
from brevefeed.errors import NotFoundError
from brevefeed.related.links import (
    Existing,
    apply_plans,
    decide,
    existing_links,
    find_item,
    plan_links,
    related_items,
)

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def test_plan_fills_free_places_with_the_best() -> None:
    plan = plan_links(
        [],
        [(1, 0.9), (2, 0.2), (3, 0.5), (4, 0.7)],
        threshold=0.3,
        max_per_breve=2,
        replace_auto=False,
    )
    assert plan.add == {1: 0.9, 4: 0.7} and plan.remove == frozenset()


def test_plan_keeps_manual_decisions_and_counts_them() -> None:
    existing = [
        Existing(1, 1.0, "manual", "linked"),
        Existing(2, 0.0, "manual", "rejected"),
        Existing(3, 0.4, "auto", "linked"),
    ]
    plan = plan_links(
        existing, [(2, 0.99), (4, 0.8)], threshold=0.3, max_per_breve=2, replace_auto=False
    )
    # One place left after the manual link: item 4 (0.8) beats item 3 (0.4); 2 stays rejected.
    assert plan.add == {4: 0.8} and plan.remove == frozenset({3})


def test_plan_replace_lets_old_auto_links_go() -> None:
    existing = [Existing(3, 0.9, "auto", "linked")]
    plan = plan_links(existing, [(5, 0.5)], threshold=0.3, max_per_breve=5, replace_auto=True)
    assert plan.add == {5: 0.5} and plan.remove == frozenset({3})
    unchanged = plan_links(existing, [(3, 0.9)], threshold=0.3, max_per_breve=5, replace_auto=True)
    assert unchanged.add == {} and unchanged.remove == frozenset()


def add_items(archive: Archive) -> tuple[int, list[int]]:
    with archive.session() as session:
        result = drafts.save(
            session, BreveDraft(title="Forum fermé", slug="forum-ferme", body="Corps"), now=NOW
        )
        source = Source(url="https://outlet.example/feed", name="L’Écho", created_at=NOW)
        session.add(source)
        session.flush()
        items = [
            Item(
                source_id=source.id,
                entry_id=f"e{n}",
                link=f"https://outlet.example/{n}",
                title=f"Article {n}",
                fetched_at=NOW,
                content_hash=str(n),
                published_at=datetime(2024, 5, n + 1, tzinfo=UTC),
            )
            for n in range(4)
        ]
        session.add_all(items)
        session.flush()
        breve_id = get_breve(session, result.slug).id
        return breve_id, [item.id for item in items]


def test_apply_decide_and_list(archive: Archive) -> None:
    breve_id, ids = add_items(archive)
    with archive.session() as session:
        plan = plan_links(
            [], [(ids[0], 0.6), (ids[1], 0.8)], threshold=0.3, max_per_breve=3, replace_auto=False
        )
        apply_plans(session, {breve_id: plan}, now=NOW)
    with archive.session() as session:
        breve = get_breve(session, "forum-ferme")
        assert [(r.item_id, r.method) for r in related_items(session, breve)] == [
            (ids[1], "auto"),
            (ids[0], "auto"),
        ]
        assert related_items(session, breve)[0].outlet == "L’Écho"
        assert decide(session, breve, find_item(session, str(ids[1])), linked=False, now=NOW)
        assert decide(
            session, breve, find_item(session, f"https://outlet.example/{3}"), linked=True, now=NOW
        )
        assert not decide(session, breve, find_item(session, "e3"), linked=True, now=NOW)
    with archive.session() as session:
        breve = get_breve(session, "forum-ferme")
        shown = [(r.item_id, r.method) for r in related_items(session, breve)]
        assert shown == [(ids[3], "manual"), (ids[0], "auto")]
        everything = related_items(session, breve, include_rejected=True)
        assert (ids[1], "rejected") in [(r.item_id, r.method) for r in everything]
        existing = existing_links(session, [breve_id])[breve_id]
        # A later automatic pass proposing the rejected item again changes nothing for it.
        again = plan_links(
            existing, [(ids[1], 0.95)], threshold=0.3, max_per_breve=3, replace_auto=True
        )
        assert ids[1] not in again.add


def test_find_item_errors(archive: Archive) -> None:
    add_items(archive)
    with archive.session() as session, pytest.raises(NotFoundError):
        find_item(session, "https://nowhere.example/")
