"""COCO JSON labels, as CVAT ("COCO 1.0") and Label Studio ("COCO") export them.

``images`` (``id``, ``file_name``, ``width``, ``height``), ``categories`` (``id``, ``name``) and
``annotations`` (``image_id``, ``category_id``, ``bbox`` = ``[x, y, width, height]`` in
pixels). An image without annotations is a negative. Image files are looked for at
``file_name`` relative to the JSON file and its parent folder, then by their base name beside
the JSON or anywhere under an ``images/`` folder beside it or beside its folder (Label Studio
writes ``images/<name>`` or upload paths; CVAT writes the bare name and puts the images in
``images/`` or ``images/default/`` beside ``annotations/``). A name found in two places is an
error, not a guess.

An image whose ``width`` and ``height`` are not its file's (a JSON made on resized copies of the
tiles), a box that reaches outside its image, an annotation of an unknown image or category, an
``id`` that is not a number or a name (``[1]``), or a class the model does not know that a box
uses is an :class:`InputError` naming the JSON file and the annotation's ``id``. A category no
box uses needs no class (CVAT exports every label of the project: ``person``, ``tree``): it is
passed over with one note naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detector.errors import InputError
from detector.wording import agree, count_of
from training.labels.classes import ClassMap
from training.labels.table import (
    Box,
    LabelledTile,
    check_box,
    image_size,
    is_stray,
    read_text,
    same_boxes,
    scene_of,
    the_one_image,
)

_FIX_BOX = "correct or delete the box in CVAT / Label Studio and export again"
_FIX_JSON = "export the labels again as COCO JSON (CVAT: COCO 1.0; Label Studio: COCO)"
_FIX_IDS = (
    "give each image and category its own id (two exports merged without renumbering: read "
    "each JSON as its own label set)"
)


def is_coco(path: Path) -> bool:
    """True for a JSON file (not GeoJSON) or a folder holding exactly one COCO JSON."""
    return coco_file(path) is not None


def coco_file(path: Path) -> Path | None:
    """The COCO JSON of ``path`` (itself, or the one JSON in it or its ``annotations/``)."""
    if path.is_file():
        return path if path.suffix.lower() == ".json" and not _looks_geojson(path) else None
    candidates = coco_files(path)
    return candidates[0] if len(candidates) == 1 else None


def coco_files(folder: Path) -> list[Path]:
    """The COCO JSONs in a folder and its ``annotations/`` (CVAT writes one per subset)."""
    return [
        p
        for place in (folder / "annotations", folder)
        if place.is_dir()
        for p in sorted(place.glob("*.json"))
        if not is_stray(p) and not _looks_geojson(p) and _looks_coco(p)
    ]


def _looks_geojson(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return b'"FeatureCollection"' in head or b'"Feature"' in head


def _looks_coco(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    return b'"images"' in head or b'"annotations"' in head


def read_coco(
    path: Path,
    class_map: ClassMap,
    *,
    gsd_m: float | None = None,
    notes: list[str] | None = None,
) -> list[LabelledTile]:
    """Read a COCO JSON file (or a folder with one) into labelled tiles; notes for people are
    appended to ``notes``."""
    notes = [] if notes is None else notes
    json_path = coco_file(path) if path.is_dir() else path
    if json_path is None:
        raise InputError(path, "holds no single COCO JSON file", "give the .json file itself")
    data = _load(json_path)
    if gsd_m is not None:
        _check_gsd(data, gsd_m, json_path)
    categories, refused = _categories(data, json_path, class_map)
    images = _images(data, json_path)
    boxes: dict[Any, list[Box]] = {key: [] for key in images}
    for position, ann in enumerate(_list(data, "annotations", json_path)):
        if not isinstance(ann, dict):
            raise InputError(json_path, f"annotation #{position} is not an object", _FIX_JSON)
        where = f"annotation id {ann.get('id', f'#{position}')}"
        image_id = ann.get("image_id")
        if not _is_id(image_id) or image_id not in images:
            problem = f"{where}: image_id {image_id!r} is not in images"
            raise InputError(json_path, problem, _FIX_JSON)
        category = ann.get("category_id")
        if _is_id(category) and category in refused:
            raise refused[category][1]  # a box of a class the model does not know
        if not _is_id(category) or category not in categories:
            raise InputError(
                json_path, f"{where}: category_id {category!r} is not in categories", _FIX_JSON
            )
        file_name, width, height, _ = images[image_id]
        bbox = ann.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise InputError(json_path, f"{where}: bbox is not [x, y, width, height]", _FIX_JSON)
        try:
            x, y, w, h = (float(v) for v in bbox)
        except (TypeError, ValueError):
            problem = f"{where}: bbox has a value that is not a number"
            raise InputError(json_path, problem, _FIX_JSON) from None
        place = f"{where} (image {file_name!r})"
        clipped = check_box((x, y, x + w, y + h), width, height, json_path, place, _FIX_BOX)
        target = categories[category]
        if target is not None:
            boxes[image_id].append(Box(target, *clipped))
    source = str(path)
    index = _image_index(json_path)
    tiles: dict[Path, tuple[Any, LabelledTile]] = {}  # image file → its id and tile
    twice: list[Any] = []
    for key, (file_name, width, height, scene) in images.items():
        image = _find_image(file_name, json_path, index)
        if image_size(image) != (width, height):
            found_w, found_h = image_size(image)
            raise InputError(
                json_path,
                f"image id {key} ({file_name!r}) is {width}×{height} in the JSON, but "
                f"{image} is {found_w}×{found_h}",
                "export the labels again with the images they were drawn on",
            )
        tile = LabelledTile(
            name=Path(file_name).stem,
            scene=scene or scene_of(Path(file_name).stem),
            source=source,
            width=width,
            height=height,
            boxes=boxes[key],
            image=image,
        )
        if image in tiles:  # two exports merged, or one image uploaded twice
            first_id, first = tiles[image]
            if not same_boxes(tile.boxes, first.boxes):
                raise InputError(
                    json_path,
                    f"image ids {first_id} and {key} are both {image.name}, with other boxes "
                    f"({len(first.boxes)} and {len(tile.boxes)})",
                    "keep one of them in 'images' (and its annotations), and export again",
                )
            twice.append(key)
            continue
        tiles[image] = (key, tile)
    if refused:
        unused = [name for name, _ in refused.values()]
        notes.append(
            f"{json_path}: {count_of(len(unused), 'category', 'categories')} that no box uses "
            f"and the model lacks {agree(len(unused), 'is', 'are')} passed over: "
            f"{', '.join(repr(name) for name in unused)}"
        )
    if twice:
        notes.append(
            f"{json_path}: {count_of(len(twice), 'image')} {agree(len(twice), 'is', 'are')} "
            f"listed twice, with the same boxes, and {agree(len(twice), 'is', 'are')} read once "
            f"(first: image id {twice[0]}, {images[twice[0]][0]!r})"
        )
    return [tile for _, tile in tiles.values()]


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(
            path,
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
            _FIX_JSON,
        ) from None
    if not isinstance(data, dict):
        problem = "is not a COCO object ({images, annotations, categories})"
        raise InputError(path, problem, _FIX_JSON)
    return data


def _list(data: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputError(path, f"'{key}' is not a list", _FIX_JSON)
    return value


def _check_gsd(data: dict[str, Any], gsd_m: float, path: Path) -> None:
    info = data.get("info")
    value = info.get("gsd_m") if isinstance(info, dict) else None
    if value is None:
        return
    try:
        found = float(str(value))
    except ValueError:
        raise InputError(
            path, f"info.gsd_m {value!r} is not a number", "fix or remove it"
        ) from None
    if abs(found - gsd_m) > 0.02 * gsd_m:
        raise InputError(
            path,
            f"tiles are at {found:g} m per pixel (info.gsd_m); the model reads {gsd_m:g} m",
            f"cut the tiles again at {gsd_m:g} m, or train a model at their GSD",
        )


def _is_id(value: object) -> bool:
    """True for an id as COCO writes them: a whole number (or a name), never a list, an object,
    a fraction or true/false."""
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


def _categories(
    data: dict[str, Any], path: Path, class_map: ClassMap
) -> tuple[dict[Any, str | None], dict[Any, tuple[str, InputError]]]:
    """category id → model class (None: ignored), and category id → (name, the error) for
    those whose class the model lacks: an error only where a box uses them."""
    categories: dict[Any, str | None] = {}
    refused: dict[Any, tuple[str, InputError]] = {}
    names: dict[Any, str] = {}
    for position, cat in enumerate(_list(data, "categories", path)):
        if not isinstance(cat, dict) or "id" not in cat or "name" not in cat:
            raise InputError(path, f"category #{position} lacks 'id' or 'name'", _FIX_JSON)
        key = cat["id"]
        if not _is_id(key):
            raise InputError(
                path,
                f"category #{position} ({str(cat['name'])!r}) has id {key!r}, not a whole number",
                "give each category a number as its id (1, 2, …) and export again",
            )
        try:
            target: object = class_map.resolve(cat["name"], path, f"category id {key}")
        except InputError as error:  # the model lacks it: an error once a box uses it
            target = ("not a class", str(cat["name"]).strip().lower())
            refused.setdefault(key, (str(cat["name"]), error))
        if key in names and _target(categories, refused, key) != target:
            raise InputError(
                path,
                f"category id {key} is listed twice, as {names[key]!r} and "
                f"{cat['name']!r}: its boxes cannot be told apart",
                _FIX_IDS,
            )
        if isinstance(target, str) or target is None:
            categories[key] = target
        names.setdefault(key, str(cat["name"]))
    return categories, refused


def _target(
    categories: dict[Any, str | None], refused: dict[Any, tuple[str, InputError]], key: Any
) -> object:
    """What an id read so far stands for: its class, or its name when the model lacks it."""
    if key in categories:
        return categories[key]
    return ("not a class", refused[key][0].strip().lower())


def _images(data: dict[str, Any], path: Path) -> dict[Any, tuple[str, int, int, str]]:
    """image id → (file name, width, height, scene or '')."""
    images: dict[Any, tuple[str, int, int, str]] = {}
    for position, image in enumerate(_list(data, "images", path)):
        if not isinstance(image, dict) or "id" not in image or "file_name" not in image:
            raise InputError(path, f"image #{position} lacks 'id' or 'file_name'", _FIX_JSON)
        if not _is_id(image["id"]):
            raise InputError(
                path,
                f"image #{position} ({image['file_name']!r}) has id {image['id']!r}, not a "
                "whole number",
                "give each image a number as its id (1, 2, …) and export again",
            )
        where = f"image id {image['id']} ({image['file_name']!r})"
        try:
            width, height = int(image["width"]), int(image["height"])
        except (KeyError, TypeError, ValueError):
            raise InputError(path, f"{where} lacks its width and height", _FIX_JSON) from None
        if width <= 0 or height <= 0:
            raise InputError(path, f"{where} has size {width}×{height}", _FIX_JSON)
        entry = (str(image["file_name"]), width, height, str(image.get("scene", "")))
        if image["id"] in images and images[image["id"]] != entry:
            raise InputError(
                path,
                f"image id {image['id']} is listed twice, as {images[image['id']][0]!r} and "
                f"{entry[0]!r}: the boxes of one would be read on the other",
                _FIX_IDS,
            )
        images[image["id"]] = entry
    if not images:
        raise InputError(path, "has no images", _FIX_JSON)
    return images


def _find_image(file_name: str, json_path: Path, index: dict[str, list[Path]]) -> Path:
    name = Path(file_name.replace("\\", "/"))
    for root in (json_path.parent, json_path.parent.parent):
        candidate = root / name
        if candidate.is_file():
            return candidate
    return the_one_image(
        file_name,
        index.get(name.name, []),
        json_path,
        looked="beside it or in an images/ folder",
        fixes=(
            "keep one copy, or give file_name with its folder relative to the JSON",
            "put the exported images next to the JSON (CVAT: images/ beside annotations/)",
        ),
    )


def _image_index(json_path: Path) -> dict[str, list[Path]]:
    """Files by base name: beside the JSON, and anywhere under an ``images/`` folder beside it
    or beside its folder (CVAT: ``images/default/`` beside ``annotations/``). Never a wider
    search: a JSON saved in Downloads must not send it through the home folder, nor pick up
    a stranger's image that happens to share a name."""
    folders = {json_path.parent / "images", json_path.parent.parent / "images"}
    files = [p for p in json_path.parent.iterdir() if p.is_file()]
    for folder in sorted(folders):
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file()]
    index: dict[str, list[Path]] = {}
    for path in sorted(set(files)):
        if not is_stray(path):
            index.setdefault(path.name, []).append(path)
    return index


