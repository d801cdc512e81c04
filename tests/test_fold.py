from brevefeed.text import fold


def test_accents_case_and_ligatures() -> None:
    assert fold("Œuvre d’Été À L’ÉCOLE") == "oeuvre d’ete a l’ecole"
    assert fold("ex æquo, cœur") == "ex aequo, coeur"


def test_typography_is_left_alone() -> None:
    assert fold("« 23.051 »") == "« 23.051 »"
