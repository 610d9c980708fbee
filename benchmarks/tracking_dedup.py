"""Dedup benchmark: yearly unique-dredge counts from degraded truth, against the truth.

The truth's visible appearances are degraded the way a detector would: 15 % dropped, positions
jittered by 8 m (normal, per axis), and 10 % false detections added (10 % of those kept) at
random places on the rivers' water that a scene saw clearly, on that scene's date. The tracker
links them (with the scenes' clear observed areas, and without), and the yearly counts are
compared with the true counts on every river-year; the issue asks for counts within 5 % on
every river-year with at least 10 dredges. Identity metrics come along: IDF1 pairing
detections with dredges by position, and ``IDF1 by label`` by the true dredge each detection
was drawn from.

Worlds: the simulated world of :mod:`benchmarks.track_sim` (a usable scene every ~5 days, like
PlanetScope's near-daily revisit after clouds), and, when given with ``--world DIR``, a world
written by ``dredge synth`` (scenes, UDM2 masks, rivers.geojson and truth/).

    .venv/bin/python -m benchmarks.tracking_dedup [--world DIR] [--seed 1 2]

For the simulated world three reference rows separate the two ambiguities of linking by
position alone. (1) The truth's own identities, except that a dredge that left the river for
more than ``ABSENCE_DAYS`` and came back (anywhere on it, months later) counts again: what
returns cost a tracker that is perfect otherwise. (2) The tracker fed the truth's visible
appearances unchanged (nothing dropped, no jitter, no false detections). (3) The same in a
world drawn with no returns (``return_share`` 0), where what is left is a group that left for
good taken for one that moved: the ``false moves`` column counts those links.

Writes ``benchmarks/results/tracking_dedup.md``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.report import write_markdown
from benchmarks.track_sim import SimConfig, SimWorld, river_name, simulate, to_lon_lat
from detector.counts import yearly_counts
from detector.observed import observed_areas, river_observations, scene_key
from detector.rivers import RiverNetwork
from detector.scene_sources import resolve_scenes
from detector.tracking import TrackParams, link_tracks
from training.track_eval import (
    count_errors,
    false_moves,
    identity_scores,
    identity_scores_from_labels,
    markdown_table,
    split_at_absences,
    truth_counts,
)

DROP, JITTER_M, FALSE_RATE, MIN_DREDGES, TOLERANCE = 0.15, 8.0, 0.10, 10, 0.05
ABSENCE_DAYS = 45.0
EMPTY = shapely.Polygon()
NOTES = [
    "Reading the table:",
    "",
    "- `net error` is counted minus true over all river-years; `moves` counts the move links "
    "(a detection linked to another mooring) in counted tracks, `false moves` the links in "
    "counted tracks that join a dredge's last detection to another dredge's first detection "
    "in the same year, false detections between them skipped (a group that left for good "
    "taken for one that moved: one dredge too few that year).",
    "- `IDF1`, `IDP` and `IDR` pair a detection with a true dredge by position (same scene, "
    "at most 30 m apart), as on a world where only positions are known; most dredges here "
    "have a neighbour within 30 m (side by side in a group), so a track that hops between "
    "the members of a group is still credited. `IDF1 by label` uses the true dredge each "
    "detection was drawn from (false detections have none): the exact score, lower where "
    "tracks hop within groups.",
    "- The rows `truth identities, returns … not linked` link every dredge perfectly while it "
    "is on the river and count a return as a new dredge: 30 % of groups leave the river and "
    "come back 60–240 days later anywhere on it, and these detections carry only positions "
    "(every box is 20 × 10 m), so a return cannot be told from a new group. Returns alone "
    "overcount (net error positive) and miss the 5 % target on most river-years.",
    "- The rows `perfect detections` feed the tracker the truth's visible appearances "
    "unchanged. In the worlds without returns it undercounts, by about as many dredges as it"
    " makes false moves: groups arrive and leave for good at random places and times, and "
    "one that arrives within a few kilometres of one that just left, in the same weeks, is "
    "where and when a move would have put it. Where groups also return, the two errors "
    "partly cancel (net error near zero) but not river-year by river-year, so even perfect "
    "detections miss the 5 % target on a third or more of the river-years. Both ambiguities "
    "need an identity cue (hull size from oriented boxes, appearance) that positions do not "
    "carry.",
    "- The synthetic world has about six scenes per river-year, some 60 days apart, while "
    "groups move every 14–75 days: most moorings are seen on one date. With `min_dates=2` "
    "real dredges seen once are dropped (undercount); with `min_dates=1` false detections "
    "count. On 16–17 dredges, 5 % means an exact count.",
]


@dataclass(frozen=True)
class Degradation:
    """What a detector does to the truth: appearances dropped, jitter, false detections."""

    drop: float = DROP
    jitter_m: float = JITTER_M
    false_rate: float = FALSE_RATE


PERFECT = Degradation(drop=0.0, jitter_m=0.0, false_rate=0.0)


@dataclass
class Case:
    """Truth, degraded detections (``labels``: the true dredge of each, ``None`` if false),
    the scenes' observed areas and the dates each river was observed."""

    truth: pd.DataFrame
    detections: gpd.GeoDataFrame
    labels: pd.Series
    observed: gpd.GeoDataFrame
    observations: pd.DataFrame


