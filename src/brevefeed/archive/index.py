"""The full-text search index, per backend, kept in step with the archive by the database.

What is indexed
    Every brève and every item becomes six normalized fields — title, standfirst (an item's
    summary), body (an item's content), tag (its tags or categories), author, source (the
    feed's name and title; empty for brèves). Each field is ``brevefeed.text.stems`` of its
    plain text joined by spaces: the one French normalization (elisions cut, accents and
    ligatures folded *before* the Snowball stemmer), also applied to every query word.

Why the backends receive stems, not text
    PostgreSQL's ``french_stem`` and FTS5 know nothing of our folding fix (-ée/-és), and
    ``french_stem`` runs on accented text, so « retrouvée » and « retrouves » would part ways
    there while meeting in Python. Feeding both engines the Python stems, and letting each
    engine's own analysis leave them intact, gives the same matches on both by construction:

    - SQLite: FTS5 tables ``search_breves`` / ``search_items`` (rowid = the record's id) with
      ``unicode61 remove_diacritics 2``, which on already folded, lower-case stems only splits
      at the same separators the Python tokenizer uses; and ``search_breves_titles`` /
      ``search_items_titles``, the title alone, for the title tier of relevance: a column
      filter on the main table reads the positions of every match of a word to find the few
      in a title (300,000 for a word in 30 % of a million items), where the title table's
      document list holds only those titles.
    - PostgreSQL: tables of the same names holding a weighted ``document`` tsvector (title A,
      standfirst B, tags C, body D) for plain words and ranking, and three small ones,
      ``title``, ``lead`` (title A, standfirst B) and ``fields`` (authors A, source B, tags C),
      for field searches and relevance tiers — a weight-restricted match rechecks every
      candidate row, cheap on a small vector, costly on a whole body. The title tier of plain
      words reads ``search_breves_titles`` / ``search_items_titles`` (the ``title`` vector
      again, alone): a row of the main table is about 1.7 KB, four to a page, so finding the
      newest titles holding a word there is a page read per row looked at, where a title row
      is a hundred bytes, seventy to a page. Each has a GIN index;
      all are built by the ``brevefeed_french`` text search configuration: the ``simple``
      dictionary (no stemming, no stop words) behind ``unaccent``. ``unaccent`` folds raw text
      the way ``fold`` does; on our stems it changes nothing, and ``simple`` keeps every stem
      as it is. The index rows reference their record with ON DELETE CASCADE.

Maintenance
    The database notes every record whose index row is stale in ``search_pending`` (triggers
    of migration 0009: a new, edited or deleted brève or item, a tag row for its brève, a
    renamed source for its items), whoever writes — ORM, plain ``update()``/``delete()``, a
    cascade. ``settle`` re-reads those records and rewrites their rows on the transaction's
    own connection, so the index commits or rolls back with the change (when it runs: see
    ``archive.changes``). A write made outside brevefeed is indexed by its next write, or by
    ``brevefeed search --reindex``.

These tables are not ORM models (FTS5 tables and tsvector columns have no common form on the
two backends): the schema comparison test leaves ``INDEX_TABLES`` out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import astuple, dataclass
from functools import lru_cache
from sys import intern
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text

from brevefeed.archive.models import Breve, BreveTag, Item, Source
from brevefeed.text import html_to_text, stems

INDEX_TABLES = ("search_breves", "search_items")
#: The title field of each record again, alone, for the title tier (see above).
TITLE_TABLES = {"breve": "search_breves_titles", "item": "search_items_titles"}
_ALL_TABLES = (*INDEX_TABLES, *TITLE_TABLES.values())
FTS_COLUMNS = ("title", "standfirst", "body", "tag", "author", "source")
#: bm25 weight per FTS5 column, in FTS_COLUMNS order: title > standfirst > tags > body.
SQLITE_WEIGHTS = (10.0, 4.0, 1.0, 2.0, 1.0, 1.0)
PG_CONFIG = "brevefeed_french"
BATCH = 1000
#: Filled by the database's triggers (migration 0009): the records whose index row is stale.
PENDING_TABLE = "search_pending"


def normalize(value: str) -> str:
    """``" ".join(stems(value))``, memoized per whitespace-separated chunk.

    Every step of ``stems`` (elision cut, fold, tokenizer, stemmer) is local to a run of
    non-space characters, so stemming chunk by chunk gives the same stems; real text repeats
    its chunks so much that the cache makes indexing several times faster.
    """
    # map/filter, not a generator: this runs for every word of every record indexed.
    return " ".join(filter(None, map(_chunk_stems, value.split())))


@lru_cache(maxsize=262_144)
def _chunk_stems(chunk: str) -> str:
    return " ".join(stems(chunk))


@dataclass(frozen=True)
class IndexDocument:
    """The normalized fields of one record, in ``FTS_COLUMNS`` order."""

    title: str
    standfirst: str
    body: str
    tag: str
    author: str
    source: str


def breve_document(
    title: str, standfirst: str, body_html: str, authors: Iterable[str], tags: Iterable[str]
) -> IndexDocument:
    # body_html, not the Markdown source: link targets and markup are not words of the text.
    return IndexDocument(
        title=normalize(title),
        standfirst=normalize(standfirst),
        body=normalize(html_to_text(body_html)),
        tag=normalize(" ; ".join(tags)),
        author=normalize(" ; ".join(authors)),
        source="",
    )


def item_document(
    title: str,
    summary_html: str,
    content_html: str,
    authors: Iterable[str],
    categories: Iterable[str],
    source_names: Iterable[str],
) -> IndexDocument:
    return IndexDocument(
        title=normalize(html_to_text(title)),
        standfirst=normalize(html_to_text(summary_html)),
        body=normalize(html_to_text(content_html)),
        tag=normalize(" ; ".join(categories)),
        author=normalize(" ; ".join(authors)),
        source=normalize(" ; ".join(name for name in source_names if name)),
    )


# Reading records back ---------------------------------------------------------------------

_breves = Breve.__table__
_tags = BreveTag.__table__
_items = Item.__table__
_sources = Source.__table__


def load_breves(connection: Connection, ids: list[int]) -> list[tuple[int, IndexDocument]]:
    rows = connection.execute(
        select(_breves.c.id, _breves.c.title, _breves.c.standfirst, _breves.c.body_html)
        .add_columns(_breves.c.authors)
        .where(_breves.c.id.in_(ids))
    ).all()
    tags: dict[int, list[str]] = {}
    for breve_id, tag in connection.execute(
        select(_tags.c.breve_id, _tags.c.tag)
        .where(_tags.c.breve_id.in_(ids))
        .order_by(_tags.c.breve_id, _tags.c.position)
    ):
        tags.setdefault(breve_id, []).append(tag)
    return [
        (
            row.id,
            breve_document(
                row.title, row.standfirst, row.body_html, row.authors or [], tags.get(row.id, [])
            ),
        )
        for row in rows
    ]


def load_items(connection: Connection, ids: list[int]) -> list[tuple[int, IndexDocument]]:
    rows = connection.execute(
        select(
            _items.c.id,
            _items.c.title,
            _items.c.summary_html,
            _items.c.content_html,
            _items.c.authors,
            _items.c.categories,
            _sources.c.name,
            _sources.c.title.label("source_title"),
        )
        .join(_sources, _sources.c.id == _items.c.source_id)
        .where(_items.c.id.in_(ids))
    ).all()
    return [
        (
            row.id,
            item_document(
                row.title,
                row.summary_html,
                row.content_html,
                row.authors or [],
                row.categories or [],
                _distinct(row.name, row.source_title),
            ),
        )
        for row in rows
    ]


def _distinct(*names: str) -> list[str]:
    seen: list[str] = []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return seen


# Reading index rows back -----------------------------------------------------------------

#: Stem counts of one indexed record's title, standfirst and body, in that order.
FieldCounts = tuple[Counter[str], Counter[str], Counter[str]]
# tsvector weight → position in FieldCounts (C, the tags, is not text).
_PG_FIELD = {"A": 0, "B": 1, "D": 2}


def stored_counts(connection: Connection, kind: str, ids: Iterable[int]) -> dict[int, FieldCounts]:
    """The stems the index holds for these records, counted per field (no text is re-stemmed).

    SQLite keeps each field's stems as text; PostgreSQL keeps them as lexemes whose positions
    carry the field's weight (a tsvector keeps at most 256 positions per lexeme, far more than
    a brève or an article repeats a word). Records without an index row are left out. Stems
    are interned: callers keep many of these counts, and the same stem is then one string.
    """
    wanted = sorted(set(ids))
    found: dict[int, FieldCounts] = {}
    if not wanted:
        return found
    table = _TABLE[kind]
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                f"SELECT s.{_PG_KEY[kind]}, u.lexeme, u.weights FROM {table} s,"
                f" unnest(s.document) u WHERE s.{_PG_KEY[kind]} = ANY(:ids)"
            ),
            {"ids": wanted},
        )
        for id_, lexeme, weights in rows:
            lexeme = intern(lexeme)
            fields = found.setdefault(id_, (Counter(), Counter(), Counter()))
            for weight in weights:
                if (slot := _PG_FIELD.get(weight)) is not None:
                    fields[slot][lexeme] += 1
        return found
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        rows = connection.execute(
            text(
                f"SELECT rowid, title, standfirst, body FROM {table} WHERE rowid IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": chunk},
        )
        for id_, title, standfirst, body in rows:
            found[id_] = (
                Counter(map(intern, title.split())),
                Counter(map(intern, standfirst.split())),
                Counter(map(intern, body.split())),
            )
    return found


# Writing index rows -----------------------------------------------------------------------

_TABLE = {"breve": "search_breves", "item": "search_items"}
_PG_KEY = {"breve": "breve_id", "item": "item_id"}
# ``||`` shifts the right vector's positions past the left's last one; a placeholder lexeme in
# between, deleted afterwards, leaves a gap so a phrase never runs from one field into the next.
_GAP = r"'§\:1'::tsvector"  # \: keeps text() from reading :1 as a parameter


def _pg_vector(parts: list[tuple[str, str]]) -> str:
    weighted = f" || {_GAP} || ".join(
        f"setweight(to_tsvector('{PG_CONFIG}', :{name}), '{weight}')" for name, weight in parts
    )
    return f"ts_delete({weighted}, '§')"


_PG_DOCUMENT = _pg_vector([("title", "A"), ("standfirst", "B"), ("tag", "C"), ("body", "D")])
_PG_LEAD = _pg_vector([("title", "A"), ("standfirst", "B")])
_PG_FIELDS = _pg_vector([("author", "A"), ("source", "B"), ("tag", "C")])


def delete_entries(connection: Connection, kind: str, ids: list[int]) -> None:
    if not ids:
        return
    rows = [{"id": id_} for id_ in ids]
    key = _PG_KEY[kind] if connection.dialect.name == "postgresql" else "rowid"
    for table in (_TABLE[kind], TITLE_TABLES[kind]):
        connection.execute(text(f"DELETE FROM {table} WHERE {key} = :id"), rows)


def insert_entries(
    connection: Connection, kind: str, docs: list[tuple[int, IndexDocument]]
) -> None:
    if not docs:
        return
    params = [
        dict(zip(("id", *FTS_COLUMNS), (id_, *astuple(doc)), strict=True)) for id_, doc in docs
    ]
    table = _TABLE[kind]
    if connection.dialect.name == "postgresql":
        key = _PG_KEY[kind]
        sql = (
            f"INSERT INTO {table} ({key}, document, title, lead, fields)"
            f" VALUES (:id, {_PG_DOCUMENT}, to_tsvector('{PG_CONFIG}', :title), {_PG_LEAD},"
            f" {_PG_FIELDS})"
        )
        title = f"to_tsvector('{PG_CONFIG}', :title)"
    else:
        key = "rowid"
        columns = ", ".join(FTS_COLUMNS)
        values = ", ".join(f":{column}" for column in FTS_COLUMNS)
        sql = f"INSERT INTO {table} (rowid, {columns}) VALUES (:id, {values})"
        title = ":title"
    titles = f"INSERT INTO {TITLE_TABLES[kind]} ({key}, title) VALUES (:id, {title})"
    connection.execute(text(titles), [{"id": p["id"], "title": p["title"]} for p in params])
    connection.execute(text(sql), params)


_LOADERS: dict[str, Callable[[Connection, list[int]], list[tuple[int, IndexDocument]]]] = {
    "breve": load_breves,
    "item": load_items,
}


def refresh(connection: Connection, kind: str, ids: Iterable[int | None]) -> None:
    """Make the index rows of these records match the database (absent records: no row)."""
    wanted = sorted({id_ for id_ in ids if id_ is not None})
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        delete_entries(connection, kind, chunk)
        insert_entries(connection, kind, _LOADERS[kind](connection, chunk))


def _id_batches(connection: Connection, table: Any, batch: int) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(
            connection.execute(
                select(table.c.id).where(table.c.id > last).order_by(table.c.id).limit(batch)
            ).scalars()
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def rebuild(
    connection: Connection,
    progress: Callable[[int, int], None] | None = None,
    *,
    batch: int = BATCH,
) -> int:
    """Empty the index and rebuild it from every brève and item; returns how many were indexed."""
    total = sum(
        connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in (_breves, _items)
    )
    for table in (*_ALL_TABLES, PENDING_TABLE):
        connection.execute(text(f"DELETE FROM {table}"))
    done = 0
    if progress:
        progress(done, total)
    for kind, records in (("breve", _breves), ("item", _items)):
        for ids in _id_batches(connection, records, batch):
            insert_entries(connection, kind, _LOADERS[kind](connection, ids))
            done += len(ids)
            if progress:
                progress(done, total)
    optimize(connection)
    return done


def optimize(connection: Connection) -> None:
    """After a bulk load: merge FTS5 segments (faster queries); on PostgreSQL, move the GIN
    indexes' pending lists into the indexes (every search reads a pending list through: a
    full one of 4 MB costs about 20 ms a query) and refresh the statistics."""
    for table in _ALL_TABLES:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "SELECT gin_clean_pending_list(indexrelid) FROM pg_index"
                    " WHERE indrelid = CAST(:table AS regclass)"
                    " AND indexrelid IN (SELECT c.oid FROM pg_class c JOIN pg_am a"
                    " ON a.oid = c.relam WHERE a.amname = 'gin')"
                ),
                {"table": table},
            )
            connection.execute(text(f"ANALYZE {table}"))
        else:
            connection.execute(text(f"INSERT INTO {table} ({table}) VALUES ('optimize')"))


# Keeping the index in step ----------------------------------------------------------------


def settle(connection: Connection) -> None:
    """Rewrite the index rows of every record the triggers noted since the last call.

    Run before a writing transaction commits and after each ORM flush (see
    ``archive.changes``), so the index commits with the change and a pass reading it in the
    same transaction (related linking) sees what it just wrote.
    """
    pending: dict[str, set[int]] = {"breve": set(), "item": set()}
    for kind, record_id in connection.execute(
        text(f"DELETE FROM {PENDING_TABLE} RETURNING kind, record_id")
    ):
        pending[kind].add(record_id)
    for kind, ids in pending.items():
        refresh(connection, kind, ids)
