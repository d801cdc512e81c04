"""The related passes as commands run them: batched transactions over an open archive."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import select

from brevefeed.archive import Archive
from brevefeed.archive.models import Breve, Item
from brevefeed.config import RelatedConfig
from brevefeed.related.candidates import find_breves, find_breves_many, find_items
from brevefeed.related.linker import (
    LinkMemory,
    LinkReport,
    breve_terms,
    link_breves,
    link_new_items,
    reset_links,
)
from brevefeed.related.stats import count_documents

BATCH = 200
Progress = Callable[[int, int], None]


def link_pending_items(
    archive: Archive, config: RelatedConfig, *, now: datetime, progress: Progress | None = None
) -> LinkReport:
    """Group and link every item not processed yet, one transaction per batch."""
    report = LinkReport()
    with archive.session(write=False) as session:
        pending = session.scalar(select(Item.id).where(Item.story_id.is_(None)).limit(1))
    memory = LinkMemory()
    while pending is not None:
        with archive.session() as session:
            part = link_new_items(
                session, config, find_breves, now=now, limit=BATCH, memory=memory,
                find_many=find_breves_many,
            )  # fmt: skip
        report.merge(part)
        if progress:
            progress(report.items, report.items)
        if part.items < BATCH:
            break
    return report


def link_changed_breves(
    archive: Archive,
    config: RelatedConfig,
    uids: Iterable[str],
    *,
    now: datetime,
    count: bool = True,
) -> LinkReport:
    """Choose anew the automatic links of these brèves (added or edited)."""
    report = LinkReport()
    wanted = list(dict.fromkeys(uids))
    for start in range(0, len(wanted), BATCH):
        with archive.session() as session:
            chunk = wanted[start : start + BATCH]
            ids = list(session.scalars(select(Breve.id).where(Breve.uid.in_(chunk))))
            report.merge(link_breves(session, ids, config, find_items, now=now, count=count))
    return report


def rebuild(
    archive: Archive, config: RelatedConfig, *, now: datetime, progress: Progress | None = None
) -> LinkReport:
    """Forget automatic links and stories, then link everything again (manual links stay)."""
    with archive.session() as session:
        reset_links(session)
        uids = list(session.scalars(select(Breve.uid).order_by(Breve.id)))
    report = LinkReport()
    # Brèves are counted into the term statistics first, items as they are grouped; then
    # items link to brèves, and brèves choose among all items.
    with archive.session() as session:
        every_breve = session.scalars(select(Breve).execution_options(yield_per=BATCH))
        count_documents(session, (breve_terms(breve) for breve in every_breve))
    report.merge(link_pending_items(archive, config, now=now, progress=progress))
    report.merge(link_changed_breves(archive, config, uids, now=now, count=False))
    return report
