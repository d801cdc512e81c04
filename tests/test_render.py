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
