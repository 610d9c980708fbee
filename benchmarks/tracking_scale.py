"""Scale benchmark: link about a million detections over 10 years on 20 rivers.

The detections come from the simulated world of :mod:`benchmarks.track_sim` (a usable scene
of each river every 3 days, ~40 dredge groups starting a year on each 40 km river), degraded
like a detector's output (15 % missed, 8 m jitter, false detections 10 % of those kept). The
tracker runs with the scenes' observed areas (about 24,000 scenes) and without them; the wall
time of :func:`detector.tracking.link_tracks` alone is reported (not the simulation), and apart
from it the time to place the detections on the rivers' centerlines
(:meth:`detector.rivers.RiverNetwork.locate`), which ``dredge track`` does first.

    .venv/bin/python -m benchmarks.tracking_scale [--rivers 20] [--years 10]

Writes ``benchmarks/results/tracking_scale.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.report import write_markdown
from benchmarks.track_sim import SimConfig, simulate, to_lon_lat
from benchmarks.tracking_dedup import DROP, FALSE_RATE, JITTER_M, detections_table
from detector.rivers import RiverNetwork
from detector.tracking import TrackParams, link_tracks

LENGTH_M = 40_000.0


def build(rivers: int, years: int, seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Degraded detections and observed areas of a simulated world."""
    config = SimConfig(
        rivers=rivers,
        years=(2016, 2016 + years - 1),
        river_length_m=LENGTH_M,
        groups_per_year=40.0,
        revisit_days=3.0,
        seed=seed,
    )
    world = simulate(config)
    rng = np.random.default_rng(seed + 100)
    truth = world.truth
    visible = truth[truth["visible"].to_numpy(bool)]
    kept = visible[rng.random(len(visible)) >= DROP].reset_index(drop=True)
    n_false = round(FALSE_RATE * len(kept))
    scenes = truth.drop_duplicates("scene")[["scene", "acquired", "river"]]
    fake = scenes.sample(n_false, replace=True, random_state=seed).reset_index(drop=True)
    fake["chainage_m"] = rng.uniform(0, config.river_length_m, n_false)
    fake["offset_m"] = rng.uniform(-1, 1, n_false) * (config.width_m / 2 - 10)
    rows = pd.concat([kept, fake], ignore_index=True)
    rows["chainage_m"] += rng.normal(0, JITTER_M, len(rows))
    rows["offset_m"] += rng.normal(0, JITTER_M, len(rows))
    river_index = rows["river"].str.slice(1).astype(int).to_numpy()
    lon, lat = to_lon_lat(river_index, rows["chainage_m"].to_numpy(), rows["offset_m"].to_numpy())
    score = rng.uniform(0.3, 0.95, len(rows))
    return detections_table(rows, lon, lat, score), world.observed


def centerlines(rivers: int, length_m: float) -> RiverNetwork:
    """The simulated rivers' centerlines, west to east (upstream to downstream)."""
    ends = np.array([length_m, 0.0])
    lines = []
    for r in range(rivers):
        lon, lat = to_lon_lat(np.full(2, r), ends, np.zeros(2))
        lines.append(shapely.LineString(np.column_stack([lon, lat])))
    names = [f"R{r:02d}" for r in range(rivers)]
    return RiverNetwork.from_frame(
        gpd.GeoDataFrame({"name": names}, geometry=lines, crs="EPSG:4326")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rivers", type=int, default=20)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    detections, observed = build(args.rivers, args.years, args.seed)
    simulated = time.perf_counter() - start
    lines = [
        "| observed areas | detections | rivers | years | scenes | tracks | counted | "
        "link_tracks s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, seen in (("yes", observed), ("no", None)):
        start = time.perf_counter()
        _, tracks = link_tracks(detections, seen, params=TrackParams())
        elapsed = time.perf_counter() - start
        lines.append(
            f"| {label} | {len(detections):,} | {args.rivers} | {args.years} | "
            f"{len(observed):,} | {len(tracks):,} | {int(tracks['counted'].sum()):,} | "
            f"{elapsed:.1f} |"
        )
        print(lines[-1], flush=True)
    network = centerlines(args.rivers, LENGTH_M)
    start = time.perf_counter()
    placed = network.locate(detections.geometry)
    located = time.perf_counter() - start
    agree = float((placed["river"] == detections["river"]).mean())
    lines += [
        "",
        f"Placing the {len(detections):,} detections on the {args.rivers} centerlines (river, "
        f"chainage, offset: what `dredge track` does first) took {located:.1f} s; "
        f"{agree:.1%} were placed on the river they were drawn on.",
    ]
    print(lines[-1], flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    text = [
        "# Tracking scale benchmark",
        "",
        "Simulated detections (15 % missed, 8 m jitter, false detections 10 % of those kept), "
        f"seed {args.seed}; "
        f"simulation itself took {simulated:.0f} s and is not counted. Machine: {machine}. "
        "Command: `.venv/bin/python -m benchmarks.tracking_scale"
        f" --rivers {args.rivers} --years {args.years}`.",
        "",
        *lines,
        "",
    ]
    write_markdown("tracking_scale", "\n".join(text))


if __name__ == "__main__":
    main()
