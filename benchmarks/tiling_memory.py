"""Tiling memory and pixels read: a 30,000 × 30,000 px scene, and optionally a synthetic world.

Part 1 writes a PlanetScope-like scene (4-band uint16, 3 m, tiled and ZSTD-compressed, written
block by block) with a meandering river across its diagonal and bright 3 × 3 px "dredges"
beside the water, then plans and reads every tile in a child process and reports that
process's peak resident memory (``ru_maxrss``: Python, numpy and GDAL's block cache together),
the pixels read against the pixels in the scene and against a whole-scene tiling, and whether
every dredge lies in a tile and shows in its pixels.

Part 2 (``--world DIR``, a folder written by ``dredge synth``) plans every scene of the world
and reports the same fractions, and how many visible truth dredges inside the corridor fall in
a tile.

    .venv/bin/python -m benchmarks.tiling_memory [--size 30000] [--world DIR]

Writes ``benchmarks/results/tiling.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

GSD_M = 3.0
BLOCK_PX = 512
ORIGIN = (600_000.0, 9_600_000.0)  # UTM 18S, near the Nanay
CRS = "EPSG:32718"
FOREST = np.array([350, 600, 450, 2800], dtype=np.uint16)  # blue, green, red, nir
WATER = np.array([500, 700, 650, 600], dtype=np.uint16)
DREDGE = np.array([3000, 3200, 3300, 3500], dtype=np.uint16)
HALF_WIDTH_PX = 25  # a 150 m wide river
MEANDER, WAVELENGTH = 0.05, 0.3  # meander amplitude and wavelength, shares of the scene's side
DREDGES = 40
DREDGE_OFFSET_PX = 12  # beside the water, like a dredge moored at the bank
MEMORY_LIMIT_MB = 1024


# --- the big scene -------------------------------------------------------------------------------


def centre_col(rows: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Column of the river's centre on each row: a diagonal plus a meander, inside the scene."""
    meander = MEANDER * size * np.sin(2 * np.pi * rows / (WAVELENGTH * size))
    return 0.1 * size + 0.8 * rows + meander


def dredge_pixels(size: int) -> list[tuple[int, int]]:
    """(row, col) of each dredge's centre, alternating banks, away from the scene's edge."""
    rows = np.linspace(0.04 * size, 0.96 * size, DREDGES).round()
    sides = np.where(np.arange(DREDGES) % 2 == 0, 1, -1)
    cols = centre_col(rows, size) + sides * (HALF_WIDTH_PX + DREDGE_OFFSET_PX)
    return [(int(r), int(c)) for r, c in zip(rows, cols.round(), strict=True)]


def render_block(row0: int, col0: int, height: int, width: int, size: int) -> NDArray[np.uint16]:
    """One block of the scene: forest, the river where it passes, dredges where they are."""
    block = np.empty((4, height, width), dtype=np.uint16)
    block[:] = FOREST[:, None, None]
    rows = np.arange(row0, row0 + height, dtype=np.float64)
    centre = centre_col(rows, size)
    if centre.max() + HALF_WIDTH_PX >= col0 and centre.min() - HALF_WIDTH_PX < col0 + width:
        cols = np.arange(col0, col0 + width)
        water = np.abs(cols[None, :] - centre[:, None]) <= HALF_WIDTH_PX
        block[:, water] = WATER[:, None]
    for row, col in dredge_pixels(size):
        r, c = row - row0, col - col0
        if -1 <= r <= height and -1 <= c <= width:
            block[:, max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2] = DREDGE[:, None, None]
    return block


