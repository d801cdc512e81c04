"""`brevefeed ingest` and `brevefeed sources …`: follow other outlets' feeds."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy.orm import Session

from brevefeed.cli import display, output
from brevefeed.cli.app import App, common_options, write_atomically
from brevefeed.errors import BrevefeedError, ExitCode, InputError
from brevefeed.ingest import sources as registry
from brevefeed.ingest.filters import keeps
from brevefeed.ingest.opml import Outline, read_opml, write_opml

if TYPE_CHECKING:
    from brevefeed.ingest.run import RunSummary


@contextmanager
def _sources_session(app: App) -> Iterator[Session]:
    """A transaction that first brings config.toml's [[sources]] in step (re-read each run)."""
    with app.archive.session() as session:
        registry.sync_config(session, app.config.sources, datetime.now(UTC))
        yield session


@contextmanager
def _sources_snapshot(app: App) -> Iterator[Session]:
    """A read-only view of the sources, config.toml's [[sources]] included.

    Listing must not queue for the write lock behind a long ingest: the config is written
    into the archive only when it changed since the last command that wrote it.
    """
    declared = app.config.sources
    with app.archive.session(write=False) as session:
        if registry.config_in_step(session, declared):
            yield session
            return
    with _sources_session(app) as session:
        yield session


def _report(app: App, summary: RunSummary) -> None:
    if app.quiet:
        return
    for failure in summary.failures:
        click.echo(f"  {display.line(failure)}", err=True)
    click.echo(str(summary))


@click.command()
@click.option("--all", "all_sources", is_flag=True, help="Fetch every source, due or not.")
@click.option("--source", metavar="URL|NAME", help="Fetch this source only, due or not.")
@click.option(
    "--backfill",
    "backfill_ref",
    metavar="URL|NAME",
    help="Archive this source's whole history along its RFC 5005 prev-archive links.",
)
@common_options
def ingest(app: App, all_sources: bool, source: str | None, backfill_ref: str | None) -> None:
    """Fetch the feeds that are due and store their new and changed items.

    Failing sources are recorded (see `brevefeed sources list`) and the exit code stays 0;
    only a configuration or archive problem is fatal. Neither --all nor --source fetches a
    source marked gone (HTTP 410) or one whose Retry-After has not passed.

    \b
    Example:
      brevefeed ingest --quiet          # from cron, every 15 minutes
      brevefeed ingest --source "Le Journal"
      brevefeed ingest --backfill https://journal.example.org/feed.xml
    """
    # httpx and the fetch machinery are loaded by the commands that fetch, not by
    # `sources list`, which monitoring may run every minute.
    from brevefeed.pipeline import ingest_and_link

    if backfill_ref is not None and (all_sources or source):
        raise click.UsageError("--backfill cannot be combined with --all or --source")
    report = ingest_and_link(
        app.archive, app.config, all_sources=all_sources, source=source,
        backfill_ref=backfill_ref, stages=app.progress,
    )  # fmt: skip
    _report(app, report.ingest)
    linked = report.linked
    if linked.items:
        app.say(f"related: {linked.items} items grouped, {linked.links_added} links to brèves")


@click.group()
def sources() -> None:
    """Follow, pause and list other outlets' feeds.

    \b
    Example:
      brevefeed sources list --format json
      brevefeed sources disable "Le Journal"
    """


@sources.command(name="add")
@click.argument("url")
@click.option("--name", default="", help="What the newsroom calls it (default: none).")
@click.option(
    "--keywords",
    default="",
    help="Comma-separated; keep only this source's items mentioning one (or a global keyword).",
)
@click.option("--no-discover", is_flag=True, help="Follow URL as given, without fetching it.")
@click.option("--force", is_flag=True, help="Follow URL even if it cannot be fetched now.")
@common_options
def add(app: App, url: str, name: str, keywords: str, no_discover: bool, force: bool) -> None:
    """Follow a feed. A web page's URL is replaced by the feed it declares.

    A URL that cannot be fetched (HTTP 404, no such host…) is refused, as a typo most often
    is; --force follows it anyway (the next ingest retries it).

    \b
    Example:
      brevefeed sources add https://journal.example.org/ --name "Le Journal" \\
          --keywords "haine en ligne, harcèlement"
    """
    from brevefeed.ingest.discover import resolve_feed_url
    from brevefeed.ingest.run import fetch_settings

    declared = registry.check_url(url)
    feed_url, note = declared, None
    if not no_discover:
        feed_url, note = resolve_feed_url(declared, fetch_settings(app.config))
        if note and not force:
            raise BrevefeedError(
                f"{declared}: cannot be fetched ({note}); check the address,"
                " or follow it anyway with --force"
            )
    words = [k.strip() for k in keywords.split(",") if k.strip()]
    with _sources_session(app) as session:
        registry.add_source(
            session, feed_url, datetime.now(UTC), name=name, keywords=words, declared_url=feed_url
        )
    if note:
        app.warn(f"{declared}: could not be fetched now ({note}); following it as given")
    app.say(f"following {feed_url}" + (f" (found on {declared})" if feed_url != declared else ""))


