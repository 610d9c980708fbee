"""Fitting and validating YOLO with ultralytics: a recipe's stages from scratch and from trained
weights (offline, seeded, deterministic, with the satellite augmentation of
:mod:`training.augment`), the box prior without which small objects are never learnt, and the
val-split metrics of the weights.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from detector.errors import DredgeError, InputError
from detector.model_checks import FIX_MODEL, reason
from detector.offline import import_ultralytics, safe_loading
from detector.wording import count_of, score_text
from training.augment import satellite_augmentations, ultralytics_overrides
from training.dataset import CLASSES
from training.processes import usable_cores
from training.recipes import Recipe

DEVICES = ("cpu", "cuda")
BOX_PRIOR_DECAY = 1.0  # see small_box_prior


def check_device(device: str) -> None:
    """Raise DredgeError for an unknown device, CUDA on a machine without it, or a GPU number
    it does not have (``cuda:1`` on one GPU, ``cuda:0,1``: ultralytics' ValueError traceback
    once the labels were read and the chips cut)."""
    number = device.removeprefix("cuda:") if device.startswith("cuda:") else None
    if device not in DEVICES and not (number is not None and number.isdigit()):
        raise DredgeError(f"--device must be cpu or cuda (or cuda:N, one GPU), got {device!r}")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise DredgeError("--device cuda: no CUDA GPU is visible here — use --device cpu")
        gpus = torch.cuda.device_count()
        if number is not None and int(number) >= gpus:
            numbers = "cuda:0" if gpus == 1 else f"cuda:0 to cuda:{gpus - 1}"
            raise DredgeError(
                f"--device {device}: torch sees {count_of(gpus, 'CUDA GPU')} here — use "
                f"--device cuda, or {numbers}"
            )


def load_yolo(weights: Path) -> Any:
    """An ultralytics ``YOLO`` holding the checkpoint in the file ``weights``, to train or
    validate, read as ``dredge detect`` reads a model (:func:`detector.offline.safe_loading`:
    ``weights_only=True``, the file as named, offline); InputError when it is not a model.

    ``YOLO(path)`` unpickled the file in full (``dredge train --from evil.pt`` ran the code it
    carried), and rewrote names: ``rivière d'Oiapoque/m.pt`` was looked for as
    ``rivière dOiapoque/m.pt`` (FileNotFoundError), ``yolov5s.pt`` on GitHub as ``yolov5su.pt``.
    Train the model it gives inside :func:`safe_loading` too: the trainer reloads its own
    ``best.pt`` through the same loader.
    """
    ultralytics = import_ultralytics()
    path = Path(weights).absolute()
    try:
        with safe_loading():
            return ultralytics.YOLO(str(path))
    except Exception as exc:  # torch and ultralytics raise many unrelated types here
        raise InputError(weights, f"is not a model ({reason(exc)})", FIX_MODEL) from None


@contextmanager
def no_font_download() -> Iterator[None]:
    """Stop ultralytics' dataset check from probing GitHub for a plot font (its issue #7645).

    ``check_det_dataset`` calls ``check_font`` even with plots off and ``YOLO_OFFLINE`` set;
    the font is only needed for plots, which training here never draws.
    """
    import_ultralytics()
    import ultralytics.data.utils as data_utils

    original = data_utils.check_font
    data_utils.check_font = lambda *args, **kwargs: None
    try:
        yield
    finally:
        data_utils.check_font = original


def small_box_prior(model: Any, decay: float = BOX_PRIOR_DECAY) -> None:
    """Start YOLO's box regression at boxes about one stride wide instead of fifteen.

    Ultralytics initialises the distance bins of its box head uniformly, so an untrained
    model predicts boxes ~15 strides (120 px at stride 8) wide. A dredge at 3 m is a 3–10 px
    box; the complete-IoU that its label assigner ranks anchors by is then zero or negative
    for every anchor, no anchor is assigned, and the box loss stays at exactly 0 from the first
    epoch: the model only learns "background" (measured: ``benchmarks/results/gsd_choice.md``).
    Biasing bin ``j`` by ``-decay × j`` makes the expected distance ~0.6 stride per side, so
    the first predictions overlap small labels and training can start.
    """
    import torch

    head = model.model[-1]
    heads = [head.one2many["box_head"]]
    if getattr(head, "one2one_cv2", None) is not None:
        heads.append(head.one2one["box_head"])
    for box_head in heads:
        for branch in box_head:
            bias = branch[-1].bias.data.view(4, head.reg_max)
            bias[:] = -decay * torch.arange(head.reg_max, dtype=bias.dtype)


@cache
def small_object_trainer() -> type:
    """Ultralytics' detection trainer with :func:`small_box_prior` applied to the new model."""
    import_ultralytics()
    from ultralytics.models.yolo.detect import DetectionTrainer

    class SmallObjectTrainer(DetectionTrainer):
        def get_model(self, cfg: Any = None, weights: Any = None, verbose: bool = True) -> Any:
            model = super().get_model(cfg=cfg, weights=weights, verbose=verbose)
            if weights is None:  # from scratch only; trained weights keep their own
                small_box_prior(model)
            return model

    return SmallObjectTrainer


