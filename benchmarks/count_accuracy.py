"""Yearly dredge counts from scenes, end to end, against the truth of synthetic worlds.

Each world (``dredge synth --size monthly``: five rivers, 3 km reaches, a scene a month) goes
through ``dredge run`` with the bundled model and default settings — detect, track, count —
and its counts are compared with the world's truth (dredges visible on at least one date of
the year). These are the validation worlds the tracker's count rules were chosen on (seeds 2,
4, 5, 6; never used in training) and the demo world (seed 1, three rivers).

Run: ``python -m benchmarks.count_accuracy`` (worlds in a temporary folder; about 3 minutes a
world on 2 cores) or ``--worlds DIR`` to keep and reuse them (``DIR/seed-N``); ``--seeds``.
Writes ``benchmarks/results/count_accuracy.md``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.report import markdown_table, write_result
from detector.demo import DEMO_RIVERS, DEMO_SEED, DEMO_YEARS, TOLERANCE, compare_counts
from detector.run import run_pipeline
from training.synth.world import WorldConfig, is_same_world, write_world

VALIDATION_SEEDS = (2, 4, 5, 6)
YEARS = (2024, 2025)


def world_config(seed: int) -> WorldConfig:
    """The demo world for the demo seed, else a five-river validation world."""
    if seed == DEMO_SEED:
        return WorldConfig(seed=seed, size="monthly", rivers=DEMO_RIVERS, years=DEMO_YEARS)
    return WorldConfig(seed=seed, size="monthly", years=YEARS)


def count_world(seed: int, folder: Path) -> tuple[pd.DataFrame, float]:
    """Make (or reuse) the world of ``seed`` under ``folder``, run it, compare with the truth."""
    world = folder / f"seed-{seed}"
    config = world_config(seed)
    if not is_same_world(world, config):
        write_world(config, world, overwrite=True, progress=False)
    start = time.perf_counter()
    run = run_pipeline(
        [world / "scenes"],
        world / "rivers.geojson",
        folder / f"run-{seed}",
        overwrite=True,
        progress=False,
        echo=lambda _: None,
        warn=print,
    )
    seconds = time.perf_counter() - start
    truth = pd.read_csv(world / "truth" / "counts.csv")
    table = compare_counts(run.counts, truth)
    table.insert(0, "seed", seed)
    return table, seconds


def summary_row(name: str, table: pd.DataFrame) -> dict[str, object]:
    inside = (table["truth"] >= table["unique_low"]) & (table["truth"] <= table["unique_high"])
    return {
        "worlds": name,
        "river-years": len(table),
        f"within {TOLERANCE:.0%}": int(table["within_10pct"].sum()),
        "total abs error": int(table["error"].abs().sum()),
        "counted": int(table["unique_dredges"].sum()),
        "truth": int(table["truth"].sum()),
        "truth in low–high": int(inside.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[*VALIDATION_SEEDS, DEMO_SEED])
    parser.add_argument("--worlds", type=Path, help="keep the worlds and runs here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dredge-counts-") as tmp:
        folder = args.worlds or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        tables, times = [], []
        for seed in args.seeds:
            table, seconds = count_world(seed, folder)
            print(
                f"seed {seed}: {int(table['within_10pct'].sum())}/{len(table)} within "
                f"{TOLERANCE:.0%}, run {seconds:.0f} s",
                flush=True,
            )
            tables.append(table)
            times.append(seconds)
    every = pd.concat(tables, ignore_index=True)
    validation = every[every["seed"].isin(VALIDATION_SEEDS)]
    demo = every[every["seed"] == DEMO_SEED]
    rows = [summary_row(f"seed {s}", t) for s, t in zip(args.seeds, tables, strict=True)]
    if len(validation) and len(validation) < len(every):
        rows.append(summary_row("validation seeds together", validation))
    detail = every.assign(
        within_10pct=every["within_10pct"].map({True: "yes", False: "no"}),
    )
    body = "\n".join(
        [
            "Each world through `dredge run` (bundled model, default settings); truth: dredges "
            "visible on at least one date of the year. Validation worlds: five rivers, 2024–2025, "
            f"a scene a month; seed {DEMO_SEED} is the demo world (`make demo`). Run time per "
            "world (detect, track, count): "
            + ", ".join(f"seed {s} {t:.0f} s" for s, t in zip(args.seeds, times, strict=True))
            + ".",
            "",
            markdown_table(pd.DataFrame(rows)),
            "",
            "## Per river-year",
            "",
            markdown_table(detail),
        ]
    )
    if len(demo):
        body += f"\n\nDemo world (seed {DEMO_SEED}): {int(demo['within_10pct'].sum())} of "
        body += f"{len(demo)} river-years within {TOLERANCE:.0%}."
    seeds = " ".join(map(str, args.seeds))
    write_result(
        "count_accuracy",
        "Yearly counts from scenes against the truth",
        f".venv/bin/python -m benchmarks.count_accuracy --seeds {seeds}",
        body,
    )


if __name__ == "__main__":
    main()
