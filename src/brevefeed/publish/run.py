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

The output is checked, not trusted: each run compares the files it believes current with the
manifest of the last run (``publish.manifest``: a ``stat`` per file, a hash only on mismatch —
the front files and changed folders every run, the closed pages by turns, all of them with
``verify``) and rebuilds the documents of those deleted or overwritten since. When there is
nothing to compare with (a first run, new settings, a lost state folder) or with ``force``,
*every* document ever published is rebuilt: the main feeds, every tag and section folder the archive
records (``published_folders``, even one whose brèves were all retracted or retagged: its
subscribers keep a feed, with its tombstones) and every archive page. So the files of an output
folder rebuilt from nothing are byte for byte those of one kept up to date run after run.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.orm import Session

from brevefeed.archive import Archive
from brevefeed.config import Config
from brevefeed.errors import ConfigError
from brevefeed.publish import manifest, pagedata, store
from brevefeed.publish.batch import commit, stage
from brevefeed.publish.build import (
    Meta,
    build_atom,
    build_json,
    build_press_atom,
    build_press_json,
    build_press_rss,
    build_rss,
    press_shown,
)
from brevefeed.publish.notify import ping_hub
from brevefeed.publish.plan import MAIN, Plan, Settings, plan_changes, scheduled
from brevefeed.publish.site import Site, templates_digest
from brevefeed.publish.workers import BREVE_JOB, PageStager, Setup, Staged
from brevefeed.publish.write import (
    exclusive,
    remove_file,
    remove_stale_temporaries,
    staging_folder,
    sync_folder,
    unchanged,
)

#: Bump when the shape of the output changes, so the next run rebuilds every document.
FORMAT_VERSION = 3
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
#: A document's files, each with its bytes, or None for a file that must no longer exist.
Files = Iterator[tuple[str, bytes | None]]
#: Closed files (brève and archive pages) checked per run besides the front ones: a few ms
#: of ``stat`` calls, a full turn of 100,000 pages every 100 runs (``publish.manifest``).
SWEEP = 1_000
#: Manifest job names: what rebuilds a file found missing or damaged.
FEEDS_JOB, PAGE_JOB, LISTS_JOB = "feeds", "page", "lists"


