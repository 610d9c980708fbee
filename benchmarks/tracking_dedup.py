"""Dedup benchmark: yearly unique-dredge counts from degraded truth, against the truth.

The truth's visible appearances are degraded the way a detector would: 15 % dropped, positions
jittered by 8 m (normal, per axis), and 10 % false detections added at random places on the
rivers. The tracker links them (with the scenes' clear observed areas, and without), and the
yearly counts are compared with the true counts on every river-year; the issue asks for
counts within 5 % on every river-year with at least 10 dredges. Identity metrics (IDF1) come
along.

Worlds: the simulated world of :mod:`benchmarks.track_sim` (a usable scene every ~5 days, like
PlanetScope's near-daily revisit after clouds), and, when given with ``--world DIR``, a world
written by ``dredge synth`` (scenes, UDM2 masks, rivers.geojson and truth/).

    .venv/bin/python -m benchmarks.tracking_dedup [--world DIR] [--seed 1]

Writes ``benchmarks/results/tracking_dedup.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.track_sim import SimConfig, simulate, to_lon_lat
from detector.counts import yearly_counts
from detector.observed import observed_areas, river_observations, scene_files
from detector.rivers import RiverNetwork
from detector.tracking import TrackParams, link_tracks
from training.track_eval import count_errors, identity_scores, markdown_table, truth_counts

RESULTS = Path(__file__).parent / "results"
DROP, JITTER_M, FALSE_RATE, MIN_DREDGES, TOLERANCE = 0.15, 8.0, 0.10, 10, 0.05


def degrade_positions(
    truth: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Visible appearances less ``DROP``, with jitter ``(dx, dy)`` in metres to apply."""
    visible = truth[truth["visible"].astype(bool)]
    kept = visible[rng.random(len(visible)) >= DROP].reset_index(drop=True)
    dx, dy = rng.normal(0, JITTER_M, (2, len(kept)))
    return kept, dx, dy


def detections_table(
    rows: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, score: np.ndarray
) -> gpd.GeoDataFrame:
    """A detections table (the ``dredge detect`` schema) around the given centres."""
    half = 10.0 / 111_320.0
    boxes = shapely.box(lon - half, lat - half / 2, lon + half, lat + half / 2)
    frame = pd.DataFrame(
        {
            "detection_id": np.arange(1, len(rows) + 1),
            "scene": rows["scene"].to_numpy(),
            "acquired": pd.to_datetime(rows["acquired"], utc=True).to_numpy(),
            "sensor": "PlanetScope",
            "class_name": "dredge",
            "score": score,
            "river": rows["river"].to_numpy(),
            "chainage_m": rows["chainage_m"].to_numpy(float),
            "offset_m": rows["offset_m"].to_numpy(float),
        }
    )
    frame["acquired"] = pd.to_datetime(frame["acquired"], utc=True)
    return gpd.GeoDataFrame(frame, geometry=boxes, crs="EPSG:4326")


