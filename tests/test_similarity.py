from brevefeed.related.similarity import (
    cosine,
    idf,
    jaccard,
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
    assert idf(1, 1000) > idf(500, 1000) > idf(1000, 1000) >= 0
    vector = tf_idf({"rare": 1.0, "courant": 1.0}, {"rare": 2, "courant": 900}, 1000)
    assert vector["rare"] > 5 * vector["courant"]


def test_cosine() -> None:
    assert cosine({"a": 1.0}, {"a": 2.0}) == 1.0
    assert cosine({"a": 1.0}, {"b": 1.0}) == 0.0
    assert 0 < cosine({"a": 1.0, "b": 1.0}, {"a": 1.0}) < 1


def test_shingles_and_jaccard() -> None:
    one = shingles("Le site de rencontres a fermé ce lundi")
    assert jaccard(one, shingles("le site de rencontres a ferme ce lundi")) == 1.0
    assert jaccard(one, shingles("Un tout autre texte sur la justice")) == 0.0
    assert shingles("deux mots") == {("deux", "mots")} and shingles("") == set()


def test_title_key_folds() -> None:
    assert title_key("L’Arcom sévit !") == title_key("l'arcom sevit") == "arcom sevit"