@dataclass
class PublishReport:
    #: Output-relative paths written (or, in a dry run, that would be).
    written: list[str] = field(default_factory=list)
    #: Files the run keeps, checked intact, and did not write.
    unchanged: int = 0
    #: Output-relative paths deleted (a press review left with no coverage).
    removed: list[str] = field(default_factory=list)
    dry_run: bool = False
    #: Subscription feed URLs whose content changed (sent to the WebSub hub).
    changed_urls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        verb = "would be" if self.dry_run else ""
        line = f"publish: {len(self.written)} {verb} written, {self.unchanged} unchanged"
        if self.removed:
            line += f", {len(self.removed)} {verb} removed"
        return " ".join(line.split())


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
        "templates": templates_digest(config),
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
    site: Site

    @property
    def pages(self) -> bool:
        """Whether web pages are written (not when brèves live on ``[site] item_url``)."""
        return not self.config.site.item_url

    def _linked(self, session: Session, entries: list[store.Entry]) -> list[store.Entry]:
        slugs = pagedata.recorded_slugs(session, self.pending, [e.breve_id for e in entries])
        return [
            replace(e, link=self.site.link(slugs[e.breve_id], e.published))
            if e.breve_id in slugs
            else e
            for e in entries
        ]

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

    def feeds(self, session: Session, folder: str, stones: list[store.Tombstone]) -> Files:
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
        entries = self._linked(session, entries)
        if self.pages:
            heading = store.folder_title(session, self.pending, folder) if folder else site.title
            yield self.site.listing(folder, heading, entries)
        yield feed_path(folder, "rss"), build_rss(meta, entries, stones)
        yield feed_path(folder, "atom"), build_atom(meta, entries, stones)
        yield feed_path(folder, "json"), build_json(meta, entries)
        if not folder.startswith("sections/"):
            yield from self.press_review(session, folder, title)

    def press_review(self, session: Session, folder: str, title: str) -> Files:
        """Rebuilt with the folder's feeds: a new link stamps its brève, which rebuilds them.

        A folder without related coverage has no press review, and one left without any (its
        links removed, its brèves retracted or retagged) is deleted rather than kept empty: its
        entries are other outlets' articles, still at their own URLs, so there is nothing to
        retract, and the files stay a function of the archive alone — an output rebuilt from
        nothing (with no memory of which press reviews once existed) gives the same files.
        """
        urls = {fmt: self.base + feed_path(folder, fmt, PRESS_FILES) for fmt in PRESS_FILES}
        meta = self._meta(f"{title} — revue de presse", urls)
        items = store.press_items(session, self.pending, folder, self.config.publish.items)
        if not press_shown(items):
            for fmt in PRESS_FILES:
                yield feed_path(folder, fmt, PRESS_FILES), None
            return
        yield feed_path(folder, "rss", PRESS_FILES), build_press_rss(meta, items)
        yield feed_path(folder, "atom", PRESS_FILES), build_press_atom(meta, items)
        yield feed_path(folder, "json", PRESS_FILES), build_press_json(meta, items)

    def page(self, session: Session, page: int) -> Files:
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
        entries = self._linked(session, store.page_entries(session, self.pending, page))
        yield page_path(page, "rss"), build_rss(meta, entries)
        yield page_path(page, "atom"), build_atom(meta, entries, ())
        if self.pages:
            site = self.config.site.title
            yield self.site.listing(MAIN, site, entries[::-1], page=page)
            yield self.site.sitemap_breves(
                page, pagedata.sitemap_breves(session, self.pending, page)
            )

    def lists(self, session: Session, press: bool) -> Iterator[tuple[str, bytes]]:
        folders = [
            folder
            for folder in pagedata.folders(session, self.pending)
            if self.site.has_page(folder)
        ]
        named = [(f, store.folder_title(session, self.pending, f)) for f in folders]
        yield self.site.subscribe_page(named, press=press)
        yield self.site.sitemap_lists(folders)
        yield self.site.sitemap_index()
        yield self.site.stylesheet()


def _plan(
    session: Session, config: Config, now: datetime, everything: bool
) -> tuple[Plan, store.Pending, int, str]:
    """The documents to rebuild for what changed since the last run; with ``everything``,
    every document ever published."""
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
    # A first run, new settings or nothing known of the output: place every brève again
    # (placements are kept, so archive pages keep their brèves and brèves their page).
    full = everything or state is None or state.settings != fingerprint
    after = -1 if full or state is None else state.last_seq
    # Scheduled brèves whose time came since the last run: no write stamped them.
    since = None if full or state is None else state.published_until
    due = (since, now) if since is not None and since < now else None
    changed = store.changed_facts(session, after, top, settings.tombstone_cutoff, due=due)
    before = store.placements(session, [fact.id for fact in changed])
    # The brèves that may get a page slug now (a draft's placement has none yet).
    wanted = (
        f.slug
        for f in changed
        if f.status == "published" and (f.id not in before or before[f.id].slug is None)
    )
    taken = pagedata.taken_slugs(session, wanted)
    plan = plan_changes(changed, before, store.page_cursor(session), settings, taken)
    # A scheduled brève names no folder yet: its tags and section appear with it.
    shown = (f for f in changed if f.status == "published" and not scheduled(f, settings))
    names = store.new_names(session, shown)
    if full:
        plan.feeds.add(MAIN)
        plan.feeds.update(_published_folders(session, settings))
        plan.pages.update(range(1, plan.cursor.last + 1))
    plan.lists = plan.lists or full or bool(names)
    return plan, store.Pending.of(plan, names, before, now), top, fingerprint


