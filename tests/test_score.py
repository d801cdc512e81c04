import math
from collections import Counter

from brevefeed.related.score import (
    TAG_BONUS,
    field_counts,
    packed_profile,
    profile_from,
    relatedness,
    shared_tags,
    tag_key,
    weighted_counts,
)
from brevefeed.related.similarity import terms

FREQUENCIES = {"forum": 40, "ferm": 60, "justic": 300, "rencontr": 30, "anonym": 20}
DOCUMENTS = 1000


def make(title: str, body: str, tags: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return profile_from(field_counts(title, "", body), tags, FREQUENCIES, DOCUMENTS)


BREVE = make(
    "Un forum de rencontres anonyme fermé par la justice",
    "Le forum de rencontres anonyme a été fermé lundi après des plaintes pour agressions.",
    ("justice", "forum"),
)


def test_same_story_scores_high_other_story_low() -> None:
    same = make("Fermeture du forum de rencontres anonyme", "La justice a fermé le forum anonyme.")
    other = make("Budget de la justice en hausse", "Les crédits de la justice augmentent en 2025.")
    assert relatedness(same, BREVE) > 0.5
    assert relatedness(other, BREVE) < relatedness(same, BREVE) / 2


def test_tags_count_through_categories_or_text() -> None:
    item = make("Fermeture d’un forum", "Texte", tags=("Justice",))
    assert shared_tags(item, BREVE) == 2  # category « Justice », word « forum » in the text
    assert tag_key("Réseaux sociaux") == tag_key("réseau social")


def test_tags_alone_never_make_a_link() -> None:
    item = make("Rien à voir", "Aucun mot commun", tags=("justice", "forum"))
    assert relatedness(item, BREVE) == 0.0


def test_bonus_is_bounded() -> None:
    item = make("forum", "forum", tags=("justice", "forum", "autre"))
    plain = make("forum", "forum")
    assert relatedness(item, BREVE) - relatedness(plain, BREVE) <= 2 * TAG_BONUS + 1e-9


def test_a_packed_profile_scores_as_the_full_one() -> None:
    fields = (
        terms("Un forum de rencontres anonyme fermé par la justice"),
        terms("Le forum anonyme ferme ; la justice tranche."),
        terms("Le forum de rencontres anonyme a été fermé lundi après des plaintes. Le forum…"),
    )
    tags = ("justice", "forum")
    full = profile_from(weighted_counts(fields), tags, FREQUENCIES, DOCUMENTS)
    packed = packed_profile(fields, tags, FREQUENCIES, DOCUMENTS)
    assert dict(zip(packed.terms, packed.weights, strict=True)) == full.vector
    assert math.isclose(packed.norm, full.norm) and packed.tags == full.tags
    for item in (
        make("Fermeture du forum de rencontres anonyme", "La justice a fermé le forum."),
        make("Budget de la justice en hausse", "Les crédits augmentent.", ("justice",)),
        make("Rien à voir", "Aucun mot commun"),
    ):
        assert math.isclose(relatedness(item, packed), relatedness(item, full), abs_tol=1e-12)
    empty = packed_profile((Counter(), Counter(), Counter()), (), FREQUENCIES, DOCUMENTS)
    assert empty.terms == () and empty.norm == 0.0


def test_dates_scale_the_score_and_contributions_explain_it() -> None:
    from datetime import UTC, datetime, timedelta

    from brevefeed.related.score import contributions, strength, text_score

    day = datetime(2024, 5, 21, tzinfo=UTC)
    breve = profile_from(
        field_counts("Un forum de rencontres anonyme fermé", "", "La justice a fermé le forum."),
        (),
        FREQUENCIES,
        DOCUMENTS,
        day,
    )

    def item(published: datetime):  # type: ignore[no-untyped-def]
        counts = field_counts("Le forum anonyme fermé", "", "Décision de justice.")
        return profile_from(counts, (), FREQUENCIES, DOCUMENTS, published)

    near, far = item(day + timedelta(days=1)), item(day + timedelta(days=400))
    assert text_score(near, breve) == text_score(far, breve)
    assert strength(near, breve) > text_score(near, breve) > strength(far, breve)
    assert relatedness(near, breve) <= 1.0
    why = contributions(near, breve)
    assert [w for _, w in why] == sorted((w for _, w in why), reverse=True)
    assert {term for term, _ in why} == {"forum", "anonym", "ferm", "justic"}
    assert abs(sum(w for _, w in why) - text_score(near, breve)) < 1e-9


def test_close_dates_raise_the_words_not_the_tags() -> None:
    from datetime import UTC, datetime, timedelta

    from brevefeed.related.evidence import NEAR_BOOST
    from brevefeed.related.score import strength, word_score

    day = datetime(2024, 5, 21, tzinfo=UTC)
    breve = profile_from(
        field_counts("Un forum de rencontres anonyme fermé lundi", "", "La justice tranche."),
        ("justice", "forum"),
        FREQUENCIES,
        DOCUMENTS,
        day,
    )
    # Two tags and a weekday in common, the same day: the weekday is raised, the tags are not.
    counts = field_counts("Lundi au marché", "", "Rien d’autre.")
    item = profile_from(counts, ("justice", "forum"), FREQUENCIES, DOCUMENTS, day)
    words = word_score(item, breve)
    assert words > 0
    assert math.isclose(strength(item, breve), words * NEAR_BOOST + 2 * TAG_BONUS)
    # A year apart, the tags count less as the words do.
    late = profile_from(counts, ("justice", "forum"), FREQUENCIES, DOCUMENTS, day + timedelta(400))
    assert strength(late, breve) < words + 2 * TAG_BONUS


def test_one_word_in_common_does_not_make_two_items_one_story() -> None:
    from datetime import UTC, datetime

    from brevefeed.related.score import mate_strength, strength

    day = datetime(2024, 5, 21, tzinfo=UTC)

    def profile(title: str):  # type: ignore[no-untyped-def]
        return profile_from(field_counts(title, "", ""), (), {}, 1000, day)

    item = profile("Traminots agressés à Corum : colère à Montpellier")
    same = profile("Agression à la station Corum, les traminots se mettent en retrait")
    city = profile("Montpellier : la médiathèque Zola prolonge ses horaires")
    assert mate_strength(item, same) == strength(item, same) > 0
    assert strength(item, city) > 0
    assert mate_strength(item, city) == 0.0
