"""The command line itself: lazily loaded commands, options before the subcommand, logging."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import click
import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from brevefeed.archive.db import HEAD_REVISION
from brevefeed.cli import COMMANDS, cli, load_command

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("alembic", "httpx", "feedgen", "lxml")


@pytest.fixture
def config(tmp_path: Path, archive_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[archive]\nurl = "{archive_url}"\n', encoding="utf-8")
    return path


def test_head_constant_is_the_newest_migration() -> None:
    script = ScriptDirectory(str(files("brevefeed.archive") / "migrations"))
    assert script.get_current_head() == HEAD_REVISION


def test_lazy_registry_carries_each_commands_own_short_help() -> None:
    eager = click.Group(name="brevefeed")
    for name in COMMANDS:
        command = load_command(name)
        assert command.name == name
        assert command.get_short_help_str(limit=1000) == COMMANDS[name][2]
        eager.add_command(command)
    assert sorted(eager.commands) == sorted(COMMANDS)
    for width in (60, 80, 200):
        with click.Context(cli, terminal_width=width) as ctx:
            lazy = click.HelpFormatter(width=width)
            cli.format_commands(ctx, lazy)
        with click.Context(eager, terminal_width=width) as ctx:
            loaded = click.HelpFormatter(width=width)
            eager.format_commands(ctx, loaded)
        assert lazy.getvalue() == loaded.getvalue()


def _modules_after(*args: str, config: Path | None = None) -> set[str]:
    """The modules a fresh interpreter holds after running the command as the script does."""
    probe = (
        "import sys\n"
        "from brevefeed.cli import cli\n"
        f"try:\n    cli.main({list(args)!r}, prog_name='brevefeed')\n"
        "except SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)\n"
    )
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    if config is not None:
        env["BREVEFEED_CONFIG"] = str(config)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    return set(done.stderr.splitlines())


@pytest.mark.parametrize(
    "args",
    [("--version",), ("--help",), ("list",), ("tags",), ("search", "forum"), ("sources", "list")],
    ids=["version", "help", "list", "tags", "search", "sources-list"],
)
def test_commands_import_only_what_they_use(
    args: tuple[str, ...], config: Path, archive_url: str
) -> None:
    if not archive_url.startswith("sqlite"):
        pytest.skip("one archive is enough to see what is imported")
    CliRunner().invoke(cli, ["db", "upgrade", "--config", str(config)])  # schema at head
    loaded = _modules_after(*args, config=config)
    assert "brevefeed.cli" in loaded
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)
    if args[0].startswith("--"):
        assert "sqlalchemy" not in loaded and "rich" not in loaded
    if args[0] in READ_ONLY:
        assert not loaded & set(ORM), sorted(loaded & set(ORM))


#: The commands that only read: Core on a plain connection, no ORM, no models, no Markdown.
READ_ONLY = ("list", "tags", "search")
ORM = ("sqlalchemy.orm", "brevefeed.archive.models", "brevefeed.archive.changes", "markdown_it")


def test_options_before_the_subcommand(config: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--quiet", "list", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    # The subcommand's own --config wins over the one before it.
    missing = tmp_path / "ailleurs.toml"
    result = CliRunner().invoke(cli, ["--config", str(config), "list", "--config", str(missing)])
    assert result.exit_code == 2
    assert str(missing) in result.stderr


def test_verbose_logs_on_stderr_and_quiet_silences(config: Path) -> None:
    verbose = CliRunner().invoke(cli, ["-v", "list", "--format", "json", "--config", str(config)])
    assert verbose.exit_code == 0, verbose.output
    assert f"brevefeed: brevefeed.cli: config: {config}" in verbose.stderr
    assert "brevefeed: brevefeed.cli: archive: " in verbose.stderr
    assert json.loads(verbose.stdout) == []
    plain = CliRunner().invoke(cli, ["list", "--format", "json", "--config", str(config)])
    assert plain.stderr == ""
    quiet = CliRunner().invoke(
        cli, ["-v", "-q", "list", "--format", "json", "--config", str(config)]
    )
    assert quiet.stderr == ""
    # Each run removes its handler: nothing accumulates in a process that runs many.
    assert not logging.getLogger("brevefeed").handlers


def test_verbose_shows_library_records(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records of any brevefeed.* logger (ingest's source decisions) reach stderr under -v,
    each on one line with control characters escaped."""
    from brevefeed.cli import listing

    real = listing.list_breves

    def logged(*args: object, **kwargs: object) -> object:
        logging.getLogger("brevefeed.ingest.test").info("skipped %s", "Le Journal\x1b[2J")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(listing, "list_breves", logged)
    result = CliRunner().invoke(cli, ["list", "-v", "--config", str(config)])
    assert "brevefeed: brevefeed.ingest.test: skipped Le Journal\\x1b[2J\n" in result.stderr
    silent = CliRunner().invoke(cli, ["list", "--config", str(config)])
    assert "skipped" not in silent.stderr
