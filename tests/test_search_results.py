from __future__ import annotations

import json
from pathlib import Path

from brevefeed.search.query import Term, parse_query
from brevefeed.search.results import Matcher, matcher_for, plain, snippet, spans, with_markers


def test_matcher_takes_positive_text_terms_only() -> None:
    matcher = matcher_for(parse_query('agression "site web" pedocriminel* -forum author:martin'))
    assert matcher == Matcher(frozenset({"agress"}), ("pedocriminel",), (Term(("sit", "web")),))


def test_a_phrase_is_marked_where_it_occurs_and_only_there() -> None:
    """Its words elsewhere are not marked, nor its stop words anywhere; the passage shown is
    the one holding the phrase (the phrase's words alone came first)."""
    matcher = matcher_for(parse_query('"fermeture du forum"'))
    filler = " ".join(["remplissage"] * 40)
    text = (
        f"Le forum du quartier et sa fermeture du soir. {filler} La justice a ordonné la"
        " fermeture d’un forum de rencontres."
    )
    result = with_markers(snippet(text, matcher, width=120))
    assert "[fermeture d’un forum]" in result
    assert result.count("[") == 1
    assert "quartier" not in result


def test_a_prefix_marks_the_words_it_begins() -> None:
    matcher = matcher_for(parse_query("agressio*"))
    text = "Une agression, deux agressions."
    assert [text[s:e] for s, e in spans(text, matcher)] == ["agression", "agressions"]


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
    assert snippet("", matcher_for(parse_query("e")), width=200) == []
    assert (
        plain(snippet("Un  texte\ncourt", matcher_for(parse_query("e")), width=200))
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
        '"site web"',
        "oeuvre coeur",
        "strasse",
        "pedocriminalite retrouvee",
        "23.051",
        "forum",
    ]
    for query in queries:
        matcher = matcher_for(parse_query(query))
        for text in texts:
            assert spans(text, matcher) == _every_word(text, matcher), (query, text)
    assert matcher_for(parse_query("gouvernement")).starts is not None
    assert matcher_for(parse_query("oeuvre")).starts is None  # « œ » in a text is one letter
    assert matcher_for(parse_query("vu")).starts is None  # too short to tell
