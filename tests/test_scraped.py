from __future__ import annotations

from pathlib import Path

import pytest

from brevefeed.authoring import render_markdown
from brevefeed.authoring.scraped import parse_scraped, split_authors
from brevefeed.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "breves"


def test_fixture_every_field() -> None:
    path = FIXTURES / "2024-09-10-hausse-des-signalements.txt"
    draft = parse_scraped(path.read_text(encoding="utf-8"), source=str(path))
    assert draft.section == "brèves"
    assert draft.title == "Signalements en hausse de 40 % sur la plateforme Pharos"
    assert draft.authors == ("Nadia Benali", "Hugo Lemaire")
    assert draft.standfirst.startswith("Le ministère publie ses chiffres annuels")
    assert draft.body.split("\n\n")[0].startswith("Au total, 211.543 signalements")
    assert draft.body.endswith("plus que d’une flambée des faits.")
    assert "PUB" not in draft.body and "Partager" not in draft.body
    assert draft.published is None


def test_a_scraped_page_imports_with_every_field_right(scraped_page: str) -> None:
    draft = parse_scraped(scraped_page, source="scraped-page.txt")
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
    html = render_markdown(parse_scraped(text, source="x").body)
    assert "<ol>" not in html and "<h1>" not in html and "<em>" not in html
    assert "1. Pas une liste" in html and "# pas un titre *ni* _ceci_ &lt;b&gt;" in html


def test_a_lone_paragraph_is_the_body() -> None:
    draft = parse_scraped("A / b\n\nTitre\n\nAuteur\n\nCorps seul.\n", source="x")
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
        parse_scraped(text, source="x")


def test_author_lines() -> None:
    assert split_authors("Par Jeanne Martin et Léo Ferrand") == ("Jeanne Martin", "Léo Ferrand")
    assert split_authors("A, B & C") == ("A", "B", "C")
    assert split_authors("Bernadette Ettore") == ("Bernadette Ettore",)
