from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from brevefeed.authoring import render_markdown
from brevefeed.authoring.scraped import parse_scraped, split_authors
from brevefeed.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "breves"


def test_fixture_every_field() -> None:
    path = FIXTURES / "2024-09-10-hausse-des-signalements.txt"
    draft = parse_scraped(path.read_text(encoding="utf-8"), source=str(path), tz=UTC)
    assert draft.section == "brèves"
    assert draft.title == "Signalements en hausse de 40 % sur la plateforme Pharos"
    assert draft.authors == ("Nadia Benali", "Hugo Lemaire")
    assert draft.standfirst.startswith("Le ministère publie ses chiffres annuels")
    assert draft.body.split("\n\n")[0].startswith("Au total, 211.543 signalements")
    assert draft.body.endswith("plus que d’une flambée des faits.")
    assert "PUB" not in draft.body and "Partager" not in draft.body
    # No date line: the file name's date.
    assert draft.published == datetime(2024, 9, 10, tzinfo=UTC)


def test_a_scraped_page_imports_with_every_field_right(scraped_page: str) -> None:
    draft = parse_scraped(scraped_page, source="scraped-page.txt", tz=UTC)
    paragraphs = [line.strip() for line in scraped_page.splitlines() if line.strip()]
    assert draft.section == paragraphs[0].split(" / ")[-1]
    assert draft.title == paragraphs[1]
    assert draft.authors == (paragraphs[2],)
    assert draft.standfirst == paragraphs[3]
    # Breadcrumb, title, author, standfirst, then the body; "Partager:", "PUB", "PUB" dropped.
    assert paragraphs[-3:] == ["Partager:", "PUB", "PUB"]
    body = draft.body.split("\n\n")
    assert body == paragraphs[4:-3]
    assert "12.408" in draft.body and "’" in draft.body
    # Plain text stays plain: rendering the escaped Markdown gives back the original words.
    html = render_markdown(draft.body)
    assert html.count("<p>") == len(body)
    assert "<li>" not in html and "<em>" not in html


def test_markdown_lookalikes_stay_text() -> None:
    text = (
        "A / b\n\nTitre\n\nAuteur\n\nChapô\n\n1. Pas une liste\n\n# pas un titre *ni* _ceci_ <b>\n"
    )
    html = render_markdown(parse_scraped(text, source="x", tz=UTC).body)
    assert "<ol>" not in html and "<h1>" not in html and "<em>" not in html
    assert "1. Pas une liste" in html and "# pas un titre *ni* _ceci_ &lt;b&gt;" in html


def test_a_lone_paragraph_is_the_body() -> None:
    draft = parse_scraped("A / b\n\nTitre\n\nAuteur\n\nCorps seul.\n", source="x", tz=UTC)
    assert (draft.standfirst, draft.body) == ("", "Corps seul.")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Partager:\nPUB\n", "only boilerplate"),
        ("Pas de fil d’Ariane\n\nTitre\n", "expected a section breadcrumb"),
        ("A / b\n", "no title"),
        ("A / b\n\nTitre\n", "no author line"),
        ("A / b\n\nTitre\n\nAuteur\n\nPUB\n", "no text after the author line"),
    ],
)
def test_incomplete_pages(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_scraped(text, source="x", tz=UTC)


def test_author_lines() -> None:
    assert split_authors("Par Jeanne Martin et Léo Ferrand") == ("Jeanne Martin", "Léo Ferrand")
    assert split_authors("A, B & C") == ("A", "B", "C")
    assert split_authors("Bernadette Ettore") == ("Bernadette Ettore",)


PARIS = ZoneInfo("Europe/Paris")
PAGE = "Actualités / brèves\n\nTitre\n\n{first}\n\n{second}\n\nChapô.\n\nCorps.\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Publié le 26 juin 2024 à 10h30", datetime(2024, 6, 26, 10, 30, tzinfo=PARIS)),
        ("publié le 1er mars 2024", datetime(2024, 3, 1, tzinfo=PARIS)),
        ("Mis à jour le mardi 2 avril 2024, 9:05", datetime(2024, 4, 2, 9, 5, tzinfo=PARIS)),
        ("26/06/2024", datetime(2024, 6, 26, tzinfo=PARIS)),
        ("Le 26/06/2024 à 18h", datetime(2024, 6, 26, 18, tzinfo=PARIS)),
    ],
)
@pytest.mark.parametrize("after_author", [True, False])
def test_a_date_line_dates_the_page_and_leaves_its_text(
    line: str, expected: datetime, after_author: bool
) -> None:
    """Scraped pages used to take the time of import, to the microsecond, one alike another."""
    first, second = ("Léo Ferrand", line) if after_author else (line, "Léo Ferrand")
    draft = parse_scraped(
        PAGE.format(first=first, second=second), source="2020-01-01-page.txt", tz=PARIS
    )
    assert (draft.published, draft.date_source) == (expected, "date line")
    assert draft.authors == ("Léo Ferrand",)
    assert (draft.standfirst, draft.body) == ("Chapô.", "Corps.")


def test_without_a_date_line_the_file_name_dates_the_page_else_nothing() -> None:
    text = PAGE.format(first="Léo Ferrand", second="Le 31/02/2024")
    named = parse_scraped(text, source="inbox/2024-05-21-forum-ferme.txt", tz=PARIS)
    assert (named.published, named.date_source) == (
        datetime(2024, 5, 21, tzinfo=PARIS),
        "file name",
    )
    # « Le 31/02/2024 » is no date: it stays the standfirst.
    assert named.standfirst == "Le 31/02/2024"
    plain = parse_scraped(text, source="forum-ferme.txt", tz=PARIS)
    assert (plain.published, plain.date_source) == (None, None)
