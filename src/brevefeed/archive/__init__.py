"""The archive: models, migrations, sessions, and the queries and edits other parts use."""

# Imported for its side effect: the session hooks that bring the search index up to date with
# what the database's triggers noted, before each write commits (see ``archive.changes``).
from brevefeed.archive import changes as _changes  # noqa: F401
from brevefeed.archive.db import Archive, open_archive

__all__ = ["Archive", "open_archive"]
