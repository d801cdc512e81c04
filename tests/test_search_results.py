from __future__ import annotations

import json
from pathlib import Path

from brevefeed.search.query import parse_query
from brevefeed.search.results import Matcher, matcher_for, plain, snippet, spans, with_markers


def test_matcher_takes_positive_text_terms_only() -> None:
    matcher = matcher_for(parse_query('agression "site de" darman* -forum author:martin'))
    assert matcher == Matcher(frozenset({"agress", "sit", "de"}), ("darman",))


def test_highlight_marks_original_forms() -> None:
    matcher = matcher_for(parse_query("agression homophobe darmani*"))
    text = "Les Agressions homophobes : Gérald Darmanin réagit à l’agression."
    assert with_markers(snippet(text, matcher, width=200)) == (
        "Les [Agressions] [homophobes] : Gérald [Darmanin] réagit à l’[agression]."
    )


def test_ligatures_and_accents_are_matched_in_the_original() -> None:
    matcher = matcher_for(parse_query("oeuvre retrouvee"))
    text = "Les Œuvres retrouvés hier"
    assert [text[s:e] for s, e in spans(text, matcher)] == ["Œuvres", "retrouvés"]


def test_passage_is_cut_around_the_densest_matches() -> None:
    filler = " ".join(["remplissage"] * 60)
    text = f"Début {filler} un forum fermé ici {filler} forum seul à la fin"
    result = with_markers(snippet(text, matcher_for(parse_query("forum fermé")), width=80))
    assert result.startswith("…") and result.endswith("…")
    assert "[forum] [fermé] ici" in result
    assert len(plain(snippet(text, matcher_for(parse_query("forum")), width=80))) <= 84


def test_no_match_shows_the_beginning() -> None:
    text = "Premier mot. " + "suite " * 100
    segments = snippet(text, matcher_for(parse_query("absent")), width=40)
    assert plain(segments).startswith("Premier mot.") and plain(segments).endswith("…")
    assert not any(marked for _part, marked in segments)


def test_short_text_is_whole() -> None:
    assert snippet("", matcher_for(parse_query("a")), width=200) == []
    assert (
        plain(snippet("Un  texte\ncourt", matcher_for(parse_query("a")), width=200))
        == "Un texte court"
    )


def _every_word(text: str, matcher: Matcher) -> list[tuple[int, int]]:
    """The reference: every word of the text put to the matcher."""
    return spans(text, Matcher(matcher.stems, matcher.prefixes))


def test_only_words_that_may_match_are_stemmed_and_the_spans_are_the_same() -> None:
    data = json.loads((Path(__file__).parent / "fixtures" / "search_corpus.json").read_text())
    texts = [str(v) for record in data["breves"] + data["items"] for v in record.values()]
    texts += [
        "ÉCOLE, école, Écoles et ECOLES ; l’École d’été, qu’écoliers",
        "Le GOUVERNEMENT, gouvernements, Gouvernance (23.051 voix, 1,5 %).",
        "Une e\u0301cole (accent décomposé), snake_case_ecole, ecole_x",
        "Œuvres, oeuvre, cœur ; Straße et strasse ; ｅｃｏｌｅ pleine chasse",
        "Школа école σχολείο",
    ]
    queries = [
        "école",
        "gouvernement",
        "agression homophobe",
        "darman*",
        '"site de rencontres"',
        "oeuvre coeur",
        "strasse",
        "pedocriminalite retrouvee",
        "23.051",
        "le forum",
    ]
    for query in queries:
        matcher = matcher_for(parse_query(query))
        for text in texts:
            assert spans(text, matcher) == _every_word(text, matcher), (query, text)
    assert matcher_for(parse_query("gouvernement")).starts is not None
    assert matcher_for(parse_query("oeuvre")).starts is None  # « œ » in a text is one letter
    assert matcher_for(parse_query("le forum")).starts is None  # too short to tell