def write_big_scene(path: Path, size: int) -> None:
    """Write the scene block by block (a few MB in memory at a time)."""
    import rasterio
    from affine import Affine

    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 4,
        "dtype": "uint16",
        "crs": CRS,
        "transform": Affine(GSD_M, 0.0, ORIGIN[0], 0.0, -GSD_M, ORIGIN[1]),
        "nodata": 0,
        "tiled": True,
        "blockxsize": BLOCK_PX,
        "blockysize": BLOCK_PX,
        "compress": "zstd",
        "zstd_level": 1,
        "num_threads": "all_cpus",
    }
    from rasterio.windows import Window

    with rasterio.open(path, "w", **profile) as dst:
        for row0 in range(0, size, BLOCK_PX):
            for col0 in range(0, size, BLOCK_PX):
                height, width = min(BLOCK_PX, size - row0), min(BLOCK_PX, size - col0)
                block = render_block(row0, col0, height, width, size)
                dst.write(block, window=Window(col0, row0, width, height))


def write_big_rivers(path: Path, size: int) -> None:
    """The river's centerline (sampled every 30 px), upstream at the top-left, in EPSG:4326."""
    import geopandas as gpd
    from shapely import LineString

    rows = np.arange(-60.0, size + 60.0, 30.0)
    cols = centre_col(rows, size)
    xs = ORIGIN[0] + (cols + 0.5) * GSD_M
    ys = ORIGIN[1] - (rows + 0.5) * GSD_M
    line = LineString(np.column_stack([xs, ys]))
    gpd.GeoDataFrame({"name": ["Nanay"]}, geometry=[line], crs=CRS).to_crs(4326).to_file(path)


