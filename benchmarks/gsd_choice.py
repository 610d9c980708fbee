"""Which GSD should the bundled model see? Short, equal-budget trainings at each candidate GSD.

At 3 m a dredge is 4–10 px long and 2–4 px wide, below the 8 px stride of YOLO's finest
feature map; reading the scenes at 1.5 m (bilinear upsampling) doubles that, at four times the
pixels per km of river. Each candidate gets the same training worlds, the same recipe and the
same number of image iterations (epochs × training tiles), then is validated on the same held-out
rivers; the table goes to ``benchmarks/results/gsd_choice.md``.

    python -m benchmarks.gsd_choice --worlds 3 --images 2400 --work /tmp/gsd
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from benchmarks.report import markdown_table, write_result
from detector.inputspec import InputSpec
from training.dataset import DatasetSummary, build_yolo_dataset, load_summary
from training.train import RECIPES, TRAINING_SEEDS, make_worlds, train_yolo, validate


def _dataset(worlds: list[Path], folder: Path, spec: InputSpec) -> DatasetSummary:
    """The dataset of ``spec`` over ``worlds``: reused when ``folder`` already holds it."""
    base = RECIPES["default"]
    if (folder / "summary.json").exists():
        old = load_summary(folder)
        if old.spec == spec and old.worlds == [str(w.resolve()) for w in worlds]:
            return old
    return build_yolo_dataset(
        worlds,
        folder,
        spec,
        val_fraction=base.val_fraction,
        seed=base.seed,
        negatives=base.negatives,
        overwrite=True,
    )


def run_one(worlds: list[Path], work: Path, gsd: float, images: int) -> dict[str, object]:
    """Build the dataset at ``gsd``, train for about ``images`` image iterations, validate."""
    base = RECIPES["default"]
    recipe = replace(base, spec=replace(base.spec, gsd_m=gsd))
    spec = recipe.train_spec
    folder = work / f"gsd-{gsd:g}"
    started = time.monotonic()
    summary = _dataset(worlds, folder / "dataset", spec)
    built = time.monotonic() - started
    print(summary.line(), flush=True)
    train, val = summary.splits["train"], summary.splits["val"]
    epochs = max(1, round(images / train.tiles))
    recipe = replace(recipe, epochs=epochs)
    started = time.monotonic()
    best = train_yolo(summary.data_yaml, folder / "yolo", recipe, device="cpu")
    trained = time.monotonic() - started
    metrics = validate(best, summary.data_yaml, recipe, device="cpu")["val"]
    return {
        "GSD m": gsd,
        "train chip px (m)": f"{spec.tile_px} ({spec.tile_px * gsd:g})",
        "detector pixels (rel.)": f"{(3.0 / gsd) ** 2:g}×",
        "train tiles": train.tiles,
        "epochs": epochs,
        "image iterations": epochs * train.tiles,
        "dredges train/val": f"{train.instances['dredge']}/{val.instances['dredge']}",
        "precision": metrics["precision"],
        "recall": metrics["recall"],
        "F1": metrics["f1"],
        "mAP50": metrics["mAP50"],
        "mAP50-95": metrics["mAP50-95"],
        "dataset s": round(built),
        "train s": round(trained),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=3, help="training worlds (seeds 101…)")
    parser.add_argument("--images", type=int, default=2400, help="image iterations per run")
    parser.add_argument("--gsd", type=float, nargs="+", default=[3.0, 1.5])
    parser.add_argument("--work", type=Path, required=True, help="folder for worlds and runs")
    args = parser.parse_args()
    seeds = list(TRAINING_SEEDS)[: args.worlds]
    worlds = make_worlds(seeds, "small", args.work / "worlds")
    rows = [run_one(worlds, args.work, gsd, args.images) for gsd in args.gsd]
    base = RECIPES["default"]
    table = markdown_table(pd.DataFrame(rows))
    body = (
        f"Training worlds: seeds {seeds} (small); recipe `default` (YOLO11n from scratch, "
        f"{base.train_spec.tile_px} px training chips, batch {base.batch}, AdamW lr {base.lr0}, "
        f"augmentation of `training/augment.py`), CPU, the same number of "
        f"image iterations (~{args.images}) per GSD. Validation: held-out (world, river) groups, "
        "class `dredge`, ultralytics' P/R at its best-F1 confidence. `detector pixels` is what "
        "the detector must read per km² of corridor, relative to 3 m (its cost grows with "
        "it).\n\n" + table
    )
    command = (
        f"python -m benchmarks.gsd_choice --worlds {args.worlds} --images {args.images} "
        f"--gsd {' '.join(f'{g:g}' for g in args.gsd)} --work WORK"
    )
    write_result("gsd_choice", "GSD choice: equal-budget short trainings", command, body)


if __name__ == "__main__":
    main()
