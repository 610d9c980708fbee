"""Is a river's line on the channel? The check of `dredge detect` on lines moved off it.

Each scene's summary line warns when a river's centerline has no water within 10 m at more
than 40 % of its points (:func:`detector.on_water.off_channel`): a line hundreds of
metres off the channel (a coarse hydrography layer) leaves the dredges outside the corridor
unseen. This benchmark moves every river of the given worlds east by each ``--shifts`` distance
(in its own UTM zone) and reports, per world and shift, the share of points without water per
scene and river, and how many scene-rivers the check flags.

    .venv/bin/python -m benchmarks.line_check --worlds demo-output/world --shifts 0 150 300

Writes ``benchmarks/results/line_check.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from benchmarks.report import write_markdown
from detector.on_water import LINE_MIN_POINTS, LINE_ON_LAND_ABOVE, lines_on_land
from detector.river_files import read_vector
from detector.rivers import RiverNetwork
from detector.scene import open_scene
from detector.scene_sources import resolve_scenes
from training.track_eval import markdown_table


def moved_network(rivers: Path, east_m: float) -> RiverNetwork:
    """The rivers of ``rivers`` moved ``east_m`` metres east, each in its own UTM zone."""
    frame = read_vector(rivers)
    moved = []
    for geometry in frame.geometry:
        one = gpd.GeoSeries([geometry], crs=frame.crs)
        zone = one.estimate_utm_crs()
        moved.append(one.to_crs(zone).translate(east_m, 0.0).to_crs(frame.crs).iloc[0])
    return RiverNetwork.from_frame(frame.set_geometry(moved, crs=frame.crs), source=str(rivers))


def shares(world: Path, east_m: float) -> list[float]:
    """The share of points without water near, per scene and river with enough points."""
    network = moved_network(world / "rivers.geojson", east_m)
    found = []
    for path in resolve_scenes([world / "scenes"]).paths:
        with open_scene(path) as scene:
            for share, points in lines_on_land(scene, network, 3.0).values():
                if points >= LINE_MIN_POINTS:
                    found.append(share)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", type=Path, nargs="+", required=True, help="synth worlds")
    parser.add_argument("--shifts", type=float, nargs="+", default=[0.0, 150.0, 300.0])
    args = parser.parse_args()
    rows = []
    start = time.perf_counter()
    for world in args.worlds:
        for east in args.shifts:
            values = np.array(shares(world, east))
            rows.append(
                {
                    "world": f"{world.parent.name}/{world.name}",
                    "line moved (m)": f"{east:g}",
                    "scene-rivers": len(values),
                    "no water near, median": round(float(np.median(values)), 3),
                    "no water near, max": round(float(values.max()), 3),
                    f"flagged (> {LINE_ON_LAND_ABOVE:.0%})": int(
                        (values > LINE_ON_LAND_ABOVE).sum()
                    ),
                }
            )
            print(rows[-1], flush=True)
    worlds = " ".join(str(w) for w in args.worlds)
    shifts = " ".join(f"{s:g}" for s in args.shifts)
    text = [
        "# Is a river's line on the channel?",
        "",
        f"Command: `.venv/bin/python -m benchmarks.line_check --worlds {worlds} --shifts "
        f"{shifts}` ({time.perf_counter() - start:.0f} s). A point of a river's line (every 30 m, "
        "inside the scene, clear) is without water when no clear pixel within 10 m of it is "
        "water (the on-water test of `detector.on_water`); scene-rivers with at least "
        f"{LINE_MIN_POINTS} such points. Worlds: `dredge synth` worlds, or those that "
        "`benchmarks.count_accuracy --worlds DIR` keeps (`DIR/seed-N`).",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "Lines on the channel (moved 0 m) should never be flagged; a line moved past the "
        "corridor's half-width (250 m by default) leaves most of the river unsearched.",
        "",
    ]
    write_markdown("line_check", "\n".join(text))


if __name__ == "__main__":
    main()
