"""A `dredge review` folder: what in it is as review wrote it, and what is the analyst's.

`--overwrite` replaces only a folder as review wrote it (:func:`corrections`), and `dredge
train` notes a folder still as review wrote it (:func:`uncorrected_review_note`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

from detector.errors import InputError
from detector.wording import count_of, part_of
from training.labels.classes import ClassMap
from training.labels.coco import coco_files, read_coco
from training.labels.table import Box, LabelledTile, read_text, tile_stem
from training.labels.yolo import read_yolo

SUBSET = "train"
INDEX_NAME = "tiles.csv"
COCO_NAME = "annotations/instances_default.json"
INDEX_COLUMNS = ("chip", "scene", "detection_id", "score", "class_name", "boxes", "lon", "lat")
# files a file manager leaves in a folder it shows (Finder, Explorer): nobody's corrections
_FOLDER_LITTER = ("desktop.ini", "thumbs.db")
SAME_BOX_PX = 0.05  # YOLO and COCO copies of one box agree to this (their rounding)


def uncorrected_review_note(folder: Path) -> str | None:
    """A note when ``folder``, given as labels, is a review folder exactly as `dredge review`
    wrote it: its boxes are the model's own detections, and training or scoring on them
    teaches or measures nothing (`dredge train review/` right after `dredge review` fine-tuned
    on the model's own mistakes without a word). None for anything else."""
    if not (folder / INDEX_NAME).is_file() or not (folder / COCO_NAME).is_file():
        return None
    try:
        classes = [c.strip() for c in read_text(folder / "classes.txt").splitlines() if c.strip()]
    except InputError:
        return None
    if not classes or corrections(folder, classes) is not None:
        return None
    try:  # a correction made in both YOLO and COCO (an export over them) changes box counts
        rows = csv.DictReader(io.StringIO(read_text(folder / INDEX_NAME), newline=""))
        given = {Path(str(row["chip"])).stem: int(row["boxes"]) for row in rows}
        held = {tile.name: len(tile.boxes) for tile in read_yolo(folder, ClassMap(classes))}
    except (InputError, KeyError, ValueError, csv.Error):
        return None
    if held != given:
        return None
    return (
        f"{folder}: its labels look as `dredge review` wrote them (the model's own detections: "
        "YOLO and COCO agree, and each tile holds the boxes it was given) — correct them first "
        "(CVAT, Label Studio, LabelImg), or go on if you checked every tile and found nothing "
        "to change"
    )


def corrections(out: Path, classes: Sequence[str]) -> str | None:
    """What in a review folder is not as `dredge review` wrote it, in words; None when it is
    all as written. Files it does not write (an export of a labelling tool, LabelImg's XMLs),
    files of it deleted, and tiles whose YOLO labels and COCO boxes now differ (one of the two
    was corrected) are the analyst's: `--overwrite` deleted them without a word (a re-run for
    more tiles lost every correction)."""
    try:
        reader = csv.DictReader(io.StringIO(read_text(out / INDEX_NAME), newline=""))
        rows = list(reader)
        chips = [Path(str(row["chip"])) for row in rows]
    except (InputError, KeyError, csv.Error):
        return f"its {INDEX_NAME} is not the one dredge review wrote"
    columns = tuple(reader.fieldnames or ())
    if columns not in (INDEX_COLUMNS, INDEX_COLUMNS[:6]):  # written without lon, lat before
        added = [c for c in columns if c not in INDEX_COLUMNS] or list(columns)
        return f"its {INDEX_NAME} has columns dredge review did not write ({', '.join(added)})"
    written = {INDEX_NAME, "data.yaml", "classes.txt", "label_studio_tasks.json", COCO_NAME}
    written |= {chip.as_posix() for chip in chips}
    written |= {f"labels/{SUBSET}/{chip.stem}.txt" for chip in chips}
    labelimg = f"labels/{SUBSET}/classes.txt"  # not in folders written before it was
    written.add(labelimg)
    present = {
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if path.is_file()
        and not path.name.startswith(".")  # .DS_Store, ._name
        and path.name.lower() not in _FOLDER_LITTER
    }
    if files := present - written:
        return f"{count_of(len(files), 'file')} it did not write (first: {sorted(files)[0]})"
    if files := written - present - {labelimg}:
        return f"{len(files)} of its files deleted (first: {sorted(files)[0]})"
    try:
        yolo = read_yolo(out, ClassMap(classes))
        coco = {tile.name: tile for tile in read_coco(out / COCO_NAME, ClassMap(classes))}
    except InputError as exc:
        return f"labels that cannot be read as it wrote them ({exc})"
    changed = [tile for tile in yolo if not _same(tile.boxes, coco.get(tile.name))]
    if changed:
        first = changed[0]
        other = coco.get(first.name)
        return (
            f"{part_of(len(changed), len(yolo), 'tile')} labelled otherwise in labels/{SUBSET} "
            f"than in {COCO_NAME} (first: {first.name}, "
            f"{count_of(len(first.boxes), 'box', 'boxes')} in YOLO, "
            f"{len(other.boxes) if other else 0} in COCO): one of them was corrected"
        )
    # corrected in both (CVAT's YOLO and COCO exports unzipped over the folder): the boxes
    # review wrote are also in its Label Studio tasks, which no tool writes back
    written_boxes = _task_boxes(out)
    if written_boxes is None:
        return "its label_studio_tasks.json is not the one dredge review wrote"
    changed = [tile for tile in yolo if not _same(tile.boxes, written_boxes.get(tile.name))]
    if changed:
        return (
            f"{part_of(len(changed), len(yolo), 'tile')} labelled otherwise in labels/{SUBSET} "
            f"and {COCO_NAME} than review pre-filled them (first: {changed[0].name}): corrected"
        )
    return None


def _task_boxes(out: Path) -> dict[str, LabelledTile] | None:
    """Tile name → the boxes review wrote into ``label_studio_tasks.json``; None where it is
    not a file of review's."""
    try:
        tasks = json.loads(read_text(out / "label_studio_tasks.json"))
        tiles = {}
        for task in tasks:
            stem = Path(unquote(str(task["data"]["image"]).split("?d=", 1)[1])).stem
            boxes = []
            for result in task["predictions"][0]["result"]:
                width, height = float(result["original_width"]), float(result["original_height"])
                value = result["value"]
                x0, y0 = value["x"] * width / 100, value["y"] * height / 100
                x1, y1 = x0 + value["width"] * width / 100, y0 + value["height"] * height / 100
                boxes.append(Box(str(value["rectanglelabels"][0]), x0, y0, x1, y1))
            tiles[stem] = LabelledTile(stem, "", "review", 0, 0, boxes)  # only its boxes
    except (InputError, json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError):
        return None
    return tiles


def _same(boxes: Sequence[Box], tile: LabelledTile | None) -> bool:
    """The same boxes in any order, to :data:`SAME_BOX_PX` (the YOLO and COCO copies of the
    boxes review wrote)."""
    if tile is None or len(boxes) != len(tile.boxes):
        return False
    left = list(tile.boxes)
    for box in boxes:
        twin = next(
            (
                other
                for other in left
                if other.class_name == box.class_name
                and max(abs(a - b) for a, b in zip(_corners(box), _corners(other), strict=True))
                <= SAME_BOX_PX
            ),
            None,
        )
        if twin is None:
            return False
        left.remove(twin)
    return True


def _corners(box: Box) -> tuple[float, float, float, float]:
    return box.x0, box.y0, box.x1, box.y1


def passed_over_labels(folder: Path) -> InputError | None:
    """An InputError when a review folder, read as YOLO, holds labels of its tiles where the
    reader does not look: a labelling tool's export unzipped over it (Label Studio's YOLO
    ``labels/<tile>.txt`` or COCO ``result.json``, CVAT's "YOLO 1.1" ``obj_train_data/``).
    `dredge train review/` read the pre-filled labels in ``labels/train`` and passed over the
    corrected ones without a word. None for anything else."""
    if not (folder / INDEX_NAME).is_file() or not (folder / COCO_NAME).is_file():
        return None
    try:
        rows = csv.DictReader(io.StringIO(read_text(folder / INDEX_NAME), newline=""))
        tiles = {Path(str(row["chip"])).stem for row in rows}
    except (InputError, KeyError, csv.Error):
        return None
    read_here = (f"images/{SUBSET}/", f"labels/{SUBSET}/")  # the reader's (and LabelImg's)
    strays = [
        path.relative_to(folder).as_posix()
        for path in sorted(folder.rglob("*.[tT][xX][tT]"))
        if path.is_file()
        and tile_stem(path.stem) in tiles
        and not path.relative_to(folder).as_posix().startswith(read_here)
    ]
    strays += [
        path.relative_to(folder).as_posix()
        for path in coco_files(folder)
        if path.relative_to(folder).as_posix() != COCO_NAME
    ]
    if not strays:
        return None
    more = f" and {len(strays) - 1} more" if len(strays) > 1 else ""
    return InputError(
        folder,
        f"holds labels of its tiles outside labels/{SUBSET} and {COCO_NAME}, where they are "
        f"not read: {strays[0]}{more} (a labelling tool's export unzipped over it?); the "
        "pre-filled labels would be read in their place",
        "unzip the export into a folder of its own and give that folder (or its JSON)",
    )
