"""What every command shares: options, config and archive loading, output and errors."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from brevefeed.cli import display

if TYPE_CHECKING:
    # Loaded when first used: `--version` and `--help` need no config, SQLAlchemy or rich
    # (nor pathlib, getpass or json: each millisecond shows against `import click`).
    from pathlib import Path

    from rich.console import Console

    from brevefeed.archive import Archive
    from brevefeed.config import Config

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
            from brevefeed.cli import logs
            from brevefeed.config import load_config

            self._config = load_config(self.config_path)
            logs.log.info("config: %s", self._config.path)
        return self._config

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            from brevefeed.archive import open_archive
            from brevefeed.archive.db import describe_url
            from brevefeed.cli import logs

            self._archive = open_archive(self.config.archive.url)
            logs.log.info("archive: %s", describe_url(self.config.archive.url))
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
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

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
    import getpass

    try:
        return os.environ.get("BREVEFEED_EDITOR") or getpass.getuser()
    except (KeyError, OSError):
        return "brevefeed"


@dataclass(frozen=True)
class Options:
    """--config, --quiet and --verbose, given before or after the subcommand."""

    config_path: str | None = None
    quiet: bool = False
    verbose: int = 0

    def then(self, later: Options) -> Options:
        """These options overridden by those given after them (on the subcommand)."""
        return Options(
            later.config_path or self.config_path,
            self.quiet or later.quiet,
            self.verbose + later.verbose,
        )


def _shared_options(func: F) -> F:
    for option in reversed(
        (
            click.option(
                "--config",
                "config_path",
                type=click.Path(dir_okay=False, path_type=str),
                help="config.toml to use (default: $BREVEFEED_CONFIG, else ./config.toml).",
            ),
            click.option("--quiet", "-q", is_flag=True, help="Print nothing on success."),
            click.option(
                "--verbose",
                "-v",
                count=True,
                help="Log on stderr what is done and why (-vv: more detail).",
            ),
        )
    ):
        func = option(func)
    return func


def global_options(func: F) -> F:
    """The shared options before the subcommand (``brevefeed --config x.toml list``), as git
    and alembic take them; kept for the subcommand to read."""

    @_shared_options
    @functools.wraps(func)
    def wrapper(*args: Any, config_path: str | None, quiet: bool, verbose: int) -> Any:
        click.get_current_context().obj = Options(config_path, quiet, verbose)
        return func(*args)

    return wrapper  # type: ignore[return-value]


def common_options(func: F) -> F:
    """--config, --quiet and --verbose on every command, and an ``app`` argument built from
    them and from those given before the subcommand."""

    @_shared_options
    @functools.wraps(func)
    def wrapper(
        *args: Any, config_path: str | None, quiet: bool, verbose: int, **kwargs: Any
    ) -> Any:
        # Logging is set up by commands, not loaded for `--version` or `--help`.
        from brevefeed.cli import logs

        ctx = click.get_current_context()
        given = (ctx.find_object(Options) or Options()).then(Options(config_path, quiet, verbose))
        ctx.call_on_close(logs.log_to_stderr(given.quiet, given.verbose))
        app = App(given.config_path, given.quiet)
        ctx.call_on_close(app.close)
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
    from brevefeed.files import replace_atomically

    count = 0

    def encoded() -> Iterator[bytes]:
        nonlocal count
        for line in lines:
            count += 1
            yield (line + "\n").encode("utf-8")

    replace_atomically(path, encoded())
    return count
