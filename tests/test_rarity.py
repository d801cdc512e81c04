import math

from brevefeed.related.rarity import PRIOR_DOCUMENTS, idf, reference, reference_documents


def test_the_reference_list_is_shipped_and_ranked() -> None:
    table = reference()
    assert len(table) >= 3000
    assert table["ministr"] > table["tribunal"] > table["fermetur"]
    assert "vierzon" not in table


def test_reference_documents_grow_with_frequency_and_stay_below_the_prior() -> None:
    assert 0 < reference_documents("vierzon") < reference_documents("ministr") < PRIOR_DOCUMENTS
    assert reference_documents("est") > 0.5 * PRIOR_DOCUMENTS


def test_the_archive_takes_over_as_it_grows() -> None:
    # A word common in this archive: at a million documents the archive's count decides, on a
    # young archive the reference does.
    young, old = idf("ministr", 1, 10), idf("ministr", 300_000, 1_000_000)
    assert old < young - 2
    # Past the prior, the same share of documents means about the same rarity at any size.
    small, large = idf("greffier", 100, 10_000), idf("greffier", 10_000, 1_000_000)
    assert math.isclose(small, large, rel_tol=0.1)
    assert idf("est", 1_000_000, 1_000_000) < 0.001


def test_a_word_is_never_rarer_than_french_at_large_says() -> None:
    # « grève » in none of 100,000 brèves about other things is still a common French word: it
    # weighs no more than on a young archive, and a name the archive never saw weighs more.
    young, old = idf("grev", 0, 10), idf("grev", 0, 100_000)
    assert old == math.log(PRIOR_DOCUMENTS / reference_documents("grev"))
    assert abs(old - young) < 0.1
    assert idf("vierzon", 0, 100_000) > old + 3
