"""Pure decisions of a publish run: where each changed brève goes, and which documents change.

Nothing here touches the database, the clock or the disk: the run hands in plain facts about
the brèves that changed since the last run and gets back their new placements and the set of
documents to rebuild. That is what keeps a run's cost proportional to what changed.

Archive pages (RFC 5005) are cut by *assignment*, not by rank: a brève gets a page number the
first time it is published and keeps it for good, even if it is later retracted or unpublished
(its slot then stays empty). Cutting by rank would move every later brève to another page after
one retraction or one back-dated brève, so every "full" page would change again. The price: a
back-dated brève lands on the newest page rather than among its contemporaries; each page is
still ordered oldest first, and the pages hold every published brève exactly once.

A brève's web page folder (``breves/<slug>/``) is fixed the same way, at first publication:
people link to it, so a later title or slug change never moves it. A slug another brève's
page already holds gets a number (``-2``, ``-3``…).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from brevefeed.text import slugify

#: The folder of the main feeds (feed.xml, atom.xml, feed.json at the top of the output).
MAIN = ""


@dataclass(frozen=True)
class BreveFacts:
    """What the plan needs to know about one brève."""

    id: int
    status: str
    published_at: datetime
    retracted_at: datetime | None
    section: str
    tags: tuple[str, ...]
    slug: str = ""


@dataclass(frozen=True)
class Placement:
    """Where a brève was put by the last run (one ``published_breves`` row)."""

    page: int | None
    #: Feed folders it appears in, or — when ``tombstone`` — leaves a tombstone in.
    feeds: tuple[str, ...]
    tombstone: bool = False
    #: Its web page's folder name, once it has been published.
    slug: str | None = None


@dataclass(frozen=True)
class Settings:
    page_size: int
    per_tag: bool
    per_section: bool
    #: Retractions before this instant no longer leave a tombstone.
    tombstone_cutoff: datetime
    #: The run's clock: a published brève dated after it is scheduled, shown nowhere yet
    #: (None: every published brève is due).
    now: datetime | None = None


def scheduled(breve: BreveFacts, settings: Settings) -> bool:
    return settings.now is not None and breve.published_at > settings.now


@dataclass
class PageCursor:
    """The newest archive page and how many brèves it was given."""

    last: int = 0
    count: int = 0


@dataclass
class Plan:
    placements: dict[int, Placement] = field(default_factory=dict)
    #: Feed folders whose three subscription documents must be rebuilt.
    feeds: set[str] = field(default_factory=set)
    #: Archive page numbers to rebuild.
    pages: set[int] = field(default_factory=set)
    cursor: PageCursor = field(default_factory=PageCursor)
    #: Brèves whose web page must be rebuilt.
    breves: set[int] = field(default_factory=set)
    #: Page slugs held by brèves, recorded or handed out by this plan.
    taken: set[str] = field(default_factory=set)
    #: The site-wide pages (subscribe page, sitemap index, list sitemap) must be rebuilt: they
    #: name every archive page and every feed folder.
    lists: bool = False


def tag_folder(tag: str) -> str:
    return f"tags/{slugify(tag)}"


def section_folder(section: str) -> str:
    return f"sections/{slugify(section)}"


def feeds_of(breve: BreveFacts, settings: Settings) -> tuple[str, ...]:
    """The feed folders a published brève belongs in (tags whose slug is empty have none)."""
    folders = [MAIN]
    if settings.per_section and slugify(breve.section):
        folders.append(section_folder(breve.section))
    if settings.per_tag:
        folders.extend(tag_folder(tag) for tag in breve.tags if slugify(tag))
    return tuple(dict.fromkeys(folders))


def _assign_page(plan: Plan, size: int) -> int:
    cursor = plan.cursor
    if cursor.last == 0 or cursor.count >= size:
        if cursor.last:
            # The page before gains its next-archive link.
            plan.pages.add(cursor.last)
        cursor.last += 1
        cursor.count = 0
    cursor.count += 1
    return cursor.last


def _assign_slug(breve: BreveFacts, plan: Plan) -> str:
    base = slugify(breve.slug) or f"breve-{breve.id}"
    slug, number = base, 2
    while slug in plan.taken:
        slug, number = f"{base}-{number}", number + 1
    plan.taken.add(slug)
    return slug


def place(breve: BreveFacts, before: Placement | None, plan: Plan, settings: Settings) -> Placement:
    """The new placement of one changed brève."""
    page = before.page if before else None
    slug = before.slug if before else None
    if breve.status == "published" and not scheduled(breve, settings):
        if page is None:
            page = _assign_page(plan, settings.page_size)
        if slug is None:
            slug = _assign_slug(breve, plan)
        return Placement(page, feeds_of(breve, settings), slug=slug)
    was_shown = before is not None and before.feeds and not before.tombstone
    if (
        breve.status == "retracted"
        and breve.retracted_at is not None
        and breve.retracted_at >= settings.tombstone_cutoff
        and before is not None
        and (was_shown or before.tombstone)
    ):
        return Placement(page, before.feeds, tombstone=True, slug=slug)
    return Placement(page, (), slug=slug)


def plan_changes(
    changed: Iterable[BreveFacts],
    before: dict[int, Placement],
    cursor: PageCursor,
    settings: Settings,
    taken: Iterable[str] = (),
) -> Plan:
    """Placements for the changed brèves and the documents they touch, old and new.

    New pages are handed out in publication order (then id), so the same archive and the same
    changes always give the same pages, whether a run completes or is retried after a crash.
    ``taken``: the recorded page slugs that the changed brèves' own slugs could collide with.
    """
    plan = Plan(cursor=replace(cursor), taken=set(taken))
    for breve in sorted(changed, key=lambda b: (b.published_at, b.id)):
        old = before.get(breve.id)
        new = place(breve, old, plan, settings)
        plan.placements[breve.id] = new
        if new.slug is not None:
            # Its page shows what changed, or says it is no longer published.
            plan.breves.add(breve.id)
        if old == new and breve.status != "published":
            continue
        for placement in (old, new):
            if placement is None:
                continue
            plan.feeds.update(placement.feeds)
            if placement.page is not None:
                plan.pages.add(placement.page)
    plan.lists = plan.cursor.last != cursor.last
    return plan
