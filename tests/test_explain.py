from brevefeed.archive import Archive
from brevefeed.archive.breves import get_breve
from brevefeed.config import RelatedConfig
from brevefeed.related.explain import compare, reasons, surface_words
from brevefeed.related.links import find_item
from brevefeed.related.run import link_changed_breves, link_pending_items
from related_corpus import NOW, corpus, load_breves, load_items


def test_surface_words_give_each_stem_its_first_written_form() -> None:
    found = surface_words(["Les ministres et la ministre", "Vierzon"])
    assert found["ministr"] == "ministres" and found["vierzon"] == "vierzon"


def test_the_comparison_is_the_linkers(archive: Archive) -> None:
    data = corpus()
    with archive.session() as session:
        load_breves(session, data)
        load_items(session, data)
    link_pending_items(archive, RelatedConfig(), now=NOW)
    link_changed_breves(archive, RelatedConfig(), [], now=NOW)
    with archive.session(write=False) as session:
        breve = get_breve(session, "forum-rencontres-ferme")
        item = find_item(session, "https://gazette.example/societe/site-rencontres-ferme")
        seen = compare(session, breve, item)
        assert 0 < seen.words <= 1 and seen.score <= 1 and seen.days_apart is not None
        assert seen.dates > 1  # published the same day
        assert "forum" in {term for term, _ in seen.terms}
        far = find_item(session, "https://radio.example/eco/energie")
        assert compare(session, breve, far).score < seen.score
        why = reasons(session, breve, [item.id, far.id])
        assert "forum" in why[item.id] and len(why[item.id]) <= 4
        assert reasons(session, breve, []) == {}
