"""Chips of the report and tiles of `dredge review` are read as the detector read the scene:
at the Earth–Sun distance of the date the run used (a Maxar scene dated only by ``--dates``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from detector import report_figures
from detector.inputspec import InputSpec
from detector.scene import Scene, open_scene
from tests.geo_fixtures import write_scene
from tests.test_maxar_radiometry import CALIBRATION, PRODUCT, imd_text

RUN_DATE = pd.Timestamp("2017-07-04", tz="UTC")  # aphelion: at 1 AU reflectance is 3.3 % low
SPEC = InputSpec(bands=("red", "green", "blue"), gsd_m=3.0, tile_px=32, overlap_px=0)


def undated_product(tmp_path: Path) -> tuple[Path, gpd.GeoDataFrame]:
    """A Maxar product with no date of its own (its IMD has none, its name a 30 February) and
    one detection on it dated as the run dated it (``--dates``)."""
    name = PRODUCT.replace("17AUG31", "17FEB30")
    scene = write_scene(tmp_path / f"{name}.TIF", width=80, height=80)
    imd = imd_text(CALIBRATION).replace("\tfirstLineTime = 2017-08-31T16:20:13.123456Z;\n", "")
    (tmp_path / f"{name}.IMD").write_text(imd)
    spot = scene.dredges[1]
    detections = gpd.GeoDataFrame(
        {
            "detection_id": ["d0"],
            "scene": [scene.path.name],
            "acquired": [RUN_DATE],
            "river": ["Nanay"],
            "score": [0.8],
            "class_name": ["dredge"],
        },
        geometry=[box(spot.x - 6, spot.y - 6, spot.x + 6, spot.y + 6)],
        crs=scene.crs,
    )
    return scene.path, detections


def opened_coefficients(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[dict]:
    """Each scene ``module`` opens: its calibration coefficients, as read."""
    seen: list[dict] = []

    def spying(*args: Any, **kwargs: Any) -> Scene:
        scene = open_scene(*args, **kwargs)
        assert scene.calibration is not None
        seen.append(dict(scene.calibration.coefficients))
        return scene

    monkeypatch.setattr(module, "open_scene", spying)
    return seen


def as_the_detector_read(path: Path) -> dict:
    with open_scene(path, date=RUN_DATE) as scene:
        assert scene.calibration is not None
        return dict(scene.calibration.coefficients)


def test_report_chips_are_calibrated_at_the_runs_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chips opened the scene without the run's date: at 1 AU, 3.3 % darker than the
    tiles the detector saw on 4 July (at 1.0167 AU)."""
    path, detections = undated_product(tmp_path)
    seen = opened_coefficients(monkeypatch, report_figures)
    chips, problems = report_figures.detection_chips(detections, [str(path)], SPEC)
    assert problems == [] and len(chips) == 1
    assert seen and all(c == pytest.approx(as_the_detector_read(path)) for c in seen)


def test_review_tiles_are_calibrated_at_the_runs_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge review` cut its tiles at 1 AU from a scene the run dated with --dates."""
    from training import review

    path, detections = undated_product(tmp_path)
    seen = opened_coefficients(monkeypatch, review)
    images = tmp_path / "images"
    images.mkdir()
    paths = {path.name: str(path)}
    tiles, _, _ = review._export(detections, [0], paths, SPEC, 1, None, images)
    assert len(tiles) == 1
    assert seen and all(c == pytest.approx(as_the_detector_read(path)) for c in seen)
