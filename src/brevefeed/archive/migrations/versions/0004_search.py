"""The full-text search index (see ``brevefeed.archive.index`` for its design).

SQLite: two FTS5 tables, and the two title tables beside them (since 0007; created here too,
because ``rebuild`` below writes them). PostgreSQL: the ``unaccent`` extension, the
``brevefeed_french`` text search configuration (unaccent, then the simple dictionary: it
receives stems already made by ``brevefeed.text``), and two tables of weighted tsvectors with
GIN indexes. Existing brèves and items are indexed on the way up.

Revision ID: 0004_search
Revises: 0003_ingest
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from brevefeed.archive.index import FTS_COLUMNS, PG_CONFIG, TITLE_TABLES, rebuild

revision = "0004_search"
down_revision = "0003_ingest"
branch_labels = None
depends_on = None

# Every token type of the default parser except blanks (stems are words and numbers).
_TOKEN_TYPES = (
    "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part,"
    " hword_numpart, email, protocol, url, host, url_path, file, sfloat, float, int, uint,"
    " version, tag, entity"
)


def _unaccent_schema(bind: sa.Connection) -> str:
    """Where ``unaccent`` lives, installing it (in public) when the database lacks it.

    An extension exists once per database; installing it into a per-schema search path (as
    tests do) would tie it to a schema that may be dropped, so it goes to ``public``.
    """
    found = bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'unaccent'"
        )
    ).scalar_one_or_none()
    if found is None:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"))
        found = "public"
    return str(found)


def _upgrade_postgresql(bind: sa.Connection) -> None:
    schema = _unaccent_schema(bind)
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = pg_catalog.simple)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} ALTER MAPPING FOR {_TOKEN_TYPES}"
        f' WITH "{schema}".unaccent, pg_catalog.simple'
    )
    for table, key, parent in (
        ("search_breves", "breve_id", "breves"),
        ("search_items", "item_id", "items"),
    ):
        op.execute(
            f"CREATE TABLE {table} ("
            f" {key} integer PRIMARY KEY REFERENCES {parent} (id) ON DELETE CASCADE,"
            " document tsvector NOT NULL,"
            " title tsvector NOT NULL,"
            " lead tsvector NOT NULL,"
            " fields tsvector NOT NULL)"
        )
        for column in ("document", "title", "lead", "fields"):
            op.execute(f"CREATE INDEX ix_{table}_{column} ON {table} USING gin ({column})")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _upgrade_postgresql(bind)
    else:
        columns = ", ".join(FTS_COLUMNS)
        for table in ("search_breves", "search_items"):
            op.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5({columns},"
                " tokenize = 'unicode61 remove_diacritics 2')"
            )
        for table in TITLE_TABLES.values():
            op.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5(title,"
                " tokenize = 'unicode61 remove_diacritics 2')"
            )
    rebuild(bind)


def downgrade() -> None:
    for table in TITLE_TABLES.values():
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP TABLE search_items")
    op.execute("DROP TABLE search_breves")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {PG_CONFIG}")
