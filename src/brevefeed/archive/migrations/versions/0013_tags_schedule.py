"""One tag vocabulary, scheduled brèves, and where a brève's date came from.

- ``breve_tags.key``: the tag folded (case, accents, ligatures, runs of spaces), which is what
  identifies a tag: « Éducation », « education » and « ÉDUCATION » are one tag. ``tags`` holds
  each key's display name, the first spelling the archive met; a trigger adds it when a tag
  row brings a new key, so no writer can forget it.
- ``publish_state.published_until``: the instant publish last published up to. A brève dated
  in the future is scheduled; it becomes due with no write (so no change stamp), and publish
  finds it by its date between that instant and its own.
- ``breves.date_source``: where the publication date came from (front matter, a date line of
  a scraped page, the file name, the import), which `show` prints.

Self-contained: the folding is a frozen copy of what ``brevefeed.text.fold`` did the day this
shipped, so existing rows get the keys live code would give them then.

Revision ID: 0013_tags_schedule
Revises: 0012_search_titles_postgresql
Create Date: 2026-12-08
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0013_tags_schedule"
down_revision = "0012_search_titles_postgresql"
branch_labels = None
depends_on = None

_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O"}


def _key(tag: str) -> str:
    text = "".join(_LIGATURES.get(char, char) for char in tag)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


_SQLITE_TRIGGER = (
    "CREATE TRIGGER brevefeed_tags_name AFTER INSERT ON breve_tags BEGIN"
    " INSERT OR IGNORE INTO tags (key, name) VALUES (NEW.key, NEW.tag); END"
)
_PG_FUNCTION = """
    CREATE FUNCTION brevefeed_tags_name() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO tags (key, name) VALUES (NEW.key, NEW.tag) ON CONFLICT (key) DO NOTHING;
        RETURN NULL;
    END $$"""
_PG_TRIGGER = (
    "CREATE TRIGGER brevefeed_tags_name AFTER INSERT ON breve_tags"
    " FOR EACH ROW EXECUTE FUNCTION brevefeed_tags_name()"
)


@contextmanager
def _tag_triggers_off(bind: sa.Connection) -> Iterator[None]:
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("ALTER TABLE breve_tags DISABLE TRIGGER USER"))
        yield
        bind.execute(sa.text("ALTER TABLE breve_tags ENABLE TRIGGER USER"))
        return
    # SQLite cannot disable a trigger: each is dropped and made again from its own SQL.
    triggers = bind.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'breve_tags'"
        )
    ).all()
    for name, _sql in triggers:
        bind.execute(sa.text(f"DROP TRIGGER {name}"))
    yield
    for _name, sql in triggers:
        bind.execute(sa.text(sql))


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("breves", sa.Column("date_source", sa.Text(), nullable=True))
    op.add_column(
        "publish_state", sa.Column("published_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("breve_tags", sa.Column("key", sa.String(200), nullable=False, server_default=""))
    op.create_table(
        "tags",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_tags"),
    )
    rows = bind.execute(
        sa.text("SELECT breve_id, tag FROM breve_tags ORDER BY breve_id, position")
    ).all()
    names: dict[str, str] = {}
    keys = []
    for breve_id, tag in rows:
        key = _key(tag)
        names.setdefault(key, tag)
        keys.append({"key": key, "id": breve_id, "tag": tag})
    # Filling a derived column is no edit: 0009's triggers would stamp every tagged brève (a
    # full republish) and queue it for reindexing, so they are off meanwhile.
    with _tag_triggers_off(bind):
        if keys:
            bind.execute(
                sa.text("UPDATE breve_tags SET key = :key WHERE breve_id = :id AND tag = :tag"),
                keys,
            )
    if names:
        bind.execute(
            sa.text("INSERT INTO tags (key, name) VALUES (:key, :name)"),
            [{"key": k, "name": v} for k, v in names.items()],
        )
    op.create_index("ix_breve_tags_key", "breve_tags", ["key"])
    if bind.dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER brevefeed_tags_name ON breve_tags")
        op.execute("DROP FUNCTION brevefeed_tags_name()")
    else:
        op.execute("DROP TRIGGER brevefeed_tags_name")
    op.drop_index("ix_breve_tags_key", table_name="breve_tags")
    op.drop_table("tags")
    # In place (SQLite 3.35+), not batch mode: a batch copy of a parent table would cascade.
    op.drop_column("breve_tags", "key")
    op.drop_column("publish_state", "published_until")
    op.drop_column("breves", "date_source")
