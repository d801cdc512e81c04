"""Workers share due sources without fetching any twice (real PostgreSQL and SQLite)."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.models import Item, Source
from brevefeed.config import Config, SourceConfig
from brevefeed.ingest import claim as claims
from brevefeed.ingest.run import RunSummary, ingest, prepare
from brevefeed.ingest.schedule import Standing, skip_reason
from feedserver import FeedServer, Reply

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def _feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Brève {n}-{i}</title><guid>s{n}-{i}</guid></item>" for i in range(3)
    )
    return f'<rss version="2.0"><channel><title>Source {n}</title>{items}</channel></rss>'.encode()


def _add(archive: Archive, count: int) -> list[int]:
    with archive.session() as session:
        sources = [Source(url=f"https://s{n}.example/rss", created_at=NOW) for n in range(count)]
        session.add_all(sources)
        session.flush()
        return [s.id for s in sources]


def _claim(archive: Archive, owner: str, now: datetime, limit: int = 10) -> list[claims.Job]:
    with archive.session() as session:
        return claims.claim(
            session, owner, now, lease=LEASE, limit=limit, force=False, run_started=now
        )


def test_a_claimed_source_is_not_claimed_again_until_its_lease_expires(archive: Archive) -> None:
    ids = _add(archive, 5)
    first = _claim(archive, "a", NOW, limit=3)
    second = _claim(archive, "b", NOW, limit=10)
    assert {j.id for j in first} | {j.id for j in second} == set(ids)
    assert not {j.id for j in first} & {j.id for j in second}
    assert _claim(archive, "c", NOW) == []
    # Worker "a" died: once its lease is over, its sources are taken over.
    later = NOW + LEASE + timedelta(seconds=1)
    taken = _claim(archive, "c", later)
    assert {j.id for j in taken} == set(ids)


def test_release_gives_back_only_the_owners_sources(archive: Archive) -> None:
    _add(archive, 2)
    jobs = _claim(archive, "a", NOW)
    with archive.session() as session:
        claims.release(session, "b", [j.id for j in jobs])
    assert _claim(archive, "c", NOW) == []
    with archive.session() as session:
        claims.release(session, "a", [j.id for j in jobs])
    assert len(_claim(archive, "c", NOW)) == 2


def test_three_concurrent_workers_fetch_each_source_once(
    archive_url: str, ingest_config: Config, feed_server: FeedServer
) -> None:
    count = 60
    for n in range(count):
        feed_server.routes[f"/f{n}"] = Reply(body=_feed(n), delay=0.01)
    config = dataclasses.replace(
        ingest_config,
        ingest=dataclasses.replace(ingest_config.ingest, concurrency=4),
        sources=tuple(SourceConfig(url=feed_server.url(f"/f{n}")) for n in range(count)),
    )
    # Register the sources once (each worker's config sync then only rewrites the same rows).
    setup = open_archive(archive_url)
    prepare(setup, config, None)
    setup.close()
    start = threading.Barrier(3)
    results: list[RunSummary] = []
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        archive = open_archive(archive_url)
        try:
            start.wait()
            results.append(ingest(archive, config, owner=name))
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)
        finally:
            archive.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(feed_server.hits(f"/f{n}") == 1 for n in range(count))
    assert sum(r.fetched for r in results) == count
    assert sum(r.new_items for r in results) == 3 * count
    check = open_archive(archive_url)
    try:
        with check.session() as session:
            assert session.scalar(select(func.count()).select_from(Item)) == 3 * count
            assert (
                session.scalar(
                    select(func.count()).select_from(Source).where(Source.lease_owner.is_not(None))
                )
                == 0
            )
    finally:
        check.close()


class _Rollback(Exception):
    pass


def test_the_claim_and_the_pure_rule_agree_on_every_combination(archive: Archive) -> None:
    """``claim.claimable`` (SQL) and ``schedule.skip_reason`` (Python) are one rule: every
    combination of the columns it reads, on each side of each boundary, is judged alike."""
    run_started = NOW - timedelta(minutes=30)
    hour = timedelta(hours=1)
    times = (None, NOW - hour, NOW, NOW + hour)
    fetched = (None, run_started - timedelta(seconds=1), run_started, NOW)
    flags = ((True, False, "cli"), (False, False, "cli"), (True, True, "config"),
             (True, False, "dropped"))  # fmt: skip
    standings = [
        Standing(enabled, gone, origin, retry, due, lease and "other:1:ab", lease, last)
        for enabled, gone, origin in flags
        for retry in times
        for due in times
        for lease in times
        for last in fetched
    ]
    with archive.session() as session:
        rows = [Source(url=f"https://s{n}.example/rss", created_at=NOW, **vars(s))
                for n, s in enumerate(standings)]  # fmt: skip
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    for force in (False, True):
        due = {
            i for i, s in zip(ids, standings, strict=True)
            if skip_reason(s, NOW, force=force, run_started=run_started) is None
        }  # fmt: skip
        assert 0 < len(due) < len(ids)
        with archive.session(write=False) as session:
            counted = claims.count_claimable(session, NOW, force=force, run_started=run_started)
            skipped = claims.skipped(session, NOW, force=force, run_started=run_started)
        assert counted == len(due)
        assert len(skipped) == len(ids) - len(due)
        with pytest.raises(_Rollback), archive.session() as session:  # the leases are not kept
            jobs = claims.claim(session, "me", NOW, lease=LEASE, limit=len(ids), force=force,
                                run_started=run_started)  # fmt: skip
            assert {job.id for job in jobs} == due
            raise _Rollback
