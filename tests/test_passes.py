"""A dredge seen twice in one pass (overlapping scenes of a strip, a scene given twice) is one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector.passes import same_pass_duplicates
from detector.track_frames import days_since_epoch as tf_days
from detector.track_moorings import LOOKUP_SLACK_M, RIVER_SPACING_M
from detector.track_params import TrackParams
from detector.tracking import link_tracks
from tests import track_fixtures as tf

SECOND = pd.Timedelta(seconds=1)


def _twins(rows: list[tuple[float, int, float, float, float]]) -> list[int]:
    """Rows of (days, scene, chainage, offset, score) on one river."""
    table = np.array(rows, dtype=float)
    return same_pass_duplicates(
        pd.Series(["Nanay"] * len(rows), dtype="string"),
        table[:, 0],
        table[:, 1].astype(np.int64),
        table[:, 2],
        table[:, 3],
        table[:, 4],
    ).tolist()


def test_the_same_dredge_in_two_scenes_of_a_pass_is_one_and_neighbours_stay_two() -> None:
    second = 1 / 86_400
    rows = [
        (100.0, 0, 1000.0, 0.0, 0.9),  # dredge A in scene 0...
        (100.0, 0, 1000.0, 12.0, 0.8),  # ...and B side by side with it
        (100.0 + second, 1, 1003.0, 1.0, 0.7),  # A again in scene 1, a second later
        (100.0 + second, 1, 1002.0, 13.0, 0.95),  # B again, better scored there
        (101.0, 2, 1000.0, 0.0, 0.9),  # the next day: another look, not a duplicate
        (100.0, 0, 1004.0, 2.0, 0.5),  # a second box in scene 0 itself: not this rule's
    ]
    assert _twins(rows) == [-1, 3, 0, -1, -1, -1]
    unknown = [(100.0, -1, 1000.0, 0.0, 0.9), (100.0, -1, 1000.0, 0.0, 0.8)]
    assert _twins(unknown) == [-1, -1]  # no scene names (marked by hand): never merged


def _world() -> pd.DataFrame:
    """Three dredges over eight weekly looks; one moves 1.5 km on the fifth."""
    line, net = tf.meander_line(), tf.network()
    rows = []
    for k, t in enumerate(tf.dates(8)):
        rows += [(t, tf.point_at(line, 500)), (t, tf.point_at(line, 500, 12.0))]
        rows.append((t, tf.point_at(line, 3000 if k < 4 else 4500)))
    return tf.detections(rows, net)


def test_a_scene_given_twice_or_a_strip_overlap_changes_no_track() -> None:
    """Two copies of one scene looked like a group of two dredges per dredge: a scene given
    twice raised a river-year from 4 to 5 dredges on real-looking scenes."""
    base = _world()
    _, expected = link_tracks(base)
    fourth = base["acquired"] == base["acquired"].unique()[3]
    copy = base[fourth].assign(scene=lambda f: f["scene"] + "_Visual")  # same instant
    strip = base[fourth].assign(
        scene=lambda f: f["scene"] + "_next", acquired=lambda f: f["acquired"] + SECOND
    )
    for extra in (copy, strip):
        given = pd.concat([base, extra], ignore_index=True)
        given["detection_id"] = np.arange(1, len(given) + 1)
        linked, tracks = link_tracks(given)
        pd.testing.assert_frame_equal(
            tracks.drop(columns="geometry"), expected.drop(columns="geometry")
        )
        twins = linked.iloc[len(base) :]
        assert (twins["link"] == "duplicate").all()
        originals = linked.iloc[: len(base)][fourth.to_numpy()]
        assert twins["track_id"].tolist() == originals["track_id"].tolist()


def test_a_scene_of_the_same_pass_that_missed_a_dredge_is_not_its_spot_seen_empty() -> None:
    """A dredge seen once, on the last look: it counts when its spot was seen empty 20 days
    before. Another scene of that pass, a second earlier, whose detector missed it, made its
    spot 'seen empty' a second before it arrived, and it no longer counted."""
    line, net = tf.meander_line(), tf.network()
    days = tf.dates(5, every_days=20.0)
    rows = [(t, tf.point_at(line, 500)) for t in days] + [(days[-1], tf.point_at(line, 3000))]
    dets = tf.detections(rows, net)
    _, alone = link_tracks(dets, tf.observed(days))
    assert alone["counted"].tolist() == [True, True]
    before = days[-1] - SECOND  # the strip's previous scene: it saw both spots
    missed = tf.detections([(before, tf.point_at(line, 500))], net)
    given = pd.concat([dets, missed], ignore_index=True).assign(detection_id=lambda f: f.index)
    _, tracks = link_tracks(given, tf.observed([*days, before]))
    assert tracks["counted"].tolist() == [True, True]


def test_scenes_exactly_ten_minutes_apart_are_one_pass_whatever_the_time() -> None:
    """Times went through floating-point days: two scenes 10:00 apart (hand marks timed to
    the minute) were one pass at some times of day and two at others (of 20,000 random
    times, 15,431 were taken as more than ten minutes apart)."""
    for start in ("2024-03-05 14:30", "2024-07-19 15:10", "2025-01-02 13:50"):
        first = pd.Timestamp(start, tz="UTC")
        times = pd.Series([first, first + pd.Timedelta(minutes=10)])
        days = tf_days(times)
        rows = [(days[0], 0, 1000.0, 0.0, 0.9), (days[1], 1, 1003.0, 1.0, 0.7)]
        assert _twins(rows) == [-1, 0], start


def test_a_spot_seen_empty_by_two_scenes_of_a_pass_is_one_look() -> None:
    """A strip's scenes overlap: a dredge the detector missed there was seen empty twice on
    one pass, and three missed passes (six looks, over ``resume_absent_max``) ended its stay,
    so it came back as a second dredge (both counted); seen_absent said 5."""
    line, net = tf.meander_line(), tf.network()
    moments = tf.dates(8)
    missed = moments[2:5]
    rows = [(t, tf.point_at(line, 500)) for t in moments if t not in missed]
    strips = [t + 5 * SECOND for t in missed]  # the next scene of each pass, overlapping
    linked, tracks = link_tracks(tf.detections(rows, net), tf.observed(moments + strips))
    assert linked["track_id"].nunique() == 1
    assert linked["link"].tolist().count("resume") == 1
    assert tracks["seen_absent"].tolist() == [3]


def test_a_spot_seen_empty_seconds_before_a_detection_in_the_same_pass_was_not_left() -> None:
    """The first scene of a strip missed the dredge in its overlap, the next one, five seconds
    later, found it: that look counted as seen empty, so with one earlier missed look the
    dredge had "left" (``absent_to_end``) and its detection was a resume; after a long gap
    (over ``resume_days``) its stay ended there and it came back as a move."""
    line, net = tf.meander_line(), tf.network()
    moments = tf.dates(8)
    pass_first, found = moments[4], moments[4] + 5 * SECOND
    rows = [(t, tf.point_at(line, 500)) for t in moments if t not in (moments[3], pass_first)]
    rows.append((found, tf.point_at(line, 500)))
    linked, tracks = link_tracks(tf.detections(rows, net), tf.observed([*moments, found]))
    assert tracks["seen_absent"].tolist() == [1]  # moments[3]'s look alone saw it empty
    assert linked["link"].tolist() == ["new"] + ["stay"] * 6
    # Unseen for weeks (cloud), then missed once: the same pass ended its stay.
    days = [tf.START + pd.Timedelta(days=d) for d in (0, 7, 55, 62, 69, 76)]
    found = days[3] + 5 * SECOND
    rows = [(t, tf.point_at(line, 500)) for t in (days[0], days[1], found, days[4], days[5])]
    linked, tracks = link_tracks(tf.detections(rows, net), tf.observed([*days, found]))
    assert linked["link"].tolist() == ["new"] + ["stay"] * 4
    assert tracks["moves"].tolist() == [0]


def test_a_member_missed_by_both_scenes_of_a_pass_beside_its_group_was_not_left() -> None:
    """Both scenes of a strip saw a group of two where they overlap and missed one member; the
    other member's detection in one scene was the duplicate of the other's, so that scene had
    no detection beside the missed member's spot, which counted as seen empty."""
    line, net = tf.meander_line(), tf.network()
    moments = tf.dates(6)
    strip = moments[3] + 5 * SECOND
    for first_scores_higher in (True, False):
        rows = [(t, tf.point_at(line, 500, o)) for t in moments for o in (0.0, 12.0)]
        rows = [r for r in rows if r[0] != moments[3] or r[1] == tf.point_at(line, 500, 0.0)]
        rows.append((strip, tf.point_at(line, 500, 0.0)))  # the same member, next scene
        dets = tf.detections(rows, net)
        dets.loc[dets["acquired"] == strip, "score"] = 0.8 if first_scores_higher else 0.95
        linked, tracks = link_tracks(dets, tf.observed([*moments, strip]))
        assert linked["link"].tolist().count("duplicate") == 1
        assert tracks["seen_absent"].tolist() == [0, 0], first_scores_higher


