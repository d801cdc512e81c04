"""The publisher's archive reads: feed contents by tag spelling, pages, tombstone expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from brevefeed.archive import Archive
from brevefeed.archive.breves import retract
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.config import SiteConfig
from brevefeed.importing import ImportContext, import_paths
from brevefeed.publish import store
from brevefeed.publish.plan import Placement, Plan
from brevefeed.urls import without_tracking
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
        # Read before they are recorded (a run builds before it records), and after.
        pending = store.Pending(names=store.new_names(session, facts))
        for view in (pending, store.Pending()):
            assert store.folder_names(session, view, "tags/sante") == ["Santé", "santé"]
            assert store.folder_title(session, view, "sections/societe") == "Société"
            titles = [e.title for e in store.latest_entries(session, view, "tags/sante", 10)]
            assert titles == [
                "Le marché du samedi déménage place de l’Église",
                "Cantines : la commune passe au bio à 60 %",
            ]
            assert len(store.latest_entries(session, view, "", 3)) == 3
            societe = store.latest_entries(session, view, "sections/societe", 1)
            assert [e.section for e in societe] == ["Société"]
            assert store.latest_entries(session, view, "tags/inconnu", 10) == []
            if view is pending:
                store.save_state(session, pending, 1, "abc")
        # Names recorded are not proposed again.
        assert store.new_names(session, facts) == {}


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
        pending = store.Pending.of(Plan(placements=placed), {}, {})
        assert len(store.page_entries(session, pending, 1)) == 2
        assert store.page_entries(session, store.Pending(), 1) == []
        assert pending.moved() == list(placed.items())
        store.save_placements(session, pending.moved())
        store.save_state(session, pending, 9, "abc")
        assert store.placements(session, ids) == placed
        cursor = store.page_cursor(session)
        assert (cursor.last, cursor.count) == (2, 1)
        state = store.read_state(session)
        assert state is not None and (state.last_seq, state.settings) == (9, "abc")
        assert len(store.page_entries(session, store.Pending(), 1)) == 2
        # A brève the run adds to a page already recorded joins it.
        more = store.Pending.of(Plan(placements={ids[3]: Placement(2, ("",))}), {}, {})
        assert len(store.page_entries(session, more, 2)) == 2


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
        stone = store.Pending({breve.id: Placement(1, ("", "tags/sport"), tombstone=True)})
        assert [t.reason for t in store.tombstones(session, stone)["tags/sport"]] == ["Erreur"]
        assert store.tombstones(session, store.Pending()) == {}
        store.save_placements(session, stone.moved())
        store.save_state(session, stone, 99, "x")
        # The run lifting it: no tombstone left, though the recorded row still says so.
        lifted = store.Pending({breve.id: Placement(1, ())})
        assert store.tombstones(session, lifted) == {}
        top = store.max_seq(session)
        assert store.changed_facts(session, top, top, NOW - timedelta(days=1)) == []
        (expired,) = store.changed_facts(session, top, top, NOW + timedelta(seconds=1))
        assert expired.id == breve.id and expired.status == "retracted"
        stones = store.tombstones(session, store.Pending())
        assert [t.reason for t in stones["tags/sport"]] == ["Erreur"]


def test_without_tracking_drops_campaign_parameters_and_keeps_the_rest_byte_for_byte() -> None:
    assert (
        without_tracking("https://ex.fr/a?utm_source=rss&id=7&FBCLID=x#xtor=RSS-3208")
        == "https://ex.fr/a?id=7"
    )
    # Nothing re-encoded, ordinary anchors and parameters untouched.
    kept = "https://ex.fr/a%20b?q=caf%C3%A9+cr%C3%A8me&page=2#suite"
    assert without_tracking(kept) == kept
    assert without_tracking("https://ex.fr/a?utm_medium=x") == "https://ex.fr/a"
    assert without_tracking("http://[::1") == "http://[::1"


def test_related_outlet_without_name_or_title_is_its_url(archive: Archive) -> None:
    """« À lire aussi » names each outlet as search and ``related`` do; a feed with neither a
    name nor a title used to give an empty label (``<li> : <a …>``)."""
    load(archive)
    feed = "https://sans-nom.example/rss"
    with archive.session() as session:
        breve = session.scalars(select(Breve).order_by(Breve.id)).first()
        assert breve is not None
        source = Source(url=feed, created_at=NOW)
        item = Item(
            source=source,
            entry_id="a1",
            link="https://sans-nom.example/a1",
            title="Un article",
            fetched_at=NOW,
            content_hash="0" * 64,
        )
        session.add(item)
        session.flush()
        session.add(
            RelatedLink(
                breve_id=breve.id,
                item_id=item.id,
                score=1.0,
                method="manual",
                state="linked",
                created_at=NOW,
            )
        )
        session.flush()
        entries = store.latest_entries(session, store.Pending(), "", 10)
        refs = [ref for entry in entries for ref in entry.related]
        assert [ref.outlets for ref in refs] == [(feed,)]
