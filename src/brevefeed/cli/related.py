"""Commands for related coverage: related, relate, unrelate, stories."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import click

from brevefeed.archive.breves import get_breve
from brevefeed.archive.types import iso
from brevefeed.cli import output
from brevefeed.cli.app import App, common_options
from brevefeed.related.explain import compare, reasons
from brevefeed.related.links import decide, find_item, related_items
from brevefeed.related.run import rebuild as rebuild_links
from brevefeed.related.stories import recent_stories


@click.command()
@click.argument("ref", metavar="[ID|SLUG]", required=False)
@click.option("--rejected", is_flag=True, help="Also show items an editor unrelated.")
@click.option(
    "--explain",
    "explain_ref",
    metavar="ITEM",
    help="Show the whole comparison of ITEM (number, link or entry id) with the brève.",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Link the whole archive again from scratch (manual decisions are kept).",
)
@output.format_option
@common_options
def related(
    app: App,
    ref: str | None,
    rejected: bool,
    explain_ref: str | None,
    rebuild: bool,
    fmt: str | None,
) -> None:
    """List the external items related to a brève, best first, each with its score and the
    shared words that weighed most; or explain one comparison; or rebuild every link.

    \b
    Example:
      brevefeed related moderation-des-forums-l-arcom-demande-des-comptes
      brevefeed related moderation-des-forums-l-arcom-demande-des-comptes --explain 1
      brevefeed related --rebuild
    """
    if rebuild:
        if ref:
            raise click.UsageError("--rebuild takes no ID|SLUG: it relinks the whole archive")
        with app.progress("Linking") as progress:
            report = rebuild_links(
                app.archive, app.config.related, now=datetime.now(UTC), progress=progress
            )
        app.say(
            f"related: {report.items} items grouped ({report.stories_joined} joined a story),"
            f" {report.breves} brèves, {report.links_added} links"
        )
        return
    if not ref:
        raise click.UsageError("give a brève's ID or SLUG, or --rebuild")
    if explain_ref is not None:
        _explain(app, ref, explain_ref, fmt)
        return
    with app.archive.session(write=False) as session:
        breve = get_breve(session, ref)
        rows = related_items(session, breve, include_rejected=rejected)
        why = reasons(session, breve, [r.item_id for r in rows])
    tz = app.config.site.tz
    records = [
        asdict(r) | {"published": iso(r.published), "why": why.get(r.item_id, [])} for r in rows
    ]

    def cells() -> list[output.Row]:
        return [
            (
                str(r.item_id),
                f"{r.score:.2f}",
                r.method,
                r.outlet,
                f"{r.published.astimezone(tz):%Y-%m-%d}" if r.published else "",
                ", ".join(why.get(r.item_id, [])),
                r.title,
                r.link,
            )
            for r in rows
        ]

    headers = ("item", "score", "how", "outlet", "date", "why", "title", "link")
    output.write(app, fmt, output.Listing(records, headers, cells, empty="no related item"))


def _explain(app: App, breve_ref: str, item_ref: str, fmt: str | None) -> None:
    """The comparison the linker makes, one shared word a row after a summary line."""
    with app.archive.session(write=False) as session:
        breve = get_breve(session, breve_ref)
        item = find_item(session, item_ref)
        seen = compare(session, breve, item)
    apart = "dates unknown" if seen.days_apart is None else f"{seen.days_apart:.1f} days apart"
    if output.chosen(fmt) == "table":
        app.say(
            f"item {item.id} and {breve.slug}: score {seen.score:.2f} = (words {seen.words:.3f}"
            f" + tags {seen.tags:.2f} for {seen.shared_tags} shared) × dates {seen.dates:.2f}"
            f" ({apart}), at most 1"
        )
    # Machine formats carry the summary on every row (one shared word a row).
    summary = {
        "item_id": item.id,
        "breve": breve.slug,
        "score": round(seen.score, 4),
        "words": round(seen.words, 4),
        "tags": round(seen.tags, 4),
        "dates": round(seen.dates, 4),
        "days_apart": None if seen.days_apart is None else round(seen.days_apart, 2),
    }
    records = [summary | {"term": term, "weight": round(w, 4)} for term, w in seen.terms]

    def cells() -> list[output.Row]:
        return [(term, f"{weight:.3f}") for term, weight in seen.terms]

    output.write(
        app, fmt, output.Listing(records, ("shared word", "weight"), cells, empty="no shared word")
    )


def _decide(app: App, breve_ref: str, item_ref: str, *, linked: bool) -> None:
    with app.archive.session() as session:
        breve = get_breve(session, breve_ref)
        item = find_item(session, item_ref)
        changed = decide(session, breve, item, linked=linked, now=datetime.now(UTC))
        verb = "related" if linked else "unrelated"
        app.say(f"{verb} item {item.id} and {breve.slug}" + ("" if changed else " (already so)"))


@click.command()
@click.argument("breve", metavar="BREVE")
@click.argument("item", metavar="ITEM")
@common_options
def relate(app: App, breve: str, item: str) -> None:
    """Link ITEM (number, link or entry id) to BREVE by hand; automatic passes keep it.

    \b
    Example:
      brevefeed relate moderation-des-forums-l-arcom-demande-des-comptes 1
    """
    _decide(app, breve, item, linked=True)


@click.command()
@click.argument("breve", metavar="BREVE")
@click.argument("item", metavar="ITEM")
@common_options
def unrelate(app: App, breve: str, item: str) -> None:
    """Detach ITEM from BREVE for good: automatic passes will not link them again.

    \b
    Example:
      brevefeed unrelate moderation-des-forums-l-arcom-demande-des-comptes \
          https://journal.example.org/2024/04/arcom-forums
    """
    _decide(app, breve, item, linked=False)


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--min-outlets",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Only stories covered by at least this many outlets.",
)
@output.format_option
@common_options
def stories(app: App, limit: int, min_outlets: int, fmt: str | None) -> None:
    """List recent stories with the outlets that covered them and the brève they cover.

    \b
    Example:
      brevefeed stories --min-outlets 3
    """
    with app.archive.session(write=False) as session:
        found = recent_stories(session, limit=limit, min_outlets=min_outlets)
    tz = app.config.site.tz
    records = [asdict(s) | {"latest": iso(s.latest)} for s in found]

    def rows() -> list[output.Row]:
        return [
            (
                str(s.story_id),
                f"{s.latest.astimezone(tz):%Y-%m-%d %H:%M}" if s.latest else "",
                str(s.items),
                ", ".join(s.outlets),
                s.breve,
                s.title,
            )
            for s in found
        ]

    headers = ("story", "latest", "items", "outlets", "brève", "title")
    output.write(app, fmt, output.Listing(records, headers, rows, empty="no story"))
