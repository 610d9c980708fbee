"""YOLO label folders: images with ``class x_centre y_centre width height`` text files.

Layouts read:

- ultralytics: ``data.yaml`` with ``names`` and image folders ``train`` / ``val`` / ``test``
  (relative to its ``path`` or to the YAML file; one written ``../train/images`` that is not
  there is looked for as ``train/images``, as ultralytics does: Roboflow writes it so);
  labels in the mirror folder where ``images`` becomes ``labels`` (CVAT's "Ultralytics YOLO"
  export, ``dredge review``);
- Label Studio / CVAT "YOLO 1.1": ``classes.txt`` or ``obj.names``, label files in a
  ``labels`` mirror folder or beside the images;
- LabelImg with its format button switched mid-way: an image without a ``.txt`` but with a
  Pascal VOC XML beside it is read from the XML, with a note (an image with both whose boxes
  differ is an :class:`InputError` naming both).

Without splits in ``data.yaml``, the tiles are the images in ``images/`` where the folder has
``images/`` and ``labels/``, else every image in it but in its ``labels/``; images elsewhere (a
``dredge evaluate --out`` inside the folder, an ultralytics run) are left out with a note.

A label file that differs from an unlabelled image's name only in case or in Label Studio's
upload prefix (``a1b2c3d4-name.txt``) is read for it, with a note; one that matches no image
is named in a note.

Coordinates are normalised to the image's width and height. An image without a label file, or
with an empty one, is a negative. A polygon line (``class x1 y1 x2 y2 x3 y3 …``, a segmentation
export) is read as its bounding box, as ultralytics trains a detector on it. Any other line
that is not exactly five numbers, a class index that
the names do not have, or a box outside the image is an :class:`InputError` naming the label
file and the line. ``data.yaml`` may record ``gsd_m`` (``dredge review`` does); it must then be
the model's. A ``classes.txt`` or ``obj.names`` beside ``data.yaml`` must name the same classes
in the same order: where they differ, the label files' indices follow one of them and the other
would swap classes, so it is an :class:`InputError` naming both.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from detector.errors import InputError
from detector.wording import agree, count_of, part_of
from training.labels.classes import ClassMap
from training.labels.table import (
    IMAGE_SUFFIXES,
    Box,
    LabelledTile,
    check_box,
    image_size,
    is_stray,
    read_text,
    same_boxes,
    scene_of,
    tile_stem,
)
from training.labels.voc import is_voc, read_voc_file
from training.labels.yolo_names import (
    NAMES_FILES,
    YAML_NAMES,
    check_gsd,
    check_names_beside_labels,
    class_names,
    read_yaml,
)

SPLIT_KEYS = ("train", "val", "test")
TILE_INDEX = "tiles.csv"  # chip,scene (written by dredge review)
_FIX_LINE = "each line is 'class x_centre y_centre width height', normalised to 0–1"


def is_yolo(path: Path) -> bool:
    """True for a ``data.yaml`` or a folder holding one, ``classes.txt`` or ``obj.names``."""
    if path.is_file():
        return path.suffix.lower() in (".yaml", ".yml")
    return any((path / name).is_file() for name in (*YAML_NAMES, *NAMES_FILES))


def read_yolo(
    path: Path,
    class_map: ClassMap,
    *,
    gsd_m: float | None = None,
    notes: list[str] | None = None,
) -> list[LabelledTile]:
    """Read a YOLO label folder (or its ``data.yaml``) into labelled tiles; notes for people
    are appended to ``notes``."""
    notes = [] if notes is None else notes
    yaml_path = (
        path
        if path.is_file()
        else next((path / n for n in YAML_NAMES if (path / n).is_file()), None)
    )
    root = path.parent if path.is_file() else path
    config = read_yaml(yaml_path) if yaml_path else {}
    names = class_names(config, yaml_path, root)
    if gsd_m is not None and yaml_path and "gsd_m" in config:
        check_gsd(config["gsd_m"], gsd_m, yaml_path)
    images = _images(config, yaml_path, root, notes)
    if not images:
        raise InputError(path, "holds no images", "put the tiles in images/ beside the labels")
    images = _one_copy_each(images, path, notes)
    scenes = _tile_scenes(root)
    source = str(path)
    tiles, with_labels = [], 0
    from_xml: list[Path] = []
    xmls = {image: _voc_beside(image) for image in images}
    labels = _label_files(images, xmls, path, notes)
    folders = {label.parent for label in labels.values() if label is not None} - {root}
    check_names_beside_labels(folders, names, yaml_path or root)
    for image in images:
        label, xml = labels[image], xmls[image]
        width, height = image_size(image)
        boxes: list[Box] = []
        if label is not None:
            with_labels += 1
            boxes = _read_label_file(label, names, width, height, class_map)
            _check_beside(image, label, boxes, names, class_map)
            if xml is not None and not same_boxes(boxes, read_voc_file(xml, image, class_map)):
                raise InputError(
                    xml,
                    f"and {label.name} both label {image.name}, with other boxes",
                    "delete the one saved first (LabelImg writes a new file when its format "
                    "button is switched and leaves the old one)",
                )
        elif xml is not None:
            with_labels += 1
            boxes = read_voc_file(xml, image, class_map)
            from_xml.append(xml)
        tiles.append(
            LabelledTile(
                name=image.stem,
                scene=scenes.get(image.stem)
                or scenes.get(tile_stem(image.stem), scene_of(image.stem)),
                source=source,
                width=width,
                height=height,
                boxes=boxes,
                image=image,
            )
        )
    if not with_labels:
        raise InputError(
            path,
            f"has {count_of(len(images), 'image')} but no label "
            f"{agree(len(images), 'file (.txt) for it', 'files (.txt) for any of them')}",
            "put the label files in labels/ mirroring images/, or beside the images",
        )
    without = len(images) - with_labels
    if without and not yaml_path:  # a folder labelled in place, some of its tiles not yet
        read = agree(
            without,
            "has no label file and is read as a negative",
            "have no label file and are read as negatives",
        )
        them = agree(without, "it", "them")
        notes.append(
            f"{part_of(without, len(images), 'image')} in {path} {read}, 'no dredge here' (a "
            f"model's finds on {them} count as false positives): if "
            f"{agree(without, 'it was', 'they were')} not looked at yet, leave {them} out; an "
            "empty .txt marks a tile looked at with nothing in it"
        )
    if from_xml:
        n = len(from_xml)
        notes.append(
            f"{count_of(n, 'image')} in {path} {agree(n, 'is', 'are')} labelled in Pascal VOC XML "
            f"beside {agree(n, 'its', 'their')} image, not in YOLO .txt (LabelImg saved "
            f"{agree(n, 'it', 'them')} with its format button on PascalVOC), and "
            f"{agree(n, 'was', 'were')} read from it (first: {from_xml[0].name})"
        )
    return tiles


LOSSLESS_FIRST = (".png", ".tif", ".tiff", ".bmp", ".webp", ".jpg", ".jpeg")


def _one_copy_each(images: Sequence[Path], path: Path, notes: list[str]) -> list[Path]:
    """One image per name in each folder: ``tile.png`` and ``tile.jpg`` side by side (the tiles
    saved again as JPEG beside the PNGs, for a labelling tool) share one label file and are one
    tile. Each was read as a tile of its own without a word: every box counted twice (on 8
    review tiles, 16 tiles, 14 dredges and 32 boats). The lossless copy is read, with a note."""
    groups: dict[tuple[Path, str], list[Path]] = {}
    for image in images:
        groups.setdefault((image.parent, image.stem), []).append(image)
    kept, left = [], []
    for group in groups.values():
        group.sort(key=lambda image: LOSSLESS_FIRST.index(image.suffix.lower()))
        kept.append(group[0])
        left += [(copy, group[0]) for copy in group[1:]]
    if left:
        copy, first = left[0]
        notes.append(
            f"{count_of(len(left), 'image')} in {path} {agree(len(left), 'is', 'are')} a copy of "
            "a tile under the same name in another format, labelled by the same label file, and "
            f"{agree(len(left), 'is', 'are')} read once, from the lossless copy (first: "
            f"{copy.name} beside {first.name})"
        )
    return kept


def _check_beside(
    image: Path, label: Path, boxes: list[Box], names: Sequence[str], class_map: ClassMap
) -> None:
    """InputError when a label file beside the image labels it otherwise than the one in the
    ``labels/`` mirror that is read: LabelImg opened on ``images/`` without its save folder
    set saves beside the image, and those corrections were passed over for the pre-filled
    labels without a word."""
    beside = image.with_suffix(".txt")
    if label == beside or not beside.is_file():
        return
    try:
        width, height = image_size(image)
        same = same_boxes(boxes, _read_label_file(beside, names, width, height, class_map))
    except InputError:
        same = False
    if not same:
        raise InputError(
            beside,
            f"and {label} both label {image.name}, with other boxes (a labelling tool saved "
            "one beside the image, the other is in labels/)",
            f"keep the corrected one in {label.parent} and delete the other (LabelImg: "
            "'Change Save Dir' to the labels folder)",
        )


def _voc_beside(image: Path) -> Path | None:
    """A Pascal VOC annotation ``<stem>.xml`` beside the image (LabelImg), or None."""
    for suffix in (".xml", ".XML"):
        xml = image.with_suffix(suffix)
        if xml.is_file() and is_voc(xml):
            return xml
    return None


def _images(
    config: dict[str, Any], yaml_path: Path | None, root: Path, notes: list[str]
) -> list[Path]:
    """Image files of the splits in ``data.yaml``, else the images under ``root`` (see
    :func:`_tree_images`)."""
    entries: list[str] = []
    for key in SPLIT_KEYS:
        value = config.get(key)
        if isinstance(value, str):
            entries.append(value)
        elif isinstance(value, list):
            entries += [str(v) for v in value]
    if not entries:
        return _tree_images(root, notes)
    base = root
    if isinstance(config.get("path"), str):
        declared = Path(config["path"])
        base = declared if declared.is_absolute() and declared.is_dir() else root / declared
        if not base.is_dir():
            base = root
        own = [entry for entry in entries if (root / entry).exists()]
        if own and not base.resolve().is_relative_to(root.resolve()):
            # a corrected copy of a set whose data.yaml still points at the original: the
            # original's labels were read under the copy's name
            notes.append(
                f"{yaml_path}: its 'path' ({config['path']}) is another folder than its own: "
                f"images and labels are read from {base}, not from {root} (which has "
                f"{own[0]!r} too) — remove 'path' to read this folder's"
            )
    found: list[Path] = []
    for entry in entries:
        target = Path(entry) if Path(entry).is_absolute() else base / entry
        if not target.exists() and entry.startswith("../") and (base / entry[3:]).exists():
            target = base / entry[3:]  # Roboflow's '../train/images', as ultralytics reads it
        if target.is_dir():
            found += sorted(p for p in target.rglob("*") if _is_image(p))
        elif target.is_file() and target.suffix.lower() == ".txt":
            lines = read_text(target).splitlines()
            found += [(target.parent / line.strip()) for line in lines if line.strip()]
        else:
            raise InputError(
                yaml_path, f"split folder {entry!r} not found at {target}", "fix 'path' or it"
            )
    return list(dict.fromkeys(found))


def _tree_images(root: Path, notes: list[str]) -> list[Path]:
    """The tiles of a folder without splits: in ``images/`` where it has ``images/`` and
    ``labels/`` (Label Studio, ``dredge review``), else every image under it but in a
    ``labels/`` folder. Images elsewhere (the figures of a ``dredge evaluate --out`` inside
    the folder, an ultralytics run) are not tiles, and would be read as negatives: they are
    left out, with a note."""
    laid_out = (root / "images").is_dir() and (root / "labels").is_dir()
    found: list[Path] = []
    left: list[Path] = []
    for image in sorted(p for p in root.rglob("*") if _is_image(p)):
        parts = image.relative_to(root).parts
        if "labels" in parts[:-1]:
            continue
        if (laid_out and parts[0] != "images") or _in_output(image.parent, root):
            left.append(image)
        else:
            found.append(image)
    if left:
        where = "outside images/" if laid_out else "in a dredge evaluate or ultralytics output"
        notes.append(
            f"{count_of(len(left), 'image')} {where} in {root} "
            f"{agree(len(left), 'is not a tile and is', 'are not tiles and are')} not read "
            f"(first: {relative(left[0], root)}); keep other files out of the label folder"
        )
    return found


def _in_output(folder: Path, root: Path) -> bool:
    """True when ``folder`` (under ``root``) is, or is in, the output of ``dredge evaluate``
    (``report.json`` beside ``pr_curve.png``) or an ultralytics run (``args.yaml``)."""
    while folder != root and root in folder.parents:
        if (folder / "report.json").is_file() and (folder / "pr_curve.png").is_file():
            return True
        if (folder / "args.yaml").is_file():
            return True
        folder = folder.parent
    return False


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not is_stray(path)


def label_file(image: Path) -> Path | None:
    """``…/labels/…/<stem>.txt`` mirroring ``…/images/…``, else ``<stem>.txt`` beside it."""
    mirror = _mirror(image)
    if mirror is not None and mirror.is_file():
        return mirror
    beside = image.with_suffix(".txt")
    return beside if beside.is_file() else None


def _mirror(image: Path) -> Path | None:
    """``…/labels/…/<stem>.txt`` for ``…/images/…/<stem>.<ext>`` (None outside ``images/``)."""
    parts = list(image.parts)
    if "images" not in parts:
        return None
    at = len(parts) - 1 - parts[::-1].index("images")
    return Path(*parts[:at], "labels", *parts[at + 1 :]).with_suffix(".txt")


_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")  # Label Studio's upload prefix: a1b2c3d4-name
_NOT_LABELS = {"classes.txt", "train.txt", "val.txt", "valid.txt", "test.txt"}


def _stem_key(stem: str) -> str:
    """A file stem without case and without Label Studio's upload prefix."""
    return _UPLOAD_PREFIX.sub("", stem.lower())


