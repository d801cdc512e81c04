"""The `brevefeed` command: a thin click layer that parses, calls one function, prints.

Subcommands are loaded only when run: importing every command's module (SQLAlchemy, Alembic,
httpx, feedgen, lxml…) took over a second before `--version` or `search` could answer. The
registry below carries each command's short help so `brevefeed --help` imports none of them;
a test checks it against the commands' own help.

Ctrl-C is one line and exit 130 at every moment: while this module's own imports run (the
console script imports it before `main` exists), while a subcommand is looked up and loaded,
and while it runs. Usage mistakes are one line too, `brevefeed: error: …`, exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn


def _interrupted() -> NoReturn:
    sys.stderr.write("brevefeed: interrupted\n")
    sys.exit(130)


try:
    import importlib

    import click

    from brevefeed import __version__
    from brevefeed.cli import display
    from brevefeed.cli.app import global_options
    from brevefeed.errors import BrevefeedError, ExitCode
except KeyboardInterrupt:
    _interrupted()

#: name -> (module under brevefeed.cli, attribute, the first sentence of its help, which
#: `brevefeed --help` shortens to fit as click would).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "add": (
        "breves",
        "add",
        "Add one brève (or edit the one it matches) from FILE, or - for standard input.",
    ),
    "db": ("admin", "db", "Archive schema: show or apply migrations."),
    "delete": (
        "breves",
        "delete",
        "Delete a brève that was never published (a draft, an import mistake), with its revisions.",
    ),
    "export": ("breves", "export", "Export the whole archive as JSON Lines, revisions included."),
    "import": (
        "breves",
        "import_",
        "Import brève files, directories of them (recursively) and archive exports.",
    ),
    "ingest": (
        "ingest",
        "ingest",
        "Fetch the feeds that are due and store their new and changed items.",
    ),
    "init": (
        "admin",
        "init",
        "Create a new instance in DIRECTORY: a commented config.toml and an empty archive.",
    ),
    "list": ("listing", "list_", "List brèves, newest first."),
    "tags": ("listing", "tags", "List tags (each by its first spelling) with their brèves."),
    "publish": (
        "publish",
        "publish",
        "Publish the archive as web pages and RSS, Atom and JSON feeds into [publish] output.",
    ),
    "relate": (
        "related",
        "relate",
        "Link ITEM (number, link or entry id) to BREVE by hand; automatic passes keep it.",
    ),
    "related": (
        "related",
        "related",
        "List the external items related to a brève, best first, each with its score and the"
        " shared words that weighed most; or explain one comparison; or rebuild every link.",
    ),
    "retract": (
        "breves",
        "retract_",
        "Retract a brève: it stays in the archive, marked retracted with its reason.",
    ),
    "search": (
        "search",
        "search_",
        "Search brèves and ingested items, in French: accents, case, elisions and word forms"
        " do not matter.",
    ),
    "serve": (
        "publish",
        "serve",
        "Preview [publish] output at http://127.0.0.1:PORT/ under base_url's path; Ctrl-C stops.",
    ),
    "show": ("breves", "show", "Show every field of one brève."),
    "sources": ("ingest", "sources", "Follow, pause and list other outlets' feeds."),
    "stories": (
        "related",
        "stories",
        "List recent stories with the outlets that covered them and the brève they cover.",
    ),
    "unrelate": (
        "related",
        "unrelate",
        "Detach ITEM from BREVE for good: automatic passes will not link them again.",
    ),
}


def load_command(name: str) -> click.Command:
    module, attribute, _ = COMMANDS[name]
    command = getattr(importlib.import_module(f"brevefeed.cli.{module}"), attribute)
    assert isinstance(command, click.Command)
    return command


def _short_help(name: str, limit: int) -> str:
    return click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit)


def _fail(message: str, code: int) -> NoReturn:
    # The message may quote a feed's or a file's text: shown, never obeyed.
    click.echo(f"brevefeed: error: {display.line(message)}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Loads subcommands on demand, and turns every brevefeed error into one line on stderr
    and its documented exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing would import every command to ask for its help.
        with formatter.section("Commands"):
            names = self.list_commands(ctx)
            limit = formatter.width - 6 - max(len(name) for name in names)
            rows = [(name, _short_help(name, limit)) for name in names]
            formatter.write_dl(rows)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Every outcome an exit code, every error one line on stderr (click's own usage
        error is three: Usage:, Try…, Error:)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            _fail(f"{exc.format_message()}{where}", exc.exit_code)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            _interrupted()
        sys.exit(code if isinstance(code, int) else 0)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt:
            _interrupted()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrevefeedError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _interrupted()
        except Exception as exc:
            # SQLAlchemy is only loaded by commands that open the archive, so its error
            # class is looked up, not imported, here.
            sa_exc = sys.modules.get("sqlalchemy.exc")
            if sa_exc is None or not isinstance(exc, sa_exc.OperationalError):
                raise
            # The archive failed under us (locked past the busy timeout, disk full, file made
            # read-only): the transaction was rolled back; say so in one line.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            _fail(f"archive: {reason} (nothing was written)", ExitCode.USAGE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="brevefeed")
@global_options
def cli() -> None:
    """brevefeed: an archive of brèves, published as feeds, searchable from the terminal.

    \b
    Exit codes: 0 ok, 1 some items failed, 2 usage/config/archive error,
    3 not found, 4 locked by another run; search: 1 no hits.
    """


def main() -> None:
    cli.main(prog_name="brevefeed")


__all__ = ["COMMANDS", "ExitCode", "cli", "load_command", "main"]
