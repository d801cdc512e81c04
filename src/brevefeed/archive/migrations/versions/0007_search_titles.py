"""SQLite: the title of every brève and item in an FTS5 table of its own (the title tier).

``search_breves_titles`` and ``search_items_titles`` (see ``brevefeed.archive.index``), filled
from the title column the main index already holds: stems, so nothing is analysed again and
no analysis code is needed here. PostgreSQL has had its ``title`` tsvector since 0004: nothing
to do there.

Downgrade drops the two tables, which loses nothing (they copy the main index).

Revision ID: 0007_search_titles
Revises: 0006_related
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0007_search_titles"
down_revision = "0006_related"
branch_labels = None
depends_on = None

#: Title table → the main index table it copies.
TITLE_TABLES = {
    "search_breves_titles": "search_breves",
    "search_items_titles": "search_items",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    for table, main in TITLE_TABLES.items():
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5(title,"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )
        op.execute(f"INSERT INTO {table} (rowid, title) SELECT rowid, title FROM {main}")
        op.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    for table in TITLE_TABLES:
        op.execute(f"DROP TABLE {table}")