def degrade_positions(
    truth: pd.DataFrame, rng: np.random.Generator, degradation: Degradation
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Visible appearances less the dropped ones, with jitter ``(dx, dy)`` in metres to apply."""
    visible = truth[truth["visible"].astype(bool)]
    kept = visible[rng.random(len(visible)) >= degradation.drop].reset_index(drop=True)
    dx, dy = rng.normal(0, 1, (2, len(kept))) * degradation.jitter_m
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
    degradation: Degradation = Degradation(),
    *,
    return_share: float = 0.3,
    revisit_days: float = SimConfig.revisit_days,
    config: SimConfig | None = None,
) -> Case:
    """The simulated world of ``seed`` (a usable scene of each river every ``revisit_days``;
    ``config``, when given, draws another size of world) and its degraded detections."""
    config = replace(
        config or SimConfig(), seed=seed, return_share=return_share, revisit_days=revisit_days
    )
    world = simulate(config)
    rng = np.random.default_rng(seed + 100)
    kept, dx, dy = degrade_positions(world.truth, rng, degradation)
    kept["chainage_m"] = kept["chainage_m"] - dx  # chainage grows westward, lon eastward
    kept["offset_m"] = kept["offset_m"] + dy
    n_false = round(degradation.false_rate * len(kept))
    fake = false_rows(world, n_false, rng)
    rows = pd.concat([kept, fake], ignore_index=True)
    river_index = rows["river"].str.slice(1).astype(int).to_numpy()
    lon, lat = to_lon_lat(river_index, rows["chainage_m"].to_numpy(), rows["offset_m"].to_numpy())
    score = np.concatenate([rng.uniform(0.5, 0.95, len(kept)), rng.uniform(0.3, 0.7, len(fake))])
    detections = detections_table(rows, lon, lat, score)
    obs = world.truth.drop_duplicates("scene")[["river", "acquired"]]
    observations = pd.DataFrame(
        {"river": obs["river"], "date": pd.to_datetime(obs["acquired"], utc=True).dt.date}
    ).drop_duplicates()
    return Case(world.truth, detections, rows["dredge_id"], world.observed, observations)


def false_rows(world: SimWorld, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` false detections where a detector makes them: on a river's water, inside the clear
    observed area of one of its scenes, dated on that scene (``scene, acquired, river,
    chainage_m, offset_m``). Spread evenly over the water the scenes saw, scenes with no dredge
    included: scenes and places are drawn at random and kept when the scene saw the place
    (fewer, or none, where the scenes saw little or no water)."""
    observed = world.observed[~world.observed.geometry.is_empty].reset_index(drop=True)
    n = n if len(observed) else 0
    river = observed["scene"].str.split("_").str[3].astype(int).to_numpy()  # …_NN_RRRR_3B_…
    areas = observed.geometry.to_numpy()
    room, length = world.config.width_m / 2 - 10, world.config.river_length_m
    picks, along, across = [np.zeros(0, np.int64)], [np.zeros(0)], [np.zeros(0)]
    for _ in range(1000):  # a bound: where the scenes saw no water, none (it drew forever)
        if sum(map(len, picks)) >= n:
            break
        size = 2 * n
        pick = rng.integers(0, len(observed), size)
        s, o = rng.uniform(0, length, size), rng.uniform(-room, room, size)
        lon, lat = to_lon_lat(river[pick], s, o)
        seen = shapely.contains_xy(areas[pick], lon, lat)
        picks.append(pick[seen])
        along.append(s[seen])
        across.append(o[seen])
    pick = np.concatenate(picks)[:n]
    return pd.DataFrame(
        {
            "scene": observed["scene"].to_numpy()[pick],
            "acquired": observed["acquired"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy()[pick],
            "river": [river_name(r) for r in river[pick]],
            "chainage_m": np.concatenate(along)[:n],
            "offset_m": np.concatenate(across)[:n],
        }
    )


def synth_case(world: Path, seed: int, degradation: Degradation = Degradation()) -> Case:
    """The same for a ``dredge synth`` world (rivers located with :class:`RiverNetwork`)."""
    truth = pd.read_csv(world / "truth" / "dredges.csv")
    network = RiverNetwork.read(world / "rivers.geojson")
    rng = np.random.default_rng(seed + 100)
    kept, dx, dy = degrade_positions(truth, rng, degradation)
    parts = []
    for crs, group in kept.groupby("crs"):
        pts = gpd.GeoSeries(
            shapely.points(group["x"] + dx[group.index], group["y"] + dy[group.index]), crs=crs
        )
        parts.append(pts.to_crs("EPSG:4326").set_axis(group.index))
    centres = pd.concat(parts).sort_index()
    n_false = round(degradation.false_rate * len(kept))
    observed = observed_areas(resolve_scenes([world / "scenes"]).paths)
    scenes = pd.read_csv(world / "truth" / "scenes.csv")[["scene", "acquired", "river"]]
    fake, fake_points = _false_points(network, observed, scenes, n_false, rng)
    rows = pd.concat([kept, fake], ignore_index=True)
    points = gpd.GeoSeries(list(centres) + fake_points, crs="EPSG:4326")
    located = network.locate(points)
    rows["river"] = located["river"].to_numpy()
    rows["chainage_m"] = located["chainage_m"].to_numpy()
    rows["offset_m"] = located["offset_m"].to_numpy()
    score = np.concatenate([rng.uniform(0.5, 0.95, len(kept)), rng.uniform(0.3, 0.7, len(fake))])
    detections = detections_table(rows, points.x.to_numpy(), points.y.to_numpy(), score)
    observations = river_observations(observed, network.corridor("EPSG:4326"))
    return Case(truth, detections, rows["dredge_id"], observed, observations)


def _false_points(
    network: RiverNetwork,
    observed: gpd.GeoDataFrame,
    scenes: pd.DataFrame,
    n: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, list[shapely.Point]]:
    """``n`` false detections of :func:`false_rows` in a ``dredge synth`` world: a scene (of
    ``scenes``: ``scene, acquired, river``) and a point on its river's water inside the scene's
    clear observed area, drawn until ``n`` are kept (none where no scene saw any water)."""
    areas = dict(zip(observed["scene"].map(scene_key), observed.geometry, strict=True))
    clear = scenes["scene"].map(lambda name: not areas.get(scene_key(name), EMPTY).is_empty)
    scenes = scenes[clear.astype(bool)].reset_index(drop=True)
    picked: list[int] = []
    points: list[shapely.Point] = []
    tries = 0
    while len(points) < n and len(scenes) and tries < 1000 * n:
        tries += 1
        k = int(rng.integers(0, len(scenes)))
        point = _random_point_on(network, str(scenes["river"].iloc[k]), rng)
        if areas[scene_key(scenes["scene"].iloc[k])].contains(point):
            picked.append(k)
            points.append(point)
    return scenes.iloc[picked].reset_index(drop=True), points


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


DEFAULT_RUNS = (
    ("observed areas", True, TrackParams()),
    ("observed areas, min_dates=1", True, TrackParams(min_dates=1)),
    ("no observed areas", False, TrackParams()),
)


def run_case(
    name: str,
    case: Case,
    true_counts: pd.DataFrame,
    runs: tuple[tuple[str, bool, TrackParams], ...] = DEFAULT_RUNS,
) -> tuple[list[str], pd.DataFrame]:
    """Track once per run (label, with observed areas?, parameters); return summary lines and
    the error table of the first run."""
    lines: list[str] = []
    years = sorted(true_counts["year"].unique())
    rivers = sorted(true_counts["river"].unique())
    tables = []
    for label, use_observed, params in runs:
        start = time.perf_counter()
        seen = case.observed if use_observed else None
        linked, tracks = link_tracks(case.detections, seen, params=params)
        elapsed = time.perf_counter() - start
        counts = yearly_counts(
            tracks, linked, observations=case.observations, years=years, rivers=rivers
        )
        errors = count_errors(counts, true_counts, tolerance=TOLERANCE)
        ids = identity_scores(case.truth, _with_lon_lat(linked))
        exact = identity_scores_from_labels(
            pd.Series(case.labels.to_numpy()[linked["detection_id"].to_numpy() - 1]),
            linked["track_id"],
            int(case.truth["visible"].astype(bool).sum()),
            scenes=linked["scene"],
        )
        big = errors[errors["true_unique"] >= MIN_DREDGES]
        counted = _counted_with_labels(linked, tracks, case.labels)
        moves = int(counted["link"].isin(["move", "move?"]).sum())
        acquired = case.detections["acquired"].to_numpy()
        given = pd.DataFrame({"dredge_id": case.labels.to_numpy(), "acquired": acquired})
        joined = false_moves(counted, given)  # as the tracker saw them: the detections
        lines.append(
            f"| {name} | {label} | {len(case.detections):,} | {len(tracks):,} | "
            f"{int(tracks['counted'].sum()):,} | {ids.idf1:.3f} | {ids.idp:.3f} | {ids.idr:.3f} | "
            f"{exact.idf1:.3f} | {int(big['within_tolerance'].sum())}/{len(big)} | "
            f"{errors['error'].abs().mean():.2f} | {int(errors['error'].sum()):+d} | {moves:,} | "
            f"{joined} | "
            f"{int(errors['within_range'].sum())}/{len(errors)} | {elapsed:.2f} |"
        )
        tables.append(errors)
    return lines, tables[0]


def _counted_with_labels(
    linked: pd.DataFrame, tracks: pd.DataFrame, labels: pd.Series
) -> pd.DataFrame:
    """The detections of counted tracks (track, date, link), each with the true dredge it
    came from."""
    counted = tracks.loc[tracks["counted"].astype(bool), "track_id"]
    kept = linked[linked["track_id"].isin(counted)]
    dredge = labels.to_numpy()[kept["detection_id"].to_numpy() - 1]
    columns = {"track_id": kept["track_id"], "acquired": kept["acquired"], "link": kept["link"]}
    return pd.DataFrame({**columns, "dredge_id": dredge})


def returns_reference_line(name: str, truth: pd.DataFrame, true_counts: pd.DataFrame) -> str:
    """The summary row of :func:`training.track_eval.split_at_absences` (perfect linking while
    a dredge is on the river; a return after an absence counts again)."""
    split = split_at_absences(truth, absence_days=ABSENCE_DAYS)
    years = range(int(true_counts["year"].min()), int(true_counts["year"].max()) + 1)
    counts = truth_counts(split, sorted(true_counts["river"].unique()), years)
    errors = count_errors(counts, true_counts, tolerance=TOLERANCE)
    shown = split["visible"].astype(bool).to_numpy()
    visible = split[shown]
    tracks = visible["dredge_id"].nunique()
    predicted = visible.assign(track_id=pd.factorize(visible["dredge_id"])[0] + 1)
    ids = identity_scores(truth, predicted)
    exact = identity_scores_from_labels(
        pd.Series(truth["dredge_id"].to_numpy()[shown]),  # the true dredges, not the split
        predicted["track_id"],
        int(truth["visible"].astype(bool).sum()),
        scenes=visible["scene"],
    )
    big = errors[errors["true_unique"] >= MIN_DREDGES]
    return (
        f"| {name} | truth identities, returns after >{ABSENCE_DAYS:g} d off the river "
        f"not linked | {len(visible):,} | {tracks:,} | {tracks:,} | {ids.idf1:.3f} | "
        f"{ids.idp:.3f} | {ids.idr:.3f} | {exact.idf1:.3f} | "
        f"{int(big['within_tolerance'].sum())}/{len(big)} | "
        f"{errors['error'].abs().mean():.2f} | {int(errors['error'].sum()):+d} | — | — | — | — |"
    )


def _true_counts(truth: pd.DataFrame) -> pd.DataFrame:
    stamps = truth["acquired"].str.slice(0, 4).astype(int)
    years = range(int(stamps.min()), int(stamps.max()) + 1)
    return truth_counts(truth, sorted(truth["river"].unique()), years)


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
        "| world | tracking | detections | tracks | counted | IDF1 | IDP | IDR | IDF1 by label | "
        f"river-years ≥{MIN_DREDGES} within 5 % | mean abs error | net error | moves | "
        "false moves | truth in low–high | tracking s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    perfect_run = (("perfect detections, observed areas", True, TrackParams()),)
    summary, detail = list(header), []
    for seed in args.seed:
        for return_share, world_name in (
            (0.3, f"simulated, seed {seed}"),
            (0.0, f"simulated, seed {seed}, no returns"),
        ):
            case = simulated_case(seed, return_share=return_share)
            true_counts = _true_counts(case.truth)
            lines, errors = run_case(
                world_name, case, true_counts, DEFAULT_RUNS if return_share else DEFAULT_RUNS[:1]
            )
            if return_share:
                lines.append(returns_reference_line(world_name, case.truth, true_counts))
                detail.append((f"{world_name} (observed areas, default parameters)", errors))
            perfect = simulated_case(seed, PERFECT, return_share=return_share)
            lines += run_case(world_name, perfect, true_counts, perfect_run)[0]
            summary += lines
    if args.world is not None:
        case = synth_case(args.world, args.seed[0])
        true_counts = pd.read_csv(args.world / "truth" / "counts.csv")
        name = f"synth {args.world.name}, seed {args.seed[0]}"
        lines, errors = run_case(name, case, true_counts)
        summary += lines
        detail.append((f"{name} (observed areas, default parameters)", errors))
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
    write_markdown("tracking_dedup", "\n".join(text))


if __name__ == "__main__":
    main()
