"""Training: from synthetic worlds to the bundled weights and their model card.

``dredge train --recipe default`` (and ``make model``) runs :func:`train_default` with the
recipe of :data:`training.recipes.RECIPES`:

1. generate the training worlds with :func:`training.train_worlds.make_worlds` (reused when a
   folder already holds the same world);
2. build a YOLO dataset with :func:`training.dataset.build_yolo_dataset` (the project's own
   tiler, split by world and river) at the detector's GSD (3 m, PlanetScope's own; GSD and
   architecture chosen by measurement in ``benchmarks/results/gsd_choice.md``), in 128 px
   training chips (the detector then runs on 256 px tiles; see
   :attr:`training.recipes.Recipe.train_spec`);
3. train :data:`training.recipes.ARCHITECTURE` (YOLO11 blocks with heads at strides 4 and 8,
   for few-pixel objects) from scratch with ultralytics (:mod:`training.yolo_fit`: offline,
   seeded, deterministic), the satellite augmentation of :mod:`training.augment`, and
   :func:`training.yolo_fit.small_box_prior`, without which YOLO never assigns a single anchor
   to a few-pixel dredge; then, with ``Recipe.refine_epochs``, continue from those weights at a
   lower rate (:func:`training.yolo_fit.refine`); then, for each of ``Recipe.extensions``, one
   more stage at that rate on a dataset from *other* worlds
   (:class:`training.recipes.Extension`, :func:`extend_on_worlds`): more dredges seen, and a
   val split that no stage trained on;
4. validate the final weights on the val split and write ``dredge-yolo11-p2.pt`` with its card
   ``dredge-yolo11-p2.card.json`` (:func:`training.train_card.write_card`, in the format
   :mod:`detector.card` reads).

**Reserved world seeds.** Training worlds use seeds
:data:`training.synth.world.TRAINING_SEEDS` (101–199) only. Seeds 1–20 belong to the tests,
benchmarks and the demo, and must never be trained on, so that every evaluation there runs on
worlds the model has not seen; seeds from 200 on are free for held-out evaluation.

Trains on a GPU (``device="cuda"``, or ``"cuda:N"`` for GPU N) when asked; the bundled model
was trained on CPU, at a size that fits in about 2 h 40 min on two cores (its card records the
run, stage by stage).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from detector.card import ModelCard, file_sha256, load_card
from detector.errors import DredgeError
from detector.run_lock import INSTALL_COMMAND, run_lock
from detector.wording import agree, count_of
from training.dataset import DatasetSummary, build_yolo_dataset
from training.recipes import (
    CARD_NAME,
    MODEL_NAME,
    RECIPES,
    WEIGHTS_NAME,
    Extension,
    Recipe,
    recipe_json,
)
from training.synth.world import TRAINING_SEEDS  # reserved for training worlds
from training.train_card import describe_worlds, write_card
from training.train_worlds import make_worlds
from training.yolo_fit import (
    best_weights,
    check_device,
    no_font_download,
    refine,
    train_yolo,
    validate,
)

MODEL_FILES = (WEIGHTS_NAME, CARD_NAME, f"{MODEL_NAME}.onnx")  # what an install places
# the model the last install replaced, kept in this folder of the weights folder: one
# generation (the next install replaces it), never read as the model (that is the weights
# folder's own MODEL_FILES), and not packaged (pyproject's package data: weights/* files)
PREVIOUS_DIR = "previous"


@dataclass
class TrainResult:
    """Where a training run put its results, and what it measured."""

    weights: Path
    card: Path
    metrics: dict[str, Any]
    duration_s: float


# --- recipes ---------------------------------------------------------------------------------


def train_default(
    out_dir: str | Path,
    *,
    epochs: int | None = None,
    imgsz: int | None = None,
    device: str = "cpu",
    worlds: int | None = None,
    seed: int = 0,
    progress: bool = True,
    workers: int = 1,
    on_start: Callable[[], None] | None = None,
) -> TrainResult:
    """Run the ``default`` recipe into ``out_dir``; arguments override the recipe's values
    (``imgsz``: the training chips' size too, cut at the recipe's GSD, never resized).
    ``on_start`` is called once the arguments are checked, before the first world is drawn.

    ``workers``: processes that draw the worlds and cut their chips (the model is the same
    for any number).

    ``worlds`` takes the first that many of the recipe's world seeds (more: the next reserved
    seeds; the later stages' worlds follow them, as many as the recipe's, while reserved seeds
    last). Writes ``out_dir/worlds``, ``out_dir/dataset``, ``out_dir/yolo`` and
    ``out_dir/yolo-refine`` (ultralytics' runs), each later stage's ``out_dir/dataset-stageN``
    and ``out_dir/yolo-stageN`` (N = 3, 4, …), ``out_dir/dredge-yolo11-p2.pt`` and
    ``out_dir/dredge-yolo11-p2.card.json``. ``out_dir`` may be a ``str`` or a
    :class:`~pathlib.Path`.
    """
    out_dir = Path(out_dir)  # a str: "unsupported operand type(s) for /"
    recipe = RECIPES["default"]
    seeds, extensions = recipe.world_seeds, recipe.extensions
    check_device(device)  # before the worlds are drawn (minutes), not after
    if (out_dir / "run.json").is_file():  # LABELS forgotten: the recipe drew worlds into it
        raise DredgeError(
            f"{out_dir}: holds the run of another command (its run.json: `dredge train LABELS` "
            "or `dredge run`), and the synthetic recipe writes worlds/, dataset/ and yolo/ "
            "there — give the LABELS to fine-tune, or choose another --out for the recipe"
        )
    if epochs is not None and epochs < 1:
        raise DredgeError(f"--epochs must be at least 1, got {epochs}")
    if imgsz is not None and (imgsz < 32 or imgsz % 32):
        raise DredgeError(f"--imgsz must be a multiple of 32 (≥ 32), got {imgsz}")
    if worlds is not None:
        if not 1 <= worlds <= len(TRAINING_SEEDS):
            # more were taken as all 99 reserved seeds, without the later stages, without a word
            raise DredgeError(
                f"--worlds must be 1–{len(TRAINING_SEEDS)} (the reserved training seeds "
                f"{TRAINING_SEEDS.start}–{TRAINING_SEEDS.stop - 1}), got {worlds}"
            )
        seeds = tuple(TRAINING_SEEDS)[:worlds]
        extensions = _shift_extensions(recipe.extensions, worlds)
    recipe = replace(
        recipe,
        world_seeds=seeds,
        extensions=extensions,
        epochs=recipe.epochs if epochs is None else epochs,
        imgsz=recipe.imgsz if imgsz is None else imgsz,
        # the chips are cut at the size trained on: 128 px chips trained at --imgsz 64 were
        # shrunk to it by ultralytics, a model of 6 m pixels under a card saying 3 m
        train_tile_px=recipe.train_tile_px if imgsz is None else imgsz,
        seed=seed,
    )
    if on_start is not None:
        on_start()
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
    worlds: Sequence[str | Path],
    out_dir: str | Path,
    recipe: Recipe,
    *,
    device: str = "cpu",
    progress: bool = True,
    command: str = "",
    workers: int = 1,
) -> TrainResult:
    """Build the dataset from ``worlds``, train, validate, and write weights and card. Paths
    may be ``str`` or :class:`~pathlib.Path`."""
    out_dir = Path(out_dir)
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
    worlds: Sequence[str | Path], root: Path, recipe: Recipe, progress: bool, workers: int = 1
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
    weights: str | Path,
    worlds: Sequence[str | Path],
    out_dir: str | Path,
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
    ``out_dir/yolo-stageN`` (:func:`training.yolo_fit.refine`), validates the last epoch on that
    dataset's val split, which no stage trained on, and writes ``out_dir/dredge-yolo11-p2.pt`` with
    a card that keeps the earlier stages' record and appends this stage to ``training.extend``.
    Paths may be ``str`` or :class:`~pathlib.Path`.
    """
    weights, out_dir = Path(weights), Path(out_dir)
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
    final = best_weights(run_dir, "last.pt")  # the stage's final weights, as measured
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
        "recipe_values": recipe_json(recipe),
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


def check_install_target(weights_dir: Path, *, overwrite: bool = False) -> None:
    """Raise DredgeError when ``weights_dir`` holds a model and ``overwrite`` is not set. The
    files an install that was stopped set aside (``.install-*/replaced``) count as there: the
    next install puts them back (:func:`remove_stale_installs`). :func:`install` calls it while
    holding the folder's lock, where no other install's folder is among them, and so does
    `dredge train --install` before it trains (:func:`install_lock`)."""
    present = [str(weights_dir / n) for n in MODEL_FILES if (weights_dir / n).exists()]
    present += [
        str(aside / n)
        for aside in sorted(weights_dir.glob(".install-*/replaced"))
        for n in MODEL_FILES
        if (aside / n).exists() and str(weights_dir / n) not in present
    ]
    if present and not overwrite:
        raise DredgeError(
            f"{', '.join(present)} already {agree(len(present), 'exists', 'exist')} — pass "
            "--overwrite to replace the bundled model"
        )


def install(
    run_dir: Path,
    weights_dir: Path,
    *,
    overwrite: bool = False,
    echo: Callable[[str], object] = print,
) -> list[Path]:
    """Copy a run's weights and card into ``weights_dir`` (the package's bundled model).

    Also exports the weights to ONNX beside them and records the export in the card
    (``onnx``, ``onnx_sha256``), so that the default CPU backend needs no export at run time.
    All or nothing: the three files are made in a hidden ``.install-*`` folder inside
    ``weights_dir`` and moved into place at the end; if anything fails (the export), the model
    there stays as it was. The model it replaces is kept in ``weights_dir/previous`` until the
    next install (one generation; ``echo`` says so, and how to put it back). One install at a
    time holds the folder's run lock (:func:`detector.run_lock.run_lock`; a second is refused
    in one line, with --overwrite or without, before :func:`check_install_target` looks at
    the folder), so the ``.install-*`` folders it finds there were left by an install that was
    killed: they are removed, the previous model's files such an install had set aside put
    back first where the folder holds no whole model (:func:`remove_stale_installs`), and
    ``echo`` says so in one line.
    """
    _check_run(run_dir)
    weights_dir.mkdir(parents=True, exist_ok=True)
    with install_lock(weights_dir):  # first: a live install's set-aside files are not a
        return install_held(run_dir, weights_dir, overwrite=overwrite, echo=echo)  # model


def install_lock(weights_dir: Path) -> AbstractContextManager[None]:
    """The weights folder's install lock (its run lock, naming ``dredge train --install``):
    :func:`install` holds it while it installs; `dredge train --install` from its check of the
    folder, before the training, to its install (:func:`install_held`), so that a second one,
    started while the first trains, is refused in one line before it trains too."""
    return run_lock(weights_dir, INSTALL_COMMAND)


def install_held(
    run_dir: Path,
    weights_dir: Path,
    *,
    overwrite: bool = False,
    echo: Callable[[str], object] = print,
) -> list[Path]:
    """:func:`install`, the caller holding ``weights_dir``'s :func:`install_lock`; the model it
    replaces is kept in ``weights_dir/previous`` (:data:`PREVIOUS_DIR`), and ``echo`` says so."""
    sources = _check_run(run_dir)
    check_install_target(weights_dir, overwrite=overwrite)
    removed, restored = remove_stale_installs(weights_dir)
    if removed:
        echo(
            f"{weights_dir}: removed {count_of(len(removed), 'folder')} left by an install "
            f"that was stopped ({', '.join(path.name for path in removed)})"
            + (
                f"; put back the previous model's {', '.join(restored)} it had set aside"
                if restored
                else ""
            )
        )
    placed, kept = _install_staged(sources, weights_dir)
    if kept is not None:
        echo(_kept_line(kept, weights_dir))
    return placed


def _kept_line(kept: Path, weights_dir: Path) -> str:
    """The line that says where the replaced model is kept and how to put it back."""
    try:
        card = load_card(kept / WEIGHTS_NAME)
        what = f" ({card.name}, sha256 {card.sha256[:12]}…)"
    except (DredgeError, OSError, ValueError):  # a hand-placed model without its card
        what = ""
    return (
        f"{weights_dir}: the model it replaced{what} is kept in {kept} until the next "
        f"install — to put it back: cp {kept}/* {weights_dir}/"
    )


def _check_run(run_dir: Path) -> list[Path]:
    """The run's weights and card; DredgeError where one is missing."""
    sources = [run_dir / WEIGHTS_NAME, run_dir / CARD_NAME]
    missing = [str(s) for s in sources if not s.exists()]
    if missing:
        raise DredgeError(f"{run_dir}: no {', '.join(missing)} — the training did not finish")
    return sources


def remove_stale_installs(weights_dir: Path) -> tuple[list[Path], list[str]]:
    """Delete the ``.install-*`` staging folders in ``weights_dir``; return them, and the names
    of the files put back from them. Call it only while holding the folder's run lock: another
    install's folder then cannot be among them.

    An install killed while moving files left the previous model's files set aside in its
    ``replaced`` folder and the weights folder without a whole model (some of the old files,
    or some of the new). Unless the weights folder holds a whole model (a ``.pt`` and card
    that agree, and the ``.onnx`` the card names: the install had finished), the set-aside
    files are put back first: the old model, whole, never a mix of the two."""
    stale = sorted(path for path in weights_dir.glob(".install-*") if path.is_dir())
    restored: list[str] = []
    for path in stale:
        restored += _put_back_set_aside(path, weights_dir)
        shutil.rmtree(path, ignore_errors=True)
    return stale, restored


def _put_back_set_aside(staging: Path, weights_dir: Path) -> list[str]:
    """Move the files in ``staging/replaced`` back into ``weights_dir`` unless it holds a
    whole model (the stopped install had finished); return their names."""
    aside = staging / "replaced"
    names = [name for name in MODEL_FILES if (aside / name).is_file()]
    if not names:
        return []
    if whole_model(weights_dir):  # the install had placed the new model: keep the old one
        if whole_model(aside):  # (not a part of one: a deletion of the folder stopped)
            _keep_previous(aside, weights_dir, staging)
        return []
    for name in names:  # the new files are placed (.pt, card, .onnx) once all old ones are
        os.replace(aside / name, weights_dir / name)  # set aside: the old over them, no mix
    return names


def whole_model(weights_dir: Path) -> bool:
    """True when ``weights_dir`` holds the ``.pt`` and card of one model (the card's sha256
    that of the ``.pt``) and the ``.onnx`` the card names, if it names one, with its sha256."""
    try:
        card = load_card(weights_dir / WEIGHTS_NAME)
        return card.onnx is None or file_sha256(weights_dir / card.onnx) == card.onnx_sha256
    except (DredgeError, OSError, ValueError):
        return False


def _install_staged(sources: list[Path], weights_dir: Path) -> tuple[list[Path], Path | None]:
    """The three files made in a ``.install-*`` folder, then moved into ``weights_dir``; and
    the folder the model they replaced is kept in (None: there was none)."""
    from detector.model import export_onnx

    with tempfile.TemporaryDirectory(prefix=".install-", dir=weights_dir) as tmp:
        staged = [Path(tmp) / s.name for s in sources]
        for source, copy in zip(sources, staged, strict=True):
            shutil.copyfile(source, copy)
        weights, card_path = staged
        onnx = export_onnx(weights, weights.with_suffix(".onnx"))
        card = load_card(weights)
        replace(card, onnx=onnx.name, onnx_sha256=file_sha256(onnx)).save(card_path)
        placed = _move_into_place([*staged, onnx], weights_dir, Path(tmp) / "replaced")
        return placed, _keep_previous(Path(tmp) / "replaced", weights_dir, Path(tmp))


def _keep_previous(aside: Path, weights_dir: Path, staging: Path) -> Path | None:
    """Keep the model files set ``aside`` by an install that placed the new model in
    ``weights_dir/previous``, the model kept there before moved into ``staging`` (deleted with
    it: one generation kept); returns that folder. Nothing set aside (the first install):
    None, the folder left as it is. (They were deleted with the staging folder: the replaced
    model was gone.)"""
    if not any((aside / name).is_file() for name in MODEL_FILES):
        return None
    kept = weights_dir / PREVIOUS_DIR
    if kept.exists() or kept.is_symlink():
        os.replace(kept, staging / "older")
    os.replace(aside, kept)
    return kept


def _move_into_place(staged: list[Path], folder: Path, aside: Path) -> list[Path]:
    """Move the ``staged`` files into ``folder`` under their names, the files there of those
    names set ``aside`` first; on a failure, put back what was there. Returns the new paths."""
    aside.mkdir()
    targets = [folder / path.name for path in staged]
    moved_aside: list[Path] = []
    placed: list[Path] = []
    try:
        for target in targets:
            if target.exists():
                os.replace(target, aside / target.name)
                moved_aside.append(target)
        for path, target in zip(staged, targets, strict=True):
            os.replace(path, target)
            placed.append(target)
    except BaseException:
        for target in placed:
            target.unlink(missing_ok=True)
        for target in moved_aside:
            os.replace(aside / target.name, target)
        raise
    return targets
