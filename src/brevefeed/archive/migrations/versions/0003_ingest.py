"""Fetch state of sources: conditional GET, schedule, backoff, redirects, leases.

Revision ID: 0003_ingest
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_ingest"
down_revision = "0002"
branch_labels = None
depends_on = None

# Column types as ``brevefeed.archive.types`` rendered them when this revision shipped, frozen
# here: a migration never reads live code, so later edits to the models cannot rewrite history.
#: JSON; JSONB on PostgreSQL.
JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: Timestamp with time zone; on SQLite, naive UTC text.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # batch mode: SQLite cannot add a CHECK constraint to an existing table otherwise.
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="cli"))
        batch.add_column(
            sa.Column("declared_url", sa.String(2048), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("keywords", JSON_LIST, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("exclude", JSON_LIST, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("interval", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("etag", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_modified", sa.Text(), nullable=True))
        batch.add_column(sa.Column("last_fetch_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("last_status", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_success_at", UTC_DATETIME, nullable=True))
        batch.add_column(
            sa.Column("consecutive_errors", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("next_fetch_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("gone", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("retry_after", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("pending_redirect", sa.Text(), nullable=True))
        batch.add_column(sa.Column("body_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", UTC_DATETIME, nullable=True))
        batch.create_check_constraint("ck_sources_origin", "origin IN ('config', 'cli', 'dropped')")
        batch.create_index("ix_sources_next_fetch_at", ["next_fetch_at"])
    # Sources added before this migration were declared as they are fetched.
    op.execute("UPDATE sources SET declared_url = url")


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_index("ix_sources_next_fetch_at")
        batch.drop_constraint("ck_sources_origin", type_="check")
        for column in (
            "lease_expires_at",
            "lease_owner",
            "body_hash",
            "pending_redirect",
            "retry_after",
            "gone",
            "next_fetch_at",
            "last_error",
            "consecutive_errors",
            "last_success_at",
            "last_status",
            "last_fetch_at",
            "last_modified",
            "etag",
            "interval",
            "exclude",
            "keywords",
            "declared_url",
            "origin",
        ):
            batch.drop_column(column)
