"""Training recipes: from synthetic worlds to the bundled weights and their model card.

``dredge train --recipe default`` (and ``make model``) runs :func:`train_default`:

1. generate the training worlds with :func:`training.synth.world.write_world` (reused when a
   folder already holds the same world);
2. build a YOLO dataset with :func:`training.dataset.build_yolo_dataset` (the project's own
   tiler, split by world and river) at the detector's GSD (3 m, PlanetScope's own; GSD and
   architecture chosen by measurement in ``benchmarks/results/gsd_choice.md``), in 128 px
   training chips (the detector then runs on 256 px tiles; see :attr:`Recipe.train_spec`);
3. train :data:`ARCHITECTURE` (YOLO11 blocks with heads at strides 4 and 8, for few-pixel
   objects) from scratch with ultralytics (offline, seeded, deterministic), the
   satellite augmentation of :mod:`training.augment`, and :func:`small_box_prior`, without
   which YOLO never assigns a single anchor to a few-pixel dredge; then, with
   :attr:`Recipe.refine_epochs`, continue from those weights at a lower rate (:func:`refine`);
   then, for each of :attr:`Recipe.extensions`, one more stage at that rate on a dataset from
   *other* worlds (:class:`Extension`, :func:`extend_on_worlds`): more dredges seen, and a val
   split that no stage trained on;
4. validate the final weights on the val split and write ``dredge-yolo11-p2.pt`` with its card
   ``dredge-yolo11-p2.card.json`` (the format :mod:`detector.card` reads).

**Reserved world seeds.** Training worlds use seeds :data:`TRAINING_SEEDS` (101–199) only.
Seeds 1–20 belong to the tests, benchmarks and the demo, and must never be trained on, so that
every evaluation there runs on worlds the model has not seen; seeds from 200 on are free for
held-out evaluation.

Trains on a GPU (``device="cuda"``) when asked; the bundled model was trained on CPU, at a size
that fits in about 2 h 40 min on two cores (its card records the run, stage by stage).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from detector.card import ModelCard, file_sha256, load_card
from detector.errors import DredgeError
from detector.inputspec import InputSpec
from detector.offline import import_ultralytics
from training.augment import satellite_augmentations, ultralytics_overrides
from training.dataset import CLASSES, DatasetSummary, build_yolo_dataset
from training.processes import usable_cores
from training.synth.world import TRAINING_SEEDS  # reserved for training worlds

MODEL_NAME = "dredge-yolo11-p2"
WEIGHTS_NAME = f"{MODEL_NAME}.pt"
CARD_NAME = f"{MODEL_NAME}.card.json"
ARCHITECTURE = Path(__file__).parent / "models" / "dredge-yolo11-p2.yaml"
DEVICES = ("cpu", "cuda")
BOX_PRIOR_DECAY = 1.0  # see small_box_prior


@dataclass(frozen=True)
class Extension:
    """A later stage: ``epochs`` more at the recipe's ``refine_lr0`` on other worlds."""

    world_seeds: tuple[int, ...]
    epochs: int


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a trained model, so that a name reproduces it."""

    name: str
    world_seeds: tuple[int, ...]
    world_size: str
    spec: InputSpec  # what the detector reads (the card's ``input``)
    epochs: int
    imgsz: int
    batch: int
    negatives: float  # empty tiles per positive tile in train
    val_fraction: float
    seed: int = 0
    train_tile_px: int | None = None  # training chips, when smaller than the detector's tiles
    train_overlap_px: int = 16
    lr0: float = 0.002  # AdamW
    architecture: str = str(ARCHITECTURE)  # an ultralytics model YAML
    # a second stage from the first one's weights: a lower rate, no warm-up (see train_yolo)
    refine_epochs: int = 0
    refine_lr0: float = 0.0005
    # stages 3, 4, …: each from the previous one's weights at refine_lr0, on its own worlds
    extensions: tuple[Extension, ...] = ()

    @property
    def train_spec(self) -> InputSpec:
        """The spec of the training chips: the detector's, cut to ``train_tile_px``.

        A dredge is a few pixels wide and its context a few tens, so chips smaller than the
        detector's tiles teach the same thing at a fraction of the cost per image; the network
        is convolutional and runs on the full tiles unchanged (same GSD and scaling).
        """
        if self.train_tile_px is None:
            return self.spec
        return replace(self.spec, tile_px=self.train_tile_px, overlap_px=self.train_overlap_px)

    def __post_init__(self) -> None:
        later = [seed for stage in self.extensions for seed in stage.world_seeds]
        seeds = (*self.world_seeds, *later)
        outside = [s for s in seeds if s not in TRAINING_SEEDS]
        if outside or not self.world_seeds:
            raise DredgeError(
                f"training world seeds must be in {TRAINING_SEEDS.start}–{TRAINING_SEEDS.stop - 1}"
                f" (1–20 are for tests, benchmarks and the demo), got {list(seeds)}"
            )
        if len(set(seeds)) != len(seeds):
            raise DredgeError(
                "each later stage's worlds must differ from the other stages' (a val split that"
                f" no stage trained on), got {list(seeds)}"
            )
        if any(stage.epochs < 1 or not stage.world_seeds for stage in self.extensions):
            raise DredgeError("each later stage needs epochs ≥ 1 and at least one world seed")
        if self.epochs < 1 or self.imgsz < 32 or self.batch < 1 or self.refine_epochs < 0:
            raise DredgeError(
                f"epochs, imgsz and batch must be ≥ 1, ≥ 32, ≥ 1; got {self.epochs}, "
                f"{self.imgsz}, {self.batch}"
            )


# 3 m with heads at strides 4 and 8: as good as yolo11n on 1.5 m upsampled tiles at a quarter
# of the pixels; see benchmarks/results/gsd_choice.md
DEFAULT_SPEC = InputSpec(
    bands=("red", "green", "blue"), gsd_m=3.0, tile_px=256, overlap_px=32, scale="display"
)
RECIPES = {
    "default": Recipe(
        name="default",
        world_seeds=tuple(range(101, 110)),
        world_size="small",
        spec=DEFAULT_SPEC,
        epochs=30,
        imgsz=128,
        batch=8,
        negatives=0.5,
        val_fraction=0.25,
        train_tile_px=128,
        # chosen on validation world seed 2 (never reported): F1 at 15 m 0.783 → 0.830
        refine_epochs=20,
        extensions=(
            # three times the worlds again, for the dredges moored side by side that it missed
            Extension(tuple(range(110, 137)), epochs=15),
            # the loss was still falling: as many again, new worlds
            Extension(tuple(range(137, 164)), epochs=15),
        ),
    ),
}


@dataclass
class TrainResult:
    """Where a training run put its results, and what it measured."""

    weights: Path
    card: Path
    metrics: dict[str, Any]
    duration_s: float


# --- worlds ----------------------------------------------------------------------------------


def make_worlds(
    seeds: Sequence[int], size: str, folder: Path, *, progress: bool = True, workers: int = 1
) -> list[Path]:
    """Generate one world per seed under ``folder`` (``seed-<n>``); reuse identical ones.

    With ``workers`` above :data:`training.synth.world.RENDER_WORKERS` (the processes that
    render one world's scenes), draws up to that many worlds at once, one process each (each
    renders its scenes alone; fewer when their scenes would not fit in memory together); else
    one after another, each with :func:`write_world`'s own processes. Measured on 2 cores with
    torch loaded, as under ``dredge train``: two worlds in 46.1 s one after another, 55.4 s
    side by side.
    """
    from rich.progress import Progress

    from training.processes import in_processes
    from training.synth.world import (
        RENDER_WORKERS,
        WorldConfig,
        is_same_world,
        workers_that_fit,
        write_world,
    )

    paths = [folder / f"seed-{seed}" for seed in seeds]
    todo = [
        (WorldConfig(seed=seed, size=size), path)
        for seed, path in zip(seeds, paths, strict=True)
        if not is_same_world(path, WorldConfig(seed=seed, size=size))
    ]
    if todo:  # one scene in each worker at a time: as many as fit in memory
        workers = workers_that_fit(todo[0][0], len(todo), most=workers)
    if workers > RENDER_WORKERS and len(todo) > 1:
        if progress:
            print(f"generating {len(todo)} training worlds ({size}) in {folder}", flush=True)
        with Progress(disable=not progress, transient=True) as bar:
            task = bar.add_task(f"drawing {len(todo)} worlds, {workers} at a time", total=len(todo))
            in_processes(
                _draw_world, todo, workers, done=lambda: bar.advance(task), what=str(folder)
            )
        return paths
    for config, path in todo:
        if progress:
            print(f"generating training world seed {config.seed} ({size}) in {path}", flush=True)
        write_world(config, path, overwrite=True, progress=progress)
    return paths


def _draw_world(config: Any, path: Path) -> str:
    """One world in one worker process (its scenes rendered there, one after another)."""
    from training.synth.world import write_world

    return write_world(config, path, overwrite=True, workers=1)


# --- recipes ---------------------------------------------------------------------------------


def train_default(
    out_dir: Path,
    *,
    epochs: int | None = None,
    imgsz: int | None = None,
    device: str = "cpu",
    worlds: int | None = None,
    seed: int = 0,
    progress: bool = True,
    workers: int = 1,
) -> TrainResult:
    """Run the ``default`` recipe into ``out_dir``; arguments override the recipe's values.

    ``workers``: processes that draw the worlds and cut their chips (the model is the same
    for any number).

    ``worlds`` takes the first that many of the recipe's world seeds (more: the next reserved
    seeds; the later stages' worlds follow them, as many as the recipe's, while reserved seeds
    last). Writes ``out_dir/worlds``, ``out_dir/dataset``, ``out_dir/yolo`` and
    ``out_dir/yolo-refine`` (ultralytics' runs), each later stage's ``out_dir/dataset-stageN``
    and ``out_dir/yolo-stageN`` (N = 3, 4, …), ``out_dir/dredge-yolo11-p2.pt`` and
    ``out_dir/dredge-yolo11-p2.card.json``.
    """
    recipe = RECIPES["default"]
    seeds, extensions = recipe.world_seeds, recipe.extensions
    if epochs is not None and epochs < 1:
        raise DredgeError(f"--epochs must be at least 1, got {epochs}")
    if imgsz is not None and (imgsz < 32 or imgsz % 32):
        raise DredgeError(f"--imgsz must be a multiple of 32 (≥ 32), got {imgsz}")
    if worlds is not None:
        if worlds < 1:
            raise DredgeError(f"--worlds must be at least 1, got {worlds}")
        seeds = tuple(TRAINING_SEEDS)[:worlds]
        extensions = _shift_extensions(recipe.extensions, worlds)
    recipe = replace(
        recipe,
        world_seeds=seeds,
        extensions=extensions,
        epochs=recipe.epochs if epochs is None else epochs,
        imgsz=recipe.imgsz if imgsz is None else imgsz,
        seed=seed,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    world_paths = make_worlds(
        recipe.world_seeds, recipe.world_size, out_dir / "worlds", progress=progress,
        workers=workers,
    )  # fmt: skip
    result = train_on_worlds(
        world_paths,
        out_dir,
        recipe,
        device=device,
        progress=progress,
        command=_command(recipe),
        workers=workers,
    )
    for stage in recipe.extensions:
        stage_worlds = make_worlds(
            stage.world_seeds, recipe.world_size, out_dir / "worlds", progress=progress,
            workers=workers,
        )  # fmt: skip
        result = extend_on_worlds(
            result.weights,
            stage_worlds,
            out_dir,
            recipe,
            epochs=stage.epochs,
            device=device,
            progress=progress,
            workers=workers,
        )
    return result


def _shift_extensions(extensions: Sequence[Extension], first: int) -> tuple[Extension, ...]:
    """The later stages with their worlds on the reserved seeds after the first ``first``."""
    shifted, start = [], first
    for stage in extensions:
        seeds = tuple(TRAINING_SEEDS)[start : start + len(stage.world_seeds)]
        start += len(stage.world_seeds)
        if seeds:  # reserved seeds ran out: fewer (or no) later stages
            shifted.append(replace(stage, world_seeds=seeds))
    return tuple(shifted)


def _command(recipe: Recipe) -> str:
    default = RECIPES["default"]
    parts = [f"dredge train --recipe {recipe.name}"]
    if recipe.epochs != default.epochs:
        parts.append(f"--epochs {recipe.epochs}")
    if recipe.imgsz != default.imgsz:
        parts.append(f"--imgsz {recipe.imgsz}")
    if recipe.world_seeds != default.world_seeds:
        parts.append(f"--worlds {len(recipe.world_seeds)}")
    if recipe.seed != default.seed:
        parts.append(f"--seed {recipe.seed}")
    return " ".join(parts)


def train_on_worlds(
    worlds: Sequence[Path],
    out_dir: Path,
    recipe: Recipe,
    *,
    device: str = "cpu",
    progress: bool = True,
    command: str = "",
    workers: int = 1,
) -> TrainResult:
    """Build the dataset from ``worlds``, train, validate, and write weights and card."""
    check_device(device)
    started = time.monotonic()
    summary = _dataset(worlds, out_dir / "dataset", recipe, progress, workers)
    best = train_yolo(summary.data_yaml, out_dir / "yolo", recipe, device=device)
    metrics = validate(best, summary.data_yaml, recipe, device=device)
    weights = out_dir / WEIGHTS_NAME
    shutil.copyfile(best, weights)
    duration = time.monotonic() - started
    card = write_card(
        out_dir / CARD_NAME,
        weights,
        recipe,
        summary,
        metrics,
        device=device,
        duration_s=duration,
        command=command or f"dredge train --recipe {recipe.name}",
    )
    return TrainResult(weights, card, metrics, duration)


def _dataset(
    worlds: Sequence[Path], root: Path, recipe: Recipe, progress: bool, workers: int = 1
) -> DatasetSummary:
    """Build a stage's dataset in ``root`` from ``worlds`` with the recipe's settings."""
    summary = build_yolo_dataset(
        worlds,
        root,
        recipe.train_spec,
        val_fraction=recipe.val_fraction,
        seed=recipe.seed,
        negatives=recipe.negatives,
        overwrite=True,
        progress=progress,
        workers=workers,
    )
    if progress:
        print(summary.line(), flush=True)
    if summary.splits["val"].tiles == 0 or summary.splits["train"].tiles == 0:
        raise DredgeError(f"the dataset in {root} has an empty split; add worlds or rivers")
    return summary


def extend_on_worlds(
    weights: Path,
    worlds: Sequence[Path],
    out_dir: Path,
    recipe: Recipe,
    *,
    epochs: int,
    device: str = "cpu",
    progress: bool = True,
    command: str = "",
    workers: int = 1,
) -> TrainResult:
    """A later stage (3, 4, …): ``epochs`` more from ``weights`` on other worlds.

    ``weights`` are the previous stage's, with their card beside them; the stage's number N
    follows the stages that card records. Builds ``out_dir/dataset-stageN`` from ``worlds``
    (none of the earlier stages'), continues at ``refine_lr0`` without warm-up in
    ``out_dir/yolo-stageN`` (:func:`refine`), validates the last epoch on that dataset's val
    split, which no stage trained on, and writes ``out_dir/dredge-yolo11-p2.pt`` with a card
    that keeps the earlier stages' record and appends this stage to ``training.extend``.
    """
    check_device(device)
    base = load_card(weights)
    earlier = later_stages(base.training)
    number = 3 + len(earlier)
    started = time.monotonic()
    summary = _dataset(worlds, out_dir / f"dataset-stage{number}", recipe, progress, workers)
    run_dir = out_dir / f"yolo-stage{number}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    with no_font_download():
        refine(weights, summary.data_yaml, run_dir, replace(recipe, refine_epochs=epochs), device)
    final = _best_weights(run_dir, "last.pt")  # the stage's final weights, as measured
    metrics = validate(final, summary.data_yaml, recipe, device=device)
    metrics["val_scope"] = (
        f"class dredge, val tiles of stage {number}'s worlds (whole (world, river) groups that "
        "no stage trained on)"
    )
    target = out_dir / WEIGHTS_NAME
    shutil.copyfile(final, target)
    duration = time.monotonic() - started
    train, val = summary.splits["train"], summary.splits["val"]
    training = {
        **base.training,
        "extend": [
            *earlier,
            {
                "stage": number,
                "data": describe_worlds(summary.worlds),
                "epochs": epochs,
                "lr0": recipe.refine_lr0,
                "from_sha256": base.sha256,
                "tiles": {"train": train.tiles, "val": val.tiles},
                "instances": dict(train.instances),
                "val_instances": dict(val.instances),
                "device": device,
                "duration_s": round(duration, 1),
            },
        ],
        "duration_s": round(float(base.training.get("duration_s", 0.0)) + duration, 1),
        "command": command or base.training.get("command", f"dredge train --recipe {recipe.name}"),
        "recipe_values": _recipe_json(recipe),
    }
    card = ModelCard.describe(
        target,
        name=base.name,
        classes=base.classes,
        input=base.input,
        training=training,
        metrics=metrics,
    )
    card_path = card.save(out_dir / CARD_NAME)
    return TrainResult(target, card_path, metrics, duration)


def later_stages(training: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of stages 3, 4, … in a card's ``training`` (``training.extend``).

    Cards written before there could be more than one later stage hold a single record.
    """
    extend = training.get("extend", [])
    records = [extend] if isinstance(extend, dict) else list(extend)
    return [{"stage": 3 + i, **record} for i, record in enumerate(records)]


def check_device(device: str) -> None:
    """Raise DredgeError for an unknown device, or CUDA on a machine without it."""
    if device not in DEVICES and not device.startswith("cuda:"):
        raise DredgeError(f"--device must be cpu or cuda (or cuda:N), got {device!r}")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise DredgeError("--device cuda: no CUDA GPU is visible here — use --device cpu")


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
def _small_object_trainer() -> type:
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


def train_yolo(data_yaml: Path, run_dir: Path, recipe: Recipe, *, device: str) -> Path:
    """Train :data:`ARCHITECTURE` from scratch on ``data_yaml``; return the best weights' path.

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
    best = _best_weights(run_dir)
    if recipe.refine_epochs:
        with no_font_download():
            refine(best, data_yaml, refine_dir, recipe, device)
        best = _best_weights(refine_dir, "last.pt")  # the stage's final weights, as measured
    return best


def _best_weights(run_dir: Path, name: str = "best.pt") -> Path:
    best = run_dir / "weights" / name
    if not best.exists():
        raise DredgeError(f"training finished without {best}; see the log above")
    return best


def refine(weights: Path, data_yaml: Path, run_dir: Path, recipe: Recipe, device: str) -> None:
    """The recipe's second stage: ``refine_epochs`` more from ``weights`` at ``refine_lr0``."""
    ultralytics = import_ultralytics()
    model = ultralytics.YOLO(str(weights))
    model.train(
        # trained weights keep their head (no box prior); no warm-up, which would undo it
        **_settings(data_yaml, run_dir, recipe, device, epochs=recipe.refine_epochs),
        lr0=recipe.refine_lr0,
        warmup_epochs=0.0,
        warmup_bias_lr=recipe.refine_lr0,
    )


def _fit(model: Any, data_yaml: Path, run_dir: Path, recipe: Recipe, device: str) -> None:
    """Call ultralytics' trainer with the recipe's settings."""
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
        "trainer": _small_object_trainer(),
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
    """Val-split metrics of ``weights``: per class, and the dredge class as ``val``."""
    ultralytics = import_ultralytics()
    model = ultralytics.YOLO(str(weights))
    with no_font_download():
        result = model.val(
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
    per_class = {}
    for position, index in enumerate(result.box.ap_class_index):
        p, r, ap50, ap = (float(v) for v in result.box.class_result(position))
        per_class[CLASSES[int(index)]] = _metric_dict(p, r, ap50, ap)
    mp, mr, map50, map_ = (float(v) for v in result.box.mean_results())
    empty = _metric_dict(0.0, 0.0, 0.0, 0.0)
    return {
        "val": per_class.get("dredge", empty),
        "val_scope": "class dredge, val tiles (whole (world, river) groups held out)",
        "val_classes": {name: per_class.get(name, empty) for name in CLASSES},
        "val_mean": _metric_dict(mp, mr, map50, map_),
    }


def _metric_dict(p: float, r: float, ap50: float, ap: float) -> dict[str, float]:
    f1 = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f1, 4),
        "mAP50": round(ap50, 4),
        "mAP50-95": round(ap, 4),
    }


# --- card ------------------------------------------------------------------------------------


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
            "recipe_values": _recipe_json(recipe),
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


def _recipe_json(recipe: Recipe) -> dict[str, Any]:
    values = asdict(recipe)
    values["spec"]["bands"] = list(recipe.spec.bands)
    values["world_seeds"] = list(recipe.world_seeds)
    values["extensions"] = [
        {"world_seeds": list(stage.world_seeds), "epochs": stage.epochs}
        for stage in recipe.extensions
    ]
    return values


def check_install_target(weights_dir: Path, *, overwrite: bool = False) -> None:
    """Raise DredgeError when ``weights_dir`` holds a model and ``overwrite`` is not set."""
    names = (WEIGHTS_NAME, CARD_NAME, f"{MODEL_NAME}.onnx")
    present = [str(weights_dir / n) for n in names if (weights_dir / n).exists()]
    if present and not overwrite:
        raise DredgeError(
            f"{', '.join(present)} already exist(s) — pass --overwrite to replace the bundled model"
        )


def install(run_dir: Path, weights_dir: Path, *, overwrite: bool = False) -> list[Path]:
    """Copy a run's weights and card into ``weights_dir`` (the package's bundled model).

    Also exports the weights to ONNX beside them and records the export in the card
    (``onnx``, ``onnx_sha256``), so that the default CPU backend needs no export at run time.
    """
    from detector.model import export_onnx

    sources = [run_dir / WEIGHTS_NAME, run_dir / CARD_NAME]
    missing = [str(s) for s in sources if not s.exists()]
    if missing:
        raise DredgeError(f"{run_dir}: no {', '.join(missing)} — the training did not finish")
    check_install_target(weights_dir, overwrite=overwrite)
    weights_dir.mkdir(parents=True, exist_ok=True)
    targets = [weights_dir / s.name for s in sources]
    for source, target in zip(sources, targets, strict=True):
        shutil.copyfile(source, target)
    weights, card_path = targets
    onnx = export_onnx(weights, weights.with_suffix(".onnx"))
    card = load_card(weights)
    replace(card, onnx=onnx.name, onnx_sha256=file_sha256(onnx)).save(card_path)
    return [*targets, onnx]
