"""Group items from different outlets that tell the same story.

Two items are one story when their links are the same article once tracking parameters and
the like are stripped, or when their titles fold to the same words and their texts share most
of their wording. Each item points at the first item of its story (``story_id``); an item not
yet grouped has none, which is how the related pass finds new work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.related.canonical import canonical_link
from brevefeed.related.grouping import merged_stories
from brevefeed.related.similarity import jaccard, shingles, title_key
from brevefeed.text import html_to_text

#: Same title, different wording below this share of shingles: a recurring headline
#: (« Revue de presse », « Les brèves du jour »), not the same story.
SAME_TEXT = 0.5
#: Stories are news: the same headline a year later is another story.
WINDOW = timedelta(days=14)


class _Texts(Protocol):
    @property
    def content_html(self) -> str: ...
    @property
    def summary_html(self) -> str: ...


class _Dated(Protocol):
    @property
    def published_at(self) -> datetime | None: ...


def item_text(item: _Texts) -> str:
    return html_to_text(item.content_html or item.summary_html)


def _near(item: _Dated, other: _Dated) -> bool:
    if item.published_at is None or other.published_at is None:
        return True
    return abs(item.published_at - other.published_at) <= WINDOW


#: Earlier items with the same headline compared at most (the newest first).
SAME_TITLE_LIMIT = 20


@dataclass(frozen=True)
class _Told:
    """What grouping compares of an earlier item: who told it, when, and its wording."""

    id: int
    source_id: int
    story_id: int | None
    published_at: datetime | None
    title: str
    summary_html: str
    content_html: str


class StoryGrouper:
    """Gives each item of a batch its canonical link, title key and story.

    Earlier batches are read from the archive, two queries a batch (items sharing a link,
    items sharing a headline); earlier items of this batch are remembered here instead, so
    grouping a batch needs no flush per item.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_link: dict[str, list[Item]] = {}
        self._by_title: dict[str, list[Item]] = {}
        #: Shingles by item id, each wording computed once per batch.
        self._wordings: dict[int, set[tuple[str, ...]]] = {}

    def assign(self, item: Item) -> int:
        """Group ``item``; returns its story id (its own id when it starts a story)."""
        return self.assign_all([item])[0]

    def assign_all(self, items: Sequence[Item]) -> list[int]:
        """Group ``items`` in order, each after the ones before it; returns their story ids."""
        for item in items:
            item.canonical_link = canonical_link(item.link)
            item.title_key = title_key(item.title)
        with self.session.no_autoflush:
            by_link = self._stored_by_link(items)
            by_title = self._stored_by_title(items)
            stories = []
            for item in items:
                story = self._same_article(item, by_link.get(item.canonical_link, []))
                if story is None and item.title_key:
                    story = self._same_wording(item, by_title.get(item.title_key, []))
                item.story_id = story if story is not None else item.id
                if item.canonical_link:
                    self._by_link.setdefault(item.canonical_link, []).append(item)
                if item.title_key:
                    self._by_title.setdefault(item.title_key, []).append(item)
                stories.append(item.story_id)
        return stories

    def _stored_by_link(self, items: Sequence[Item]) -> dict[str, list[tuple[int, int, int]]]:
        """Grouped items sharing a link with one of ``items``: (id, source, story), by id."""
        links = sorted({item.canonical_link for item in items if item.canonical_link})
        found: dict[str, list[tuple[int, int, int]]] = {}
        if not links:
            return found
        rows = self.session.execute(
            select(Item.canonical_link, Item.id, Item.source_id, Item.story_id)
            .where(Item.canonical_link.in_(links), Item.story_id.is_not(None))
            .order_by(Item.id)
        )
        for link, id_, source_id, story_id in rows:
            found.setdefault(link, []).append((id_, source_id, story_id or id_))
        return found

    def _stored_by_title(self, items: Sequence[Item]) -> dict[str, list[_Told]]:
        """Grouped items sharing a headline with one of ``items``, newest first: those near
        in time to the items' dates (or undated), every one for a headline an undated item
        carries."""
        undated = {item.title_key for item in items if item.title_key and not item.published_at}
        dated = {item.title_key for item in items if item.title_key and item.published_at}
        dated -= undated
        if not undated and not dated:
            return {}
        conditions: list[ColumnElement[bool]] = []
        if undated:
            conditions.append(Item.title_key.in_(sorted(undated)))
        if dated:
            moments = [item.published_at for item in items if item.published_at is not None]
            conditions.append(
                and_(
                    Item.title_key.in_(sorted(dated)),
                    or_(
                        Item.published_at.is_(None),
                        Item.published_at.between(min(moments) - WINDOW, max(moments) + WINDOW),
                    ),
                )
            )
        rows = self.session.execute(
            select(
                Item.title_key, Item.id, Item.source_id, Item.story_id, Item.published_at,
                Item.title, Item.summary_html, Item.content_html,
            )
            .where(or_(*conditions), Item.story_id.is_not(None))
            .order_by(Item.id.desc())
        )  # fmt: skip
        found: dict[str, list[_Told]] = {}
        for row in rows:
            found.setdefault(row.title_key, []).append(
                _Told(
                    row.id, row.source_id, row.story_id, row.published_at,
                    row.title, row.summary_html, row.content_html,
                )
            )  # fmt: skip
        return found

    def _same_article(self, item: Item, stored: list[tuple[int, int, int]]) -> int | None:
        if not item.canonical_link:
            return None
        for id_, source_id, story_id in stored:
            if id_ != item.id and source_id != item.source_id:
                return story_id
        batch = self._by_link.get(item.canonical_link, [])
        return next((c.story_id for c in batch if c.source_id != item.source_id), None)

    def _wording(self, other: Item | _Told) -> set[tuple[str, ...]]:
        found = self._wordings.get(other.id)
        if found is None:
            found = shingles(f"{other.title} {item_text(other)}")
            self._wordings[other.id] = found
        return found

    def _same_wording(self, item: Item, stored: list[_Told]) -> int | None:
        earlier = [
            other
            for other in stored
            if other.id != item.id
            and other.source_id != item.source_id
            and (item.published_at is None or _near(item, other))
        ][:SAME_TITLE_LIMIT]
        batch = [c for c in self._by_title.get(item.title_key, []) if c.source_id != item.source_id]
        candidates: list[Item | _Told] = [*earlier, *batch]
        others = [other for other in candidates if _near(item, other)]
        if not others:  # most headlines are new: their wording is never needed
            return None
        wording = self._wording(item)
        for other in others:
            if jaccard(wording, self._wording(other)) >= SAME_TEXT:
                return other.story_id
        return None


