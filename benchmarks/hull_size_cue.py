"""Is a detection's box size an identity cue? Box sizes of the same dredge against different ones.

The tracker links detections by position alone (see ``tracking_dedup.md``): a group that
leaves for good while another arrives nearby, or a group that comes back months later, cannot
be told apart by where it is. A hull's size could tell them apart if the detector's boxes
measured it well enough. This benchmark measures that on the runs that
:mod:`benchmarks.count_accuracy` keeps (``--worlds DIR``: ``DIR/seed-N`` is the world,
``DIR/run-N`` what ``dredge run`` wrote):

- each dredge box is matched one-to-one to a visible true dredge of its scene within 15 m;
- its size is the hull's length plus width estimated from the box: an axis-aligned box around
  a hull of length L and width W at heading h is ``L|cos h| + W|sin h|`` wide and
  ``L|sin h| + W|cos h|`` high, so ``(width + height) / (|cos h| + |sin h|) = L + W``. The
  true heading is used, which a tracker would not have (it has the river's direction), so
  the figures are the best case for the cue;
- pairs of the same dredge (consecutive detections of one dredge: the links a tracker must
  keep) are compared with pairs of different dredges of the same river less than 120 days
  apart (the links it should refuse), for a range of vetoes "refuse a link when the two
  sizes differ by more than T metres";
- what a veto costs against what it mends is weighed at the lowest and the highest share of
  false links measured: the false moves among the move links of counted tracks in the rows
  ``observed areas`` of ``tracking_dedup.md`` (:func:`false_move_shares`).

    .venv/bin/python -m benchmarks.hull_size_cue --worlds /tmp/nw --seeds 2 4 5 6

Writes ``benchmarks/results/hull_size_cue.md``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from benchmarks.report import write_markdown
from training.track_eval import markdown_table

MATCH_M = 15.0
PAIR_DAYS = 120.0
VETOES_M = (2.0, 4.0, 6.0, 8.0, 12.0)
RESULTS = Path(__file__).parent / "results"
DEDUP_RESULTS = RESULTS / "tracking_dedup.md"
DEDUP_ROWS = "observed areas"  # the default tracker on degraded truth


def false_move_shares(path: Path = DEDUP_RESULTS) -> pd.DataFrame:
    """The false moves among the move links of counted tracks, per row ``observed areas`` of
    the tracking dedup results (``world``, ``moves``, ``false moves``, ``share``). Exits with
    one line when the file has no such row."""
    lines = path.read_text().splitlines() if path.exists() else []
    start = next((i for i, line in enumerate(lines) if line.startswith("| world |")), None)
    rows = []
    if start is not None:
        header = [cell.strip() for cell in lines[start].strip().strip("|").split("|")]
        for line in lines[start + 2 :]:
            if not line.startswith("|"):
                break
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    table = pd.DataFrame(rows, columns=header if rows else ["tracking"])
    table = table[table["tracking"] == DEDUP_ROWS]
    if table.empty:
        raise SystemExit(
            f"{path}: no row '{DEDUP_ROWS}' with moves and false moves; make it with "
            "`python -m benchmarks.tracking_dedup`"
        )
    moves = table["moves"].str.replace(",", "").astype(int).to_numpy()
    false = table["false moves"].str.replace(",", "").astype(int).to_numpy()
    return pd.DataFrame(
        {"world": table["world"].to_numpy(), "moves": moves, "false moves": false}
    ).assign(share=false / moves)


def share_range(shares: pd.DataFrame) -> tuple[float, float]:
    """The lowest and the highest share of false moves of :func:`false_move_shares`."""
    return float(shares["share"].min()), float(shares["share"].max())


def shares_text(shares: pd.DataFrame) -> str:
    """Where the shares come from, for the results' text: each row's false moves and moves."""
    low, high = share_range(shares)
    rows = "; ".join(
        f"{world}: {false:,} of {moves:,}"
        for world, false, moves in zip(
            shares["world"], shares["false moves"], shares["moves"], strict=True
        )
    )
    return (
        f"the share of false moves among the move links of counted tracks in the rows "
        f"`{DEDUP_ROWS}` of the degraded-truth benchmark (`tracking_dedup.md`), from "
        f"{low:.1%} to {high:.1%} ({rows})"
    )


def broken_per_fixed_column(share: float) -> str:
    """The name of the column of real links broken per false link refused at ``share``."""
    return f"real links broken per false link refused ({share:.1%} false)"


def matched_boxes(world: Path, boxes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``boxes`` (dredge detections) matched one-to-one to the visible true dredges of their
    scene within ``MATCH_M``: the box (its geometry, scene and score) with the true dredge's
    id, river, time, hull size, heading and CRS."""
    truth = pd.read_csv(world / "truth" / "dredges.csv")
    truth = truth[truth["visible"].astype(bool)]
    parts = []
    for (scene, crs), here in truth.groupby(["scene", "crs"]):
        found = boxes[boxes["scene"] == scene]
        if found.empty:
            continue
        centre = found.to_crs(crs).geometry.centroid
        dist = np.hypot(
            here["x"].to_numpy()[:, None] - centre.x.to_numpy()[None, :],
            here["y"].to_numpy()[:, None] - centre.y.to_numpy()[None, :],
        )
        ti, bi = linear_sum_assignment(np.where(dist <= MATCH_M, dist, 1e6))
        keep = dist[ti, bi] <= MATCH_M
        ti, bi = ti[keep], bi[keep]
        true_rows = here.iloc[ti]
        columns = ["dredge_id", "river", "length_m", "width_m", "heading_deg", "crs"]
        part = true_rows[columns].reset_index(drop=True)
        part["acquired"] = pd.to_datetime(true_rows["acquired"], utc=True).reset_index(drop=True)
        part["scene"] = scene
        part["score"] = found["score"].to_numpy()[bi]
        part["geometry"] = found.geometry.to_numpy()[bi]
        parts.append(part)
    if not parts:
        return gpd.GeoDataFrame(geometry=[], crs=boxes.crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=boxes.crs)


