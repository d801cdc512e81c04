"""Commands that manage an instance: init, db upgrade, db current."""

from __future__ import annotations

import json
import os
import sys
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
from brevefeed.config import PLACEHOLDER_LINK, load_config
from brevefeed.errors import ConfigError, InstanceExistsError
from brevefeed.urls import BadURLError, check_web_url

#: Where `init --templates` puts the page templates, relative to the instance.
TEMPLATES_FOLDER = "templates"


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


def _web_url(value: str, option: str) -> str:
    """``value`` checked by the URL rule and ending in a slash (both are folders of a site)."""
    try:
        check_web_url(value)
    except BadURLError as exc:
        raise ConfigError(f"{option} {value!r}: {exc}") from None
    return value if value.endswith("/") else value + "/"


def _on_terminal() -> bool:
    return sys.stdin.isatty()


def _ask(link: str | None, base_url: str | None) -> tuple[str | None, str | None]:
    """On a terminal, ask for what the options did not give; elsewhere (cron, scripts) never
    wait for an answer nobody will type."""
    if not _on_terminal():
        return link, base_url
    if link is None:
        answer = click.prompt("Site address (brève ids are minted from it)", default="")
        link = _web_url(answer, "site address") if answer else None
    if base_url is None:
        suggested = f"{link}flux/" if link else ""
        answer = click.prompt("Base URL of the published feeds", default=suggested)
        base_url = _web_url(answer, "base URL") if answer else None
    return link, base_url


def _filled(template: str, link: str | None, base_url: str | None) -> str:
    # json.dumps writes a valid TOML basic string for any URL the rule accepts.
    if link is not None:
        template = template.replace(f'link = "{PLACEHOLDER_LINK}"', f"link = {json.dumps(link)}", 1)
    if base_url is not None:
        template = template.replace('base_url = ""', f"base_url = {json.dumps(base_url)}", 1)
    return template


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--link", metavar="URL", help="The site's address; brève ids are minted from it.")
@click.option("--base-url", metavar="URL", help="Public URL of the folder feeds are written to.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
@click.option(
    "--templates",
    "with_templates",
    is_flag=True,
    help="Also copy the default page templates to DIRECTORY/templates/ and use them.",
)
def init(
    directory: Path, link: str | None, base_url: str | None, quiet: bool, with_templates: bool
) -> None:
    """Create a new instance in DIRECTORY: a commented config.toml and an empty archive.

    On a terminal it asks for the site's address and the feeds' base URL unless --link and
    --base-url give them. Without an address, nothing can be imported until [site] link is set.

    \b
    Example:
      brevefeed init ma-redaction --link https://journal.example.net/ && cd ma-redaction
    """
    config_path = directory / "config.toml"
    archive_dir = directory / "archive"
    for existing in (config_path, archive_dir / "brevefeed.sqlite3"):
        if existing.exists():
            raise InstanceExistsError(f"{existing}: already exists, not overwriting it")
    link = _web_url(link, "--link") if link is not None else None
    base_url = _web_url(base_url, "--base-url") if base_url is not None else None
    link, base_url = _ask(link, base_url)
    templates = files("brevefeed") / "templates"
    # The archive holds drafts and the config may hold a database password: owner only.
    archive_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    (archive_dir / "README.md").write_text(
        (templates / "archive-README.md").read_text(encoding="utf-8"), encoding="utf-8"
    )
    template = _filled((templates / "config.toml").read_text(encoding="utf-8"), link, base_url)
    if with_templates:
        # Jinja2 and the page code are loaded for this option only.
        from brevefeed.publish.site import copy_defaults

        copy_defaults(directory / TEMPLATES_FOLDER)
        # The commented key, switched on: the copies are what publish reads from now on.
        template = template.replace(
            f'# templates = "{TEMPLATES_FOLDER}/"', f'templates = "{TEMPLATES_FOLDER}/"', 1
        )
    with os.fdopen(os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(template.encode("utf-8"))
    open_archive(load_config(config_path).archive.url).close()
    if link is None:
        # Said even with --quiet: nothing can be imported until it is done.
        click.echo(
            f"{config_path}: set [site] link to the site's address before importing"
            " (brève ids are minted from it), and [publish] base_url before publishing",
            err=True,
        )
    if not quiet:
        made = f", {directory / TEMPLATES_FOLDER}/" if with_templates else ""
        click.echo(f"created {config_path}{made} and {archive_dir}/")