# --- writing ---------------------------------------------------------------------------------


def coco_dict(
    tiles: Sequence[LabelledTile],
    file_names: Sequence[str],
    classes: Sequence[str],
    *,
    scores: Sequence[Sequence[float]] | None = None,
    info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A COCO object for tiles (``scores``: per tile, per box, kept as pre-label scores; a
    score not known, NaN, is left out)."""
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, (tile, file_name) in enumerate(zip(tiles, file_names, strict=True), start=1):
        images.append(
            {
                "id": image_id,
                "file_name": file_name,
                "width": tile.width,
                "height": tile.height,
                "scene": tile.scene,
            }
        )
        for index, box in enumerate(tile.boxes):
            w, h = box.x1 - box.x0, box.y1 - box.y0
            ann: dict[str, Any] = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": classes.index(box.class_name) + 1,
                "bbox": [round(box.x0, 2), round(box.y0, 2), round(w, 2), round(h, 2)],
                "area": round(w * h, 2),
                "iscrowd": 0,
                "segmentation": [],
            }
            if scores is not None:  # a score not known (NaN): none (a NaN is not JSON)
                score = float(scores[image_id - 1][index])
                known = {"score": round(score, 4)} if math.isfinite(score) else {}
                ann.update(known)
                ann["attributes"] = {**known, "occluded": False}
            annotations.append(ann)
    return {
        "info": {"description": "dredge-detector tiles", **(info or {})},
        "licenses": [],
        "categories": [
            {"id": i, "name": name, "supercategory": ""} for i, name in enumerate(classes, 1)
        ],
        "images": images,
        "annotations": annotations,
    }
