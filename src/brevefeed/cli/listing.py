"""Commands that list brèves and tags: they only read, through SQLAlchemy Core, and so start
without the ORM, the models or anything that writes (see ``archive.queries``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from brevefeed.archive.queries import SCHEDULED, BreveFilter, BreveSummary, list_breves, tag_counts
from brevefeed.archive.tables import STATUSES
from brevefeed.archive.types import iso
from brevefeed.cli import output
from brevefeed.cli.app import App, common_options
from brevefeed.cli.dates import Period, since_option, until_option


def shown_status(breve: BreveSummary, now: datetime) -> str:
    """A published brève dated after now is scheduled: in no feed or search yet."""
    if breve.status == "published" and breve.published_at > now:
        return SCHEDULED
    return breve.status


def _summary_record(breve: BreveSummary, now: datetime) -> dict[str, Any]:
    return {
        "id": breve.uid,
        "slug": breve.slug,
        "title": breve.title,
        "authors": list(breve.authors),
        "section": breve.section,
        "tags": breve.tags,
        "status": shown_status(breve, now),
        "published": iso(breve.published_at),
        "updated": iso(breve.updated_at),
    }


@click.command(name="list")
@click.option("--tag", help="Only brèves with this tag (any spelling: case, accents).")
@since_option
@until_option
@click.option(
    "--status",
    type=click.Choice((*STATUSES, SCHEDULED)),
    help="Only brèves with this status (scheduled: published, dated in the future).",
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@output.format_option
@common_options
def list_(
    app: App,
    tag: str | None,
    since: Period | None,
    until: Period | None,
    status: str | None,
    limit: int,
    fmt: str | None,
) -> None:
    """List brèves, newest first.

    \b
    Example:
      brevefeed list --tag justice --since 2024-05 --format json
    """
    tz = app.config.site.tz
    now = datetime.now(UTC)
    where = BreveFilter(
        tag=tag,
        since=since.start(tz) if since else None,
        until=until.end(tz) if until else None,
        status=status,
        now=now,
    )
    with app.archive.reading() as connection:
        records = [_summary_record(b, now) for b in list_breves(connection, where, limit=limit)]

    def rows() -> list[output.Row]:
        return [
            (
                f"{datetime.fromisoformat(r['published']).astimezone(tz):%Y-%m-%d %H:%M}",
                r["slug"],
                r["title"],
                ", ".join(r["authors"]),
                ", ".join(r["tags"]),
                r["status"],
            )
            for r in records
        ]

    headers = ("date", "slug", "title", "authors", "tags", "status")
    output.write(app, fmt, output.Listing(records, headers, rows, empty="no brève matches"))


@click.command()
@output.format_option
@common_options
def tags(app: App, fmt: str | None) -> None:
    """List tags (each by its first spelling) with their brèves.

    « Justice », « justice » and « JUSTICE » are one tag: `list --tag` and `search tag:`
    take any spelling of it.

    \b
    Example:
      brevefeed tags --format json
    """
    with app.archive.reading() as connection:
        records = [{"tag": t.name, "breves": t.count} for t in tag_counts(connection)]

    def rows() -> list[output.Row]:
        return [(str(r["tag"]), str(r["breves"])) for r in records]

    output.write(app, fmt, output.Listing(records, ("tag", "breves"), rows, empty="no tag yet"))
