"""Log records on stderr for --verbose: what a sysadmin needs when a source misbehaves."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from brevefeed.cli import display

log = logging.getLogger("brevefeed.cli")


class _LineFormatter(logging.Formatter):
    """Log messages quote feeds' titles and servers' errors: one safe line each."""

    def format(self, record: logging.LogRecord) -> str:
        return f"brevefeed: {record.name}: {display.line(record.getMessage())}"


def log_to_stderr(quiet: bool, verbose: int) -> Callable[[], None]:
    """Send brevefeed's log records to stderr at the level the options ask; returns the
    undo (the same process may run several commands, as tests do)."""
    if quiet:
        level = logging.ERROR
    elif verbose:
        level = logging.INFO if verbose == 1 else logging.DEBUG
    else:
        level = logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter())
    logger = logging.getLogger("brevefeed")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous)

    return undo
