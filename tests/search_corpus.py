"""Loads tests/fixtures/search_corpus.json into an archive through the ORM, as the importer and
the ingester do, so the search index is filled by its ORM events (never by hand)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import drafts
from brevefeed.archive import Archive
from brevefeed.archive.breves import retract
from brevefeed.archive.models import Breve, Item, Source
from brevefeed.authoring import BreveDraft
from brevefeed.text import slugify

CORPUS = Path(__file__).parent / "fixtures" / "search_corpus.json"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def corpus() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CORPUS.read_text(encoding="utf-8"))
    return data


def load_corpus(archive: Archive) -> dict[str, str]:
    """Fill ``archive``; returns each record's ref → the id ``search`` reports for it."""
    data = corpus()
    ids: dict[str, str] = {}
    with archive.session() as session:
        sources: dict[str, Source] = {}
        for raw in data["sources"]:
            source = Source(url=raw["url"], name=raw["name"], title=raw["title"], created_at=NOW)
            session.add(source)
            sources[raw["ref"]] = source
        for raw in data["breves"]:
            draft = BreveDraft(
                title=raw["title"],
                slug=slugify(raw["title"]),
                body=raw["body"],
                standfirst=raw["standfirst"],
                authors=tuple(raw["authors"]),
                tags=tuple(raw["tags"]),
                published=datetime.fromisoformat(raw["published"]),
            )
            saved = drafts.save(session, draft, now=NOW, host="breves.example.org")
            if raw.get("retracted"):
                retract(session, saved.uid, reason=raw["retracted"], editor="test", now=NOW)
            ids[raw["ref"]] = saved.uid
        for raw in data["items"]:
            item = Item(
                source=sources[raw["source"]],
                entry_id=f"urn:test:{raw['ref']}",
                link=f"https://example.net/{raw['ref']}",
                title=raw["title"],
                summary_html=raw["summary_html"],
                content_html=raw["content_html"],
                authors=raw["authors"],
                categories=raw["categories"],
                published_at=datetime.fromisoformat(raw["published"]),
                fetched_at=NOW,
                content_hash=raw["ref"],
            )
            session.add(item)
            ids[raw["ref"]] = item.entry_id
    return ids


def refs(ids: dict[str, str], found: list[str]) -> set[str]:
    """The corpus refs of the ids a search returned."""
    by_id = {value: key for key, value in ids.items()}
    return {by_id[value] for value in found}


__all__ = ["Breve", "corpus", "load_corpus", "refs"]
