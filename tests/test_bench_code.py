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
