"""Brèves, their tags and their revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
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
        "breves",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.String(512), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("standfirst", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("authors", JSON_LIST, nullable=False),
        sa.Column("sources", JSON_LIST, nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("retracted_at", UTC_DATETIME, nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("origin", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'retracted')", name="ck_breves_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_breves"),
        sa.UniqueConstraint("uid", name="uq_breves_uid"),
        sa.UniqueConstraint("slug", name="uq_breves_slug"),
    )
    op.create_index("ix_breves_published_at_id", "breves", ["published_at", "id"])
    op.create_index("ix_breves_status_published_at", "breves", ["status", "published_at"])
    op.create_table(
        "breve_tags",
        sa.Column("breve_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["breve_id"], ["breves.id"], name="fk_breve_tags_breve_id_breves", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("breve_id", "tag", name="pk_breve_tags"),
    )
    op.create_index("ix_breve_tags_tag", "breve_tags", ["tag"])
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("breve_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.Column("editor", sa.Text(), nullable=False),
        sa.Column("changed", JSON_LIST, nullable=False),
        sa.Column("snapshot", JSON_LIST, nullable=False),
        sa.ForeignKeyConstraint(
            ["breve_id"], ["breves.id"], name="fk_revisions_breve_id_breves", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_revisions"),
        sa.UniqueConstraint("breve_id", "number", name="uq_revisions_breve_id_number"),
    )


def downgrade() -> None:
    op.drop_table("revisions")
    op.drop_index("ix_breve_tags_tag", table_name="breve_tags")
    op.drop_table("breve_tags")
    op.drop_index("ix_breves_status_published_at", table_name="breves")
    op.drop_index("ix_breves_published_at_id", table_name="breves")
    op.drop_table("breves")
