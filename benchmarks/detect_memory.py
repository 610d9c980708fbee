"""Peak memory of ``dredge detect`` on one 30,000 × 30,000 px scene, with the bundled model.

Writes the same PlanetScope-like scene as :mod:`benchmarks.tiling_memory` (4-band uint16,
3 m, a meandering river across it; 6.7 GiB of pixels uncompressed), then runs ``dredge detect``
on it in a child process for each backend and reports the child's peak resident memory
(``ru_maxrss`` of the finished child: Python, torch or onnxruntime, the model, GDAL's block
cache and the tiles in flight), its wall time and the tiles it read.

    .venv/bin/python -m benchmarks.detect_memory [--size 30000]

Writes ``benchmarks/results/detect_memory.md``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from benchmarks.report import markdown_table, write_result
from benchmarks.tiling_memory import write_big_rivers, write_big_scene

BACKENDS = ("onnx", "torch")


def run_detect(scene: Path, rivers: Path, out: Path, backend: str) -> dict[str, object]:
    """``dredge detect`` in a child process; its peak RSS, time and output size."""
    started = time.perf_counter()
    command = [
        sys.executable, "-m", "benchmarks.detect_memory", "--child", "--",
        "detect", str(scene), "--rivers", str(rivers), "--out", str(out),
        "--date", "2024-08-01", "--backend", backend, "--no-progress",
    ]  # fmt: skip
    child = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    lines = child.stdout.splitlines()
    if child.returncode != 0 or not lines or not lines[-1].startswith("PEAK_RSS_KB "):
        raise SystemExit(f"dredge detect failed: {child.stdout[-1000:]} {child.stderr[-2000:]}")
    tiles = sum(
        int(line.split(": ", 1)[1].split(" tiles")[0]) for line in lines if " tiles, " in line
    )
    return {
        "backend": backend,
        "tiles read": tiles,
        "detections": len(gpd.read_parquet(out)),
        "wall s": round(seconds, 1),
        "peak RSS MB": round(int(lines[-1].split()[1]) / 1024),
    }


def child(args: list[str]) -> None:
    """Run the ``dredge`` command line in this process, then print this process's peak RSS."""
    from detector.cli import app

    try:
        app(args, standalone_mode=False)
    finally:
        print(f"PEAK_RSS_KB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", flush=True)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["--child", "--"]:
        child(argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=30_000, help="scene side, px")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dredge-detect-memory-") as folder:
        scene = Path(folder) / "20240801_150000_00_2455_3B_AnalyticMS_SR.tif"
        rivers = Path(folder) / "rivers.geojson"
        started = time.perf_counter()
        write_big_scene(scene, args.size)
        write_big_rivers(rivers, args.size)
        written = time.perf_counter() - started
        rows = [
            run_detect(scene, rivers, Path(folder) / f"d-{backend}.parquet", backend)
            for backend in BACKENDS
        ]
        file_mb = scene.stat().st_size / 2**20
    body = (
        f"Scene: {args.size:,} × {args.size:,} px, 4 bands uint16 at 3 m "
        f"({args.size**2 * 8 / 2**30:.1f} GiB of pixels, {file_mb:,.0f} MB ZSTD on disk, written "
        f"in {written:.0f} s), one river across it. Model: the bundled one, batch 16. Each run "
        "is a fresh `dredge detect` process.\n\n" + markdown_table(pd.DataFrame(rows))
    )
    write_result(
        "detect_memory",
        "Peak memory of dredge detect on a 30,000 × 30,000 px scene",
        f"python -m benchmarks.detect_memory --size {args.size}",
        body,
    )


if __name__ == "__main__":
    main()
