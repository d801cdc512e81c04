from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result

from brevefeed.archive import db
from brevefeed.archive.db import head_revision
from brevefeed.cli import cli

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "breves"


@pytest.fixture
def instance(tmp_path: Path, archive_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config.toml in tmp_path pointing at the test archive (SQLite or PostgreSQL)."""
    config = tmp_path / "config.toml"
    config.write_text('[site]\nlink = "https://breves.example.org/"\n', encoding="utf-8")
    monkeypatch.setenv("BREVEFEED_CONFIG", str(config))
    monkeypatch.setenv("BREVEFEED_DATABASE_URL", archive_url)
    monkeypatch.setenv("BREVEFEED_EDITOR", "testeuse")
    return tmp_path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_import_list_show_retract(instance: Path) -> None:
    result = run("import", str(REPO / "examples"))
    assert result.exit_code == 0, result.output
    *saved, summary = result.stdout.strip().splitlines()
    assert summary == "4 imported, 0 updated, 0 unchanged, 0 failed"
    assert saved[0] == (
        "created harcelement-en-ligne-une-plainte-collective-deposee-a-lyon"
        " tag:breves.example.org,2024-03-12:breves/"
        "harcelement-en-ligne-une-plainte-collective-deposee-a-lyon"
    )
    assert len(saved) == 4
    listed = json.loads(run("list", "--format", "json").stdout)
    assert len(listed) == 4
    assert listed[0]["slug"] == "au-coeur-de-la-prevention-les-ecoles-en-premiere-ligne"
    # The scraped page is dated by its file name (2024-05-21-…), not by the import.
    assert listed[1]["slug"] == "un-forum-de-rencontres-anonyme-ferme-sur-decision-de-justice"
    assert listed[1]["published"] == "2024-05-20T22:00:00+00:00"
    shown = run("show", "un-forum-de-rencontres-anonyme-ferme-sur-decision-de-justice").stdout
    assert "date from:  the date the file name starts with" in shown
    assert [
        b["slug"] for b in json.loads(run("list", "--format", "json", "--tag", "justice").stdout)
    ] == ["harcelement-en-ligne-une-plainte-collective-deposee-a-lyon"]
    since = run("list", "--format", "jsonl", "--since", "2024-04", "--until", "2024-06-18")
    assert len(since.stdout.splitlines()) == 3
    table = run("list")
    assert "moderation-des-forums-l-arcom-demande-des-comptes" in table.stdout
    shown = run("show", "moderation-des-forums-l-arcom-demande-des-comptes", "--raw")
    assert "23.051 d’entre eux" in shown.stdout and "Jeanne Martin, Léo Ferrand" in shown.stdout
    assert (
        "<strong>modération</strong>"
        in run("show", "moderation-des-forums-l-arcom-demande-des-comptes", "--html").stdout
    )
    retracted = run(
        "retract", "moderation-des-forums-l-arcom-demande-des-comptes", "--reason", "Doublon"
    )
    assert retracted.exit_code == 0
    record = json.loads(
        run(
            "show",
            "moderation-des-forums-l-arcom-demande-des-comptes",
            "--format",
            "json",
            "--revisions",
        ).stdout
    )
    assert record["status"] == "retracted"
    assert record["revisions"][0]["editor"] == "testeuse"


def test_an_editors_mistakes_have_a_way_out(instance: Path) -> None:
    """A title fixed in its file, a slug prefix, a draft deleted, a retraction undone."""
    brief = instance / "coco.md"
    brief.write_text('+++\ntitle = "Coco ferme"\nstatus = "draft"\n+++\nCorps.\n', "utf-8")
    assert run("add", str(brief)).stdout.splitlines()[0].startswith("created coco-ferme tag:")
    brief.write_text('+++\ntitle = "Coco fermé"\nstatus = "draft"\n+++\nCorps.\n', "utf-8")
    fixed = run("add", str(brief))
    assert fixed.stdout.splitlines()[0].startswith("updated coco-ferme tag:")
    other = instance / "coco-bis.md"
    other.write_text('+++\ntitle = "Coco rouvre"\n+++\nCorps.\n', "utf-8")
    assert run("add", "--quiet", str(other)).stdout == ""
    assert json.loads(run("show", "coco-f", "--format", "json").stdout)["title"] == "Coco fermé"
    ambiguous = run("show", "coco")
    assert ambiguous.exit_code == 2
    assert ambiguous.stderr == (
        "brevefeed: error: 'coco' is the start of several slugs: coco-ferme, coco-rouvre\n"
    )
    assert run("retract", "coco-rouvre").exit_code == 2  # neither --reason nor --undo
    assert run("retract", "coco-rouvre", "--reason", "Erreur").exit_code == 0
    assert run("delete", "coco-rouvre").stderr == (
        "brevefeed: error: coco-rouvre has been published: retract it instead"
        ' (brevefeed retract coco-rouvre --reason "…")\n'
    )
    undone = run("retract", "coco-rouvre", "--undo")
    assert (undone.exit_code, undone.stdout) == (0, "restored coco-rouvre (published)\n")
    assert run("delete", "coco-ferme").stdout.startswith("deleted coco-ferme tag:")
    assert run("show", "coco-ferme").exit_code == 3


def test_quiet_prints_nothing_on_success(instance: Path) -> None:
    result = run("import", "--quiet", str(REPO / "examples"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    slug = "moderation-des-forums-l-arcom-demande-des-comptes"
    result = run("retract", slug, "--reason", "r", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_partial_failure_exit_code_and_report(instance: Path) -> None:
    result = run("import", "-q", str(FIXTURES))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert any("unknown-key.md:3: unknown front matter key 'auteur'" in line for line in lines)
    assert lines[-1] == "2 imported, 0 updated, 0 unchanged, 10 failed"
    assert "Traceback" not in result.stderr


def test_add_from_stdin_with_date(instance: Path) -> None:
    text = "Brèves / justice\n\nUn titre du jour\n\nPar Hugo Lemaire\n\nChapô.\n\nCorps.\n"
    result = run("add", "-", "--date", "2024-05-07T10:00", input=text)
    assert result.exit_code == 0, result.stderr
    record = json.loads(run("show", "un-titre-du-jour", "--format", "json").stdout)
    assert record["published"] == "2024-05-07T08:00:00+00:00"
    assert record["id"] == "tag:breves.example.org,2024-05-07:breves/un-titre-du-jour"
    assert record["section"] == "justice"
    bad = run("add", "-", "--date", "demain", input=text)
    assert bad.exit_code == 2 and "--date" in bad.stderr


def test_export_to_file_and_round_trip(
    instance: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("import", "-q", str(REPO / "examples"))
    out = tmp_path / "backup.jsonl"
    assert run("export", "-o", str(out)).exit_code == 0
    assert run("export").stdout == out.read_text(encoding="utf-8")
    monkeypatch.setenv("BREVEFEED_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert run("import", str(out)).stdout.startswith("4 imported")
    assert run("export").stdout == out.read_text(encoding="utf-8")


def test_export_to_unwritable_place_leaves_nothing(instance: Path, tmp_path: Path) -> None:
    result = run("export", "-o", str(tmp_path / "missing-folder" / "x.jsonl"))
    assert result.exit_code == 1 and "cannot write" in result.stderr
    assert not (tmp_path / "missing-folder").exists()


def test_not_found_exit_code(instance: Path) -> None:
    result = run("show", "nulle-part")
    assert result.exit_code == 3
    assert result.stderr == "brevefeed: error: no brève with id or slug 'nulle-part'\n"


def test_bad_options_are_usage_errors(instance: Path) -> None:
    assert run("list", "--since", "hier").exit_code == 2
    assert run("list", "--limit", "0").exit_code == 2
    assert run("retract", "x").exit_code == 2  # --reason is required


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[site]\nauteur = 'x'\n", encoding="utf-8")
    result = run("list", "--config", str(config))
    assert result.exit_code == 2
    assert result.stderr == f"brevefeed: error: {config}: unknown key site.auteur\n"


def test_unreachable_database_is_one_line_exit_2(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BREVEFEED_DATABASE_URL", "postgresql+psycopg://u:pw@127.0.0.1:1/x")
    result = run("list")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and "cannot open archive" in result.stderr
    assert "pw" not in result.stderr


def test_db_commands(instance: Path) -> None:
    head = head_revision()
    assert run("db", "current").stdout == f"empty (behind {head}: run `brevefeed db upgrade`)\n"
    assert f"upgraded to revision {head}" in run("db", "upgrade").stdout
    assert f"already at revision {head}" in run("db", "upgrade").stdout
    assert run("db", "current").stdout == f"{head} (up to date)\n"


def test_init_creates_and_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BREVEFEED_DATABASE_URL", raising=False)
    target = tmp_path / "redaction"
    result = run("init", str(target))
    assert result.exit_code == 0
    assert (target / "config.toml").read_text(encoding="utf-8").startswith("# brevefeed")
    assert (target / "archive" / "brevefeed.sqlite3").exists()
    assert (target / "archive" / "README.md").exists()
    monkeypatch.chdir(target)
    monkeypatch.delenv("BREVEFEED_CONFIG", raising=False)
    empty = run("list")
    assert (empty.stdout, empty.stderr) == ("", "brevefeed: no brève matches\n")
    again = run("init", str(target))
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_init_keeps_the_config_and_archive_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the umask lets through: the config may hold a database password and the
    archive holds drafts."""
    monkeypatch.delenv("BREVEFEED_DATABASE_URL", raising=False)
    monkeypatch.delenv("BREVEFEED_CONFIG", raising=False)
    previous = os.umask(0o002)
    try:
        target = tmp_path / "redaction"
        assert run("init", "-q", "--link", "https://j.example.net", str(target)).exit_code == 0
        monkeypatch.chdir(target)
        # A command that writes, so SQLite creates its -wal and -shm files.
        assert run("import", "-q", str(REPO / "examples")).exit_code == 0
        database = target / "archive" / "brevefeed.sqlite3"
        # While a connection has the archive open in WAL mode, its -wal and -shm files exist.
        reader = sqlite3.connect(database)
        try:
            assert reader.execute("SELECT count(*) FROM breves").fetchone() == (4,)
            files = [database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))]
            modes = [stat.S_IMODE(os.stat(path).st_mode) for path in files]
        finally:
            reader.close()
    finally:
        os.umask(previous)
    assert modes == [0o600, 0o600, 0o600]
    assert stat.S_IMODE(os.stat(target / "config.toml").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(target / "archive").st_mode) == 0o700


