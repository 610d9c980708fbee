"""A YOLO dataset from labelled tiles: split by place or scene, cut into chips, negatives sampled.

- **Split**: by place where every tile has one (labels drawn over whole scenes, chips of
  `dredge tiles` in its ``tiles.parquet``, tiles of `dredge review` in its ``tiles.csv``), else
  by scene;
  never by tile (neighbouring tiles overlap and share the scene's light and water). By place,
  the tiles fall into squares of :data:`PLACE_CELL_M` by their centre, and every date of a
  square is on one side: a held-out scene of a reach whose other dates are in training showed
  the same dredges at the same moorings (dredges stay weeks at a spot), so the validation
  score was the training set's. The squares are shuffled with ``seed`` and held out in that
  order until they hold ``val_fraction`` of the tiles (at least one, and never all; squares
  hold unequal numbers of tiles); a training tile that may overlap a held-out one across a
  square's edge is left out. With one square only, or tiles without a place, the split is by
  scene: the scenes are shuffled with ``seed`` and the first ``round(val_fraction × scenes)``
  (at least one, and never all) hold out.
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
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from numpy.typing import NDArray
from PIL import Image
from scipy.spatial import cKDTree

from detector.errors import DredgeError
from detector.tiling import tile_origins
from detector.wording import count_of
from training.dataset import MIN_BOX_PX
from training.labels.table import Box, LabelledTile, file_name_key, tile_stem
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


PLACE_CELL_M = 5000.0
"""Side of the squares held out by place: a dredge moves 0.2–5 km between moorings."""
_M_PER_DEGREE = 111_320.0  # metres per degree of longitude on the equator (kept for callers)
_M_PER_DEGREE_NORTH = 111_132.92  # metres per degree of latitude, WGS84's mean
_WGS84_A = 6_378_137.0
_WGS84_E2 = 6.694_379_990_14e-3


@dataclass
class Split:
    """Each tile's side (``train``, ``val``, or ``gap``: a training tile beside a held-out
    one, left out; in the tiles' order) and how they were drawn."""

    sides: list[str]
    unit: str  # "place" or "scene"
    held_out: str  # one line for the output and the card

    def tiles(self, tiles: Sequence[LabelledTile], side: str) -> list[LabelledTile]:
        return [t for t, s in zip(tiles, self.sides, strict=True) if s == side]


def place_cell(place: tuple[float, float]) -> str:
    """The :data:`PLACE_CELL_M` square (east, north index) of a (lon, lat): rows of squares
    5 km north–south, each cut east–west at WGS84's metres per degree of longitude at its
    middle (:func:`row_metres_per_degree`). (East–west was scaled at each point's own
    latitude: the squares were sheared, at 64° N into strips slanting 2.2 km east–west for
    each 1 km north.)"""
    lon, lat = place
    north = math.floor(lat * _M_PER_DEGREE_NORTH / PLACE_CELL_M)
    return f"{math.floor(lon * row_metres_per_degree(lat) / PLACE_CELL_M)},{north}"


def row_metres_per_degree(lat: float) -> float:
    """WGS84's metres per degree of longitude in the middle of the row of squares (see
    :func:`place_cell`) that holds latitude ``lat``."""
    north = math.floor(lat * _M_PER_DEGREE_NORTH / PLACE_CELL_M)
    middle = math.radians((north + 0.5) * PLACE_CELL_M / _M_PER_DEGREE_NORTH)
    return (
        111_412.84 * math.cos(middle) - 93.5 * math.cos(3 * middle) + 0.118 * math.cos(5 * middle)
    )


