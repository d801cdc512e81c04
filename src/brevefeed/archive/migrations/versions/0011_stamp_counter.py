"""Change stamps come from a one-row counter, never from ``max(change_seq) + 1``.

0009 stamped each change with the archive's highest stamp plus one. Once a brève can be
deleted (`brevefeed delete`, for a draft or an import mistake), deleting the one holding the
highest stamp lowers that maximum, and the next edit would be given a stamp a publish run has
already read past: the edit would never reach the feeds. A counter only goes up, whatever is
deleted; it starts above every stamp and every stamp publish has recorded.

The triggers of 0009 that stamp are redefined (SQLite) or their stamp function replaced
(PostgreSQL, still under the same advisory lock, so stamps stay visible in increasing order).
The downgrade puts 0009's definitions back and drops the counter.

Self-contained (its own SQL, no live code).

Revision ID: 0011_stamp_counter
Revises: 0010_page_slugs
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0011_stamp_counter"
down_revision = "0010_page_slugs"
branch_labels = None
depends_on = None

#: The advisory lock 0009 stamps under ("bstp").
PG_STAMP_LOCK = 0x62737470


def _max_stamp(where: str) -> str:
    """0009's stamp, for the downgrade."""
    return (
        "UPDATE breves SET change_seq = (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM breves)"
        f" WHERE {where};"
    )


def _counter_stamp(where: str) -> str:
    return (
        "UPDATE change_counter SET value = value + 1 WHERE id = 1;"
        f" UPDATE breves SET change_seq = (SELECT value FROM change_counter WHERE id = 1)"
        f" WHERE {where};"
    )


def _pending(kind: str, id_: str) -> str:
    return f"INSERT INTO search_pending (kind, record_id) VALUES ('{kind}', {id_});"


_LINKED_TO_ITEM = "id IN (SELECT breve_id FROM related_links WHERE item_id = NEW.id)"
_LINKED_TO_SOURCE = (
    "id IN (SELECT l.breve_id FROM related_links l JOIN items i ON i.id = l.item_id"
    " WHERE i.source_id = NEW.id)"
)


def _sqlite_triggers(stamp: Callable[[str], str]) -> dict[str, tuple[str, str]]:
    """0009's triggers that stamp a brève (name → timing and event, body), with ``stamp``."""
    return {
        "brevefeed_breves_insert": (
            "AFTER INSERT ON breves",
            stamp("id = NEW.id") + _pending("breve", "NEW.id"),
        ),
        "brevefeed_breves_stamp": (
            "AFTER UPDATE ON breves WHEN NEW.change_seq IS OLD.change_seq",
            stamp("id = NEW.id"),
        ),
        **{
            f"brevefeed_breve_tags_{event.lower()}": (
                f"AFTER {event} ON breve_tags",
                stamp(f"id = {row}.breve_id") + _pending("breve", f"{row}.breve_id"),
            )
            for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
        },
        **{
            f"brevefeed_related_links_{event.lower()}": (
                f"AFTER {event} ON related_links",
                stamp(f"id = {row}.breve_id"),
            )
            for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
        },
        "brevefeed_items_shown": (
            "AFTER UPDATE OF title, link ON items"
            " WHEN NEW.title IS NOT OLD.title OR NEW.link IS NOT OLD.link",
            stamp(_LINKED_TO_ITEM),
        ),
        "brevefeed_sources_renamed": (
            "AFTER UPDATE OF name, title ON sources"
            " WHEN NEW.name IS NOT OLD.name OR NEW.title IS NOT OLD.title",
            "INSERT INTO search_pending (kind, record_id)"
            " SELECT 'item', id FROM items WHERE source_id = NEW.id;" + stamp(_LINKED_TO_SOURCE),
        ),
    }


def _pg_next_stamp(body: str) -> str:
    return f"""
        CREATE OR REPLACE FUNCTION brevefeed_next_stamp() RETURNS integer LANGUAGE plpgsql AS $$
        DECLARE
            stamp integer;
        BEGIN
            PERFORM pg_advisory_xact_lock({PG_STAMP_LOCK});
            {body}
            RETURN stamp;
        END $$"""


PG_COUNTER = "UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO stamp;"
PG_MAX = "stamp := (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM breves);"


def _replace_sqlite_triggers(stamp: Callable[[str], str]) -> None:
    for name, (when, body) in _sqlite_triggers(stamp).items():
        op.execute(f"DROP TRIGGER {name}")
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_change_counter"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    greatest = "GREATEST" if postgres else "MAX"
    # Above every stamp given and every stamp a publish run has read up to.
    op.execute(
        "INSERT INTO change_counter (id, value) SELECT 1, "
        f"{greatest}((SELECT COALESCE(MAX(change_seq), 0) FROM breves),"
        " (SELECT COALESCE(MAX(last_seq), 0) FROM publish_state))"
    )
    if postgres:
        op.execute(_pg_next_stamp(PG_COUNTER))
    else:
        _replace_sqlite_triggers(_counter_stamp)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_pg_next_stamp(PG_MAX))
    else:
        _replace_sqlite_triggers(_max_stamp)
    op.drop_table("change_counter")