def measure_big_scene(scene_path: Path, rivers_path: Path, size: int) -> dict[str, Any]:
    """Plan and read every tile (run in a fresh process, so ``ru_maxrss`` is this work's)."""
    from shapely import Point

    from detector.inputspec import InputSpec
    from detector.rivers import RiverNetwork
    from detector.scene import GDAL_CACHE_MB, open_scene, reading_env
    from detector.tiling import coverage, plan_scene

    spec = InputSpec(bands=("red", "green", "blue"), gsd_m=GSD_M)
    rss_start = _peak_rss_mb()
    with reading_env(), open_scene(scene_path) as scene:
        network = RiverNetwork.read(rivers_path)
        started = time.perf_counter()
        plan = plan_scene(scene, network, spec)
        planned = time.perf_counter()
        rss_planned = _peak_rss_mb()
        brightest = {}
        for tile in plan.tiles:
            data = plan.read(tile).data
            brightest[(tile.row, tile.col)] = float(data.max())
        read = time.perf_counter()
        report = coverage(plan)
        transform = scene.transform
    found = 0
    for row, col in dredge_pixels(size):
        point = Point(transform @ (col + 0.5, row + 0.5))
        holding = [t for t in plan.tiles if t.footprint.intersects(point)]
        if holding and max(brightest[(t.row, t.col)] for t in holding) >= DREDGE[2] / 10000:
            found += 1
    return {
        "size_px": size,
        "tiles": report.tiles,
        "grid_tiles": report.grid_tiles,
        "pixels_read": report.pixels_read,
        "pixels_in_scene": report.pixels_in_scene,
        "whole_scene_pixels": report.whole_scene_pixels,
        "read_fraction": report.read_fraction,
        "fraction_of_whole_scene_tiling": report.fraction_of_whole_scene_tiling,
        "corridor_fraction": report.corridor_fraction,
        "dredges": DREDGES,
        "dredges_found": found,
        "plan_s": planned - started,
        "read_s": read - planned,
        "peak_rss_mb_start": rss_start,
        "peak_rss_mb_planned": rss_planned,
        "peak_rss_mb": _peak_rss_mb(),
        "gdal_cache_mb": GDAL_CACHE_MB,
        "file_mb": scene_path.stat().st_size / 2**20,
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_big_scene(size: int, keep: Path | None) -> dict[str, Any]:
    """Write the scene, then measure it in a child process."""
    with tempfile.TemporaryDirectory(dir=keep) as folder:
        scene_path = Path(folder) / "20240801_150000_00_2455_3B_AnalyticMS_SR.tif"
        rivers_path = Path(folder) / "rivers.geojson"
        started = time.perf_counter()
        write_big_scene(scene_path, size)
        write_big_rivers(rivers_path, size)
        written = time.perf_counter() - started
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.tiling_memory", "--measure", str(scene_path),
             str(rivers_path), str(size)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
        result["write_s"] = written
        return result


# --- the synthetic world ------------------------------------------------------------------------


def measure_world(world: Path) -> dict[str, Any]:
    """Plan every scene of a ``dredge synth`` world; count truth dredges that fall in tiles."""
    import pandas as pd
    from shapely import Point

    from detector.chips import expand_scene_paths
    from detector.inputspec import InputSpec
    from detector.rivers import RiverNetwork
    from detector.scene import open_scene, reading_env
    from detector.tiling import coverage, plan_scene

    network = RiverNetwork.read(world / "rivers.geojson")
    truth = pd.read_csv(world / "truth" / "dredges.csv")
    truth = truth[truth["visible"].astype(bool)]
    spec = InputSpec()
    totals = {"scenes": 0, "tiles": 0, "grid_tiles": 0, "read": 0, "scene": 0, "whole": 0}
    corridor, in_corridor, in_tiles = [], 0, 0
    started = time.perf_counter()
    with reading_env():
        for path in expand_scene_paths([world / "scenes"]):
            with open_scene(path) as scene:
                plan = plan_scene(scene, network, spec)
                report = coverage(plan)
                corridors = network.corridor(scene.crs).union_all()
                mine = truth[truth["scene"] == scene.name]
                for row in mine.itertuples():
                    point = Point(row.x, row.y)
                    if scene.crs.to_string() != row.crs or not corridors.contains(point):
                        continue
                    in_corridor += 1
                    in_tiles += any(t.footprint.contains(point) for t in plan.tiles)
            totals["scenes"] += 1
            totals["tiles"] += report.tiles
            totals["grid_tiles"] += report.grid_tiles
            totals["read"] += report.pixels_read
            totals["scene"] += report.pixels_in_scene
            totals["whole"] += report.whole_scene_pixels
            corridor.append(report.corridor_fraction)
    return {
        "world": _describe_world(world),
        "seconds": time.perf_counter() - started,
        "read_fraction": totals["read"] / totals["scene"],
        "fraction_of_whole_scene_tiling": totals["read"] / totals["whole"],
        "corridor_fraction_mean": float(np.mean(corridor)),
        "corridor_fraction_min": float(np.min(corridor)),
        "dredges_in_corridor": in_corridor,
        "dredges_in_tiles": in_tiles,
        **totals,
    }


def _describe_world(world: Path) -> str:
    """How the world was made, from its ``world.json`` (the folder name when there is none)."""
    try:
        config = json.loads((world / "world.json").read_text())["config"]
    except (OSError, ValueError, KeyError):
        return world.name
    years = "–".join(str(year) for year in config.get("years", []))
    return (
        f"dredge synth --seed {config.get('seed')} --size {config.get('size')} "
        f"--gsd {config.get('gsd_m')} ({', '.join(config.get('rivers', []))}; {years})"
    )


# --- report ---------------------------------------------------------------------------------------


def markdown(big: dict[str, Any], world: dict[str, Any] | None) -> str:
    """The results as a Markdown page."""
    import rasterio

    size = big["size_px"]
    verdict = "under" if big["peak_rss_mb"] < MEMORY_LIMIT_MB else "OVER"
    lines = [
        "# Tiling: memory and pixels read",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python -m benchmarks.tiling_memory` on "
        f"{platform.machine()} ({os.cpu_count()} CPUs shared), Python "
        f"{platform.python_version()}, GDAL {rasterio.__gdal_version__}.",
        "",
        f"## One {size:,} × {size:,} px scene",
        "",
        f"PlanetScope-like: 4-band uint16, {GSD_M:g} m, {BLOCK_PX} px ZSTD tiles "
        f"({big['file_mb']:.1f} MB on disk, {size * size * 8 / 2**30:.1f} GiB decoded), one "
        f"meandering {2 * HALF_WIDTH_PX * GSD_M:.0f} m wide river across the diagonal "
        f"(meanders of ±{MEANDER * size * GSD_M / 1000:.1f} km), {DREDGES} dredges beside the "
        "water. Model input: red, green, blue at 3 m, 256 px tiles, 32 px overlap, "
        "corridor ±250 m.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| tiles read / whole-scene grid | {big['tiles']:,} / {big['grid_tiles']:,} |",
        f"| pixels read / pixels in scene | {big['pixels_read'] / 1e6:,.1f} / "
        f"{big['pixels_in_scene'] / 1e6:,.1f} Mpx = **{big['read_fraction']:.2%}** |",
        f"| pixels read / whole-scene tiling | {big['pixels_read'] / 1e6:,.1f} / "
        f"{big['whole_scene_pixels'] / 1e6:,.1f} Mpx = "
        f"**{big['fraction_of_whole_scene_tiling']:.2%}** |",
        f"| corridor covered | {big['corridor_fraction']:.1%} |",
        f"| dredges in a tile and bright in its pixels | {big['dredges_found']} / "
        f"{big['dredges']} |",
        f"| peak RSS after imports / after planning / after reading all tiles | "
        f"{big['peak_rss_mb_start']:.0f} / {big['peak_rss_mb_planned']:.0f} / "
        f"**{big['peak_rss_mb']:.0f} MB** ({verdict} {MEMORY_LIMIT_MB} MB; GDAL block cache "
        f"capped at {big['gdal_cache_mb']} MB) |",
        f"| planning (corridor raster + validity look per window) | {big['plan_s']:.1f} s |",
        f"| reading all tiles | {big['read_s']:.1f} s |",
        f"| writing the test scene (not part of tiling) | {big['write_s']:.0f} s |",
        "",
        "Peak RSS is the whole measuring process (Python, numpy, geopandas, GDAL), from "
        "`resource.getrusage`; the scene is never held whole. Pixels read count each tile's "
        "pixels at the model's GSD (overlaps twice); planning also looks at each kept window "
        "at 1/8 resolution, not counted.",
    ]
    if world:
        lines += [
            "",
            "## The synthetic world",
            "",
            f"`{world['world']}`: {world['scenes']} scenes of "
            f"{world['scene'] / world['scenes'] / 1e6:.1f} Mpx on average, planned "
            f"in {world['seconds']:.1f} s. Small scenes around short reaches: the corridor is "
            "a large share of each scene, so the saving is smaller than above.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| tiles / whole-scene grids | {world['tiles']:,} / {world['grid_tiles']:,} |",
            f"| pixels read / pixels in scenes | **{world['read_fraction']:.1%}** |",
            f"| pixels read / whole-scene tiling | "
            f"**{world['fraction_of_whole_scene_tiling']:.1%}** |",
            f"| corridor covered, mean (min) | {world['corridor_fraction_mean']:.1%} "
            f"({world['corridor_fraction_min']:.1%}; clouded windows are skipped) |",
            f"| visible truth dredges in the corridor that fall in a tile | "
            f"{world['dredges_in_tiles']} / {world['dredges_in_corridor']} |",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write ``benchmarks/results/tiling.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=30_000, help="scene side in pixels")
    parser.add_argument("--world", type=Path, help="a folder written by `dredge synth`")
    parser.add_argument("--tmp", type=Path, help="folder for the temporary scene")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        scene, rivers, size = args.measure
        print(json.dumps(measure_big_scene(Path(scene), Path(rivers), int(size))))
        return
    big = run_big_scene(args.size, args.tmp)
    print(json.dumps(big, indent=1))
    world = measure_world(args.world) if args.world else None
    if world:
        print(json.dumps(world, indent=1))
    from benchmarks.report import write_markdown  # here: the measured process imports less

    write_markdown("tiling", markdown(big, world))


if __name__ == "__main__":
    main()
