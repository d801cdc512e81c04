from __future__ import annotations

from brevefeed.ingest.filters import KeywordFilter, source_filter


def test_french_word_forms_and_accents() -> None:
    keep = KeywordFilter.build(["homophobe"], [], keep="matching")
    assert keep.keeps("Des messages HOMOPHOBES signalés")
    assert keep.keeps("une agression homophobe")
    assert not keep.keeps("Le marché des objets connectés")
    accents = KeywordFilter.build(["élue"], [], keep="matching")
    assert accents.keeps("Menaces contre une elue") and accents.keeps("les élues municipales")


def test_phrases_match_side_by_side_only() -> None:
    keep = KeywordFilter.build(["violences en ligne"], [], keep="matching")
    assert keep.keeps("Les violences en ligne augmentent")
    assert keep.keeps("Violence en ligne : un rapport")
    assert not keep.keeps("En ligne, la violence augmente")


def test_exclusions_always_apply() -> None:
    both = KeywordFilter.build(["harcèlement"], ["horoscope"], keep="all")
    assert not both.keeps("Horoscope du jour")
    assert both.keeps("Un article sans rapport")  # keep = all: keywords do not restrict
    assert not KeywordFilter.build(["harcèlement"], ["horoscope"], keep="matching").keeps(
        "Harcèlement et horoscope"
    )


def test_no_keywords_keeps_everything() -> None:
    assert KeywordFilter.build([], [], keep="matching").keeps("n’importe quoi")
    assert KeywordFilter.build(["  ", "!"], [], keep="matching").keeps("n’importe quoi")


def test_elisions_do_not_hide_a_word() -> None:
    assert KeywordFilter.build(["agression"], [], keep="matching").keeps("l’agression d’un élu")


def test_source_filter_adds_to_global_words() -> None:
    combined = source_filter(["tribunal"], ["publicité"], ["homophobe"], [], "matching")
    assert combined.keeps("Le tribunal a jugé") and combined.keeps("propos homophobes")
    assert not combined.keeps("Publicité : le tribunal")
    assert not combined.keeps("Météo du week-end")


def test_a_sources_own_keywords_keep_only_matching_items_even_under_keep_all() -> None:
    """`sources add --keywords` promised to keep the items mentioning one; keep = "all" (the
    default) kept everything."""
    own = source_filter([], [], ["haine en ligne"], [], keep="all")
    assert own.keeps("La haine en ligne progresse") and not own.keeps("Un match de football")
    shared = source_filter(["harcèlement"], [], ["haine en ligne"], [], keep="all")
    assert shared.keeps("Harcèlement scolaire")  # a global keyword counts too
    assert source_filter(["harcèlement"], [], [], [], keep="all").keeps("Un match de football")
