"""The bundled model finds the dredges of a small synthetic scene set it never saw (seed 2;
training uses seeds 101–199)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from detector.card import load_card
from detector.detect import detect_scenes
from detector.model import DEFAULT_WEIGHTS, load_model
from training.synth.world import WorldConfig, write_world

pytestmark = pytest.mark.skipif(
    not DEFAULT_WEIGHTS.is_file(),
    reason=f"no bundled weights at {DEFAULT_WEIGHTS} (built by `make model`)",
)
MATCH_M = 15.0


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    write_world(WorldConfig(seed=2, rivers=("Nanay",), years=(2024, 2024)), out)
    return out


def test_bundled_card_is_valid() -> None:
    card = load_card(DEFAULT_WEIGHTS)
    assert "dredge" in card.classes and card.input.gsd_m > 0


def test_detections_fall_on_truth_dredges(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DREDGE_CACHE_DIR", str(tmp_path / "cache"))
    frame, failures = detect_scenes(
        [world / "scenes"], world / "rivers.geojson", model=load_model(), progress=False
    )
    assert failures == []
    truth = pd.read_csv(world / "truth" / "dredges.csv")
    dredges = frame[frame["class_name"] == "dredge"]
    hits, found = 0, 0
    for scene, group in truth.groupby("scene"):
        crs = group["crs"].iloc[0]
        centres = dredges[dredges["scene"] == scene].to_crs(crs).geometry.centroid
        xy = np.column_stack([centres.x, centres.y])
        truth_xy = group[["x", "y"]].to_numpy(float)
        if len(xy) and len(truth_xy):
            distance = np.hypot(*(xy[:, None, :] - truth_xy[None, :, :]).transpose(2, 0, 1))
            hits += int((distance.min(axis=1) <= MATCH_M).sum())  # detections on some dredge
            visible = group["visible"].astype(bool).to_numpy()
            found += int(((distance.min(axis=0) <= MATCH_M) & visible).sum())
    visible_total = int(truth["visible"].astype(bool).sum())
    assert visible_total >= 10
    precision = hits / max(len(dredges), 1)
    recall = found / visible_total
    assert precision >= 0.8, f"{len(dredges) - hits} of {len(dredges)} detections off any dredge"
    assert recall >= 0.8, f"found {found} of {visible_total} visible dredges"
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs.to_epsg() == 4326
