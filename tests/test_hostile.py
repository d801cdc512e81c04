"""Property-based tests: generated hostile feeds and brève files against parse, ingest, import,
publish and every reading command (generators and properties in tests/hostile.py).

The budget is fixed and the examples derandomized, so CI runs the same cases in a bounded time;
benchmarks/fuzz.py runs the same generators for as long as asked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from feedserver import FeedServer
from hostile import Batch, Feed, Newsroom, batches, check_parse, feeds

#: Shrinking is left out: a failure is reported as generated (tests/hostile.py's ``describe``
#: form is what benchmarks/fuzz.py saves), rather than after minutes of re-running commands.
PHASES = (Phase.explicit, Phase.generate)
PURE = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    phases=PHASES,
    report_multiple_bugs=False,
)
#: Each example runs about ten commands on one archive kept across the examples.
COMMANDS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    phases=PHASES,
    report_multiple_bugs=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one archive per batch of examples, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@PURE
@given(feed=feeds)
def test_parse_feed_never_raises_and_returns_xml_safe_text(feed: Feed) -> None:
    check_parse(feed)


@pytest.fixture
def newsroom(tmp_path: Path, feed_server: FeedServer, archive_url: str) -> Newsroom:
    return Newsroom(tmp_path, feed_server, archive_url)


@COMMANDS
@given(batch=batches)
def test_commands_survive_hostile_feeds_and_files(newsroom: Newsroom, batch: Batch) -> None:
    newsroom.check(batch)
