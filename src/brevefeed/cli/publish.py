"""`brevefeed publish`: write the feeds, archive pages and tombstones; ping the WebSub hub."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from brevefeed.cli.app import App, common_options
from brevefeed.publish import publish as run_publish


@click.command()
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="If another publish is running, wait this long for it before giving up (exit 4).",
)
@click.option("--dry-run", is_flag=True, help="Say which files would change; write nothing.")
@common_options
def publish(app: App, wait: float, dry_run: bool) -> None:
    """Publish the archive as RSS, Atom and JSON feeds into [publish] output.

    Only documents whose content changed are rewritten; a run with nothing new touches no
    file. Prints one summary line (nothing with --quiet unless something failed).

    \b
    Example:
      brevefeed publish
      brevefeed publish --quiet --wait 60   # from cron, every 5 minutes
    """
    config = app.config
    with app.progress("Publishing") as progress:
        report = run_publish(
            app.archive,
            config,
            now=datetime.now(UTC),
            wait=wait,
            dry_run=dry_run,
            progress=progress,
        )
    for warning in report.warnings:
        app.warn(warning)
    if dry_run and not app.quiet:
        for path in report.written:
            click.echo(f"would write {path}")
    app.say(str(report))
