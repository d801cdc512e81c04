"""What an input file says about one brève, before it meets the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Status = Literal["draft", "published", "retracted"]
AUTHORED_STATUSES: tuple[Status, ...] = ("draft", "published")


@dataclass(frozen=True)
class BreveDraft:
    """One brève as read from a file: every field the author controls, nothing the archive mints.

    ``published`` is None when the file carries no date (the importer then takes ``--date`` or
    now); ``uid`` is None unless the file names the permanent id of an existing brève.
    ``slug_given`` tells a ``slug`` the file writes from one derived from the title: only the
    first may rename a brève (a fixed typo in a title must not move its page).
    """

    title: str
    slug: str
    body: str
    standfirst: str = ""
    section: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    status: Status = "published"
    language: str | None = None
    published: datetime | None = None
    uid: str | None = None
    slug_given: bool = False
    #: Where ``published`` was read (one of ``DATE_SOURCES``); None with no date.
    date_source: str | None = None


#: Where a brève's date can come from, as ``show`` names them.
DATE_SOURCES = {
    "front matter": "the front matter's date",
    "date line": "the page's date line",
    "file name": "the date the file name starts with",
    "import": "the import (--date, or the time of import)",
}
