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

    .venv/bin/python -m benchmarks.tracking_dedup [--world DIR] [--seed 1 2]

For the simulated world a reference row gives the ceiling of any tracker that sees only
positions: the truth's own identities, except that a dredge that left the river for more than
``ABSENCE_DAYS`` and came back (anywhere on it, months later) counts again — nothing in a
position tells it from a new dredge.

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
from training.track_eval import (
    count_errors,
    identity_scores,
    markdown_table,
    split_at_absences,
    truth_counts,
)

RESULTS = Path(__file__).parent / "results"
DROP, JITTER_M, FALSE_RATE, MIN_DREDGES, TOLERANCE = 0.15, 8.0, 0.10, 10, 0.05
ABSENCE_DAYS = 45.0
NOTES = [
    "Reading the table:",
    "",
    "- The ceiling rows link every dredge perfectly while it is on the river. They still miss "
    "the 5 % target on most river-years: 30 % of groups leave the river and come back 60–240 "
    "days later anywhere on it, and these detections carry only positions (every box is "
    "20 × 10 m), so a return cannot be told from a new group. The target needs an identity "
    "cue (hull size from oriented boxes, appearance) that these inputs do not have.",
    "- The synthetic world has about six scenes per river-year, some 60 days apart, while "
    "groups move every 14–75 days: most moorings are seen on one date. With `min_dates=2` "
    "real dredges seen once are dropped (undercount); with `min_dates=1` false detections "
    "count. On 16–17 dredges, 5 % means an exact count.",
]


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


def ceiling_line(name: str, truth: pd.DataFrame, true_counts: pd.DataFrame) -> str:
    """The summary row of :func:`training.track_eval.split_at_absences` (perfect linking while
    a dredge is on the river; a return after an absence counts again)."""
    split = split_at_absences(truth, absence_days=ABSENCE_DAYS)
    years = range(int(true_counts["year"].min()), int(true_counts["year"].max()) + 1)
    counts = truth_counts(split, sorted(true_counts["river"].unique()), years)
    errors = count_errors(counts, true_counts, tolerance=TOLERANCE)
    visible = split[split["visible"].astype(bool)]
    tracks = visible["dredge_id"].nunique()
    predicted = visible.assign(track_id=pd.factorize(visible["dredge_id"])[0] + 1)
    ids = identity_scores(truth, predicted)
    big = errors[errors["true_unique"] >= MIN_DREDGES]
    return (
        f"| {name} | truth identities, returns after >{ABSENCE_DAYS:g} d off the river "
        f"not linked (ceiling) | {len(visible):,} | {tracks:,} | {tracks:,} | {ids.idf1:.3f} | "
        f"{ids.idp:.3f} | {ids.idr:.3f} | {int(big['within_tolerance'].sum())}/{len(big)} | "
        f"{errors['error'].abs().mean():.2f} | — | — |"
    )


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
    parser.add_argument("--seed", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    header = [
        "| world | tracking | detections | tracks | counted | IDF1 | IDP | IDR | "
        f"river-years ≥{MIN_DREDGES} within 5 % | mean abs error | truth in low–high | "
        "tracking s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    summary, detail = list(header), []
    for seed in args.seed:
        truth, dets, observed, observations = simulated_case(seed)
        stamps = truth["acquired"].str.slice(0, 4).astype(int)
        years = range(int(stamps.min()), int(stamps.max()) + 1)
        true_counts = truth_counts(truth, sorted(truth["river"].unique()), years)
        name = f"simulated, seed {seed}"
        lines, errors = run_case(name, truth, dets, observed, observations, true_counts)
        summary += [*lines, ceiling_line(name, truth, true_counts)]
        detail.append((f"{name} (observed areas, default parameters)", errors))
    if args.world is not None:
        truth, dets, observed, observations = synth_case(args.world, args.seed[0])
        true_counts = pd.read_csv(args.world / "truth" / "counts.csv")
        name = f"synth {args.world.name}, seed {args.seed[0]}"
        lines, errors = run_case(name, truth, dets, observed, observations, true_counts)
        summary += lines
        detail.append((f"{name} (observed areas, default parameters)", errors))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "tracking_dedup.md"
    text = [
        "# Tracking dedup benchmark",
        "",
        f"Truth's visible appearances with {DROP:.0%} dropped, {JITTER_M:g} m jitter (normal, "
        f"per axis) and {FALSE_RATE:.0%} false detections (the seed draws the simulated world "
        "and the degradation); default `TrackParams`. Command: `.venv/bin/python -m "
        "benchmarks.tracking_dedup"
        + (f" --world {args.world}" if args.world else "")
        + f" --seed {' '.join(map(str, args.seed))}`.",
        "",
        *summary,
        "",
        *NOTES,
        "",
    ]
    for title, errors in detail:
        text += [f"## Per river-year: {title}", "", markdown_table(errors), ""]
    out.write_text("\n".join(text))
    print("\n".join(summary))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