def test_init_without_an_address_keeps_the_placeholder_and_import_refuses_to_mint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids minted from example.org would name nobody's site for good."""
    monkeypatch.delenv("BREVEFEED_DATABASE_URL", raising=False)
    monkeypatch.delenv("BREVEFEED_CONFIG", raising=False)
    target = tmp_path / "redaction"
    made = run("init", str(target))
    assert made.exit_code == 0
    assert "set [site] link" in made.stderr
    assert 'link = "https://example.org/"' in (target / "config.toml").read_text(encoding="utf-8")
    monkeypatch.chdir(target)
    refused = run("import", str(REPO / "examples"))
    assert refused.exit_code == 2
    assert refused.stderr.count("\n") == 1
    assert "[site] link is still the placeholder https://example.org/" in refused.stderr
    assert run("list").stdout == ""


def test_init_writes_the_link_and_base_url_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BREVEFEED_DATABASE_URL", raising=False)
    monkeypatch.delenv("BREVEFEED_CONFIG", raising=False)
    target = tmp_path / "redaction"
    made = run(
        "init", "--link", "https://j.example.net", "--base-url", "https://j.example.net/flux",
        str(target),
    )  # fmt: skip
    assert (made.exit_code, made.stderr) == (0, "")
    text = (target / "config.toml").read_text(encoding="utf-8")
    assert 'link = "https://j.example.net/"' in text
    assert 'base_url = "https://j.example.net/flux/"' in text
    monkeypatch.chdir(target)
    assert run("import", "-q", str(REPO / "examples")).exit_code == 0
    ids = [b["id"] for b in json.loads(run("list", "--format", "json").stdout)]
    assert len(ids) == 4 and all(i.startswith("tag:j.example.net,") for i in ids)


