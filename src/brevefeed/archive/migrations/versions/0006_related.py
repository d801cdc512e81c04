"""Related stories: links between brèves and items, and the story each item belongs to.

Revision ID: 0006_related
Revises: 0005_publish
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_related"
down_revision = "0005_publish"
branch_labels = None
depends_on = None

# Column types as ``brevefeed.archive.types`` rendered them when this revision shipped, frozen
# here: a migration never reads live code, so later edits to the models cannot rewrite history.
#: Timestamp with time zone; on SQLite, naive UTC text.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("canonical_link", sa.String(2048), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("title_key", sa.String(1024), nullable=False, server_default=""))
        batch.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_items_story_id_items", "items", ["story_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_items_canonical_link", ["canonical_link"])
        batch.create_index("ix_items_title_key", ["title_key"])
        batch.create_index("ix_items_story_id", ["story_id"])
    op.create_table(
        "related_links",
        sa.Column("breve_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("method IN ('auto', 'manual')", name="ck_related_links_method"),
        sa.CheckConstraint("state IN ('linked', 'rejected')", name="ck_related_links_state"),
        sa.ForeignKeyConstraint(
            ["breve_id"],
            ["breves.id"],
            name="fk_related_links_breve_id_breves",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name="fk_related_links_item_id_items", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("breve_id", "item_id", name="pk_related_links"),
    )
    op.create_index("ix_related_links_item_id", "related_links", ["item_id"])
    op.create_table(
        "term_stats",
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name="pk_term_stats"),
    )


def downgrade() -> None:
    op.drop_table("term_stats")
    op.drop_index("ix_related_links_item_id", table_name="related_links")
    op.drop_table("related_links")
    with op.batch_alter_table("items") as batch:
        batch.drop_index("ix_items_story_id")
        batch.drop_index("ix_items_title_key")
        batch.drop_index("ix_items_canonical_link")
        batch.drop_constraint("fk_items_story_id_items", type_="foreignkey")
        batch.drop_column("story_id")
        batch.drop_column("title_key")
        batch.drop_column("canonical_link")
