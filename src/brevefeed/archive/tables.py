"""The columns the read paths select, as lightweight Core clauses.

`list` and `search` read through these, not through the ORM classes of ``archive.models``:
importing ``sqlalchemy.orm`` and building the declarative models cost about as much as
SQLAlchemy itself, before a command that only reads could answer. The models remain the
schema's description (with the migrations); a test checks every column here against them.
"""

from __future__ import annotations

from sqlalchemy import JSON, Integer, String, column, table

from brevefeed.archive.types import UTCDateTime

STATUSES = ("draft", "published", "retracted")


def outlet_name(name: str, title: str, url: str) -> str:
    """How readers see an outlet: the newsroom's name for it, else the feed's own title, else
    its URL, never empty (feeds, search and ``related`` print it as the label of a link)."""
    return name or title or url


breves = table(
    "breves",
    column("id", Integer),
    column("uid", String),
    column("slug", String),
    column("title", String),
    column("section", String),
    column("standfirst", String),
    column("body_html", String),
    column("authors", JSON),
    column("status", String),
    column("published_at", UTCDateTime),
    column("updated_at", UTCDateTime),
)

breve_tags = table(
    "breve_tags",
    column("breve_id", Integer),
    column("tag", String),
    column("key", String),
    column("position", Integer),
)

tags = table("tags", column("key", String), column("name", String))

sources = table(
    "sources",
    column("id", Integer),
    column("url", String),
    column("name", String),
    column("title", String),
)

items = table(
    "items",
    column("id", Integer),
    column("source_id", Integer),
    column("entry_id", String),
    column("link", String),
    column("title", String),
    column("authors", JSON),
    column("summary_html", String),
    column("content_html", String),
    column("categories", JSON),
    column("published_at", UTCDateTime),
    column("fetched_at", UTCDateTime),
    column("story_id", Integer),
)

ALL = (breves, breve_tags, tags, sources, items)