def test_init_on_a_terminal_asks_for_the_addresses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brevefeed.cli import admin

    monkeypatch.delenv("BREVEFEED_DATABASE_URL", raising=False)
    monkeypatch.setattr(admin, "_on_terminal", lambda: True)
    target = tmp_path / "redaction"
    made = run("init", str(target), input="https://j.example.net/\n\n")
    assert made.exit_code == 0
    text = (target / "config.toml").read_text(encoding="utf-8")
    assert 'link = "https://j.example.net/"' in text
    # The suggested base URL, taken with Enter.
    assert 'base_url = "https://j.example.net/flux/"' in text


def test_init_refuses_a_link_that_is_not_a_web_url(tmp_path: Path) -> None:
    made = run("init", "--link", "ftp://j.example.net/", str(tmp_path / "r"))
    assert made.exit_code == 2 and "--link 'ftp://j.example.net/'" in made.stderr
    assert not (tmp_path / "r" / "config.toml").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["add"],
        ["import"],
        ["list"],
        ["show"],
        ["retract"],
        ["export"],
        ["init"],
        ["db", "upgrade"],
        ["db", "current"],
    ],
)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Example" in result.stdout


def test_python_dash_m_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "brevefeed", "list", "--config", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "config file not found" in result.stderr and "Traceback" not in result.stderr


