from __future__ import annotations

from brevefeed.search.query import parse_query
from brevefeed.search.results import Matcher, matcher_for, plain, snippet, spans, with_markers


def test_matcher_takes_positive_text_terms_only() -> None:
    matcher = matcher_for(parse_query('agression "site de" darman* -forum author:martin'))
    assert matcher == Matcher(frozenset({"agress", "sit", "de"}), ("darman",))


def test_highlight_marks_original_forms() -> None:
    matcher = matcher_for(parse_query("agression homophobe darmani*"))
    text = "Les Agressions homophobes : Gérald Darmanin réagit à l’agression."
    assert with_markers(snippet(text, matcher)) == (
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
    assert snippet("", matcher_for(parse_query("a"))) == []
    assert plain(snippet("Un  texte\ncourt", matcher_for(parse_query("a")))) == "Un texte court"
