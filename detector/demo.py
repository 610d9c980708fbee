"""The demo: a small synthetic world, ``dredge run`` on it, and its counts next to the truth.

``dredge demo --out demo-output`` (and ``make demo``) writes ``demo-output/world`` (made by
``dredge synth``: three rivers, 2024–2025, a scene a month; reused when it is already there)
and ``demo-output/run`` (everything ``dredge run`` writes, with ``report.html``), then prints
and writes ``demo-output/run/counts_vs_truth.csv``: per river and year the counted unique
dredges, the low–high range, the truth (dredges visible on at least one date that year) and
the error.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from detector.card import load_card, model_file
from detector.errors import DredgeError
from detector.model import Detector
from detector.run import RunResult, run_pipeline
from detector.writing import write_atomic

DEMO_SEED = 1  # seeds 1–20 are never trained on
DEMO_RIVERS = ("Nanay", "Santiago", "Itaya")  # blackwater, turbid, and a river with no dredges
DEMO_YEARS = (2024, 2025)
DEMO_SIZE = "monthly"  # 3 km reaches, a scene a month
TOLERANCE = 0.10


@dataclass
class DemoResult:
    """The run, and its counts against the truth."""

    run: RunResult
    comparison: pd.DataFrame
    world: Path

    @property
    def within_tolerance(self) -> int:
        """River-years whose count is within :data:`TOLERANCE` of the truth."""
        return int(self.comparison["within_10pct"].sum())


def run_demo(
    out: str | Path,
    *,
    seed: int = DEMO_SEED,
    model: Detector | str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> DemoResult:
    """Make (or reuse) the demo world under ``out/world`` and run the pipeline on it.
    ``out`` may be a ``str`` or a :class:`~pathlib.Path`."""
    out = Path(out)  # a str from a notebook: "unsupported operand type(s) for /"
    from training.synth.world import (
        WorldConfig,
        is_same_world,
        training_seed_note,
        world_held,
        write_world,
    )

    trained = training_seed_note(seed)
    if trained:  # the demo's comparison with the truth would flatter the model
        raise DredgeError(f"--seed {seed}: {trained}")
    if seed < 0:  # it ended in numpy's words, after the folder was made
        raise DredgeError(f"--seed {seed} is negative; give a whole number ≥ 0")
    if model is not None and not isinstance(model, Detector):
        load_card(model_file(model))  # a typo was told after the world was drawn (a minute)
    world = out / "world"
    config = WorldConfig(seed=seed, size=DEMO_SIZE, rivers=DEMO_RIVERS, years=DEMO_YEARS)
    if is_same_world(world, config):
        echo(f"reusing the synthetic world in {world}")
    else:
        _check_world_folder(out, world, overwrite, world_held(world))
        echo(f"generating the demo world (seed {seed}, {', '.join(DEMO_RIVERS)}) in {world}")
        echo(write_world(config, world, overwrite=overwrite, progress=progress))
    run = run_pipeline(
        [world / "scenes"],
        world / "rivers.geojson",
        out / "run",
        model=model,
        overwrite=overwrite,
        progress=progress,
        command=shlex.join(["dredge", "demo", "--out", str(out), "--seed", str(seed)]),
        echo=echo,
        warn=warn,
    )
    comparison = compare_counts(run.counts, pd.read_csv(world / "truth" / "counts.csv"))
    write_atomic(  # whole or not at all, as the run's own outputs: a kill mid-write cut it short
        out / "run" / "counts_vs_truth.csv", lambda tmp: comparison.to_csv(tmp, index=False)
    )
    return DemoResult(run, comparison, world)


def _check_world_folder(out: Path, world: Path, overwrite: bool, held: str | None) -> None:
    """DredgeError naming ``out``, the --out given, where its ``world`` folder holds something
    else than a world the demo may draw into: files of another kind (with or without
    --overwrite, which replaces only a world `dredge synth` drew), or, without --overwrite, a
    world of other settings (``held``), or a ``world.json`` that cannot be read (cut short or
    edited: it was said to have none). It said `OUT/world: folder is not empty — choose
    another --out`, naming a folder the user never gave as --out."""
    from training.synth.world import UNFINISHED_MARK

    if not world.exists() or (world / UNFINISHED_MARK).is_file():
        return  # drawn anew (a world stopped half-way is the same command's)
    if not world.is_dir():
        raise DredgeError(
            f"{out}: its world is a file, not the demo's world folder — choose another --out"
        )
    if not any(world.iterdir()) or (held is not None and overwrite):
        return
    if held is None and (world / "world.json").exists():  # it said "(no world.json)"
        raise DredgeError(
            f"{out}: its world/ folder holds a world.json that cannot be read as a synthetic "
            "world's (cut short or edited by hand), not the demo's — choose another --out, "
            "or delete its world/ folder to draw the demo's world again"
        )
    if held is None:
        raise DredgeError(
            f"{out}: its world/ folder holds files that are not a synthetic world (no "
            "world.json) — choose another --out (--overwrite replaces only a world "
            "`dredge synth` drew)"
        )
    raise DredgeError(
        f"{out}: its world/ folder holds {held}, not the demo's — choose another --out, or "
        "pass --overwrite to replace it"
    )


def compare_counts(counts: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Counted unique dredges beside the truth, per river and year (all river-years of both).

    A river-year the run has no row for (no scene counted it) was counted 0: its
    ``unique_dredges``, ``unique_low`` and ``unique_high`` are 0, as its truth is where the truth
    has no row.
    """
    wanted = ("river", "year", "unique_dredges", "unique_low", "unique_high")
    keep = [c for c in wanted if c in counts]
    merged = counts[keep].merge(
        truth[["river", "year", "unique_dredges"]].rename(columns={"unique_dredges": "truth"}),
        on=["river", "year"],
        how="outer",
        indicator=True,
    )
    uncounted = (merged.pop("_merge") == "right_only").to_numpy()
    for column in keep[2:]:
        merged.loc[uncounted, column] = 0
        if merged[column].notna().all():
            merged[column] = merged[column].astype(int)
    merged["truth"] = merged["truth"].fillna(0).astype(int)
    merged["error"] = merged["unique_dredges"] - merged["truth"]
    merged["within_10pct"] = merged["error"].abs() <= TOLERANCE * merged["truth"]
    return merged.sort_values(["river", "year"]).reset_index(drop=True)