def _published_folders(session: Session, settings: Settings) -> set[str]:
    """Tag and section folders published before and still wanted by the settings."""
    wanted = {"tags": settings.per_tag, "sections": settings.per_section}
    found = set()
    for folder in store.known_folders(session):
        kind, _, slug = folder.partition("/")
        if slug and wanted.get(kind):
            found.add(folder)
    return found


def _repair(plan: Plan, records: manifest.Records, broken: set[str]) -> None:
    """Add the documents of the files found missing or damaged to the plan."""
    for relative in broken:
        kind, _, value = records[relative].job.partition(":")
        if kind == FEEDS_JOB:
            plan.feeds.add(value)
        elif kind == PAGE_JOB:
            plan.pages.add(int(value))
        elif kind == BREVE_JOB:
            plan.breves.add(int(value))
        elif kind == LISTS_JOB:
            plan.lists = True


def publish(
    archive: Archive,
    config: Config,
    *,
    now: datetime,
    wait: float = 0,
    dry_run: bool = False,
    notify: Notifier = ping_hub,
    progress: Progress | None = None,
    force: bool = False,
    verify: bool = False,
) -> PublishReport:
    """Bring the output folder up to date with the archive; see the module docstring.

    ``force`` rebuilds and rewrites every document, changed or not; ``verify`` checks every
    file of the output, not only this run's share (``publish.manifest``). ``progress`` is called
    after each feed folder or archive page is written, while the run still reads its snapshot.
    """
    base = base_url(config)
    out = output_folder(config)
    report = PublishReport(dry_run=dry_run)
    with exclusive(out, wait) as state, manifest.open_manifest(state) as book:
        staging = staging_folder(state)
        if not dry_run:
            remove_stale_temporaries(state)
            staging.mkdir()
        everything = force or not book.known
        due = {} if everything else book.due(out, None if verify else SWEEP)
        broken, retimed = manifest.check(out, due)
        with archive.snapshot() as session:
            plan, pending, top, fingerprint = _plan(session, config, now, everything)
            _repair(plan, due, broken)
            site = Site(config, base, plan.cursor.last)
            builder = _Builder(config, base, plan.cursor.last, pending, site)
            output = _Output(out, staging, dict(retimed), report, force)
            try:
                _write_documents(session, builder, plan, output, progress)
            except BaseException:
                if not dry_run:
                    # Temporaries staged by this run (by workers too): none is left behind.
                    remove_stale_temporaries(state)
                raise
        # Rebuilding everything starts from no records (``everything``): what it does not
        # write any more (settings that dropped a kind of feed) is no longer checked.
        gone = (broken - output.produced) | output.dropped
        total = book.save(out, output.records, gone, everything=everything, keep=not dry_run)
        report.unchanged = total - len(report.written)
        if dry_run:
            return report
        staging.rmdir()
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


