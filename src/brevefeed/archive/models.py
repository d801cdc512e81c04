"""The archive's tables, as SQLAlchemy 2.x typed ORM classes.

The schema itself is owned by the Alembic migrations in ``migrations/versions``; these classes
must match them (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Imported for its side effect: whoever writes through the models gets the session hooks that
# bring the search index up to date with what the database's triggers noted, before each
# write commits (see ``archive.changes``).
from brevefeed.archive import changes as _changes  # noqa: F401
from brevefeed.archive.tables import STATUSES, outlet_name
from brevefeed.archive.types import UTCDateTime

#: JSON on SQLite, JSONB on PostgreSQL (indexable, compact).
JSONList = JSON().with_variant(JSONB(), "postgresql")

# Named constraints so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Breve(Base):
    __tablename__ = "breves"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        # `list` reads newest first, optionally by status: both walk an index, never the table.
        Index("ix_breves_published_at_id", "published_at", "id"),
        Index("ix_breves_status_published_at", "status", "published_at"),
        # publish reads only what changed since its last run, and section feeds by section.
        Index("ix_breves_change_seq", "change_seq"),
        Index("ix_breves_section_published_at", "section", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The permanent id, a tag: URI minted once from site host + date + slug.
    uid: Mapped[str] = mapped_column(String(512), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text)
    section: Mapped[str] = mapped_column(Text, default="")
    standfirst: Mapped[str] = mapped_column(Text, default="")
    #: Markdown source, exactly as written.
    body: Mapped[str] = mapped_column(Text)
    #: ``body`` rendered and sanitized; derived, never edited by hand.
    body_html: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSONList, default=list)
    #: URLs of the external sources the brève cites.
    sources: Mapped[list[str]] = mapped_column(JSONList, default=list)
    language: Mapped[str] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Moves only when title, standfirst, body or tags change.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retraction_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The file this brève was imported from, so another file cannot take its slug by accident.
    origin: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Where ``published_at`` came from: "front matter", "date line" (a scraped page's
    #: « Publié le … »), "file name" (its 2024-05-21- prefix), "import" (--date or the time of
    #: import); None for brèves saved before it was recorded.
    date_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Raised by the database on every mutation (see ``archive.changes``), so publish can find
    #: what changed.
    change_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    tag_rows: Mapped[list[BreveTag]] = relationship(
        back_populates="breve",
        cascade="all, delete-orphan",
        order_by="BreveTag.position",
        lazy="selectin",
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="breve",
        cascade="all, delete-orphan",
        order_by="Revision.number",
    )

    @property
    def tags(self) -> list[str]:
        """The tags' display names (each tag's first spelling in the archive)."""
        return [row.name for row in self.tag_rows]

    @property
    def written_tags(self) -> list[str]:
        """The tags as this brève's author spelled them (what its revisions record)."""
        return [row.tag for row in self.tag_rows]


class Tag(Base):
    """One tag of the vocabulary: its folded key and the first spelling met, its display name.

    Rows are added by the database when a ``breve_tags`` row brings a new key (migration
    0011), so every writer keeps the vocabulary whole.
    """

    __tablename__ = "tags"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class BreveTag(Base):
    __tablename__ = "breve_tags"

    breve_id: Mapped[int] = mapped_column(
        ForeignKey("breves.id", ondelete="CASCADE"), primary_key=True
    )
    #: As the author wrote it.
    tag: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    #: ``brevefeed.text.tag_key(tag)``: what identifies the tag, whatever its spelling.
    key: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)
    #: Tags keep the order the author gave them.
    position: Mapped[int] = mapped_column(Integer)

    breve: Mapped[Breve] = relationship(back_populates="tag_rows")
    #: No foreign key: the database adds the ``tags`` row after this one, by trigger.
    label: Mapped[Tag | None] = relationship(
        primaryjoin="foreign(BreveTag.key) == Tag.key", lazy="joined", viewonly=True
    )

    @property
    def name(self) -> str:
        return self.label.name if self.label is not None else self.tag


