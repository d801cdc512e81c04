"""What every command shares: options, config and archive loading, output and errors."""

from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from brevefeed.archive import Archive, open_archive
from brevefeed.cli import display
from brevefeed.config import Config, load_config
from brevefeed.files import replace_atomically

F = TypeVar("F", bound=Callable[..., Any])


class App:
    """Per-invocation state: loads the config and opens the archive on first use."""

    def __init__(self, config_path: str | None, quiet: bool):
        self.config_path = config_path
        self.quiet = quiet
        self._config: Config | None = None
        self._archive: Archive | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            self._archive = open_archive(self.config.archive.url)
        return self._archive

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()

    def say(self, message: str) -> None:
        """A message for the person at the terminal; silent under --quiet."""
        if not self.quiet:
            click.echo(display.line(message))

    def warn(self, message: str) -> None:
        click.echo(f"brevefeed: {display.line(message)}", err=True)

    @property
    def console(self) -> Console:
        return display.console()

    @contextmanager
    def progress(self, label: str) -> Iterator[Callable[[int, int], None]]:
        """A progress callback ``(done, total)``: a bar on a terminal, nothing otherwise."""
        if self.quiet or not sys.stderr.isatty():
            yield lambda done, total: None
            return
        columns = (
            TextColumn(label, markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=display.console(stderr=True), transient=True) as bar:
            task = bar.add_task(label, total=None)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            yield update


def default_editor() -> str:
    try:
        return os.environ.get("BREVEFEED_EDITOR") or getpass.getuser()
    except (KeyError, OSError):
        return "brevefeed"


def common_options(func: F) -> F:
    """--config and --quiet on every command, and an ``app`` argument built from them."""

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=str),
        help="config.toml to use (default: $BREVEFEED_CONFIG, else ./config.toml).",
    )
    @click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
    @functools.wraps(func)
    def wrapper(*args: Any, config_path: str | None, quiet: bool, **kwargs: Any) -> Any:
        app = App(config_path, quiet)
        click.get_current_context().call_on_close(app.close)
        return func(app, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def editor_option(func: F) -> F:
    return click.option(
        "--editor",
        default=default_editor,
        show_default="$BREVEFEED_EDITOR or your login name",
        help="Who is making this change (kept in the revision history).",
    )(func)


def write_atomically(path: Path, lines: Iterator[str]) -> int:
    """Write lines to ``path`` atomically (``brevefeed.files``): never a half-written file."""
    count = 0

    def encoded() -> Iterator[bytes]:
        nonlocal count
        for line in lines:
            count += 1
            yield (line + "\n").encode("utf-8")

    replace_atomically(path, encoded())
    return count
