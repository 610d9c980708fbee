"""Property-based tests of the river reader and of hand-marked tables: whatever they hold, they
are read (rivers that place points; marks that link and can be written) or refused with one
InputError line naming the file.

Hypothesis draws river files of a few named lines: reversed, doubled back, closed into loops,
zero-length (a double click), in pieces, as MultiLineStrings, named alike near and far apart,
in degrees or in UTM; and hand-mark tables with columns under the usual names holding numbers,
degrees-minutes-seconds, UTM metres, dates in several forms, Excel day numbers, classes in two
languages, counts, CRSs, blanks and junk, one file or two. A fuzz of this kind found "pop from
empty list" on a river of one point, and a Parquet traceback on a detector output given with
hand marks.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import LineString, MultiLineString, Point

from detector.errors import InputError
from detector.rivers import RiverNetwork
from detector.track_gather import gather_detections
from detector.tracking import TrackParams, link_tracks
from tests import track_fixtures as tf

SETTINGS = settings(
    max_examples=int(os.environ.get("DREDGE_PROPERTY_EXAMPLES", "40")),  # more: a deeper search
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LON, LAT = -73.4, -3.8

offsets = st.floats(-0.2, 0.2, allow_nan=False)


@st.composite
def river_line(draw: st.DrawFn) -> LineString:
    x0, y0 = LON + draw(offsets), LAT + draw(offsets)
    kind = draw(st.sampled_from(["plain", "reversed", "back", "loop", "dot", "far"]))
    if kind == "dot":
        return LineString([(x0, y0), (x0, y0)])
    steps = draw(st.lists(st.floats(0.001, 0.02), min_size=1, max_size=6))
    points = [(x0, y0)]
    for step in steps:
        points.append((points[-1][0] + step, y0 + draw(st.floats(-0.01, 0.01))))
    if kind == "reversed":
        points.reverse()
    elif kind == "back":
        points += points[-2::-1]
    elif kind == "loop":
        points.append(points[0])
    elif kind == "far":
        points = [(x + 3.0, y - 2.0) for x, y in points]
    return LineString(points)


@st.composite
def river_frame(draw: st.DrawFn) -> gpd.GeoDataFrame:
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        line = draw(river_line())
        if draw(st.booleans()):
            line = MultiLineString([line, draw(river_line())])
        rows.append({"name": draw(st.sampled_from(["A", "B", "A ", "Río A"])), "geometry": line})
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    return frame.to_crs("EPSG:32718") if draw(st.booleans()) else frame


@SETTINGS
@given(frame=river_frame(), suffix=st.sampled_from([".geojson", ".gpkg"]))
def test_any_river_file_reads_or_names_the_file(
    frame: gpd.GeoDataFrame, suffix: str, tmp_path: Path
) -> None:
    path = tmp_path / f"rivers{suffix}"
    frame.to_file(path)
    try:
        network = RiverNetwork.read(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    assert network.names and all(river.length_m > 0 for river in network.rivers.values())
    points = gpd.GeoSeries(
        [Point(LON + dx, LAT + dy) for dx, dy in [(0, 0), (0.1, -0.05), (-0.15, 0.1)]],
        crs="EPSG:4326",
    )
    located = network.locate(points)
    placed = located["river"].notna()
    assert np.isfinite(located.loc[placed, ["chainage_m", "offset_m"]].to_numpy()).all()
    assert len(network.corridor("EPSG:32718")) == len(network.names)


POSITION = {
    "lon": ["-73.41", "73°25'0.12\"O", "450000", "", "abc"],
    "lat": ["-3.79", "3°47'46.83\"S", "9032714", ""],
}
VALUES = {
    "fecha": ["2024-01-27", "27/01/2024", "45354", "2024-06-13T14:00:00Z", "", "x", "01/13/2024"],
    "Clase": ["draga", "barco", "dredge", "", "balsa", "1"],
    "cantidad": ["1", "2", "0", "2.5", "", "x"],
    "score": ["0.9", "", "0.3"],
    "crs": ["EPSG:4326", "32718", "", "foo"],
    "detection_id": ["1", "", "a"],
    "nota": ["a", "", "1", "2.0"],
}


@st.composite
def mark_table(draw: st.DrawFn) -> str:
    extra = draw(st.lists(st.sampled_from(sorted(VALUES)), unique=True, max_size=4))
    columns = ["lon", "lat", *extra] if draw(st.booleans()) else ["lon", "lat", "fecha", *extra]
    columns = list(dict.fromkeys(columns))
    pools = {**POSITION, **VALUES}
    rows = [
        ",".join(f'"{draw(st.sampled_from(pools[c]))}"' for c in columns)
        for _ in range(draw(st.integers(1, 5)))
    ]
    return ",".join(columns) + "\n" + "\n".join(rows) + "\n"


@SETTINGS
@given(tables=st.lists(mark_table(), min_size=1, max_size=2))
def test_any_table_of_hand_marks_links_or_names_the_file(tables: list[str], tmp_path: Path) -> None:
    paths = []
    for k, text in enumerate(tables):
        path = tmp_path / f"marks{k}.csv"
        path.write_text(text)
        paths.append(path)
    try:
        frame, _ = gather_detections(paths, tf.network())
    except InputError as exc:
        assert any(str(exc).startswith(str(p)) for p in paths) and "\n" not in str(exc)
        return
    linked, tracks = link_tracks(frame, None, params=TrackParams(min_dates=1))
    linked.to_parquet(tmp_path / "linked.parquet")
    tracks.to_parquet(tmp_path / "tracks.parquet")
    assert len(linked) == len(frame)


def test_a_river_of_one_point_was_a_crash(tmp_path: Path) -> None:
    """The case the fuzz found, kept as an example."""
    path = tmp_path / "rivers.geojson"
    frame = gpd.GeoDataFrame(
        {"name": ["A"]}, geometry=[LineString([(LON, LAT), (LON, LAT)])], crs="EPSG:4326"
    )
    frame.to_file(path)
    with pytest.raises(InputError, match="has no line of any length"):
        RiverNetwork.read(path)
