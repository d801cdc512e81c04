from __future__ import annotations

import json
from pathlib import Path

import pytest

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.breves import get_breve
from brevefeed.archive.exchange import export_lines, restore_line
from brevefeed.config import RelatedConfig
from brevefeed.errors import InputError
from brevefeed.related.links import decide, find_item, related_items
from brevefeed.related.run import rebuild
from related_corpus import NOW, corpus, load_breves, load_items


def test_links_and_manual_decisions_round_trip(archive: Archive, tmp_path: Path) -> None:
    data = corpus()
    with archive.session() as session:
        load_breves(session, data)
        load_items(session, data)
    rebuild(archive, RelatedConfig(), now=NOW)
    with archive.session() as session:
        breve = get_breve(session, "forum-rencontres-ferme")
        decide(session, breve, find_item(session, data["items"][0]["link"]), linked=False, now=NOW)
    with archive.session() as session:
        lines = list(export_lines(session))
    links = [json.loads(line) for line in lines if '"kind":"link"' in line]
    assert {(r["method"], r["state"]) for r in links} == {
        ("auto", "linked"),
        ("manual", "rejected"),
    }
    target = open_archive(f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    try:
        with target.session() as session:
            assert {restore_line(session, line) for line in lines} == {"created"}
            assert list(export_lines(session)) == lines
            assert {restore_line(session, line) for line in lines} == {"unchanged"}
            shown = [
                r.link for r in related_items(session, get_breve(session, "forum-rencontres-ferme"))
            ]
            assert "https://quotidien.example/tech/fin-de-partie-tchat" in shown
            assert data["items"][0]["link"] not in shown
    finally:
        target.close()


def test_a_link_to_nothing_is_refused(archive: Archive) -> None:
    record = {
        "kind": "link", "breve": "tag:x", "source": "https://s.example/", "item": "i",
        "score": 0.5, "method": "auto", "state": "linked", "created": "2024-01-01T00:00:00+00:00",
    }  # fmt: skip
    with archive.session() as session, pytest.raises(InputError, match="unknown records"):
        restore_line(session, json.dumps(record))
    with archive.session() as session, pytest.raises(InputError, match="unknown key 'x'"):
        restore_line(session, json.dumps(record | {"x": 1}))
