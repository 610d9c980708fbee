"""YOLO datasets from synthetic worlds: corridor tiles as PNG chips, labels from the truth boxes.

:func:`build_yolo_dataset` runs the project's own tiler (:func:`detector.tiling.plan_scene`)
over every scene of every world, so the chips are exactly the windows that ``dredge detect``
would cut with the same :class:`InputSpec` (bands, GSD, size, overlap and scaling; a recipe's
``train_spec`` keeps the detector's bands, GSD and scaling but cuts smaller chips). Labels come
from ``truth/boxes/<scene>.csv`` (read by :mod:`training.world_truth`): each box's map
coordinates go through ``~tile.transform`` into the tile's pixels.

Rules (all per tile):

- **Edges**: a box cut by the tile's edge is kept, clipped to the tile, when at least
  :data:`MIN_INSIDE_FRACTION` of its area is inside; otherwise it is left out (the overlap
  between tiles is far larger than a dredge, so a neighbouring tile holds it whole).
- **Tiny boxes**: sides shorter than :data:`MIN_BOX_PX` are widened about their centre. A
  5 m wide dredge is 1.7 px at 3 m, and ultralytics drops boxes under 2 px after its affine
  augmentation, which would teach the model that a real dredge is background.
- **Invisible objects** (``visible`` false: under cloud or outside the footprint) get no
  label. When such a *dredge* lies mostly on pixels that the scene's UDM2 mask calls clear,
  the picture is ambiguous (a dredge at a cloud's thin edge may still show), so the whole
  tile is dropped rather than teaching either answer. Such tiles are counted as ``ambiguous``.
- **Negatives**: tiles with no visible dredge or boat. All of them stay in ``val`` (its
  metrics then see the corridor as the detector does); ``train`` keeps ``negatives`` of them
  per positive tile, drawn with ``seed``.

**Split**: never by tile. The unit is a *group*, one river of one world: all dates of a river
share its landscape and its dredges, so a dredge seen in training on one date must not be
scored in validation on another. Groups are ordered river by river in turn (rivers and worlds
shuffled with ``seed``) and the first ``round(val_fraction × groups)`` (at least one, and
never all) go to ``val``; with several worlds the rivers take turns, so ``val`` holds as many
different rivers as it has groups, up to every river. No scene is in both splits (checked
before anything is written).

Output: ``images/{train,val}/*.png``, ``labels/{train,val}/*.txt`` (YOLO: class, x, y, w, h
normalised), ``data.yaml`` (absolute ``path``; names from ``datasets/classes.yaml``),
``tiles.csv`` (one row per chip) and ``summary.json`` (counts per split and class, scenes and
groups per split), written last; ``.dredge-dataset``, written first, marks the folder as one
that ``overwrite`` may replace even when a build was stopped before its summary.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import yaml
from affine import Affine
from rasterio.windows import Window

from detector.acquisition import scene_file_name
from detector.chips import expand_scene_paths, write_chip
from detector.errors import DredgeError, InputError
from detector.grid import Grid
from detector.inputspec import InputSpec
from detector.json_text import json_text
from detector.progress import progress_bar
from detector.rivers import RiverNetwork
from detector.scene import Scene, WindowData, open_scene, reading_env
from detector.tiling import Tile, plan_scene
from detector.wording import count_of
from training.processes import in_processes
from training.world_truth import boxes_path, check_world, read_boxes, scene_rivers

CLASSES: tuple[str, ...] = ("dredge", "boat")  # YOLO class index order; = datasets/classes.yaml
SPLITS = ("train", "val")
MIN_INSIDE_FRACTION = 0.5  # share of a box's area inside a tile for it to be labelled there
MIN_BOX_PX = 3.0  # shorter box sides are widened to this (ultralytics drops boxes < 2 px)
AMBIGUOUS_CLEAR_FRACTION = 0.5  # an invisible dredge this clear makes its tile ambiguous
DATASET_FORMAT = 1
DATASET_MARK = ".dredge-dataset"  # written first: the folder is a dataset, finished or not
T = TypeVar("T")
TILE_COLUMNS = (
    "chip", "split", "world", "river", "scene", "tile_id", "window", "dredges", "boats",
)  # fmt: skip


@dataclass(frozen=True)
class Label:
    """One box in a tile's pixels (corners, not normalised) and its class index."""

    cls: int
    x0: float
    y0: float
    x1: float
    y1: float

    def yolo_line(self, size: int) -> str:
        """``class x_centre y_centre width height``, normalised by the tile size."""
        cx, cy = (self.x0 + self.x1) / 2 / size, (self.y0 + self.y1) / 2 / size
        w, h = (self.x1 - self.x0) / size, (self.y1 - self.y0) / size
        return f"{self.cls} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"


