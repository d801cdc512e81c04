"""One publish run: lock, read what changed, plan, build, write, record, notify.

The archive is read in one read-only snapshot (a read transaction on SQLite in WAL mode,
REPEATABLE READ on PostgreSQL): the run sees one consistent state throughout, and holds no
lock that would keep ``ingest``, ``import`` or an editor waiting while it builds and fsyncs
every file — a full publish of a large archive takes about a minute. The run is then recorded
in short write transactions (see ``_record``): placements, folder names, and as its mark the
highest change stamp *of the snapshot*. A brève changed while the run was building gets a
stamp above that mark (stamps only grow, see ``archive.changes``), so the next run picks it up.

The order matters for crash safety. Files are written *before* the archive records the run:
a run killed halfway leaves the mark where it was, so the next run redoes the plan (with
whatever changed meanwhile) — the same inputs give the same bytes, and files already written
are found unchanged and left alone.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session

from brevefeed.archive import Archive
from brevefeed.config import Config
from brevefeed.errors import ConfigError
from brevefeed.publish import store
from brevefeed.publish.build import (
    Meta,
    build_atom,
    build_json,
    build_press_atom,
    build_press_json,
    build_press_rss,
    build_rss,
)
from brevefeed.publish.notify import ping_hub
from brevefeed.publish.plan import MAIN, Plan, Settings, plan_changes
from brevefeed.publish.write import (
    exclusive,
    remove_stale_temporaries,
    sync_folder,
    unchanged,
    write_atomic,
)

#: Bump when the shape of the output changes, so the next run rebuilds every document.
FORMAT_VERSION = 2
FEED_FILES = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}
#: The press review: the latest outside coverage linked to this folder's brèves.
PRESS_FILES = {"rss": "related.xml", "atom": "related-atom.xml", "json": "related.json"}
ARCHIVE_FOLDER = "archives"
#: Placements recorded per write transaction at the end of a run (see ``_record``): about
#: 0.2 s of holding the write lock on SQLite.
RECORD_CHUNK = 10_000
#: Seconds between two of those transactions, so a waiting writer gets its turn: SQLite's busy
#: handler retries a waiting writer every 100 ms at most, and would keep missing a lock that
#: is taken again at once.
RECORD_PAUSE = 0.15

Notifier = Callable[[str, list[str]], list[str]]
Progress = Callable[[int, int], None]


@dataclass
class PublishReport:
    #: Output-relative paths written (or, in a dry run, that would be).
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False
    #: Subscription feed URLs whose content changed (sent to the WebSub hub).
    changed_urls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        verb = "would be written" if self.dry_run else "written"
        return f"publish: {len(self.written)} {verb}, {self.unchanged} unchanged"


def base_url(config: Config) -> str:
    url = config.publish.base_url
    if not url:
        raise ConfigError(
            f"{config.path or 'config.toml'}: publish.base_url is not set"
            " (the public URL of the output folder, e.g. https://example.org/flux/)"
        )
    return url if url.endswith("/") else url + "/"


def output_folder(config: Config) -> Path:
    return config.folder / config.publish.output


def settings_fingerprint(config: Config) -> str:
    """What, besides the brèves, the documents are built from: a change rebuilds them all."""
    described = {
        "format": FORMAT_VERSION,
        "site": asdict(config.site),
        "publish": {k: v for k, v in asdict(config.publish).items() if k != "output"},
    }
    raw = json.dumps(described, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()


def feed_path(folder: str, fmt: str, files: dict[str, str] = FEED_FILES) -> str:
    return f"{folder}/{files[fmt]}" if folder else files[fmt]


def page_path(page: int, fmt: str) -> str:
    return f"{ARCHIVE_FOLDER}/{fmt}-{page}.xml"


@dataclass(frozen=True)
class _Builder:
    config: Config
    base: str
    last_page: int
    pending: store.Pending

    def _meta(self, title: str, urls: dict[str, str], **extra: object) -> Meta:
        site = self.config.site
        return Meta(
            title=title,
            description=site.description,
            site_link=site.link,
            language=site.language,
            default_author=site.author,
            urls=urls,
            hub=self.config.publish.websub_hub,
            **extra,  # type: ignore[arg-type]
        )

    def feeds(
        self, session: Session, folder: str, stones: list[store.Tombstone]
    ) -> Iterator[tuple[str, bytes]]:
        site = self.config.site
        title = site.title
        if folder != MAIN:
            title = f"{site.title} — {store.folder_title(session, self.pending, folder)}"
        urls = {fmt: self.base + feed_path(folder, fmt) for fmt in FEED_FILES}
        history: dict[str, dict[str, str]] = {}
        if folder == MAIN and self.last_page:
            history = {
                fmt: {"prev-archive": self.base + page_path(self.last_page, fmt)}
                for fmt in ("rss", "atom")
            }
        meta = self._meta(title, urls, history=history)
        entries = store.latest_entries(session, self.pending, folder, self.config.publish.items)
        yield feed_path(folder, "rss"), build_rss(meta, entries, stones)
        yield feed_path(folder, "atom"), build_atom(meta, entries, stones)
        yield feed_path(folder, "json"), build_json(meta, entries)
        if not folder.startswith("sections/"):
            yield from self.press_review(session, folder, title)

    def press_review(
        self, session: Session, folder: str, title: str
    ) -> Iterator[tuple[str, bytes]]:
        """Rebuilt with the folder's feeds: a new link stamps its brève, which rebuilds them."""
        urls = {fmt: self.base + feed_path(folder, fmt, PRESS_FILES) for fmt in PRESS_FILES}
        meta = self._meta(f"{title} — revue de presse", urls)
        items = store.press_items(session, self.pending, folder, self.config.publish.items)
        yield feed_path(folder, "rss", PRESS_FILES), build_press_rss(meta, items)
        yield feed_path(folder, "atom", PRESS_FILES), build_press_atom(meta, items)
        yield feed_path(folder, "json", PRESS_FILES), build_press_json(meta, items)

    def page(self, session: Session, page: int) -> Iterator[tuple[str, bytes]]:
        urls = {fmt: self.base + page_path(page, fmt) for fmt in ("rss", "atom")}
        urls["json"] = self.base + feed_path(MAIN, "json")
        history: dict[str, dict[str, str]] = {}
        for fmt in ("rss", "atom"):
            links = {"current": self.base + feed_path(MAIN, fmt)}
            if page > 1:
                links["prev-archive"] = self.base + page_path(page - 1, fmt)
            if page < self.last_page:
                links["next-archive"] = self.base + page_path(page + 1, fmt)
            history[fmt] = links
        title = f"{self.config.site.title} — archives, page {page}"
        meta = self._meta(title, urls, history=history, archive=True)
        entries = store.page_entries(session, self.pending, page)
        yield page_path(page, "rss"), build_rss(meta, entries)
        yield page_path(page, "atom"), build_atom(meta, entries, ())


