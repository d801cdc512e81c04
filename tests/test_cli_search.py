"""`brevefeed search` through click's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from brevefeed.archive import open_archive
from brevefeed.cli import cli
from brevefeed.cli.search import FIELDS
from search_corpus import load_corpus

HOSTILE = [
    '"', '""', '"""', "(", ")", "()", "(()", "))((", "OR", "OR OR", "a OR", "OR a",
    "-", "--", "-a", "- a", "NOT", "AND", "NEAR", "NEAR(a b)", "a NEAR/3 b", "^a", "a^",
    "*", "**", "a*b*", ":", "title:", 'title:"', "foo:bar", "title:title:x", "{title}: a",
    "'", "';DROP TABLE breves;--", '" OR 1=1 --', "\\", "a\x00b", "é́́́́", "𝔞𝔤𝔯𝔢𝔰𝔰𝔦𝔬𝔫",
    "(" * 20 + "a" + ")" * 20, "(" * 300, "a " * 200, "x" * 3000, "-(a)", "a -(-b)",
    "title:(a OR", '"phrase sans fin', "a & b | c", "!a", "%", "_", "$1", ":memory:",
    "<script>alert(1)</script>", "l'", "qu’", "…", "«»", "a:b:c:d", "-title:", "*a",
    "a:*", "title:*", "forum\nfermé", "\t", "OR -a", "tag:\"", "source:(", "((a) OR (b))",
]  # fmt: skip


@pytest.fixture
def config(archive_url: str, tmp_path: Path) -> str:
    archive = open_archive(archive_url)
    try:
        load_corpus(archive)
    finally:
        archive.close()
    path = tmp_path / "config.toml"
    path.write_text(
        f'[site]\ntimezone = "UTC"\n[archive]\nurl = "{archive_url}"\n[search]\nlimit = 20\n',
        encoding="utf-8",
    )
    return str(path)


def run(config: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["search", "--config", config, *args])


def test_table_with_markers_off_a_terminal(config: str) -> None:
    result = run(config, "retrouvé", "--format", "table")
    assert result.exit_code == 0, result.output
    assert "ont été [retrouvés] grâce" in result.stdout
    assert "Quotidien du Nord" in result.stdout
    assert "2 hits (showing 1–2)" in result.stdout


def test_piped_output_is_tsv_one_hit_a_line(config: str) -> None:
    """Off a terminal the default is what `list` always printed there: tab-separated rows,
    nothing cut, no table frame or summary (it was a 200-column rich table)."""
    result = run(config, "retrouvé")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(rows) == 2
    assert all(len(row) == 5 for row in rows)
    assert any("ont été [retrouvés] grâce" in row[4] for row in rows)
    assert "hits" not in result.stdout


def test_json_fields_are_stable(config: str) -> None:
    result = run(config, "agression homophobe", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["total"] == 2
    assert [list(hit) for hit in data["hits"]] == [list(FIELDS)] * 2
    item = next(hit for hit in data["hits"] if hit["kind"] == "item")
    assert item["url"] == "https://example.net/i-agression"
    assert item["source"] == "Quotidien du Nord"
    assert item["date"] == "2022-03-15T07:00:00+00:00"
    assert "[Agression] [homophobe]" not in item["snippet"]  # titles are not in the passage
    assert item["tags"] == ["Faits divers"]


def test_jsonl_and_csv(config: str) -> None:
    lines = run(config, "forum", "--format", "jsonl", "--sort", "oldest").stdout.splitlines()
    assert [json.loads(line)["date"][:10] for line in lines] == [
        "2021-06-01",
        "2021-06-02",
        "2024-01-15",
    ]
    rows = list(csv.DictReader(io.StringIO(run(config, "tag:justice", "--format", "csv").stdout)))
    assert len(rows) == 3 and list(rows[0]) == list(FIELDS)
    assert {row["tags"] for row in rows} >= {"justice; modération"}


def test_options(config: str) -> None:
    def kinds(*args: str) -> list[str]:
        result = run(config, *args, "--format", "jsonl")
        return sorted(json.loads(line)["kind"] for line in result.stdout.splitlines())

    assert kinds("agression", "--kind", "items") == ["item"]
    assert kinds("agression", "--include-retracted") == ["breve", "breve", "item"]
    assert kinds("forum", "--until", "2021-06") == ["breve", "item"]
    assert kinds("forum", "--since", "2024") == ["breve"]
    assert kinds("forum", "--tag", "justice") == ["breve"]
    assert kinds("forum OR agression", "--source", "quotidien du nord") == ["item", "item"]
    assert kinds("forum OR agression", "--limit", "2", "--offset", "1") == ["breve", "item"]


def test_no_hits_exits_1_like_grep(config: str) -> None:
    result = run(config, "licorne")
    assert result.exit_code == 1
    assert (result.stdout, result.stderr) == ("", "brevefeed: no hits\n")
    assert run(config, "licorne", "--format", "json").stdout.strip().startswith('{\n  "total": 0')
    assert run(config, "licorne", "--quiet").stdout == ""


def test_usage_errors_exit_2(config: str) -> None:
    assert run(config).exit_code == 2
    bad_date = run(config, "forum", "--since", "hier")
    assert bad_date.exit_code == 2 and "--since" in bad_date.stderr
    assert run(config, "forum", "--kind", "tout").exit_code == 2


def test_usage_errors_are_one_line(config: str) -> None:
    """click printed three lines (Usage:, Try…, Error:); the docs promise one."""
    result = run(config, "forum", "--kind", "tout")
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("brevefeed: error: Invalid value for '--kind'")


def test_minus_words_are_query_words_not_options(config: str) -> None:
    """`search forum -fermé` failed with « No such option '-f' »."""
    result = run(config, "forum", "-fermé", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [hit["title"] for hit in json.loads(result.stdout)["hits"]] == [
        "Au cœur de la prévention"
    ]
    # Long options still work after the query, and -h, -q, -v keep their meaning.
    quiet = run(config, "-forum", "agression", "--kind", "items", "-q", "--format", "json")
    assert json.loads(quiet.stdout)["total"] == 1  # -q is no word « q » to find
    after = run(config, "forum", "-fermé", "--kind", "breves", "--format", "json")
    assert json.loads(after.stdout)["total"] == 1
    assert run(config, "-h").stdout.startswith("Usage: ")
    assert run(config, "--", "-h", "forum").exit_code == 0  # after --, a word again
    assert run(config, "vv").exit_code == 1  # a word made of flag letters is a word


def test_stop_words_alone_say_so(config: str) -> None:
    result = run(config, "les")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "too common to search" in result.stderr


def test_reindex(config: str) -> None:
    result = run(config, "--reindex")
    assert result.exit_code == 0 and result.stdout == "indexed 10 brèves and items\n"
    assert run(config, "--reindex", "--quiet").stdout == ""
    assert run(config, "agression").exit_code == 0


def test_hostile_queries_never_crash(config: str) -> None:
    assert len(HOSTILE) >= 30
    for query in HOSTILE:
        result = run(config, "--", query)
        assert result.exit_code in (0, 1, 2), (query, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), query
        assert "Traceback" not in result.output and "sqlalchemy" not in result.output, query
        if result.exit_code == 2:
            assert result.stderr.startswith("brevefeed: error: "), query
            assert result.stderr.count("\n") == 1, query
