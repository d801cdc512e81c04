"""The exception hierarchy and the exit code each one maps to.

Library code raises these; only the CLI turns them into a one-line message and an exit code,
so every command ends with a code documented in README.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    #: Some items of a batch failed (the others were processed); also "no hits" for search.
    PARTIAL = 1
    #: Usage, configuration or archive-connection error: nothing was done.
    USAGE = 2
    #: The brève (or other record) named on the command line does not exist.
    NOT_FOUND = 3
    #: Another run holds the lock and did not release it within --wait.
    LOCKED = 4


class BrevefeedError(Exception):
    """A user-facing error: its message is one line that names what is wrong."""

    exit_code: ExitCode = ExitCode.USAGE


class ConfigError(BrevefeedError):
    """config.toml is missing, unparsable or has a bad key or value."""


class ArchiveError(BrevefeedError):
    """The archive database cannot be reached, opened or migrated."""


class InputError(BrevefeedError):
    """One input file (or record) is invalid; batch commands report it and go on."""

    exit_code = ExitCode.PARTIAL

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = source or ""
        if source and line is not None:
            where = f"{source}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class QueryError(BrevefeedError):
    """The search query cannot be read; the message says why in one line."""


class InstanceExistsError(BrevefeedError):
    """`brevefeed init` would overwrite an existing config.toml or archive."""


class PublishWriteError(BrevefeedError):
    """A document could not be written; the file it would have replaced is intact."""

    exit_code = ExitCode.PARTIAL


class NotFoundError(BrevefeedError):
    exit_code = ExitCode.NOT_FOUND


class AmbiguousError(BrevefeedError):
    """A reference on the command line (a slug prefix) names several records."""

    exit_code = ExitCode.USAGE


class RefusedError(BrevefeedError):
    """The command would break a rule of the archive (deleting a published brève); nothing
    was done, and the message says what to do instead."""

    exit_code = ExitCode.USAGE


class LockedError(BrevefeedError):
    exit_code = ExitCode.LOCKED
