"""Archive text shown by the CLI is never read as rich markup nor sent raw to the terminal.

The archive holds names and titles a hostile feed or a careless file could carry: an unmatched
closing tag (rich raised MarkupError), a `[link=…]` tag (rich made it a terminal hyperlink) and
an OSC 8 escape sequence (the terminal made it one). Every command that shows them runs here as
on a terminal (rich forced to one by TTY_COMPATIBLE=1) and as through a pipe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from brevefeed.cli import cli, display
from feedserver import FeedServer, Reply

UNMATCHED = "Le Journal [/bold]"
LINK = "[link=https://evil.example]clic[/link]"
OSC8 = "\x1b]8;;http://evil\x07x"
HOSTILE = (UNMATCHED, LINK, OSC8)
#: Right-to-left override: would reverse everything after it on the line.
RLO = "\u202e"


def _feed(n: int, text: str) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": text,
            "items": [
                {
                    "id": f"hostile-{n}",
                    "url": f"https://outlet{n}.example.org/hostile-{n}",
                    "title": f"{text} hostile{n}",
                    "summary": f"tribune hostile{n} {text}",
                    "content_text": f"tribune hostile{n} {text} {RLO}suite",
                    "authors": [{"name": text}],
                    "date_published": "2024-06-04T14:30:00+02:00",
                }
            ],
        }
    ).encode()


def _breve(n: int, text: str) -> str:
    quoted = json.dumps(text)  # a valid TOML basic string, \u escapes included
    return (
        f"+++\ntitle = {json.dumps(f'{text} hostile{n}')}\ndate = 2024-06-0{n + 1}T10:00:00Z\n"
        f"authors = [{quoted}]\ntags = [{quoted}]\nstandfirst = {quoted}\n+++\n"
        f"La tribune hostile{n} : {text} {RLO}fin.\n"
    )


@pytest.fixture
def instance(tmp_path: Path, feed_server: FeedServer, archive_url: str) -> Path:
    sources = ""
    for n, text in enumerate(HOSTILE):
        feed_server.routes[f"/{n}.json"] = Reply(body=_feed(n, text))
        sources += f'[[sources]]\nurl = "{feed_server.url(f"/{n}.json")}"\n'
        sources += f"name = {json.dumps(text)}\n"
        (tmp_path / f"breve-{n}.md").write_text(_breve(n, text), encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[site]\nlink = "https://breves.example.org/"\ntimezone = "UTC"\n'
        f'[archive]\nurl = "{archive_url}"\n'
        f"[ingest]\nallow_private = true\ntimeout = 2.0\nparse_workers = 0\n{sources}",
        encoding="utf-8",
    )
    for args in (["ingest"], ["import", *(str(p) for p in tmp_path.glob("breve-*.md"))]):
        result = _run(config, False, *args)
        assert result.exit_code == 0, result.output
    for n in range(len(HOSTILE)):
        slug = json.loads(_run(config, False, "list", "--format", "json").stdout)[n]["slug"]
        related = _run(config, False, "relate", slug, f"https://outlet{n}.example.org/hostile-{n}")
        assert related.exit_code == 0, related.output
    return config


def _run(config: Path, terminal: bool, *args: str) -> Result:
    env = {"TTY_COMPATIBLE": "1" if terminal else "0", "FORCE_COLOR": None, "NO_COLOR": None}
    return CliRunner(env=env).invoke(cli, [*args, "--config", str(config)])


def _shown_safely(result: Result, expected_code: int = 0) -> str:
    output = result.stdout + result.stderr
    assert result.exit_code == expected_code, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output
    # Rich writes its own styles (ESC [ … m) on a terminal; only our data could bring an OSC
    # (ESC ]: hyperlinks, titles), a BEL, a carriage return or a bidi override.
    for raw in ("\x1b]", "\x07", "\r", RLO):
        assert raw not in output, (raw, output)
    return output


def _assert_literal(output: str) -> None:
    assert UNMATCHED in output and LINK in output
    # Escaped (\x1b) until ingest drops the control characters, then without them.
    assert "]8;;http://evil" in output


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("sources", "list"), id="sources-list"),
        pytest.param(("search", "hostile0 OR hostile1 OR hostile2"), id="search"),
        pytest.param(("search", "hostile0 OR hostile1 OR hostile2", "--all-items"), id="all-items"),
        pytest.param(("search", "tribune", "--format", "csv"), id="search-csv"),
        pytest.param(("list",), id="list"),
        pytest.param(("stories", "--min-outlets", "1"), id="stories"),
    ],
)
def test_hostile_text_is_shown_literally(instance: Path, terminal: bool, args: tuple[str]) -> None:
    _assert_literal(_shown_safely(_run(instance, terminal, *args)))


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "pipe"])
def test_related_and_show(instance: Path, terminal: bool) -> None:
    slugs = [
        b["slug"] for b in json.loads(_run(instance, False, "list", "--format", "json").stdout)
    ]
    shown = ""
    for slug in slugs:
        shown += _shown_safely(_run(instance, terminal, "related", slug))
        shown += _shown_safely(_run(instance, terminal, "show", slug, "--revisions"))
        shown += _shown_safely(_run(instance, terminal, "show", slug, "--raw"))
    _assert_literal(shown)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("sources", "list", "--format", "json"), id="sources-list"),
        pytest.param(("search", "tribune", "--format", "json"), id="search-json"),
        pytest.param(("search", "tribune", "--format", "jsonl"), id="search-jsonl"),
        pytest.param(("list", "--format", "json"), id="list"),
        pytest.param(("stories", "--min-outlets", "1", "--format", "json"), id="stories"),
    ],
)
def test_json_keeps_the_data_and_escapes_what_a_terminal_obeys(
    instance: Path, args: tuple[str]
) -> None:
    output = _shown_safely(_run(instance, True, *args))
    lines = output.splitlines() if "jsonl" in args else [output]
    text = json.dumps([json.loads(line) for line in lines], ensure_ascii=False)
    assert UNMATCHED in text and LINK in text


def test_an_error_quoting_archive_text_is_one_escaped_line(instance: Path) -> None:
    result = _run(instance, True, "sources", "remove", OSC8)
    output = _shown_safely(result, expected_code=1)
    assert output.count("\n") == 1 and "config.toml" in output


def test_line_escapes_controls_and_keeps_text() -> None:
    assert display.line(OSC8) == "\\x1b]8;;http://evil\\x07x"
    assert display.line("a\tb\r\nc\u202ed\ud800") == "a b  c\\u202ed\\ud800"
    assert display.line(UNMATCHED) == UNMATCHED
    assert display.block("un\r\ndeux\ttrois\x1b") == "un\ndeux\ttrois\\x1b"
    assert display.plain(LINK).plain == LINK and not display.plain(LINK).spans


def test_json_text_decodes_to_the_same_data() -> None:
    value = {"t": f"{OSC8}\x9b{RLO}é\u2028", "n": [1, None]}
    text = display.json_text(value)
    assert json.loads(text) == value
    assert not any(c in text for c in ("\x1b", "\x9b", RLO))
    assert json.loads(display.json_text("\ud800")) == "\ud800"
