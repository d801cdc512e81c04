"""The archive: models, migrations, sessions, and the queries and edits other parts use."""

from brevefeed.archive.db import Archive, open_archive

__all__ = ["Archive", "open_archive"]
