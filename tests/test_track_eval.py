"""Identity metrics (IDF1) and count errors against a small hand-made truth."""

from __future__ import annotations

import pandas as pd
import pytest
from pyproj import Geod

from training.track_eval import (
    count_errors,
    false_moves,
    identity_scores,
    identity_scores_from_labels,
    markdown_table,
    truth_counts,
)

M = 1 / 111_320  # about a metre in degrees near the equator


def truth_table() -> pd.DataFrame:
    """Two dredges 200 m apart on four scenes; dredge B is under cloud in scene s3."""
    rows = []
    for k in range(4):
        rows.append(("A", f"s{k}", -73.0, -3.0, True))
        rows.append(("B", f"s{k}", -73.0 + 200 * M, -3.0, k != 3))
    frame = pd.DataFrame(rows, columns=["dredge_id", "scene", "lon", "lat", "visible"])
    frame["river"] = "R"
    frame["acquired"] = [f"2024-0{1 + k // 2}-01T15:00:00Z" for k in range(8)]
    return frame


def predicted(tracks: list[int], jitter_m: float = 5.0) -> pd.DataFrame:
    visible = truth_table().query("visible").reset_index(drop=True)
    return pd.DataFrame(
        {
            "track_id": tracks,
            "scene": visible["scene"],
            "lon": visible["lon"] + jitter_m * M,
            "lat": visible["lat"],
        }
    )


def test_perfect_tracks_score_one() -> None:
    scores = identity_scores(truth_table(), predicted([1, 2, 1, 2, 1, 2, 1]))
    assert scores.idf1 == scores.idp == scores.idr == 1.0
    assert scores.truth == 7 and scores.idtp == 7


def test_a_switch_halfway_costs_identity() -> None:
    # Track 1 follows A for two scenes then B; track 2 the other way round.
    scores = identity_scores(truth_table(), predicted([1, 2, 1, 2, 2, 1, 2]))
    # A↔1 and B↔2 keep 2 + 2 of the 7 co-occurrences (A↔2 and B↔1 would keep 2 + 1).
    assert scores.idtp == 4
    assert scores.idf1 == pytest.approx(2 * 4 / 14)


def test_far_detections_and_untracked_ones_are_not_matches() -> None:
    scores = identity_scores(truth_table(), predicted([1, 2, 1, 2, 1, 2, 1], jitter_m=50))
    assert scores.idtp == 0
    with_untracked = predicted([1, 2, 1, 2, 1, 2, 1])
    with_untracked["track_id"] = pd.array([1, None, 1, None, 1, None, 1], dtype="Int64")
    scores = identity_scores(truth_table(), with_untracked)
    assert scores.idtp == 4 + 1  # A fully; B once (each untracked box is its own identity)
    assert scores.predicted_ids == 1 + 3


def test_rows_without_a_position_are_unmatched() -> None:
    """A NaN lon or lat (the centre of an empty geometry) stopped the scoring on a k-d tree
    traceback, "data must be finite". Now such a row matches nothing: a prediction, or a true
    appearance, left unmatched; the other rows of its scene still pair."""
    found = predicted([1, 2, 1, 2, 1, 2, 1])
    found.loc[0, "lon"] = float("nan")  # A in s0: a prediction without a position
    truth = truth_table()
    truth.loc[3, "lat"] = float("nan")  # B in s1: a true appearance without one
    scores = identity_scores(truth, found)
    assert (scores.predicted, scores.truth) == (7, 7)
    assert scores.idtp == 3 + 2  # A in s1, s2, s3; B in s0, s2
    assert scores.idf1 == pytest.approx(2 * 5 / 14)


def test_match_m_is_metres_in_every_direction_away_from_the_equator() -> None:
    """Each point was scaled east–west by the cosine of its own latitude: at the Aguaytía
    (8.75° S, 75.45° W) a point due north of another was also set 0.2 × as far east, so a
    detection 28 m north-west of a dredge was 31.0 m from it (not matched at 30 m) and one
    32 m north-east was 29.1 m (matched). Now each scene is scaled at one latitude."""
    geod = Geod(ellps="WGS84")
    lon, lat = -75.45, -8.75
    rows = []
    for k, (azimuth, metres) in enumerate(
        [(315, 28.0), (45, 32.0), (0, 29.5), (90, 29.5), (135, 31.0), (225, 28.5)]
    ):
        there = geod.fwd(lon, lat, azimuth, metres)
        rows.append((f"s{k}", there[0], there[1], metres <= 30))
    truth = pd.DataFrame({"dredge_id": "A", "scene": [r[0] for r in rows], "lon": lon, "lat": lat})
    for scene, d_lon, d_lat, near in rows:
        found = pd.DataFrame({"track_id": [1], "scene": [scene], "lon": [d_lon], "lat": [d_lat]})
        assert identity_scores(truth, found, match_m=30.0).idtp == int(near), scene


