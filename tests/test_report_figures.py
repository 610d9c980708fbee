"""The report's figures: a river's map."""

from __future__ import annotations

import warnings

import geopandas as gpd

from detector.report_figures import river_map
from detector.tracking import TRACK_COLUMNS
from tests.track_fixtures import network


def test_a_river_with_no_detections_gets_a_map_without_warnings() -> None:
    rivers = network()
    detections = gpd.GeoDataFrame(
        {"river": [], "geometry": []}, geometry="geometry", crs="EPSG:4326"
    )
    tracks = gpd.GeoDataFrame({c: [] for c in TRACK_COLUMNS}, geometry="geometry", crs="EPSG:4326")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warned of a legend with nothing in it
        png = river_map(rivers, "Meander", detections, tracks)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