@sources.command(name="list")
@output.format_option
@common_options
def list_(app: App, fmt: str | None) -> None:
    """Every source with its state: last fetch, HTTP status, errors, next fetch, items.

    \b
    Example:
      brevefeed sources list --format json
    """
    ingest = app.config.ingest
    with _sources_snapshot(app) as session:
        records = [
            row.record() | {"keeps": keeps(ingest.keywords, ingest.keep, row.source.keywords or [])}
            for row in registry.list_sources(session)
        ]
    tz = app.config.site.tz

    def local(value: str | None) -> str:
        return f"{datetime.fromisoformat(value).astimezone(tz):%Y-%m-%d %H:%M}" if value else "-"

    def rows() -> list[output.Row]:
        return [
            (
                r["name"] or r["title"],
                r["url"],
                r["status"],
                local(r["last_fetch"]),
                str(r["last_status"] or "-"),
                str(r["consecutive_errors"]),
                local(r["next_fetch"]),
                str(r["items"]),
                str(r["id_collisions"]),
                str(r["dropped_links"]),
                r["keeps"],
                r["last_error"] or "",
            )
            for r in records
        ]

    headers = ("name", "url", "status", "last fetch", "HTTP", "errors", "next fetch", "items",
               "id clashes", "links dropped", "keeps", "last error")  # fmt: skip
    empty = "no source followed (add one with `brevefeed sources add URL`)"
    output.write(app, fmt, output.Listing(records, headers, rows, empty=empty))


@sources.command(name="remove")
@click.argument("ref", metavar="URL|NAME")
@common_options
def remove(app: App, ref: str) -> None:
    """Stop following a source and delete it with its items.

    \b
    Example:
      brevefeed sources remove "Le Journal"
    """
    with _sources_session(app) as session:
        url, count = registry.remove_source(session, ref)
    app.say(f"removed {url} and its {count} items")


def _toggle(app: App, ref: str, enabled: bool) -> None:
    with _sources_session(app) as session:
        source = registry.set_enabled(session, ref, enabled)
        url = source.url
    app.say(f"{'enabled' if enabled else 'disabled'} {url}")


@sources.command(name="enable")
@click.argument("ref", metavar="URL|NAME")
@common_options
def enable(app: App, ref: str) -> None:
    """Resume a source; also clears a 410 Gone, a Retry-After and the error backoff.

    \b
    Example:
      brevefeed sources enable https://journal.example.org/feed.xml
    """
    _toggle(app, ref, True)


@sources.command(name="disable")
@click.argument("ref", metavar="URL|NAME")
@common_options
def disable(app: App, ref: str) -> None:
    """Pause a source: kept with its items, not fetched until enabled.

    \b
    Example:
      brevefeed sources disable "Le Journal"
    """
    _toggle(app, ref, False)


@sources.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@common_options
def import_(app: App, file: Path) -> None:
    """Follow every feed of an OPML file (those already followed are skipped).

    \b
    Example:
      brevefeed sources import abonnements.opml
    """
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=str(file)) from None
    listed = read_opml(data, str(file))
    for line in listed.rejected:
        app.warn(line)
    added = followed = 0
    now = datetime.now(UTC)
    with _sources_session(app) as session:
        for outline in listed.outlines:
            try:
                with session.begin_nested():
                    registry.add_source(
                        session, outline.url, now, name=outline.name, keywords=outline.keywords
                    )
                added += 1
            except InputError:
                followed += 1
    app.say(
        f"{added} sources added, {followed} already followed,"
        f" {len(listed.rejected)} refused (bad URL)"
    )
    if listed.rejected:
        sys.exit(ExitCode.PARTIAL)


@sources.command(name="export")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file."
)
@common_options
def export(app: App, output: Path | None) -> None:
    """Write the followed sources as OPML 2.0.

    \b
    Example:
      brevefeed sources export -o abonnements.opml
    """
    with _sources_snapshot(app) as session:
        outlines = [
            Outline(
                row.source.url,
                row.source.outlet,
                registry.site_of(row.source),
                tuple(row.source.keywords or ()),
            )
            for row in registry.list_sources(session)
            if row.source.origin != "dropped"
        ]
    text = write_opml(app.config.site.title, outlines, datetime.now(UTC))
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomically(output, iter(text.rstrip("\n").split("\n")))
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", source=str(output)) from None
    app.say(f"exported {len(outlines)} sources to {output}")
