"""A YOLO dataset from labelled tiles: split by scene, cut into training chips, negatives sampled.

- **Split**: by scene, never by tile (neighbouring tiles overlap and share the scene's light
  and water). Scenes are shuffled with ``seed`` and the first ``round(val_fraction × scenes)``
  (at least one, and never all) hold out for validation.
- **Chips**: tiles are cut, never resized, into ``chip_px`` squares (overlapping by an eighth),
  so the model sees its own GSD; a tile smaller than a chip is padded with black at the bottom
  and right (what the detector sees past a scene's edge). A box cut by a chip's edge is kept,
  clipped, when at least half of it is inside; sides shorter than
  :data:`~training.dataset.MIN_BOX_PX` are widened.
- **Negatives**: all positive training chips, and ``negatives`` empty chips per positive one,
  drawn with ``seed``; validation keeps every chip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from numpy.typing import NDArray
from PIL import Image

from detector.errors import DredgeError
from detector.tiling import tile_origins
from training.dataset import MIN_BOX_PX
from training.labels.table import Box, LabelledTile
from training.labels.yolo import yolo_lines

SPLITS = ("train", "val")
MIN_INSIDE_FRACTION = 0.5


@dataclass
class Chip:
    """One training chip cut from a tile."""

    name: str
    tile: LabelledTile  # a tile of chip size holding the chip's pixels and boxes


@dataclass
class SplitCounts:
    """What went into one split."""

    chips: int = 0
    positive_chips: int = 0
    negative_chips: int = 0
    negatives_available: int = 0
    instances: dict[str, int] = field(default_factory=dict)
    scenes: list[str] = field(default_factory=list)


def split_by_scene(tiles: Sequence[LabelledTile], val_fraction: float, seed: int) -> dict[str, str]:
    """scene → ``train`` or ``val``; DredgeError when the tiles come from too few scenes."""
    scenes = sorted({t.scene for t in tiles})
    if val_fraction == 0:
        return dict.fromkeys(scenes, "train")
    if not 0 < val_fraction < 1:
        raise DredgeError(f"--val-fraction must be in [0, 1), got {val_fraction}")
    if len(scenes) < 2:
        raise DredgeError(
            f"all labelled tiles come from one scene ({scenes[0] if scenes else 'none'}); "
            "validation holds out whole scenes — add tiles of another scene, or pass "
            "--val-fraction 0 to train without validation"
        )
    order = [scenes[i] for i in np.random.default_rng(seed).permutation(len(scenes))]
    n_val = min(len(order) - 1, max(1, math.floor(len(order) * val_fraction + 0.5)))
    return {scene: ("val" if i < n_val else "train") for i, scene in enumerate(order)}


def cut_chips(tile: LabelledTile, chip_px: int, bands: int) -> list[Chip]:
    """Cut a tile into chips of ``chip_px`` (see the module's docstring)."""
    pixels = tile.read(bands)
    stride = max(1, chip_px - chip_px // 8)
    chips = []
    for top in tile_origins(tile.height, chip_px, stride):
        for left in tile_origins(tile.width, chip_px, stride):
            patch = np.zeros((chip_px, chip_px, bands), np.uint8)
            part = pixels[top : top + chip_px, left : left + chip_px]
            patch[: part.shape[0], : part.shape[1]] = part
            boxes = [b for b in (_in_chip(box, left, top, chip_px) for box in tile.boxes) if b]
            chip_tile = LabelledTile(
                name=f"{tile.name}__x{left}_y{top}",
                scene=tile.scene,
                source=tile.source,
                width=chip_px,
                height=chip_px,
                boxes=boxes,
                pixels=patch,
            )
            chips.append(Chip(chip_tile.name, chip_tile))
    return chips


def _in_chip(box: Box, left: int, top: int, size: int) -> Box | None:
    x0, y0, x1, y1 = box.x0 - left, box.y0 - top, box.x1 - left, box.y1 - top
    cx0, cy0, cx1, cy1 = max(x0, 0.0), max(y0, 0.0), min(x1, float(size)), min(y1, float(size))
    inside = max(0.0, cx1 - cx0) * max(0.0, cy1 - cy0)
    if box.area <= 0 or inside / box.area < MIN_INSIDE_FRACTION:
        return None
    sides = [cx0, cy0, cx1, cy1]
    for lo, hi in ((0, 2), (1, 3)):
        if sides[hi] - sides[lo] < MIN_BOX_PX:
            centre = (sides[lo] + sides[hi]) / 2
            start = min(max(centre - MIN_BOX_PX / 2, 0.0), size - MIN_BOX_PX)
            sides[lo], sides[hi] = start, start + MIN_BOX_PX
    return Box(box.class_name, *sides)


def write_chip_dataset(
    tiles: Sequence[LabelledTile],
    assignment: dict[str, str],
    out: Path,
    classes: Sequence[str],
    *,
    chip_px: int,
    bands: int,
    negatives: float,
    seed: int,
    extra_train: Sequence[Chip] = (),
) -> dict[str, SplitCounts]:
    """Write ``images/{train,val}``, ``labels/{train,val}`` and ``data.yaml`` into ``out``."""
    if negatives < 0:
        raise DredgeError(f"negatives must be ≥ 0, got {negatives}")
    counts = {split: SplitCounts(instances=dict.fromkeys(classes, 0)) for split in SPLITS}
    chosen: dict[str, list[Chip]] = {split: [] for split in SPLITS}
    for split in SPLITS:
        mine = [t for t in tiles if assignment[t.scene] == split]
        counts[split].scenes = sorted({t.scene for t in mine})
        chips = [chip for tile in mine for chip in cut_chips(tile, chip_px, bands)]
        positive = [c for c in chips if c.tile.boxes]
        empty = [c for c in chips if not c.tile.boxes]
        counts[split].negatives_available = len(empty)
        if split == "train":
            n_keep = min(len(empty), math.floor(negatives * len(positive) + 0.5))
            picks = np.random.default_rng([seed, 11]).choice(len(empty), n_keep, replace=False)
            empty = [empty[i] for i in sorted(picks.tolist())]
            positive += list(extra_train)
        chosen[split] = positive + empty
    if not any(c.tile.boxes for c in chosen["train"]):
        raise DredgeError(
            "the training split has no labelled object — label some dredges, or hold out "
            "fewer scenes (--val-fraction)"
        )
    for split in SPLITS:
        images, labels = out / "images" / split, out / "labels" / split
        images.mkdir(parents=True, exist_ok=True)
        labels.mkdir(parents=True, exist_ok=True)
        for chip in chosen[split]:
            _save(chip.tile.pixels, images / f"{chip.name}.png")
            lines = yolo_lines(chip.tile, classes)
            (labels / f"{chip.name}.txt").write_text("".join(f"{x}\n" for x in lines))
            _count(counts[split], chip.tile)
    val = "images/val" if chosen["val"] else "images/train"
    data = {"train": "images/train", "val": val, "names": dict(enumerate(classes))}
    (out / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return counts


def _save(pixels: NDArray[np.uint8] | None, path: Path) -> None:
    if pixels is None:
        raise DredgeError(f"chip {path.stem} has no pixels")
    image = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
    Image.fromarray(image).save(path, compress_level=1)


def _count(counts: SplitCounts, tile: LabelledTile) -> None:
    counts.chips += 1
    counts.positive_chips += bool(tile.boxes)
    counts.negative_chips += not tile.boxes
    for box in tile.boxes:
        counts.instances[box.class_name] = counts.instances.get(box.class_name, 0) + 1
