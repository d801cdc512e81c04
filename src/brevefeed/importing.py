"""Bring brève files and archive exports into the archive, in batched transactions.

Each file (or export line) is saved inside its own savepoint: a bad one is reported with its file
and line and rolled back alone, while the rest of the batch commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from brevefeed.archive import Archive
from brevefeed.archive.breves import Change, save_draft
from brevefeed.archive.exchange import looks_like_export, restore_line
from brevefeed.authoring import decode_text, parse_draft
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

    def count(self, change: Change) -> None:
        setattr(self, change, getattr(self, change) + 1)

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


def _save_text(
    session: Session,
    text: str,
    source: str,
    origin: str | None,
    context: ImportContext,
    summary: ImportSummary,
) -> None:
    if looks_like_export(text):
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                with session.begin_nested():
                    summary.count(restore_line(session, line))
            except InputError as exc:
                summary.fail(InputError(str(exc), source=source, line=number))
        return
    draft = parse_draft(text, source=source, tz=context.site.tz)
    summary.count(
        save_draft(
            session,
            draft,
            host=context.site.host,
            tz=context.site.tz,
            default_language=context.site.language,
            default_date=context.default_date or context.now,
            editor=context.editor,
            now=context.now,
            origin=origin,
        ).change
    )


def save_input(
    session: Session,
    raw: bytes,
    source: str,
    origin: str | None,
    context: ImportContext,
    summary: ImportSummary,
) -> None:
    """Save one file's worth of input in a savepoint; failures land in ``summary``."""
    try:
        text = decode_text(raw, source=source)
        with session.begin_nested():
            _save_text(session, text, source, origin, context, summary)
    except InputError as exc:
        if exc.source is None:
            exc = InputError(str(exc), source=source)
        summary.fail(exc)
    except IntegrityError as exc:
        # Another run saved the same slug or id between our check and our write.
        summary.fail(InputError(f"conflicts with the archive: {exc.orig}", source=source))


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
    for start in range(0, len(files), batch_size):
        with archive.session() as session:
            for offset, path in enumerate(files[start : start + batch_size]):
                try:
                    raw = path.read_bytes()
                except OSError as exc:
                    summary.fail(InputError(f"cannot read: {exc.strerror}", source=str(path)))
                else:
                    save_input(session, raw, str(path), str(path.resolve()), context, summary)
                if progress:
                    progress(start + offset + 1, len(files))
    return summary
