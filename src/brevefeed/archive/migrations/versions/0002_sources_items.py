"""External feed sources and the items fetched from them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Column types as ``brevefeed.archive.types`` rendered them when this revision shipped, frozen
# here: a migration never reads live code, so later edits to the models cannot rewrite history.
#: JSON; JSONB on PostgreSQL.
JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: Timestamp with time zone; on SQLite, naive UTC text.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("site_link", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("url", name="uq_sources_url"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(2048), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("authors", JSON_LIST, nullable=False),
        sa.Column("summary_html", sa.Text(), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("categories", JSON_LIST, nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.Column("raw_date", sa.Text(), nullable=True),
        sa.Column("fetched_at", UTC_DATETIME, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_items_source_id_sources", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        sa.UniqueConstraint("source_id", "entry_id", name="uq_items_source_id_entry_id"),
    )
    op.create_index("ix_items_published_at_id", "items", ["published_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_items_published_at_id", table_name="items")
    op.drop_table("items")
    op.drop_table("sources")
