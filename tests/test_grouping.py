from brevefeed.related.grouping import merged_stories


def test_groups_join_the_oldest_story() -> None:
    assert merged_stories([{7, 3}, {9}]) == {7: 3}
    assert merged_stories([]) == {}


def test_groups_sharing_a_story_join_too() -> None:
    # 5 and 8 share 6: all join 5; 2 and 4 on their own.
    assert merged_stories([{6, 8}, {5, 6}, {4, 2}]) == {6: 5, 8: 5, 4: 2}