def split_tiles(
    tiles: Sequence[LabelledTile], val_fraction: float, seed: int, *, tile_m: float = 0.0
) -> Split:
    """Hold out tiles by place where every tile has one and they span two squares or more,
    else by scene (see the module notes); DredgeError when the scenes are too few. By place, a
    training tile that may overlap a held-out one (centres less than ``tile_m`` × √2 apart,
    across a square's edge) is left out of both sides."""
    cells = [place_cell(t.place) for t in tiles if t.place is not None]
    km = f"{PLACE_CELL_M / 1000:g} km"
    no_training = ""
    if val_fraction > 0 and len(cells) == len(tiles) and len(set(cells)) > 1:
        if not 0 < val_fraction < 1:
            raise DredgeError(f"--val-fraction must be in [0, 1), got {val_fraction}")
        drawn = _draw_by_tiles(cells, val_fraction, seed)
        sides = [drawn[cell] for cell in cells]
        places = [t.place for t in tiles if t.place is not None]
        gap = _beside_held_out(places, sides, tile_m * math.sqrt(2))
        for index in gap:
            sides[index] = "gap"
        n_val = sum(side == "val" for side in drawn.values())
        left = f"; {count_of(len(gap), 'training tile')} beside them left out" if gap else ""
        kept_out = sum(side != "train" for side in sides) / len(sides)
        if "train" not in sides:
            # a reach of a few km across a square's edge: every training tile lies beside a
            # held-out one, and nothing was left to train on (by scene it trained before)
            no_training = "left no training tile that does not overlap a held-out one"
        elif kept_out > max(0.5, 2 * val_fraction):
            # a reach over two or three squares: one held out, and the tiles beside it, took
            # most of a small label set from training (50 % held out and 12 % beside it left
            # out, for --val-fraction 0.25)
            no_training = (
                f"would have kept {kept_out:.0%} of the tiles from training, for "
                f"--val-fraction {val_fraction:g}"
            )
        else:
            return Split(
                sides,
                "place",
                f"by place: {n_val} of {len(drawn)} squares of {km} held out, every date of "
                f"each (the same dredges at the same moorings are never on both sides){left}",
            )
        no_training = (
            f"by scene (holding out {n_val} of {len(drawn)} squares of {km} {no_training}; "
            "other dates of a held-out scene's reach are in training, with the same dredges, "
            "and its score is then optimistic)"
        )
    by_scene = split_by_scene(tiles, val_fraction, seed)
    if no_training:
        why = no_training
    elif val_fraction == 0:
        why = "no validation (--val-fraction 0)"
    elif len(cells) < len(tiles):
        why = (
            f"by scene ({len(tiles) - len(cells)} of {len(tiles)} tiles have no place on the "
            "map: no tiles.parquet of `dredge tiles` nor tiles.csv of `dredge review` lists "
            "them; other dates of a held-out scene's reach may be in training, with the same "
            "dredges, and its score is then optimistic)"
        )
    else:
        why = f"by scene (all tiles lie in one square of {km}: one place, held out by date)"
    alone = sum(names_no_scene(t) for t in tiles)
    if alone and val_fraction > 0:
        why += (
            f"; {alone} of {len(tiles)} tiles name no scene (not <scene>_r003_c017 as `dredge "
            "tiles` names them, no tiles.csv or COCO scene) and are held out each as its own "
            "scene: tiles cut from one scene may be on both sides, and the score is then "
            "optimistic"
        )
    return Split([by_scene[t.scene] for t in tiles], "scene", why)


def names_no_scene(tile: LabelledTile) -> bool:
    """True for a tile whose scene is only its own name (:func:`training.labels.table.scene_of`
    found none in it), renamed apart from a twin (``s2_<name>``, ``<name>_2``) or not."""
    stem = tile_stem(tile.name)
    return tile.scene in (stem, re.sub(r"^s\d+_", "", stem), re.sub(r"_\d+$", "", stem))


def _beside_held_out(
    places: Sequence[tuple[float, float]], sides: Sequence[str], reach_m: float
) -> list[int]:
    """Indices of training tiles whose centre lies within ``reach_m`` of a held-out one's:
    straight lines between points on WGS84's ellipsoid, metres alike in every direction at any
    latitude. (Each point was scaled east–west at its own latitude, which shears the plane: at
    64.05° N, 139.4° W a training tile 700 m north and 700 m east of a held-out one, 990 m
    away and overlapping it, was set 2.3 km from it and kept.)"""
    val = np.array([side == "val" for side in sides], dtype=bool)
    train = np.flatnonzero(~val)
    if reach_m <= 0 or not val.any() or not len(train):
        return []
    xyz = _on_ellipsoid(np.array(places, dtype=np.float64).reshape(-1, 2))
    apart, _ = cKDTree(xyz[val]).query(xyz[train], k=1)
    return [int(i) for i in train[apart < reach_m]]


