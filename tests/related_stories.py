"""The measurement corpus of related coverage: tests/fixtures/related/stories/*.toml.

Each file holds ``[[stories]]`` (our brève and the outlets that told the same story in other
words) and ``[[noise]]`` (items about nothing in the corpus); the format is described in
tests/fixtures/related/stories/README.md. The answer key follows from the layout: an item
covers the brève of its story, and the items of one story belong together.

Shared by tests/test_related_quality.py and benchmarks/related.py.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from itertools import combinations
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

import drafts
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.authoring import BreveDraft

STORIES = Path(__file__).parent / "fixtures" / "related" / "stories"


@dataclass(frozen=True)
class CorpusItem:
    story: str | None  # None: noise
    source: str
    title: str
    summary: str
    link: str
    categories: tuple[str, ...]
    date: datetime


@dataclass(frozen=True)
class CorpusBreve:
    story: str
    slug: str
    title: str
    standfirst: str
    body: str
    tags: tuple[str, ...]
    date: datetime


@dataclass(frozen=True)
class Corpus:
    breves: tuple[CorpusBreve, ...]
    items: tuple[CorpusItem, ...]

    def links(self) -> set[tuple[str, str]]:
        """(brève slug, item link) of every right link."""
        slug = {b.story: b.slug for b in self.breves}
        return {(slug[i.story], i.link) for i in self.items if i.story is not None}

    def story_pairs(self) -> set[frozenset[str]]:
        """Every pair of item links that belong to one story."""
        by_story: dict[str, list[str]] = {}
        for item in self.items:
            if item.story is not None:
                by_story.setdefault(item.story, []).append(item.link)
        return {frozenset(p) for links in by_story.values() for p in combinations(links, 2)}


def _item(entry: dict[str, Any], story: str | None) -> CorpusItem:
    return CorpusItem(
        story=story,
        source=entry["source"],
        title=entry["title"],
        summary=entry["summary"],
        link=entry["link"],
        categories=tuple(entry.get("categories", [])),
        date=entry["date"],
    )


def load_corpus(folder: Path = STORIES) -> Corpus:
    """Every ``*.toml`` of ``folder``, checked: ids, slugs and links unique."""
    breves: list[CorpusBreve] = []
    items: list[CorpusItem] = []
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for story in data.get("stories", []):
            b = story["breve"]
            breves.append(
                CorpusBreve(
                    story=story["id"],
                    slug=b["slug"],
                    title=b["title"],
                    standfirst=b["standfirst"],
                    body=b["body"],
                    tags=tuple(b["tags"]),
                    date=b["date"],
                )
            )
            items.extend(_item(entry, story["id"]) for entry in story["items"])
        items.extend(_item(entry, None) for entry in data.get("noise", []))
    for name, values in (
        ("story id", [b.story for b in breves]),
        ("slug", [b.slug for b in breves]),
        ("link", [i.link for i in items]),
    ):
        twice = {v for v in values if values.count(v) > 1}
        if twice:
            raise ValueError(f"{folder}: {name} used twice: {sorted(twice)}")
    return Corpus(tuple(breves), tuple(items))


def save_breves(session: Session, breves: Iterable[CorpusBreve], *, now: datetime) -> list[str]:
    """Published brèves; returns their uids (for ``link_changed_breves``)."""
    for b in breves:
        draft = BreveDraft(
            title=b.title,
            slug=b.slug,
            body=b.body,
            standfirst=b.standfirst,
            tags=b.tags,
            published=b.date,
        )
        drafts.save(session, draft, now=now, editor="t")
    session.flush()
    wanted = [b.slug for b in breves]
    return list(session.scalars(select(Breve.uid).where(Breve.slug.in_(wanted))))


def rss(outlet: str, items: Iterable[CorpusItem]) -> bytes:
    """One outlet's feed, as outlets publish them (summary as HTML in the description)."""
    entries = "".join(
        "<item>"
        f"<title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<guid>{escape(i.link)}</guid>"
        f"<description>{escape('<p>' + escape(i.summary) + '</p>')}</description>"
        + "".join(f"<category>{escape(c)}</category>" for c in i.categories)
        + f"<pubDate>{format_datetime(i.date)}</pubDate>"
        "</item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(outlet)}</title><link>https://feeds.example/</link>"
        f"{entries}</channel></rss>"
    ).encode()


def outlets(corpus: Corpus) -> dict[str, list[CorpusItem]]:
    by_outlet: dict[str, list[CorpusItem]] = {}
    for item in corpus.items:
        by_outlet.setdefault(item.source, []).append(item)
    return by_outlet


def insert_items(session: Session, items: Iterable[CorpusItem], *, now: datetime) -> None:
    """Items written straight to the archive, as ingest stores them (the benchmark's way)."""
    sources: dict[str, int] = {}
    for n, entry in enumerate(items):
        if entry.source not in sources:
            source = Source(
                url=f"https://feeds.example/{len(sources)}", name=entry.source, created_at=now
            )
            session.add(source)
            session.flush()
            sources[entry.source] = source.id
        session.add(
            Item(
                source_id=sources[entry.source],
                entry_id=entry.link,
                link=entry.link,
                title=entry.title,
                summary_html=f"<p>{escape(entry.summary)}</p>",
                categories=list(entry.categories),
                published_at=entry.date,
                fetched_at=now,
                content_hash=f"corpus-{n}",
            )
        )
    session.flush()


@dataclass(frozen=True)
class Quality:
    precision: float
    recall: float
    found: int
    expected: int

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.2f}, recall {self.recall:.2f}"
            f" ({self.found} found, {self.expected} expected)"
        )


def quality(found: set[Any], expected: set[Any]) -> Quality:
    right = len(found & expected)
    return Quality(
        right / len(found) if found else 1.0,
        right / len(expected) if expected else 1.0,
        len(found),
        len(expected),
    )


def found_links(session: Session, corpus: Corpus) -> set[tuple[str, str]]:
    """(brève slug, item link) of the links the archive holds, among the corpus' own."""
    links = {i.link for i in corpus.items}
    slugs = {b.slug for b in corpus.breves}
    rows = session.execute(
        select(Breve.slug, Item.link)
        .join(RelatedLink, RelatedLink.breve_id == Breve.id)
        .join(Item, Item.id == RelatedLink.item_id)
        .where(RelatedLink.state == "linked")
    )
    return {(s, link) for s, link in rows if s in slugs and link in links}


def found_story_pairs(session: Session, corpus: Corpus) -> set[frozenset[str]]:
    """Pairs of corpus items the archive put in one story."""
    links = {i.link for i in corpus.items}
    by_story: dict[int, list[str]] = {}
    for link, story in session.execute(select(Item.link, Item.story_id)):
        if link in links and story is not None:
            by_story.setdefault(story, []).append(link)
    return {frozenset(p) for group in by_story.values() for p in combinations(group, 2)}
