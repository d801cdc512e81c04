from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import drafts
from brevefeed.archive import Archive, queries
from brevefeed.archive.breves import retract
from brevefeed.archive.queries import BreveFilter, iter_all_breves, list_breves
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
        assert slugs(list_breves(session, BreveFilter(), limit=3)) == [
            "breve-9",
            "breve-8",
            "breve-7",
        ]


def test_filters(archive: Archive) -> None:
    fill(archive, 10)
    with archive.session() as session:
        retract(session, "breve-8", reason="r", editor="t", now=START)
    with archive.session() as session:
        assert slugs(list_breves(session, BreveFilter(tag="pair"), limit=2)) == [
            "breve-8",
            "breve-6",
        ]
        window = BreveFilter(since=START + timedelta(days=2), until=START + timedelta(days=4))
        assert slugs(list_breves(session, window)) == ["breve-3", "breve-2"]
        assert slugs(list_breves(session, BreveFilter(status="retracted"))) == ["breve-8"]
        published = list_breves(session, BreveFilter(status="published", tag="pair"))
        assert slugs(published) == ["breve-6", "breve-4", "breve-2", "breve-0"]


def test_iter_all_is_oldest_first(archive: Archive) -> None:
    fill(archive, 5)
    with archive.session() as session:
        assert slugs(list(iter_all_breves(session, batch=2))) == [f"breve-{n}" for n in range(5)]


def test_tag_filter_gives_the_same_answer_with_either_plan(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(archive, 12)
    with archive.session() as session:
        rare = slugs(list_breves(session, BreveFilter(tag="impair"), limit=3))
        monkeypatch.setattr(queries, "TAG_SCAN_THRESHOLD", 1)
        common = slugs(list_breves(session, BreveFilter(tag="impair"), limit=3))
    assert rare == common == ["breve-11", "breve-9", "breve-7"]
