from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from brevefeed.archive import Archive
from brevefeed.archive.models import Item, Source
from brevefeed.ingest.fetch import FetchResult
from brevefeed.ingest.filters import KeywordFilter
from brevefeed.ingest.parse import ParsedEntry, ParsedFeed
from brevefeed.ingest.schedule import Decision
from brevefeed.ingest.store import record_fetch, store_entries

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _entry(entry_id: str, title: str = "Titre", content_hash: str = "h1") -> ParsedEntry:
    return ParsedEntry(
        entry_id=entry_id, link=f"https://a.example/{entry_id}", title=title,
        authors=["Anne"], summary_html="<p>Résumé</p>", content_html="", categories=["Justice"],
        published_at=NOW - timedelta(hours=1), updated_at=None, raw_date=None,
        content_hash=content_hash,
    )  # fmt: skip


def _source(archive: Archive) -> int:
    with archive.session() as session:
        source = Source(url="https://a.example/rss", created_at=NOW)
        session.add(source)
        session.flush()
        return source.id


def test_new_changed_unchanged_and_duplicates(archive: Archive) -> None:
    sid = _source(archive)
    with archive.session() as session:
        counts = store_entries(
            session, sid, [_entry("a"), _entry("b"), _entry("a", "Doublon")], NOW
        )
    assert (counts.new, counts.updated, counts.unchanged) == (2, 0, 0)
    later = NOW + timedelta(hours=2)
    with archive.session() as session:
        counts = store_entries(
            session, sid, [_entry("a", "Titre corrigé", "h2"), _entry("b")], later
        )
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    with archive.session() as session:
        rows = {i.entry_id: i for i in session.scalars(select(Item))}
    assert set(rows) == {"a", "b"}
    assert rows["a"].title == "Titre corrigé" and rows["a"].updated_at == later
    assert rows["a"].fetched_at == later and rows["b"].fetched_at == NOW
    assert rows["b"].updated_at is None


def test_feed_updated_date_moves_updated_at(archive: Archive) -> None:
    sid = _source(archive)
    with archive.session() as session:
        store_entries(session, sid, [_entry("a")], NOW)
    edited = replace(_entry("a", "Nouveau", "h3"), updated_at=NOW + timedelta(minutes=30))
    with archive.session() as session:
        store_entries(session, sid, [edited], NOW + timedelta(hours=3))
    with archive.session() as session:
        item = session.scalars(select(Item)).one()
    assert item.updated_at == NOW + timedelta(minutes=30)


def test_same_entry_id_in_two_sources_is_two_items(archive: Archive) -> None:
    first = _source(archive)
    with archive.session() as session:
        other = Source(url="https://b.example/rss", created_at=NOW)
        session.add(other)
        session.flush()
        second = other.id
    with archive.session() as session:
        store_entries(session, first, [_entry("commun")], NOW)
        store_entries(session, second, [_entry("commun")], NOW)
    with archive.session() as session:
        assert len(session.scalars(select(Item)).all()) == 2


def test_filter_drops_items(archive: Archive) -> None:
    sid = _source(archive)
    keep = KeywordFilter.build(["tribunal"], [], keep="matching")
    with archive.session() as session:
        counts = store_entries(
            session, sid, [_entry("a", "Le tribunal tranche"), _entry("b", "Météo")], NOW, keep
        )
    assert (counts.new, counts.filtered) == (1, 1)


def test_record_fetch_records_state_and_releases_the_lease(archive: Archive) -> None:
    sid = _source(archive)
    result = FetchResult(
        requested_url="https://a.example/rss", url="https://a.example/rss", status=200,
        etag='"x"', last_modified="Sat, 01 Jun 2024 10:00:00 GMT",
    )  # fmt: skip
    decision = Decision(
        url="https://a.example/rss", pending_redirect=None, consecutive_errors=0,
        next_fetch_at=NOW + timedelta(hours=1), retry_after=None, gone=False, error=None,
        success=True,
    )  # fmt: skip
    with archive.session() as session:
        source = session.get(Source, sid)
        assert source is not None
        source.lease_owner, source.lease_expires_at = "w", NOW
    with archive.session() as session:
        url = "https://a.example/rss"
        record_fetch(session, sid, url, decision, result, ParsedFeed(title="Le A"), NOW)
    with archive.session() as session:
        source = session.get(Source, sid)
        assert source is not None
        assert (source.etag, source.last_status, source.title) == ('"x"', 200, "Le A")
        assert source.last_success_at == NOW and source.lease_owner is None
        assert source.next_fetch_at == NOW + timedelta(hours=1)


def test_url_move_onto_a_followed_url_is_not_applied(archive: Archive) -> None:
    sid = _source(archive)
    with archive.session() as session:
        session.add(Source(url="https://b.example/rss", created_at=NOW))
    result = FetchResult(requested_url="u", url="https://b.example/rss", status=200)
    decision = Decision("https://b.example/rss", None, 0, NOW, None, False, None, True)
    with archive.session() as session:
        record_fetch(session, sid, "https://a.example/rss", decision, result, None, NOW)
    with archive.session() as session:
        assert session.get(Source, sid).url == "https://a.example/rss"  # type: ignore[union-attr]


def test_304_keeps_validators_the_server_does_not_repeat(archive: Archive) -> None:
    sid = _source(archive)
    with archive.session() as session:
        source = session.get(Source, sid)
        assert source is not None
        source.etag, source.last_modified = '"v1"', "Sat, 01 Jun 2024 10:00:00 GMT"
    result = FetchResult(requested_url="u", url="https://a.example/rss", status=304)
    decision = Decision("https://a.example/rss", None, 0, NOW, None, False, None, True)
    with archive.session() as session:
        record_fetch(session, sid, "https://a.example/rss", decision, result, None, NOW)
    with archive.session() as session:
        source = session.get(Source, sid)
        assert source is not None
        assert (source.etag, source.last_status) == ('"v1"', 304)
        assert source.last_modified == "Sat, 01 Jun 2024 10:00:00 GMT"


def test_an_edit_keeps_the_first_date_of_an_undated_entry(archive: Archive) -> None:
    sid = _source(archive)
    undated = replace(_entry("a"), published_at=NOW, raw_date="le lendemain")
    with archive.session() as session:
        store_entries(session, sid, [undated], NOW)
    later = NOW + timedelta(days=1)
    edited = replace(undated, title="Corrigé", published_at=later, content_hash="h9")
    with archive.session() as session:
        assert store_entries(session, sid, [edited], later).updated == 1
    with archive.session() as session:
        item = session.scalars(select(Item)).one()
    assert (item.title, item.published_at, item.updated_at) == ("Corrigé", NOW, later)