def join_covering(
    session: Session, covering: Iterable[Iterable[int]], batch: Mapping[int, Item]
) -> int:
    """Put the items that cover one brève into one story (each of ``covering``: the ids of
    the items linked to a brève). ``batch``: the items of this batch, already loaded, kept in
    step (pending changes flushed first). Returns how many stories joined another."""
    groups = [set(ids) for ids in covering]
    wanted = set().union(*groups) if groups else set()
    known = {i: item.story_id for i, item in batch.items() if i in wanted}
    missing = sorted(wanted - set(known))
    if missing:
        rows = session.execute(select(Item.id, Item.story_id).where(Item.id.in_(missing)))
        known.update({item_id: story for item_id, story in rows})
    story_groups = [{s for i in group if (s := known.get(i)) is not None} for group in groups]
    moves = merged_stories(g for g in story_groups if len(g) > 1)
    if not moves:
        return 0
    session.execute(
        update(Item)
        .where(Item.story_id.in_(list(moves)))
        .values(story_id=case(moves, value=Item.story_id)),
        execution_options={"synchronize_session": "fetch"},
    )
    return len(moves)


@dataclass(frozen=True)
class Story:
    story_id: int
    title: str
    link: str
    latest: datetime | None
    outlets: tuple[str, ...]
    items: int
    #: Slug of the brève the story is linked to (the best-scored link), "" when none.
    breve: str = ""


def recent_stories(session: Session, *, limit: int = 20, min_outlets: int = 1) -> list[Story]:
    """Stories newest first, each with the outlets that covered it and its brève."""
    latest = func.max(Item.published_at)
    groups = session.execute(
        select(
            Item.story_id,
            latest,
            func.count(Item.id),
            func.count(func.distinct(Item.source_id)),
        )
        .where(Item.story_id.is_not(None))
        .group_by(Item.story_id)
        .having(func.count(func.distinct(Item.source_id)) >= min_outlets)
        .order_by(latest.desc().nulls_last(), Item.story_id.desc())
        .limit(limit)
    ).all()
    stories = []
    for story_id, newest, count, _ in groups:
        first = session.get(Item, story_id)
        outlets = session.scalars(
            select(func.coalesce(func.nullif(Source.name, ""), Source.title))
            .join(Item, Item.source_id == Source.id)
            .where(Item.story_id == story_id)
            .group_by(Source.id, Source.name, Source.title)
            .order_by(func.min(Item.published_at))
        ).all()
        breve = session.scalar(
            select(Breve.slug)
            .join(RelatedLink, RelatedLink.breve_id == Breve.id)
            .join(Item, Item.id == RelatedLink.item_id)
            .where(Item.story_id == story_id, RelatedLink.state == "linked")
            .order_by(RelatedLink.score.desc(), Breve.id)
            .limit(1)
        )
        stories.append(
            Story(
                story_id=story_id or 0,
                title=first.title if first else "",
                link=first.link if first else "",
                latest=newest,
                outlets=tuple(outlets),
                items=count,
                breve=breve or "",
            )
        )
    return stories
