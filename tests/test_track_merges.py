"""Tracks merged by hand (``track_id`` edited) and tracked again: the merged track is rated,
counted and described as the tracker would a track of the same detections."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from detector.track_pipeline import run_track
from tests import track_fixtures as tf
from tests.track_fixtures import straight_line


def _merged(
    tmp_path: Path,
    days: list[pd.Timestamp],
    *,
    scores: bool = True,
    along: list[float] | None = None,
) -> gpd.GeoDataFrame:
    """Detections of one dredge on ``days``, at one spot (500 m along the river) or ``along``
    it, tracked (without scenes), every track then given track 1's id, and tracked again:
    the tracks written."""
    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    spots = along or [500.0] * len(days)
    dets = tf.detections([(t, tf.point_at(line, s)) for t, s in zip(days, spots, strict=True)])
    if not scores:  # marked by hand: a date and a position
        dets = dets[["acquired", "geometry"]]
    dets.to_file(tmp_path / "d.gpkg")
    run_track(tmp_path / "d.gpkg", rivers, tmp_path / "tracks.parquet")
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["track_id"].nunique() == 2
    linked.assign(track_id=1).to_parquet(tmp_path / "merged.parquet")
    run = run_track(tmp_path / "merged.parquet", rivers, tmp_path / "once.parquet")
    assert any(": 1 track merged by hand (track_id edited" in note for note in run.notes)
    return gpd.read_parquet(tmp_path / "once.parquet")


def test_hand_marks_merged_by_hand_are_kept_as_one(tmp_path: Path) -> None:
    """Hand marks have no score column: merging two of their tracks in the output ended
    `dredge track` in a traceback, KeyError: 'score'. (The dredge moves 1 km between them:
    at one spot over 207 days, the merge is a fixed object, not counted.)"""
    days = tf.dates(2) + [t + pd.Timedelta(days=200) for t in tf.dates(2)]
    tracks = _merged(tmp_path, days, scores=False, along=[500.0, 500.0, 1500.0, 1500.0])
    assert tracks[["n_dates", "counted", "confidence"]].values.tolist() == [[4, True, 0.938]]


def test_a_merge_is_rated_as_a_track_of_its_dates(tmp_path: Path) -> None:
    """Two tracks seen once each (confidence 0.9 × (1 − 0.5) = 0.45), merged: one track seen
    on two dates, whose confidence is 0.9 × (1 − 0.5²) = 0.675, as the README says and the
    tracker gives a dredge seen twice; it kept the larger of its parts', 0.45."""
    days = tf.dates(1) + [t + pd.Timedelta(days=100) for t in tf.dates(1)]
    tracks = _merged(tmp_path, days)
    assert tracks[["n_dates", "confidence"]].values.tolist() == [[2, 0.675]]


def test_fixed_objects_merged_by_hand_say_how_long_they_did_not_move(tmp_path: Path) -> None:
    """Two fixed objects at one spot (each detected for 130 days, 130 days apart), merged:
    still a fixed object, over 390 days; the reason said "never moved in 33696000000000000
    days" (the nanoseconds between its first and last detection)."""
    days = tf.dates(14, 10.0) + [t + pd.Timedelta(days=260) for t in tf.dates(14, 10.0)]
    tracks = _merged(tmp_path, days)
    assert tracks["static"].tolist() == [True]
    assert tracks["uncounted_reason"].iloc[0] == (
        "a fixed object: never moved in 390 days, over --max-static-days 120"
    )


def test_short_tracks_at_one_spot_merged_into_a_year_are_a_fixed_object(tmp_path: Path) -> None:
    """Two tracks at one spot, each seen on three dates over 20 days (too short to be judged
    a fixed object), 300 days apart, merged: never moved in 320 days, a fixed object, as the
    tracker judges a track of those detections. ``static`` was that of all its parts (not
    static), and the merge was counted as a dredge."""
    days = tf.dates(3, 10.0) + [t + pd.Timedelta(days=300) for t in tf.dates(3, 10.0)]
    tracks = _merged(tmp_path, days)
    assert tracks[["static", "counted", "moves", "moved_m"]].values.tolist() == [
        [True, False, 1, 0.0]
    ]
    assert tracks["uncounted_reason"].iloc[0] == (
        "a fixed object: never moved in 320 days, over --max-static-days 120"
    )


def test_fixed_objects_2_km_apart_merged_are_a_dredge_that_moved(tmp_path: Path) -> None:
    """Two tracks that never moved in 130 days each (fixed objects), 2 km apart, merged: one
    dredge that moved 2 km, not static, counted. It stayed a fixed object (all its parts
    were), with no move, and was not counted."""
    days = tf.dates(14, 10.0) + [t + pd.Timedelta(days=260) for t in tf.dates(14, 10.0)]
    tracks = _merged(tmp_path, days, along=[500.0] * 14 + [2500.0] * 14)
    assert tracks[["static", "counted", "moves"]].values.tolist() == [[False, True, 1]]
    assert tracks["moved_m"].iloc[0] == pytest.approx(2000.0, abs=1.0)
    assert tracks["uncounted_reason"].iloc[0] == ""
