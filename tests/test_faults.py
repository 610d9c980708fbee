"""Faults from a download folder, each on purpose (issue 9): what the detector does with them.

Faults tested elsewhere: no CRS, truncated, no overlap with the rivers, all nodata, a band
the model needs is missing, no date (tests/test_detect_faults.py); rivers without names, empty or
unreadable rivers files (tests/test_river_files.py, test_cli_tiles.py); model files that are not
models, pickles that would run code, cards that disagree (tests/test_model_faults.py,
test_card.py); malformed labels (tests/test_labels_*.py); dates in many formats and time
zones (tests/test_scene_dates.py, test_scene_names.py, test_tracking_observed.py); the network
(tests/test_run.py, test_train.py, test_offline.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from detector.detect import detect_scenes
from tests.geo_fixtures import SceneFixture, write_rivers, write_scene, write_udm2
from tests.model_fixtures import BrightBlobDetector, card_for_blobs

GOOD = "20240115_143000_00_2400_3B_AnalyticMS_SR.tif"


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, SceneFixture]:
    scenes = tmp_path / "scenes"
    return scenes, write_scene(scenes / GOOD, width=300, height=300)


def copy_with(
    source: SceneFixture, path: Path, *, count: int | None = None, **profile: object
) -> Path:
    """A copy of ``source`` with another band count or profile values."""
    with rasterio.open(source.path) as src:
        meta, data = src.profile, src.read()
    meta.update(profile)
    if count is not None:
        meta.update(count=count)
        data = np.repeat(data[:1], count, axis=0)
    with rasterio.open(path, "w", **meta) as dst:
        dst.write(data)
    return path


def run(
    scenes: Path, good: SceneFixture, tmp_path: Path
) -> tuple[object, dict[str, str], list[str]]:
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": good.river}, crs=good.crs)
    errors: list[str] = []
    frame, failures = detect_scenes(
        [scenes],
        rivers,
        model=BrightBlobDetector(card_for_blobs(tmp_path / "model")),
        progress=False,
        warn=errors.append,
        echo=lambda _: None,
    )
    return frame, {Path(p).name: m for p, m in failures}, errors


@pytest.mark.parametrize("count", [1, 16])
def test_unknown_band_count_is_one_line_and_the_batch_goes_on(
    folder: tuple[Path, SceneFixture], tmp_path: Path, count: int
) -> None:
    scenes, good = folder
    copy_with(good, scenes / f"2024-02-06_b{count}.tif", count=count)
    frame, failures, errors = run(scenes, good, tmp_path)
    assert set(frame["scene"]) == {GOOD}
    message = failures[f"2024-02-06_b{count}.tif"]
    bands = "1 band" if count == 1 else f"{count} bands"  # it said "has 1 bands"
    assert f"has {bands}; its band layout is unknown" in message
    assert "--scene-bands" in message and len(errors) == 1 and "\n" not in errors[0]


def test_rotated_transform_is_read_through_a_warp(
    folder: tuple[Path, SceneFixture], tmp_path: Path
) -> None:
    scenes, good = folder
    rotated = good.transform @ Affine.rotation(20)
    copy_with(good, scenes / "2024-02-05_rotated.tif", transform=rotated)
    frame, failures, _ = run(scenes, good, tmp_path)
    assert failures == {}
    found = frame[frame["scene"] == "2024-02-05_rotated.tif"]
    assert len(found) >= 1  # its dredges moved with the rotation; some still lie on the river


def test_scene_all_under_cloud_reads_no_tile_and_is_not_an_error(
    folder: tuple[Path, SceneFixture], tmp_path: Path
) -> None:
    scenes, good = folder
    cloudy = write_scene(
        scenes / "20240116_143000_00_2400_3B_AnalyticMS_SR.tif", width=300, height=300
    )
    write_udm2(cloudy, cloud=box(*cloudy.footprint.buffer(1000).bounds))
    frame, failures, errors = run(scenes, good, tmp_path)
    assert failures == {} and errors == []
    assert set(frame["scene"]) == {GOOD}
