"""A brève is stamped when one of its linked items changes story.

A brève's « À lire aussi » shows one line per story of its linked items, so when story grouping
moves an item into another story (two stories found to be one), the brève's page and feed
entries change although none of its own rows did. Without a stamp, an incremental publish kept
the old lines while a publish from scratch showed the new ones.

Self-contained (its own SQL, no live code); stamps through the counter of 0011.

Revision ID: 0014_story_stamps
Revises: 0013_tags_schedule
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0014_story_stamps"
down_revision = "0013_tags_schedule"
branch_labels = None
depends_on = None

_LINKED_TO_ITEM = "id IN (SELECT breve_id FROM related_links WHERE item_id = NEW.id)"

SQLITE_TRIGGER = (
    "CREATE TRIGGER brevefeed_items_story AFTER UPDATE OF story_id ON items"
    " WHEN NEW.story_id IS NOT OLD.story_id BEGIN"
    " UPDATE change_counter SET value = value + 1 WHERE id = 1;"
    " UPDATE breves SET change_seq = (SELECT value FROM change_counter WHERE id = 1)"
    f" WHERE {_LINKED_TO_ITEM}; END"
)

PG_FUNCTION = f"""
    CREATE FUNCTION brevefeed_items_story() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE breves SET change_seq = brevefeed_next_stamp() WHERE {_LINKED_TO_ITEM};
        RETURN NULL;
    END $$"""

PG_TRIGGER = (
    "CREATE TRIGGER brevefeed_items_story AFTER UPDATE OF story_id ON items FOR EACH ROW"
    " WHEN (NEW.story_id IS DISTINCT FROM OLD.story_id)"
    " EXECUTE FUNCTION brevefeed_items_story()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER brevefeed_items_story ON items")
        op.execute("DROP FUNCTION brevefeed_items_story()")
    else:
        op.execute("DROP TRIGGER brevefeed_items_story")
