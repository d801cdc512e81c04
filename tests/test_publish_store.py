"""The publisher's archive reads: feed contents by tag spelling, pages, tombstone expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from brevefeed.archive import Archive
from brevefeed.archive.breves import retract
from brevefeed.config import SiteConfig
from brevefeed.importing import ImportContext, import_paths
from brevefeed.publish import store
from brevefeed.publish.plan import Placement
from conftest import FIXTURES

NOW = datetime(2024, 5, 10, tzinfo=UTC)
SITE = SiteConfig(link="https://journal.example.org/", timezone="UTC")


def load(archive: Archive) -> None:
    context = ImportContext(site=SITE, editor="test", now=NOW)
    assert import_paths(archive, [FIXTURES / "publish"], context).failed == 0


def test_tag_feeds_gather_every_spelling_newest_first(archive: Archive) -> None:
    load(archive)
    with archive.session() as session:
        facts = store.changed_facts(session, -1, store.max_seq(session), NOW)
        assert len(facts) == 4
        store.remember_names(session, facts)
        assert store.folder_names(session, "tags/sante") == ["Santé", "santé"]
        assert store.folder_title(session, "sections/societe") == "Société"
        titles = [e.title for e in store.latest_entries(session, "tags/sante", 10)]
        assert titles == [
            "Le marché du samedi déménage place de l’Église",
            "Cantines : la commune passe au bio à 60 %",
        ]
        assert len(store.latest_entries(session, "", 3)) == 3
        assert [e.section for e in store.latest_entries(session, "sections/societe", 1)] == [
            "Société"
        ]
        assert store.latest_entries(session, "tags/inconnu", 10) == []


def test_pages_cursor_and_saved_placements(archive: Archive) -> None:
    load(archive)
    with archive.session() as session:
        facts = store.changed_facts(session, -1, store.max_seq(session), NOW)
        ids = sorted(f.id for f in facts)
        assert store.page_cursor(session).last == 0
        placed = {
            ids[0]: Placement(1, ("",)),
            ids[1]: Placement(1, ("",)),
            ids[2]: Placement(2, ("",)),
        }
        store.save(session, placed, 9, "abc")
        assert store.placements(session, ids) == placed
        cursor = store.page_cursor(session)
        assert (cursor.last, cursor.count) == (2, 1)
        state = store.read_state(session)
        assert state is not None and (state.last_seq, state.settings) == (9, "abc")
        assert len(store.page_entries(session, 1)) == 2


def test_expired_tombstones_come_back_as_changes(archive: Archive) -> None:
    load(archive)
    with archive.session() as session:
        breve = retract(
            session,
            "piscine-municipale-reouverture-le-2-mai",
            reason="Erreur",
            editor="test",
            now=NOW,
        )
        store.save(session, {breve.id: Placement(1, ("", "tags/sport"), tombstone=True)}, 99, "x")
        top = store.max_seq(session)
        assert store.changed_facts(session, top, top, NOW - timedelta(days=1)) == []
        (expired,) = store.changed_facts(session, top, top, NOW + timedelta(seconds=1))
        assert expired.id == breve.id and expired.status == "retracted"
        stones = store.tombstones(session)
        assert [t.reason for t in stones["tags/sport"]] == ["Erreur"]
