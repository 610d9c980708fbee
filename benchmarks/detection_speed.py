"""Detection speed on this machine: torch against onnxruntime on the CPU.

Two measures per backend, with one view of each tile and with the four flipped views
(:mod:`detector.flip_views`, the default), after one warm-up call:

- **model only**: tiles per second through ``Detector.predict`` (pre-processing, the network,
  NMS) on random tiles of the card's size, at batch 1 and batch 16;
- **end to end**: ``detect_scenes`` over the scenes of a synthetic world (reading windows at
  the card's GSD, the model, cross-tile merging, river referencing): tiles per second and
  seconds per scene, after one scene detected untimed.

Run: ``python -m benchmarks.detection_speed`` (generates a small world, seed 13, Nanay and
Itaya, 2024, in a temporary folder) or ``--world DIR``; ``--model PATH`` for other weights
(default: the bundled model). Writes ``benchmarks/results/detection_speed.md``.

``--device cuda`` measures torch on the GPU instead (half precision, as ``dredge detect
--device cuda`` runs it; full precision too), model only at batches up to 1,024 and end to end
at batch 64, and checks that the GPU finds what onnxruntime on the CPU finds in the same world
(detections of the same scene and class within 3 m; four views). Writes
``detection_speed_cuda.md``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from benchmarks.report import given_or_new_world, markdown_table, write_result
from detector.card import ModelCard
from detector.detect import detect_scenes
from detector.model import DEFAULT_CONF, YoloDetector, load_model
from training.synth.world import WorldConfig

BACKENDS = ("torch", "onnx")
BATCHES = (1, 16)
GPU_BATCHES = (1, 16, 64, 256, 1024)
GPU_END_TO_END_BATCH = 64
SAME_DETECTION_M = 3.0
REPEATS = 3
DEFAULT_WORLD = WorldConfig(seed=13, rivers=("Nanay", "Itaya"), years=(2024, 2024))


class CountingDetector:
    """Wraps a detector and counts the tiles it was given and the seconds it spent."""

    def __init__(self, inner: YoloDetector) -> None:
        self.inner = inner
        self.card: ModelCard = inner.card
        self.tiles = 0
        self.seconds = 0.0

    def predict(
        self, batch: NDArray[np.float32], *, conf: float = DEFAULT_CONF
    ) -> list[NDArray[np.float32]]:
        start = time.perf_counter()
        boxes = self.inner.predict(batch, conf=conf)
        self.seconds += time.perf_counter() - start
        self.tiles += len(batch)
        return boxes


def model_only(detector: YoloDetector, batch: int) -> float:
    """Tiles per second through ``predict`` (best of REPEATS runs of 32 tiles)."""
    spec = detector.card.input
    rng = np.random.default_rng(0)
    tiles = rng.random((batch, len(spec.bands), spec.tile_px, spec.tile_px), dtype=np.float32)
    detector.predict(tiles)  # warm-up
    calls = max(1, 32 // batch)
    best = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(calls):
            detector.predict(tiles)
        best = min(best, time.perf_counter() - start)
    return calls * batch / best


def end_to_end(
    detector: YoloDetector, world: Path, batch: int = 16
) -> tuple[dict[str, float], gpd.GeoDataFrame]:
    """Tiles per second and seconds per scene of ``detect_scenes`` over a world; its table.
    One scene is detected first, neither timed nor counted: the warm-up (with ``--device
    cuda``, starting the GPU; the first timed run included it)."""
    counting = CountingDetector(detector)
    scenes = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))
    rivers = world / "rivers.geojson"
    quiet: dict[str, Any] = {"batch": batch, "progress": False, "echo": lambda _: None}
    detect_scenes(scenes[:1], rivers, model=detector, **quiet)  # warm-up
    start = time.perf_counter()
    frame, failures = detect_scenes(scenes, rivers, model=counting, **quiet)
    seconds = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"scenes failed: {failures}")
    run = {
        "scenes": len(scenes),
        "tiles": counting.tiles,
        "detections": len(frame),
        "seconds": seconds,
        "model seconds": counting.seconds,
    }
    return run, frame


def same_detections(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, tol_m: float) -> int:
    """How many detections of ``a`` have one of ``b`` in the same scene, of the same class,
    within ``tol_m`` metres (centres, one-to-one, nearest first)."""
    if a.empty or b.empty:
        return 0
    crs = a.estimate_utm_crs()
    pa, pb = a.to_crs(crs).geometry.centroid, b.to_crs(crs).geometry.centroid
    pairs = []
    for i in range(len(a)):
        same = (b["scene"] == a["scene"].iloc[i]) & (b["class_name"] == a["class_name"].iloc[i])
        for j in np.flatnonzero(same.to_numpy()):
            d = pa.iloc[i].distance(pb.iloc[j])
            if d <= tol_m:
                pairs.append((d, i, j))
    used_a, used_b = set(), set()
    for _, i, j in sorted(pairs):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
    return len(used_a)


def speed_row(
    label: str, detector: YoloDetector, batches: Sequence[int], run: dict[str, float]
) -> dict[str, object]:
    """One row of the table: model-only speeds, end to end, seconds per scene."""
    speeds = {f"model only, batch {b} (tiles/s)": model_only(detector, b) for b in batches}
    return {
        "backend": label,
        "views": 4 if detector.flips else 1,
        **{key: round(value, 1) for key, value in speeds.items()},
        "end to end (tiles/s)": round(run["tiles"] / run["seconds"], 1),
        "s/scene": round(run["seconds"] / run["scenes"], 2),
        "model share of end to end": f"{run['model seconds'] / run['seconds']:.0%}",
    }


def gpu_rows(model: Path | None, world: Path) -> tuple[list[dict[str, object]], str]:
    """Torch on the GPU (half and full precision): speed rows, and agreement with the CPU."""
    reference = load_model(model, backend="onnx", device="cpu")
    cpu_run, cpu_frame = end_to_end(reference, world)
    rows, agreement = [], []
    for half in (True, False):
        for flips in (False, True):
            detector = load_model(model, backend="torch", device="cuda", flips=flips)
            if not half:  # dredge detect --device cuda runs half precision
                detector.half = False  # type: ignore[attr-defined]
                detector.net = detector.net.float()  # type: ignore[attr-defined]
            run, frame = end_to_end(detector, world, GPU_END_TO_END_BATCH)
            precision = "fp16" if half else "fp32"
            rows.append(speed_row(f"torch cuda {precision}", detector, GPU_BATCHES, run))
            if flips:
                same = same_detections(frame, cpu_frame, SAME_DETECTION_M)
                agreement.append(
                    f"torch cuda {precision}: {len(frame)} detections, {same} of them within "
                    f"{SAME_DETECTION_M:g} m of one of onnxruntime on CPU ({len(cpu_frame)} "
                    f"detections, {cpu_run['seconds'] / cpu_run['scenes']:.2f} s/scene)"
                )
    return rows, "; ".join(agreement) + "."


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, help="a folder written by `dredge synth`")
    parser.add_argument("--model", type=Path, help="weights with their card (default: bundled)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = parser.parse_args(argv)
    if args.device == "cuda":
        return main_gpu(args)
    rows, runs = [], []
    with given_or_new_world(args.world, DEFAULT_WORLD) as world:
        for backend, flips in [(b, f) for b in BACKENDS for f in (False, True)]:
            detector = load_model(args.model, backend=backend, flips=flips)
            run, _ = end_to_end(detector, world)
            runs.append(run)
            rows.append(speed_row(detector.backend, detector, BATCHES, run))
    import torch

    card = detector.card
    first = runs[0]
    body = "\n".join(
        [
            f"Model `{card.name}`: {card.input.tile_px} px tiles, {len(card.input.bands)} bands, "
            f"{card.input.gsd_m:g} m. CPU threads: torch {torch.get_num_threads()}, "
            f"onnxruntime default ({os.cpu_count()} cores). End to end: {first['scenes']} scenes "
            f"of a small synthetic world ({first['tiles']} tiles along the rivers, batch 16, "
            f"conf {DEFAULT_CONF:g}), from GeoTIFF to the EPSG:4326 table. Model only: random "
            "tiles, best of 3. Tiles per second count the tiles given, whatever the views.",
            "",
            markdown_table(pd.DataFrame(rows)),
        ]
    )
    command = "python -m benchmarks.detection_speed" + (
        f" --world {args.world}" if args.world else ""
    )
    write_result("detection_speed", "Detection speed: torch vs onnxruntime on CPU", command, body)


def main_gpu(args: argparse.Namespace) -> None:
    """``--device cuda``: torch on the GPU, and its agreement with onnxruntime on the CPU."""
    import torch

    with given_or_new_world(args.world, DEFAULT_WORLD) as world:
        rows, agreement = gpu_rows(args.model, world)
    body = "\n".join(
        [
            f"GPU: {torch.cuda.get_device_name(0)}; {os.cpu_count()} CPU cores read the scenes. "
            f"End to end at batch {GPU_END_TO_END_BATCH}; model only on random tiles, best of 3. "
            "Same detections: " + agreement,
            "",
            markdown_table(pd.DataFrame(rows)),
        ]
    )
    command = "python -m benchmarks.detection_speed --device cuda" + (
        f" --world {args.world}" if args.world else ""
    )
    write_result("detection_speed_cuda", "Detection speed on a GPU", command, body)


if __name__ == "__main__":
    main()
