"""The one output layer of the listing commands: ``--format`` and the writer behind it.

Every listing offers the same formats. With no ``--format``, a terminal gets a table and
anything else (a pipe, a file, cron's mail) gets TSV: one line per row with the table's
columns, nothing cut or wrapped, a tab or newline inside a field turned into a space, so
``cut``, ``grep`` and ``while read`` see one record per line (and nothing else: "no match"
goes to stderr).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from brevefeed.cli import display

if TYPE_CHECKING:
    from rich.text import Text

    from brevefeed.cli.app import App

FORMATS = ("table", "json", "jsonl", "csv", "tsv")
F = TypeVar("F", bound=Callable[..., Any])

#: A row of the table and of TSV: plain strings, or rich Text made by ``display``.
Row = Sequence["str | Text"]


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        help="Output format (default: table on a terminal, tsv otherwise).",
    )(func)


def chosen(fmt: str | None) -> str:
    """The format to write: the one asked for, else table on a terminal and TSV elsewhere."""
    if fmt is not None:
        return fmt
    return "table" if display.is_terminal() else "tsv"


def _csv_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    return display.block(value) if isinstance(value, str) else value


def _cell_text(cell: str | Text) -> str:
    return display.line(cell if isinstance(cell, str) else cell.plain)


@dataclass(frozen=True)
class Listing:
    """What one listing command prints, in every format.

    ``records`` are the machine formats' rows (their keys are the CSV columns, in order);
    ``document``, if given, replaces the list of records in ``--format json``; ``headers``
    and ``rows`` are the table's (and TSV's) columns; ``empty`` is said on a terminal when
    there is nothing, ``footer`` after the table.
    """

    records: Sequence[Mapping[str, Any]]
    headers: Sequence[str]
    rows: Callable[[], Sequence[Row]]
    empty: str
    footer: str = ""
    document: Any = None
    fields: Sequence[str] = ()


def write(app: App, fmt: str | None, listing: Listing) -> None:
    fmt = chosen(fmt)
    if fmt == "json":
        document = listing.document if listing.document is not None else list(listing.records)
        click.echo(display.json_text(document, indent=2))
    elif fmt == "jsonl":
        for record in listing.records:
            click.echo(display.json_text(record))
    elif fmt == "csv":
        _write_csv(listing)
    elif fmt == "tsv":
        for row in listing.rows():
            click.echo("\t".join(_cell_text(cell) for cell in row))
        if not listing.records and not app.quiet:
            # Standard output carries rows only; the person reading the pipe's end still
            # learns why there are none.
            app.warn(listing.empty)
    elif listing.records:
        _write_table(app, listing)
    else:
        app.say(listing.empty)


def _write_csv(listing: Listing) -> None:
    fields = listing.fields or (list(listing.records[0]) if listing.records else [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in listing.records:
        writer.writerow({key: _csv_value(value) for key, value in record.items()})
    click.echo(out.getvalue(), nl=False)


def _write_table(app: App, listing: Listing) -> None:
    from rich.table import Table

    table = Table(*listing.headers, box=None)
    for row in listing.rows():
        table.add_row(*(display.plain(c) if isinstance(c, str) else c for c in row))
    app.console.print(table)
    if listing.footer:
        app.say(listing.footer)
