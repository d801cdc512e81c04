"""Is this external item about the same story as this brève? A score in [0, 1].

Text similarity (cosine of tf-idf vectors over French stems, title weighted above standfirst
above body, rarity calibrated by ``rarity``) carries most of the score; shared tags add a
bounded bonus, so two texts that merely share a topic word do not link on tags alone. The
distance between their dates then scales the words (``evidence.time_factor``); it lowers the
bonus of distant texts but does not raise that of close ones.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from brevefeed.related.evidence import time_factor
from brevefeed.related.similarity import dot, norm, terms, tf_idf, weighted_terms
from brevefeed.text import stems

TITLE_WEIGHT = 3.0
STANDFIRST_WEIGHT = 2.0
BODY_WEIGHT = 1.0
FIELD_WEIGHTS = (TITLE_WEIGHT, STANDFIRST_WEIGHT, BODY_WEIGHT)
#: Added per tag the two share (at most two count): enough to lift a borderline text match
#: over the threshold, never enough to make one.
TAG_BONUS = 0.08
MAX_TAGS_COUNTED = 2


@dataclass(frozen=True)
class Profile:
    """One side of a comparison: weighted terms and tag keys."""

    vector: Mapping[str, float]
    tags: frozenset[str]
    #: Length of ``vector``, kept: a brève's profile meets many items.
    norm: float
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class PackedProfile:
    """A brève's profile as a linking run keeps it: terms and weights in two flat sequences.

    About a third of the memory of a dict of floats, so a run can keep every brève it meets
    (at 100,000 brèves, 10,000 new items meet some 70,000 of them).
    """

    terms: tuple[str, ...]
    weights: array[float]
    tags: frozenset[str]
    norm: float
    published: datetime | None = None


def tag_key(tag: str) -> str:
    """A tag reduced like text: « Réseaux sociaux » and « réseau social » meet."""
    return " ".join(stems(tag))


def field_counts(title: str, standfirst: str, body: str) -> dict[str, float]:
    """Stem counts of the three fields, weighted (the costly part: stemming)."""
    return weighted_counts((terms(title), terms(standfirst), terms(body)))


def weighted_counts(fields: Sequence[Mapping[str, int]]) -> dict[str, float]:
    """Stem counts of title, standfirst and body (already stemmed: from the index) weighted."""
    return weighted_terms(zip(fields, FIELD_WEIGHTS, strict=True))


def profile_from(
    counts: Mapping[str, float],
    tags: Iterable[str],
    frequencies: Mapping[str, int],
    documents: int,
    published: datetime | None = None,
) -> Profile:
    keys = frozenset(k for k in (tag_key(t) for t in tags) if k)
    vector = tf_idf(counts, frequencies, documents)
    return Profile(vector, keys, norm(vector), published)


def packed_profile(
    fields: Sequence[Mapping[str, int]],
    tags: Iterable[str],
    frequencies: Mapping[str, int],
    documents: int,
    published: datetime | None = None,
) -> PackedProfile:
    """``profile_from(weighted_counts(fields), …)``, packed to be kept for a whole run."""
    full = profile_from(weighted_counts(fields), tags, frequencies, documents)
    values = array("d", full.vector.values())
    return PackedProfile(tuple(full.vector), values, full.tags, full.norm, published)


def shared_tags(item: Profile, breve: Profile | PackedProfile) -> int:
    """Tags both carry, counting a brève tag the item's text uses as carried by the item."""
    return sum(
        1
        for key in breve.tags
        if key in item.tags or all(part in item.vector for part in key.split())
    )


def word_score(item: Profile, breve: Profile | PackedProfile) -> float:
    """Likeness of the words alone (cosine), whatever the tags and the dates."""
    if isinstance(breve, PackedProfile):
        get = item.vector.get
        product = sum(w * get(t, 0.0) for t, w in zip(breve.terms, breve.weights, strict=True))
    else:
        product = dot(item.vector, breve.vector)
    if product == 0:
        return 0.0
    return product / (item.norm * breve.norm)


def tag_bonus(item: Profile, breve: Profile | PackedProfile) -> float:
    return TAG_BONUS * min(shared_tags(item, breve), MAX_TAGS_COUNTED)


def text_score(item: Profile, breve: Profile | PackedProfile) -> float:
    """Likeness of the words, tags included, whatever the dates."""
    words = word_score(item, breve)
    return words + tag_bonus(item, breve) if words else 0.0


def strength(item: Profile, breve: Profile | PackedProfile) -> float:
    """The words' likeness scaled by the dates' distance, plus the tags' bonus, unbounded:
    what ranks candidates.

    Distant dates lower the bonus as they lower the words; close dates raise only the words:
    raised with them, two tags shared by texts published the same week made a link from words
    as common as « lundi »."""
    words = word_score(item, breve)
    if words == 0:
        return 0.0
    factor = time_factor(item.published, breve.published)
    return words * factor + tag_bonus(item, breve) * min(1.0, factor)


def relatedness(item: Profile, breve: Profile | PackedProfile) -> float:
    """``strength`` bounded to [0, 1]: what is stored and compared with the threshold."""
    return min(1.0, strength(item, breve))


def contributions(item: Profile, breve: Profile | PackedProfile) -> list[tuple[str, float]]:
    """The shared terms and their share of the text score, heaviest first: why they match."""
    theirs = (
        dict(zip(breve.terms, breve.weights, strict=True))
        if isinstance(breve, PackedProfile)
        else breve.vector
    )
    scale = item.norm * breve.norm
    if not scale:
        return []
    shared = ((t, w * theirs[t] / scale) for t, w in item.vector.items() if t in theirs)
    return sorted(shared, key=lambda tw: (-tw[1], tw[0]))


#: Shared terms a mate must hold, each weighing at least ``SHARED_SHARE`` of the words' score.
SHARED_TERMS = 2
SHARED_SHARE = 0.2


def mate_strength(item: Profile, mate: Profile) -> float:
    """``strength`` between two items, 0 when one word makes it: two articles the same week
    naming the same city (« Lille ») are not one story."""
    weights = [w for _, w in contributions(item, mate)]
    if sum(1 for w in weights if w >= SHARED_SHARE * sum(weights)) < SHARED_TERMS:
        return 0.0
    return strength(item, mate)
