"""Ingest other outlets' feeds: schedule → fetch → guard → parse → filter → store.

``schedule`` and ``filters`` are pure decisions; ``fetch`` is the only network I/O; ``store``,
``claim`` and ``sources`` the only archive I/O; ``run`` ties them together.
"""
