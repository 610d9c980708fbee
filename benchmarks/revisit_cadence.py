"""Count accuracy against the time between scenes: how often must a river be imaged?

The simulated world of :mod:`benchmarks.track_sim` (five 30 km rivers, 2023–2025, groups that
stay 14–75 days and move 0.2–5 km, 30 % of them leaving and coming back months later) is drawn
with a usable scene of each river every 2, 5, 10, 15 or 30 days on average (a monthly mosaic
is the last). The tracker (default ``TrackParams``, with observed areas) is fed the truth's
visible appearances degraded as in the dedup benchmark (15 % dropped, 8 m jitter, false
detections 10 % of those kept), and unchanged (perfect detections). Yearly counts are compared
with the truth on the river-years with at least 10 dredges.

Then the demo world (``dredge demo``: seed 1, three 3 km reaches, 2024–2025) is drawn with a
scene a month, as the demo has it, and with a scene a week (``dredge synth --size weekly``: the
same dredges), and the tracker is fed its truth the same two ways; its counts are compared
with the world's ``truth/counts.csv`` at the demo's 10 %.

    .venv/bin/python -m benchmarks.revisit_cadence [--seed 1 2 3] [--days 2 5 10 15 30]
        [--worlds DIR]  # keep the two demo worlds here (default: a temporary folder)

Writes ``benchmarks/results/revisit_cadence.md``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.report import write_markdown
from benchmarks.tracking_dedup import (
    MIN_DREDGES,
    PERFECT,
    TOLERANCE,
    Case,
    Degradation,
    _true_counts,
    simulated_case,
    synth_case,
)
from detector.counts import yearly_counts
from detector.demo import DEMO_RIVERS, DEMO_SEED, DEMO_YEARS
from detector.demo import TOLERANCE as DEMO_TOLERANCE
from detector.tracking import TrackParams, link_tracks
from training.synth.world import WorldConfig, is_same_world, write_world
from training.track_eval import count_errors

DETECTIONS = (("degraded", Degradation()), ("perfect", PERFECT))
DEMO_SIZES = ("monthly", "weekly")


def count_table(
    case: Case,
    params: TrackParams | None = None,
    *,
    true_counts: pd.DataFrame | None = None,
    tolerance: float = TOLERANCE,
) -> pd.DataFrame:
    """Yearly counts of the tracker on ``case`` next to the truth (``count_errors``): the
    simulated world's, or ``true_counts`` (a synthetic world's ``truth/counts.csv``)."""
    if true_counts is None:
        true_counts = _true_counts(case.truth)
    linked, tracks = link_tracks(case.detections, case.observed, params=params)
    counts = yearly_counts(
        tracks,
        linked,
        observations=case.observations,
        years=sorted(true_counts["year"].unique()),
        rivers=sorted(true_counts["river"].unique()),
    )
    return count_errors(counts, true_counts, tolerance=tolerance)


def summary(errors: list[pd.DataFrame]) -> dict[str, object]:
    """Within tolerance, mean relative error and net error over river-years ≥ MIN_DREDGES."""
    table = pd.concat(errors, ignore_index=True)
    big = table[table["true_unique"] >= MIN_DREDGES]
    relative = (big["error"].abs() / big["true_unique"]).mean()
    return {
        "within": f"{int(big['within_tolerance'].sum())}/{len(big)}",
        "mean relative error": f"{relative:.1%}",
        "net error": " / ".join(f"{int(e['error'].sum()):+d}" for e in errors),
    }


def demo_world_lines(folder: Path) -> list[str]:
    """The demo world drawn a scene a month and a scene a week, its truth fed to the tracker:
    one table row per size and detections, with every river-year's count against the truth."""
    lines = [
        "| scenes | detections | within 10 % | counted / truth per river-year |",
        "|---|---|---|---|",
    ]
    for size in DEMO_SIZES:
        config = WorldConfig(seed=DEMO_SEED, size=size, rivers=DEMO_RIVERS, years=DEMO_YEARS)
        world = folder / f"demo-{size}"
        if not is_same_world(world, config):
            print(write_world(config, world, overwrite=True, progress=True), flush=True)
        true_counts = pd.read_csv(world / "truth" / "counts.csv")
        scenes = len(pd.read_csv(world / "truth" / "scenes.csv"))
        for name, degradation in DETECTIONS:
            case = synth_case(world, DEMO_SEED, degradation)
            errors = count_table(case, true_counts=true_counts, tolerance=DEMO_TOLERANCE)
            pairs = "; ".join(
                f"{row.river} {row.year} {row.unique_dredges}/{row.true_unique}"
                for row in errors.itertuples()
            )
            lines.append(
                f"| {size}, {scenes} | {name} | {int(errors['within_tolerance'].sum())}/"
                f"{len(errors)} | {pairs} |"
            )
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--days", type=float, nargs="+", default=[2, 5, 10, 15, 30])
    parser.add_argument("--worlds", type=Path, help="keep the two demo worlds here")
    args = parser.parse_args()
    lines = [
        f"| days between scenes | detections | river-years ≥{MIN_DREDGES} within "
        f"{TOLERANCE:.0%} | mean relative error | net error per seed | scenes per river-year |",
        "|---|---|---|---|---|---|",
    ]
    start = time.perf_counter()
    for days in args.days:
        for name, degradation in DETECTIONS:
            errors, scenes = [], []
            for seed in args.seed:
                case = simulated_case(seed, degradation, revisit_days=days)
                errors.append(count_table(case))
                per_year = case.observations.assign(
                    year=pd.to_datetime(case.observations["date"]).dt.year
                ).groupby(["river", "year"])
                scenes.append(per_year.size().mean())
            row = summary(errors)
            lines.append(
                f"| {days:g} | {name} | {row['within']} | {row['mean relative error']} | "
                f"{row['net error']} | {np.mean(scenes):.0f} |"
            )
            print(lines[-1], flush=True)
    sim_seconds = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="dredge-cadence-") as tmp:
        demo_lines = demo_world_lines(args.worlds or Path(tmp))
    seeds = " ".join(map(str, args.seed))
    text = [
        "# Count accuracy against the time between scenes",
        "",
        f"Simulated world (`benchmarks/track_sim.py`), seeds {seeds}; default `TrackParams`; "
        "`degraded`: 15 % of appearances dropped, 8 m jitter, false detections 10 % of those kept; "
        "`perfect`: the truth's visible appearances. Command: `.venv/bin/python -m "
        f"benchmarks.revisit_cadence --seed {seeds} --days "
        f"{' '.join(f'{d:g}' for d in args.days)}` ({sim_seconds:.0f} s; "
        f"{time.perf_counter() - start:.0f} s with the demo worlds below).",
        "",
        *lines,
        "",
        "Groups stay 14–75 days at a spot and then move 0.2–5 km. With a scene every few days "
        "a stay is seen on several dates and a move shows as a spot left and another filled "
        "between two looks. The longer the time between scenes, the more groups leave for good "
        "and arrive in the same interval within a move's reach, and the tracker, which sees "
        "positions only, links them as moves: the counts fall below the truth. Returns (a group "
        "back on the river months later, anywhere on it) count again at every cadence.",
        "",
        "## The demo world, a scene a month and a scene a week",
        "",
        f"Seed {DEMO_SEED}, {', '.join(DEMO_RIVERS)}, {DEMO_YEARS[0]}–{DEMO_YEARS[1]}, 3 km "
        "reaches; `monthly` is `make demo`'s world, `weekly` the same dredges with a scene a "
        "week (`dredge synth --size weekly`). The tracker is fed the world's truth (`perfect`: "
        "the visible dredges; `degraded`: as above); counts against `truth/counts.csv`.",
        "",
        *demo_lines,
        "",
        "The demo world's groups stay 14–75 days and move 0.2–5 km, on reaches of 3 km.",
        "",
    ]
    write_markdown("revisit_cadence", "\n".join(text))


if __name__ == "__main__":
    main()