def test_the_next_scene_of_a_pass_is_no_other_look_between_two_detections() -> None:
    """A detection more than ``stay_gap_days`` after the last one opens a new mooring only
    with other looks at the river in between: the next scene of the pass (seconds after the
    last detection, or before this one) counted as one, so a fixed object seen every 65 days
    "moved" and was counted as a dredge."""
    line, net = tf.meander_line(), tf.network()
    days = [tf.START + pd.Timedelta(days=d) for d in (0, 65, 130)]
    dets = tf.detections([(t, tf.point_at(line, 500)) for t in days], net)
    for strip in (days[0] + 5 * SECOND, days[1] - 5 * SECOND):
        linked, tracks = link_tracks(dets, tf.observed([*days, strip]))
        assert linked["link"].tolist() == ["new", "stay", "stay"], strip
        assert tracks["static"].tolist() == [True]


def test_two_detections_equally_near_a_twin_are_told_apart_by_position_not_row_order() -> None:
    """Two dredges 7.2 m apart across the channel in the next scene, either side of one seen
    in the first: the duplicate was the one in the earlier row."""
    second = 1 / 86_400
    keeper = (100.0, 0, 1000.0, 0.0, 0.9)
    left, right = (100.0 + second, 1, 1000.0, 3.6, 0.5), (100.0 + second, 1, 1000.0, -3.6, 0.5)
    one = _twins([keeper, left, right])
    other = _twins([keeper, right, left])
    assert [one[1], one[2]] == [other[2], other[1]]
    assert one == [-1, -1, 0]  # the lower offset, whatever the rows


