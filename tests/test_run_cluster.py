"""A run on a Dask LocalCluster gives the same outputs as a run in one process."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.cluster import detect_one
from tests.geo_fixtures import truncate, write_rivers, write_scene
from tests.model_fixtures import untrained_scene_task, write_untrained_model
from training.synth.world import WorldConfig, write_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cluster") / "world"
    write_world(WorldConfig(seed=16, rivers=("Cenepa",), years=(2024, 2024)), out)
    broken = out / "scenes" / "20240101_120000_00_0000_3B_AnalyticMS_SR.tif"
    shutil.copy(next((out / "scenes").glob("*_AnalyticMS_SR.tif")), broken)
    truncate(broken)
    return out


def run(world: Path, out: Path, model: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        app,
        [
            *("run", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
            *("--out", str(out), "--model", str(model), "--conf", "0.6", "--no-progress"),
            *extra,
        ],
    )
    assert result.exit_code == 1, result.output  # the truncated scene
    assert "1 of" in result.output
    return str(result.output)


def summary_lines(output: str) -> list[str]:
    """The scenes' summary lines (`NAME.tif: 11 tiles, 3 detections …`), sorted."""
    return sorted(line for line in output.splitlines() if re.match(r"\S+\.tif: \d+ tiles", line))


def test_local_cluster_equals_local_run(world: Path, tmp_path: Path) -> None:
    model = write_untrained_model(tmp_path / "model")
    printed = run(world, tmp_path / "here", model)
    printed_dask = run(world, tmp_path / "dask", model, "--scheduler", "local", "--workers", "2")
    assert summary_lines(printed) and summary_lines(printed_dask) == summary_lines(printed)
    here, dask = (gpd.read_parquet(tmp_path / o / "detections.parquet") for o in ("here", "dask"))
    assert len(here) > 0
    pd.testing.assert_frame_equal(
        here.drop(columns="geometry"), dask.drop(columns="geometry"), check_exact=False
    )
    assert here.geometry.geom_equals_exact(dask.geometry, tolerance=1e-9).all()
    for name in ("counts.csv", "failures.csv"):
        assert (tmp_path / "here" / name).read_text() == (tmp_path / "dask" / name).read_text()


def test_unreachable_scheduler_is_one_line(world: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            *("run", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
            *("--out", str(tmp_path / "x"), "--scheduler", "carrier-pigeon", "--no-progress"),
        ],
    )
    assert result.exit_code == 2
    assert "give 'local' or an address such as tcp://HOST:8786" in result.output


def test_a_worker_names_a_scene_much_coarser_than_the_model(tmp_path: Path) -> None:
    """On a cluster the coarse-imagery warning was lost: workers print nothing. A worker now
    returns the scene, and the client warns once (as a run in one process does)."""
    scene = write_scene(
        tmp_path / "S2A_MSIL2A_2024-02-01_T18MTE.tif", gsd_m=10.0, width=180, height=180
    )
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": scene.river}, crs=scene.crs)
    task = untrained_scene_task(tmp_path / "model", rivers)
    path, frame, error, flags = detect_one(task, str(scene.path), None)
    assert path == str(scene.path)
    assert error is None and frame is not None
    assert flags.coarse == [(scene.path.name, pytest.approx(10.0, rel=1e-3))]
    assert flags.off_channel == []
    (summary,) = flags.summaries  # the line a run in one process prints, for the client to
    assert summary.startswith(f"{scene.path.name}: ")  # print (workers print nothing)