@cache
def counting_validator() -> type:
    """Ultralytics' detection validator that keeps, on its metrics, how many boxes the model
    made of each class (``predictions_per_class``, at the validator's score floor, 0.001):
    ultralytics clears those counts with its statistics, and gives precision 0 and recall 0
    both to a class the model made no box of and to one whose every box was wrong."""
    import_ultralytics()
    import numpy as np
    from ultralytics.models.yolo.detect import DetectionValidator

    class CountingValidator(DetectionValidator):
        def get_stats(self) -> dict[str, Any]:
            made = self.metrics.stats.get("pred_cls") or [np.zeros(0)]
            classes = np.concatenate([np.asarray(c).reshape(-1) for c in made]).astype(int)
            made_per_class = np.bincount(classes, minlength=len(self.metrics.names or {}))
            setattr(self.metrics, "predictions_per_class", made_per_class)  # noqa: B010
            return super().get_stats()

    return CountingValidator


def train_yolo(data_yaml: Path, run_dir: Path, recipe: Recipe, *, device: str) -> Path:
    """Train ``recipe.architecture`` from scratch on ``data_yaml``; return the best weights' path.

    With ``recipe.refine_epochs``, a second stage continues from the first stage's weights
    (in ``run_dir`` + ``-refine``) at ``refine_lr0``, without warm-up, so that it does not undo
    the trained head: with the bundled model it raised F1 at 15 m on a validation world from
    0.783 to 0.830 once duplicate boxes were merged (README, *Accuracy and speed*).
    """
    ultralytics = import_ultralytics()
    model = ultralytics.YOLO(recipe.architecture)
    refine_dir = run_dir.with_name(run_dir.name + "-refine")
    for folder in (run_dir, refine_dir):
        if folder.exists():
            shutil.rmtree(folder)
    with no_font_download():
        _fit(model, data_yaml, run_dir, recipe, device)
    best = best_weights(run_dir)
    if recipe.refine_epochs:
        with no_font_download():
            refine(best, data_yaml, refine_dir, recipe, device)
        best = best_weights(refine_dir, "last.pt")  # the stage's final weights, as measured
    return best


def epochs_record(run_dir: Path, asked: int) -> dict[str, int]:
    """For a card: ``epochs``, those ultralytics trained in ``run_dir`` (the rows of its
    ``results.csv``, one per epoch; ``asked`` without one), and ``epochs_asked`` where they
    differ. A key=value setting can end a training before its ``--epochs`` (``patience=`` with
    ``val=True``) or re-plan them (``time=``: as many as fit in the hours given); the card
    gave the epochs asked."""
    try:
        rows = (run_dir / "results.csv").read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError):
        return {"epochs": asked}
    trained = max(0, len(rows) - 1)
    return {"epochs": trained} if trained == asked else {"epochs": trained, "epochs_asked": asked}


def best_weights(run_dir: Path, name: str = "best.pt") -> Path:
    best = run_dir / "weights" / name
    if not best.exists():
        raise DredgeError(f"training finished without {best}; see the log above")
    return best


def refine(weights: Path, data_yaml: Path, run_dir: Path, recipe: Recipe, device: str) -> None:
    """The recipe's second stage: ``refine_epochs`` more from ``weights`` at ``refine_lr0``."""
    model = load_yolo(weights)
    with safe_loading():  # the trainer reloads its best.pt
        model.train(
            # trained weights keep their head (no box prior); no warm-up, which would undo it
            **_settings(data_yaml, run_dir, recipe, device, epochs=recipe.refine_epochs),
            lr0=recipe.refine_lr0,
            warmup_epochs=0.0,
            warmup_bias_lr=recipe.refine_lr0,
        )


def _fit(model: Any, data_yaml: Path, run_dir: Path, recipe: Recipe, device: str) -> None:
    """Call ultralytics' trainer with the recipe's settings."""
    with safe_loading():  # the trainer reloads its best.pt
        model.train(
            **_settings(data_yaml, run_dir, recipe, device, epochs=recipe.epochs),
            lr0=recipe.lr0,
            warmup_epochs=1.0,
            pretrained=False,
        )


