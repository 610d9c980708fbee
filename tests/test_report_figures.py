"""The report's figures: a river's map."""

from __future__ import annotations

import warnings
from itertools import pairwise

import geopandas as gpd
import pandas as pd
import pytest

from detector.report_figures import river_map
from detector.tracking import TRACK_COLUMNS
from tests.track_fixtures import CRS, meander_line, network, point_at


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


@pytest.mark.parametrize("years", [list(range(2016, 2026)), [2016, 2017, 2018, 2019, 2025]])
def test_the_years_of_a_ten_year_map_are_drawn_apart(
    monkeypatch: pytest.MonkeyPatch, years: list[int]
) -> None:
    """The colour bar of a ten-year run labelled each year, into one another
    ("2016201720182019…"); labels that do not fit are left out, every other year or fewer.
    The bar spans the first year to the last: five years of 2016–2025 (2016–2019 and 2025)
    ran into one another too, counted as five labels that fit."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rivers = network()
    line = meander_line()
    places = [point_at(line, 200.0 + 300 * i) for i in range(len(years))]
    tracks = gpd.GeoDataFrame(
        {"river": "Meander", "counted": True, "n_dates": 3,
         "first_seen": pd.to_datetime([f"{y}-03-01" for y in years], utc=True)},
        geometry=places, crs=CRS,
    ).to_crs("EPSG:4326")  # fmt: skip
    detections = gpd.GeoDataFrame(
        {"river": ["Meander"] * len(places)}, geometry=[p.buffer(8) for p in places], crs=CRS
    ).to_crs("EPSG:4326")
    figures: list = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig) or close(fig))
    river_map(rivers, "Meander", detections, tracks)
    canvas = FigureCanvasAgg(figures[0])
    canvas.draw()
    bar = figures[0].axes[-1]
    boxes = [
        t.get_window_extent(canvas.get_renderer())
        for t in bar.get_xticklabels()
        if t.get_text() and t.get_visible()
    ]
    assert len(boxes) >= 2
    assert all(a.x1 < b.x0 for a, b in pairwise(boxes))
