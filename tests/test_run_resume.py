"""Resumable runs: a run killed with SIGKILL and run again ends like an uninterrupted run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from detector.run_manifest import MANIFEST_NAME
from tests.model_fixtures import write_untrained_model
from training.synth.world import WorldConfig, write_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("resume") / "world"
    write_world(WorldConfig(seed=15, rivers=("Nanay",), years=(2024, 2024)), out)
    return out


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_untrained_model(tmp_path_factory.mktemp("model"))


def command(world: Path, model: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "detector.cli", "run", str(world / "scenes"),
        "--rivers", str(world / "rivers.geojson"), "--out", str(out), "--model", str(model),
        "--conf", "0.6", "--batch", "4", "--no-progress",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def whole(world: Path, model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of one uninterrupted run, made once for the module: the tests only read it (or
    copy it first), and each run is a new Python process that imports torch (~8 s)."""
    out = tmp_path_factory.mktemp("whole") / "whole"
    subprocess.run(command(world, model, out), check=True, capture_output=True)
    return out


def finished_scenes(out: Path) -> int:
    manifest = out / MANIFEST_NAME
    return len(pd.read_csv(manifest)) if manifest.is_file() else 0


def test_kill_and_resume_gives_the_same_outputs(
    world: Path, model: Path, whole: Path, tmp_path: Path
) -> None:
    scenes = finished_scenes(whole)
    assert scenes >= 3

    cut = tmp_path / "cut"
    process = subprocess.Popen(command(world, model, cut), stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while finished_scenes(cut) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert 2 <= finished_scenes(cut) < scenes
    assert not (cut / "counts.csv").exists()

    resumed = subprocess.run(command(world, model, cut), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "scenes already done" in resumed.stdout
    first = gpd.read_parquet(whole / "detections.parquet")
    second = gpd.read_parquet(cut / "detections.parquet")
    assert len(first) > 0 and first["detection_id"].is_unique
    pd.testing.assert_frame_equal(
        first.drop(columns="geometry"), second.drop(columns="geometry"), check_exact=False
    )
    assert first.geometry.geom_equals_exact(second.geometry, tolerance=1e-9).all()
    assert (whole / "counts.csv").read_text() == (cut / "counts.csv").read_text()
    tracks = [gpd.read_parquet(o / "tracks.parquet").drop(columns="geometry") for o in (whole, cut)]
    pd.testing.assert_frame_equal(*tracks)


def test_rerun_of_a_finished_run_redoes_nothing(
    world: Path, model: Path, whole: Path, tmp_path: Path
) -> None:
    """… and its run.json says how many scenes an earlier call finished, whose time is not in
    its ``timings_s`` (a resumed run of 6 scenes, 5 done before, gave ``detect_s`` 0.03 and no
    word of them)."""
    out = tmp_path / "again"
    shutil.copytree(whole, out)  # the finished run, copied: this test writes into it
    assert json.loads((out / "run.json").read_text())["resumed_scenes"] == 0
    before = (out / "scenes").stat().st_mtime_ns, sorted(p.name for p in (out / "scenes").iterdir())
    again = subprocess.run(command(world, model, out), capture_output=True, text=True, check=True)
    scenes = finished_scenes(out)
    assert f"{scenes} of {scenes} scenes already done" in again.stdout
    assert sorted(p.name for p in (out / "scenes").iterdir()) == before[1]
    record = json.loads((out / "run.json").read_text())
    assert record["resumed_scenes"] == scenes == len(record["scenes"])


def test_sigterm_ends_the_run_with_one_line_and_leaves_no_lock(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """A cluster job at its time limit gets SIGTERM: Python's default ended the process on the
    spot and left OUT/.dredge-run.lock, which the job started again on another node of the
    cluster took for a working run (refused, until the lock was deleted by hand)."""
    out = tmp_path / "terminated"
    process = subprocess.Popen(
        command(world, model, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while finished_scenes(out) < 1 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be stopped"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM
    assert "error: stopped by SIGTERM — run the same command again" in stderr
    assert "Traceback" not in stderr
    assert not (out / ".dredge-run.lock").exists()
    assert not [p.name for p in out.rglob(".*.tmp-*")]
    assert finished_scenes(out) >= 1 and not (out / "counts.csv").exists()
    resumed = subprocess.run(command(world, model, out), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "scenes already done" in resumed.stdout
