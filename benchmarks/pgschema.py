"""A PostgreSQL schema per benchmark archive: created on entry, dropped on exit unless kept."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import create_engine, text


@contextmanager
def archive_schema(base_url: str, keep: str | None = None) -> Iterator[tuple[str, bool]]:
    """The URL of an archive living in its own schema, and whether that schema existed (a kept
    one, given again). A schema not kept is dropped on exit, whatever happened."""
    schema = keep or f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
            ).first()
            if found is None:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in base_url else "?"
        yield f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}", found is not None
    finally:
        if keep is None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
