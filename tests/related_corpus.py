"""Load tests/fixtures/related/corpus.toml into an archive; shared by the related tests."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import drafts
from brevefeed.archive.models import Breve, Item, Source
from brevefeed.authoring import BreveDraft

CORPUS = Path(__file__).parent / "fixtures" / "related" / "corpus.toml"
NOW = datetime(2024, 10, 1, tzinfo=UTC)


def corpus() -> dict[str, Any]:
    return tomllib.loads(CORPUS.read_text(encoding="utf-8"))


def load_breves(session: Session, data: dict[str, Any]) -> dict[str, int]:
    for breve in data["breves"]:
        draft = BreveDraft(
            title=breve["title"],
            slug=breve["slug"],
            body=breve["body"],
            standfirst=breve["standfirst"],
            tags=tuple(breve["tags"]),
            published=breve["date"],
        )
        drafts.save(session, draft, now=NOW, editor="t")
    return {b.slug: b.id for b in session.scalars(select(Breve))}


def load_items(session: Session, data: dict[str, Any]) -> dict[str, int]:
    """Items keyed by link; sources created on the way."""
    sources: dict[str, Source] = {}
    ids = {}
    for n, entry in enumerate(data["items"]):
        source = sources.get(entry["source"])
        if source is None:
            source = Source(
                url=f"https://feeds.example/{len(sources)}", name=entry["source"], created_at=NOW
            )
            session.add(source)
            session.flush()
            sources[entry["source"]] = source
        item = Item(
            source_id=source.id,
            entry_id=entry["link"],
            link=entry["link"],
            title=entry["title"],
            summary_html=f"<p>{entry['summary']}</p>",
            categories=entry["categories"],
            published_at=entry["date"],
            fetched_at=NOW,
            content_hash=str(n),
        )
        session.add(item)
        session.flush()
        ids[entry["link"]] = item.id
    return ids


def expected_pairs(
    data: dict[str, Any], breves: dict[str, int], items: dict[str, int]
) -> set[tuple[int, int]]:
    return {
        (breves[slug], items[entry["link"]]) for entry in data["items"] for slug in entry["covers"]
    }
