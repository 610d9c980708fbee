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


def test_the_gallery_shows_the_same_chips_whatever_the_order_of_the_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Of detections tied on a score, those shown were the first met in the file (a sort by
    score alone): the same run with its rows shuffled showed other chips. Ties are ranked by
    date, scene and detection id."""
    import numpy as np

    from detector import report_figures
    from detector.inputspec import InputSpec
    from detector.report_figures import Chip, detection_chips

    def fake_chips(path: str, rows: gpd.GeoDataFrame, *_: object) -> list[Chip]:
        return [
            Chip(b"", str(r.detection_id), str(r.scene), str(r.acquired), "Meander",
                 float(r.score), "dredge", None)
            for r in rows.itertuples()
        ]  # fmt: skip

    monkeypatch.setattr(report_figures, "_scene_chips", fake_chips)
    n = 60
    detections = gpd.GeoDataFrame(
        {
            "detection_id": [f"d{i:02d}" for i in range(n)],
            "scene": [f"2024{1 + i % 6:02d}05_x.tif" for i in range(n)],
            "acquired": pd.to_datetime([f"2024-{1 + i % 6:02d}-05" for i in range(n)], utc=True),
            "score": [0.9 if i % 3 == 0 else 0.6 if i % 3 == 1 else 0.3 for i in range(n)],
        },
        geometry=gpd.points_from_xy([-73.0] * n, [-3.0] * n),
        crs="EPSG:4326",
    )
    scenes = [f"s/2024{m:02d}05_x.tif" for m in range(1, 7)]
    spec = InputSpec(bands=("red", "green", "blue"), gsd_m=3.0, scale="display")
    first, _ = detection_chips(detections, scenes, spec, limit=8)
    for seed in range(5):
        shuffled = detections.iloc[np.random.default_rng(seed).permutation(n)]
        again, _ = detection_chips(shuffled, scenes, spec, limit=8)
        assert [c.detection_id for c in again] == [c.detection_id for c in first]
    shown = ["d00", "d06", "d12", "d18", "d41", "d47", "d53", "d59"]  # most, then least certain
    assert [c.detection_id for c in first] == shown


def test_a_dredge_seen_twice_in_one_pass_is_one_detection_in_its_rivers_map_title(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The title counted the detections marked ``duplicate`` (the same dredge in another scene
    of the pass) that counts.csv counts once: "3 detections" over a table of 2."""
    import matplotlib.pyplot as plt

    line = meander_line()
    places = [point_at(line, 500.0), point_at(line, 505.0), point_at(line, 1500.0)]
    detections = gpd.GeoDataFrame(
        {"river": "Meander", "link": ["new", "duplicate", "new"]},
        geometry=[p.buffer(8) for p in places],
        crs=CRS,
    ).to_crs("EPSG:4326")
    tracks = gpd.GeoDataFrame({c: [] for c in TRACK_COLUMNS}, geometry="geometry", crs="EPSG:4326")
    titles: list[str] = []
    close = plt.close
    monkeypatch.setattr(
        plt, "close", lambda fig=None: titles.append(fig.axes[0].get_title()) or close(fig)
    )
    river_map(network(), "Meander", detections, tracks)
    assert titles == ["Meander: 2 detections, 0 dredges counted"]


def test_the_gallery_shows_a_bgrn_models_chips_in_true_colour() -> None:
    """A chip read in the model's bands showed the first three as red, green and blue: a
    model reading Planet's BGRN order (blue, green, red, nir) showed blue water as red. The
    bands are placed by their names now (detector.band_layout.rgb_view)."""
    import io

    import numpy as np
    from PIL import Image

    from detector.band_layout import rgb_view
    from detector.report_figures import _chip_png

    data = np.zeros((4, 16, 16), np.float32)
    data[0] = 1.0  # blue, the first band of BGRN
    png = _chip_png(data, [(1.0, 1.0), (3.0, 3.0)], ("blue", "green", "red", "nir"))
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert tuple(image[image.shape[0] // 2, image.shape[1] // 2 + 20]) == (0, 0, 255)
    assert rgb_view(("red", "green", "blue")) == [0, 1, 2]
    assert rgb_view(("nir", "red", "green")) == [0, 1, 2]  # no blue: the first three
    assert rgb_view(("nir",)) == [0, 0, 0]  # one band: grey
