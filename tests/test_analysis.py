from __future__ import annotations

import pytest

from brevefeed.text import stems, strip_elisions, words


def test_words_fold_and_cut_elisions() -> None:
    assert words("L’Œuvre d’été qu'on jusqu’à") == ["oeuvre", "ete", "on", "a"]


def test_figures_stay_whole() -> None:
    assert words("23.051 procédures, soit 1,5 %. Fin.") == [
        "23.051",
        "procedures",
        "soit",
        "1,5",
        "fin",
    ]


def test_elision_needs_a_following_word() -> None:
    assert strip_elisions("l’ arbre") == "l’ arbre"
    assert strip_elisions("aujourd’hui l’arbre") == "aujourd’hui arbre"


@pytest.mark.parametrize(
    "forms",
    [
        ["agression", "agressions"],
        ["homophobe", "homophobes", "HOMOPHOBES"],
        ["pédocriminalité", "pedocriminalite"],
        ["retrouvée", "retrouvés", "retrouvé", "retrouver", "retrouvees"],
        ["fermé", "fermée", "fermés", "fermer", "ferme"],
        ["créé", "créée", "créés", "cree"],
        ["Gérald", "gerald"],
    ],
)
def test_word_forms_share_one_stem(forms: list[str]) -> None:
    assert len({tuple(stems(form)) for form in forms}) == 1


def test_different_words_keep_different_stems() -> None:
    assert stems("agression") != stems("homophobe")
