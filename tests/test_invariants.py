"""What the archive keeps true whoever writes: the search index and the change stamps publish
reads follow every write, ORM or plain SQL, including the rows a cascade takes away.

The first tests are the defects that came from writers bypassing ORM events; the last ones
write through every public write function of the archive and check index and stamps after
each.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
from pathlib import Path

import feedparser
from sqlalchemy import func, select, table, update

from brevefeed.archive import Archive, index
from brevefeed.archive.breves import delete_breve, retract, unretract
from brevefeed.archive.exchange import export_lines, restore_line
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.config import Config, RelatedConfig, SourceConfig
from brevefeed.ingest.run import ingest
from brevefeed.ingest.sources import add_source, follow_feed, remove_source, set_enabled
from brevefeed.pipeline import ingest_and_link
from brevefeed.publish import publish
from brevefeed.related.links import decide
from brevefeed.related.run import rebuild
from brevefeed.related.stories import StoryGrouper
from brevefeed.search import SearchRequest, search
from feedserver import FeedServer, Reply
from test_migrations import _index_rows
from test_publish_run import BREVES, NOW, load, make_config
from test_run import RSS, _healthy

#: Nothing in the publish fixtures speaks of sailing: no pass links this item to a brève.
UNRELATED = "Régates : la flotte des voiliers quitte Brest pour Douarnenez"


def test_a_feed_title_learnt_at_the_first_fetch_is_searchable(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    """The feed's own title arrives with its first document, after its items are written."""
    feed_server.routes["/gazette.rss"] = Reply(body=RSS, etag='"g1"')
    config = dataclasses.replace(
        ingest_config, sources=(SourceConfig(url=feed_server.url("/gazette.rss"), name="g"),)
    )
    assert ingest(archive, config).new_items == 3
    with archive.session(write=False) as session:
        found = search(session.connection(), SearchRequest('source:"La Gazette du Numérique"')).hits
    assert len(found) == 3


def _linked_item(archive: Archive, *, method: str = "auto") -> str:
    """An unrelated item linked to the cantine brève (as an earlier pass or editor left it)."""
    with archive.session() as session:
        source = Source(url="https://voile.example.net/rss", name="Voile Hebdo", created_at=NOW)
        session.add(source)
        session.flush()
        item = Item(
            source_id=source.id,
            entry_id="regates",
            link="https://voile.example.net/regates",
            title=UNRELATED,
            fetched_at=NOW,
            content_hash="r",
        )
        session.add(item)
        session.flush()
        breve = session.scalars(select(Breve).where(Breve.slug.like("cantines%"))).one()
        session.add(
            RelatedLink(
                breve_id=breve.id,
                item_id=item.id,
                score=0.9,
                method=method,
                state="linked",
                created_at=NOW,
            )
        )
        return breve.uid


def _published_content(config: Config, uid: str) -> str:
    out = config.path.parent / "public"  # type: ignore[union-attr]
    entries = feedparser.parse((out / "atom.xml").read_bytes()).entries
    return str(next(e for e in entries if e.id == uid).content[0].value)


