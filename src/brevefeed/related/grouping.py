"""Which stories become one: pure decisions over story ids.

Items that cover the same brève tell the same story, whichever outlet wrote them and in
whatever words; a follow-up months later joins the story of the brève it covers too.
"""

from __future__ import annotations

from collections.abc import Iterable


def merged_stories(groups: Iterable[Iterable[int]]) -> dict[int, int]:
    """Story ids that must change, each to the story it joins (the oldest of its group).

    ``groups``: sets of story ids that belong together (those of the items linked to one
    brève). Groups sharing a story join too.
    """
    parent: dict[int, int] = {}

    def root(story: int) -> int:
        while parent.get(story, story) != story:
            parent[story] = parent.get(parent[story], parent[story])
            story = parent[story]
        return story

    for group in groups:
        roots = sorted({root(story) for story in group})
        for other in roots[1:]:
            parent[other] = roots[0]
    return {story: root(story) for story in parent if root(story) != story}
