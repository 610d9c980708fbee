"""Groups of dredges moored side by side in one acquisition."""

from __future__ import annotations

import numpy as np

from detector.side_by_side import side_by_side_groups


def test_members_at_one_chainage_form_a_group_ranked_across_the_channel() -> None:
    s = np.array([1000.0, 1003.0, 998.0, 2500.0, 1001.0])
    o = np.array([10.0, -8.0, 27.0, 0.0, 10.0])
    t = np.array([5.0, 5.0, 5.0, 5.0, 9.0])  # the last one is another acquisition
    groups = side_by_side_groups(s, o, t, gate_m=30.0)
    assert groups.size.tolist() == [3, 3, 3, 1, 1]
    assert groups.rank.tolist() == [1, 0, 2, 0, 0]


def test_groups_chain_along_the_channel_within_the_gate_only() -> None:
    s = np.array([0.0, 25.0, 50.0, 100.0])
    groups = side_by_side_groups(s, np.zeros(4), np.zeros(4), gate_m=30.0)
    assert groups.size.tolist() == [3, 3, 3, 1]


def test_no_detections_give_empty_groups() -> None:
    groups = side_by_side_groups(np.zeros(0), np.zeros(0), np.zeros(0), gate_m=30.0)
    assert len(groups.size) == 0 and len(groups.rank) == 0


def test_detections_of_two_rivers_in_one_scene_are_two_groups() -> None:
    """One scene can see two rivers: detections at the same time and chainage on each are
    groups of their own river."""
    s, o, t = np.array([100.0, 100.0, 110.0]), np.array([0.0, 5.0, 10.0]), np.zeros(3)
    groups = side_by_side_groups(s, o, t, gate_m=30.0, river=np.array([0, 1, 0]))
    assert groups.size.tolist() == [2, 1, 2]
    assert groups.rank.tolist() == [0, 0, 1]
