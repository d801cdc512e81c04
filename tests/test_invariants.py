"""What the archive keeps true whoever writes: the search index and the change stamps publish
reads follow every write, ORM or plain SQL, including the rows a cascade takes away.

The first tests are the defects that came from writers bypassing ORM events; the last ones
write through every public write function of the archive and check index and stamps after
each.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import feedparser
from sqlalchemy import select, update

from brevefeed.archive import Archive
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.config import Config, RelatedConfig, SourceConfig
from brevefeed.ingest.run import ingest
from brevefeed.ingest.sources import remove_source
from brevefeed.publish import publish
from brevefeed.related.run import rebuild
from brevefeed.search import SearchRequest, search
from feedserver import FeedServer, Reply
from test_publish_run import BREVES, NOW, load, make_config
from test_run import RSS

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
        found = search(session, SearchRequest('source:"La Gazette du Numérique"')).hits
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
