"""Detection on a Dask LocalCluster with 1, 2 and 4 worker processes.

The same scenes go through :func:`detector.cluster.detect_on_cluster` (one scene per task,
the model loaded once per worker) for each cluster size; reported: wall time from submitting
to the last result (cluster start-up and model loading excluded, measured after a warm-up
task per worker), scenes per hour, and the detections (equal for every size). On a machine
with fewer cores than workers the extra workers only add contention; the table says how many
cores there were.

Run: ``python -m benchmarks.dask_scaling`` (a small world, seed 18, 2024, in a temporary
folder) or ``--world DIR``; ``--workers 1 2 4``. Writes ``benchmarks/results/dask_scaling.md``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.report import given_or_new_world, markdown_table, write_result
from detector.cluster import SceneTask, dask_client, detect_on_cluster
from detector.model import load_model
from detector.on_water import DEFAULT_MAX_LAND
from training.synth.world import WorldConfig

DEFAULT_WORLD = WorldConfig(seed=18, years=(2024, 2024))


def run_once(world: Path, workers: int, task: SceneTask) -> dict[str, object]:
    scenes = [str(p) for p in sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))]
    results: dict[str, Any] = {}

    def keep(path: str, frame: Any, error: str | None) -> None:
        results[path] = error or len(frame)

    with dask_client("local", workers) as client:
        client.wait_for_workers(workers)
        warm = [
            client.submit(_load, task, pure=False, workers=[w])
            for w in client.scheduler_info()["workers"]
        ]
        client.gather(warm)
        start = time.perf_counter()
        detect_on_cluster(client, scenes, task, dates=None, on_scene=keep)
        seconds = time.perf_counter() - start
    failed = sum(isinstance(v, str) for v in results.values())
    return {
        "workers": workers,
        "scenes": len(scenes),
        "failed": failed,
        "wall s": round(seconds, 1),
        "scenes / hour": round(3600 * len(scenes) / seconds),
        "detections": sum(v for v in results.values() if not isinstance(v, str)),
    }


def _load(task: SceneTask) -> bool:
    from detector.cluster import _worker_model, _worker_rivers

    _worker_model(task)  # the calls of detect_one, so that it finds both cached
    _worker_rivers(task.rivers, task.name_field, task.corridor_m, task.rivers_sha256)
    return True


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path)
    parser.add_argument("--model", type=Path, help="weights with their card (default: bundled)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args(argv)
    model = load_model(args.model, backend="onnx")  # exports the ONNX once, before the workers
    with given_or_new_world(args.world, DEFAULT_WORLD) as world:
        task = SceneTask(
            model=None if args.model is None else str(args.model),
            backend="onnx",
            device="cpu",
            flips=model.flips,
            max_land=DEFAULT_MAX_LAND,
            rivers=str(world / "rivers.geojson"),
            name_field="name",
            corridor_m=250.0,
            conf=0.25,
            batch=16,
            scene_bands=None,
        )
        rows = [run_once(world, n, task) for n in args.workers]
    body = (
        f"Model {model.describe()}; {os.cpu_count()} cores; onnxruntime in each worker "
        "process (1 thread per worker for Dask; onnxruntime's own threads as it chooses).\n\n"
        + markdown_table(pd.DataFrame(rows))
    )
    world_arg = f"--world {args.world} " if args.world else ""
    command = f"python -m benchmarks.dask_scaling {world_arg}--workers " + " ".join(
        map(str, args.workers)
    )
    write_result("dask_scaling", "Dask LocalCluster scaling", command, body)


if __name__ == "__main__":
    main()
