"""The full-text search index, created and filled with the brèves and items already there.

SQLite: two FTS5 tables, ``search_breves`` and ``search_items`` (rowid = the record's id), one
column per field. PostgreSQL: the ``unaccent`` extension, the ``brevefeed_french`` text search
configuration (unaccent, then the simple dictionary: it receives stems already made in
Python), and two tables of weighted tsvectors with GIN indexes. ``brevefeed.archive.index``
explains the design and keeps the index in step afterwards.

Existing records are indexed on the way up by the code below: a frozen copy of the analysis
(``brevefeed.text``: elisions, folding, tokens, Snowball stems) and of the index rows
(``brevefeed.archive.index``: fields, tsvector weights) as they were when this revision
shipped. It must never follow the live code, nor be edited: an archive upgraded from 0003 today
gets the index every archive got at 0004, and later revisions take it from there. A change to
the analysis that needs existing rows indexed again comes with a revision of its own (carrying
its own copy), never with an edit here.

Downgrade drops the tables and the configuration, which loses nothing (the index is made from
the archive's rows); ``unaccent`` stays, as an extension belongs to the whole database.

Revision ID: 0004_search
Revises: 0003_ingest
Create Date: 2026-11-28
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

import sqlalchemy as sa
import Stemmer
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_search"
down_revision = "0003_ingest"
branch_labels = None
depends_on = None

TABLES = {"breve": "search_breves", "item": "search_items"}
PG_KEYS = {"breve": "breve_id", "item": "item_id"}
FTS_COLUMNS = ("title", "standfirst", "body", "tag", "author", "source")
PG_CONFIG = "brevefeed_french"
BATCH = 1000
JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

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


def _create_postgresql(bind: sa.Connection) -> None:
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


def _create_sqlite() -> None:
    columns = ", ".join(FTS_COLUMNS)
    for table in TABLES.values():
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5({columns},"
            " tokenize = 'unicode61 remove_diacritics 2')"
        )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _create_postgresql(bind)
    else:
        _create_sqlite()
    _fill(bind)


def downgrade() -> None:
    for table in reversed(TABLES.values()):
        op.execute(f"DROP TABLE {table}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TEXT SEARCH CONFIGURATION {PG_CONFIG}")


# The analysis as it was (brevefeed.text) ----------------------------------------------------

# NFKD leaves these letters whole; French uses œ and æ in ordinary words.
_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O"}


def _strip(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", _LIGATURES.get(char, char))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_FOLD_TABLE = str.maketrans(
    {chr(cp): _strip(chr(cp)) for cp in range(0xA0, 0x250) if _strip(chr(cp)) != chr(cp)}
)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_TOKEN = re.compile(r"\w+(?:(?<=\d)[.,](?=\d)\w+)*", re.UNICODE)
_APOSTROPHES = "'’ʼ‘`´"
_ELISION = re.compile(
    rf"\b(?:[ldjmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)[{_APOSTROPHES}](?=\w)",
    re.IGNORECASE | re.UNICODE,
)
_STEMMER = Stemmer.Stemmer("french")


def _fold(text: str) -> str:
    folded = text.translate(_FOLD_TABLE)
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    return folded.casefold()


def _stem(word: str) -> str:
    # Snowball strips -ée/-és only when the accent is there: one final « e » goes too.
    stemmed: str = _STEMMER.stemWord(word)
    return stemmed[:-1] if len(stemmed) > 3 and stemmed.endswith("e") else stemmed


def _chunk_stems(chunk: str) -> str:
    words = _TOKEN.findall(_fold(_ELISION.sub("", chunk)).replace("_", " "))
    return " ".join(_stem(word) for word in words)


_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4"
    " h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
_SKIPPED = re.compile(r"<(script|style|template)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<!--.*?-->|<!?/?([A-Za-z][A-Za-z0-9]*)?[^>]*>", re.DOTALL)
_SPACES = re.compile(r"\s+")


def _tag(match: re.Match[str]) -> str:
    name = match.group(1)
    return " " if name and name.lower() in _BLOCKS else ""


def _html_to_text(markup: str) -> str:
    if "<" in markup:
        markup = _TAG.sub(_tag, _SKIPPED.sub(" ", markup))
    if "&" in markup:
        markup = html.unescape(markup)
    return _SPACES.sub(" ", markup).strip()


# The index rows as they were (brevefeed.archive.index) --------------------------------------

Fields = tuple[str, str, str, str, str, str]  # in FTS_COLUMNS order


def _breve_rows(
    bind: sa.Connection, ids: list[int], normalize: Callable[[str], str]
) -> Iterator[tuple[int, Fields]]:
    tags: dict[int, list[str]] = {}
    for breve_id, tag in bind.execute(
        sa.text(
            "SELECT breve_id, tag FROM breve_tags WHERE breve_id IN :ids"
            " ORDER BY breve_id, position"
        ).bindparams(sa.bindparam("ids", expanding=True)),
        {"ids": ids},
    ):
        tags.setdefault(breve_id, []).append(tag)
    rows = bind.execute(
        sa.text("SELECT id, title, standfirst, body_html, authors FROM breves WHERE id IN :ids")
        .bindparams(sa.bindparam("ids", expanding=True))
        .columns(authors=JSON_LIST),
        {"ids": ids},
    )
    for id_, title, standfirst, body_html, authors in rows:
        # body_html, not the Markdown source: link targets and markup are not words.
        fields = (
            normalize(title),
            normalize(standfirst),
            normalize(_html_to_text(body_html)),
            normalize(" ; ".join(tags.get(id_, []))),
            normalize(" ; ".join(authors or [])),
            "",
        )
        yield id_, fields


def _item_rows(
    bind: sa.Connection, ids: list[int], normalize: Callable[[str], str]
) -> Iterator[tuple[int, Fields]]:
    rows = bind.execute(
        sa.text(
            "SELECT i.id, i.title, i.summary_html, i.content_html, i.authors, i.categories,"
            " s.name, s.title FROM items i JOIN sources s ON s.id = i.source_id"
            " WHERE i.id IN :ids"
        )
        .bindparams(sa.bindparam("ids", expanding=True))
        .columns(authors=JSON_LIST, categories=JSON_LIST),
        {"ids": ids},
    )
    for id_, title, summary, content, authors, categories, name, source_title in rows:
        outlets = [name] if name else []
        if source_title and source_title != name:
            outlets.append(source_title)
        fields = (
            normalize(_html_to_text(title)),
            normalize(_html_to_text(summary)),
            normalize(_html_to_text(content)),
            normalize(" ; ".join(categories or [])),
            normalize(" ; ".join(authors or [])),
            normalize(" ; ".join(outlets)),
        )
        yield id_, fields


# ``||`` shifts the right vector's positions past the left's last one; a placeholder lexeme in
# between, deleted afterwards, leaves a gap so a phrase never runs from one field into the next.
_GAP = r"'§\:1'::tsvector"  # \: keeps text() from reading :1 as a parameter


def _pg_vector(parts: Sequence[tuple[str, str]]) -> str:
    weighted = f" || {_GAP} || ".join(
        f"setweight(to_tsvector('{PG_CONFIG}', :{name}), '{weight}')" for name, weight in parts
    )
    return f"ts_delete({weighted}, '§')"


def _insert_sql(kind: str, dialect: str) -> str:
    table = TABLES[kind]
    if dialect == "postgresql":
        document = _pg_vector([("title", "A"), ("standfirst", "B"), ("tag", "C"), ("body", "D")])
        lead = _pg_vector([("title", "A"), ("standfirst", "B")])
        fields = _pg_vector([("author", "A"), ("source", "B"), ("tag", "C")])
        return (
            f"INSERT INTO {table} ({PG_KEYS[kind]}, document, title, lead, fields)"
            f" VALUES (:id, {document}, to_tsvector('{PG_CONFIG}', :title), {lead}, {fields})"
        )
    columns = ", ".join(FTS_COLUMNS)
    values = ", ".join(f":{column}" for column in FTS_COLUMNS)
    return f"INSERT INTO {table} (rowid, {columns}) VALUES (:id, {values})"


def _id_batches(bind: sa.Connection, table: str) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(
            bind.execute(
                sa.text(f"SELECT id FROM {table} WHERE id > :last ORDER BY id LIMIT :batch"),
                {"last": last, "batch": BATCH},
            ).scalars()
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _fill(bind: sa.Connection) -> None:
    # Real text repeats its whitespace-separated chunks so much that stemming each once makes
    # indexing several times faster; every analysis step is local to a chunk.
    chunk_stems = lru_cache(maxsize=262_144)(_chunk_stems)

    def normalize(value: str) -> str:
        return " ".join(stemmed for chunk in value.split() if (stemmed := chunk_stems(chunk)))

    dialect = bind.dialect.name
    for kind, table, rows in (("breve", "breves", _breve_rows), ("item", "items", _item_rows)):
        sql = sa.text(_insert_sql(kind, dialect))
        for ids in _id_batches(bind, table):
            params = [
                dict(zip(("id", *FTS_COLUMNS), (id_, *fields), strict=True))
                for id_, fields in rows(bind, ids, normalize)
            ]
            bind.execute(sql, params)
    # After a bulk load: merge FTS5 segments; give PostgreSQL's planner statistics.
    for table in TABLES.values():
        if dialect == "postgresql":
            op.execute(f"ANALYZE {table}")
        else:
            op.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
