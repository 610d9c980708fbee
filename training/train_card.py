"""The model card a training run writes beside its weights (the format :mod:`detector.card`
reads): the recipe, the data, the run and the val-split metrics."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detector.card import ModelCard
from detector.offline import import_ultralytics
from training.dataset import CLASSES, DatasetSummary
from training.recipes import MODEL_NAME, Recipe, recipe_json


def write_card(
    path: Path,
    weights: Path,
    recipe: Recipe,
    summary: DatasetSummary,
    metrics: dict[str, Any],
    *,
    device: str,
    duration_s: float,
    command: str,
) -> Path:
    """Write the model card (JSON) beside the weights."""
    import torch

    ultralytics = import_ultralytics()
    spec = recipe.spec
    train, val = summary.splits["train"], summary.splits["val"]
    card = ModelCard.describe(
        weights,
        name=f"{MODEL_NAME}-synth",
        classes=CLASSES,
        input=spec,
        training={
            "recipe": recipe.name,
            "data": describe_worlds(summary.worlds),
            "seed": recipe.seed,
            "epochs": recipe.epochs,
            "refine_epochs": recipe.refine_epochs,
            "imgsz": recipe.imgsz,
            "train_tile_px": recipe.train_spec.tile_px,
            "batch": recipe.batch,
            "architecture": Path(recipe.architecture).name,
            "tiles": {"train": train.tiles, "val": val.tiles},
            "instances": dict(train.instances),
            "val_instances": dict(val.instances),
            "negatives_per_positive": recipe.negatives,
            "split": "by (world, river): no scene in both train and val",
            "device": device,
            "ultralytics": ultralytics.__version__,
            "torch": torch.__version__.split("+")[0],
            "duration_s": round(duration_s, 1),
            "command": command,
            "recipe_values": recipe_json(recipe),
        },
        metrics=metrics,
    )
    card.save(path)
    return path


def describe_worlds(worlds: Sequence[str | Path]) -> str:
    """``synthetic world seeds [...] sizes [...]`` from the worlds' ``world.json``."""
    seeds, sizes = [], []
    for world in worlds:
        config = json.loads((Path(world) / "world.json").read_text(encoding="utf-8"))["config"]
        seeds.append(int(config["seed"]))
        if config["size"] not in sizes:
            sizes.append(str(config["size"]))
    return f"synthetic world seeds {seeds} sizes {sizes}"
