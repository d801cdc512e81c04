"""Expected hits for every query form, on SQLite and on PostgreSQL (same corpus, same
expectations: the proof that both backends return the same results)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import drafts
from brevefeed.archive import Archive
from brevefeed.authoring import BreveDraft
from brevefeed.errors import QueryError
from brevefeed.search import SearchRequest, search
from brevefeed.search.plan import KINDS
from brevefeed.search.results import with_markers
from search_corpus import load_corpus, refs

CASES = [
    # inflections: singular/plural, masculine/feminine, participles
    ("agression homophobe", {"b-agressions", "i-agression"}),
    ("AGRESSIONS Homophobes", {"b-agressions", "i-agression"}),
    ("retrouvés", {"b-forum", "i-agression"}),
    ("retrouvee", {"b-forum", "i-agression"}),
    ("forums", {"b-forum", "i-forum", "b-coeur"}),
    # accents typed or not
    ("gerald darmanin", {"b-agressions", "i-darmanin"}),
    ("Gérald Darmanin", {"b-agressions", "i-darmanin"}),
    ("pedocriminalite", {"b-pedo"}),
    ("Pédocriminalité", {"b-pedo"}),
    # ligatures
    ("oeuvre", {"b-coeur"}),
    ("cœur", {"b-coeur"}),
    ('"ex aequo"', {"b-coeur"}),
    # elisions, with ’ or '
    ("l'enquête", {"b-agressions", "i-agression"}),
    ("l’hébergeur", {"b-forum"}),
    ("hebergeur", {"b-forum"}),
    # phrases
    ('"site de rencontres"', {"b-agressions"}),
    ('"forum fermé"', {"b-forum"}),
    ('"forum ferme"', {"b-forum"}),
    # stop words: dropped from a query of several words; a gap of one word inside a phrase
    ("les forums", {"b-forum", "i-forum", "b-coeur"}),
    ('"fermeture du forum"', {"i-forum"}),
    ('"la fermeture d\'un forum"', {"i-forum"}),
    # figures
    ("23.051", {"b-pedo"}),
    # OR
    ("agression OR pédocriminel", {"b-agressions", "i-agression", "i-pedo"}),
    ("darmanin OR bar", {"b-agressions", "i-darmanin", "i-bar"}),
    # exclusions
    ("forum -fermé", {"b-coeur"}),
    ('agression -"site de rencontres"', {"i-agression"}),
    # prefixes
    ("pedocrim*", {"b-pedo", "i-pedo"}),
    ("darmani*", {"b-agressions", "i-darmanin"}),
    # a prefix longer than the stems of the words it begins (agression → agress)
    ("agressio*", {"b-agressions", "i-agression"}),
    # fields
    ("title:forum", {"b-forum", "i-forum"}),
    ("author:ferrand", {"b-pedo", "b-forum"}),
    ('author:"paul morel"', {"i-agression", "i-bar"}),
    ("tag:justice", {"b-agressions", "b-forum", "i-pedo"}),
    ('source:"radio cote"', {"i-darmanin", "i-pedo"}),
    ("-title:forum forum", {"b-coeur"}),
    # parentheses
    ("(agression OR forum) source:quotidien", {"i-agression", "i-forum"}),
    ("title:(forum OR bar)", {"b-forum", "i-forum", "i-bar"}),
    ("(enquête OR enquêteurs) -(pédocriminel OR darmanin)", {"i-agression"}),
    # nothing
    ("licorne", set()),
]


@pytest.fixture
def corpus_archive(archive: Archive) -> tuple[Archive, dict[str, str]]:
    return archive, load_corpus(archive)


def _search(archive: Archive, request: SearchRequest) -> list[str]:
    with archive.session() as session:
        page = search(session.connection(), request)
    assert page.total == len(page.hits)  # the corpus fits on one page
    return [hit.id for hit in page.hits]


def test_query_forms(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    # One archive for every case (building one per case would cost seconds on PostgreSQL);
    # all mismatches are reported together.
    archive, ids = corpus_archive
    wrong = {}
    for query, expected in CASES:
        found = refs(ids, _search(archive, SearchRequest(query)))
        if found != expected:
            wrong[query] = {"expected": sorted(expected), "found": sorted(found)}
    assert wrong == {}


def test_retracted_breves_only_on_request(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = corpus_archive
    assert "b-retracted" not in refs(ids, _search(archive, SearchRequest("agression")))
    found = _search(archive, SearchRequest("agression", include_retracted=True))
    assert refs(ids, found) == {"b-agressions", "i-agression", "b-retracted"}


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_scheduled_breves_stay_out_until_their_date(
    corpus_archive: tuple[Archive, dict[str, str]], sort: str
) -> None:
    """« b-agressions » is dated 2022-03-14 09:30 +01:00: scheduled for a reader before then."""
    archive, ids = corpus_archive
    before = datetime(2022, 3, 14, 8, 29, tzinfo=UTC)
    after = datetime(2022, 3, 14, 8, 30, tzinfo=UTC)
    hidden = SearchRequest("agression", sort=sort, scheduled_after=before)  # type: ignore[arg-type]
    assert refs(ids, _search(archive, hidden)) == {"i-agression"}
    shown = SearchRequest("agression", sort=sort, scheduled_after=after)  # type: ignore[arg-type]
    assert refs(ids, _search(archive, shown)) == {"b-agressions", "i-agression"}


def test_drafts_only_on_request(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    """A draft is not public: search shows it only when asked (it did show them all)."""
    archive, _ids = corpus_archive
    with archive.session() as session:
        draft = BreveDraft(
            title="Licorne en ligne", slug="licorne-en-ligne", body="Pas encore relu.",
            status="draft",
        )  # fmt: skip
        uid = drafts.save(session, draft, now=datetime(2024, 6, 1, tzinfo=UTC)).uid
    assert _search(archive, SearchRequest("licorne")) == []
    with archive.session() as session:
        page = search(session.connection(), SearchRequest("licorne", include_drafts=True))
    assert [(hit.id, hit.draft) for hit in page.hits] == [(uid, True)]


def test_stop_words_alone_are_refused(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    """« les » matched nearly every brève; now the query is refused in one line."""
    archive, _ids = corpus_archive
    for query in ("les", "une", "les une"):
        with archive.session() as session, pytest.raises(QueryError, match="too common"):
            search(session.connection(), SearchRequest(query))


def test_kind_filter(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = corpus_archive
    assert refs(ids, _search(archive, SearchRequest("agression", kinds=KINDS["items"]))) == {
        "i-agression"
    }
    assert refs(ids, _search(archive, SearchRequest("agression", kinds=KINDS["breves"]))) == {
        "b-agressions"
    }


def test_dates_tags_and_sources(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = corpus_archive
    since = datetime(2023, 1, 1, tzinfo=UTC)
    assert refs(ids, _search(archive, SearchRequest("pedocrim*", since=since))) == {
        "b-pedo",
        "i-pedo",
    }
    until = datetime(2022, 1, 1, tzinfo=UTC)
    assert refs(ids, _search(archive, SearchRequest("forum", until=until))) == {
        "b-forum",
        "i-forum",
    }
    assert refs(ids, _search(archive, SearchRequest("forum", tags=("Justice",)))) == {"b-forum"}
    request = SearchRequest("agression OR forum", sources=("Quotidien du Nord",))
    assert refs(ids, _search(archive, request)) == {"i-agression", "i-forum"}


def test_title_outranks_body(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = corpus_archive
    # « forum » is in b-forum's and i-forum's titles, only in b-coeur's body.
    found = _search(archive, SearchRequest("forum"))
    assert refs(ids, found[-1:]) == {"b-coeur"}


def test_date_sorts(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, ids = corpus_archive
    newest = _search(archive, SearchRequest("forum OR agression", sort="newest"))
    order = ["b-coeur", "i-agression", "b-agressions", "i-forum", "b-forum"]
    assert [refs(ids, [found]).pop() for found in newest] == order
    oldest = _search(archive, SearchRequest("forum OR agression", sort="oldest"))
    assert oldest == list(reversed(newest))


def test_pages_cut_the_same_ranking(corpus_archive: tuple[Archive, dict[str, str]]) -> None:
    archive, _ids = corpus_archive
    whole = _search(archive, SearchRequest("forum OR agression OR darmanin", sort="newest"))
    with archive.session() as session:
        pages = [
            search(
                session.connection(),
                SearchRequest(
                    "forum OR agression OR darmanin", sort="newest", limit=2, offset=offset
                ),
            )
            for offset in (0, 2, 4)
        ]
    assert [hit.id for page in pages for hit in page.hits] == whole
    assert {page.total for page in pages} == {len(whole)}


def test_snippets_highlight_original_words(
    corpus_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, _ids = corpus_archive
    with archive.session() as session:
        page = search(session.connection(), SearchRequest("retrouvé", kinds=KINDS["items"]))
    (hit,) = page.hits
    assert "ont été [retrouvés] grâce" in with_markers(hit.snippet)
    assert hit.source == "Quotidien du Nord"
    assert hit.url == "https://example.net/i-agression"
    assert hit.date == datetime(2022, 3, 15, 7, 0, tzinfo=UTC)


def test_many_matches_rank_by_tiers_and_count_is_capped(
    corpus_archive: tuple[Archive, dict[str, str]],
) -> None:
    archive, ids = corpus_archive
    with archive.session() as session:
        page = search(session.connection(), SearchRequest("forum", rank_window=1, count_limit=1))
    # title matches first (brèves before items on a tie), then body-only matches
    assert [refs(ids, [hit.id]).pop() for hit in page.hits] == ["b-forum", "i-forum", "b-coeur"]
    assert [hit.score for hit in page.hits] == [3.0, 3.0, 1.0]
    assert page.tiered and not page.exact and page.total == 2
    with archive.session() as session:
        page = search(session.connection(), SearchRequest("forum -fermé", rank_window=0))
    assert [refs(ids, [hit.id]).pop() for hit in page.hits] == ["b-coeur"]
    assert page.tiered and page.exact and page.total == 1