def _plan(
    session: Session, config: Config, now: datetime, out: Path
) -> tuple[Plan, store.Pending, int, str]:
    settings = Settings(
        page_size=config.publish.archive_page_size,
        per_tag=config.publish.per_tag,
        per_section=config.publish.per_section,
        tombstone_cutoff=now - timedelta(days=config.publish.tombstone_days),
        now=now,
    )
    fingerprint = settings_fingerprint(config)
    state = store.read_state(session)
    top = store.max_seq(session)
    # A first run, new settings, or an output folder emptied by hand: rebuild everything
    # (placements are kept, so archive pages keep their brèves).
    full = (
        state is None
        or state.settings != fingerprint
        or not (out / feed_path(MAIN, "atom")).exists()
    )
    after = -1 if full or state is None else state.last_seq
    # Scheduled brèves whose time came since the last run: no write stamped them.
    since = None if full or state is None else state.published_until
    due = (since, now) if since is not None and since < now else None
    changed = store.changed_facts(session, after, top, settings.tombstone_cutoff, due=due)
    before = store.placements(session, [fact.id for fact in changed])
    plan = plan_changes(changed, before, store.page_cursor(session), settings)
    names = store.new_names(session, (fact for fact in changed if fact.status == "published"))
    if full:
        plan.feeds.add(MAIN)
    return plan, store.Pending.of(plan, names, before, now), top, fingerprint


def publish(
    archive: Archive,
    config: Config,
    *,
    now: datetime,
    wait: float = 0,
    dry_run: bool = False,
    notify: Notifier = ping_hub,
    progress: Progress | None = None,
) -> PublishReport:
    """Bring the output folder up to date with the archive; see the module docstring.

    ``progress`` is called after each feed folder or archive page is written, while the run
    still reads its snapshot.
    """
    base = base_url(config)
    out = output_folder(config)
    report = PublishReport(dry_run=dry_run)
    with exclusive(out, wait) as state:
        if not dry_run:
            remove_stale_temporaries(state)
        with archive.snapshot() as session:
            plan, pending, top, fingerprint = _plan(session, config, now, out)
            builder = _Builder(config, base, plan.cursor.last, pending)
            _write_documents(session, builder, out, state, plan, report, progress)
        if dry_run:
            return report
        _record(archive, pending, top, fingerprint)
    hub = config.publish.websub_hub
    if hub and report.changed_urls:
        report.warnings.extend(notify(hub, report.changed_urls))
    return report


def _record(archive: Archive, pending: store.Pending, top: int, fingerprint: str) -> None:
    """Record the run once every file is written: placements that moved, then the mark.

    Placements go in transactions of ``RECORD_CHUNK`` rows with a pause between them, so
    that a writer never waits long behind a first run of a large archive (100,000 rows take
    about 2 s to record). They are recorded in the order the plan handed out new pages: a run
    killed in between leaves the first of its assignments recorded and the mark unmoved, and
    the next run carries on from there, as it would from a run killed while writing files.
    """
    moved = pending.moved()
    for start in range(0, len(moved), RECORD_CHUNK):
        if start:
            time.sleep(RECORD_PAUSE)
        with archive.session() as session:
            store.save_placements(session, moved[start : start + RECORD_CHUNK])
    with archive.session() as session:
        store.save_state(session, pending, top, fingerprint)


def _write_documents(
    session: Session,
    builder: _Builder,
    out: Path,
    temp_folder: Path,
    plan: Plan,
    report: PublishReport,
    progress: Progress | None,
) -> None:
    stones = store.tombstones(session, builder.pending)
    total = len(plan.feeds) + len(plan.pages)
    folders: set[Path] = set()
    done = 0
    jobs: list[tuple[bool, Callable[[], Iterator[tuple[str, bytes]]]]] = [
        (True, partial(builder.feeds, session, folder, stones.get(folder, [])))
        for folder in sorted(plan.feeds)
    ]
    jobs += [(False, partial(builder.page, session, page)) for page in sorted(plan.pages)]
    for is_feed, job in jobs:
        for relative, data in job():
            path = out / relative
            if unchanged(path, data):
                report.unchanged += 1
                continue
            report.written.append(relative)
            if is_feed:
                report.changed_urls.append(builder.base + relative)
            if not report.dry_run:
                write_atomic(path, data, temp_folder=temp_folder, sync=False)
                folders.add(path.parent)
        done += 1
        if progress:
            progress(done, total)
    for folder in sorted(folders):
        sync_folder(folder)
