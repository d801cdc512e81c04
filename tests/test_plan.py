"""The pure plan: page assignment, stability, tombstones, affected documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from brevefeed.publish.plan import (
    MAIN,
    BreveFacts,
    PageCursor,
    Placement,
    Settings,
    feeds_of,
    plan_changes,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SETTINGS = Settings(page_size=2, per_tag=True, per_section=True, tombstone_cutoff=T0)


def facts(
    i: int,
    status: str = "published",
    *,
    day: int | None = None,
    tags: tuple[str, ...] = (),
    section: str = "",
    retracted: datetime | None = None,
) -> BreveFacts:
    published = T0 + timedelta(days=i if day is None else day)
    return BreveFacts(i, status, published, retracted, section, tags)


def test_feeds_of_uses_slugs_and_switches() -> None:
    breve = facts(1, tags=("Santé", "santé", "!!"), section="Société")
    assert feeds_of(breve, SETTINGS) == (MAIN, "sections/societe", "tags/sante")
    off = Settings(2, per_tag=False, per_section=False, tombstone_cutoff=T0)
    assert feeds_of(breve, off) == (MAIN,)


def test_pages_fill_in_publication_order_and_never_move() -> None:
    first = plan_changes([facts(3), facts(1), facts(2)], {}, PageCursor(), SETTINGS)
    assert {i: p.page for i, p in first.placements.items()} == {1: 1, 2: 1, 3: 2}
    assert first.cursor == PageCursor(last=2, count=1)
    assert first.pages == {1, 2}
    # A back-dated brève arrives later: it fills the open page, page 1 is untouched.
    before = first.placements
    second = plan_changes([facts(4, day=0)], before, first.cursor, SETTINGS)
    assert second.placements == {4: Placement(2, (MAIN,), slug="breve-4")}
    assert second.pages == {2}
    assert second.feeds == {MAIN}


def test_opening_a_page_rebuilds_the_previous_one_for_its_next_link() -> None:
    plan = plan_changes([facts(5)], {}, PageCursor(last=3, count=2), SETTINGS)
    assert plan.placements[5].page == 4
    assert plan.pages == {3, 4}


def test_retraction_keeps_the_page_and_leaves_a_tombstone_where_it_was() -> None:
    before = {7: Placement(1, (MAIN, "tags/velo"))}
    retracted = facts(7, "retracted", tags=("vélo",), retracted=T0 + timedelta(days=9))
    plan = plan_changes([retracted], before, PageCursor(1, 2), SETTINGS)
    assert plan.placements[7] == Placement(1, (MAIN, "tags/velo"), tombstone=True)
    assert plan.feeds == {MAIN, "tags/velo"}
    assert plan.pages == {1}
    assert plan.cursor == PageCursor(1, 2)


def test_an_expired_tombstone_leaves_the_feeds() -> None:
    before = {7: Placement(1, (MAIN, "tags/velo"), tombstone=True)}
    old = facts(7, "retracted", retracted=T0 - timedelta(days=1))
    plan = plan_changes([old], before, PageCursor(1, 2), SETTINGS)
    assert plan.placements[7] == Placement(1, ())
    assert plan.feeds == {MAIN, "tags/velo"}


def test_a_brève_never_published_leaves_no_tombstone_and_touches_nothing() -> None:
    draft = facts(8, "draft")
    plan = plan_changes([draft], {}, PageCursor(), SETTINGS)
    assert plan.placements[8] == Placement(None, ())
    assert plan.feeds == set() and plan.pages == set()
    retracted_draft = facts(9, "retracted", retracted=T0 + timedelta(days=3))
    plan = plan_changes([retracted_draft], {}, PageCursor(), SETTINGS)
    assert plan.placements[9] == Placement(None, ())


def test_unpublished_then_republished_returns_to_its_page() -> None:
    before = {4: Placement(1, (MAIN,), slug="piscine")}
    hidden = plan_changes([facts(4, "draft")], before, PageCursor(3, 1), SETTINGS)
    assert hidden.placements[4] == Placement(1, (), slug="piscine")
    assert hidden.pages == {1} and hidden.feeds == {MAIN}
    # Its page stays, saying it is no longer published.
    assert hidden.breves == {4}
    shown = plan_changes([facts(4)], hidden.placements, PageCursor(3, 1), SETTINGS)
    assert shown.placements[4] == Placement(1, (MAIN,), slug="piscine")
    assert shown.cursor == PageCursor(3, 1)


def test_moving_a_brève_to_another_tag_rebuilds_both_tag_feeds() -> None:
    before = {2: Placement(1, (MAIN, "tags/velo"))}
    plan = plan_changes([facts(2, tags=("travaux",))], before, PageCursor(1, 1), SETTINGS)
    assert plan.feeds == {MAIN, "tags/velo", "tags/travaux"}


def test_same_changes_give_the_same_plan() -> None:
    changed = [facts(i, day=i % 3) for i in range(1, 8)]
    one = plan_changes(changed, {}, PageCursor(), SETTINGS)
    two = plan_changes(list(reversed(changed)), {}, PageCursor(), SETTINGS)
    assert one == two
