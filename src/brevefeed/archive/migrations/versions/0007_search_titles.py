"""SQLite: the title of every brève and item in an FTS5 table of its own (the title tier).

See ``brevefeed.archive.index``. Archives created since this revision have these tables from
0004; older ones get them here, filled from the title column the main index already holds
(stems, so nothing is analysed again). PostgreSQL has had its ``title`` tsvector from the start.

Revision ID: 0007_search_titles
Revises: 0006_related
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevefeed.archive.index import TITLE_TABLES

revision = "0007_search_titles"
down_revision = "0006_related"
branch_labels = None
depends_on = None

_MAIN = {"breve": "search_breves", "item": "search_items"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        return
    for kind, table in TITLE_TABLES.items():
        exists = bind.execute(
            sa.text("SELECT 1 FROM sqlite_master WHERE name = :name"), {"name": table}
        ).first()
        if exists:
            continue
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5(title,"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(f"INSERT INTO {table} (rowid, title) SELECT rowid, title FROM {_MAIN[kind]}")
        op.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")


def downgrade() -> None:
    # The tables stay: since this revision 0004 creates them too, and drops them.
    pass
