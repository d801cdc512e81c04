"""The archive's schema history, one Alembic revision per file under ``versions/``.

A revision is history: once released it is never edited, and it does forever what it did the
day it shipped. So it imports nothing from brevefeed's live modules (they change) — it carries
its own SQL and a frozen copy of any constant or code it needs (0004 holds the text analysis it
indexes with) — and its ``downgrade`` undoes its ``upgrade``, or raises an exception whose
one-line message says why it cannot. ``tests/test_migrations.py`` enforces the imports and
upgrades an archive made at every revision, with data in it, to head and back.
"""
