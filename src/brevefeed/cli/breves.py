"""Commands that write and read brèves: add, import, show, retract, delete, export."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brevefeed.cli import display
from brevefeed.cli.app import App, common_options, editor_option, write_atomically
from brevefeed.cli.dates import INSTANT, Period, french_datetime
from brevefeed.errors import ExitCode, InputError

if TYPE_CHECKING:
    from brevefeed.importing import ImportContext, ImportSummary

# The commands that write (and `show`, `export`) import the importer, Markdown rendering and
# the linker when they run.


def _context(app: App, editor: str, date: Period | None) -> ImportContext:
    from brevefeed.importing import ImportContext

    default_date = date.start(app.config.site.tz) if date else None
    return ImportContext(
        site=app.config.site, editor=editor, now=datetime.now(UTC), default_date=default_date
    )


def _link(app: App, summary: ImportSummary) -> None:
    """Attach ingested coverage to the brèves just added or edited."""
    from brevefeed.related.run import link_changed_breves

    now = datetime.now(UTC)
    config = app.config.related
    link_changed_breves(app.archive, config, summary.created_uids, now=now)
    link_changed_breves(app.archive, config, summary.updated_uids, now=now, count=False)


#: A date further ahead than this is more likely a typo (2031 for 2021) than a plan.
SCHEDULE_WARNING = timedelta(days=30)


def _report(app: App, summary: ImportSummary) -> None:
    for saved in summary.saved:
        app.say(f"{saved.change} {saved.slug} {saved.uid}")
    tz, now = app.config.site.tz, datetime.now(UTC)
    for source, slug, when in summary.scheduled:
        app.say(f"{source}: {slug} scheduled for {french_datetime(when, tz)}")
        if when - now > SCHEDULE_WARNING:
            app.warn(f"{source}: {slug} is dated more than 30 days ahead; is the year right?")
    for error in summary.errors:
        app.warn(str(error))
    if summary.failed or not app.quiet:
        click.echo(str(summary), err=bool(summary.failed and app.quiet))
    if summary.failed:
        sys.exit(ExitCode.PARTIAL)


date_option = click.option(
    "--date",
    type=INSTANT,
    metavar="DATE",
    help="Publication date for files that carry none (default: now). E.g. 2024-05-07T18:30.",
)


@click.command()
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False, path_type=str))
@date_option
@editor_option
@common_options
def add(app: App, file: str, date: Period | None, editor: str) -> None:
    """Add one brève (or edit the one it matches) from FILE, or - for standard input.

    \b
    Example:
      brevefeed add examples/2024-04-02-moderation-des-forums.md
      cat examples/2024-06-18-coeur-de-la-prevention.md | brevefeed add - --date 2024-06-18
    """
    from brevefeed.importing import ImportSummary, parse_input, read_input, save_one

    context = _context(app, editor, date)
    summary = ImportSummary()
    if file == "-":
        parsed = parse_input(sys.stdin.buffer.read(), "<stdin>", None, context)
    else:
        parsed = read_input(Path(file), context)
    with app.archive.session() as session:
        save_one(session, parsed, context, summary)
    _link(app, summary)
    _report(app, summary)


@click.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@date_option
@editor_option
@common_options
def import_(app: App, paths: tuple[Path, ...], date: Period | None, editor: str) -> None:
    """Import brève files, directories of them (recursively) and archive exports.

    Markdown with +++ TOML front matter, scraped page text and `brevefeed export` files are
    recognised by their content. Importing the same file twice changes nothing; an edited
    file becomes a new revision of its brève.

    \b
    Example:
      brevefeed import examples/
      brevefeed import sauvegarde.jsonl
    """
    from brevefeed.importing import import_paths

    context = _context(app, editor, date)
    with app.progress("Importing") as progress:
        summary = import_paths(app.archive, paths, context, progress=progress)
    _link(app, summary)
    _report(app, summary)


@click.command()
@click.argument("ref", metavar="ID|SLUG")
@click.option("--raw", is_flag=True, help="Print the body's Markdown source.")
@click.option("--html", is_flag=True, help="Print the body's sanitized HTML.")
@click.option("--revisions", is_flag=True, help="Also list earlier versions.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@common_options
def show(app: App, ref: str, raw: bool, html: bool, revisions: bool, fmt: str) -> None:
    """Show every field of one brève.

    ID|SLUG may be the start of a slug that only one brève has.

    \b
    Example:
      brevefeed show moderation --revisions
    """
    from brevefeed.archive.breves import get_breve
    from brevefeed.archive.exchange import breve_record
    from brevefeed.authoring.draft import DATE_SOURCES

    tz = app.config.site.tz
    with app.archive.session(write=False) as session:
        breve = get_breve(session, ref, prefix=True)
        record = breve_record(breve)
        record["body_html"] = breve.body_html
        record["date_source"] = breve.date_source
    if not revisions:
        record.pop("revisions")
    if fmt == "json":
        click.echo(display.json_text(record, indent=2))
        return

    def echo(text: str) -> None:
        click.echo(display.block(text))

    def field(label: str, value: object) -> None:
        click.echo(f"{label + ':':<12}{display.line(value)}")

    for key in ("id", "slug", "title", "section", "language", "status"):
        field(key, record[key])
    field("authors", ", ".join(record["authors"]))
    field("tags", ", ".join(record["tags"]))
    for key in ("published", "updated", "retracted"):
        if record[key]:
            local = datetime.fromisoformat(record[key]).astimezone(tz)
            field(key, f"{local:%Y-%m-%d %H:%M %Z}")
    if record["date_source"]:
        field("date from", DATE_SOURCES.get(record["date_source"], record["date_source"]))
    if record["retraction_reason"]:
        field("reason", record["retraction_reason"])
    for url in record["sources"]:
        field("source", url)
    echo(f"\n{record['standfirst']}\n" if record["standfirst"] else "")
    if raw:
        echo(record["body"])
    elif html:
        echo(record["body_html"])
    else:
        from rich.markdown import Markdown

        # Links shown as "text (url)", not as terminal hyperlinks a file could aim anywhere.
        app.console.print(Markdown(display.block(record["body"]), hyperlinks=False))
    for rev in record.get("revisions", []):
        when = datetime.fromisoformat(rev["recorded"]).astimezone(tz)
        click.echo(
            display.line(
                f"revision {rev['number']}: {when:%Y-%m-%d %H:%M} by {rev['editor']},"
                f" changed {', '.join(rev['changed'])}"
            )
        )


@click.command(name="retract")
@click.argument("ref", metavar="ID|SLUG")
@click.option("--reason", help="Why it is retracted (shown to subscribers).")
@click.option("--undo", is_flag=True, help="Restore a retracted brève (a new revision).")
@editor_option
@common_options
def retract_(app: App, ref: str, reason: str | None, undo: bool, editor: str) -> None:
    """Retract a brève: it stays in the archive, marked retracted with its reason.

    With --undo, a retracted brève comes back with the status it had, and its tombstone
    leaves the feeds at the next publish.

    \b
    Example:
      brevefeed retract harcelement-en-ligne-une-plainte-collective-deposee-a-lyon \
          --reason "Chiffres erronés"
      brevefeed retract harcelement-en-ligne-une-plainte-collective-deposee-a-lyon --undo
    """
    from brevefeed.archive.breves import retract, unretract

    if undo == (reason is not None):
        raise click.UsageError("give either --reason TEXT or --undo")
    now = datetime.now(UTC)
    with app.archive.session() as session:
        if undo:
            breve = unretract(session, ref, editor=editor, now=now)
            app.say(f"restored {breve.slug} ({breve.status})")
        else:
            assert reason is not None
            breve = retract(session, ref, reason=reason, editor=editor, now=now)
            app.say(f"retracted {breve.slug}")


@click.command()
@click.argument("ref", metavar="ID|SLUG")
@common_options
def delete(app: App, ref: str) -> None:
    """Delete a brève that was never published (a draft, an import mistake), with its revisions.

    A brève a publish run has put in the feeds cannot be deleted: retract it.

    \b
    Example:
      printf '+++\\ntitle = "Brouillon"\\nstatus = "draft"\\n+++\\nÀ relire.\\n' | brevefeed add -
      brevefeed delete brouillon
    """
    from brevefeed.archive.breves import delete_breve

    with app.archive.session() as session:
        breve = delete_breve(session, ref)
        app.say(f"deleted {breve.slug} {breve.uid}")


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
@common_options
def export(app: App, output: Path | None) -> None:
    """Export the whole archive as JSON Lines, revisions included.

    The file imports back with `brevefeed import`, giving an identical archive.

    \b
    Example:
      brevefeed export -o sauvegarde.jsonl
    """
    from brevefeed.archive.exchange import export_lines

    with app.archive.session(write=False) as session:
        if output is None:
            for line in export_lines(session):
                click.echo(line)
            return
        try:
            count = write_atomically(output, export_lines(session))
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", source=str(output)) from None
    app.say(f"exported {count} records to {output}")
