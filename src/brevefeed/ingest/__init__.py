"""Ingest other outlets' feeds: schedule → fetch → guard → parse → filter → store.

``schedule``, ``filters`` and ``delta`` are pure decisions; ``fetch`` is the only network I/O;
``store``, ``claim`` and ``sources`` the only archive I/O; ``parsers`` runs the parser off the
event loop; ``run`` (and ``backfill``) tie them together.

Every decision a sysadmin may need when a source misbehaves (skipped and why, fetched, backed
off until when, items new/updated/filtered) is logged under ``brevefeed.ingest.*`` at INFO
(DEBUG for the routine: a source not due yet, a batch claimed). Nothing is printed unless the
application configures a handler.
"""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
