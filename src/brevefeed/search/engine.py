"""Run one search: parse, ask the backend per kind, merge, load the page's records, snippet.

SQLAlchemy Core on a plain connection, like ``archive.queries``: `brevefeed search` never loads
the ORM. Whoever holds a session passes ``session.connection()``.

The only place that knows both backends; each of ``search.sqlite`` and ``search.postgres``
turns the same query tree into its own SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from brevefeed.archive.queries import tag_names
from brevefeed.archive.tables import breves, items, outlet_name, sources
from brevefeed.search.backend import backend_for
from brevefeed.search.plan import (
    DEFAULTS,
    Kind,
    KindQuery,
    Sort,
    merge,
)
from brevefeed.search.query import Node, Term, and_also, field_term, parse_query
from brevefeed.search.results import Segment, matcher_for, snippet
from brevefeed.text import html_to_text


@dataclass(frozen=True)
class SearchRequest:
    query: str
    kinds: tuple[Kind, ...] = ("breve", "item")
    sort: Sort = "relevance"
    since: datetime | None = None
    until: datetime | None = None
    #: Same as ``tag:"…"`` / ``source:"…"`` terms: accent- and case-insensitive phrases.
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    include_retracted: bool = False
    #: The reader's clock: brèves dated after it are scheduled, not yet public, and left out
    #: (None: shown, as for an editor's own look).
    scheduled_after: datetime | None = None
    #: Drafts are not public: shown only when asked for.
    include_drafts: bool = False
    limit: int = DEFAULTS.limit
    offset: int = 0
    rank_window: int = DEFAULTS.rank_window
    count_limit: int = DEFAULTS.count_limit
    snippet_width: int = DEFAULTS.snippet_length
    #: One hit per story: items other outlets' coverage of the same story joins are folded
    #: into the first (their outlets listed in ``Hit.outlets``).
    group_stories: bool = True


@dataclass(frozen=True)
class Hit:
    kind: Kind
    #: A brève's permanent tag: URI; an item's entry id in its feed.
    id: str
    url: str | None
    title: str
    date: datetime | None
    score: float
    snippet: list[Segment]
    #: The feed's name (items only).
    source: str | None
    authors: list[str]
    tags: list[str]
    retracted: bool = False
    draft: bool = False
    #: Items only: every outlet that covered this hit's story, its own first.
    outlets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SearchPage:
    #: Number of hits; a lower bound when ``exact`` is false (more than ``count_limit``).
    total: int
    hits: list[Hit] = field(default_factory=list)
    exact: bool = True
    #: True when relevance ranked by tiers (too many matches to score each one).
    tiered: bool = False


def build_tree(request: SearchRequest) -> Node:
    extra: list[Term] = [field_term("tag", tag) for tag in request.tags]
    extra += [field_term("source", source) for source in request.sources]
    return and_also(parse_query(request.query), extra)


def search(connection: Connection, request: SearchRequest) -> SearchPage:
    """The page of hits ``request`` asks for, best first, and the exact number of hits."""
    node = build_tree(request)
    backend = backend_for(connection)
    backend.prepare(connection)
    queries = [
        KindQuery(
            node=node,
            kind=kind,
            sort=request.sort,
            since=request.since,
            until=request.until,
            include_retracted=request.include_retracted,
            scheduled_after=request.scheduled_after,
            include_drafts=request.include_drafts,
            wanted=request.offset + request.limit,
            count_limit=request.count_limit,
        )
        for kind in request.kinds
    ]
    counts = [backend.count(connection, query) for query in queries]
    # One regime for every kind, so that their scores compare when merged. (Date sorts skip
    # scoring too many matches: their score is then 0.)
    tiered = any(n > request.rank_window for n in counts)
    answers = [
        backend.run(connection, replace(query, tiered=tiered))
        for query, n in zip(queries, counts, strict=True)
        if n
    ]
    page = merge(answers, request.sort, request.offset, request.limit)
    matcher = matcher_for(node)
    breve_rows = _load_breves(connection, [id_ for kind, id_, _ in page if kind == "breve"])
    breve_tags = tag_names(connection, breve_rows)
    item_rows = _load_items(connection, [id_ for kind, id_, _ in page if kind == "item"])
    hits = []
    for kind, id_, score in page:
        if kind == "breve":
            breve = breve_rows[id_]
            passage = f"{breve.standfirst} {html_to_text(breve.body_html)}"
            hits.append(
                Hit(
                    kind="breve",
                    id=breve.uid,
                    url=None,
                    title=breve.title,
                    date=breve.published_at,
                    score=score,
                    snippet=snippet(passage, matcher, request.snippet_width),
                    source=None,
                    authors=list(breve.authors or []),
                    tags=breve_tags.get(id_, []),
                    retracted=breve.status == "retracted",
                    draft=breve.status == "draft",
                )
            )
        else:
            item = item_rows[id_]
            passage = f"{html_to_text(item.summary_html)} {html_to_text(item.content_html)}"
            hits.append(
                Hit(
                    kind="item",
                    id=item.entry_id,
                    url=item.link or None,
                    title=html_to_text(item.title),
                    date=item.published_at or item.fetched_at,
                    score=score,
                    snippet=snippet(passage, matcher, request.snippet_width),
                    source=outlet_name(item.source_name, item.source_title, item.source_url),
                    authors=list(item.authors or []),
                    tags=list(item.categories or []),
                )
            )
    if request.group_stories:
        hits = _one_per_story(connection, hits, [id_ for _kind, id_, _ in page], item_rows)
    exact = all(n <= request.count_limit for n in counts)
    total = sum(min(n, request.count_limit) for n in counts)
    relevance_tiers = tiered and request.sort == "relevance"
    return SearchPage(total=total, hits=hits, exact=exact, tiered=relevance_tiers)


def _one_per_story(
    connection: Connection,
    hits: list[Hit],
    ids: list[int],
    item_rows: dict[int, Row[*tuple[Any, ...]]],
) -> list[Hit]:
    """Keep the first hit of each story; give it the outlets that covered the story.

    Items not yet grouped (no story) stand alone. The page may so hold fewer lines than asked.
    """
    stories = {
        id_: item_rows[id_].story_id
        for hit, id_ in zip(hits, ids, strict=True)
        if hit.kind == "item" and item_rows[id_].story_id is not None
    }
    outlets: dict[int, list[str]] = {}
    if stories:
        i, s = items.c, sources.c
        query = (
            select(i.story_id, s.name, s.title, s.url)
            .select_from(items.join(sources, i.source_id == s.id))
            .where(i.story_id.in_(set(stories.values())))
            .order_by(i.story_id, i.id)
        )
        for story, name, title, url in connection.execute(query):
            if story is None:
                continue
            names = outlets.setdefault(story, [])
            outlet = outlet_name(name, title, url)
            if outlet not in names:
                names.append(outlet)
    kept: list[Hit] = []
    seen: set[int] = set()
    for hit, id_ in zip(hits, ids, strict=True):
        story = stories.get(id_) if hit.kind == "item" else None
        if story is None:
            kept.append(hit)
        elif story not in seen:
            seen.add(story)
            own = [hit.source or ""]
            kept.append(replace(hit, outlets=own + [o for o in outlets[story] if o not in own]))
    return kept


def _load_breves(connection: Connection, ids: list[int]) -> dict[int, Row[*tuple[Any, ...]]]:
    if not ids:
        return {}
    b = breves.c
    query = select(
        b.id, b.uid, b.title, b.standfirst, b.body_html, b.authors, b.status, b.published_at
    ).where(b.id.in_(ids))
    return {row.id: row for row in connection.execute(query)}


def _load_items(connection: Connection, ids: list[int]) -> dict[int, Row[*tuple[Any, ...]]]:
    if not ids:
        return {}
    i, s = items.c, sources.c
    query = (
        select(
            i.id,
            i.entry_id,
            i.link,
            i.title,
            i.summary_html,
            i.content_html,
            i.authors,
            i.categories,
            i.published_at,
            i.fetched_at,
            i.story_id,
            s.name.label("source_name"),
            s.title.label("source_title"),
            s.url.label("source_url"),
        )
        .select_from(items.join(sources, i.source_id == s.id))
        .where(i.id.in_(ids))
    )
    return {row.id: row for row in connection.execute(query)}