def test_labels_score_a_track_that_hops_between_dredges_side_by_side() -> None:
    """Two dredges moored 12 m apart on four scenes, two tracks that swap them every scene:
    paired by position (30 m) both tracks follow both dredges (IDF1 1.0); by the true dredge
    of each detection, each track is right half the time."""
    rows = []
    for k in range(4):
        rows.append(("A", f"s{k}", -73.0, -3.0, True))
        rows.append(("B", f"s{k}", -73.0 + 12 * M, -3.0, True))
    truth = pd.DataFrame(rows, columns=["dredge_id", "scene", "lon", "lat", "visible"])
    hops = [1, 2, 2, 1, 1, 2, 2, 1]  # A→1, B→2, then A→2, B→1, ...
    found = truth[["scene", "lon", "lat"]].assign(track_id=hops)
    assert identity_scores(truth, found).idf1 == 1.0  # by position: credited
    scenes = truth["scene"]
    exact = identity_scores_from_labels(
        truth["dredge_id"], found["track_id"], len(truth), scenes=scenes
    )
    assert exact.idtp == 4 and exact.idf1 == pytest.approx(0.5)
    steady = identity_scores_from_labels(
        truth["dredge_id"], pd.Series([1, 2] * 4), 8, scenes=scenes
    )
    assert steady.idf1 == 1.0
    # A false detection (no true dredge) lowers precision only; an untracked one is alone.
    labels = pd.Series(["A", "B"] * 4 + [None, "A"])
    tracks = pd.array([1, 2] * 4 + [1, None], dtype="Int64")
    scores = identity_scores_from_labels(
        labels, pd.Series(tracks), 9, scenes=pd.Series([*scenes, "s4", "s4"])
    )
    assert (scores.idtp, scores.predicted, scores.predicted_ids) == (8, 10, 3)
    assert scores.idr == pytest.approx(8 / 9) and scores.idp == pytest.approx(0.8)


def test_two_detections_of_one_appearance_count_it_once() -> None:
    """Two detections of one dredge in one scene (a second box on its hull) in one track, with
    one true appearance: each counted as a match, IDR was 2.0 and IDF1 1.33. The appearance
    counts once; the second detection is a prediction that matches nothing."""
    one = identity_scores_from_labels(
        pd.Series(["A", "A"]), pd.Series([1, 1]), 1, scenes=pd.Series(["s0", "s0.tif"])
    )
    assert (one.idtp, one.predicted, one.truth) == (1, 2, 1)
    assert one.idr == 1.0 and one.idp == 0.5 and one.idf1 == pytest.approx(2 / 3)
    # in two scenes they are two appearances; in two tracks, the best track has one of them
    two = identity_scores_from_labels(
        pd.Series(["A", "A"]), pd.Series([1, 1]), 2, scenes=pd.Series(["s0", "s1"])
    )
    assert two.idtp == 2 and two.idf1 == 1.0
    split = identity_scores_from_labels(
        pd.Series(["A", "A"]), pd.Series([1, 2]), 1, scenes=pd.Series(["s0", "s0"])
    )
    assert split.idtp == 1 and split.idr == 1.0


def test_truth_counts_and_count_errors() -> None:
    truth = truth_counts(truth_table(), ["R", "Empty"], range(2024, 2026))
    counts = truth.set_index(["river", "year"])["unique_dredges"]
    assert counts[("R", 2024)] == 2 and counts[("R", 2025)] == 0 and counts[("Empty", 2024)] == 0
    predicted_counts = truth.assign(unique_low=truth["unique_dredges"], unique_high=3)
    predicted_counts.loc[0, "unique_dredges"] = 3
    errors = count_errors(predicted_counts, truth).set_index(["river", "year"])
    assert errors.loc[("R", 2024), "error"] == 1
    assert errors.loc[("R", 2024), "relative_error"] == 0.5
    assert not errors.loc[("R", 2024), "within_tolerance"]
    assert errors.loc[("Empty", 2025), "within_tolerance"]
    assert "| river | year |" in markdown_table(errors.reset_index())


def test_false_moves_count_a_life_joined_to_the_next() -> None:
    # C leaves for good after February; D arrives in March; E is there all along.
    months = ["2024-01-05", "2024-02-05", "2024-03-05", "2024-04-05"]
    truth = pd.DataFrame(
        {"dredge_id": list("CCDD") + list("EEEE"), "acquired": months * 2, "visible": True}
    )
    linked = pd.DataFrame(
        {
            "track_id": [1, 1, 1, 1, 2, 2, 2, 2, 3],
            "dredge_id": [*"CCDD", *"EEEE", None],  # track 3: a false detection
            "acquired": [*months, *months, "2024-02-05"],
        }
    )
    assert false_moves(linked, truth) == 1
    # A swap between two dredges that are both still there is not one.
    swapped = linked.assign(dredge_id=[*"CCEE", *"EEDD", None])
    assert false_moves(swapped, truth) == 0
    # Nor is a link across the new year (each year's count still has both).
    later = [m.replace("2024-03", "2025-03").replace("2024-04", "2025-04") for m in months]
    next_year = truth.assign(acquired=later * 2)
    assert false_moves(linked.assign(acquired=[*later, *later, "2024-02-05"]), next_year) == 0


def test_false_moves_through_a_false_detection_and_past_a_missed_appearance() -> None:
    # C leaves for good after February, D arrives in March; the track links C → false → D.
    months = ["2024-01-05", "2024-02-05", "2024-02-20", "2024-03-05", "2024-04-05"]
    linked = pd.DataFrame(
        {"track_id": 1, "dredge_id": ["C", "C", None, "D", "D"], "acquired": months}
    )
    detected = linked.drop(columns="track_id")
    assert false_moves(linked, detected.assign(visible=True)) == 1  # was 0: the false one hid it
    # C was there once more in February, unseen (a missed detection): as the tracker saw it,
    # C's last detection was joined to D's first all the same.
    truth = pd.concat([detected, pd.DataFrame({"dredge_id": ["C"], "acquired": ["2024-02-25"]})])
    assert false_moves(linked, truth.assign(visible=True)) == 0  # by the truth: C came back
    assert false_moves(linked, detected.dropna()) == 1
