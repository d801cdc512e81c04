"""The archive reads the web pages need beyond the feeds': page slugs, whole brèves (sources,
retraction), the feed folders and the brèves of one archive page for the sitemap.

Like ``store``, every read is by id, by archive page or by slug through an index, and sees the
run's ``Pending`` placements as if they were recorded already.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from brevefeed.archive.models import Breve, PublishedBreve, PublishedFolder
from brevefeed.publish import store
from brevefeed.publish.store import Entry, Pending, chunks


@dataclass(frozen=True)
class PageBreve:
    """One brève as its own page shows it."""

    entry: Entry
    slug: str
    status: str
    retracted_at: datetime | None
    retraction_reason: str
    sources: tuple[str, ...]


def taken_slugs(session: Session, wanted: Iterable[str]) -> set[str]:
    """The recorded page slugs a brève wanting one of ``wanted`` could collide with: each one
    that is taken, and its numbered variants (``-2``…). Collisions are rare, so the second
    query runs for a few slugs at most."""
    hits: set[str] = set()
    for chunk in chunks(sorted(set(wanted))):
        query = select(PublishedBreve.slug).where(PublishedBreve.slug.in_(chunk))
        hits.update(slug for slug in session.scalars(query) if slug)
    taken = set(hits)
    for slug in sorted(hits):
        numbered = select(PublishedBreve.slug).where(PublishedBreve.slug.like(f"{slug}-%"))
        taken.update(found for found in session.scalars(numbered) if found)
    return taken


def recorded_slugs(session: Session, pending: Pending, ids: Iterable[int]) -> dict[int, str]:
    """Page slug by brève id, for the brèves of ``ids`` that have one."""
    found: dict[int, str] = {}
    unknown: list[int] = []
    for breve_id in ids:
        placement = pending.placements.get(breve_id)
        if placement is None:
            unknown.append(breve_id)
        elif placement.slug is not None:
            found[breve_id] = placement.slug
    for chunk in chunks(unknown):
        query = select(PublishedBreve.breve_id, PublishedBreve.slug).where(
            PublishedBreve.breve_id.in_(chunk), PublishedBreve.slug.is_not(None)
        )
        found.update({breve_id: slug for breve_id, slug in session.execute(query) if slug})
    return found


def breve_pages(session: Session, pending: Pending, ids: Sequence[int]) -> list[PageBreve]:
    """The brèves of ``ids`` that have a page, with what their page shows."""
    slugs = recorded_slugs(session, pending, ids)
    columns = (*store.ENTRY_COLUMNS, Breve.status, Breve.retracted_at, Breve.retraction_reason)
    rows: list[Row[Any]] = []
    for chunk in chunks(sorted(slugs)):
        rows.extend(session.execute(select(*columns).where(Breve.id.in_(chunk)).order_by(Breve.id)))
    entries = store._entries(session, rows)
    return [
        PageBreve(
            entry=entry,
            slug=slugs[row.id],
            status=row.status,
            retracted_at=row.retracted_at,
            retraction_reason=row.retraction_reason or "",
            sources=tuple(row.sources),
        )
        for row, entry in zip(rows, entries, strict=True)
    ]


def folders(session: Session, pending: Pending) -> list[str]:
    """Every tag and section feed folder known, sorted."""
    known = set(session.scalars(select(PublishedFolder.folder)))
    return sorted(known | set(pending.names))


def sitemap_breves(session: Session, pending: Pending, page: int) -> list[tuple[str, datetime]]:
    """(slug, last change) of the brèves of archive page ``page`` whose page is shown."""
    recorded = session.execute(
        select(PublishedBreve.breve_id, PublishedBreve.slug).where(PublishedBreve.page == page)
    )
    slugs = {i: s for i, s in recorded if i not in pending.placements}
    # The run's placements on this page by its index (a scan of every placement for each
    # page would cost brèves × pages in a full publish).
    placed = ((i, pending.placements[i].slug) for i in pending.pages.get(page, ()))
    slugs.update((i, slug) for i, slug in placed if slug is not None)
    found: list[tuple[str, datetime]] = []
    for chunk in chunks(sorted(i for i, s in slugs.items() if s)):
        query = select(Breve.id, Breve.updated_at, Breve.retracted_at).where(
            Breve.id.in_(chunk), or_(Breve.status == "published", Breve.status == "retracted")
        )
        for breve_id, updated, retracted in session.execute(query):
            slug = slugs[breve_id]
            assert slug is not None
            found.append((slug, max(updated, retracted or updated)))
    return sorted(found)
