"""Retrain a detector on analysts' labels: ``dredge train LABELS... --out RUN``.

0. Check the settings (:mod:`training.finetune_config`: the options and ultralytics'
   key=value settings), the ``--out`` folder (:mod:`training.finetune_folder`) and the starting
   model (:mod:`training.finetune_base`).
1. Read every label set (:mod:`training.labels`) against the starting model's classes and
   input (bands, GSD, tile size) — every input problem is reported here, before anything is
   written.
2. Split by place (labels drawn over whole scenes, tiles of `dredge tiles` or `dredge review`)
   or by scene, and cut the tiles into training chips (:mod:`training.finetune_data`);
   optionally add ``synthetic`` chips from a synthetic training world (seed 101, reserved for
   training) to the training split.
3. Fine-tune the starting model (default: the bundled one; ``scratch``: the
   ``dredge-yolo11-p2`` architecture with :func:`training.yolo_fit.small_box_prior`) with
   ultralytics, offline, seeded, with the satellite augmentation of :mod:`training.augment`.
4. Score the new model — and the starting one, for comparison — on the held-out places' or
   scenes' whole tiles with :mod:`training.evaluate` (the numbers ``dredge evaluate`` gives;
   the lines that report them: :mod:`training.finetune_scores`).
5. Write ``model.pt`` with its card ``model.card.json`` (classes, input, data sources, counts per
   class, metrics) and the run manifest ``run.json`` (versions, seed, command, split).

Everything is written into ``.<RUN>.partial`` beside ``RUN`` and moved into place at the end,
so a failed or interrupted run never leaves a folder that looks finished (``run.json`` with
``"complete": true`` is written last); a ``.<RUN>.partial`` left by a killed run is deleted
by the next, which says so and starts over (it is never resumed). An existing run folder is
replaced only with
``overwrite``, only when it holds a ``run.json`` and none of the run's inputs.
"""

from __future__ import annotations

import platform
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from detector import __version__
from detector.card import ModelCard
from detector.errors import DredgeError
from detector.inputspec import InputSpec
from detector.json_text import json_text
from detector.model import load_model
from detector.offline import cache_dir, import_ultralytics, safe_loading
from detector.run_lock import run_lock
from detector.wording import agree, count_of
from detector.writing import move_into_place
from training.augment import satellite_augmentations, ultralytics_overrides
from training.dataset import CLASSES, build_yolo_dataset
from training.evaluate import card_metrics, evaluate_tiles
from training.finetune_base import BaseModel, resolve_base
from training.finetune_config import FinetuneConfig
from training.finetune_data import Chip, Split, place_cell, split_tiles, write_chip_dataset
from training.finetune_folder import (
    CARD_NAME,
    MANIFEST_NAME,
    WEIGHTS_NAME,
    check_run_dir,
    refuse_if_working,
    stopped_run_line,
)
from training.finetune_scores import held_out_line, worse_than_before
from training.labels.classes import ClassMap
from training.labels.sources import LabelSet, read_and_report
from training.labels.table import LabelledTile
from training.labels.yolo import read_yolo
from training.recipes import ARCHITECTURE, DEFAULT_SPEC
from training.train_worlds import make_worlds
from training.yolo_fit import (
    check_device,
    epochs_record,
    load_yolo,
    no_font_download,
    small_object_trainer,
)

__all__ = [  # names other modules and tests import from here
    "CARD_NAME",
    "CLASSES",
    "DEFAULT_SPEC",
    "MANIFEST_NAME",
    "WEIGHTS_NAME",
    "BaseModel",
    "FinetuneConfig",
    "FinetuneResult",
    "check_run_dir",
    "finetune",
    "held_out_line",
    "resolve_base",
    "worse_than_before",
]

SYNTHETIC_SEED = 101  # the synthetic world mixed in (a reserved training seed)


@dataclass
class FinetuneResult:
    """A finished run."""

    run_dir: Path
    weights: Path
    card: Path
    metrics: dict[str, Any]
    sets: list[LabelSet]
    duration_s: float


