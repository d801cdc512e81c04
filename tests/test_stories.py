from __future__ import annotations

from datetime import UTC, datetime

from brevefeed.archive import Archive
from brevefeed.archive.models import Item, Source
from brevefeed.related.stories import assign_story, recent_stories

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
    assign_story(session, row)
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
        assign_story(session, late)
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