def test_a_mark_by_hand_in_the_next_scene_of_a_pass_stays_and_the_dredge_counts() -> None:
    """An analyst marked a dredge (a row without a score) in the next scene of a strip, where
    the detector's box in the first scene scored 0.3: the mark was the box's duplicate, so the
    box alone judged the track, and the dredge the analyst saw was not counted (its best score
    0.30 under --count-score). The mark stays; the box is its duplicate."""
    second = 1 / 86_400
    box, mark = (100.0, 0, 1000.0, 0.0, 0.3), (100.0 + 5 * second, 1, 1001.0, 1.0, np.nan)
    assert _twins([box, mark]) == [1, -1]
    assert _twins([mark, box]) == [-1, 0]
    line, net = tf.meander_line(), tf.network()
    days = tf.dates(5)
    rows = [(day, tf.point_at(line, 3000)) for day in days]  # another dredge, every look
    rows += [(days[2], tf.point_at(line, 500)), (days[2] + 5 * SECOND, tf.point_at(line, 501, 1))]
    dets = tf.detections(rows, net).assign(score=[0.9] * 5 + [0.3, np.nan])
    seen = tf.observed([*days, days[2] + 5 * SECOND])
    linked, tracks = link_tracks(dets, seen, params=TrackParams(unscored_sure=True))
    assert linked["link"].tolist()[5:] == ["duplicate", "new"]
    assert tracks["counted"].tolist() == [True, True]