def test_overlapping_imports_on_sqlite_do_not_corrupt(tmp_path: Path) -> None:
    """Two cron runs at once: one waits for the other's write lock; nothing lost or doubled."""
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(120):
        (folder / f"{n}.md").write_text(f'+++\ntitle = "Brève {n}"\n+++\nCorps {n}.\n', "utf-8")
    (tmp_path / "config.toml").write_text(
        '[site]\nlink = "https://j.example.net/"\n', encoding="utf-8"
    )
    (tmp_path / "archive").mkdir()
    command = [sys.executable, "-m", "brevefeed", "import", str(folder), "--config"]
    runs = [
        subprocess.Popen(
            [*command, str(tmp_path / "config.toml")], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate()[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    created = sum(int(out.splitlines()[-1].split(" imported")[0]) for out in outputs)
    assert created == 120
    listed = run("list", "--config", str(tmp_path / "config.toml"), "--limit", "500")
    assert len(listed.stdout.splitlines()) == 120


def test_a_locked_archive_is_one_line_and_loses_nothing(
    instance: Path, archive_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds SQLite's lock past the busy timeout: a clear error, no change."""
    if not archive_url.startswith("sqlite"):
        pytest.skip("the SQLite write lock is what this test holds")
    run("import", "-q", str(REPO / "examples"))
    before = run("export").stdout
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(archive_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run(
            "retract", "moderation-des-forums-l-arcom-demande-des-comptes", "-q", "--reason", "x"
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    assert result.stderr == (
        "brevefeed: error: archive: database is locked (nothing was written)\n"
    )
    assert run("export").stdout == before


def test_readers_do_not_wait_for_a_writer(instance: Path, archive_url: str) -> None:
    if not archive_url.startswith("sqlite"):
        pytest.skip("the SQLite write lock is what this test holds")
    run("import", "-q", str(REPO / "examples"))
    holder = sqlite3.connect(archive_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        listed = run("list", "--format", "jsonl")
        shown = run("show", "moderation-des-forums-l-arcom-demande-des-comptes")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (listed.exit_code, shown.exit_code) == (0, 0)
    assert len(listed.stdout.splitlines()) == 4


def test_init_templates_copies_the_theme_that_publish_then_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BREVEFEED_DATABASE_URL", raising=False)
    monkeypatch.delenv("BREVEFEED_CONFIG", raising=False)
    target = tmp_path / "redaction"
    site = ("--link", "https://redaction.example.net/")
    base = ("--base-url", "https://redaction.example.net/flux/")
    assert run("init", "-q", "--templates", *site, *base, str(target)).exit_code == 0
    assert {p.name for p in (target / "templates").iterdir()} >= {"breve.html", "style.css"}
    (target / "templates" / "style.css").write_text("body { color: #000; }\n", encoding="utf-8")
    monkeypatch.chdir(target)
    assert run("import", "-q", str(REPO / "examples")).exit_code == 0
    assert run("publish", "-q").exit_code == 0
    assert (target / "public" / "style.css").read_text(
        encoding="utf-8"
    ) == "body { color: #000; }\n"
    assert (target / "public" / "index.html").exists()


def test_serve_without_a_published_folder_says_what_to_do(instance: Path) -> None:
    config = instance / "config.toml"
    with config.open("a", encoding="utf-8") as more:
        more.write('[publish]\nbase_url = "https://breves.example.org/flux/"\n')
    result = run("serve", "--port", "0")
    assert result.exit_code == 2
    assert "no index.html to serve (run `brevefeed publish` first)" in result.stderr


def _brief(folder: Path, name: str, title: str, extra: str) -> Path:
    path = folder / name
    path.write_text(f'+++\ntitle = "{title}"\n{extra}\n+++\nCorps.\n', encoding="utf-8")
    return path


def test_import_says_when_a_breve_is_scheduled_and_list_shows_it(instance: Path) -> None:
    soon = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    near = _brief(instance, "near.md", "Bientôt", f"date = {soon.isoformat()}")
    far = _brief(instance, "far.md", "Plus tard", "date = 2099-12-02T08:00:00+01:00")
    result = run("import", str(near), str(far))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if " scheduled for " in line]
    local = soon.astimezone(ZoneInfo("Europe/Paris"))
    assert f"{near}: bientot scheduled for " in lines[0]
    assert lines[0].endswith(f"{local.year} à {local:%H:%M}")
    assert lines[1] == f"{far}: plus-tard scheduled for 2 décembre 2099 à 08:00"
    # Only the far one is warned about.
    assert (
        result.stderr
        == f"brevefeed: {far}: plus-tard is dated more than 30 days ahead; is the year right?\n"
    )
    listed = json.loads(run("list", "--format", "json").stdout)
    assert {b["slug"]: b["status"] for b in listed} == {
        "plus-tard": "scheduled",
        "bientot": "scheduled",
    }
    only = json.loads(run("list", "--format", "json", "--status", "scheduled").stdout)
    assert len(only) == 2
    assert run("list", "--status", "published").stdout == ""


def test_tags_are_one_vocabulary_shown_by_their_first_spelling(instance: Path) -> None:
    _brief(instance, "a.md", "Un", 'date = 2024-01-01\ntags = ["Éducation", "Justice"]')
    _brief(instance, "b.md", "Deux", 'date = 2024-01-02\ntags = ["education", "justice "]')
    _brief(instance, "c.md", "Trois", 'date = 2024-01-03\ntags = ["JUSTICE", "justice"]')
    assert run("import", "-q", str(instance)).exit_code == 0
    listed = json.loads(run("list", "--format", "json").stdout)
    assert {b["slug"]: b["tags"] for b in listed} == {
        "un": ["Éducation", "Justice"],
        "deux": ["Éducation", "Justice"],
        "trois": ["Justice"],
    }
    found = json.loads(run("list", "--format", "json", "--tag", "EDUCATION").stdout)
    assert [b["slug"] for b in found] == ["deux", "un"]
    tags = json.loads(run("tags", "--format", "json").stdout)
    assert tags == [{"tag": "Justice", "breves": 3}, {"tag": "Éducation", "breves": 2}]
    assert run("tags").stdout == "Justice\t3\nÉducation\t2\n"
