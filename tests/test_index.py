"""The index follows every write made through the ORM, in the same transaction, on both
backends; --reindex rebuilds the same index from scratch."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

import drafts
from brevefeed.archive import Archive
from brevefeed.archive.breves import get_breve, retract
from brevefeed.archive.index import (
    TITLE_TABLES,
    breve_document,
    item_document,
    normalize,
    rebuild,
    stored_counts,
)
from brevefeed.archive.models import Breve, Item, Source
from brevefeed.authoring import BreveDraft
from brevefeed.search import SearchRequest, search
from brevefeed.text import html_to_text, stems
from search_corpus import NOW, corpus, load_corpus, refs


def _found(archive: Archive, query: str, **options: object) -> list[str]:
    with archive.session() as session:
        return [
            hit.id for hit in search(session.connection(), SearchRequest(query, **options)).hits
        ]  # type: ignore[arg-type]


def _titles_in_step(archive: Archive) -> None:
    """The title tables hold exactly the main tables' title column."""
    postgresql = archive.engine.dialect.name == "postgresql"
    with archive.engine.connect() as conn:
        for kind, titles in TITLE_TABLES.items():
            main = "search_breves" if kind == "breve" else "search_items"
            key = f"{kind}_id" if postgresql else "rowid"
            title = "title::text" if postgresql else "title"
            expected = conn.execute(text(f"SELECT {key}, {title} FROM {main} ORDER BY {key}"))
            found = conn.execute(text(f"SELECT {key}, {title} FROM {titles} ORDER BY {key}"))
            assert found.all() == expected.all()


def _count_rows(archive: Archive) -> int:
    with archive.engine.connect() as conn:
        return sum(
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("search_breves", "search_items")
        )


def test_breve_edit_retract_delete(archive: Archive) -> None:
    ids = load_corpus(archive)
    draft = BreveDraft(
        title="Le forum rouvert par la justice",
        slug="le-forum-ferme-par-la-justice",
        body="Le site répond de nouveau.",
        tags=("justice",),
        published=datetime(2021, 6, 1, 8, 0, tzinfo=UTC),
    )
    with archive.session() as session:
        result = drafts.save(session, draft, now=NOW, host="breves.example.org")
    assert result.change == "updated" and result.uid == ids["b-forum"]
    assert ids["b-forum"] in _found(archive, "rouvert")
    assert ids["b-forum"] not in _found(archive, "hébergeur")  # the old body left the index
    assert ids["b-forum"] not in _found(archive, "tag:modération")  # so did the removed tag

    with archive.session() as session:
        retract(session, ids["b-forum"], reason="erreur", editor="test", now=NOW)
    assert _found(archive, "rouvert") == []
    assert _found(archive, "rouvert", include_retracted=True) == [ids["b-forum"]]
    _titles_in_step(archive)

    with archive.session() as session:
        session.delete(get_breve(session, ids["b-forum"]))
    assert _found(archive, "rouvert", include_retracted=True) == []
    _titles_in_step(archive)


def test_items_insert_edit_delete_and_source_rename(archive: Archive) -> None:
    ids = load_corpus(archive)
    with archive.session() as session:
        item = session.scalars(select(Item).where(Item.entry_id == ids["i-bar"])).one()
        item.title = "Un concert au port"
        item.fetched_at = NOW  # bookkeeping alone would not reindex; the title does
    assert _found(archive, "title:concert") == [ids["i-bar"]]
    assert _found(archive, "title:bar") == []
    _titles_in_step(archive)

    with archive.session() as session:
        source = session.scalars(select(Source).where(Source.name == "Radio Côte d’Opale")).one()
        source.name = "Ondes du Littoral"
        source.title = "Ondes du Littoral"
    assert set(_found(archive, "source:littoral")) == {ids["i-darmanin"], ids["i-pedo"]}
    assert _found(archive, "source:opale") == []

    with archive.session() as session:
        session.delete(session.scalars(select(Item).where(Item.entry_id == ids["i-bar"])).one())
    assert _found(archive, "concert") == []
    _titles_in_step(archive)


# Source.items has no ORM delete cascade: detaching the items leaves them to the database's
# ON DELETE CASCADE, which SQLAlchemy warns about; that is the path this test covers.
@pytest.mark.filterwarnings("ignore:Object of type <Item> not in session")
def test_deleting_a_source_drops_its_items_from_the_index(archive: Archive) -> None:
    ids = load_corpus(archive)
    before = _count_rows(archive)
    with archive.session() as session:
        source = session.scalars(select(Source).where(Source.name == "Quotidien du Nord")).one()
        for item in list(source.items):
            session.expunge(item)  # leave the items to ON DELETE CASCADE, as a bulk purge would
        session.delete(source)
    assert _count_rows(archive) == before - 3
    assert refs(ids, _found(archive, "agression")) == {"b-agressions"}
    _titles_in_step(archive)