def matched_sizes(world: Path, run: Path) -> pd.DataFrame:
    """One row per dredge box matched to a visible true dredge: its size estimate and truth."""
    boxes = gpd.read_parquet(run / "detections.parquet")
    matched = matched_boxes(world, boxes[boxes["class_name"] == "dredge"])
    rows = []
    for crs, here in matched.groupby("crs"):
        bounds = here.to_crs(crs).geometry.bounds.to_numpy()
        heading = np.radians(here["heading_deg"].to_numpy())
        spread = np.abs(np.cos(heading)) + np.abs(np.sin(heading))
        extent = (bounds[:, 2] - bounds[:, 0]) + (bounds[:, 3] - bounds[:, 1])
        rows.append(
            pd.DataFrame(
                {
                    "dredge_id": here["dredge_id"].to_numpy(),
                    "river": here["river"].to_numpy(),
                    "acquired": here["acquired"].reset_index(drop=True),
                    "true_size_m": (here["length_m"] + here["width_m"]).to_numpy(),
                    "box_size_m": extent / spread,
                    "score": here["score"].to_numpy(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def size_pairs(sizes: pd.DataFrame, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """|size difference| of same-dredge pairs (consecutive detections) and of different-dredge
    pairs (same river, under ``PAIR_DAYS`` apart; up to 20 per box, drawn at random)."""
    rng = np.random.default_rng(seed)
    ordered = sizes.sort_values(["dredge_id", "acquired"])
    same_id = ordered["dredge_id"].to_numpy()
    box = ordered["box_size_m"].to_numpy()
    consecutive = same_id[1:] == same_id[:-1]
    same = np.abs(np.diff(box))[consecutive]
    different = []
    for _, here in sizes.groupby("river"):
        when = (here["acquired"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy() / 86400
        ids, box = here["dredge_id"].to_numpy(), here["box_size_m"].to_numpy()
        for i in range(len(here)):
            other = np.flatnonzero((ids != ids[i]) & (np.abs(when - when[i]) < PAIR_DAYS))
            if len(other) > 20:
                other = rng.choice(other, 20, replace=False)
            different.append(np.abs(box[other] - box[i]))
    return same, np.concatenate(different) if different else np.zeros(0)


def broken_per_fixed(refused_same: float, refused_other: float, share: float) -> float:
    """Real links a veto breaks per false link it refuses when ``share`` of the links are
    false: it refuses ``refused_same`` of the real ones and ``refused_other`` of the false."""
    fixed = share * refused_other
    return (1 - share) * refused_same / fixed if fixed else float("nan")


def veto_table(
    same: np.ndarray, different: np.ndarray, false_shares: Sequence[float]
) -> pd.DataFrame:
    """Per veto: the share of same-dredge links refused, of different-dredge links refused,
    and the real links it breaks per false link it refuses for each share of false links in
    ``false_shares``."""
    rows = []
    for veto in VETOES_M:
        refused_same = float(np.mean(same > veto))
        refused_other = float(np.mean(different > veto))
        row: dict[str, float] = {
            "veto: sizes differ by more than (m)": veto,
            "same-dredge links refused": refused_same,
            "different-dredge links refused": refused_other,
        }
        for share in false_shares:
            row[broken_per_fixed_column(share)] = broken_per_fixed(
                refused_same, refused_other, share
            )
        rows.append(row)
    return pd.DataFrame(rows)


def spread_table(sizes: pd.DataFrame) -> pd.DataFrame:
    """How much a dredge's box size varies, against how much dredges differ."""
    per_dredge = sizes.groupby("dredge_id")
    within = float(np.sqrt(per_dredge["box_size_m"].var().dropna().mean()))
    true_between = float(per_dredge["true_size_m"].first().std())
    box_between = float(per_dredge["box_size_m"].mean().std())
    corr = float(np.corrcoef(sizes["true_size_m"], sizes["box_size_m"])[0, 1])
    bias = float((sizes["box_size_m"] - sizes["true_size_m"]).mean())
    return pd.DataFrame(
        [
            {
                "boxes": len(sizes),
                "dredges": sizes["dredge_id"].nunique(),
                "true L+W between dredges, sd (m)": true_between,
                "box size between dredges (mean per dredge), sd (m)": box_between,
                "box size within a dredge, sd (m)": within,
                "correlation box size / true L+W": corr,
                "box size − true L+W, mean (m)": bias,
            }
        ]
    )


def count_runs(description: str) -> tuple[list[tuple[int, Path, Path]], str]:
    """Parse ``--worlds DIR --seeds …``; return (seed, world, run) for each seed, from the
    worlds and runs that :mod:`benchmarks.count_accuracy` kept, and the seeds as text. Exits
    with one line when one is missing."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--worlds", type=Path, required=True, help="the --worlds folder of count_accuracy"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[2, 4, 5, 6])
    args = parser.parse_args()
    seeds = " ".join(map(str, args.seeds))
    found = []
    for seed in args.seeds:
        world, run = args.worlds / f"seed-{seed}", args.worlds / f"run-{seed}"
        needed = (world / "truth" / "dredges.csv", world / "scenes", run / "detections.parquet")
        if not all(path.exists() for path in needed):
            parser.exit(
                2,
                f"no world and run for seed {seed} in {args.worlds}; make them with "
                f"`python -m benchmarks.count_accuracy --worlds {args.worlds} --seeds {seeds}`\n",
            )
        found.append((seed, world, run))
    return found, seeds


def over_seeds(
    runs: list[tuple[int, Path, Path]], measure: Callable[[Path, Path], pd.DataFrame]
) -> pd.DataFrame:
    """``measure(world, run)`` of every seed's world and run, as one table whose dredge ids
    carry their seed (``2:NAN0001``)."""
    parts = []
    for seed, world, run in runs:
        table = measure(world, run)
        parts.append(table.assign(dredge_id=f"{seed}:" + table["dredge_id"].astype(str)))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    runs, seeds = count_runs(__doc__.split("\n\n")[0])
    shares = false_move_shares()
    sizes = over_seeds(runs, matched_sizes)
    same, different = size_pairs(sizes)
    spread, vetoes = spread_table(sizes), veto_table(same, different, share_range(shares))
    text = [
        "# Box size as an identity cue",
        "",
        "Command: `.venv/bin/python -m benchmarks.hull_size_cue --worlds DIR --seeds "
        f"{seeds}` on the worlds and runs that `benchmarks.count_accuracy --worlds DIR --seeds "
        f"{seeds}` kept (bundled model, 3 m scenes). Box size: the hull's length + width "
        "estimated from its axis-aligned box with the true heading (the best case).",
        "",
        markdown_table(spread),
        "",
        f"Pairs: {len(same):,} of the same dredge (consecutive detections), {len(different):,} "
        f"of different dredges of one river under {PAIR_DAYS:g} days apart.",
        "",
        markdown_table(vetoes),
        "",
        "The last two columns take the share of false links among the links a veto could "
        f"refuse at the low and the high end of what was measured: {shares_text(shares)}. "
        "Each real link "
        "broken splits a dredge in two (one dredge too many); each false link refused restores "
        "one that a false move had hidden.",
        "",
    ]
    write_markdown("hull_size_cue", "\n".join(text))


if __name__ == "__main__":
    main()