def _on_ellipsoid(places: NDArray[np.float64]) -> NDArray[np.float64]:
    """Earth-centred x, y, z in metres of (lon, lat) rows on WGS84's ellipsoid."""
    lon, lat = np.radians(places[:, 0]), np.radians(places[:, 1])
    normal = _WGS84_A / np.sqrt(1 - _WGS84_E2 * np.sin(lat) ** 2)
    return np.column_stack(
        [
            normal * np.cos(lat) * np.cos(lon),
            normal * np.cos(lat) * np.sin(lon),
            normal * (1 - _WGS84_E2) * np.sin(lat),
        ]
    )


def _draw_by_tiles(cells: list[str], val_fraction: float, seed: int) -> dict[str, str]:
    """square → ``train`` or ``val``: squares in a seeded random order are held out until
    they hold ``val_fraction`` of the tiles (one at least, and one left to train on); squares
    hold unequal numbers of tiles, so a share of the squares is not one of the tiles."""
    tiles = Counter(cells)  # not cells.count per square: 13 s for 200,000 tiles in 5,000
    units = sorted(tiles)
    order = [units[i] for i in np.random.default_rng(seed).permutation(len(units))]
    drawn = dict.fromkeys(units, "train")
    held = 0
    for unit in order[:-1]:
        if held and held + tiles[unit] / 2 > val_fraction * len(cells):
            break
        drawn[unit] = "val"
        held += tiles[unit]
    return drawn


def _draw(units: list[str], val_fraction: float, seed: int) -> dict[str, str]:
    order = [units[i] for i in np.random.default_rng(seed).permutation(len(units))]
    n_val = min(len(order) - 1, max(1, math.floor(len(order) * val_fraction + 0.5)))
    return {unit: ("val" if i < n_val else "train") for i, unit in enumerate(order)}


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
    return _draw(scenes, val_fraction, seed)


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
    assignment: Split,
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
        mine = assignment.tiles(tiles, split)
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
        if not extra_train and not any(t.boxes for t in tiles):
            raise DredgeError(_no_box_at_all(tiles))  # holding out fewer scenes cannot help
        raise DredgeError(
            "the training split has no labelled object — label some dredges, or hold out "
            "fewer scenes (--val-fraction)"
        )
    for split in SPLITS:
        _check_names_apart(chosen[split])
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


def _no_box_at_all(tiles: Sequence[LabelledTile]) -> str:
    """The line for label sets without a single box: every tile read is a negative (label
    files left empty, every class mapped to ignore). It said to hold out fewer scenes."""
    sources = list(dict.fromkeys(t.source for t in tiles))
    return (
        f"{', '.join(sources)}: no box in any of the {count_of(len(tiles), 'tile')} read, "
        "every one a negative (empty label files, or every class mapped to ignore), and "
        "nothing to train on — label some dredges, check that the label files are named as "
        "their images, or add --synthetic N for positives to train with them"
    )


def _check_names_apart(chips: Sequence[Chip]) -> None:
    """DredgeError in one line when two chips' file names are one file on a disk that ignores
    letter case (macOS, Windows) or on any disk: one chip's image and labels written over the
    other's. Label sets read by :func:`training.labels.sources.read_label_sets` are named
    apart so; tiles made otherwise may not be."""
    first: dict[str, Chip] = {}
    for chip in chips:
        other = first.setdefault(file_name_key(chip.name), chip)
        if other is not chip:
            tiles = [c.name.rsplit("__x", 1)[0] for c in (other, chip)]  # see cut_chips
            raise DredgeError(
                f"tiles {tiles[0]} ({other.tile.source}) and {tiles[1]} ({chip.tile.source}) "
                f"give chips of one file name on a disk that ignores letter case ({other.name}, "
                f"{chip.name}) — rename one of the tiles"
            )


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
