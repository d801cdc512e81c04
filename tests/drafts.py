"""Saving a brève draft as the tests do: one editor, French by default, dated ``now``.

``save_draft`` asks for the site's host, time zone, default language and date, the editor
and the clock, which an editor's config supplies; a test only names what it varies.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from sqlalchemy.orm import Session

from brevefeed.archive.breves import SaveResult, save_draft
from brevefeed.authoring.draft import BreveDraft


def save(
    session: Session,
    draft: BreveDraft,
    *,
    now: datetime,
    host: str = "e.org",
    tz: tzinfo = UTC,
    editor: str = "test",
    origin: str | None = None,
) -> SaveResult:
    """``draft`` saved at ``now``, which is also the date of an undated draft."""
    return save_draft(
        session,
        draft,
        host=host,
        tz=tz,
        default_language="fr",
        default_date=now,
        editor=editor,
        now=now,
        origin=origin,
    )
