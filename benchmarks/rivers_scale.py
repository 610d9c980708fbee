"""Scale benchmark: a national hydrography as ``--rivers`` (thousands of named rivers).

Analysts often give the whole river layer of a country (Peru's ANA or IGN hydrography, a
HydroRIVERS extract they named) rather than the few rivers their scenes cover. This draws
``--count`` named, gently meandering lines of 5–15 km across Peru (several UTM zones, both
all south of the equator), then times what every command does with them:

- reading them into a :class:`detector.rivers.RiverNetwork` (each river in its UTM zone);
- the corridors in one scene's CRS (what the tiler clips to each scene);
- placing 10,000 points on the rivers (what ``dredge detect`` and ``dredge track`` do);
- one river's reference line from 300 to ``--pieces`` pieces whose ends do not meet (an
  OpenStreetMap river exported as thousands of ways, a third drawn upstream, 5 m gaps).

Beside it, the old way of choosing each river's UTM zone (geopandas' ``estimate_utm_crs``,
which queries the PROJ database) is timed on 50 rivers and scaled to all of them.

    .venv/bin/python -m benchmarks.rivers_scale [--count 5000] [--pieces 3000]

Writes ``benchmarks/results/rivers_scale.md``.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely
from shapely import LineString

from benchmarks.report import write_result
from detector.river_lines import merged_pieces, reference_line, without_copies
from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork


def hydrography(count: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``count`` named lines in EPSG:4326 over Peru (about 81–69° W, 18–0° S)."""
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(count):
        lon, lat = rng.uniform(-80.5, -69.5), rng.uniform(-17.5, -0.5)
        steps = int(rng.integers(10, 30))
        heading = rng.uniform(0, 2 * np.pi)
        turns = heading + np.cumsum(rng.normal(0, 0.3, steps))
        xs = lon + np.concatenate([[0], np.cumsum(0.005 * np.cos(turns))])
        ys = lat + np.concatenate([[0], np.cumsum(0.005 * np.sin(turns))])
        rows.append(
            {"nombre": f"Quebrada {index:05d}", "geometry": LineString(zip(xs, ys, strict=True))}
        )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def pieced_river(count: int, seed: int = 0, shuffled: bool = True) -> list[LineString]:
    """A meandering river (in metres, 100 m steps) cut into ``count`` pieces of 200–400 m in
    shuffled order (or in flow order), each begun 5 m past the last one's end, every third
    drawn upstream."""
    rng = np.random.default_rng(seed)
    steps = count * 3
    turns = np.cumsum(rng.normal(0, 0.35, steps))
    xy = np.column_stack(
        [
            np.concatenate([[0], np.cumsum(100 * np.cos(turns))]) + 690_000,
            np.concatenate([[0], np.cumsum(100 * np.sin(turns))]) + 9_585_000,
        ]
    )
    cuts = np.sort(rng.choice(np.arange(1, steps), count - 1, replace=False))
    pieces = []
    for k, (a, b) in enumerate(zip([0, *cuts], [*cuts, steps], strict=True)):
        start = xy[a] + 0.05 * (xy[a + 1] - xy[a])  # 5 m past the joint
        line = LineString([start, *xy[a + 1 : b + 1]])
        pieces.append(line.reverse() if k % 3 == 2 else line)
    order = rng.permutation(count)
    return [pieces[k] for k in order] if shuffled else pieces


def time_reference_line(count: int) -> float:
    """Seconds to build the reference line of a river in ``count`` pieces."""
    parts = merged_pieces(without_copies(pieced_river(count)))
    start = time.perf_counter()
    reference_line(parts, DEFAULT_CORRIDOR_M)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--pieces", type=int, default=3000)
    args = parser.parse_args()
    piece_counts = sorted({300, 600, args.pieces})
    line_s = {count: time_reference_line(count) for count in piece_counts}
    frame = hydrography(args.count)

    start = time.perf_counter()
    network = RiverNetwork.from_frame(frame, name_field="nombre")
    read_s = time.perf_counter() - start

    start = time.perf_counter()
    network.corridor("EPSG:32718")
    corridor_s = time.perf_counter() - start

    rng = np.random.default_rng(1)
    picks = rng.integers(0, len(frame), 10_000)
    points = gpd.GeoSeries(
        [
            shapely.line_interpolate_point(
                frame.geometry.iloc[i], rng.uniform(0, 1), normalized=True
            )
            for i in picks
        ],
        crs="EPSG:4326",
    ).to_crs("EPSG:32718")
    start = time.perf_counter()
    located = network.locate(points)
    locate_s = time.perf_counter() - start
    placed = int(located["river"].notna().sum())

    sample = frame.iloc[:50]
    start = time.perf_counter()
    for index in range(len(sample)):
        sample.geometry.iloc[[index]].estimate_utm_crs()
    old_s = (time.perf_counter() - start) / len(sample) * args.count

    zones = len({river.crs.srs for river in network.rivers.values()})
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')}. {args.count:,} named lines of 5–15 km across "
        f"Peru ({zones} UTM zones), as a country's river layer given whole.",
        "",
        "| step | time |",
        "|---|---|",
        f"| read into a RiverNetwork | {read_s:.1f} s |",
        f"| corridors in one scene's CRS | {corridor_s:.1f} s |",
        f"| place 10,000 points on the rivers ({placed:,} within a corridor) | {locate_s:.1f} s |",
        "| choosing UTM zones the old way (`estimate_utm_crs`, 50 timed, scaled to all) | "
        f"{old_s:.0f} s |",
        "",
        "One river's reference line from pieces whose ends do not meet (a meandering river in "
        "200–400 m pieces, 5 m gaps, a third drawn upstream, shuffled):",
        "",
        "| pieces | time |",
        "|---|---|",
        *(f"| {count:,} | {seconds:.2f} s |" for count, seconds in line_s.items()),
        "",
    ]
    write_result(
        "rivers_scale",
        "Rivers: a national hydrography as --rivers",
        f"python -m benchmarks.rivers_scale --count {args.count} --pieces {args.pieces}",
        "\n".join(lines),
    )


if __name__ == "__main__":
    main()