@dataclass
class SplitSummary:
    """What went into one split."""

    tiles: int = 0
    positive_tiles: int = 0
    negative_tiles: int = 0
    negatives_available: int = 0  # empty tiles seen before sampling
    ambiguous_tiles: int = 0  # dropped: an invisible dredge on clear pixels
    instances: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    scenes: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # "<world>/<river>"


@dataclass
class DatasetSummary:
    """A built dataset: where it is, what spec made it, and the counts of each split."""

    root: Path
    data_yaml: Path
    spec: InputSpec
    worlds: list[str]
    seed: int
    val_fraction: float
    negatives: float
    splits: dict[str, SplitSummary]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (paths as strings)."""
        return {
            "format": DATASET_FORMAT,
            "root": str(self.root),
            "data_yaml": str(self.data_yaml),
            "spec": {**asdict(self.spec), "bands": list(self.spec.bands)},
            "classes": list(CLASSES),
            "worlds": self.worlds,
            "seed": self.seed,
            "val_fraction": self.val_fraction,
            "negatives": self.negatives,
            "splits": {name: asdict(split) for name, split in self.splits.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DatasetSummary:
        """Read back what :meth:`to_json` wrote (``summary.json``)."""
        spec = dict(data["spec"])
        spec["bands"] = tuple(spec["bands"])
        return cls(
            root=Path(data["root"]),
            data_yaml=Path(data["data_yaml"]),
            spec=InputSpec(**spec),
            worlds=list(data["worlds"]),
            seed=int(data["seed"]),
            val_fraction=float(data["val_fraction"]),
            negatives=float(data["negatives"]),
            splits={name: SplitSummary(**split) for name, split in data["splits"].items()},
        )

    def line(self) -> str:
        """One line for people."""
        parts = []
        for name, split in self.splits.items():
            counts = ", ".join(f"{n} {cls}" for cls, n in split.instances.items())
            parts.append(
                f"{name}: {count_of(split.tiles, 'tile')} ({split.negative_tiles} empty) from "
                f"{count_of(len(split.scenes), 'scene')}, {counts}"
            )
        return f"dataset {self.root}: " + "; ".join(parts)


@dataclass
class _TileRecord:
    """A tile planned and labelled; its pixels are read only if it is kept."""

    world: str
    river: str
    scene_path: str
    scene: str
    tile: Tile
    labels: list[Label]

    @property
    def name(self) -> str:
        return f"{self.world}_{self.tile.tile_id}"


# --- labels ----------------------------------------------------------------------------------


Box = tuple[float, float, float, float]  # col0, row0, col1, row1 in a tile's pixels


def labels_for_tile(
    boxes: pd.DataFrame, transform: Affine, size: int
) -> tuple[list[Label], list[Box]]:
    """Labels of one tile from map boxes, and the boxes of invisible dredges in it.

    ``boxes`` has the columns of ``truth/boxes/*.csv`` (map units in the tile's CRS);
    ``transform`` maps tile pixels to the map. Invisible dredges come back clipped to the tile
    so that :func:`is_ambiguous` can look at the pixels under them.
    """
    inverse = ~transform
    labels: list[Label] = []
    hidden: list[Box] = []
    for row in boxes.itertuples(index=False):
        if row.class_name not in CLASSES:
            continue
        corners = [inverse @ (x, y) for x in (row.x_min, row.x_max) for y in (row.y_min, row.y_max)]
        xs, ys = [c for c, _ in corners], [r for _, r in corners]
        full = (min(xs), min(ys), max(xs), max(ys))
        clipped = (max(full[0], 0.0), max(full[1], 0.0), min(full[2], size), min(full[3], size))
        inside = _area(clipped) / _area(full) if _area(full) > 0 else 0.0
        if inside <= 0:
            continue
        if not _is_true(row.visible):
            if row.class_name == "dredge":
                hidden.append(clipped)
            continue
        if inside >= MIN_INSIDE_FRACTION:
            labels.append(Label(CLASSES.index(row.class_name), *_widen(clipped, size)))
    return labels, hidden


def is_ambiguous(clear: np.ndarray, hidden: list[Box]) -> bool:
    """True when an invisible dredge lies mostly on pixels the cloud mask calls clear."""
    return any(_clear_share(clear, box) >= AMBIGUOUS_CLEAR_FRACTION for box in hidden)


def hidden_on_clear_pixels(scene: Scene, window: Window, grid: Grid, hidden: list[Box]) -> bool:
    """:func:`is_ambiguous` on the window's clear pixels at full resolution.

    The tiler's quick look (:meth:`Scene.read_validity`) is 8 times coarser where the scene is
    warped to another GSD, and calls up to 7 px beyond the scene's data valid: a dredge hidden
    there, off the data, dropped its tile as ambiguous (of the demo world's tiles, 1 at 1.5 m,
    1 at 2 m and 2 at 4 m).
    """
    return is_ambiguous(scene.read_validity(window, grid, factor=1)[1], hidden)


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _widen(box: Box, size: int) -> Box:
    """Widen sides shorter than MIN_BOX_PX about their centre, staying inside the tile."""
    out = list(box)
    for lo, hi in ((0, 2), (1, 3)):
        length = out[hi] - out[lo]
        if length < MIN_BOX_PX:
            centre = (out[lo] + out[hi]) / 2
            start = min(max(centre - MIN_BOX_PX / 2, 0.0), size - MIN_BOX_PX)
            out[lo], out[hi] = start, start + MIN_BOX_PX
    return out[0], out[1], out[2], out[3]


def _clear_share(clear: np.ndarray, box: Box) -> float:
    """Share of clear pixels under a box (at least the pixel under its centre)."""
    c0, r0 = math.floor(box[0]), math.floor(box[1])
    c1, r1 = max(math.ceil(box[2]), c0 + 1), max(math.ceil(box[3]), r0 + 1)
    patch = clear[max(r0, 0) : min(r1, clear.shape[0]), max(c0, 0) : min(c1, clear.shape[1])]
    return float(patch.mean()) if patch.size else 0.0


def _is_true(value: object) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes"}


# --- split -----------------------------------------------------------------------------------


def split_groups(
    groups: Sequence[tuple[str, str]], val_fraction: float, seed: int
) -> dict[tuple[str, str], str]:
    """Assign (world, river) groups to ``train`` or ``val`` (see the module's docstring)."""
    unique = sorted(set(groups))
    if len(unique) < 2:
        raise DredgeError(
            f"need at least two (world, river) groups to split train from val, got {len(unique)}"
            " — add a world or a river"
        )
    if not 0 < val_fraction < 1:
        raise DredgeError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    rng = np.random.default_rng(seed)
    rivers = sorted({river for _, river in unique})
    rivers = [rivers[i] for i in rng.permutation(len(rivers))]
    queues = []
    for river in rivers:
        members = [g for g in unique if g[1] == river]
        queues.append([members[i] for i in rng.permutation(len(members))])
    order: list[tuple[str, str]] = []
    while any(queues):
        order += [queue.pop(0) for queue in queues if queue]
    n_val = min(len(order) - 1, max(1, math.floor(len(order) * val_fraction + 0.5)))
    return {group: ("val" if i < n_val else "train") for i, group in enumerate(order)}


# --- building --------------------------------------------------------------------------------


def build_yolo_dataset(
    worlds: Sequence[str | Path],
    out: str | Path,
    spec: InputSpec,
    *,
    val_fraction: float = 0.25,
    seed: int = 0,
    negatives: float = 1.0,
    overwrite: bool = False,
    progress: bool = True,
    workers: int = 1,
) -> DatasetSummary:
    """Tile the worlds' scenes, label the tiles, split by (world, river), and write the dataset.

    ``negatives``: empty tiles kept in ``train`` per positive tile (all are kept in ``val``).
    ``workers``: processes that label and cut the scenes (scene by scene); the dataset is the
    same for any number, and for the worlds given in any order. Paths may be ``str`` or
    :class:`~pathlib.Path`.
    """
    out = Path(out)
    if len(spec.bands) not in (1, 3):
        raise DredgeError(f"PNG chips hold 1 or 3 bands, not {len(spec.bands)}; change the spec")
    if negatives < 0:
        raise DredgeError(f"negatives must be ≥ 0, got {negatives}")
    # in the order of their names: the train negatives drawn, and so the dataset, were those of
    # the order the worlds were given in (14 of 26 differed for two worlds given the other way)
    folders = sorted((Path(w) for w in worlds), key=lambda w: w.resolve().name)
    names = [w.resolve().name for w in folders]
    # chips are named by the world's folder: `Nanay`'s and `nanay`'s were one file on a disk
    # that ignores case (macOS, Windows), one world's chips and labels over the other's
    if len({name.casefold() for name in names}) != len(names):
        raise DredgeError(
            f"world folders need distinct names, in any letter case (chips are named by them), "
            f"got {', '.join(names)} — rename one"
        )
    for world in folders:
        check_world(world)
    _prepare_out(out, overwrite)
    records, ambiguous = _label_worlds(folders, names, spec, progress, workers)
    groups = [
        (name, river)
        for world, name in zip(folders, names, strict=True)
        for river in scene_rivers(world).values()
    ]
    assignment = split_groups(groups, val_fraction, seed)
    summary = DatasetSummary(
        root=out.resolve(),
        data_yaml=out.resolve() / "data.yaml",
        spec=spec,
        worlds=[str(w.resolve()) for w in folders],
        seed=seed,
        val_fraction=val_fraction,
        negatives=negatives,
        splits={name: SplitSummary() for name in SPLITS},
    )
    for group, count in ambiguous.items():
        summary.splits[assignment[group]].ambiguous_tiles += count
    kept = _sample_negatives(records, assignment, negatives, seed, summary)
    _check_no_leak(kept, assignment)
    _write(kept, assignment, out, spec, summary, progress, workers)
    return summary


def _prepare_out(out: Path, overwrite: bool) -> None:
    """Make ``out`` ready for a new dataset; with ``overwrite``, replace a dataset built there,
    finished (``summary.json``) or stopped part way (only :data:`DATASET_MARK`, written first:
    a build stopped while it wrote chips left ``images/`` and ``labels/`` without a summary,
    and every rerun into it, as `dredge train --recipe` makes, was refused)."""
    if out.exists() and any(p.name != DATASET_MARK for p in out.iterdir()):
        if not overwrite:
            raise DredgeError(f"{out}: folder is not empty — choose another one or overwrite")
        if not ((out / "summary.json").exists() or (out / DATASET_MARK).exists()):
            raise DredgeError(f"{out}: overwrite only replaces a dataset folder (no summary.json)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / DATASET_MARK).write_text("a dataset of training.dataset; built or being built\n")


def _label_worlds(
    worlds: list[Path], names: list[str], spec: InputSpec, progress: bool, workers: int = 1
) -> tuple[list[_TileRecord], dict[tuple[str, str], int]]:
    """Plan and label every tile of every scene (no pixels read); ambiguous tiles per group."""
    jobs = []
    for world, name in zip(worlds, names, strict=True):
        rivers_of = scene_rivers(world)
        for path in expand_scene_paths([world / "scenes"]):
            river = rivers_of.get(scene_file_name(path))
            if river is None:
                raise InputError(path, "is not listed in truth/scenes.csv", "regenerate")
            jobs.append((world, name, river, path, spec))
    records: list[_TileRecord] = []
    ambiguous: dict[tuple[str, str], int] = {}
    with progress_bar(progress) as bar:
        task = bar.add_task("labelling tiles", total=len(jobs))
        labelled = in_processes(
            _label_scene, jobs, workers, done=lambda: bar.advance(task), what="labelling tiles"
        )
    for (_, name, river, _, _), (scene_records, n_ambiguous) in zip(jobs, labelled, strict=True):
        records += scene_records
        if n_ambiguous:
            ambiguous[(name, river)] = ambiguous.get((name, river), 0) + n_ambiguous
    if not records:
        raise DredgeError("the worlds gave no tiles — check their rivers and scenes")
    return records, ambiguous


def _label_scene(
    world: Path, name: str, river: str, path: Path, spec: InputSpec
) -> tuple[list[_TileRecord], int]:
    """The labelled tiles of one scene, and how many tiles were dropped as ambiguous."""
    records: list[_TileRecord] = []
    n_ambiguous = 0
    with reading_env(), open_scene(path) as scene:
        boxes = read_boxes(boxes_path(world, scene.name))
        plan = plan_scene(scene, _river_network(world / "rivers.geojson"), spec)
        for tile in plan.tiles:
            labels, hidden = labels_for_tile(boxes, tile.transform, spec.tile_px)
            if hidden and hidden_on_clear_pixels(scene, tile.window, plan.grid, hidden):
                n_ambiguous += 1
                continue
            records.append(_TileRecord(name, river, str(path), scene.name, tile, labels))
    return records, n_ambiguous


def _river_network(path: Path) -> RiverNetwork:
    """A world's rivers, read once per process (keyed by the file's size and time)."""
    stat = path.stat()
    return _read_network(path.resolve(), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _read_network(path: Path, size: int, mtime_ns: int) -> RiverNetwork:
    return RiverNetwork.read(path)


def _sample_negatives(
    records: list[_TileRecord],
    assignment: dict[tuple[str, str], str],
    negatives: float,
    seed: int,
    summary: DatasetSummary,
) -> list[_TileRecord]:
    """All positive tiles, all val negatives, and ``negatives`` per positive of train's."""
    kept: list[_TileRecord] = []
    rng = np.random.default_rng([seed, 7])
    for split in SPLITS:
        mine = [r for r in records if assignment[(r.world, r.river)] == split]
        positive = [r for r in mine if r.labels]
        empty = [r for r in mine if not r.labels]
        summary.splits[split].negatives_available = len(empty)
        if split == "train":
            n_keep = min(len(empty), math.floor(negatives * len(positive) + 0.5))
            chosen = sorted(rng.choice(len(empty), size=n_keep, replace=False).tolist())
            empty = [empty[i] for i in chosen]
        kept += positive + empty
    return kept


def _check_no_leak(records: list[_TileRecord], assignment: dict[tuple[str, str], str]) -> None:
    """Raise when a scene would have tiles in both splits (cannot happen by construction)."""
    seen: dict[tuple[str, str], str] = {}
    for record in records:
        key, split = (record.world, record.scene), assignment[(record.world, record.river)]
        if seen.setdefault(key, split) != split:
            raise DredgeError(f"scene {record.scene} of {record.world} would be in both splits")


def _write(
    records: list[_TileRecord],
    assignment: dict[tuple[str, str], str],
    out: Path,
    spec: InputSpec,
    summary: DatasetSummary,
    progress: bool,
    workers: int = 1,
) -> None:
    """Read the kept tiles' pixels; write chips, labels, tiles.csv, data.yaml, summary.json."""
    names = [r.name.casefold() for r in records]  # one file on a disk that ignores case
    if len(set(names)) != len(names):
        raise DredgeError("two tiles got the same chip name; give the worlds distinct folders")
    for split in SPLITS:
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
    by_scene: dict[str, list[_TileRecord]] = {}
    for record in records:
        by_scene.setdefault(record.scene_path, []).append(record)
    jobs = [
        (path, [(r, assignment[(r.world, r.river)]) for r in mine], out, spec)
        for path, mine in by_scene.items()
    ]
    with progress_bar(progress) as bar:
        task = bar.add_task("writing chips, scene by scene", total=len(jobs))
        written = in_processes(
            _write_scene, jobs, workers, done=lambda: bar.advance(task), what="writing chips"
        )
    rows = [row for scene_rows in written for row in scene_rows]
    for _, mine, _, _ in jobs:
        for record, split in mine:
            _count(summary.splits[split], record)
    for split_summary in summary.splits.values():
        split_summary.scenes.sort()
        split_summary.groups.sort()
    with (out / "tiles.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TILE_COLUMNS)
        writer.writerows(rows)
    write_data_yaml(out)
    (out / "summary.json").write_text(
        json_text(summary.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _write_scene(
    path: str, records: list[tuple[_TileRecord, str]], out: Path, spec: InputSpec
) -> list[list[object]]:
    """Read one scene's kept tiles and write their chips and labels; their tiles.csv rows."""
    with reading_env(), open_scene(path) as scene:
        grid = scene.grid(spec.gsd_m)
        return [
            _write_tile(
                record, split, scene.read_window(record.tile.window, spec, grid), out, spec.tile_px
            )
            for record, split in records
        ]


def _write_tile(
    record: _TileRecord, split: str, window: WindowData, out: Path, size: int
) -> list[object]:
    """Write one chip and its label file; return its tiles.csv row."""
    chip = out / "images" / split / f"{record.name}.png"
    write_chip(window, chip, "png")
    lines = [label.yolo_line(size) for label in record.labels]
    (out / "labels" / split / f"{record.name}.txt").write_text("".join(f"{x}\n" for x in lines))
    w = record.tile.window
    return [
        chip.relative_to(out).as_posix(), split, record.world, record.river, record.scene,
        record.tile.tile_id, f"{int(w.col_off)},{int(w.row_off)},{int(w.width)}",
        *_class_counts(record.labels),
    ]  # fmt: skip


def _class_counts(labels: list[Label]) -> list[int]:
    return [sum(label.cls == i for label in labels) for i in range(len(CLASSES))]


def _count(split: SplitSummary, record: _TileRecord) -> None:
    counts = _class_counts(record.labels)
    split.tiles += 1
    split.positive_tiles += bool(record.labels)
    split.negative_tiles += not record.labels
    for cls, n in zip(CLASSES, counts, strict=True):
        split.instances[cls] += n
    scene = f"{record.world}/{record.scene}"
    group = f"{record.world}/{record.river}"
    if scene not in split.scenes:
        split.scenes.append(scene)
    if group not in split.groups:
        split.groups.append(group)


def write_data_yaml(out: Path) -> Path:
    """Write ultralytics' ``data.yaml`` (absolute root, class names in index order)."""
    data = {
        "path": str(out.resolve()),
        "train": "images/train",
        "val": "images/val",
        "names": dict(enumerate(CLASSES)),
    }
    path = out / "data.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def load_summary(out: Path) -> DatasetSummary:
    """Read a dataset's ``summary.json``."""
    path = out / "summary.json"
    if not path.exists():
        raise InputError(out, "has no summary.json", "build it with build_yolo_dataset")
    return DatasetSummary.from_json(json.loads(path.read_text(encoding="utf-8")))
