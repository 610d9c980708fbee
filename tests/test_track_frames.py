"""The frames the tracker steps through: acquisitions, what they saw, and their times."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from detector.track_frames import (
    ObservedIndex,
    Schedule,
    days_since_epoch,
    detection_scene_keys,
    river_frames,
)
from detector.tracking import link_tracks
from tests import track_fixtures as tf
from tests.track_fixtures import straight_line


def observed(scenes: list[str], times: list[str], boxes: list[tuple[float, ...]]) -> ObservedIndex:
    frame = gpd.GeoDataFrame(
        {"scene": scenes, "acquired": pd.to_datetime(times, utc=True)},
        geometry=[shapely.box(*b) for b in boxes],
        crs="EPSG:4326",
    )
    return ObservedIndex(frame)


def test_times_in_another_zone_and_naive_times_are_days_in_utc() -> None:
    lima = pd.Series(pd.to_datetime(["2024-01-01T05:00:00"]).tz_localize("America/Lima"))
    naive = pd.Series(pd.to_datetime(["2024-01-01T10:00:00"]))
    utc = pd.Series(pd.to_datetime(["2024-01-01T10:00:00Z"]))
    assert days_since_epoch(lima)[0] == days_since_epoch(naive)[0] == days_since_epoch(utc)[0]
    assert days_since_epoch(utc)[0] == pd.Timestamp("2024-01-01T10:00Z").value / 86_400e9


def test_a_scene_is_found_by_its_name_then_by_a_time_no_other_scene_shares() -> None:
    index = observed(
        ["20240101_100000_00_24a3_3B_AnalyticMS_SR", "b", "c"],
        ["2024-01-01T10:00Z", "2024-02-01T10:00Z", "2024-02-01T10:00Z"],
        [(0, 0, 1, 1)] * 3,
    )
    jan = days_since_epoch(pd.Series(["2024-01-01T10:00Z"]))[0]
    feb = days_since_epoch(pd.Series(["2024-02-01T10:00Z"]))[0]
    # A folder and the .tif extension do not matter; the name wins over the time.
    assert index.lookup("20240101_100000_00_24a3_3B_AnalyticMS_SR", feb) == 0
    assert index.lookup(None, jan) == 0
    assert index.lookup("unknown", jan) == 0
    # Two scenes at the same second: a detection without a known name matches neither.
    assert index.lookup(None, feb) is None
    # A detection's scene is known by its file name, without folders or extension.
    keys = detection_scene_keys(pd.DataFrame({"scene": ["x/b.tif", None, "b.TIF"]}))
    assert keys.codes[1] == -1
    assert keys.names[keys.codes[0]] == keys.names[keys.codes[2]] == "b"


def test_scenes_that_saw_the_river_without_a_detection_are_frames_in_time_order() -> None:
    index = observed(
        ["a", "near", "far"],
        ["2024-01-01T10:00Z", "2024-01-15T10:00Z", "2024-01-20T10:00Z"],
        [(-74.1, -3.1, -73.9, -2.9), (-74.1, -3.1, -73.9, -2.9), (10, 10, 11, 11)],
    )
    detections = pd.DataFrame(
        {
            "scene": ["a", "a", "later", "later"],
            "acquired": pd.to_datetime(["2024-01-01T10:00Z"] * 2 + ["2024-02-01T10:00Z"] * 2),
        }
    )
    times = days_since_epoch(detections["acquired"])
    keys = detection_scene_keys(detections)
    lon, lat = np.full(4, -74.0), np.full(4, -3.0)
    frames = river_frames(np.arange(4), times, keys, lon, lat, index)
    # a (two detections, its area), near (no detection: its spots were seen empty),
    # later (two detections, no known area); "far" is nowhere near the river.
    assert [(f.start, f.stop) for f in frames] == [(0, 2), (4, 4), (2, 4)]
    assert frames[0].seen is not None and frames[1].seen is not None and frames[2].seen is None
    assert [f.time for f in frames] == sorted(f.time for f in frames)
    schedule = Schedule.build([frames, frames[:1]])
    assert schedule.time.shape == (2, 3)
    assert np.isnan(schedule.time[1, 1:]).all()


def test_the_scenes_of_a_pass_are_one_frame_that_saw_what_each_saw() -> None:
    """A strip's two scenes, five seconds apart, each with a detection on the river: one frame
    (the tracker links no two detections of one pass), whose area is both scenes'."""
    index = observed(
        ["a", "b", "next day"],
        ["2024-01-01T10:00:00Z", "2024-01-01T10:00:05Z", "2024-01-02T10:00:00Z"],
        [(-74.1, -3.1, -74.0, -2.9), (-74.0, -3.1, -73.9, -2.9), (-74.1, -3.1, -73.9, -2.9)],
    )
    detections = pd.DataFrame(
        {
            "scene": ["a", "b", "next day"],
            "acquired": pd.to_datetime(
                ["2024-01-01T10:00:00Z", "2024-01-01T10:00:05Z", "2024-01-02T10:00:00Z"]
            ),
        }
    )
    times = days_since_epoch(detections["acquired"])
    keys = detection_scene_keys(detections)
    lon, lat = np.array([-74.05, -73.95, -74.0]), np.full(3, -3.0)
    frames = river_frames(np.arange(3), times, keys, lon, lat, index)
    assert [(f.start, f.stop) for f in frames] == [(0, 2), (2, 3)]
    assert frames[0].time == times[0]
    assert shapely.contains_xy(frames[0].seen, lon[:2], lat[:2]).all()


def _looks(x_min: float, x_max: float) -> gpd.GeoDataFrame:
    """Scenes on days 0 and 70 that saw a 10 km square around the river, and one on day 35
    that saw from ``x_min`` to ``x_max`` m east of the origin (the river runs west to east
    through it, 6 km long)."""
    x0, y0 = tf.ORIGIN
    days = [tf.START, tf.START + pd.Timedelta(days=35), tf.START + pd.Timedelta(days=70)]
    frame = tf.observed(days).to_crs(tf.CRS)
    frame.loc[1, "geometry"] = shapely.box(x0 + x_min, y0 - 5000, x0 + x_max, y0 + 5000)
    return frame.to_crs("EPSG:4326")


@pytest.mark.parametrize(("x_min", "tracks"), [(0.0, 1), (-1100.0, 2)])
def test_a_scene_that_saw_the_river_1_km_from_a_dredge_is_no_look_at_it(
    x_min: float, tracks: int
) -> None:
    """A dredge 2 km along the river (1 km west of the origin) detected on days 0 and 70,
    70 days apart (over ``stay_gap_days``, 60): a scene on day 35 that saw the river only from
    1 km east of it, without a detection on the river, is no look at its spot nor a pass that
    found a dredge elsewhere: nothing says the dredge left, and it is one dredge seen on two
    dates. It was taken for "another look at the river" (its footprint within about 1 km of the
    river's detections makes it one of the river's frames), the day-70 detection opened a new
    mooring, and the two moorings, seen on one date each, counted as two dredges. A day-35
    scene that saw the spot (from 100 m west of it) and found it empty is such a look."""
    line = straight_line()
    net = tf.network(line)
    spot = tf.point_at(line, 2000)
    dets = tf.detections([(tf.START, spot), (tf.START + pd.Timedelta(days=70), spot)], net)
    _, table = link_tracks(dets, _looks(x_min, 3000.0))
    assert len(table) == table["counted"].sum() == tracks
