from brevefeed.authoring.render import escape_markdown, render_markdown
from brevefeed.text.sanitize import sanitize_html


def test_markdown_renders() -> None:
    assert render_markdown("Un **mot** et [un lien](https://example.org/a).") == (
        '<p>Un <strong>mot</strong> et <a href="https://example.org/a" rel="noopener noreferrer">'
        "un lien</a>.</p>"
    )


def test_dangerous_html_is_removed() -> None:
    html = render_markdown(
        '<script>alert(1)</script><img src="x.png" onerror="alert(2)">'
        '<a href="javascript:alert(3)">x</a><iframe src="https://e.org"></iframe><style>p{}</style>'
    )
    for bad in ("script", "onerror", "javascript:", "iframe", "style"):
        assert bad not in html
    assert '<img src="x.png">' in html


def test_harmless_inline_html_survives() -> None:
    assert sanitize_html("<abbr title='Commission'>CNIL</abbr> 1<sup>er</sup>") == (
        '<abbr title="Commission">CNIL</abbr> 1<sup>er</sup>'
    )


def test_french_typography_survives() -> None:
    html = render_markdown("« Bonjour » l’œuvre : 23.051")
    assert html == "<p>« Bonjour » l’œuvre : 23.051</p>"


def test_escape_markdown_round_trips_plain_text() -> None:
    text = "2024. Une année *record* pour [les] signalements > 10 % - selon #Pharos"
    assert render_markdown(escape_markdown(text)) == (
        "<p>2024. Une année *record* pour [les] signalements &gt; 10 % - selon #Pharos</p>"
    )


def test_tables_render_and_keep_only_allowed_markup() -> None:
    html = render_markdown("| Ville | Cas |\n|---|:-:|\n| Lyon | 3 |\n")
    assert "<table>" in html and "<th>Ville</th>" in html and "<td>3</td>" in html
    # The renderer's inline style is not on the allow-list.
    assert "style" not in html


def test_footnotes_render_with_their_links() -> None:
    html = render_markdown("Selon le parquet[^1].\n\n[^1]: Communiqué du 7 mai.\n")
    assert '<sup><a href="#fn1" id="fnref1" rel="noopener noreferrer">[1]</a></sup>' in html
    assert '<section><ol><li id="fn1"><p>Communiqué du 7 mai. <a href="#fnref1"' in html.replace(
        "\n", ""
    )
    assert "class=" not in html


def test_footnote_and_table_markup_gives_no_way_around_the_sanitizer() -> None:
    html = render_markdown(
        '| <script>alert(1)</script> |\n|---|\n| <img src=x onerror="alert(1)"> |\n\n'
        'Texte[^a].\n\n[^a]: [lien](javascript:alert(1)) <section onclick="x()">s</section>\n'
    )
    assert "<script" not in html and "onerror" not in html and "onclick" not in html
    assert 'href="javascript' not in html
