"""What one search asks of each backend, and how per-kind answers merge (pure data).

Brèves and items live in separate index tables (their fields and filters differ), so a search
runs once per kind asked for, each returning its best ``offset + limit`` ids; ``merge`` then
orders the union and cuts the page.

Relevance has two regimes, because bm25 (and ts_rank_cd) must visit every match — FTS5's bm25
even scans each phrase's whole document list to weigh it — and that is the known trap of a word
matching hundreds of thousands of items:

- up to ``rank_window`` matches: every match is scored (bm25 / ts_rank_cd), best first;
- beyond: *tiers*: matches with every searched word in the title, newest first, then in title
  or standfirst, then anywhere. Each tier is a full-text query read in rowid order that stops
  after one page, so its cost follows the page size, not the number of matches.

Counting is capped the same way: matches are counted up to ``count_limit``, beyond which the
total is reported as a lower bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from brevefeed.config import SearchConfig
from brevefeed.search.query import Node

Kind = Literal["breve", "item"]
Sort = Literal["relevance", "newest", "oldest"]
KINDS: dict[str, tuple[Kind, ...]] = {
    "breves": ("breve",),
    "items": ("item",),
    "all": ("breve", "item"),
}
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
#: The defaults of a search (page size, rank window, count limit, snippet length) are those
#: of the [search] table of config.toml, stated there only.
DEFAULTS = SearchConfig()
#: Where a tier looks for the plain words of a query (fields and exclusions are unchanged).
Scope = Literal["title", "lead", "all"]
#: Tier scores, best first: title, then title or standfirst, then anywhere.
TIERS: tuple[tuple[float, Scope], ...] = ((3.0, "title"), (2.0, "lead"), (1.0, "all"))


@dataclass(frozen=True)
class KindQuery:
    """One backend query: the tree, one kind, the filters, and how many ids to return."""

    node: Node
    kind: Kind
    wanted: int
    sort: Sort = "relevance"
    since: datetime | None = None
    until: datetime | None = None
    include_retracted: bool = False
    #: Brèves scheduled after this instant are left out (None: none is).
    scheduled_after: datetime | None = None
    include_drafts: bool = False
    #: Too many matches to score each one: relevance goes by tiers, date sorts score 0.
    tiered: bool = False
    count_limit: int = DEFAULTS.count_limit


Row = tuple[int, float, datetime | None]


def hidden_breves(query: KindQuery) -> str | None:
    """SQL for the ids of the brèves this search must not show, or None: none to hide.

    The one rule for both backends. The hidden brèves are few (a status index finds them), so
    each backend excludes this set instead of joining every match to its record.
    """
    hidden = [
        status
        for status, shown in (
            ("draft", query.include_drafts),
            ("retracted", query.include_retracted),
        )
        if not shown
    ]
    if not hidden:
        return None
    statuses = ", ".join(f"'{status}'" for status in hidden)
    return f"SELECT id FROM breves WHERE status IN ({statuses})"


@dataclass(frozen=True)
class RankedIds:
    """A backend's answer for one kind: its best rows, (id, score, date or None), in order."""

    kind: Kind
    rows: list[Row] = field(default_factory=list)


def tier_rows(fetch: Callable[[Scope, int], list[int]], wanted: int) -> list[Row]:
    """The first ``wanted`` ids by tier, each tier newest first.

    ``fetch(scope, n)`` returns the ``n`` newest ids matching with plain words in ``scope``.
    Each tier's matches include the previous tier's, so asking for ``wanted`` more than the ids
    already taken always yields enough new ones when they exist.
    """
    rows: list[Row] = []
    seen: set[int] = set()
    for score, scope in TIERS:
        for id_ in fetch(scope, wanted + len(seen)):
            if id_ not in seen:
                seen.add(id_)
                rows.append((id_, score, None))
        if len(rows) >= wanted:
            break
    return rows[:wanted]


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