def test_rebuilding_links_takes_a_lost_link_out_of_the_feeds(
    archive: Archive, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    load(archive, BREVES)
    uid = _linked_item(archive)
    publish(archive, config, now=NOW)
    assert UNRELATED in _published_content(config, uid)
    rebuild(archive, RelatedConfig(), now=NOW)
    publish(archive, config, now=NOW)
    assert "À lire aussi" not in _published_content(config, uid)


def test_deleting_a_source_takes_its_items_out_of_the_feeds(
    archive: Archive, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    load(archive, BREVES)
    uid = _linked_item(archive, method="manual")
    publish(archive, config, now=NOW)
    with archive.session() as session:
        assert remove_source(session, "https://voile.example.net/rss")[1] == 1
    publish(archive, config, now=NOW)
    assert "À lire aussi" not in _published_content(config, uid)


def test_an_edited_related_item_is_republished(archive: Archive, tmp_path: Path) -> None:
    """« À lire aussi » shows the item's title and the outlet's name: both are the entry's."""
    config = make_config(tmp_path)
    load(archive, BREVES)
    uid = _linked_item(archive, method="manual")
    publish(archive, config, now=NOW)
    with archive.session() as session:
        session.execute(update(Item).values(title="Régates : départ reporté"))
    publish(archive, config, now=NOW)
    assert "départ reporté" in _published_content(config, uid)
    with archive.session() as session:
        session.execute(update(Source).values(name="La Voile"))
    publish(archive, config, now=NOW)
    assert "La Voile" in _published_content(config, uid)


# Every public write function --------------------------------------------------------------

#: Where the archive is written: every public function of these modules taking a session or
#: connection is listed below, as a writer (with the step that exercises it) or a reader.
WRITE_MODULES = (
    "brevefeed.archive.breves",
    "brevefeed.archive.exchange",
    "brevefeed.importing",
    "brevefeed.ingest.claim",
    "brevefeed.ingest.sources",
    "brevefeed.ingest.store",
    "brevefeed.related.linker",
    "brevefeed.related.links",
    "brevefeed.related.stats",
    "brevefeed.related.stories",
)
#: Writer → the step below that runs it (directly or through the command's library call).
WRITERS = {
    "importing.save_one": "import",
    "archive.breves.save_draft": "import",
    "ingest.sources.sync_config": "ingest",
    "ingest.claim.claim": "ingest",
    "ingest.claim.release": "ingest",
    "ingest.store.store_entries": "ingest",
    "ingest.store.record_fetch": "ingest",
    "related.linker.link_new_items": "ingest",
    "related.stats.count_documents": "ingest",
    # Grouping is the linking pass's first step; the "stories" step runs it on its own.
    "related.stories.StoryGrouper.assign": "stories",
    "related.stories.StoryGrouper.assign_all": "ingest",
    # Items covering one brève join one story: the linking pass's last step.
    "related.stories.join_covering": "ingest",
    "ingest.sources.add_source": "sources",
    "ingest.sources.set_enabled": "sources",
    "ingest.sources.follow_feed": "sources",
    "related.links.decide": "relate",
    "related.links.apply_plans": "rebuild",
    "related.linker.link_breves": "rebuild",
    "related.linker.reset_links": "rebuild",
    "related.stats.reset": "rebuild",
    "archive.exchange.restore_line": "restore",
    "archive.exchange.restore_record": "restore",
    "archive.breves.retract": "retract",
    "archive.breves.unretract": "undo",
    "archive.breves.delete_breve": "delete",
    "ingest.sources.remove_source": "remove",
}
READERS = {
    # The importer's look-up of brèves by id and slug (reads, and an in-memory memo).
    "archive.breves.BreveLookup.preload",
    "archive.breves.BreveLookup.by_uid",
    "archive.breves.BreveLookup.by_slug",
    "archive.breves.BreveLookup.by_origin",
    "archive.breves.BreveLookup.by_title",
    "archive.breves.BreveLookup.forget_origin",
    "archive.breves.BreveLookup.match",
    "archive.breves.BreveLookup.remember",
    "archive.breves.find_breve",
    "archive.breves.get_breve",
    "archive.exchange.export_lines",
    "ingest.claim.count_claimable",
    "ingest.claim.skipped",
    "ingest.sources.find_source",
    "ingest.sources.config_in_step",
    "ingest.sources.list_sources",
    "related.links.existing_links",
    "related.links.find_item",
    "related.links.related_items",
    "related.stats.frequencies",
    "related.stories.recent_stories",
}


def _takes_session(function: object) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return bool({str(p.annotation) for p in parameters} & {"Session", "Connection"})


def _public_session_functions() -> set[str]:
    found = set()
    for name in WRITE_MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("_") or getattr(value, "__module__", None) != name:
                continue
            if inspect.isfunction(value) and _takes_session(value):
                found.add(f"{name.removeprefix('brevefeed.')}.{attr}")
            elif inspect.isclass(value) and _takes_session(value.__init__):
                # An object bound to a session writes through its public methods.
                found.update(
                    f"{name.removeprefix('brevefeed.')}.{attr}.{method}"
                    for method, member in vars(value).items()
                    if not method.startswith("_") and inspect.isfunction(member)
                )
    return found


def test_every_public_write_function_is_listed() -> None:
    """A new one fails here until it is listed, and so exercised by the test below."""
    assert _public_session_functions() == set(WRITERS) | READERS


def _shown(archive: Archive) -> tuple[dict[int, tuple[object, ...]], dict[int, int]]:
    """What publish shows of each brève (its row, tags and « À lire aussi »), and its stamp."""
    with archive.session(write=False) as session:
        shown: dict[int, tuple[object, ...]] = {}
        stamps: dict[int, int] = {}
        for breve in session.scalars(select(Breve)):
            links = session.execute(
                select(RelatedLink.state, Item.title, Item.link, Source.name, Source.title)
                .join(Item, RelatedLink.item_id == Item.id)
                .join(Source, Item.source_id == Source.id)
                .where(RelatedLink.breve_id == breve.id)
                .order_by(Item.id)
            ).all()
            columns = [c.name for c in Breve.__table__.c if c.name != "change_seq"]
            row = {name: getattr(breve, name) for name in columns}
            shown[breve.id] = (sorted(row.items()), breve.tags, links)
            stamps[breve.id] = breve.change_seq
    return shown, stamps


def _check(
    archive: Archive, before: tuple[dict[int, tuple[object, ...]], dict[int, int]], highest: int
) -> None:
    """Every brève shown differently got a stamp above every earlier one (``highest``, even
    if the brève that held it was deleted since); the index is the one a rebuild from scratch
    makes, and nothing is left pending."""
    shown, stamps = _shown(archive)
    changed = {id_ for id_, facts in shown.items() if before[0].get(id_) != facts}
    assert {id_ for id_ in changed if stamps[id_] <= highest} == set()
    with archive.engine.connect() as conn, conn.begin() as transaction:
        assert conn.execute(select(func.count()).select_from(table("search_pending"))).scalar() == 0
        indexed = _index_rows(conn)
        index.rebuild(conn)
        assert indexed == _index_rows(conn)
        transaction.rollback()


def _restore_edited(archive: Archive) -> None:
    """Export, edit one record of each kind, restore: updates through every restorer."""
    edits = {
        "breve": {"title": "Cantines : 70 % de bio"},
        "source": {"name": "Gazette (restaurée)"},
        "item": {"title": "Titre restauré"},
        "link": {"state": "rejected", "method": "manual"},
    }
    with archive.session(write=False) as session:
        records = [json.loads(line) for line in export_lines(session)]
    with archive.session() as session:
        for record in records:
            edit = edits.pop(record["kind"], None)
            if edit is not None:
                record.update(edit)
                assert restore_line(session, json.dumps(record)) == "updated"
    assert edits == {}


def test_every_write_keeps_the_index_and_the_stamps(
    archive: Archive, ingest_config: Config, feed_server: FeedServer
) -> None:
    _healthy(feed_server)
    gazette, vigie = feed_server.url("/gazette.rss"), feed_server.url("/vigie.atom")
    config = dataclasses.replace(ingest_config, sources=(SourceConfig(url=gazette, name="g"),))

    def sources() -> None:
        with archive.session() as session:
            source = add_source(session, vigie, NOW, name="Vigie")
            set_enabled(session, vigie, False)
            set_enabled(session, vigie, True)
            assert follow_feed(session, source.id, vigie)

    def stories() -> None:
        with archive.session() as session:
            grouper = StoryGrouper(session)
            for item in session.scalars(select(Item).order_by(Item.id)):
                grouper.assign(item)

    def relate() -> None:
        with archive.session() as session:
            breve = session.scalars(select(Breve).order_by(Breve.id)).first()
            assert breve is not None
            for item in session.scalars(select(Item)):
                decide(session, breve, item, linked=True, now=NOW)

    def retract_one() -> None:
        with archive.session() as session:
            breve = session.scalars(select(Breve).order_by(Breve.id.desc())).first()
            assert breve is not None
            retract(session, breve.slug, reason="Erreur", editor="t", now=NOW)

    def undo() -> None:
        with archive.session() as session:
            breve = session.scalars(select(Breve).where(Breve.status == "retracted")).first()
            assert breve is not None
            unretract(session, breve.slug, editor="t", now=NOW)

    def delete() -> None:
        # The brève with the highest stamp, its tags and links: cascades the triggers see.
        with archive.session() as session:
            breve = session.scalars(select(Breve).order_by(Breve.change_seq.desc())).first()
            assert breve is not None
            delete_breve(session, breve.slug)

    def remove() -> None:
        with archive.session() as session:
            assert remove_source(session, vigie)[1] == 1

    steps = {
        "import": lambda: load(archive, BREVES),
        "sources": sources,
        "ingest": lambda: ingest_and_link(archive, config),
        "stories": stories,
        "relate": relate,
        "rebuild": lambda: rebuild(archive, RelatedConfig(), now=NOW),
        "restore": lambda: _restore_edited(archive),
        "retract": retract_one,
        "undo": undo,
        "delete": delete,
        "remove": remove,
    }
    assert set(WRITERS.values()) == set(steps)
    highest = 0
    for step in steps.values():
        before = _shown(archive)
        highest = max(highest, *before[1].values(), 0)
        step()
        _check(archive, before, highest)
