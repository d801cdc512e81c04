"""Which links a brève keeps: pure decisions, then the session work that applies them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.errors import NotFoundError


@dataclass(frozen=True)
class Existing:
    item_id: int
    score: float
    method: str
    state: str


@dataclass(frozen=True)
class LinkPlan:
    add: dict[int, float]
    remove: frozenset[int]


def plan_links(
    existing: Sequence[Existing],
    proposals: Iterable[tuple[int, float]],
    *,
    threshold: float,
    max_per_breve: int,
    replace_auto: bool,
) -> LinkPlan:
    """The automatic links a brève should have after scoring ``proposals``.

    Manual decisions stay as they are and count toward ``max_per_breve``. With
    ``replace_auto`` (a brève was edited or rebuilt) existing automatic links compete again
    with the proposals; otherwise (new items arrived) the proposals join them. The best scores
    win the free places.
    """
    manual = {e.item_id for e in existing if e.method == "manual"}
    manual_linked = sum(1 for e in existing if e.method == "manual" and e.state == "linked")
    places = max(0, max_per_breve - manual_linked)
    auto = {e.item_id: e.score for e in existing if e.method == "auto"}
    contenders = {} if replace_auto else dict(auto)
    for item_id, score in proposals:
        if item_id not in manual and score >= threshold:
            contenders[item_id] = max(score, contenders.get(item_id, 0.0))
    ranked = sorted(contenders.items(), key=lambda pair: (-pair[1], pair[0]))[:places]
    keep = dict(ranked)
    add = {i: s for i, s in keep.items() if auto.get(i) != s}
    remove = frozenset(i for i in auto if i not in keep)
    return LinkPlan(add, remove)


def apply_plans(session: Session, plans: dict[int, LinkPlan], *, now: datetime) -> None:
    """Write the plans of many brèves with one read of their link rows."""
    rows: dict[tuple[int, int], RelatedLink] = {}
    if plans:
        with session.no_autoflush:
            for link in session.scalars(
                select(RelatedLink).where(RelatedLink.breve_id.in_(list(plans)))
            ):
                rows[(link.breve_id, link.item_id)] = link
    for breve_id, plan in plans.items():
        for item_id in plan.remove:
            session.delete(rows[(breve_id, item_id)])
        for item_id, score in plan.add.items():
            row = rows.get((breve_id, item_id))
            if row is None:
                session.add(
                    RelatedLink(
                        breve_id=breve_id,
                        item_id=item_id,
                        score=score,
                        method="auto",
                        state="linked",
                        created_at=now,
                    )
                )
            else:
                row.score = score


def existing_links(session: Session, breve_ids: Iterable[int]) -> dict[int, list[Existing]]:
    found: dict[int, list[Existing]] = {}
    for link in session.scalars(
        select(RelatedLink).where(RelatedLink.breve_id.in_(list(breve_ids)))
    ):
        found.setdefault(link.breve_id, []).append(
            Existing(link.item_id, link.score, link.method, link.state)
        )
    return found


def find_item(session: Session, ref: str) -> Item:
    """An item by archive number, link or feed entry id."""
    item = session.get(Item, int(ref)) if ref.isdigit() else None
    if item is None:
        item = session.scalars(
            select(Item).where((Item.link == ref) | (Item.entry_id == ref)).order_by(Item.id)
        ).first()
    if item is None:
        raise NotFoundError(f"no item with number, link or entry id {ref!r}")
    return item


def decide(session: Session, breve: Breve, item: Item, *, linked: bool, now: datetime) -> bool:
    """An editor's decision on one pair; returns False when it was already so."""
    state = "linked" if linked else "rejected"
    row = session.get(RelatedLink, (breve.id, item.id))
    if row is None:
        session.add(
            RelatedLink(
                breve_id=breve.id,
                item_id=item.id,
                score=1.0 if linked else 0.0,
                method="manual",
                state=state,
                created_at=now,
            )
        )
        return True
    if row.method == "manual" and row.state == state:
        return False
    row.method, row.state, row.score = "manual", state, 1.0 if linked else 0.0
    return True


@dataclass(frozen=True)
class RelatedItem:
    item_id: int
    score: float
    method: str
    title: str
    link: str
    outlet: str
    published: datetime | None


def related_items(
    session: Session, breve: Breve, *, include_rejected: bool = False
) -> list[RelatedItem]:
    """A brève's related items, best first."""
    query = (
        select(RelatedLink, Item, Source)
        .join(Item, RelatedLink.item_id == Item.id)
        .join(Source, Item.source_id == Source.id)
        .where(RelatedLink.breve_id == breve.id)
        .order_by(RelatedLink.score.desc(), Item.published_at.desc(), Item.id)
    )
    if not include_rejected:
        query = query.where(RelatedLink.state == "linked")
    return [
        RelatedItem(
            item.id,
            link.score,
            link.method if link.state == "linked" else "rejected",
            item.title,
            item.link,
            source.outlet,
            item.published_at,
        )
        for link, item, source in session.execute(query)
    ]
