"""Publishing state: a change stamp on brèves, archive-page placements, feed-folder names,
the publisher's mark.

Revision ID: 0005_publish
Revises: 0004_search
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_publish"
down_revision = "0004_search"
branch_labels = None
depends_on = None

# Column types as ``brevefeed.archive.types`` rendered them when this revision shipped, frozen
# here: a migration never reads live code, so later edits to the models cannot rewrite history.
#: JSON; JSONB on PostgreSQL.
JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("breves") as batch:
        batch.add_column(sa.Column("change_seq", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_breves_change_seq", "breves", ["change_seq"])
    op.create_index("ix_breves_section_published_at", "breves", ["section", "published_at"])
    op.create_table(
        "published_breves",
        sa.Column("breve_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("feeds", JSON_LIST, nullable=False),
        sa.Column("tombstone", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["breve_id"],
            ["breves.id"],
            name="fk_published_breves_breve_id_breves",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("breve_id", name="pk_published_breves"),
    )
    op.create_index("ix_published_breves_page", "published_breves", ["page"])
    op.create_index("ix_published_breves_tombstone", "published_breves", ["tombstone"])
    op.create_table(
        "published_folders",
        sa.Column("folder", sa.String(300), nullable=False),
        sa.Column("names", JSON_LIST, nullable=False),
        sa.PrimaryKeyConstraint("folder", name="pk_published_folders"),
    )
    op.create_table(
        "publish_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("settings", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_publish_state"),
    )


def downgrade() -> None:
    op.drop_table("publish_state")
    op.drop_table("published_folders")
    op.drop_index("ix_published_breves_tombstone", table_name="published_breves")
    op.drop_index("ix_published_breves_page", table_name="published_breves")
    op.drop_table("published_breves")
    op.drop_index("ix_breves_section_published_at", table_name="breves")
    op.drop_index("ix_breves_change_seq", table_name="breves")
    with op.batch_alter_table("breves") as batch:
        batch.drop_column("change_seq")
