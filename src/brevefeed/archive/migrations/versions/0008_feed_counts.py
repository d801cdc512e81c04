"""What the last document of a source held that ingest did not take as given: entries whose id
collided with a different article's (given their link or a hash instead), and links refused by
the URL rule (``javascript:``, ``data:``, malformed). Shown by `brevefeed sources list`.

Self-contained (no import of live code), so it upgrades any archive at 0007 as written.

Revision ID: 0008_feed_counts
Revises: 0007_search_titles
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_feed_counts"
down_revision = "0007_search_titles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A server default fills the rows already there: no source has been counted yet.
    op.add_column(
        "sources", sa.Column("id_collisions", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "sources", sa.Column("dropped_links", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    # In place (SQLite 3.35+ drops a column), not batch mode: batch mode copies and drops the
    # table, and with foreign keys on, dropping ``sources`` would take its items with it.
    op.drop_column("sources", "dropped_links")
    op.drop_column("sources", "id_collisions")
