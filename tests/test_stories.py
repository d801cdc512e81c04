from __future__ import annotations

from datetime import UTC, datetime

from brevefeed.archive import Archive
from brevefeed.archive.models import Item, Source
from brevefeed.related.stories import (
    SAME_TITLE_LIMIT,
    StoryGrouper,
    recent_stories,
)

NOW = datetime(2024, 6, 1, tzinfo=UTC)
TEXT = (
    "<p>Le forum de rencontres anonyme a cessé de fonctionner lundi soir après une décision"
    " de justice, selon le parquet.</p>"
)


def source(session, name: str) -> Source:  # type: ignore[no-untyped-def]
    row = Source(url=f"https://{name}.example/feed", name=name, created_at=NOW)
    session.add(row)
    session.flush()
    return row


def item(
    session, src: Source, n: int, title: str, link: str, html: str = TEXT, day: int = 1
) -> Item:  # type: ignore[no-untyped-def]
    row = Item(
        source_id=src.id,
        entry_id=f"{src.name}-{n}",
        link=link,
        title=title,
        summary_html=html,
        fetched_at=NOW,
        content_hash=str(n),
        published_at=datetime(2024, 5, day, 12, tzinfo=UTC),
    )
    session.add(row)
    session.flush()
    StoryGrouper(session).assign(row)
    session.flush()
    return row


def test_grouping(archive: Archive) -> None:
    with archive.session() as session:
        echo, gazette, veille = (
            source(session, "echo"),
            source(session, "gazette"),
            source(session, "veille"),
        )
        first = item(session, echo, 1, "Le forum ferme ses portes", "https://echo.example/a?id=1")
        # Same article reached through a tracking link from an aggregator.
        via_link = item(
            session,
            veille,
            1,
            "Revue : le forum",
            "http://www.echo.example/a/?id=1&utm_source=rss",
            html="<p>autre chose</p>",
        )
        # Same headline and wording at another outlet.
        same_words = item(
            session, gazette, 1, "Le forum ferme ses portes !", "https://gazette.example/x"
        )
        # Same headline, different story (a recurring title): not grouped.
        recurring = item(
            session,
            gazette,
            2,
            "Le forum ferme ses portes",
            "https://gazette.example/y",
            html="<p>Le forum de discussion du club de football suspend ses activités.</p>",
        )
        # Same headline and text a year later: another story.
        late = item(session, veille, 2, "Le forum ferme ses portes", "https://veille.example/z")
        late.published_at = datetime(2025, 5, 1, tzinfo=UTC)
        late.story_id = None
        StoryGrouper(session).assign(late)
        assert first.story_id == first.id
        assert via_link.story_id == first.id
        assert same_words.story_id == first.id
        assert recurring.story_id == recurring.id
        assert late.story_id == late.id
        assert via_link.canonical_link == "echo.example/a?id=1"
    with archive.session() as session:
        stories = recent_stories(session, min_outlets=2)
        assert len(stories) == 1
        (story,) = stories
        assert story.story_id == first.id and story.items == 3
        assert sorted(story.outlets) == ["echo", "gazette", "veille"]
        assert len(recent_stories(session)) == 3


def test_a_batch_groups_without_flushing_each_item(archive: Archive) -> None:
    with archive.session() as session:
        echo, gazette, veille = (
            source(session, "echo"),
            source(session, "gazette"),
            source(session, "veille"),
        )
        rows = [
            Item(source_id=src.id, entry_id=f"{src.name}-b", link=link, title=title,
                 summary_html=TEXT, fetched_at=NOW, content_hash="b",
                 published_at=datetime(2024, 5, 2, tzinfo=UTC))
            for src, link, title in (
                (echo, "https://echo.example/b", "Le forum ferme ses portes"),
                (veille, "https://echo.example/b?utm_medium=feed", "Revue du jour"),
                (gazette, "https://gazette.example/b", "Le forum ferme ses portes"),
            )
        ]  # fmt: skip
        session.add_all(rows)
        session.flush()
        grouper = StoryGrouper(session)
        with session.no_autoflush:
            stories = [grouper.assign(row) for row in rows]
        assert stories == [rows[0].id] * 3
        session.flush()
        later = item(session, veille, 9, "Le forum ferme ses portes", "https://veille.example/b")
        assert later.story_id == rows[0].id  # the flushed batch is found in the archive


def test_same_headline_compares_the_newest_items_within_the_window(archive: Archive) -> None:
    with archive.session() as session:
        echo, gazette = source(session, "echo"), source(session, "gazette")
        # More same-titled items than are compared, all too old to be the same story…
        for n in range(SAME_TITLE_LIMIT + 5):
            old = item(
                session, echo, 100 + n, "Le forum ferme ses portes", f"https://e.example/{n}"
            )
            old.published_at = datetime(2023, 1, 1 + n, tzinfo=UTC)
        session.flush()
        # …then the same article's title and text, this month.
        recent = item(session, echo, 1, "Le forum ferme ses portes", "https://echo.example/r")
        copy = item(session, gazette, 1, "Le forum ferme ses portes", "https://gazette.example/r")
        assert copy.story_id == recent.story_id == recent.id


def test_items_covering_one_breve_join_one_story(archive: Archive) -> None:
    from brevefeed.related.stories import join_covering

    with archive.session() as session:
        echo, gazette, veille = (
            source(session, "echo"),
            source(session, "gazette"),
            source(session, "veille"),
        )
        a = item(session, echo, 1, "Le forum ferme", "https://echo.example/1")
        b = item(session, gazette, 1, "Fin de partie pour le tchat", "https://gazette.example/1")
        c = item(session, veille, 1, "Une bannière de la gendarmerie", "https://veille.example/1")
        other = item(session, veille, 2, "Grève des bus", "https://veille.example/2")
        assert len({a.story_id, b.story_id, c.story_id}) == 3
        # b and c cover the brève a covered in an earlier batch: only b and c are at hand.
        joined = join_covering(session, [{a.id, b.id, c.id}, {other.id}], {b.id: b, c.id: c})
        assert joined == 2
        session.flush()
        assert a.story_id == b.story_id == c.story_id == a.id != other.story_id
        (story,) = recent_stories(session, min_outlets=3)
        assert story.items == 3 and story.breve == ""
        assert join_covering(session, [{a.id, b.id}], {}) == 0
