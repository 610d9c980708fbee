"""Detection speed on this machine: torch against onnxruntime on the CPU.

Two measures per backend, with one view of each tile and with the four flipped views
(:mod:`detector.flip_views`, the default), after one warm-up call:

- **model only**: tiles per second through ``Detector.predict`` (pre-processing, the network,
  NMS) on random tiles of the card's size, at batch 1 and batch 16;
- **end to end**: ``detect_scenes`` over the scenes of a synthetic world (reading windows at
  the card's GSD, the model, cross-tile merging, river referencing): tiles per second and
  seconds per scene.

Run: ``python -m benchmarks.detection_speed`` (generates a small world, seed 13, Nanay and
Itaya, 2024, in a temporary folder) or ``--world DIR``; ``--model PATH`` for other weights
(default: the bundled model). Writes ``benchmarks/results/detection_speed.md``.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

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


def end_to_end(detector: YoloDetector, world: Path) -> dict[str, float]:
    """Tiles per second and seconds per scene of ``detect_scenes`` over a world."""
    counting = CountingDetector(detector)
    scenes = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))
    start = time.perf_counter()
    frame, failures = detect_scenes(
        scenes, world / "rivers.geojson", model=counting, progress=False, echo=lambda _: None
    )
    seconds = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"scenes failed: {failures}")
    return {
        "scenes": len(scenes),
        "tiles": counting.tiles,
        "detections": len(frame),
        "seconds": seconds,
        "model seconds": counting.seconds,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, help="a folder written by `dredge synth`")
    parser.add_argument("--model", type=Path, help="weights with their card (default: bundled)")
    args = parser.parse_args(argv)
    rows, runs = [], []
    with given_or_new_world(args.world, DEFAULT_WORLD) as world:
        for backend, flips in [(b, f) for b in BACKENDS for f in (False, True)]:
            detector = load_model(args.model, backend=backend, flips=flips)
            speeds = {f"model only, batch {b} (tiles/s)": model_only(detector, b) for b in BATCHES}
            run = end_to_end(detector, world)
            runs.append(run)
            rows.append(
                {
                    "backend": detector.backend,
                    "views": 4 if flips else 1,
                    **{key: round(value, 1) for key, value in speeds.items()},
                    "end to end (tiles/s)": round(run["tiles"] / run["seconds"], 1),
                    "s/scene": round(run["seconds"] / run["scenes"], 2),
                    "model share of end to end": f"{run['model seconds'] / run['seconds']:.0%}",
                }
            )
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


if __name__ == "__main__":
    main()
