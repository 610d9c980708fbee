"""Training recipes: everything that decides a trained model, so that a name reproduces it.

:data:`RECIPES` holds the ``default`` recipe (the bundled model's), which
:func:`training.train.train_default` runs: its worlds (reserved seeds only, see
:data:`training.synth.world.TRAINING_SEEDS`), the detector's input (:data:`DEFAULT_SPEC`), the
architecture (:data:`ARCHITECTURE`), epochs and rates of each stage (:class:`Extension`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from detector.errors import DredgeError
from detector.inputspec import InputSpec
from training.synth.world import TRAINING_SEEDS  # reserved for training worlds

MODEL_NAME = "dredge-yolo11-p2"
WEIGHTS_NAME = f"{MODEL_NAME}.pt"
CARD_NAME = f"{MODEL_NAME}.card.json"
ARCHITECTURE = Path(__file__).parent / "models" / "dredge-yolo11-p2.yaml"


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
    # a second stage from the first one's weights: lower rate, no warm-up (see yolo_fit.train_yolo)
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


REPOSITORY = Path(__file__).resolve().parent.parent


def recipe_json(recipe: Recipe) -> dict[str, Any]:
    """The recipe's values as a card records them (``recipe_values``)."""
    values = asdict(recipe)
    values["architecture"] = portable_path(recipe.architecture)
    values["spec"]["bands"] = list(recipe.spec.bands)
    values["world_seeds"] = list(recipe.world_seeds)
    values["extensions"] = [
        {"world_seeds": list(stage.world_seeds), "epochs": stage.epochs}
        for stage in recipe.extensions
    ]
    return values


def portable_path(path: str) -> str:
    """``path`` as a card records it: relative to the repository where it lies in it
    (``training/models/dredge-yolo11-p2.yaml``), else its file name where it is absolute; an
    ultralytics name (``yolo11n.yaml``) as it is. Cards recorded the training machine's
    absolute path (``/work/main/training/models/…``)."""
    where = Path(path)
    if not where.is_absolute():
        return path
    try:
        return where.resolve().relative_to(REPOSITORY).as_posix()
    except ValueError:
        return where.name
