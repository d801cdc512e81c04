from __future__ import annotations

from brevefeed.archive import Archive
from brevefeed.related.candidates import (
    best_matches,
    best_matches_many,
    find_breves,
    find_breves_many,
    find_items,
)
from brevefeed.text import stems
from related_corpus import corpus, load_breves, load_items


def test_the_search_index_proposes_the_right_documents(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        breves = load_breves(session, data)
        items = load_items(session, data)
    with archive.session() as session:
        query = stems("signalements Pharos haineux")
        assert find_breves(session, query, 2)[0] == breves["signalements-pharos-hausse"]
        assert items["https://quotidien.example/tech/pharos-record"] in find_items(
            session, query, 3
        )
        assert find_breves(session, [], 5) == [] and best_matches(session, "item", query, 0) == []
        assert len(find_items(session, stems("forum"), 2)) == 2


def test_a_batch_of_queries_answers_as_each_query_alone(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        load_breves(session, data)
        load_items(session, data)
    queries = [
        stems("signalements Pharos haineux"),
        [],
        stems("forum"),
        stems("harcèlement scolaire collège plainte"),
        stems("mot absent partout"),
    ]
    with archive.session() as session:
        for kind in ("breve", "item"):
            for limit in (1, 3, 10):
                alone = [best_matches(session, kind, query, limit) for query in queries]
                assert best_matches_many(session, kind, queries, limit) == alone
        assert find_breves_many(session, queries, 2)[0] == find_breves(session, queries[0], 2)
        assert best_matches_many(session, "breve", queries, 0) == [[] for _ in queries]
