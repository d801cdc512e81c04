"""`brevefeed publish`: write the feeds, web pages, archive pages and tombstones; ping the
WebSub hub. `brevefeed serve`: preview the output folder locally."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from brevefeed.cli.app import App, common_options
from brevefeed.errors import BrevefeedError, ExitCode
from brevefeed.publish import publish as run_publish
from brevefeed.publish.run import base_url, output_folder


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
@click.option("--force", is_flag=True, help="Rebuild and rewrite every file, changed or not.")
@click.option(
    "--verify",
    is_flag=True,
    help="Check every file of the output now, not only this run's share of the pages.",
)
@common_options
def publish(app: App, wait: float, dry_run: bool, force: bool, verify: bool) -> None:
    """Publish the archive as web pages and RSS, Atom and JSON feeds into [publish] output.

    Only documents whose content changed are rewritten; a run with nothing new touches no
    file. Files deleted or overwritten by hand since the last run are found (size and mtime,
    a hash on mismatch) and rewritten: the feeds, lists and any folder changed by hand at
    once, the brève and archive pages by turns (1,000 a run), all of them with --verify.
    Prints one summary line, counting the files left alone (nothing with --quiet unless
    something failed).

    \b
    Example:
      brevefeed publish
      brevefeed publish --force
      brevefeed publish --verify            # after editing the output by hand
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
            force=force,
            verify=verify,
        )
    for warning in report.warnings:
        app.warn(warning)
    if dry_run and not app.quiet:
        for path in report.written:
            click.echo(f"would write {path}")
    app.say(str(report))


class ServeError(BrevefeedError):
    exit_code = ExitCode.USAGE


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--bind",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESS",
    help="Address to listen on (the default lets no other machine in).",
)
@common_options
def serve(app: App, port: int, bind: str) -> None:
    """Preview [publish] output at http://127.0.0.1:PORT/ under base_url's path; Ctrl-C stops.

    \b
    Example:
      brevefeed publish && brevefeed serve --port 8080
    """
    # http.server is loaded for this command only.
    from brevefeed.publish.serve import local_url, make_server

    config = app.config
    base, out = base_url(config), output_folder(config)
    if not (out / "index.html").is_file():
        raise ServeError(f"{out}: no index.html to serve (run `brevefeed publish` first)")
    try:
        server = make_server(out, base, port, bind)
    except OSError as exc:
        raise ServeError(f"cannot listen on {bind}:{port}: {exc.strerror or exc}") from None
    app.say(f"serving {out} at {local_url(server, base)} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
