"""Groups of dredges moored side by side in one acquisition."""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector.side_by_side import side_by_side_groups
from detector.tracking import link_tracks
from tests import track_fixtures as tf


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


def test_a_group_seen_in_two_scenes_of_a_pass_is_one_group() -> None:
    """A strip's overlap: of a group of three, the better detections of two members are in one
    scene and the third's in the next, five seconds later (:mod:`detector.passes` keeps each
    member's better one). Taken by the exact time, they were a group of two and one of one;
    a scene eleven minutes later is another pass."""
    second = 1 / 86_400
    s = np.array([1000.0, 1002.0, 1001.0, 1000.0])
    o = np.array([0.0, 12.0, 24.0, 0.0])
    t = np.array([5.0, 5.0, 5.0 + 5 * second, 5.0 + 660 * second])
    groups = side_by_side_groups(s, o, t, gate_m=30.0)
    assert groups.size.tolist() == [3, 3, 3, 1]
    assert groups.rank.tolist() == [0, 1, 2, 0]


def _group_that_moves(split: bool) -> pd.DataFrame:
    """A group of two moored at 500 m for four weekly looks, the last one a strip whose next
    scene (5 s later) overlaps it; it then moves to 3,800 m, where a lone dredge also arrives
    at 3,300 m. With ``split`` the second member scored better in the next scene."""
    line, net = tf.meander_line(), tf.network()
    moments = tf.dates(8)
    strip = moments[3] + pd.Timedelta(seconds=5)
    rows, scores = [], []
    for k, moment in enumerate(moments[:4]):
        for offset in (0.0, 12.0):
            rows.append((moment, tf.point_at(line, 500, offset)))
            scores.append(0.6 if split and k == 3 and offset else 0.9)
    for offset in (0.0, 12.0):
        rows.append((strip, tf.point_at(line, 500, offset)))
        scores.append(0.9 if split and offset else 0.6)
    for moment in moments[5:]:
        rows += [(moment, tf.point_at(line, 3800, o)) for o in (0.0, 12.0)]
        rows.append((moment, tf.point_at(line, 3300)))
        scores += [0.9] * 3
    return tf.detections(rows, net).assign(score=scores)


def test_a_group_whose_members_scored_better_in_different_scenes_of_a_pass_moves_as_one() -> None:
    """The group's last look was a strip's overlap, each member's better detection in another
    scene: the group sizes said two lone dredges had left, so one member's move went to the
    lone dredge at 3,300 m, and its place in the group's new mooring at 3,800 m was taken for
    a new dredge."""
    moments = tf.dates(8)
    seen = tf.observed([*moments, moments[3] + pd.Timedelta(seconds=5)])
    one_scene, _ = link_tracks(_group_that_moves(split=False), seen)
    split, _ = link_tracks(_group_that_moves(split=True), seen)
    assert split["track_id"].tolist() == one_scene["track_id"].tolist()
    arrivals = split.iloc[10:13]  # the group at 3,800 m and the lone dredge, first seen
    assert arrivals["link"].tolist() == ["move?", "move?", "new"]
