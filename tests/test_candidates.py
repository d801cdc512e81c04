from __future__ import annotations

from brevefeed.archive import Archive
from brevefeed.related.candidates import best_matches, find_breves, find_items
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