@dataclass
class _Output:
    """Where a run's files go, and the records of those it wrote or found intact."""

    out: Path
    temp_folder: Path
    records: manifest.Records
    report: PublishReport
    force: bool
    produced: set[str] = field(default_factory=set)
    #: Paths the run made sure no longer exist.
    dropped: set[str] = field(default_factory=set)
    folders: set[Path] = field(default_factory=set)
    #: Temporaries staged and the paths they replace, in order.
    staged: list[tuple[Path, Path]] = field(default_factory=list)
    #: The output-relative paths of the files staged by ``put``.
    pending: set[str] = field(default_factory=set)

    def put(self, relative: str, data: bytes, job: str) -> bool:
        """Stage one file unless it holds ``data`` already (``force``: write it anyway), to be
        renamed into place by ``commit`` with every other; True when written."""
        path = self.out / relative
        self.produced.add(relative)
        same = None if self.force else unchanged(path, data)
        if same is None:
            self.report.written.append(relative)
        if self.report.dry_run:
            # A dry run's records are only counted, never saved.
            self.records[relative] = manifest.Record(job, len(data), 0, "")
        elif same is None:
            tmp, info = stage(path, data, temp_folder=self.temp_folder)
            self.staged.append((tmp, path))
            self.pending.add(relative)
            self.records[relative] = manifest.record(job, data, info)
        else:
            self.records[relative] = manifest.record(job, data, same)
        return same is None

    def exists(self, relative: str) -> bool:
        """Whether the file will be in place once the run's staged files are."""
        return relative in self.pending or os.path.lexists(self.out / relative)

    def take(self, staged: list[Staged]) -> None:
        """Brève pages staged (``publish.workers``), renamed into place by ``commit``."""
        for page in staged:
            self.produced.add(page.relative)
            if page.written:
                self.report.written.append(page.relative)
            self.records[page.relative] = page.record
            if page.tmp is not None:
                self.staged.append((page.tmp, self.out / page.target))

    def commit(self) -> None:
        """Put every staged file in place, with two syncs of the file system in all rather than
        one per file and per folder (``publish.batch``)."""
        staged, self.staged = self.staged, []
        commit(staged, temp_folder=self.temp_folder)

    def drop(self, relative: str) -> None:
        """Make sure the file no longer exists."""
        path = self.out / relative
        self.records.pop(relative, None)
        self.dropped.add(relative)
        if os.path.lexists(path):
            self.report.removed.append(relative)
            if not self.report.dry_run:
                remove_file(path)
                self.folders.add(path.parent)


def _write_documents(
    session: Session,
    builder: _Builder,
    plan: Plan,
    output: _Output,
    progress: Progress | None,
) -> None:
    stones = store.tombstones(session, builder.pending)
    jobs: list[tuple[str, bool, Callable[[], Files]]] = [
        (
            f"{FEEDS_JOB}:{folder}",
            True,
            partial(builder.feeds, session, folder, stones.get(folder, [])),
        )
        for folder in sorted(plan.feeds)
    ]
    jobs += [
        (f"{PAGE_JOB}:{page}", False, partial(builder.page, session, page))
        for page in sorted(plan.pages)
    ]
    ids = sorted(plan.breves) if builder.pages else []
    # Brève pages, one per folder, are rendered and staged meanwhile (see publish.workers).
    chunks = deque(ids[start : start + store.CHUNK] for start in range(0, len(ids), store.CHUNK))
    total = len(jobs) + len(chunks) + 1
    done = 0

    def took(staged: list[Staged]) -> None:
        nonlocal done
        output.take(staged)
        done += 1
        if progress:
            progress(done, total)

    def hand_out(stager: PageStager, *, every: bool) -> None:
        while chunks and (every or stager.room()):
            stager.put(pagedata.breve_pages(session, builder.pending, chunks.popleft()))

    setup = Setup(
        builder.config,
        builder.base,
        builder.last_page,
        output.out,
        output.temp_folder,
        output.force,
        output.report.dry_run,
    )
    stager = PageStager(setup, len(ids), took)
    try:
        for key, is_feed, job in jobs:
            hand_out(stager, every=False)
            for relative, data in job():
                if data is None:
                    output.drop(relative)
                elif output.put(relative, data, key) and is_feed and not relative.endswith(".html"):
                    output.report.changed_urls.append(builder.base + relative)
            done += 1
            if progress:
                progress(done, total)
        # The lists come last: the subscribe page names the main press review only while it
        # exists, so its appearing or going (just decided above) rebuilds them too.
        press = {feed_path(MAIN, fmt, PRESS_FILES) for fmt in PRESS_FILES}
        moved = press & {*output.report.written, *output.report.removed}
        if builder.pages and (plan.lists or moved):
            shown = output.exists(feed_path(MAIN, "rss", PRESS_FILES))
            for relative, data in builder.lists(session, shown):
                output.put(relative, data, LISTS_JOB)
        done += 1
        for folder in sorted(output.folders):
            sync_folder(folder)
        hand_out(stager, every=True)
        stager.finish()
    finally:
        stager.close()
    if not output.report.dry_run:
        output.commit()