def test_a_rolled_back_write_leaves_the_index_alone(archive: Archive) -> None:
    load_corpus(archive)
    before = _count_rows(archive)
    with pytest.raises(RuntimeError), archive.session() as session:
        source = session.scalars(select(Source)).first()
        session.add(
            Item(source=source, entry_id="urn:x", title="Licorne", fetched_at=NOW, content_hash="x")
        )
        session.flush()
        raise RuntimeError("abandon")
    assert _count_rows(archive) == before
    assert _found(archive, "licorne") == []
    _titles_in_step(archive)


def test_rebuild_gives_the_same_answers(archive: Archive) -> None:
    load_corpus(archive)
    queries = ["agression", "forum OR bar", "tag:justice", "source:radio", '"forum fermé"']
    before = {query: _found(archive, query) for query in queries}
    with archive.engine.begin() as conn:
        conn.execute(text("DELETE FROM search_items"))
    assert _found(archive, "source:radio") == []
    seen: list[tuple[int, int]] = []
    with archive.engine.begin() as conn:
        assert rebuild(conn, lambda done, total: seen.append((done, total)), batch=2) == 10
    assert seen[-1] == (10, 10) and len(seen) > 3
    assert {query: _found(archive, query) for query in queries} == before
    _titles_in_step(archive)


def test_documents_hold_normalized_fields() -> None:
    doc = breve_document(
        "L’Œuvre retrouvée", "Chapô", "<p>Corps <em>gras</em></p>", ["Léo"], ["santé", "été"]
    )
    assert doc.title == "oeuvr retrouv"
    assert doc.body == "corp gras"
    assert doc.tag == "sant ete"
    assert doc.source == ""
    item = item_document("T", "<p>Résumé</p>", "", [], [], ["Radio Côte", "Radio Côte"])
    assert item.standfirst == "resum" and item.source == "radio cot radio cot"


def test_normalize_is_exactly_the_text_package() -> None:
    data = corpus()
    samples = [
        value for record in data["breves"] for value in record.values() if isinstance(value, str)
    ]
    samples += ["qu’il l'hébergeur  23.051\u00a0fois\tæquo", "a\u0301b ﬁn _x_ l’ arbre"]
    for sample in samples:
        assert normalize(sample) == " ".join(stems(sample))


def test_postgres_configuration_folds_with_unaccent(archive: Archive) -> None:
    if archive.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's text search configuration")
    with archive.engine.connect() as conn:
        vector = conn.execute(
            text("SELECT to_tsvector('brevefeed_french', 'Œuvre ÉLÈVE retrouv')::text")
        ).scalar_one()
    # unaccent folds raw text like brevefeed.text.fold; simple keeps stems as they are.
    assert vector == "'eleve':2 'oeuvre':1 'retrouv':3"


def test_stored_counts_are_the_stems_of_each_field(archive: Archive) -> None:
    load_corpus(archive)
    with archive.session() as session:
        breves = list(session.scalars(select(Breve)))
        items = list(session.scalars(select(Item)))
        stored_breves = stored_counts(session.connection(), "breve", [b.id for b in breves])
        stored_items = stored_counts(session.connection(), "item", [i.id for i in items])
        assert stored_counts(session.connection(), "breve", []) == {}
        assert stored_counts(session.connection(), "breve", [10**9]) == {}
    postgres = archive.engine.dialect.name == "postgresql"

    def counts(text: str) -> Counter[str]:
        found = Counter(stems(text))
        if postgres:  # its parser splits a decimal comma (« 1,5 » → 1, 5); nothing else
            for stem in [s for s in found if "," in s]:
                for part in stem.split(","):
                    found[part] += found[stem]
                del found[stem]
        return found

    assert len(stored_breves) == len(breves) and len(stored_items) == len(items)
    for breve in breves:
        fields = (breve.title, breve.standfirst, html_to_text(breve.body_html))
        assert stored_breves[breve.id] == tuple(counts(f) for f in fields), breve.slug
    for item in items:
        fields = (item.title, item.summary_html, item.content_html)
        assert stored_items[item.id] == tuple(counts(html_to_text(f)) for f in fields)
