"""The tiler on the synthetic world: every visible truth dredge near a river lands in a tile."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from detector.inputspec import InputSpec
from detector.rivers import RiverNetwork
from detector.scene import open_scene
from detector.tiling import coverage, plan_scene
from training.synth.world import WorldConfig, write_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    write_world(WorldConfig(seed=11, rivers=("Nanay", "Cenepa"), years=(2024, 2024)), out)
    return out


def test_every_visible_truth_dredge_in_the_corridor_falls_in_a_tile(world: Path) -> None:
    rivers = RiverNetwork.read(world / "rivers.geojson")
    truth = pd.read_csv(world / "truth" / "dredges.csv")
    spec = InputSpec(bands=("red", "green", "blue"), gsd_m=3.0, tile_px=256, overlap_px=32)
    checked = 0
    for scene_path in sorted((world / "scenes").glob("*_AnalyticMS_SR.tif")):
        with open_scene(scene_path) as scene:
            plan = plan_scene(scene, rivers, spec)
            here = truth[(truth["scene"] == scene_path.name) & truth["visible"]]
            located = rivers.locate(gpd.GeoSeries.from_xy(here["lon"], here["lat"], crs=4326))
            for row, where in zip(here.itertuples(), located.itertuples(), strict=True):
                if where.river is None:
                    continue
                point = Point(row.x, row.y)
                assert any(t.footprint.contains(point) for t in plan.tiles), row.dredge_id
                checked += 1
            cover = coverage(plan)
            assert cover.read_fraction < 1.0  # the tiler reads less than the scene
    assert checked >= 5
