"""Commands that manage an instance: init, db upgrade, db current."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import click

from brevefeed.archive.db import (
    current_revision,
    describe_url,
    head_revision,
    make_engine,
    open_archive,
)
from brevefeed.archive.db import upgrade as upgrade_schema
from brevefeed.cli.app import App, common_options
from brevefeed.config import load_config
from brevefeed.errors import InstanceExistsError


@click.group()
def db() -> None:
    """Archive schema: show or apply migrations."""


@db.command()
@common_options
def upgrade(app: App) -> None:
    """Create the archive or bring its schema up to date.

    \b
    Example:
      brevefeed db upgrade
    """
    engine = make_engine(app.config.archive.url)
    try:
        before, after = upgrade_schema(engine)
    finally:
        engine.dispose()
    url = describe_url(app.config.archive.url)
    app.say(f"{url}: {'already at' if before == after else 'upgraded to'} revision {after}")


@db.command()
@common_options
def current(app: App) -> None:
    """Print the archive's schema revision and whether it is the newest.

    \b
    Example:
      brevefeed db current
    """
    engine = make_engine(app.config.archive.url)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date" if revision == head else f"behind {head}: run `brevefeed db upgrade`"
    click.echo(f"{revision or 'empty'} ({state})")


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def init(directory: Path, quiet: bool) -> None:
    """Create a new instance in DIRECTORY: a commented config.toml and an empty archive.

    \b
    Example:
      brevefeed init ma-redaction && cd ma-redaction && brevefeed list
    """
    config_path = directory / "config.toml"
    archive_dir = directory / "archive"
    for existing in (config_path, archive_dir / "brevefeed.sqlite3"):
        if existing.exists():
            raise InstanceExistsError(f"{existing}: already exists, not overwriting it")
    templates = files("brevefeed") / "templates"
    # The archive holds drafts and the config may hold a database password: owner only.
    archive_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (archive_dir / "README.md").write_text(
        (templates / "archive-README.md").read_text(encoding="utf-8"), encoding="utf-8"
    )
    template = (templates / "config.toml").read_text(encoding="utf-8")
    with os.fdopen(os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(template.encode("utf-8"))
    open_archive(load_config(config_path).archive.url).close()
    if not quiet:
        click.echo(f"created {config_path} and {archive_dir}/; edit [site] in config.toml")