def _label_files(
    images: Sequence[Path], xmls: dict[Path, Path | None], path: Path, notes: list[str]
) -> dict[Path, Path | None]:
    """Each image's label file. A label file in a label folder of the set that names no image
    is matched to the one unlabelled image in its folder whose name differs from it only in
    case or in Label Studio's upload prefix (``a1b2c3d4-name.txt`` for ``name.png``), with a
    note; one that matches none or several is named in a note: its image, if it is there,
    was read as a negative."""
    labels = {image: label_file(image) for image in images}
    used = {label.resolve() for label in labels.values() if label is not None}
    used |= {i.with_suffix(".txt").resolve() for i, label in labels.items() if label is not None}
    unlabelled: dict[Path, list[Path]] = {}  # label folder → images there without a label
    folders: set[Path] = set()
    for image in images:
        places = [image.parent] + ([m.parent] if (m := _mirror(image)) is not None else [])
        folders.update(places)
        if labels[image] is None and xmls[image] is None:
            for folder in places:
                unlabelled.setdefault(folder, []).append(image)
    orphans = [
        text
        for folder in sorted(folders)
        if folder.is_dir()
        for text in sorted(folder.glob("*.txt"))
        if text.resolve() not in used and _looks_like_labels(text)
    ]
    matched, unmatched = [], []
    for orphan in orphans:
        key = _stem_key(orphan.stem)
        found = [i for i in unlabelled.get(orphan.parent, []) if _stem_key(i.stem) == key]
        rivals = [o for o in orphans if o.parent == orphan.parent and _stem_key(o.stem) == key]
        if len(found) == 1 and len(rivals) == 1 and labels[found[0]] is None:
            labels[found[0]] = orphan
            matched.append((orphan, found[0]))
        else:
            unmatched.append(orphan)
    if matched:
        orphan, image = matched[0]
        notes.append(
            f"{count_of(len(matched), 'label file')} in {path} named otherwise than "
            f"{agree(len(matched), 'its', 'their')} image (in case, or with Label Studio's upload "
            f"prefix) {agree(len(matched), 'was', 'were')} read for it (first: {orphan.name} "
            f"for {image.name})"
        )
    if unmatched:
        notes.append(
            f"{count_of(len(unmatched), 'label file')} in {path} "
            f"{agree(len(unmatched), 'matches no image and is', 'match no image and are')} not "
            f"read (first: {unmatched[0].name}); an image whose label file is named otherwise is "
            "read as a negative: name each label file as its image"
        )
    return labels


