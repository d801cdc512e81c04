"""A parser that hangs on documents containing ``HANG``, for the parse time limit tests.

A module of its own so worker processes can import it (functions are sent to them by name).
"""

from __future__ import annotations

import threading
from typing import Any

from brevefeed.ingest.parse import ParsedFeed, parse_feed

#: Set by a test when it ends, so a thread stuck here (parse_workers = 0) finishes; in a
#: worker process nobody sets it and the run must kill the process.
RELEASE = threading.Event()


def parse_or_hang(body: bytes, *args: Any) -> ParsedFeed:
    if b"HANG" in body:
        RELEASE.wait(600)
    return parse_feed(body, *args)