def finetune(
    labels: Sequence[str | Path],
    out: str | Path,
    config: FinetuneConfig,
    *,
    class_map: dict[str, str] | None = None,
    scenes: Sequence[str | Path] = (),
    rivers: str | Path | None = None,
    name_field: str = "name",
    scene_bands: Sequence[str] | None = None,
    synthetic_worlds: Sequence[str | Path] | None = None,
    overwrite: bool = False,
    progress: bool = True,
    command: str = "",
    echo: Any = print,
) -> FinetuneResult:
    """Fine-tune on label sets into ``out`` (see the module's docstring). Paths may be
    ``str`` or :class:`~pathlib.Path` (a str ``out`` stopped on "… no attribute 'exists'")."""
    out = Path(out)
    rivers = None if rivers is None else Path(rivers)
    worlds = None if synthetic_worlds is None else [Path(w) for w in synthetic_worlds]
    started = time.monotonic()
    started_at = datetime.now(UTC)
    config.check()
    config = config.settled()  # lr0=… and batch=…: the run's rate and batch
    check_device(config.device)
    inputs: list[tuple[str | Path, str]] = [(path, "labels given to this run") for path in labels]
    inputs += [(path, "--scenes") for path in scenes]
    inputs += [(rivers, "--rivers")] if rivers is not None else []
    if config.base not in ("bundled", "scratch"):
        inputs.append((config.base, "the starting model, --from"))
    check_run_dir(out, overwrite, inputs)
    partial = out.parent / f".{out.name}.partial"
    refuse_if_working(partial, command)
    base = resolve_base(config.base)
    # read safely (a .pt could run the code it carries), and before the labels: not a model is
    # one line before any work
    start = load_yolo(base.weights) if base.weights is not None else None
    sets = read_and_report(
        labels, base.classes, base.spec, class_map=class_map, scenes=scenes, rivers=rivers,
        name_field=name_field, scene_bands=scene_bands, echo=echo,
    )  # fmt: skip
    tiles = [tile for s in sets for tile in s.tiles]
    if not tiles:
        raise DredgeError("the label sets hold no tiles")
    if config.synthetic and base.classes != CLASSES:
        raise DredgeError(
            f"--synthetic mixes in tiles of classes {', '.join(CLASSES)}; the model has "
            f"{', '.join(base.classes)}"
        )
    # tiles of `dredge tiles --tile-px 512` overlap farther apart than the model's tiles do
    tile_m = max(base.spec.tile_px, *(max(t.width, t.height) for t in tiles)) * base.spec.gsd_m
    assignment = split_tiles(tiles, config.val_fraction, config.seed, tile_m=tile_m)
    bands = len(base.spec.bands)
    for tile in tiles[:1]:
        tile.read(bands)  # wrong band count: one clear error before anything is written
    if partial.exists():  # left by a killed run, unless one began while the labels were read
        refuse_if_working(partial, command)
        stopped = stopped_run_line(partial)
        shutil.rmtree(partial)
        echo(stopped)
    partial.mkdir(parents=True)
    try:
        with run_lock(partial, command):
            result = _run(
                partial, out, base, start, config, sets, tiles, assignment, bands,
                worlds, progress, command, echo, started, started_at,
            )  # fmt: skip
        move_into_place(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return result


def _run(
    work: Path,
    out: Path,
    base: BaseModel,
    start: Any,
    config: FinetuneConfig,
    sets: list[LabelSet],
    tiles: list[LabelledTile],
    assignment: Split,
    bands: int,
    synthetic_worlds: Sequence[Path] | None,
    progress: bool,
    command: str,
    echo: Any,
    started: float,
    started_at: datetime,
) -> FinetuneResult:
    extra, synthetic_info = _synthetic_chips(work, base, config, synthetic_worlds, progress, echo)
    counts = write_chip_dataset(
        tiles, assignment, work / "dataset", base.classes, chip_px=config.imgsz, bands=bands,
        negatives=config.negatives, seed=config.seed, extra_train=extra,
    )  # fmt: skip
    train, val = counts["train"], counts["val"]
    echo(
        f"dataset: train {count_of(train.chips, 'chip')} from "
        f"{count_of(len(train.scenes), 'scene')}, val {count_of(val.chips, 'chip')} from "
        f"{count_of(len(val.scenes), 'scene')}; validation {assignment.held_out}"
    )
    best = _train(work / "dataset" / "data.yaml", work / "yolo", base, config, start)
    weights = work / WEIGHTS_NAME
    shutil.copyfile(best, weights)
    name = config.name or out.name
    card = ModelCard.describe(
        weights, name=name, classes=base.classes, input=base.spec, training={}, metrics={}
    )
    card_path = card.save(work / CARD_NAME)
    val_tiles = assignment.tiles(tiles, "val")
    metrics: dict[str, Any] = {"val_scope": "no held-out scenes (--val-fraction 0)"}
    if val_tiles:
        units = _held_out_units(val_tiles, assignment.unit)
        metrics = _val_metrics(weights, base, val_tiles, config.device, assignment.unit, units)
        if config.overrides.get("val"):
            # val=True: ultralytics scored every epoch on these tiles' chips (data.yaml's val)
            # and kept the best as best.pt; the scores said nothing of it, and flattered it
            picked = (
                "the epoch kept (best.pt) was chosen by ultralytics on these tiles' chips "
                "(val=True), so the scores after flatter the new model"
            )
            metrics["val_scope"] += f"; {picked}"
            echo(
                f"note: {picked} and the comparison with the starting model favours it — leave "
                "val=True out, or score both with `dredge evaluate` on scenes neither has seen"
            )
    training = {
        "recipe": "finetune",
        "from": base.describe(),
        "data": [_source_entry(s, base.classes) for s in sets] + synthetic_info,
        # chips: the --imgsz squares cut from the tiles, trained on (train) and set aside with
        # the held-out tiles (val); train_tiles, val_tiles: whole labelled tiles of each side,
        # those the scores are of. "tiles" gave the chips under that name beside val_tiles'
        # whole tiles: it keeps those chip counts for readers of older cards.
        "chips": {"train": counts["train"].chips, "val": counts["val"].chips},
        "train_tiles": len(tiles) - len(val_tiles),
        "val_tiles": len(val_tiles),
        "tiles": {"train": counts["train"].chips, "val": counts["val"].chips},
        "instances": counts["train"].instances,
        "val_instances": counts["val"].instances,
        "negatives_per_positive": config.negatives,
        "split": assignment.held_out,
        "train_scenes": counts["train"].scenes,
        "val_scenes": counts["val"].scenes,
        "seed": config.seed,
        **epochs_record(work / "yolo", config.epochs),  # time=… or patience=… may differ
        "imgsz": config.imgsz,
        "train_tile_px": config.imgsz,
        "batch": config.batch,
        "lr0": config.lr0,
        "overrides": config.overrides,
        "architecture": ARCHITECTURE.name if base.weights is None else "from the starting model",
        "device": config.device,
        **_versions(),
        "duration_s": round(time.monotonic() - started, 1),
        "command": command,
    }
    card = ModelCard.describe(
        weights, name=name, classes=base.classes, input=base.spec, training=training,
        metrics=metrics,
    )  # fmt: skip
    card.save(card_path)
    shutil.rmtree(work / "synthetic", ignore_errors=True)
    manifest = {
        "format": 1,
        "complete": True,
        "command": command,
        "started": started_at.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started, 1),
        "seed": config.seed,
        "config": {**config.__dict__, "overrides": config.overrides},
        "versions": {**_versions(), "python": platform.python_version(), "dredge": __version__,
                     "numpy": np.__version__},
        "from": base.describe(),
        "sources": training["data"],
        "split": {"unit": assignment.unit, "held_out": assignment.held_out,
                  "train": counts["train"].scenes, "val": counts["val"].scenes},
        "outputs": {"weights": WEIGHTS_NAME, "card": CARD_NAME, "dataset": "dataset",
                    "ultralytics": "yolo"},
        "metrics": metrics,
    }  # fmt: skip
    (work / MANIFEST_NAME).write_text(
        json_text(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return FinetuneResult(
        run_dir=out,
        weights=out / WEIGHTS_NAME,
        card=out / CARD_NAME,
        metrics=metrics,
        sets=sets,
        duration_s=time.monotonic() - started,
    )


def _versions() -> dict[str, str]:
    import torch

    ultralytics = import_ultralytics()
    return {"ultralytics": ultralytics.__version__, "torch": torch.__version__.split("+")[0]}


def _source_entry(label_set: LabelSet, classes: Sequence[str]) -> dict[str, Any]:
    return {
        "source": label_set.source,
        "format": label_set.format,
        "tiles": len(label_set.tiles),
        "negative_tiles": sum(not t.boxes for t in label_set.tiles),
        "scenes": len({t.scene for t in label_set.tiles}),
        "instances": label_set.instances(classes),
    }


def _synthetic_chips(
    work: Path,
    base: BaseModel,
    config: FinetuneConfig,
    worlds: Sequence[Path] | None,
    progress: bool,
    echo: Any = print,
) -> tuple[list[Chip], list[dict[str, Any]]]:
    """``config.synthetic`` chips from synthetic training worlds, and their data entry; a note
    when the worlds hold fewer (all are used: fewer were used without a word)."""
    if not config.synthetic:
        return [], []
    if worlds is None:
        worlds = make_worlds((SYNTHETIC_SEED,), "small", cache_dir() / "worlds", progress=progress)
    spec = InputSpec(
        base.spec.bands, base.spec.gsd_m, config.imgsz, config.imgsz // 8, base.spec.scale
    )
    summary = build_yolo_dataset(
        worlds, work / "synthetic", spec, val_fraction=0.5, seed=config.seed, negatives=0.5,
        overwrite=True, progress=progress,
    )  # fmt: skip
    available = read_yolo(work / "synthetic", ClassMap(base.classes))
    picks = np.random.default_rng([config.seed, 13]).permutation(len(available))
    chosen = [available[i] for i in picks[: config.synthetic]]
    if len(chosen) < config.synthetic:
        hold = agree(len(worlds), "synthetic world holds", "synthetic worlds hold")
        used = agree(len(chosen), "it was", f"all {len(chosen)} were")
        echo(
            f"note: --synthetic {config.synthetic}: the {hold} {count_of(len(chosen), 'chip')}; "
            f"{used} mixed in"
        )
    chips = []
    for tile in chosen:
        pixels = tile.read(len(base.spec.bands))
        tile.pixels, tile.name, tile.source = pixels, f"synth_{tile.name}", "synthetic"
        chips.append(Chip(tile.name, tile))
    counts = dict.fromkeys(base.classes, 0)
    for tile in chosen:
        for box in tile.boxes:
            counts[box.class_name] += 1
    entry = {
        "source": "synthetic",
        "format": "synthetic world",
        "worlds": summary.worlds,
        "tiles": len(chosen),
        "negative_tiles": sum(not t.boxes for t in chosen),
        "instances": counts,
    }
    return chips, [entry]


def _train(
    data_yaml: Path, run_dir: Path, base: BaseModel, config: FinetuneConfig, start: Any
) -> Path:
    """Train ``start`` (:func:`training.yolo_fit.load_yolo` of the starting weights; None: from
    scratch)."""
    model = start if start is not None else import_ultralytics().YOLO(str(ARCHITECTURE))
    settings: dict[str, Any] = {
        "trainer": small_object_trainer(),
        "data": str(data_yaml),
        "epochs": config.epochs,
        "imgsz": config.imgsz,
        "batch": config.batch,
        "nbs": config.batch,
        "optimizer": "AdamW",
        "lr0": config.lr0,
        "warmup_epochs": min(1.0, config.epochs / 4),
        # ultralytics warms biases up from 0.1, which undoes a trained model's head: a model
        # that already detects starts its biases at the run's own rate
        "warmup_bias_lr": 0.1 if base.weights is None else config.lr0,
        "val": False,
        "device": config.device,
        "seed": config.seed,
        "deterministic": True,
        "workers": 0 if config.device == "cpu" else 4,
        "amp": False,
        "plots": False,
        "close_mosaic": max(1, config.epochs // 5),
        "project": str(run_dir.parent.resolve()),
        "name": run_dir.name,
        "exist_ok": True,
        "verbose": False,
        "augmentations": satellite_augmentations(),
        **ultralytics_overrides(),
        **config.overrides,
    }
    with no_font_download(), safe_loading():  # the trainer reloads best.pt, pretrained=…
        model.train(**settings)
    best = run_dir / "weights" / "best.pt"
    if not best.exists():
        best = run_dir / "weights" / "last.pt"
    if not best.exists():
        raise DredgeError(f"training finished without weights in {run_dir / 'weights'}")
    return best


def _held_out_units(val_tiles: list[LabelledTile], unit: str) -> int:
    """How many scenes (or 5 km squares, ``unit`` "place") the held-out tiles come from."""
    if unit == "place":
        return len({place_cell(t.place) for t in val_tiles if t.place is not None})
    return len({t.scene for t in val_tiles})


def _val_metrics(
    weights: Path,
    base: BaseModel,
    val_tiles: list[LabelledTile],
    device: str,
    unit: str,
    units: int,
) -> dict[str, Any]:
    """The new model's scores on the held-out tiles, and the starting model's, on the
    ``device`` trained on as given (``cuda:1`` scored on ``cuda``, GPU 0, which another job may
    hold). ``units``: how many ``unit``s (scenes, places) were held out, for ``val_scope``
    (it said "the held-out scenes" of one)."""
    evaluation, _ = evaluate_tiles(load_model(weights, backend="torch", device=device), val_tiles)
    metrics = card_metrics(evaluation)
    metrics["val_scope"] = (
        f"whole tiles of {count_of(units, f'held-out {unit}')} "
        f"({count_of(len(val_tiles), 'tile')}), "
        f"{evaluation.matching.describe()}, score ≥ {evaluation.conf:g}"
    )
    if base.weights is not None:
        before, _ = evaluate_tiles(
            load_model(base.weights, backend="torch", device=device), val_tiles
        )
        metrics["val_before"] = card_metrics(before)["val"]
    return metrics
