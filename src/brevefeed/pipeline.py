"""Library passes that one command runs in sequence: ingest (or backfill), then link what
came in to the brèves it relates to.

It sits above ``ingest`` and ``related`` (neither imports the other), so the CLI makes one
call and gets one summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from brevefeed.archive import Archive
from brevefeed.config import Config
from brevefeed.ingest.backfill import backfill
from brevefeed.ingest.run import Progress, RunSummary, ingest
from brevefeed.related.linker import LinkReport
from brevefeed.related.run import link_pending_items

log = logging.getLogger(__name__)

#: Opens a progress callback for a named stage ("Fetching", "Linking") and closes it after.
Stages = Callable[[str], AbstractContextManager[Progress]]


@dataclass(frozen=True)
class IngestReport:
    ingest: RunSummary
    linked: LinkReport


def _silent(label: str) -> AbstractContextManager[Progress]:
    return nullcontext(lambda done, total: None)


def ingest_and_link(
    archive: Archive,
    config: Config,
    *,
    all_sources: bool = False,
    source: str | None = None,
    backfill_ref: str | None = None,
    stages: Stages = _silent,
    owner: str | None = None,
) -> IngestReport:
    """Fetch the due sources (all with ``all_sources``, one with ``source``), or archive one
    source's history (``backfill_ref``), then group and link every item not linked yet."""
    if backfill_ref is not None:
        summary = backfill(archive, config, backfill_ref)
    else:
        with stages("Fetching") as progress:
            summary = ingest(
                archive, config, all_sources=all_sources, source=source, progress=progress,
                owner=owner,
            )  # fmt: skip
    with stages("Linking") as progress:
        linked = link_pending_items(
            archive, config.related, now=datetime.now(UTC), progress=progress
        )
    times = {**summary.seconds, **linked.seconds}
    log.info("stage times: %s", ", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    return IngestReport(summary, linked)
