"""River networks: chainage and offset, the nearest river, side channels, corridors, UTM
zones (:mod:`detector.rivers`, :mod:`detector.river_measure`)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely import LineString, Point, box

from detector.merge import drop_duplicates_on_one_hull
from detector.river_measure import utm_zone_of
from detector.rivers import RiverNetwork
from tests.geo_fixtures import write_rivers
from tests.river_fixtures import EAST, UTM, X0, Y0, points_at, river_network


def test_chainage_from_downstream_end_and_signed_offset(tmp_path: Path) -> None:
    network = river_network(tmp_path, {"nanay": EAST})
    got = network.locate(
        points_at((X0 + 1000, Y0 + 50), (X0 + 4000, Y0 - 80), (X0 + 2500, Y0 + 2000)),
    )
    assert got.loc[0, "river"] == "nanay"
    assert got.loc[0, "chainage_m"] == pytest.approx(4000, abs=0.5)
    assert got.loc[0, "offset_m"] == pytest.approx(50, abs=0.5)  # north = left bank
    assert got.loc[1, "chainage_m"] == pytest.approx(1000, abs=0.5)
    assert got.loc[1, "offset_m"] == pytest.approx(-80, abs=0.5)
    assert got.loc[2, "river"] is None  # 2 km away: outside the corridor
    assert np.isnan(got.loc[2, "chainage_m"]) and np.isnan(got.loc[2, "offset_m"])


def test_locate_keeps_index_accepts_other_crs_and_gate(tmp_path: Path) -> None:
    network = river_network(tmp_path, {"nanay": EAST})
    to_mercator = Transformer.from_crs(UTM, "EPSG:3857", always_xy=True)
    mercator = to_mercator.transform(X0 + 1000, Y0 + 100)
    frame = gpd.GeoDataFrame(geometry=points_at(mercator, crs="EPSG:3857", index=["a"]))
    got = network.locate(frame)
    assert list(got.index) == ["a"]
    assert got.loc["a", "offset_m"] == pytest.approx(100, abs=0.5)
    assert network.locate(frame, max_offset_m=50).loc["a", "river"] is None
    assert network.locate(frame.iloc[:0]).empty


def test_nearest_river_wins(tmp_path: Path) -> None:
    north = LineString([(X0, Y0 + 300), (X0 + 5000, Y0 + 300)])
    network = river_network(tmp_path, {"nanay": EAST, "itaya": north})
    got = network.locate(points_at((X0 + 100, Y0 + 100), (X0 + 100, Y0 + 200)))
    assert list(got["river"]) == ["nanay", "itaya"]


def test_dredges_on_a_side_channel_drawn_beside_the_river_are_on_it(tmp_path: Path) -> None:
    """An island's other arm, drawn under the river's name, 450 m from the main channel at its
    widest: the corridor (and so the tiles) covered it, but positions were gated by the main
    channel alone, so marks on the arm were "on no river" (6 of 9, one dredge counted for 3)
    and `dredge detect` left its detections out."""
    main = LineString([(X0, Y0), (X0 + 10_000, Y0)])
    arm = LineString(
        [(X0 + 3000, Y0), (X0 + 3600, Y0 + 450), (X0 + 5400, Y0 + 450), (X0 + 6000, Y0)]
    )
    network = river_network(tmp_path, {"nanay": [main, arm]})
    assert network.length_m("nanay") == pytest.approx(10_000)  # the arm is no part of it
    got = network.locate(points_at((X0 + 4200, Y0 + 440), (X0 + 4200, Y0 + 750)))
    assert got.loc[0, "river"] == "nanay"
    assert got.loc[0, "chainage_m"] == pytest.approx(5800, abs=1)
    assert got.loc[0, "offset_m"] == pytest.approx(440, abs=1)
    assert got.loc[1, "river"] is None  # 300 m beyond the arm: off every piece


def test_corridor_in_scene_crs(tmp_path: Path) -> None:
    network = river_network(tmp_path, {"nanay": EAST}, corridor_m=100)
    corridor = network.corridor("EPSG:3857")
    assert list(corridor.columns) == ["river", "geometry"]
    assert corridor.crs.to_epsg() == 3857
    in_utm = corridor.to_crs(UTM).geometry.iloc[0]
    assert in_utm.contains(Point(X0 + 2000, Y0 + 95))
    assert not in_utm.intersects(Point(X0 + 2000, Y0 + 110))
    assert in_utm.within(box(X0 - 101, Y0 - 101, X0 + 5101, Y0 + 101))


def test_utm_zones_are_the_ones_geopandas_estimates() -> None:
    """The zone is worked out, not queried from the PROJ database (about 0.1 s a river: eight
    minutes for a country's 5,000 named rivers)."""

    rng = np.random.default_rng(0)
    for lon, lat in zip(rng.uniform(-179, 179, 40), rng.uniform(-79, 83, 40), strict=True):
        line = gpd.GeoSeries([LineString([(lon, lat), (lon + 0.2, lat + 0.1)])], crs="EPSG:4326")
        assert utm_zone_of(*line.total_bounds) == line.estimate_utm_crs()
    assert utm_zone_of(np.nan, np.nan, np.nan, np.nan) is None
    assert utm_zone_of(500_000, 9_000_000, 500_100, 9_000_100) is None  # metres, not degrees


def test_many_rivers_in_several_zones_are_each_in_their_own(tmp_path: Path) -> None:
    lines = {
        f"r{k}": [LineString([(lon, -3.0 - k * 0.01), (lon + 0.05, -3.0 - k * 0.01)])]
        for k, lon in enumerate([-80.5, -77.5, -73.0, -80.4, -71.9])
    }
    path = write_rivers(tmp_path / "rivers.geojson", lines, crs="EPSG:4326")
    network = RiverNetwork.read(path)
    zones = [network.rivers[f"r{k}"].crs.to_epsg() for k in range(5)]
    assert zones == [32717, 32718, 32718, 32717, 32719]
    one = RiverNetwork.read(
        write_rivers(tmp_path / "one.geojson", {"r2": lines["r2"]}, crs="EPSG:4326")
    )
    assert network.rivers["r2"].line.equals_exact(one.rivers["r2"].line, 1e-6)
    corridor = network.corridor("EPSG:32718")
    assert list(corridor["river"]) == [f"r{k}" for k in range(5)]
    assert corridor.geometry.is_valid.all() and not corridor.geometry.is_empty.any()


def test_points_beyond_a_line_end_keep_their_own_river_position(tmp_path: Path) -> None:
    """The corridor's round cap reaches 250 m beyond each end of a line (a river drawn only
    over the study area, a tributary drawn to the main river's bank), and its tiles are
    searched. There every point was put at the end's chainage with its distance to the end as
    offset: two dredges 100 m beyond the head, 100 m apart, were at one position (the second
    was dropped as a second box of the first one's hull), and a dredge moving 150 m away from
    the end moved 0 m along the river. Beyond an end, chainage goes on along the end's
    direction (less than 0 past the downstream end) and offset is across it."""
    network = river_network(tmp_path, {"nanay": EAST})  # flows east, 5 km: head at X0
    ahead, aside = (X0 - 100, Y0), (X0 - 50, Y0 + 86.6)  # both 100 m from the head
    got = network.locate(points_at(ahead, aside, (X0 - 200, Y0), (X0 + 5120, Y0 - 60)))
    assert got["river"].tolist() == ["nanay"] * 4
    assert got["chainage_m"].tolist() == pytest.approx([5100, 5050, 5200, -120], abs=0.01)
    assert got["offset_m"].tolist() == pytest.approx([0, 86.6, 0, -60], abs=0.01)
    boxes = got.assign(score=[0.9, 0.8, 0.7, 0.6], class_name="dredge")
    assert len(drop_duplicates_on_one_hull(boxes)) == 4  # two dredges, not one hull


def test_beyond_an_end_the_rivers_direction_is_that_of_its_last_stretch(tmp_path: Path) -> None:
    """A line whose last vertex is a click half a metre aside (a snap to the bank): its last
    metre pointed 59° off the river, and a dredge 150 m on downstream, on the river's axis, was
    about 123 m past the end and 86 m across it (the 1 m used for the side of a point)."""
    hooked = LineString([*EAST.coords, (X0 + 5000.3, Y0 + 0.5)])
    network = river_network(tmp_path, {"nanay": hooked})
    got = network.locate(points_at((X0 + 5150, Y0), (X0 - 150, Y0 + 20)))
    assert got["chainage_m"].tolist() == pytest.approx([-150, 5150], abs=1.0)
    assert got["offset_m"].tolist() == pytest.approx([0, 20], abs=3.0)  # the end is 0.5 m aside


def test_pieces_with_and_without_heights_make_one_river(tmp_path: Path) -> None:
    """A river layer merged from two sources, one with elevations (a LineString Z among plain
    LineStrings, the same river): reading it stopped on numpy's 'setting an array element with
    a sequence … inhomogeneous shape', which `dredge run` gave as one line naming no file.
    Heights are dropped: positions along a river are measured in the plane."""
    import json

    lines = [
        [[-73.30, -3.70], [-73.28, -3.70]],
        [[-73.2799, -3.70, 5.0], [-73.26, -3.70, 4.0]],
        [[-73.2599, -3.70], [-73.24, -3.70]],
    ]
    read = []
    for name, drawn in [("mixed", lines), ("plane", [[p[:2] for p in line] for line in lines])]:
        features = [
            {
                "type": "Feature",
                "properties": {"name": "Nanay"},
                "geometry": {"type": "LineString", "coordinates": line},
            }
            for line in drawn
        ]
        path = tmp_path / f"{name}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        read.append(RiverNetwork.read(path).length_m("Nanay"))
    assert read[0] == pytest.approx(read[1], abs=1e-6)
    assert read[0] == pytest.approx(6666, abs=5)
