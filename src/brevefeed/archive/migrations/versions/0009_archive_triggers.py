"""The database keeps publish's change stamps and the search index's to-do list itself.

Until now ORM session events did both, and a plain ``UPDATE``/``DELETE`` (or a cascade) went
unseen. From here triggers, on SQLite and PostgreSQL alike:

- raise ``breves.change_seq`` to ``max + 1`` when a brève is inserted or updated, when one of
  its tags or related links is inserted, updated or deleted (cascades included), and when the
  title or link of a related item, or the name or title of its outlet, changes (« À lire
  aussi » shows them);
- note in ``search_pending`` every brève and item whose index row must be written again: a
  new, edited or deleted record, a tag, an item whose outlet was renamed. The stems come from
  Python (``brevefeed.text``), so brevefeed rewrites those rows before its transaction commits
  (``brevefeed.archive.index.settle``).

On PostgreSQL stamps are taken under a transaction-level advisory lock, taken by a statement
trigger before any row of ``breves``, ``breve_tags`` or ``related_links`` is locked: writers
then stamp one after the other, so a stamp never becomes visible below one already seen.

Self-contained (its own SQL, no live code). Downgrade drops what this adds.

Revision ID: 0009_archive_triggers
Revises: 0008_feed_counts
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0009_archive_triggers"
down_revision = "0008_feed_counts"
branch_labels = None
depends_on = None

#: Arbitrary constant naming the stamp lock among PostgreSQL advisory locks ("bstp").
PG_STAMP_LOCK = 0x62737470

_SQLITE_STAMP = "(SELECT COALESCE(MAX(change_seq), 0) + 1 FROM breves)"


def _sqlite_stamp(where: str) -> str:
    return f"UPDATE breves SET change_seq = {_SQLITE_STAMP} WHERE {where};"


def _sqlite_pending(kind: str, id_: str) -> str:
    return f"INSERT INTO search_pending (kind, record_id) VALUES ('{kind}', {id_});"


_LINKED_TO_ITEM = "id IN (SELECT breve_id FROM related_links WHERE item_id = NEW.id)"
_LINKED_TO_SOURCE = (
    "id IN (SELECT l.breve_id FROM related_links l JOIN items i ON i.id = l.item_id"
    " WHERE i.source_id = NEW.id)"
)

#: name → (timing and event, body).
SQLITE_TRIGGERS = {
    "brevefeed_breves_insert": (
        "AFTER INSERT ON breves",
        _sqlite_stamp("id = NEW.id") + _sqlite_pending("breve", "NEW.id"),
    ),
    # The stamp itself is an update: one that moved it is not stamped again.
    "brevefeed_breves_stamp": (
        "AFTER UPDATE ON breves WHEN NEW.change_seq IS OLD.change_seq",
        _sqlite_stamp("id = NEW.id"),
    ),
    "brevefeed_breves_index": (
        "AFTER UPDATE OF title, standfirst, body_html, authors ON breves",
        _sqlite_pending("breve", "NEW.id"),
    ),
    "brevefeed_breves_delete": ("AFTER DELETE ON breves", _sqlite_pending("breve", "OLD.id")),
    **{
        f"brevefeed_breve_tags_{event.lower()}": (
            f"AFTER {event} ON breve_tags",
            _sqlite_stamp(f"id = {row}.breve_id") + _sqlite_pending("breve", f"{row}.breve_id"),
        )
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    },
    **{
        f"brevefeed_related_links_{event.lower()}": (
            f"AFTER {event} ON related_links",
            _sqlite_stamp(f"id = {row}.breve_id"),
        )
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    },
    "brevefeed_items_insert": ("AFTER INSERT ON items", _sqlite_pending("item", "NEW.id")),
    "brevefeed_items_index": (
        "AFTER UPDATE OF title, summary_html, content_html, authors, categories, source_id"
        " ON items",
        _sqlite_pending("item", "NEW.id"),
    ),
    "brevefeed_items_shown": (
        "AFTER UPDATE OF title, link ON items"
        " WHEN NEW.title IS NOT OLD.title OR NEW.link IS NOT OLD.link",
        _sqlite_stamp(_LINKED_TO_ITEM),
    ),
    "brevefeed_items_delete": ("AFTER DELETE ON items", _sqlite_pending("item", "OLD.id")),
    "brevefeed_sources_renamed": (
        "AFTER UPDATE OF name, title ON sources"
        " WHEN NEW.name IS NOT OLD.name OR NEW.title IS NOT OLD.title",
        "INSERT INTO search_pending (kind, record_id)"
        " SELECT 'item', id FROM items WHERE source_id = NEW.id;"
        + _sqlite_stamp(_LINKED_TO_SOURCE),
    ),
}

PG_FUNCTIONS = {
    "brevefeed_lock_stamps": f"""
        CREATE FUNCTION brevefeed_lock_stamps() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({PG_STAMP_LOCK});
            RETURN NULL;
        END $$""",
    "brevefeed_next_stamp": f"""
        CREATE FUNCTION brevefeed_next_stamp() RETURNS integer LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({PG_STAMP_LOCK});
            RETURN (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM breves);
        END $$""",
    "brevefeed_breves_row": """
        CREATE FUNCTION brevefeed_breves_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO search_pending (kind, record_id) VALUES ('breve', OLD.id);
                RETURN OLD;
            END IF;
            -- The stamp itself is an update: one that moved it is not stamped again.
            IF TG_OP = 'INSERT' OR NEW.change_seq IS NOT DISTINCT FROM OLD.change_seq THEN
                NEW.change_seq := brevefeed_next_stamp();
            END IF;
            IF TG_OP = 'INSERT' OR (NEW.title, NEW.standfirst, NEW.body_html, NEW.authors)
                    IS DISTINCT FROM (OLD.title, OLD.standfirst, OLD.body_html, OLD.authors) THEN
                INSERT INTO search_pending (kind, record_id) VALUES ('breve', NEW.id);
            END IF;
            RETURN NEW;
        END $$""",
    # For breve_tags and related_links: the row's brève is stamped (and, for a tag, reindexed).
    "brevefeed_child_row": """
        CREATE FUNCTION brevefeed_child_row() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            breve integer := CASE TG_OP WHEN 'DELETE' THEN OLD.breve_id ELSE NEW.breve_id END;
        BEGIN
            UPDATE breves SET change_seq = brevefeed_next_stamp() WHERE id = breve;
            IF TG_TABLE_NAME = 'breve_tags' THEN
                INSERT INTO search_pending (kind, record_id) VALUES ('breve', breve);
            END IF;
            RETURN NULL;
        END $$""",
    "brevefeed_items_row": """
        CREATE FUNCTION brevefeed_items_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                INSERT INTO search_pending (kind, record_id) VALUES ('item', OLD.id);
                RETURN NULL;
            END IF;
            IF TG_OP = 'INSERT' OR (NEW.title, NEW.summary_html, NEW.content_html, NEW.authors,
                    NEW.categories, NEW.source_id) IS DISTINCT FROM (OLD.title, OLD.summary_html,
                    OLD.content_html, OLD.authors, OLD.categories, OLD.source_id) THEN
                INSERT INTO search_pending (kind, record_id) VALUES ('item', NEW.id);
            END IF;
            IF TG_OP = 'UPDATE' AND (NEW.title, NEW.link) IS DISTINCT FROM (OLD.title, OLD.link)
            THEN
                UPDATE breves SET change_seq = brevefeed_next_stamp()
                WHERE id IN (SELECT breve_id FROM related_links WHERE item_id = NEW.id);
            END IF;
            RETURN NULL;
        END $$""",
    "brevefeed_sources_row": """
        CREATE FUNCTION brevefeed_sources_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO search_pending (kind, record_id)
                SELECT 'item', id FROM items WHERE source_id = NEW.id;
            UPDATE breves SET change_seq = brevefeed_next_stamp()
            WHERE id IN (SELECT l.breve_id FROM related_links l
                         JOIN items i ON i.id = l.item_id WHERE i.source_id = NEW.id);
            RETURN NULL;
        END $$""",
}

#: name → (table, timing and event, function).
PG_TRIGGERS = {
    **{
        f"brevefeed_{table}_lock": (
            table,
            "BEFORE INSERT OR UPDATE OR DELETE ON {table} FOR EACH STATEMENT",
            "brevefeed_lock_stamps",
        )
        for table in ("breves", "breve_tags", "related_links")
    },
    "brevefeed_breves": (
        "breves",
        "BEFORE INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW",
        "brevefeed_breves_row",
    ),
    **{
        f"brevefeed_{table}": (
            table,
            "AFTER INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW",
            function,
        )
        for table, function in (
            ("breve_tags", "brevefeed_child_row"),
            ("related_links", "brevefeed_child_row"),
            ("items", "brevefeed_items_row"),
        )
    },
    "brevefeed_sources": (
        "sources",
        "AFTER UPDATE OF name, title ON {table} FOR EACH ROW WHEN"
        " ((NEW.name, NEW.title) IS DISTINCT FROM (OLD.name, OLD.title))",
        "brevefeed_sources_row",
    ),
}


def upgrade() -> None:
    op.execute("CREATE TABLE search_pending (kind VARCHAR(8) NOT NULL, record_id INTEGER NOT NULL)")
    if op.get_bind().dialect.name == "postgresql":
        for sql in PG_FUNCTIONS.values():
            op.execute(sql)
        for name, (table, when, function) in PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when.format(table=table)} EXECUTE FUNCTION {function}()"
            )
        return
    for name, (when, body) in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, _when, _function) in PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
        for name in reversed(PG_FUNCTIONS):
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE search_pending")
