"""The archive: models, migrations, sessions, and the queries and edits other parts use."""

# Imported for its side effect: the ORM events that keep the search index in step with every
# write, whoever makes it (brève commands, importing, ingest).
from brevefeed.archive import changes as _changes  # noqa: F401 - registers the change stamp
from brevefeed.archive import index as _index  # noqa: F401
from brevefeed.archive.db import Archive, open_archive

__all__ = ["Archive", "open_archive"]
