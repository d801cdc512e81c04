"""Link 10,000 new items against archives of 1,000 and 100,000 brèves; precision and recall.

First the measurement corpus (tests/fixtures/related/stories: 40 stories told by our brève and
by 2–4 outlets in other words, traps, noise) on a fresh archive: its brèves, then its items in
one linking pass; precision and recall of the links and of story grouping (pairs of items put
together), and the curve over thresholds.

Then for each archive size: brèves of generated French text, spread over the corpus' two and a
half years, are bulk-inserted (the benchmark only) with the corpus' brèves among them, indexed
with the search index's ``rebuild``, their terms counted; then 10,000 new items, the corpus'
items among them, are grouped and linked by ``link_pending_items`` (candidates from the search
index), and the items per second are reported, with precision and recall on the generated
stories and on the corpus. The naive baseline, measured in the same run on a sample of items,
scores each item against every brève (no index).

    python benchmarks/related.py [--items 10000] [--sizes 1000 10000 100000]
    python benchmarks/related.py --backend postgresql   # $BREVEFEED_TEST_POSTGRES_URL
    python benchmarks/related.py --sizes               # the fresh archive only

The ratios printed compare each size with the smallest and with the one before it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from brevefeed.archive import Archive, open_archive
from brevefeed.archive.index import rebuild as rebuild_index
from brevefeed.archive.models import Breve, Item, RelatedLink, Source
from brevefeed.config import RelatedConfig
from brevefeed.related.linker import breve_counts, breve_terms, item_texts
from brevefeed.related.run import link_changed_breves, link_pending_items
from brevefeed.related.score import field_counts, profile_from, relatedness
from brevefeed.related.stats import count_documents, frequencies
from pgschema import archive_schema

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
from related_stories import (  # noqa: E402
    Corpus,
    Quality,
    found_links,
    found_story_pairs,
    insert_items,
    load_corpus,
    quality,
    save_breves,
)

NOW = datetime(2025, 7, 1, tzinfo=UTC)
#: Generated brèves are dated across the corpus' range, as an archive grows day by day.
FIRST_DAY = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=912)
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)
PLACES = [
    "Lyon",
    "Marseille",
    "Lille",
    "Nantes",
    "Rennes",
    "Toulouse",
    "Bordeaux",
    "Nice",
    "Brest",
    "Metz",
    "Dijon",
    "Tours",
]
SUBJECTS = [
    "forum de rencontres",
    "plateforme de signalement",
    "réseau social",
    "association d’aide aux victimes",
    "collège",
    "mairie",
    "tribunal correctionnel",
    "préfecture",
    "site de petites annonces",
    "messagerie",
    "club de football",
    "commissariat",
    "hôpital",
    "bibliothèque",
    "centre social",
    "lycée professionnel",
]
ACTIONS = [
    "fermé sur décision de justice",
    "visé par une enquête",
    "condamné à une amende",
    "lance une campagne de prévention",
    "reçoit des plaintes pour harcèlement",
    "ouvre une permanence",
    "signale une hausse des agressions",
    "renforce la modération",
    "porte plainte contre X",
    "publie ses chiffres annuels",
    "suspend ses activités",
    "accueille des ateliers",
]
FILLER = [
    "selon",
    "les",
    "enquêteurs",
    "les",
    "faits",
    "remontent",
    "à",
    "plusieurs",
    "mois",
    "et",
    "les",
    "associations",
    "demandent",
    "des",
    "moyens",
    "supplémentaires",
    "pour",
    "accompagner",
    "les",
    "personnes",
    "concernées",
    "pendant",
    "la",
    "procédure",
]


SYLLABLES = "ker lou va ren bou gan mar tel vi nes cha mon dru pel sau tin gor lac bri zan".split()


def vocabulary(count: int) -> list[str]:
    """Lower-case pseudo-words standing for the many ordinary words of articles."""
    rng = random.Random(0)
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) + "ment")
    return sorted(words)


VOCABULARY = vocabulary(20_000)


def entities(rng: random.Random, count: int) -> list[str]:
    """Names that make one story tell from another (people, places, organisations)."""
    names: set[str] = set()
    while len(names) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        names.add(word.capitalize())
    return sorted(names)


def story(rng: random.Random, names: list[str]) -> tuple[str, str, str, str]:
    """A story: what, where, what happened, and who (two names of its own)."""
    who = f"{rng.choice(names)} et {rng.choice(names)}"
    return rng.choice(SUBJECTS), rng.choice(PLACES), rng.choice(ACTIONS), who


def text_for(rng: random.Random, told: tuple[str, str, str, str], words: int) -> str:
    """The story's words, then the rest of an article: common words and a spread of others
    (as in real text, most of an article's vocabulary is not what makes its story)."""
    subject, place, action, who = told
    rest = " ".join(
        rng.choice(FILLER) if rng.random() < 0.6 else rng.choice(VOCABULARY) for _ in range(words)
    )
    return f"À {place}, le {subject} {action}, selon {who}. {rest}."


def fill_breves(
    archive: Archive, count: int, rng: random.Random, names: list[str], corpus: Corpus
) -> tuple[list[tuple[str, str, str, str]], list[datetime]]:
    """Generated brèves with the corpus' among them; their stories and dates."""
    stories = []
    dates = []
    with archive.session() as session:
        save_breves(session, corpus.breves, now=NOW)
        rows = []
        for n in range(count):
            told = story(rng, names)
            stories.append(told)
            subject, place, action, _who = told
            body = text_for(rng, told, 60)
            published = FIRST_DAY + SPAN * (1 - n / count)
            dates.append(published)
            rows.append(
                {
                    "uid": f"tag:bench.example,2024-01-01:breves/b{n}",
                    "slug": f"b{n}",
                    "title": f"{place} : le {subject} {action}",
                    "section": "Société",
                    "standfirst": text_for(rng, told, 12),
                    "body": body,
                    "body_html": f"<p>{body}</p>",
                    "authors": ["Rédaction"],
                    "sources": [],
                    "language": "fr",
                    "status": "published",
                    "published_at": published,
                    "updated_at": published,
                    "change_seq": 0,
                }
            )
            if len(rows) == 5000:
                session.execute(insert(Breve), rows)
                rows = []
        if rows:
            session.execute(insert(Breve), rows)
        rebuild_index(session.connection())
        every = session.scalars(select(Breve).execution_options(yield_per=1000))
        count_documents(session, (breve_terms(b) for b in every))
    return stories, dates


def fill_items(
    archive: Archive,
    count: int,
    rng: random.Random,
    names: list[str],
    stories: list[tuple[str, str, str, str]],
    dates: list[datetime],
    corpus: Corpus,
) -> dict[str, tuple[str, str, str, str]]:
    """New items: the corpus' own, then generated ones: six in ten follow the story of one of
    the 2,000 newest brèves (hours to two days after it), the rest are other news of the last
    month.

    Returns each generated item's story by entry id (the answer key of ``generated_quality``).
    """
    with archive.session() as session:
        insert_items(session, corpus.items, now=NOW)
        sources = [
            Source(url=f"https://outlet{n}.example/feed", name=f"Outlet {n}", created_at=NOW)
            for n in range(20)
        ]
        session.add_all(sources)
        session.flush()
        rows = []
        told_by_entry = {}
        for n in range(count):
            if rng.random() < 0.6:
                which = rng.randrange(min(len(stories), 2000))
                told = stories[which]
                published = dates[which] + timedelta(hours=rng.uniform(1, 48))
            else:
                told = story(rng, names)
                published = FIRST_DAY + SPAN - timedelta(days=30 * rng.random())
            told_by_entry[f"https://outlet{n % 20}.example/a/{n}"] = told
            subject, place, action, _who = told
            rows.append(
                {
                    "source_id": sources[n % 20].id,
                    "entry_id": f"https://outlet{n % 20}.example/a/{n}",
                    "link": f"https://outlet{n % 20}.example/a/{n}",
                    "title": f"{subject.capitalize()} {action} à {place}",
                    "authors": [],
                    "summary_html": f"<p>{text_for(rng, told, 30)}</p>",
                    "content_html": "",
                    "categories": [],
                    "published_at": published,
                    "fetched_at": NOW,
                    "content_hash": str(n),
                    "canonical_link": "",
                    "title_key": "",
                }
            )
        session.execute(insert(Item), rows)
    return told_by_entry


def generated_quality(
    archive: Archive,
    stories: list[tuple[str, str, str, str]],
    told_by_entry: dict[str, tuple[str, str, str, str]],
) -> tuple[float, float]:
    """Precision and recall of the links against the generated stories: an item should link to
    the brève of the story it follows (its who, what, where and what happened), and only to it.
    """
    slug_of = {told: f"b{n}" for n, told in enumerate(stories)}
    with archive.session(write=False) as session:
        links = session.execute(
            select(Breve.slug, Item.entry_id)
            .join(RelatedLink, RelatedLink.breve_id == Breve.id)
            .join(Item, Item.id == RelatedLink.item_id)
            .where(RelatedLink.state == "linked")
        ).all()
    links = [(slug, entry) for slug, entry in links if entry in told_by_entry]
    right = {(slug, entry) for slug, entry in links if slug_of.get(told_by_entry[entry]) == slug}
    following = sum(1 for told in told_by_entry.values() if told in slug_of)
    return len(right) / max(len(links), 1), len(right) / max(following, 1)


def naive_rate(archive: Archive, sample: int) -> float:
    """Items per second when every item is scored against every brève (no index)."""
    start = time.perf_counter()
    with archive.session(write=False) as session:
        breves = list(session.scalars(select(Breve)))
        items = list(session.scalars(select(Item).limit(sample)))
        counts = [breve_counts(b) for b in breves]
        stats, documents = frequencies(session, set().union(*counts))
        pairs = zip(breves, counts, strict=True)
        profiles = [profile_from(c, b.tags, stats, documents) for b, c in pairs]
        for item in items:
            mine_counts = field_counts(*item_texts(item))
            mine_stats = frequencies(session, mine_counts)[0]
            mine = profile_from(mine_counts, item.categories, mine_stats, documents)
            best = sorted((relatedness(mine, p) for p in profiles), reverse=True)[:10]
            assert len(best) == min(10, len(profiles))
    return sample / (time.perf_counter() - start)


def corpus_quality(archive: Archive, corpus: Corpus) -> tuple[Quality, Quality]:
    """Precision and recall of the corpus' links and story pairs in ``archive``."""
    with archive.session(write=False) as session:
        links = quality(found_links(session, corpus), corpus.links())
        stories = quality(found_story_pairs(session, corpus), corpus.story_pairs())
    return links, stories


def fresh_archive(url: str, corpus: Corpus, config: RelatedConfig) -> tuple[Quality, Quality]:
    """The corpus on a newsroom's first day: its brèves, then all its items in one pass."""
    archive = open_archive(url)
    try:
        with archive.session() as session:
            uids = save_breves(session, corpus.breves, now=NOW)
        link_changed_breves(archive, config, uids, now=NOW)
        with archive.session() as session:
            insert_items(session, corpus.items, now=NOW)
        link_pending_items(archive, config, now=NOW)
        return corpus_quality(archive, corpus)
    finally:
        archive.close()


def fresh_report(args: argparse.Namespace, folder: Path, corpus: Corpus) -> None:
    print(
        f"measurement corpus: {len(corpus.breves)} brèves,"
        f" {sum(1 for i in corpus.items if i.story)} items on them,"
        f" {sum(1 for i in corpus.items if not i.story)} noise items"
    )
    default = RelatedConfig().threshold
    for threshold in sorted({*args.thresholds, default}):
        with ExitStack() as stack:
            if args.backend == "postgresql":
                url, _kept = stack.enter_context(archive_schema(args.postgres_url))
            else:
                url = f"sqlite:///{folder / f'fresh-{threshold}.sqlite3'}"
            links, stories = fresh_archive(url, corpus, RelatedConfig(threshold=threshold))
        mark = "  <- default" if threshold == default else ""
        print(f"  fresh archive, threshold {threshold:.2f}: links {links}; stories {stories}{mark}")


def link_and_report(
    archive: Archive, size: int, args: argparse.Namespace, rng: random.Random, names: list[str]
) -> float:
    """Fill one archive, link the new items, print the figures; returns items per second."""
    start = time.perf_counter()
    corpus = load_corpus()
    stories, dates = fill_breves(archive, size, rng, names, corpus)
    told_by_entry = fill_items(
        archive, args.items - len(corpus.items), rng, names, stories, dates, corpus
    )
    setup = time.perf_counter() - start
    naive = naive_rate(archive, args.naive_sample)
    start = time.perf_counter()
    report = link_pending_items(archive, RelatedConfig(candidates=args.candidates), now=NOW)
    elapsed = time.perf_counter() - start
    assert report.items == args.items
    rate = args.items / elapsed
    precision, recall = generated_quality(archive, stories, told_by_entry)
    links, grouped = corpus_quality(archive, corpus)
    print(
        f"{size:>7,} brèves: linked {args.items:,} new items in {elapsed:.1f} s"
        f" ({rate:,.0f} items/s, {report.links_added:,} links: precision"
        f" {precision:.2f}, recall {recall:.2f}); naive scan {naive:,.1f} items/s"
        f" ({rate / naive:,.0f}x slower); setup {setup:.0f} s\n"
        f"         the corpus among them: links {links}; stories {grouped}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--naive-sample", type=int, default=20)
    parser.add_argument(
        "--thresholds",
        type=float,
        nargs="*",
        default=THRESHOLDS,
        help="thresholds of the fresh archive's curve (none: the default threshold only)",
    )
    parser.add_argument(
        "--candidates",
        type=int,
        default=RelatedConfig().candidates,
        help="[related] candidates for the generated archives",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("BREVEFEED_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    if args.backend == "postgresql" and not args.postgres_url:
        sys.exit("--backend postgresql needs --postgres-url or $BREVEFEED_TEST_POSTGRES_URL")
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fresh_report(args, folder, load_corpus())
        for size in args.sizes:
            rng = random.Random(size)
            names = entities(rng, 5000)
            with ExitStack() as stack:
                if args.backend == "postgresql":
                    url, _kept = stack.enter_context(archive_schema(args.postgres_url))
                else:
                    url = f"sqlite:///{folder / f'related-{size}.sqlite3'}"
                archive = open_archive(url)
                stack.callback(archive.close)
                rates[size] = link_and_report(archive, size, args, rng, names)
        for before, size in zip(args.sizes, args.sizes[1:], strict=False):
            first = args.sizes[0]
            print(
                f"items/s at {size:,} brèves: {rates[size] / rates[first]:.2f}x the rate at"
                f" {first:,}, {rates[size] / rates[before]:.2f}x the rate at {before:,}"
            )


if __name__ == "__main__":
    main()
