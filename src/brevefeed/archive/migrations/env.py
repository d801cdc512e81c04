"""Alembic environment: always run on a connection handed over by ``brevefeed.archive.db``."""

from __future__ import annotations

from alembic import context

from brevefeed.archive.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `brevefeed db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
