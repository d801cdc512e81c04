"""Bring brève files and archive exports into the archive, in batched transactions.

A batch of files is read and parsed first, its existing brèves fetched in one query, then saved
and written in one flush: a bad file is reported with its file and line and left out, while the
rest of the batch commits. Should the write collide with a concurrent run, the batch is redone
one file at a time, each in its own savepoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from brevefeed.archive import Archive
from brevefeed.archive.breves import BreveLookup, Change, SaveResult, save_draft
from brevefeed.archive.exchange import looks_like_export, restore_line
from brevefeed.authoring import BreveDraft, decode_text, parse_draft
from brevefeed.config import SiteConfig
from brevefeed.errors import InputError

#: File names a directory walk picks up; a file named explicitly is read whatever its name.
INPUT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".jsonl", ".ndjson"})
BATCH_SIZE = 500


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[InputError] = field(default_factory=list)
    #: Permanent ids of the brèves created, and of those edited, from brève files.
    created_uids: list[str] = field(default_factory=list)
    updated_uids: list[str] = field(default_factory=list)
    #: What was created or edited from brève files, in order: what `add` and `import` print.
    saved: list[SaveResult] = field(default_factory=list)
    #: Brèves created or edited with a date after the run's clock: (file, slug, date).
    scheduled: list[tuple[str, str, datetime]] = field(default_factory=list)

    def count(self, change: Change) -> None:
        setattr(self, change, getattr(self, change) + 1)

    def merge(self, other: ImportSummary) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.errors += other.errors
        self.created_uids += other.created_uids
        self.updated_uids += other.updated_uids
        self.saved += other.saved
        self.scheduled += other.scheduled

    def fail(self, error: InputError) -> None:
        self.failed += 1
        self.errors.append(error)

    def __str__(self) -> str:
        return (
            f"{self.created} imported, {self.updated} updated, {self.unchanged} unchanged,"
            f" {self.failed} failed"
        )


@dataclass(frozen=True)
class ImportContext:
    """What every saved brève shares in one run."""

    site: SiteConfig
    editor: str
    now: datetime
    default_date: datetime | None = None


def iter_input_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and brève files under the directories named (recursively, sorted)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if (
                    child.is_file()
                    and child.suffix.lower() in INPUT_SUFFIXES
                    and not any(part.startswith(".") for part in child.relative_to(path).parts)
                ):
                    yield child
        else:
            yield path


@dataclass(frozen=True)
class ParsedInput:
    """One file after reading: a draft, an export's text, or the reason it was refused."""

    source: str
    origin: str | None
    draft: BreveDraft | None = None
    export_text: str | None = None
    error: InputError | None = None


def parse_input(raw: bytes, source: str, origin: str | None, context: ImportContext) -> ParsedInput:
    try:
        text = decode_text(raw, source=source)
        if looks_like_export(text):
            return ParsedInput(source, origin, export_text=text)
        return ParsedInput(
            source, origin, draft=parse_draft(text, source=source, tz=context.site.tz)
        )
    except InputError as exc:
        return ParsedInput(source, origin, error=exc)


def read_input(path: Path, context: ImportContext) -> ParsedInput:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        error = InputError(f"cannot read: {exc.strerror}", source=str(path))
        return ParsedInput(str(path), None, error=error)
    return parse_input(raw, str(path), str(path.resolve()), context)


def _restore_export(session: Session, parsed: ParsedInput, summary: ImportSummary) -> None:
    assert parsed.export_text is not None
    for number, line in enumerate(parsed.export_text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            with session.begin_nested():
                summary.count(restore_line(session, line))
        except InputError as exc:
            summary.fail(InputError(str(exc), source=parsed.source, line=number))


def _still_there(origin: str) -> bool:
    """Whether the file a brève was imported from still exists (its origin, a resolved path)."""
    return Path(origin).exists()


def _save(
    session: Session,
    parsed: ParsedInput,
    context: ImportContext,
    summary: ImportSummary,
    lookup: BreveLookup,
) -> None:
    if parsed.error is not None:
        summary.fail(parsed.error)
    elif parsed.export_text is not None:
        _restore_export(session, parsed, summary)
    else:
        assert parsed.draft is not None
        try:
            result = save_draft(
                session,
                parsed.draft,
                host=context.site.host,
                tz=context.site.tz,
                default_language=context.site.language,
                default_date=context.default_date or context.now,
                editor=context.editor,
                now=context.now,
                origin=parsed.origin,
                lookup=lookup,
                origin_exists=_still_there,
            )
        except InputError as exc:
            summary.fail(InputError(str(exc), source=parsed.source))
        else:
            summary.count(result.change)
            if (
                result.change != "unchanged"
                and result.status == "published"
                and result.published is not None
                and result.published > context.now
            ):
                summary.scheduled.append((parsed.source, result.slug, result.published))
            if result.change == "created":
                summary.created_uids.append(result.uid)
            elif result.change == "updated":
                summary.updated_uids.append(result.uid)
            if result.change != "unchanged":
                summary.saved.append(result)


def save_one(
    session: Session, parsed: ParsedInput, context: ImportContext, summary: ImportSummary
) -> None:
    """Save one input in its own savepoint, written at once: the careful, slower path."""
    outcome = ImportSummary()
    try:
        with session.begin_nested():
            _save(session, parsed, context, outcome, BreveLookup(session))
            session.flush()
        summary.merge(outcome)
    except IntegrityError as exc:
        # Another run saved the same slug or id between our check and our write.
        summary.fail(InputError(f"conflicts with the archive: {exc.orig}", source=parsed.source))


def _save_batch(
    archive: Archive,
    batch: list[ParsedInput],
    context: ImportContext,
    on_saved: Callable[[], None],
) -> ImportSummary:
    summary = ImportSummary()
    try:
        with archive.session() as session:
            lookup = BreveLookup(session)
            drafts = [p for p in batch if p.draft is not None]
            lookup.preload(
                (p.draft.slug for p in drafts if p.draft),
                (p.draft.uid for p in drafts if p.draft and p.draft.uid),
                (p.origin for p in drafts if p.origin),
            )
            for parsed in batch:
                _save(session, parsed, context, summary, lookup)
                on_saved()
        return summary
    except IntegrityError:
        summary = ImportSummary()
        with archive.session() as session:
            for parsed in batch:
                save_one(session, parsed, context, summary)
        return summary


def import_paths(
    archive: Archive,
    paths: Iterable[Path],
    context: ImportContext,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportSummary:
    """Import files and directories; ``progress(done, total)`` is called after each file."""
    files = list(iter_input_files(paths))
    summary = ImportSummary()
    done = 0

    def saved() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(files))

    for start in range(0, len(files), batch_size):
        batch = [read_input(path, context) for path in files[start : start + batch_size]]
        summary.merge(_save_batch(archive, batch, context, saved))
    return summary
