from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from brevefeed.archive import Archive
from brevefeed.archive.breves import BreveLookup
from brevefeed.archive.exchange import export_lines
from brevefeed.archive.models import Breve
from brevefeed.importing import ImportContext, import_paths, iter_input_files

FIXTURES = Path(__file__).parent / "fixtures" / "breves"


def count(archive: Archive) -> int:
    with archive.session() as session:
        return session.scalar(select(func.count()).select_from(Breve)) or 0


def test_directory_walk_skips_hidden_and_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("a/x.md", "b.txt", "c.jsonl", "d.png", ".git/e.md", "a/.f.md"):
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_input_files([tmp_path])]
    assert found == ["a/x.md", "b.txt", "c.jsonl"]


def test_import_is_idempotent_and_batched(
    archive: Archive, context: ImportContext, tmp_path: Path
) -> None:
    for n in range(7):
        (tmp_path / f"{n}.md").write_text(f'+++\ntitle = "Brève n°{n}"\n+++\nCorps {n}.\n')
    calls: list[tuple[int, int]] = []
    summary = import_paths(
        archive, [tmp_path], context, progress=lambda d, t: calls.append((d, t)), batch_size=3
    )
    assert (summary.created, summary.failed) == (7, 0)
    assert calls[-1] == (7, 7) and len(calls) == 7
    again = import_paths(archive, [tmp_path], context, batch_size=3)
    assert (again.created, again.unchanged, again.updated) == (0, 7, 0)
    (tmp_path / "3.md").write_text('+++\ntitle = "Brève n°3"\n+++\nCorps corrigé.\n')
    edited = import_paths(archive, [tmp_path], context)
    assert (edited.updated, edited.unchanged) == (1, 6)
    assert count(archive) == 7


def test_bad_files_are_reported_and_skipped(
    archive: Archive, context: ImportContext, tmp_path: Path
) -> None:
    shutil.copytree(FIXTURES, tmp_path / "in")
    summary = import_paths(archive, [tmp_path / "in", tmp_path / "absent.md"], context)
    # The two good fixtures import; duplicate-slug.md collides with one of them.
    assert summary.created == 2
    failures = {Path(e.source or "").name: str(e) for e in summary.errors}
    assert set(failures) == {
        "no-title.md",
        "impossible-date.md",
        "unparsable-date.md",
        "malformed.md",
        "unknown-key.md",
        "unclosed.md",
        "empty.md",
        "latin1.md",
        "image.txt",
        "duplicate-slug.md",
        "absent.md",
    }
    assert summary.failed == len(failures)
    assert "unknown-key.md:3: unknown front matter key 'auteur'" in failures["unknown-key.md"]
    assert "no title" in failures["no-title.md"]
    assert "already used" in failures["duplicate-slug.md"]
    assert "cannot read" in failures["absent.md"]
    assert all("\n" not in message for message in failures.values())
    assert count(archive) == 2


def test_export_files_import_line_by_line(
    archive: Archive, context: ImportContext, tmp_path: Path
) -> None:
    import_paths(archive, [FIXTURES / "2024-09-03-permanence-juridique.md"], context)
    with archive.session() as session:
        good = next(iter(export_lines(session)))
    export = tmp_path / "backup.jsonl"
    export.write_text(f"{good}\n{{broken\n\n", encoding="utf-8")
    summary = import_paths(archive, [export], context)
    assert (summary.unchanged, summary.failed) == (1, 1)
    assert summary.errors[0].line == 2 and summary.errors[0].source == str(export)


def test_a_write_race_falls_back_to_one_file_at_a_time(
    archive: Archive, context: ImportContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If another run writes a slug after our check, the batch is redone file by file."""
    for n in range(3):
        (tmp_path / f"{n}.md").write_text(f'+++\ntitle = "Brève {n}"\n+++\nCorps.\n', "utf-8")
    import_paths(archive, [tmp_path / "1.md"], context)
    (tmp_path / "1.md").write_text('+++\ntitle = "Brève 1"\n+++\nCorps changé.\n', "utf-8")
    # Blind the lookup: it no longer sees brèves already in the archive, as in a race.
    monkeypatch.setattr(BreveLookup, "preload", lambda self, slugs, uids, origins: None)
    monkeypatch.setattr(BreveLookup, "_find", lambda self, cache, column, value: None)
    monkeypatch.setattr(BreveLookup, "by_origin", lambda self, origin: None)
    summary = import_paths(archive, [tmp_path], context)
    assert (summary.created, summary.failed) == (2, 1)
    assert "conflicts with the archive" in str(summary.errors[0])
    assert summary.errors[0].source == str(tmp_path / "1.md")
    assert count(archive) == 3


def test_a_fixed_title_is_a_revision_and_a_moved_file_the_same_brève(
    archive: Archive, context: ImportContext, tmp_path: Path
) -> None:
    inbox, done = tmp_path / "inbox", tmp_path / "done"
    inbox.mkdir()
    done.mkdir()
    first = inbox / "forum.md"
    first.write_text('+++\ntitle = "Un forum fermé à Lyno"\n+++\nCorps.\n', "utf-8")
    created = import_paths(archive, [inbox], context)
    assert [(r.change, r.slug) for r in created.saved] == [("created", "un-forum-ferme-a-lyno")]
    first.write_text('+++\ntitle = "Un forum fermé à Lyon"\n+++\nCorps.\n', "utf-8")
    fixed = import_paths(archive, [inbox], context)
    assert (fixed.created, fixed.updated) == (0, 1)
    assert [(r.change, r.slug) for r in fixed.saved] == [("updated", "un-forum-ferme-a-lyno")]
    first.rename(done / "forum.md")
    moved = import_paths(archive, [inbox, done], context)
    assert (moved.created, moved.updated, moved.unchanged, moved.failed) == (0, 0, 1, 0)
    assert count(archive) == 1
