"""What one search asks of each backend, and how per-kind answers merge (pure data).

Brèves and items live in separate index tables (their fields and filters differ), so a search
runs once per kind asked for, each returning its best ``offset + limit`` ids and its exact
count; ``merge`` then orders the union and cuts the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from brevefeed.search.query import Node

Kind = Literal["breve", "item"]
Sort = Literal["relevance", "newest", "oldest"]
KINDS: dict[str, tuple[Kind, ...]] = {
    "breves": ("breve",),
    "items": ("item",),
    "all": ("breve", "item"),
}
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
#: Default number of most recent matches ranked by relevance (see search.sqlite).
DEFAULT_RANK_WINDOW = 10_000


@dataclass(frozen=True)
class KindQuery:
    """One backend query: the tree, one kind, the filters, and how many ids to return."""

    node: Node
    kind: Kind
    sort: Sort = "relevance"
    since: datetime | None = None
    until: datetime | None = None
    include_retracted: bool = False
    wanted: int = 20
    rank_window: int = DEFAULT_RANK_WINDOW


@dataclass(frozen=True)
class RankedIds:
    """A backend's answer: the exact match count and its best ids with scores (and dates)."""

    kind: Kind
    count: int
    #: (id, score, date or None) best first in the query's sort order.
    rows: list[tuple[int, float, datetime | None]] = field(default_factory=list)


def merge(
    answers: list[RankedIds], sort: Sort, offset: int, limit: int
) -> list[tuple[Kind, int, float]]:
    """The page ``[offset, offset + limit)`` of the union of per-kind answers.

    Relevance orders by score (ties: brèves first, then newest id); date sorts by date then id.
    Every answer holds at least ``offset + limit`` rows when it has them, so the page is exact.
    """
    rows = [
        (answer.kind, id_, score, date) for answer in answers for id_, score, date in answer.rows
    ]
    if sort == "relevance":
        rows.sort(key=lambda r: (-r[2], r[0] != "breve", -r[1]))
    else:
        floor = datetime.min.replace(tzinfo=UTC)

        def by_date(r: tuple[Kind, int, float, datetime | None]) -> tuple[datetime, int]:
            return (r[3] if r[3] is not None else floor), r[1]

        rows.sort(key=by_date, reverse=sort == "newest")
    return [(kind, id_, score) for kind, id_, score, _date in rows[offset : offset + limit]]
