"""Each published brève's web page folder (``breves/<slug>/``), recorded at first publication
so that a later title or slug change never moves the page.

Brèves placed by earlier runs take their current slug: their pages do not exist yet, so the
slug they have now is the one they are first published under.

Self-contained (no import of live code), so it upgrades any archive at 0009 as written.

Revision ID: 0010_page_slugs
Revises: 0009_archive_triggers
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_page_slugs"
down_revision = "0009_archive_triggers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("published_breves", sa.Column("slug", sa.String(220), nullable=True))
    op.execute(
        "UPDATE published_breves SET slug ="
        " (SELECT breves.slug FROM breves WHERE breves.id = published_breves.breve_id)"
    )
    op.create_index("ix_published_breves_slug", "published_breves", ["slug"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_published_breves_slug", table_name="published_breves")
    # In place (SQLite 3.35+ drops a column), not batch mode: see 0008.
    op.drop_column("published_breves", "slug")