class Revision(Base):
    """A previous version of a brève: who changed it, when, which fields, and what it was."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("breve_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    breve_id: Mapped[int] = mapped_column(ForeignKey("breves.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    editor: Mapped[str] = mapped_column(Text)
    #: Names of the fields this edit changed.
    changed: Mapped[list[str]] = mapped_column(JSONList)
    #: The brève's fields before this edit (see ``archive.breves.snapshot``).
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONList)

    breve: Mapped[Breve] = relationship(back_populates="revisions")


#: Where a source was declared: config.toml, the command line, or config.toml formerly (no
#: longer listed there: kept with its items, never fetched).
SOURCE_ORIGINS = ("config", "cli", "dropped")


class Source(Base):
    """An external feed the newsroom follows, with its fetch state (see ``ingest.schedule``)."""

    __tablename__ = "sources"
    __table_args__ = (
        CheckConstraint(f"origin IN {SOURCE_ORIGINS}", name="origin"),
        # Claiming due sources walks this index, not the table.
        Index("ix_sources_next_fetch_at", "next_fetch_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The feed URL as fetched (after permanent redirects are confirmed).
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    #: The name the newsroom gave it (config or `sources add --name`).
    name: Mapped[str] = mapped_column(Text, default="")
    #: Title and site link as the feed itself declares them.
    title: Mapped[str] = mapped_column(Text, default="")
    site_link: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # -- declared by the newsroom (config.toml or `sources add`)
    origin: Mapped[str] = mapped_column(String(16), default="cli", server_default="cli")
    #: The URL as declared; ``url`` moves on confirmed permanent redirects, this never does,
    #: so a config.toml entry still finds its source.
    declared_url: Mapped[str] = mapped_column(String(2048), default="", server_default="")
    keywords: Mapped[list[str]] = mapped_column(JSONList, default=list, server_default=text("'[]'"))
    exclude: Mapped[list[str]] = mapped_column(JSONList, default=list, server_default=text("'[]'"))
    #: Minutes between fetches; None means [ingest] interval.
    interval: Mapped[int | None] = mapped_column(Integer, nullable=True)

    # -- fetch state
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The last attempt, whatever its outcome, and its HTTP status (None: no response).
    last_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: None: due at once (a new source).
    next_fetch_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: HTTP 410: never fetched again until `sources enable`.
    gone: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: A 429/503 Retry-After: not even --all fetches before this time.
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: A 301/308 target seen once; the URL moves when the next fetch sees it again.
    pending_redirect: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: SHA-256 of the last body parsed: the same bytes again (a server without ETag or
    #: Last-Modified) cost no parsing, like a 304.
    body_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: In the last document parsed: entries given their link (or a hash) as id because a
    #: different article had used theirs first, and links refused by the URL rule.
    id_collisions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    dropped_links: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # -- which worker holds it (see ``ingest.claim``); expired leases are taken over
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    items: Mapped[list[Item]] = relationship(back_populates="source")

    @property
    def outlet(self) -> str:
        return outlet_name(self.name, self.title, self.url)


class Item(Base):
    """One entry of an external feed, kept for good; one row per (source, entry id)."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("source_id", "entry_id"),
        Index("ix_items_published_at_id", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    #: The entry's id in its feed: guid, else link, else a hash of title and date.
    entry_id: Mapped[str] = mapped_column(String(2048))
    link: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSONList, default=list)
    #: Sanitized HTML.
    summary_html: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[str]] = mapped_column(JSONList, default=list)
    #: UTC; None when the feed gave no date or one that could not be parsed (see raw_date).
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The feed's own date string, kept when it could not be parsed.
    raw_date: Mapped[str | None] = mapped_column(Text, nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Hash of the entry's content, to tell an edited entry from an unchanged one.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The link with tracking parameters, scheme and www. stripped (related.canonical).
    canonical_link: Mapped[str] = mapped_column(String(2048), default="", index=True)
    #: Folded title words, to find the same story told by another outlet.
    title_key: Mapped[str] = mapped_column(String(1024), default="", index=True)
    #: The first item of the story this one belongs to (itself when it starts a story).
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL"), nullable=True, index=True
    )

    source: Mapped[Source] = relationship(back_populates="items")


class PublishedBreve(Base):
    """Where publish last put a brève: its archive page (kept for good) and its feeds."""

    __tablename__ = "published_breves"

    breve_id: Mapped[int] = mapped_column(
        ForeignKey("breves.id", ondelete="CASCADE"), primary_key=True
    )
    #: The RFC 5005 archive page, assigned once when the brève is first published.
    page: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    #: Feed folders ("" main, "tags/<slug>", "sections/<slug>") it is in, or left a tombstone in.
    feeds: Mapped[list[str]] = mapped_column(JSONList)
    #: True while the brève is retracted and its RFC 6721 tombstone is still shown.
    tombstone: Mapped[bool] = mapped_column(default=False, index=True)
    #: Its web page's folder name (``breves/<slug>/``), fixed at first publication: a later
    #: title or slug change never moves a page people link to.
    slug: Mapped[str | None] = mapped_column(String(220), nullable=True, unique=True, index=True)


class PublishState(Base):
    """One row: how far publish has read the change stream, and with which settings."""

    __tablename__ = "publish_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The highest ``breves.change_seq`` already published.
    last_seq: Mapped[int] = mapped_column(Integer)
    #: The run's clock: brèves dated up to here are published. One dated after it was
    #: scheduled, and the first run past its date publishes it (it has no new stamp).
    published_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Hash of the settings the documents were built with; a change rebuilds everything.
    settings: Mapped[str] = mapped_column(String(64))


class ChangeCounter(Base):
    """One row: the last change stamp given (see ``archive.changes``). Triggers raise it; it
    never goes down, so deleting the brève with the highest stamp cannot make a stamp be
    given twice."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class PublishedFolder(Base):
    """The spellings behind one tag or section feed ("Santé", "santé" → ``tags/sante``), so
    building it needs no scan of every tag in the archive."""

    __tablename__ = "published_folders"

    folder: Mapped[str] = mapped_column(String(300), primary_key=True)
    names: Mapped[list[str]] = mapped_column(JSONList)


class RelatedLink(Base):
    """An external item attached to a brève, by the automatic pass or by an editor.

    A manual decision (``method = "manual"``), linked or rejected, is never overwritten by a
    later automatic pass; a rejected pair stays here so the pass does not bring it back.
    """

    __tablename__ = "related_links"
    __table_args__ = (
        CheckConstraint("method IN ('auto', 'manual')", name="method"),
        CheckConstraint("state IN ('linked', 'rejected')", name="state"),
    )

    breve_id: Mapped[int] = mapped_column(
        ForeignKey("breves.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    score: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    item: Mapped[Item] = relationship()


class TermStat(Base):
    """In how many scored documents (brèves and items) each French stem appears.

    The related-stories scorer weighs a shared word by its rarity across the archive; keeping
    the counts here makes that a primary-key lookup instead of a count over the whole index.
    The row with the empty term holds the number of documents counted.
    """

    __tablename__ = "term_stats"

    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    documents: Mapped[int] = mapped_column(Integer)
