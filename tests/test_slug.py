from brevefeed.text import slugify
from brevefeed.text.slug import SLUG_PATTERN


def test_french_title() -> None:
    assert slugify("Coût de l’énergie : 23.051 foyers en « précarité »") == (
        "cout-de-l-energie-23-051-foyers-en-precarite"
    )


def test_long_titles_are_cut_on_a_word() -> None:
    slug = slugify("mot " * 40)
    assert len(slug) <= 80 and not slug.endswith("-") and SLUG_PATTERN.match(slug)


def test_only_punctuation_gives_empty() -> None:
    assert slugify("« ! »") == ""
