"""Benchmark code against the code it measures: the calls it makes into the detector."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely import LineString

from benchmarks import dask_scaling
from detector import cluster
from detector.cluster import SceneTask
from tests.geo_fixtures import write_rivers

UTM = "EPSG:32718"


def test_the_dask_benchmark_warms_each_worker_with_the_workers_own_loaders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its warm-up task called _worker_model(model, backend, device, flips) and
    # _worker_rivers(path, name_field, corridor_m) after both came to take the task (and the
    # rivers' digest): TypeError on every worker, and `make bench` failed at dask_scaling.
    rivers = write_rivers(
        tmp_path / "rivers.geojson",
        {"Nanay": LineString([(690_000, 9_585_000), (692_000, 9_586_000)])},
        crs=UTM,
    )
    loaded: list[tuple[object, ...]] = []
    monkeypatch.setattr(cluster, "_load_model", lambda *args: loaded.append(args) or object())
    cluster._worker_rivers.cache_clear()
    task = SceneTask(
        model=None,
        backend="onnx",
        device="cpu",
        flips=True,
        max_land=0.5,
        rivers=str(rivers),
        name_field="name",
        corridor_m=250.0,
        conf=0.25,
        batch=16,
        scene_bands=None,
    )
    assert dask_scaling._load(task) is True
    assert loaded == [(None, "onnx", "cpu", True, None)]
    network = cluster._worker_rivers(str(rivers), "name", 250.0, None)
    assert list(network.rivers) == ["Nanay"]
    assert cluster._worker_rivers.cache_info().hits == 1  # the warm-up's, kept for detect_one
    cluster._worker_rivers.cache_clear()


def test_a_results_file_says_which_commit_and_machine_wrote_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Results files named a machine (some not even that) but never the code they measured:
    # a figure could not be told stale against the commit that changed what it measures.
    import subprocess

    from benchmarks import report

    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path)
    root = Path(report.__file__).parent.parent
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    text = report.write_markdown("x", "# X\n\n| a |\n| --- |\n| 1 |\n").read_text()
    assert text.startswith("# X\n\n| a |\n| --- |\n| 1 |\n\nWritten ")
    assert f"by commit {commit}" in text
    assert report.machine() in text


def test_every_benchmark_writes_its_results_through_the_report_module() -> None:
    # revisit_cadence, tiling_memory, tracking_dedup and tracking_scale wrote their files
    # themselves, without the line saying which commit and machine made them.
    folder = Path(dask_scaling.__file__).parent
    own = [
        path.name
        for path in sorted(folder.glob("*.py"))
        if path.name != "report.py" and ".write_text(" in path.read_text(encoding="utf-8")
    ]
    assert own == []


def test_the_rivers_benchmark_names_the_sizes_it_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run at --count 10 --pieces 300, its file said `python -m benchmarks.rivers_scale`: the
    # command of 5,000 rivers and 3,000 pieces, beside figures of 10 and 300.
    import sys

    from benchmarks import report, rivers_scale

    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(sys, "argv", ["rivers_scale", "--count", "10", "--pieces", "300"])
    rivers_scale.main()
    text = (tmp_path / "rivers_scale.md").read_text()
    assert "`python -m benchmarks.rivers_scale --count 10 --pieces 300`" in text
    assert "10 named lines" in text


def test_the_speed_benchmark_warms_up_before_the_end_to_end_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The docstring said each measure came "after one warm-up call", but ``end_to_end``
    timed its first ``detect_scenes`` (with ``--device cuda``, starting the GPU in it): one
    scene is run first now, neither timed nor counted."""
    import geopandas as gpd
    import numpy as np

    from benchmarks import detection_speed

    (tmp_path / "scenes").mkdir()
    for name in ("a", "b", "c"):
        (tmp_path / "scenes" / f"{name}_3B_AnalyticMS_SR.tif").write_bytes(b"")
    calls: list[tuple[list[str], bool]] = []

    def detect_scenes(scenes: list[Path], rivers: Path, **kwargs: object) -> tuple[object, list]:
        model = kwargs["model"]
        calls.append(
            ([p.name[0] for p in scenes], isinstance(model, detection_speed.CountingDetector))
        )
        for _ in scenes:
            model.predict(np.zeros((2, 3, 8, 8), np.float32))  # type: ignore[attr-defined]
        return gpd.GeoDataFrame(), []

    class Model:
        card = None
        predicted = 0

        def predict(self, batch: np.ndarray, *, conf: float = 0.25) -> list[np.ndarray]:
            self.predicted += len(batch)
            return []

    monkeypatch.setattr(detection_speed, "detect_scenes", detect_scenes)
    model = Model()
    run, _ = detection_speed.end_to_end(model, tmp_path)  # type: ignore[arg-type]
    assert calls == [(["a"], False), (["a", "b", "c"], True)]
    assert (run["scenes"], run["tiles"], model.predicted) == (3, 6, 8)