def _looks_like_labels(path: Path) -> bool:
    """A ``.txt`` whose first line is a YOLO line (not a README, a list of images, or names)."""
    if path.name.lower() in _NOT_LABELS:
        return False
    try:
        head = read_text(path)[:512]
    except InputError:
        return False
    first = next((line.split() for line in head.splitlines() if line.strip()), [])
    try:
        return (
            len(first) >= 5
            and float(first[0]).is_integer()
            and all(0 <= float(v) <= 1.5 for v in first[1:5])
        )
    except ValueError:
        return False


def _read_label_file(
    path: Path, names: Sequence[str], width: int, height: int, class_map: ClassMap
) -> list[Box]:
    boxes = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        where = f"line {number}"
        parts = text.split()
        polygon = len(parts) >= 7 and len(parts) % 2 == 1  # class x1 y1 x2 y2 x3 y3 …
        # a line saved by a spreadsheet or a script: '0,0.5,0.5,0.1,0.1' or '0 0,5 0,5 …'
        commas = "separate the numbers by spaces, decimals by a point; " if "," in text else ""
        if len(parts) != 5 and not polygon:
            fix = commas + _FIX_LINE
            if len(parts) == 6:
                fix = "drop the 6th number (a confidence score from saved predictions); " + fix
            elif len(parts) > 6:
                fix = "a polygon needs x y pairs after its class; " + fix
            read = count_of(len(parts), "number")  # '0,0.5,…' was '1 numbers'
            raise InputError(path, f"{where} has {read}, not 5", fix)
        try:
            values = [float(p) for p in parts]
        except ValueError:
            problem = f"{where} is not numbers: {text!r}"
            raise InputError(path, problem, commas + _FIX_LINE) from None
        if polygon:  # a segmentation export: its box, as ultralytics trains on it
            xs, ys = values[1::2], values[2::2]
            x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
            values = [values[0], (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]
        if not values[0].is_integer() or not 0 <= values[0] < len(names):
            raise InputError(
                path,
                f"{where}: class index {parts[0]} is not one of 0–{len(names) - 1} "
                f"({', '.join(names)})",
                "fix the index, or name the class in data.yaml / classes.txt",
            )
        target = class_map.resolve(names[int(values[0])], path, where)
        cx, cy, w, h = values[1:]
        box = check_box(
            (
                (cx - w / 2) * width,
                (cy - h / 2) * height,
                (cx + w / 2) * width,
                (cy + h / 2) * height,
            ),
            width,
            height,
            path,
            where,
            _FIX_LINE,
        )
        if target is not None:
            boxes.append(Box(target, *box))
    return boxes


def _tile_scenes(root: Path) -> dict[str, str]:
    """chip stem → scene from ``tiles.csv`` (``dredge review``), when there is one."""
    index = root / TILE_INDEX
    if not index.is_file():
        return {}
    rows = list(csv.DictReader(io.StringIO(read_text(index), newline="")))
    return {Path(r["chip"]).stem: r["scene"] for r in rows if r.get("chip") and r.get("scene")}


# --- writing ---------------------------------------------------------------------------------


def yolo_lines(tile: LabelledTile, classes: Sequence[str]) -> list[str]:
    """The tile's boxes as normalised YOLO lines."""
    lines = []
    for box in tile.boxes:
        cx = (box.x0 + box.x1) / 2 / tile.width
        cy = (box.y0 + box.y1) / 2 / tile.height
        w, h = (box.x1 - box.x0) / tile.width, (box.y1 - box.y0) / tile.height
        lines.append(f"{classes.index(box.class_name)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return lines


def write_yolo(
    tiles: Sequence[LabelledTile],
    out: Path,
    classes: Sequence[str],
    *,
    images: Sequence[Path],
    subset: str = "train",
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write labels for tiles whose chips are ``images`` (inside ``out/images/<subset>``).

    Writes ``labels/<subset>/*.txt``, ``data.yaml`` (names, the subset as train and val, and
    ``extra`` keys such as ``gsd_m``) and ``classes.txt``; returns ``data.yaml``.
    """
    labels = out / "labels" / subset
    labels.mkdir(parents=True, exist_ok=True)
    for tile, image in zip(tiles, images, strict=True):
        text = "".join(f"{line}\n" for line in yolo_lines(tile, classes))
        (labels / f"{image.stem}.txt").write_text(text, encoding="utf-8")
    data = {
        "train": f"images/{subset}",
        "val": f"images/{subset}",
        "names": dict(enumerate(classes)),
        **(extra or {}),
    }
    path = out / "data.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (out / "classes.txt").write_text("".join(f"{c}\n" for c in classes), encoding="utf-8")
    return path


def relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` with forward slashes."""
    return Path(os.path.relpath(path, start)).as_posix()
