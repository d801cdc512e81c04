from brevefeed.related.similarity import (
    dot,
    jaccard,
    norm,
    shingles,
    terms,
    tf_idf,
    title_key,
    weighted_terms,
)


def test_terms_are_french_stems_without_short_words() -> None:
    assert terms("Les agressions homophobes et l’agression") == {"agress": 2, "homophob": 1}


def test_weighted_terms_scale_each_field() -> None:
    fields = [(terms("forum fermé"), 3.0), (terms("forum"), 1.0)]
    assert weighted_terms(fields) == {"forum": 4.0, "ferm": 3.0}


def test_weighted_terms_leave_out_unusable_stems() -> None:
    assert weighted_terms([({"de": 2, "forum": 1, "x" * 41: 1}, 2.0)]) == {"forum": 2.0}


def test_rare_terms_weigh_more() -> None:
    frequencies = {"rare": 1, "moyen": 500, "partout": 1000}
    vector = tf_idf(dict.fromkeys(frequencies, 1.0), frequencies, 1000)
    assert vector["rare"] > vector["moyen"] > vector["partout"] >= 0
    vector = tf_idf({"rare": 1.0, "courant": 1.0}, {"rare": 2, "courant": 900_000}, 1_000_000)
    assert vector["rare"] > 5 * vector["courant"]


def test_a_young_archive_already_knows_common_french_words() -> None:
    # Each seen once in six documents: the reference list tells the name from the word.
    vector = tf_idf({"vierzon": 1.0, "ministr": 1.0}, {"vierzon": 1, "ministr": 1}, 6)
    assert vector["vierzon"] > 2 * vector["ministr"]


def test_dot_and_norm() -> None:
    assert dot({"a": 1.0, "b": 2.0}, {"b": 3.0}) == dot({"b": 3.0}, {"a": 1.0, "b": 2.0}) == 6.0
    assert dot({"a": 1.0}, {"b": 1.0}) == 0.0
    assert norm({"a": 3.0, "b": 4.0}) == 5.0


def test_shingles_and_jaccard() -> None:
    one = shingles("Le site de rencontres a fermé ce lundi")
    assert jaccard(one, shingles("le site de rencontres a ferme ce lundi")) == 1.0
    assert jaccard(one, shingles("Un tout autre texte sur la justice")) == 0.0
    assert shingles("deux mots") == {("deux", "mots")} and shingles("") == set()


def test_title_key_folds() -> None:
    assert title_key("L’Arcom sévit !") == title_key("l'arcom sevit") == "arcom sevit"
