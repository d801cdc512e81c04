"""The `brevefeed` command: a thin click layer that parses, calls one function, prints."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from brevefeed import __version__
from brevefeed.cli import admin, breves, display, ingest, related, search
from brevefeed.cli import publish as publish_cmd
from brevefeed.errors import BrevefeedError, ExitCode


class _Group(click.Group):
    """Turns every brevefeed error into one line on stderr and its documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrevefeedError as exc:
            # The message may quote a feed's or a file's text: shown, never obeyed.
            click.echo(f"brevefeed: error: {display.line(exc)}", err=True)
            sys.exit(exc.exit_code)
        except OperationalError as exc:
            # The archive failed under us (locked past the busy timeout, disk full, file made
            # read-only): the transaction was rolled back; say so in one line.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            message = f"archive: {reason} (nothing was written)"
            click.echo(f"brevefeed: error: {display.line(message)}", err=True)
            sys.exit(ExitCode.USAGE)
        except KeyboardInterrupt:
            click.echo("brevefeed: interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="brevefeed")
def cli() -> None:
    """brevefeed: an archive of brèves, published as feeds, searchable from the terminal.

    \b
    Exit codes: 0 ok, 1 some items failed, 2 usage/config/archive error,
    3 not found, 4 locked by another run; search: 1 no hits.
    """


for command in (
    breves.add,
    breves.import_,
    breves.list_,
    breves.show,
    breves.retract_,
    breves.export,
    search.search_,
    admin.db,
    admin.init,
    ingest.ingest,
    ingest.sources,
    publish_cmd.publish,
    publish_cmd.serve,
    related.related,
    related.relate,
    related.unrelate,
    related.stories,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="brevefeed")


__all__ = ["ExitCode", "cli", "main"]
