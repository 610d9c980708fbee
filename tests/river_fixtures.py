"""Straight rivers near Iquitos in UTM, and the network and points the river tests build on."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely import LineString, Point

from detector.rivers import RiverNetwork
from tests.geo_fixtures import write_rivers

UTM = "EPSG:32718"
X0, Y0 = 690_000.0, 9_585_000.0  # near Iquitos
EAST = LineString([(X0, Y0), (X0 + 5000, Y0)])  # flows east: the left bank is north


def river_network(tmp_path: Path, lines: dict, **kwargs: object) -> RiverNetwork:
    """The network of ``lines`` (name: line or pieces in UTM), read from a GeoJSON file."""
    path = write_rivers(tmp_path / "rivers.geojson", lines, crs=UTM)
    return RiverNetwork.read(path, **kwargs)  # type: ignore[arg-type]


def points_at(*xy: tuple[float, float], crs: str = UTM, index: list | None = None) -> gpd.GeoSeries:
    """Points at ``xy`` in ``crs``."""
    return gpd.GeoSeries([Point(x, y) for x, y in xy], crs=crs, index=index)
