"""`brevefeed search`: full-text search of brèves and ingested items, and index rebuilds."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, tzinfo
from typing import Any

import click

from brevefeed.archive.types import iso
from brevefeed.cli import display, output
from brevefeed.cli.app import App, common_options
from brevefeed.cli.dates import Period, since_option, until_option
from brevefeed.errors import ExitCode
from brevefeed.search import Hit, SearchPage, SearchRequest, search
from brevefeed.search.plan import KINDS, SORTS
from brevefeed.search.results import with_markers

#: The fields of --format json/jsonl/csv, in this order (documented in README: keep stable).
FIELDS = (
    "id", "kind", "url", "title", "date", "score", "snippet", "source", "authors", "tags",
    "outlets",
)  # fmt: skip


def hit_record(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "kind": hit.kind,
        "url": hit.url,
        "title": hit.title,
        "date": iso(hit.date),
        "score": round(hit.score, 6),
        "snippet": with_markers(hit.snippet),
        "source": hit.source,
        "authors": hit.authors,
        "tags": hit.tags,
        "outlets": hit.outlets,
    }


def _rows(page: SearchPage, tz: tzinfo, *, bold: bool) -> list[output.Row]:
    rows: list[output.Row] = []
    for hit in page.hits:
        # Bold needs a terminal; anywhere else the matched words keep their [markers].
        passage = display.marked(hit.snippet) if bold else with_markers(hit.snippet)
        kind = "brève" if hit.kind == "breve" else "item"
        if hit.retracted:
            kind += " (retracted)"
        elif hit.draft:
            kind += " (draft)"
        rows.append(
            (
                f"{hit.date.astimezone(tz):%Y-%m-%d}" if hit.date else "",
                kind,
                ", ".join(hit.outlets) or hit.source or ", ".join(hit.authors),
                hit.title,
                passage,
            )
        )
    return rows


def _listing(page: SearchPage, tz: tzinfo, offset: int, *, bold: bool) -> output.Listing:
    records = [hit_record(hit) for hit in page.hits]
    last = offset + len(page.hits)
    total = f"{page.total:,}" if page.exact else f"more than {page.total:,}"
    order = ", ranked by tiers" if page.tiered else ""
    return output.Listing(
        records,
        headers=("date", "kind", "source / author", "title", "passage"),
        rows=lambda: _rows(page, tz, bold=bold),
        empty=f"no hits ({page.total} in all)" if page.total else "no hits",
        footer=f"{total} hits (showing {offset + 1}–{last}{order})",
        document={"total": page.total, "total_exact": page.exact, "hits": records},
        fields=FIELDS,
    )


class QueryCommand(click.Command):
    """A command whose arguments are query words: ``-word`` is an exclusion, not an option.

    Only long options (``--since 2021``, anywhere on the line) and the short flags the
    command knows (``-h``, ``-q``, ``-v``, ``-vv``) are options; every other word, ``-fermé``
    included, is the query's, in the order typed. ``--`` still ends the options.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._query_last(ctx, args))

    def _query_last(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``args`` with the options first, then ``--``, then the query's words."""
        takes_value: dict[str, bool] = {}
        short = set(ctx.help_option_names)
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    takes_value[name] = not (param.is_flag or param.count)
                    if not name.startswith("--"):
                        short.add(name)
        options: list[str] = []
        words: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                words.extend(rest)
            elif arg.startswith("--") or self._short_flags(arg, short):
                options.append(arg)
                value = next(rest, None) if takes_value.get(arg, False) else None
                if value is not None:
                    options.append(value)
            else:
                words.append(arg)
        return [*options, "--", *words] if words else options

    @staticmethod
    def _short_flags(arg: str, known: set[str]) -> bool:
        """``-h``, ``-q``, ``-vv``: a cluster of known one-letter flags, not a word."""
        letters = arg[1:]
        return arg.startswith("-") and bool(letters) and all(f"-{c}" in known for c in letters)


@click.command(name="search", cls=QueryCommand)
@click.argument("query", nargs=-1)
@since_option
@until_option
@click.option(
    "--kind",
    type=click.Choice(list(KINDS)),
    default="all",
    show_default=True,
    help="What to find.",
)
@click.option("--tag", "tags", multiple=True, metavar="TAG", help='Same as tag:"TAG" (repeatable).')
@click.option(
    "--source", "sources", multiple=True, metavar="NAME", help='Same as source:"NAME" (repeatable).'
)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=10_000),
    help="Hits per page (default: [search] limit in config.toml, 20).",
)
@click.option("--offset", type=click.IntRange(min=0, max=1_000_000), default=0, show_default=True)
@click.option("--include-retracted", is_flag=True, help="Also show retracted brèves.")
@click.option("--include-drafts", is_flag=True, help="Also show drafts (never public).")
@click.option(
    "--all-items",
    is_flag=True,
    help="One line per item, not one per story (the same story told by several outlets).",
)
@output.format_option
@click.option("--reindex", is_flag=True, help="Rebuild the whole search index, then exit.")
@common_options
def search_(
    app: App,
    query: tuple[str, ...],
    since: Period | None,
    until: Period | None,
    kind: str,
    tags: tuple[str, ...],
    sources: tuple[str, ...],
    sort: str,
    limit: int | None,
    offset: int,
    include_retracted: bool,
    include_drafts: bool,
    all_items: bool,
    fmt: str | None,
    reindex: bool,
) -> None:
    """Search brèves and ingested items, in French: accents, case, elisions and word forms
    do not matter. Exits 0 with hits, 1 with none (like grep), 2 on a bad query.

    \b
    Query language:
      agression homophobe       every word (any form: agressions, homophobes…)
      "exact phrase"            words in this order
      darmanin OR retailleau    either
      -word  -"a phrase"        without (no quoting needed: only --options, -h, -q
                                and -v are options; -- ends them)
      le, les, une, du…         ignored (too common); a query of them only is refused
      pédocrim*                 prefix
      title:  author:  tag:  source:    one field, e.g. title:forum tag:"en ligne"
      ( … )                     grouping: (forum OR site) -"fausse alerte"

    \b
    Example:
      brevefeed search 'plainte collective' --since 2024 --kind breves
      brevefeed search '"décision de justice" OR title:arcom' --format jsonl
      brevefeed search forum -fermé
      brevefeed search --reindex
    """
    if reindex:
        from brevefeed.archive.index import rebuild

        with app.archive.session() as session, app.progress("Indexing") as progress:
            count = rebuild(session.connection(), progress)
        app.say(f"indexed {count} brèves and items")
        return
    if not query:
        raise click.UsageError("give a query (see --help), or --reindex")
    settings = app.config.search
    tz = app.config.site.tz
    request = SearchRequest(
        query=" ".join(query),
        kinds=KINDS[kind],
        sort=sort,  # type: ignore[arg-type]
        since=since.start(tz) if since else None,
        until=until.end(tz) if until else None,
        tags=tags,
        sources=sources,
        include_retracted=include_retracted,
        # Scheduled brèves are not public yet: shown with the drafts, on request.
        scheduled_after=None if include_drafts else datetime.now(UTC),
        include_drafts=include_drafts,
        limit=limit or settings.limit,
        offset=offset,
        rank_window=settings.rank_window,
        count_limit=settings.count_limit,
        snippet_width=settings.snippet_length,
        group_stories=not all_items,
    )
    with app.archive.reading() as connection:
        page = search(connection, request)
    bold = output.chosen(fmt) == "table" and display.is_terminal()
    output.write(app, fmt, _listing(page, tz, offset, bold=bold))
    if page.total == 0:
        sys.exit(ExitCode.PARTIAL)
