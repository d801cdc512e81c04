"""`brevefeed publish` from the command line: summary lines, --quiet, --dry-run, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from brevefeed.cli import cli
from brevefeed.errors import ExitCode
from brevefeed.publish.write import exclusive
from conftest import FIXTURES


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    (tmp_path / "archive").mkdir()
    config = tmp_path / "config.toml"
    config.write_text(
        '[site]\ntitle = "Le Journal"\nlink = "https://journal.example.org/"\n'
        '[publish]\nbase_url = "https://journal.example.org/flux/"\noutput = "www"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["import", str(FIXTURES / "publish"), "--config", str(config), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    return config


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["publish", "--config", str(config), *args])
    return result.exit_code, result.stdout, result.stderr


def test_publish_prints_one_summary_line_then_nothing_changes(instance: Path) -> None:
    code, out, err = run(instance)
    assert code == 0 and err == ""
    assert out.startswith("publish: ") and out.endswith(" written, 0 unchanged\n")
    written = int(out.split()[1])
    assert (instance.parent / "www" / "atom.xml").exists()
    assert run(instance) == (0, f"publish: 0 written, {written} unchanged\n", "")


def test_quiet_prints_nothing_on_success(instance: Path) -> None:
    assert run(instance, "--quiet") == (0, "", "")


def test_dry_run_lists_and_writes_nothing(instance: Path) -> None:
    code, out, _ = run(instance, "--dry-run")
    assert code == 0
    assert "would write atom.xml\n" in out and "would be written" in out
    assert not (instance.parent / "www" / "atom.xml").exists()


def test_missing_base_url_is_one_line_and_exit_2(instance: Path) -> None:
    text = instance.read_text(encoding="utf-8")
    instance.write_text(text.replace('base_url = "https://journal.example.org/flux/"', ""))
    code, out, err = run(instance)
    assert code == ExitCode.USAGE and out == ""
    assert err.count("\n") == 1 and "publish.base_url is not set" in err


def test_bad_publish_key_is_refused(instance: Path) -> None:
    instance.write_text(instance.read_text(encoding="utf-8") + "items = 0\n")
    code, _, err = run(instance)
    assert code == ExitCode.USAGE and "[publish] items must be between 1 and 10000, got 0" in err


def test_locked_is_exit_4(instance: Path) -> None:
    with exclusive(instance.parent / "www", 0):
        code, _, err = run(instance, "--wait", "0.1", "--quiet")
    assert code == ExitCode.LOCKED
    assert "another publish holds" in err and err.count("\n") == 1


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["publish", "--help"])
    assert result.exit_code == 0 and "brevefeed publish --quiet --wait 60" in result.output


def test_a_deleted_feed_is_rewritten_and_force_rewrites_all(instance: Path) -> None:
    _code, out, _ = run(instance)
    total = int(out.split()[1])
    (instance.parent / "www" / "feed.xml").unlink()
    assert run(instance) == (0, f"publish: 1 written, {total - 1} unchanged\n", "")
    assert run(instance, "--force") == (0, f"publish: {total} written, 0 unchanged\n", "")
