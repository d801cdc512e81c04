from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import drafts
from brevefeed.archive import Archive, queries
from brevefeed.archive.breves import retract
from brevefeed.archive.queries import BreveFilter, list_breves, tag_counts
from brevefeed.authoring import BreveDraft

BASE = BreveDraft(title="T", slug="s", body="B")
START = datetime(2024, 1, 1, tzinfo=UTC)


def fill(archive: Archive, count: int) -> None:
    with archive.session() as session:
        for n in range(count):
            draft = replace(
                BASE,
                slug=f"breve-{n}",
                title=f"Brève {n}",
                published=START + timedelta(days=n),
                tags=("pair",) if n % 2 == 0 else ("impair",),
            )
            drafts.save(session, draft, now=START, host="h.org")


def slugs(breves: list) -> list[str]:  # type: ignore[type-arg]
    return [b.slug for b in breves]


def test_newest_first_with_limit(archive: Archive) -> None:
    fill(archive, 10)
    with archive.session() as session:
        assert slugs(list_breves(session.connection(), BreveFilter(), limit=3)) == [
            "breve-9",
            "breve-8",
            "breve-7",
        ]


def test_filters(archive: Archive) -> None:
    fill(archive, 10)
    with archive.session() as session:
        retract(session, "breve-8", reason="r", editor="t", now=START)
    with archive.session() as session:
        assert slugs(list_breves(session.connection(), BreveFilter(tag="pair"), limit=2)) == [
            "breve-8",
            "breve-6",
        ]
        window = BreveFilter(since=START + timedelta(days=2), until=START + timedelta(days=4))
        assert slugs(list_breves(session.connection(), window)) == ["breve-3", "breve-2"]
        assert slugs(list_breves(session.connection(), BreveFilter(status="retracted"))) == [
            "breve-8"
        ]
        published = list_breves(session.connection(), BreveFilter(status="published", tag="pair"))
        assert slugs(published) == ["breve-6", "breve-4", "breve-2", "breve-0"]


def test_tag_filter_gives_the_same_answer_with_either_plan(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(archive, 12)
    with archive.session() as session:
        rare = slugs(list_breves(session.connection(), BreveFilter(tag="impair"), limit=3))
        monkeypatch.setattr(queries, "TAG_SCAN_THRESHOLD", 1)
        common = slugs(list_breves(session.connection(), BreveFilter(tag="impair"), limit=3))
    assert rare == common == ["breve-11", "breve-9", "breve-7"]


def test_summaries_carry_listed_fields_and_first_spelling_of_tags(archive: Archive) -> None:
    with archive.session() as session:
        first = replace(BASE, slug="a", published=START, tags=("Éducation", "école"))
        drafts.save(session, first, now=START, host="h.org")
        later = replace(BASE, slug="b", published=START + timedelta(days=1), tags=("education",))
        drafts.save(session, replace(later, authors=("Léa",)), now=START, host="h.org")
    with archive.reading() as connection:
        newest, oldest = list_breves(connection, BreveFilter())
        counts = tag_counts(connection)
    assert (newest.slug, newest.tags, newest.authors) == ("b", ["Éducation"], ["Léa"])
    assert oldest.tags == ["Éducation", "école"]
    assert newest.uid.startswith("tag:h.org,") and newest.status == "published"
    assert newest.published_at == START + timedelta(days=1)
    assert [(t.name, t.count) for t in counts] == [("Éducation", 2), ("école", 1)]
