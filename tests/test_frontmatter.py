from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from brevefeed.authoring import parse_draft
from brevefeed.authoring.frontmatter import parse_front_matter
from brevefeed.errors import InputError

PARIS = ZoneInfo("Europe/Paris")
FIXTURES = Path(__file__).parent / "fixtures" / "breves"


def parse(text: str) -> object:
    return parse_front_matter(text, source="b.md", tz=PARIS)


def test_every_field() -> None:
    path = FIXTURES / "2024-09-03-permanence-juridique.md"
    draft = parse_front_matter(path.read_text(encoding="utf-8"), source=str(path), tz=PARIS)
    assert draft.title == "Une permanence juridique gratuite ouvre à Marseille"
    assert draft.slug == "une-permanence-juridique-gratuite-ouvre-a-marseille"
    assert draft.published == datetime(2024, 9, 3, 8, tzinfo=PARIS)
    assert draft.authors == ("Nadia Benali",)
    assert draft.section == "Société"
    assert draft.tags == ("justice", "associations")
    assert draft.standfirst.startswith("Chaque jeudi soir, des avocates bénévoles")
    assert draft.sources == ("https://barreau.example.net/actualites/permanence",)
    assert draft.status == "published"
    assert draft.body.startswith("La permanence, installée dans les locaux d’une association")
    assert draft.body.endswith("dates des échanges.")
    assert "« une vingtaine de personnes »" in draft.body


def test_duplicate_and_blank_list_entries_go() -> None:
    draft = parse('+++\ntitle = "T"\nauthors = ["A"]\ntags = ["x", "x", " ", "y"]\n+++\nB\n')
    assert draft.authors == ("A",)  # type: ignore[attr-defined]
    assert draft.tags == ("x", "y")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('tags = "justice, police"', 'tags = ["justice", "police"]'),
        ('authors = "Jeanne Martin, Léo Ferrand"', 'authors = ["Jeanne Martin", "Léo Ferrand"]'),
        ('sources = "https://a.example/"', 'sources = ["https://example.org/article"]'),
        ("tags = [1, 2]", 'tags = ["justice", "police"]'),
        ("authors = {name = 'A'}", 'authors = ["Jeanne Martin", "Léo Ferrand"]'),
        ("section = ['Justice']", 'section = "Justice"'),
        ("standfirst = 3", 'standfirst = "Le chapô en une phrase."'),
        ("slug = true", 'slug = "titre-de-la-breve"'),
        ("status = 1", 'status = "draft"'),
        ("language = ['fr']", 'language = "fr"'),
        ("id = 7", 'id = "tag:example.org,2024-05-07:breves/titre-de-la-breve"'),
        ("date = true", "2024-05-07T18:30:00+02:00"),
    ],
)
def test_wrong_type_is_one_line_naming_file_key_and_form(line: str, expected: str) -> None:
    """A string where a list belongs used to become one tag (`tags/justice-police/`)."""
    with pytest.raises(InputError) as caught:
        parse(f'+++\ntitle = "T"\n{line}\n+++\nB\n')
    message = str(caught.value)
    key = line.split(" =")[0]
    assert message.startswith("b.md:")
    assert caught.value.line == 3
    assert key in message
    assert expected in message
    assert "\n" not in message


def test_explicit_slug_id_status_language() -> None:
    draft = parse(
        '+++\ntitle = "T"\nslug = "mon-slug"\nid = "tag:x.org,2024-01-01:a"\nstatus = "draft"\n'
        'language = "fr-BE"\n+++\n'
    )
    assert (draft.slug, draft.uid, draft.status, draft.language) == (  # type: ignore[attr-defined]
        "mon-slug",
        "tag:x.org,2024-01-01:a",
        "draft",
        "fr-BE",
    )


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("+++\ndate = 2024-01-01\n+++\nB\n", "no title", 1),
        ('+++\ntitle = "T"\nauteur = "A"\n+++\n', "unknown front matter key 'auteur'", 3),
        ('+++\ntitle = "T"\ntags = ["a",\n+++\n', "malformed front matter", None),
        ('+++\ntitle = "T"\n', "never closed", 1),
        ('+++\ntitle = "T"\ndate = "2024-02-30"\n+++\n', "not a valid ISO 8601 date", 3),
        ('+++\ntitle = "T"\nslug = "Pas Bon"\n+++\n', "slug 'Pas Bon' must be", 3),
        ('+++\ntitle = "T"\nstatus = "retracted"\n+++\n', "status must be one of", 3),
        ('+++\ntitle = "T"\nsources = ["ftp://x"]\n+++\n', "not an http(s) URL", 3),
        ("+++\ntitle = 3\n+++\n", "'title' must be a string", 2),
        ('+++\ntitle = "T"\ntags = [1]\n+++\n', "'tags' must be a list of strings", 3),
    ],
)
def test_bad_front_matter_names_file_and_line(text: str, message: str, line: int | None) -> None:
    with pytest.raises(InputError) as caught:
        parse(text)
    assert message in str(caught.value)
    assert caught.value.source == "b.md"
    if line is not None:
        assert caught.value.line == line
    assert str(caught.value).startswith("b.md:")


def test_toml_escapes_of_xml_forbidden_characters_are_removed() -> None:
    text = (
        '+++\ntitle = "Le\\u0000 forum\\u000b"\nauthors = ["A\\u000b"]\n'
        'tags = ["\\u0000"]\nstandfirst = "c\\u000b"\n+++\nCorps\x0b.\n'
    )
    draft = parse_draft(text, source="b.md", tz=ZoneInfo("UTC"))
    assert (draft.title, draft.authors, draft.tags) == ("Le forum", ("A",), ())
    assert (draft.standfirst, draft.body) == ("c", "Corps.")
