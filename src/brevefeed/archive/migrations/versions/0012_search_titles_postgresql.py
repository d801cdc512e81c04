"""PostgreSQL: the title of every brève and item in a table of its own (the title tier).

``search_breves_titles`` (``breve_id``, ``title``) and ``search_items_titles`` (``item_id``,
``title``), each with a GIN index on its tsvector, as SQLite has had since 0007 (see
``brevefeed.archive.index``). The title tier of relevance asks for the newest few titles
holding a word; in ``search_items`` each row is about 1.7 KB (four to a page), so reading
matches by id order or visiting each match is a page read per row, where a title row is some
hundred bytes, seventy to a page. Filled from the ``title`` vector the main index already holds:
nothing is analysed again, no analysis code is needed here.

And every GIN index of the search tables gets a ``gin_pending_list_limit`` of 256 kB (the
server's default is 4 MB), its pending list emptied now: new rows wait in that unordered list
until a vacuum or the limit moves them into the index, and every search reads the whole list
(about 20 ms a query for a full 4 MB list, on each index it uses). SQLite: nothing to do.

Downgrade drops the two tables, which loses nothing (they copy the main index).

Revision ID: 0012_search_titles_postgresql
Revises: 0011_stamp_counter
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_search_titles_postgresql"
down_revision = "0011_stamp_counter"
branch_labels = None
depends_on = None

#: Title table → (its key, the record table, the main index table it copies).
TITLE_TABLES = {
    "search_breves_titles": ("breve_id", "breves", "search_breves"),
    "search_items_titles": ("item_id", "items", "search_items"),
}


#: kB: a flush into the index every 256 kB of new entries, a search reading at most that.
PENDING_LIST_LIMIT = 256
MAIN_TABLES = ("search_breves", "search_items")
_GIN_INDEXES = (
    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_am a ON a.oid = c.relam"
    " WHERE a.amname = 'gin' AND i.indrelid = CAST(:table AS regclass)"
)


def _gin_indexes(bind: sa.Connection, table: str) -> list[str]:
    return list(bind.execute(sa.text(_GIN_INDEXES), {"table": table}).scalars())


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, (key, parent, main) in TITLE_TABLES.items():
        op.execute(
            f"CREATE TABLE {table} ("
            f" {key} integer PRIMARY KEY REFERENCES {parent} (id) ON DELETE CASCADE,"
            " title tsvector NOT NULL)"
        )
        op.execute(f"INSERT INTO {table} ({key}, title) SELECT {key}, title FROM {main}")
        op.execute(f"CREATE INDEX ix_{table}_title ON {table} USING gin (title)")
        op.execute(f"ANALYZE {table}")
    for table in (*MAIN_TABLES, *TITLE_TABLES):
        for index in _gin_indexes(bind, table):
            op.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = {PENDING_LIST_LIMIT})")
            op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in TITLE_TABLES:
        op.execute(f"DROP TABLE {table}")
    for table in MAIN_TABLES:
        for index in _gin_indexes(bind, table):
            op.execute(f"ALTER INDEX {index} RESET (gin_pending_list_limit)")