def test_two_dredges_first_seen_in_a_strips_overlap_are_two_tracks() -> None:
    """A group of two first seen where two scenes of a strip overlap, on the last look: each
    member's better-scored detection was kept, one from each scene. The tracker stepped scene
    by scene, so the later scene's member "stayed" at the earlier one's mooring: the group was
    one track (2 counted tracks for 3), as it was when both kept detections came from one scene.
    """
    line, net = tf.meander_line(), tf.network()
    days = tf.dates(5, every_days=20.0)
    strip = days[-1] + 5 * SECOND  # the strip's next scene
    rows = [(t, tf.point_at(line, 3000)) for t in days]  # another dredge, every look
    rows += [(t, tf.point_at(line, 500, o)) for t in (days[-1], strip) for o in (0.0, 12.0)]
    seen = tf.observed([*days, strip])
    for split in (False, True):  # both kept in the first scene, or one in each
        scores = [0.9, 0.6, 0.6, 0.9] if split else [0.9, 0.9, 0.6, 0.6]
        dets = tf.detections(rows, net).assign(score=[0.9] * len(days) + scores)
        linked, tracks = link_tracks(dets, seen)
        links = linked["link"].tolist()[len(days) :]
        assert sorted(links) == ["duplicate", "duplicate", "new", "new"], split
        assert linked["track_id"].nunique() == 3, split
        assert tracks["counted"].tolist() == [True, True, True], split


def test_a_dredge_seen_by_two_satellites_minutes_apart_is_one_track() -> None:
    """A second satellite's scene four minutes after the first's, its image 20 m off along the
    channel (beyond a duplicate's reach): taken as one pass with the first, it was one step of
    the tracker, so its detection could not join the dredge's mooring and opened a second one,
    a dredge seen once beside another: 2 tracks counted for 1. Scenes minutes apart are two
    looks; a strip's scenes, seconds apart, are still one (the test above)."""
    line, net = tf.meander_line(), tf.network()
    days = tf.dates(6, every_days=10.0)
    other = days[2] + 4 * 60 * SECOND
    rows = [(t, tf.point_at(line, 500)) for t in days] + [(other, tf.point_at(line, 520))]
    dets = tf.detections(rows, net)
    for seen in (tf.observed([*days, other]), None):
        linked, tracks = link_tracks(dets, seen)
        assert linked["link"].tolist() == ["new"] + ["stay"] * 6, seen is None
        assert tracks["counted"].tolist() == [True], seen is None


def test_a_duplicate_is_found_after_tens_of_thousands_of_passes() -> None:
    """The search key was ``pass number × 1e12 + chainage``: past ~36,000 passes in one run
    (daily looks at 10 rivers for 10 years) float64 keeps it to 8 m, so a pair 11 m apart
    along the channel read 16 m apart and its duplicate was missed."""
    earlier = [(float(day), day, 50_000.0, 0.0, 0.9) for day in range(40_000)]
    second = 1 / 86_400
    pair = [(40_000.0, 40_000, 1003.0, 0.0, 0.9), (40_000.0 + second, 40_001, 1014.0, 0.0, 0.8)]
    assert _twins(earlier + pair)[-2:] == [-1, 40_000]
    assert _twins(pair) == [-1, 0]  # the same pair in a run of one pass


def test_the_tracker_river_offset_keeps_chainage_for_a_million_rivers() -> None:
    """Not a fault (checked): the tracker's lookups key a chainage as ``chainage + river ×
    1e9`` and reach ``LOOKUP_SLACK_M`` further, the gates then use the chainage itself; float64
    keeps that key to well under the slack for a million rivers of up to 10,000 km."""
    chainage = np.array([0.0, 45.0, 1e7 - 45.0, 1e7])
    for river in (0, 1, 999, 1_000_000):
        key = chainage + river * RIVER_SPACING_M
        error = np.abs((key - river * RIVER_SPACING_M) - chainage)
        assert error.max() < LOOKUP_SLACK_M / 100
        assert key.max() + LOOKUP_SLACK_M < (river + 1) * RIVER_SPACING_M  # rivers stay apart
