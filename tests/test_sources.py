from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from brevefeed.archive import Archive
from brevefeed.archive.models import Item, Source
from brevefeed.config import SourceConfig
from brevefeed.errors import InputError, NotFoundError
from brevefeed.ingest.sources import (
    add_source,
    find_source,
    list_sources,
    remove_source,
    set_enabled,
    status_of,
    sync_config,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def test_config_sources_are_synced_and_dropped(archive: Archive) -> None:
    declared = [
        SourceConfig(url="https://a.example/rss", name="A", keywords=["élue"], interval=30),
        SourceConfig(url="https://b.example/rss"),
    ]
    with archive.session() as session:
        add_source(session, "https://b.example/rss", NOW, name="B à la main")
        sync_config(session, declared, NOW)
    with archive.session() as session:
        rows = {s.url: s for s in session.scalars(select(Source))}
        assert len(rows) == 2
        a = rows["https://a.example/rss"]
        assert (a.origin, a.name, a.keywords, a.interval) == ("config", "A", ["élue"], 30)
        assert rows["https://b.example/rss"].origin == "config"
    with archive.session() as session:
        sync_config(session, declared[:1], NOW)
    with archive.session() as session:
        b = find_source(session, "https://b.example/rss")
        assert b.origin == "dropped" and status_of(b) == "dropped"
    with archive.session() as session:
        sync_config(session, declared, NOW)
        assert find_source(session, "https://b.example/rss").origin == "config"


def test_add_refuses_duplicates_and_non_http(archive: Archive) -> None:
    with archive.session() as session:
        add_source(session, "https://a.example/rss", NOW)
        with pytest.raises(InputError, match="already followed"):
            add_source(session, "https://a.example/rss", NOW)
        with pytest.raises(InputError, match="http"):
            add_source(session, "file:///etc/passwd", NOW)


def test_find_by_url_or_name(archive: Archive) -> None:
    with archive.session() as session:
        add_source(session, "https://a.example/rss", NOW, name="Le A")
        assert find_source(session, "Le A").url == "https://a.example/rss"
        with pytest.raises(NotFoundError):
            find_source(session, "Le Z")


def test_remove_deletes_items_but_not_config_sources(archive: Archive) -> None:
    with archive.session() as session:
        source = add_source(session, "https://a.example/rss", NOW)
        session.add(
            Item(source_id=source.id, entry_id="x", fetched_at=NOW, content_hash="h", title="t")
        )
        sync_config(session, [SourceConfig(url="https://c.example/rss")], NOW)
    with archive.session() as session:
        assert remove_source(session, "https://a.example/rss") == ("https://a.example/rss", 1)
        with pytest.raises(InputError, match=r"config\.toml"):
            remove_source(session, "https://c.example/rss")
    with archive.session() as session:
        assert session.scalars(select(Item)).all() == []


def test_enable_clears_gone_and_backoff(archive: Archive) -> None:
    with archive.session() as session:
        source = add_source(session, "https://a.example/rss", NOW)
        source.gone, source.consecutive_errors, source.next_fetch_at = True, 4, NOW
    with archive.session() as session:
        assert not set_enabled(session, "https://a.example/rss", False).enabled
        assert status_of(find_source(session, "https://a.example/rss")) == "disabled"
    with archive.session() as session:
        source = set_enabled(session, "https://a.example/rss", True)
        assert (source.gone, source.consecutive_errors, source.next_fetch_at) == (False, 0, None)


def test_list_counts_items(archive: Archive) -> None:
    with archive.session() as session:
        a = add_source(session, "https://a.example/rss", NOW, name="A")
        add_source(session, "https://b.example/rss", NOW)
        for n in range(3):
            session.add(Item(source_id=a.id, entry_id=str(n), fetched_at=NOW, content_hash="h"))
    with archive.session() as session:
        records = [row.record() for row in list_sources(session)]
    assert [(r["name"], r["items"], r["status"]) for r in records] == [
        ("A", 3, "new"),
        ("", 0, "new"),
    ]


def test_adding_a_dropped_source_revives_it(archive: Archive) -> None:
    with archive.session() as session:
        sync_config(session, [SourceConfig(url="https://a.example/rss", name="A")], NOW)
        sync_config(session, [], NOW)
        revived = add_source(session, "https://a.example/rss", NOW, name="A bis")
        assert (revived.origin, revived.name) == ("cli", "A bis")
        assert len(session.scalars(select(Source)).all()) == 1


@pytest.mark.parametrize(
    "url", ["http://0177.0.0.1/feed", "http://example.com:99999/a", "http://[::1/a", "http://xn--/"]
)
def test_add_refuses_urls_the_fetcher_cannot_take(archive: Archive, url: str) -> None:
    with archive.session() as session, pytest.raises(InputError, match="not a URL brevefeed"):
        add_source(session, url, NOW)