def _settings(
    data_yaml: Path, run_dir: Path, recipe: Recipe, device: str, *, epochs: int
) -> dict[str, Any]:
    """Ultralytics' train settings shared by both stages of a recipe."""
    return {
        "trainer": small_object_trainer(),
        "data": str(data_yaml),
        "epochs": epochs,
        "imgsz": recipe.imgsz,
        "batch": recipe.batch,
        "nbs": recipe.batch,  # one optimizer step per batch: small CPU batches, few epochs
        "optimizer": "AdamW",
        "val": False,  # validated once, after the last epoch (val keeps every empty tile: slow)
        "device": device,
        "seed": recipe.seed,
        "deterministic": True,
        "workers": 0 if device == "cpu" else min(8, usable_cores()),
        "amp": False,  # the AMP check downloads weights; fp32 on CPU anyway
        "plots": False,  # plots download a font
        "close_mosaic": max(1, epochs // 5),
        "project": str(run_dir.parent.resolve()),
        "name": run_dir.name,
        "exist_ok": True,
        "verbose": False,
        "augmentations": satellite_augmentations(),
        **ultralytics_overrides(),
    }


def validate(weights: Path, data_yaml: Path, recipe: Recipe, *, device: str) -> dict[str, Any]:
    """Val-split metrics of ``weights``: per class, and the dredge class as ``val``; each with
    ``boxes``, the labelled boxes of it there (where ultralytics counts them).

    A class none of whose val boxes is labelled has no metric (ultralytics scores labelled
    classes only, and counts no box the model made of another): all are None (JSON ``null``),
    as ``dredge evaluate`` writes a recall or AP of 0 of 0; they were written 0.0, a model that
    finds none of that class. Each has ``predictions`` too, the boxes the model made of it on
    the val tiles (at ultralytics' val score floor, 0.001; :func:`counting_validator`): with
    none, its precision is None, 0 of 0, as ``dredge evaluate`` writes it (ultralytics gives
    0.0, which read as a model whose every box of it is wrong); recall, F1 and mAP are 0.
    """
    model = load_yolo(weights)
    with no_font_download(), safe_loading():
        result = model.val(
            validator=counting_validator(),
            data=str(data_yaml),
            split="val",
            imgsz=recipe.imgsz,
            batch=recipe.batch,
            device=device,
            plots=False,
            verbose=False,
            workers=0,
            project=str(weights.parent.parent.parent.resolve()),
            name="val",
            exist_ok=True,
        )
    counts = getattr(result, "nt_per_class", None)  # labelled boxes per class index
    made = getattr(result, "predictions_per_class", None)  # boxes made per class index
    per_class: dict[str, dict[str, Any]] = {}
    for position, index in enumerate(result.box.ap_class_index):
        p, r, ap50, ap = (float(v) for v in result.box.class_result(position))
        entry: dict[str, Any] = _metric_dict(p, r, ap50, ap)
        if counts is not None:
            entry["boxes"] = int(counts[int(index)])
        if made is not None:
            entry["predictions"] = int(made[int(index)]) if int(index) < len(made) else 0
            if not entry["predictions"]:  # no box made: precision 0 of 0, undefined
                entry["precision"] = None
        per_class[CLASSES[int(index)]] = entry
    classes = {name: per_class.get(name, _undefined()) for name in CLASSES}
    if made is not None:  # of a class none of whose boxes is labelled too
        for number, name in enumerate(CLASSES):
            classes[name].setdefault("predictions", int(made[number]) if number < len(made) else 0)
    mean = _undefined() if not per_class else _metric_dict(*map(float, result.box.mean_results()))
    mean.pop("boxes", None)
    return {
        "val": classes["dredge"],
        "val_scope": "class dredge, val tiles (whole (world, river) groups held out)",
        "val_classes": classes,
        "val_mean": mean,
    }


def val_line(val: dict[str, Any]) -> str:
    """``dredge train``'s line for people on the val-split dredge scores ``val`` (a card's
    ``metrics["val"]``): ``–`` for a null figure, and what it means where no dredge is
    labelled there (every figure null; 0 of 0) or where the model made no dredge box there
    (precision null, 0 of 0)."""
    keys = ("precision", "recall", "f1", "mAP50")
    if all(val.get(key) is None for key in keys):
        return "val (dredge): no labelled dredge on the val tiles, nothing to score (all –)"
    if val.get("precision") is None:  # no box made: 0 of 0 (cards before wrote 0.0)
        return "val (dredge): the model made no dredge box on the val tiles (precision –), " + (
            ", ".join(f"{key} {score_text(val.get(key))}" for key in keys[1:])
        )
    return "val (dredge): " + ", ".join(f"{key} {score_text(val.get(key))}" for key in keys)


def _undefined() -> dict[str, Any]:
    """The metrics of a class none of whose val boxes is labelled: 0 of 0, null."""
    return dict.fromkeys(("precision", "recall", "f1", "mAP50", "mAP50-95"), None) | {"boxes": 0}


def _metric_dict(p: float, r: float, ap50: float, ap: float) -> dict[str, float]:
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "mAP50": round(ap50, 4),
        "mAP50-95": round(ap, 4),
    }
