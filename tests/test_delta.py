"""The "what changed" decisions of storing a fetch, on plain values (no archive)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from brevefeed.ingest.delta import Known, fetch_values, item_values, kept_entries
from brevefeed.ingest.fetch import FetchResult
from brevefeed.ingest.filters import KeywordFilter
from brevefeed.ingest.parse import ParsedEntry, ParsedFeed
from brevefeed.ingest.schedule import Decision

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
URL = "https://a.example/rss"
ENTRY = ParsedEntry(
    entry_id="a", link="https://a.example/a", title="Titre", authors=["Anne"],
    summary_html="<p>Résumé</p>", content_html="", categories=["Justice"],
    published_at=NOW - timedelta(hours=1), updated_at=None, raw_date=None, content_hash="h1",
)  # fmt: skip
STORED = Known("h1", updated_at=None, published_at=ENTRY.published_at, raw_date=None)
SUCCESS = Decision(URL, None, 0, NOW + timedelta(hours=1), None, False, None, True)


def test_first_of_an_id_wins_and_filtered_entries_are_counted() -> None:
    keep = KeywordFilter.build(["tribunal"], [], keep="matching")
    entries = [
        replace(ENTRY, entry_id="a", title="Le tribunal tranche"),
        replace(ENTRY, entry_id="b", title="Météo"),
        replace(ENTRY, entry_id="a", title="Doublon"),
    ]
    kept, filtered = kept_entries(entries, keep)
    assert [e.title for e in kept.values()] == ["Le tribunal tranche"] and filtered == 1
    everything, none = kept_entries(entries, None)
    assert list(everything) == ["a", "b"] and none == 0


def test_a_new_entry_takes_every_column_and_its_own_updated_date() -> None:
    values = item_values(replace(ENTRY, updated_at=NOW), NOW, None)
    assert values is not None
    assert values["title"] == "Titre" and values["fetched_at"] == NOW
    assert values["updated_at"] == NOW and values["published_at"] == ENTRY.published_at


def test_the_same_content_changes_nothing() -> None:
    assert item_values(replace(ENTRY, title="Titre"), LATER, STORED) is None


@pytest.mark.parametrize(
    ("stored_updated", "feed_updated", "moved_to"),
    [
        (None, None, LATER),  # the feed gives no date: now
        (None, NOW, NOW),  # the feed's own date
        (NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=5)),  # newer: taken
        (NOW, NOW - timedelta(minutes=5), LATER),  # older than the one stored: now
        (NOW, NOW, LATER),  # the same date, yet the content changed: now
    ],
)
def test_an_edit_moves_updated_at(
    stored_updated: datetime | None, feed_updated: datetime | None, moved_to: datetime
) -> None:
    edited = replace(ENTRY, title="Corrigé", content_hash="h2", updated_at=feed_updated)
    values = item_values(edited, LATER, replace(STORED, updated_at=stored_updated))
    assert values is not None
    assert values["updated_at"] == moved_to and values["title"] == "Corrigé"


def test_an_edit_keeps_the_first_date_while_the_date_text_stays_unreadable() -> None:
    stored = replace(STORED, published_at=NOW, raw_date="le lendemain")
    edited = replace(ENTRY, content_hash="h2", published_at=LATER, raw_date="le lendemain")
    assert item_values(edited, LATER, stored)["published_at"] == NOW  # type: ignore[index]
    redated = replace(edited, raw_date="le surlendemain")
    assert item_values(redated, LATER, stored)["published_at"] == LATER  # type: ignore[index]


def _result(
    status: int | None, etag: str | None = None, modified: str | None = None
) -> FetchResult:
    return FetchResult(URL, URL, status, etag=etag, last_modified=modified)


def test_a_200_keeps_exactly_the_validators_of_its_body() -> None:
    values = fetch_values(SUCCESS, _result(200, '"x"'), None, NOW, None)
    assert values["etag"] == '"x"' and values["last_modified"] is None
    assert values["last_success_at"] == NOW and values["lease_owner"] is None


def test_a_304_keeps_the_validators_it_does_not_repeat() -> None:
    assert "etag" not in fetch_values(SUCCESS, _result(304), None, NOW, None)
    repeated = fetch_values(SUCCESS, _result(304, None, "Sat, 01 Jun 2024 10:00:00 GMT"), None,
                            NOW, None)  # fmt: skip
    assert "etag" not in repeated and repeated["last_modified"].startswith("Sat")


def test_a_failure_keeps_validators_and_last_success() -> None:
    failed = Decision(URL, None, 1, NOW + timedelta(hours=1), None, False, "HTTP 500", False)
    values = fetch_values(failed, _result(500, '"new"'), None, NOW, None)
    assert {"etag", "last_modified", "last_success_at", "body_hash"}.isdisjoint(values)
    assert values["last_error"] == "HTTP 500" and values["consecutive_errors"] == 1


def test_figures_and_titles_come_from_a_parsed_document_only() -> None:
    parsed = ParsedFeed(title="Le A", site_link="", id_collisions=2, dropped_links=1)
    values = fetch_values(SUCCESS, _result(200), parsed, NOW, "hash")
    assert (values["title"], values["id_collisions"], values["dropped_links"]) == ("Le A", 2, 1)
    assert "site_link" not in values and values["body_hash"] == "hash"
    broken = fetch_values(SUCCESS, _result(200), ParsedFeed(error="not a feed"), NOW, None)
    assert {"title", "id_collisions", "dropped_links"}.isdisjoint(broken)