def simulated_case(
    seed: int,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Truth, degraded detections, observed areas and river observations of the simulation."""
    world = simulate(SimConfig(seed=seed))
    rng = np.random.default_rng(seed + 100)
    kept, dx, dy = degrade_positions(world.truth, rng)
    kept["chainage_m"] = kept["chainage_m"] - dx  # chainage grows westward, lon eastward
    kept["offset_m"] = kept["offset_m"] + dy
    n_false = round(FALSE_RATE * len(kept))
    scenes = world.truth.drop_duplicates("scene")[["scene", "acquired", "river"]]
    fake = scenes.sample(n_false, replace=True, random_state=seed).reset_index(drop=True)
    fake["chainage_m"] = rng.uniform(0, world.config.river_length_m, n_false)
    fake["offset_m"] = rng.uniform(-1, 1, n_false) * (world.config.width_m / 2 - 10)
    rows = pd.concat([kept, fake], ignore_index=True)
    river_index = rows["river"].str.slice(1).astype(int).to_numpy()
    lon, lat = to_lon_lat(river_index, rows["chainage_m"].to_numpy(), rows["offset_m"].to_numpy())
    score = np.concatenate([rng.uniform(0.5, 0.95, len(kept)), rng.uniform(0.3, 0.7, n_false)])
    detections = detections_table(rows, lon, lat, score)
    obs = world.truth.drop_duplicates("scene")[["river", "acquired"]]
    observations = pd.DataFrame(
        {"river": obs["river"], "date": pd.to_datetime(obs["acquired"], utc=True).dt.date}
    ).drop_duplicates()
    return world.truth, detections, world.observed, observations


def synth_case(
    world: Path, seed: int
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """The same for a ``dredge synth`` world (rivers located with :class:`RiverNetwork`)."""
    truth = pd.read_csv(world / "truth" / "dredges.csv")
    network = RiverNetwork.read(world / "rivers.geojson")
    rng = np.random.default_rng(seed + 100)
    kept, dx, dy = degrade_positions(truth, rng)
    parts = []
    for crs, group in kept.groupby("crs"):
        pts = gpd.GeoSeries(
            shapely.points(group["x"] + dx[group.index], group["y"] + dy[group.index]), crs=crs
        )
        parts.append(pts.to_crs("EPSG:4326").set_axis(group.index))
    centres = pd.concat(parts).sort_index()
    n_false = round(FALSE_RATE * len(kept))
    scenes = truth.drop_duplicates("scene")[["scene", "acquired", "river"]]
    fake = scenes.sample(n_false, replace=True, random_state=seed).reset_index(drop=True)
    fake_points = [_random_point_on(network, river, rng) for river in fake["river"]]
    rows = pd.concat([kept, fake], ignore_index=True)
    points = gpd.GeoSeries(list(centres) + fake_points, crs="EPSG:4326")
    located = network.locate(points)
    rows["river"] = located["river"].to_numpy()
    rows["chainage_m"] = located["chainage_m"].to_numpy()
    rows["offset_m"] = located["offset_m"].to_numpy()
    score = np.concatenate([rng.uniform(0.5, 0.95, len(kept)), rng.uniform(0.3, 0.7, n_false)])
    detections = detections_table(rows, points.x.to_numpy(), points.y.to_numpy(), score)
    observed = observed_areas(scene_files([world / "scenes"]))
    observations = river_observations(observed, network.corridor("EPSG:4326"))
    return truth, detections, observed, observations


def _random_point_on(network: RiverNetwork, name: str, rng: np.random.Generator) -> shapely.Point:
    """A random point on the water of a river: along its line, within ±40 m of it."""
    river = network.rivers[name]
    along = rng.uniform(0, river.length_m)
    a = shapely.line_interpolate_point(river.line, along)
    b = shapely.line_interpolate_point(river.line, min(along + 1.0, river.length_m))
    tx, ty = b.x - a.x, b.y - a.y
    norm = float(np.hypot(tx, ty)) or 1.0
    offset = rng.uniform(-40, 40)
    point = shapely.Point(a.x - ty / norm * offset, a.y + tx / norm * offset)
    return gpd.GeoSeries([point], crs=river.crs).to_crs("EPSG:4326").iloc[0]


def run_case(
    name: str,
    truth: pd.DataFrame,
    detections: gpd.GeoDataFrame,
    observed: gpd.GeoDataFrame,
    observations: pd.DataFrame,
    true_counts: pd.DataFrame,
) -> tuple[list[str], pd.DataFrame]:
    """Track with and without observed areas; return summary lines and the error table."""
    lines: list[str] = []
    years = sorted(true_counts["year"].unique())
    rivers = sorted(true_counts["river"].unique())
    tables = {}
    runs = (
        ("observed areas", observed, TrackParams()),
        ("observed areas, min_dates=1", observed, TrackParams(min_dates=1)),
        ("no observed areas", None, TrackParams()),
    )
    for label, seen, params in runs:
        start = time.perf_counter()
        linked, tracks = link_tracks(detections, seen, params=params)
        elapsed = time.perf_counter() - start
        counts = yearly_counts(
            tracks, linked, observations=observations, years=years, rivers=rivers
        )
        errors = count_errors(counts, true_counts, tolerance=TOLERANCE)
        ids = identity_scores(truth, _with_lon_lat(linked))
        big = errors[errors["true_unique"] >= MIN_DREDGES]
        lines.append(
            f"| {name} | {label} | {len(detections):,} | {len(tracks):,} | "
            f"{int(tracks['counted'].sum()):,} | {ids.idf1:.3f} | {ids.idp:.3f} | {ids.idr:.3f} | "
            f"{int(big['within_tolerance'].sum())}/{len(big)} | "
            f"{errors['error'].abs().mean():.2f} | {int(errors['within_range'].sum())}/"
            f"{len(errors)} | {elapsed:.2f} |"
        )
        tables[label] = errors
    return lines, tables["observed areas"]


def _with_lon_lat(linked: gpd.GeoDataFrame) -> pd.DataFrame:
    centres = linked.geometry.to_crs(linked.estimate_utm_crs()).centroid.to_crs("EPSG:4326")
    return pd.DataFrame(
        {
            "track_id": linked["track_id"],
            "scene": linked["scene"],
            "lon": centres.x,
            "lat": centres.y,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", type=Path, help="a folder written by `dredge synth`")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    header = [
        "| world | tracking | detections | tracks | counted | IDF1 | IDP | IDR | "
        f"river-years ≥{MIN_DREDGES} within 5 % | mean abs error | truth in low–high | "
        "tracking s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    summary, detail = list(header), []
    truth, dets, observed, observations = simulated_case(args.seed)
    years = range(int(truth["acquired"].str.slice(0, 4).astype(int).min()),
                  int(truth["acquired"].str.slice(0, 4).astype(int).max()) + 1)  # fmt: skip
    true_counts = truth_counts(truth, sorted(truth["river"].unique()), years)
    lines, errors = run_case("simulated", truth, dets, observed, observations, true_counts)
    summary += lines
    detail.append(("simulated (observed areas, default parameters)", errors))
    if args.world is not None:
        truth, dets, observed, observations = synth_case(args.world, args.seed)
        true_counts = pd.read_csv(args.world / "truth" / "counts.csv")
        lines, errors = run_case(
            f"synth {args.world.name}", truth, dets, observed, observations, true_counts
        )
        summary += lines
        detail.append((f"synth {args.world.name} (observed areas, default parameters)", errors))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "tracking_dedup.md"
    text = [
        "# Tracking dedup benchmark",
        "",
        f"Truth's visible appearances with {DROP:.0%} dropped, {JITTER_M:g} m jitter (normal, "
        f"per axis) and {FALSE_RATE:.0%} false detections; default `TrackParams`; seed "
        f"{args.seed}. Command: `.venv/bin/python -m benchmarks.tracking_dedup"
        + (f" --world {args.world}" if args.world else "")
        + "`.",
        "",
        *summary,
        "",
    ]
    for title, errors in detail:
        text += [f"## Per river-year: {title}", "", markdown_table(errors), ""]
    out.write_text("\n".join(text))
    print("\n".join(summary))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
