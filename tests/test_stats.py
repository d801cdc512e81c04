"""Document frequencies: counted in the archive, and remembered by a linking run."""

from __future__ import annotations

from brevefeed.archive import Archive
from brevefeed.related.stats import Frequencies, count_documents, frequencies, reset


def test_counting_adds_up_across_calls(archive: Archive) -> None:
    with archive.session() as session:
        added = count_documents(session, [["forum", "justic"], ["forum", "forum"]])
        assert added == {"": 2, "forum": 2, "justic": 1}
        count_documents(session, [["justic"]])
        assert frequencies(session, ["forum", "justic", "absent"]) == (
            {"forum": 2, "justic": 2},
            3,
        )
        assert count_documents(session, []) == {}
        reset(session)
        assert frequencies(session, ["forum"]) == ({}, 0)


def test_a_run_reads_each_term_once_and_keeps_its_own_counts(archive: Archive) -> None:
    with archive.session() as session:
        count_documents(session, [["forum", "justic"], ["forum"]])
        memory = Frequencies()
        stats, documents = memory.lookup(session, ["forum", "rencontr"])
        assert (stats["forum"], documents) == (2, 2) and "rencontr" not in stats
        # Written behind the run's back: a term it has read keeps the value it read.
        count_documents(session, [["forum"]])
        assert memory.lookup(session, ["forum"])[0]["forum"] == 2
        # What the run counts itself, it sees, for terms known, unseen or never asked for.
        memory.count(session, [["forum", "rencontr", "justic"]])
        stats, documents = memory.lookup(session, ["forum", "rencontr", "justic"])
        assert (stats["forum"], stats["rencontr"], stats["justic"], documents) == (3, 1, 2, 4)
        assert frequencies(session, ["forum", "rencontr"]) == ({"forum": 4, "rencontr": 1}, 4)


def test_a_full_memory_starts_over(archive: Archive) -> None:
    with archive.session() as session:
        count_documents(session, [["alpha", "beta", "gamma"]])
        memory = Frequencies()
        memory.LIMIT = 2
        memory.lookup(session, ["alpha", "beta", "gamma"])
        stats, documents = memory.lookup(session, ["alpha"])
        assert dict(stats) == {"alpha": 1} and documents == 1
