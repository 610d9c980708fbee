"""``dredge review``: the least certain detections as tiles with pre-filled labels.

Detections are ranked by how close their score is to 0.5 (the model is least sure whether they
are what it says), and up to ``count`` tiles are exported in that order: for each, a tile of the
model's size centred on it, read from its scene at the model's GSD and bands (exactly what the
detector saw), with every detection of that scene inside the tile as a pre-filled box (a box at
least half inside, clipped). A detection that already lies well inside an exported tile gets no
tile of its own; detections that repeat one another (runs put together on one scene) are one box
(:func:`training.review_boxes.without_duplicates`). The analyst corrects the boxes — deletes
false ones, adds missed ones — instead of drawing from nothing, and ``dredge train`` reads the
result back.

Output (one set of images, three label formats)::

    OUT/images/train/<scene>_w<col>_<row>.png   the tiles
    OUT/labels/train/*.txt, data.yaml, classes.txt   YOLO (CVAT "Ultralytics YOLO", Label Studio;
                                                     LabelImg: a classes.txt in labels/train too)
    OUT/annotations/instances_default.json      COCO (CVAT "COCO 1.0", Label Studio), with scores
    OUT/label_studio_tasks.json                 Label Studio tasks with the boxes as predictions
    OUT/tiles.csv                               chip, scene, detection_id, score, class_name, boxes,
                                                lon, lat (the tile's centre: `dredge train`
                                                holds out places by it)
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from PIL import Image
from rasterio.warp import transform as warp_points
from rasterio.windows import Window

from detector.acquisition import is_remote, mosaic_days, scene_labels
from detector.card import load_card, parse_card
from detector.date_sanity import SOURCE_WORDS
from detector.detection_table import run_date
from detector.errors import DredgeError, InputError, first_line, not_a_file
from detector.json_text import json_text
from detector.model import bundled_weights
from detector.run_manifest import manifest_names
from detector.run_outputs import is_model_card
from detector.scene import open_scene, reading_env
from detector.scene_sources import resolve_scenes
from detector.track_files import is_parquet
from detector.wording import agree, count_of
from detector.writing import move_into_place, put_back_folder_set_aside
from training.labels.coco import coco_dict
from training.labels.table import Box, LabelledTile
from training.labels.yolo import write_yolo
from training.review_boxes import label_studio_tasks, without_duplicates
from training.review_days import of_its_day
from training.review_folder import COCO_NAME, INDEX_COLUMNS, INDEX_NAME, SUBSET, corrections

REQUIRED_COLUMNS = ("scene", "score", "class_name")
MARGIN_PX = 16  # a detection this far inside an exported tile needs no tile of its own
MIN_INSIDE_FRACTION = 0.5
RUN_RECORD = "run.json"  # written by `dredge run` beside its detections.parquet


def uncertainty_order(scores: pd.Series) -> list[int]:
    """Row positions by how close the score is to 0.5 (then by position)."""
    distance = (scores.astype(float) - 0.5).abs().to_numpy()
    return [int(i) for i in np.argsort(distance, kind="stable")]


def read_detections(path: Path) -> gpd.GeoDataFrame:
    """A detections file (GeoParquet, GeoPackage, GeoJSON); InputError naming what is wrong."""
    if not path.is_file():
        raise not_a_file(path, "give detections.parquet from `dredge detect`", "detections.parquet")
    try:
        frame = gpd.read_parquet(path) if is_parquet(path) else gpd.read_file(path)
    except Exception as exc:  # pyarrow and pyogrio raise many unrelated types
        first = first_line(exc)
        fix = "give the file `dredge detect` wrote"
        raise InputError(path, f"cannot be read ({first})", fix) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            path,
            f"lacks {agree(len(missing), 'column', 'columns')} {', '.join(missing)}",
            "give the file `dredge detect` wrote",
        )
    if frame.crs is None:
        raise InputError(path, "has no CRS", "give the file `dredge detect` wrote (EPSG:4326)")
    return frame.reset_index(drop=True)


def run_record(detections: Path) -> dict[str, Any] | None:
    """``run.json`` of the `dredge run` whose folder holds ``detections``, if there is one."""
    record = detections.parent / RUN_RECORD
    if not record.is_file():
        return None
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _run_scenes(record: dict[str, Any], run: Path) -> list[str]:
    """The run's scenes; a relative path that is not found from here is taken from the folder
    the run was started in (``cwd`` in run.json), else from a folder above the run's (a run
    recorded without ``cwd``, or a project moved): from any other folder, `dredge review` said
    the scenes were not found."""
    return [_from_run(str(p), record, run) for p in record.get("scenes", [])]


def _from_run(text: str, record: dict[str, Any], run: Path) -> str:
    """A scene path of the run as found from here (see :func:`_run_scenes`)."""
    path = Path(text)
    if path.is_absolute() or path.exists():
        return text
    starts = [Path(str(record["cwd"]))] if record.get("cwd") else []
    starts += list(run.resolve().parents)
    found = next((start / path for start in starts if (start / path).exists()), None)
    return str(found) if found is not None else text


def _names_from_here(
    detections: Path, record: dict[str, Any] | None, given: Sequence[str] = ()
) -> tuple[dict[str, str], set[str]]:
    """The run's manifest names (scene path → name in its tables), by the scene paths as found
    from here: relative ones from another folder took other names, and matched no detection.
    A ``given`` scene takes the name of the run's scene that is the same file under another
    path (absolute for a relative one), or, where that scene is no longer found (moved since),
    of the one run's scene whose name its path ends with: both took other names than the
    manifest's (``scenes_<name>``), and 'none of its detections is on the scenes given'.
    Also the given scenes named by their path's ending (to be checked: :func:`_same_date`)."""
    names = manifest_names(detections.parent)
    if record is not None:
        names = {_from_run(path, record, detections): name for path, name in names.items()}
    taken = dict(names)
    missing = [path for path in given if path not in names]
    if not missing:
        return taken, set()
    files = {key: name for known, name in names.items() if (key := _file_key(known))}
    gone: dict[str, list[str]] = {}  # name → the run's scenes of it no longer found
    for known, name in names.items():
        if not Path(known).exists():
            gone.setdefault(name, []).append(known)
    assigned = {taken[path] for path in given if path in names}
    same = {path: files.get(key) for path in missing if (key := _file_key(path))}
    moved: dict[str, str] = {}
    for path in missing:
        ends = [name for name in _endings(path) if len(gone.get(name, [])) == 1]
        if len(ends) == 1:
            moved[path] = ends[0]
    # one month's NICFI quad given beside another's of the same name: neither takes it (the
    # boxes of one would be cut from the other)
    claims = Counter(moved.values())
    by_ending = set()
    for path in missing:
        ending = moved.get(path)
        found = same.get(path) or (ending if ending and claims[ending] == 1 else None)
        if found and found not in assigned:  # not when another given scene has it (a copy)
            taken[path] = found
            assigned.add(found)
            if not same.get(path):
                by_ending.add(path)
    return taken, by_ending


def _same_date(
    path: str,
    name: str,
    frame: pd.DataFrame,
    bands: Sequence[str] | None,
    date: datetime | None = None,
) -> bool:
    """Whether the scene at ``path`` was acquired on the day of the detections on ``name``: a
    scene named by its path's ending only may be another date's of one name (a NICFI quad of
    February for a run of January's), whose image would show the boxes where nothing is.
    ``date``: the date `dredge detect` was given for it (``--date``, ``--dates``)."""
    if "acquired" not in frame.columns:
        return False
    try:
        with open_scene(path, bands=bands, name=name, date=date) as scene:
            acquired = scene.acquired
    except DredgeError:
        return False
    days = pd.to_datetime(frame.loc[frame["scene"].astype(str) == name, "acquired"], utc=True)
    return acquired is not None and acquired.date() in set(days.dt.date)


def _check_names(
    detections: Path,
    labels: dict[str, str],
    taken: dict[str, str],
    frame: pd.DataFrame,
    bands: Sequence[str] | None,
    dates: Mapping[str, datetime] | None = None,
) -> None:
    """InputError where a given scene named here (not by a run's manifest) is not the scene of
    the detections on its name. `dredge detect` names scenes by file name, so another scene
    of that name (another month's quad, another folder's ``analytic.tif``) took its
    detections: their boxes were cut from its image without a word. One whose own date (but a
    TIFFTAG_DATETIME, which `dredge detect` asks to check) is not the detections' day is
    refused; two of the file name the detections use, given together,
    took folder names that match none of them ('none of its detections is on the scenes
    given'). ``dates``: the date `dredge detect` was given for a scene (``--date``,
    ``--dates``), its date here as there (detections dated so were refused, with no way on)."""
    names = set(frame["scene"].astype(str))
    for path, name in labels.items():
        if path in taken or name not in names or "acquired" not in frame.columns:
            continue
        try:
            with open_scene(path, bands=bands, name=name, date=(dates or {}).get(path)) as scene:
                own = scene.acquisition
        except DredgeError:
            continue  # cut from it, the export says what is wrong with it
        days = pd.to_datetime(frame.loc[frame["scene"].astype(str) == name, "acquired"], utc=True)
        days = days.dropna()  # detections without a date tell no day to check it against
        if days.empty or own.time is None or own.source == "tiff-tag":
            continue  # a TIFFTAG_DATETIME may be when the file was written: given with --dates
        if own.time.date() in set(days.dt.date):
            continue
        span = mosaic_days(path) if own.source == "nicfi-name" else None
        if span is not None and any(span[0] <= day <= span[1] for day in days.dt.date):
            continue  # a mosaic's name dates its first day only: --date gave one of its days
        raise InputError(
            path,
            f"{SOURCE_WORDS.get(own.source, 'its file name')} dates it {own.time:%Y-%m-%d}, "
            f"while the detections on scene {name!r} in {detections.name} are of "
            f"{min(days):%Y-%m-%d}: another scene of the same file name?",
            "give the scene the detections came from with --scenes (or, where `dredge detect` "
            "was given its date with --date or --dates, give the same here)",
        )
    if names & set(labels.values()):
        return
    shared: dict[str, list[str]] = {}
    for path in labels:
        if path not in taken and Path(path).name in names:
            shared.setdefault(Path(path).name, []).append(path)
    for name, same in sorted(shared.items()):
        if len(same) > 1:
            raise InputError(
                detections,
                f"names its scenes by file name ({name}), which {len(same)} of the scenes given "
                f"have ({same[0]}, {same[1]}): it cannot tell which is its",
                "give only the scenes the detections came from with --scenes",
            )


def _file_key(path: str) -> tuple[int, int] | str | None:
    """The file's device and inode (one file under two paths), None where it is not found.
    Where the file system numbers no file (``st_ino`` 0: FAT, some network shares), its path
    with links resolved: (device, 0) was every file's, and the run's scenes given by other
    paths took one another's names."""
    try:
        stat = Path(path).stat()
        if stat.st_ino == 0:
            return os.path.normcase(Path(path).resolve())
    except (OSError, ValueError, RuntimeError):
        return None
    return stat.st_dev, stat.st_ino


def _named_by_ending(
    labels: Mapping[str, str], taken: Mapping[str, str], names: set[str]
) -> dict[str, str]:
    """Of plain `dredge detect` output (no run manifest, whose names are ``taken``), the given
    scenes whose label here is no detection's but whose path ends with one detection scene's
    name, and that name: scenes sharing a file name were named by their folders
    (``a_scene.tif``, ``b_scene.tif``) by the command that detected them together; either
    given alone was ``scene.tif`` here, and its detections were lost ('none of its detections
    is on the scenes given'). None where two given scenes end with the name, or another given
    scene has it (to be checked: :func:`_same_date`)."""
    if taken:  # a run's scenes are named by its manifest (:func:`_names_from_here`)
        return {}
    used = set(labels.values())
    ends = {
        path: found[0]
        for path, label in labels.items()
        if label not in names
        if len(found := [e for e in _endings(path) if e in names and e not in used]) == 1
    }
    claims = Counter(ends.values())
    return {path: name for path, name in ends.items() if claims[name] == 1}


def _endings(path: str) -> list[str]:
    """The names :func:`~detector.acquisition.scene_labels` may have given ``path``: its file
    name, and its folders and file name joined with ``_``."""
    parts = [part for part in Path(path).as_posix().split("/") if part]
    return ["_".join(parts[-depth:]) for depth in range(1, len(parts) + 1)]


def export_review(
    detections: str | Path,
    scenes: Sequence[str | Path],
    out: str | Path,
    *,
    count: int = 50,
    model: str | Path | None = None,
    bands: Sequence[str] | None = None,
    overwrite: bool = False,
    date: datetime | None = None,
    dates: Mapping[str, datetime] | None = None,
) -> str:
    """Export the review tiles (see the module's docstring); return a summary line.

    ``date`` / ``dates``: as `dredge detect` was given them (``--date``, a ``--dates``
    table), the scenes' dates when checked against their detections' days.

    Detections in a `dredge run` folder need neither ``scenes``, ``model`` nor ``bands``: the
    run's ``run.json`` names its scenes, holds its model's card (GSD, bands, tile size, classes)
    and the scenes' own band names it was given. Paths may be ``str`` or
    :class:`~pathlib.Path` (a str stopped on "… no attribute 'is_dir'").
    """
    detections, out = Path(detections), Path(out)
    if count < 1:
        raise DredgeError(f"--count must be at least 1, got {count}")
    if detections.is_dir():  # a run's folder: 'no run.json beside it', of a folder holding one
        read_detections(detections)
    record = run_record(detections)
    run_card = record.get("model") if record is not None else None
    run_card = run_card if is_model_card(run_card) else None  # a detector's own card: none
    if model is None and run_card is not None:
        card = parse_card(run_card, detections.parent / RUN_RECORD)
    else:
        card = load_card(model or bundled_weights(), verify=False)
        ran = parse_card(run_card, detections.parent / RUN_RECORD) if run_card else None
        if ran is not None and (ran.sha256, ran.input, ran.classes) != (
            card.sha256,
            card.input,
            card.classes,
        ):
            # tiles were cut at the given model's GSD and size, not at those of the model
            # that made the detections (a 1.5 m card cut 3 m detections at 1.5 m)
            raise InputError(
                model or bundled_weights(),
                f"is not the model of the run whose detections these are ({ran.name}, sha256 "
                f"{ran.sha256[:12]}…, {ran.input.gsd_m:g} m tiles of {ran.input.tile_px} px, in "
                f"{detections.parent / RUN_RECORD})",
                "leave --model out: the run's own model card is used",
            )
    if not scenes:
        scenes = _run_scenes(record or {}, detections)
        if not scenes:
            raise InputError(
                detections,
                "no --scenes given, and no run.json of `dredge run` beside it names them",
                "give the scenes the detections came from with --scenes",
            )
        gone = [str(s) for s in scenes if not is_remote(str(s)) and not Path(s).exists()]
        if gone:  # moved since the run: 'file not found — check the path' gave no way on
            raise InputError(
                gone[0],
                f"not found ({len(gone)} of the run's {len(scenes)} scenes are not where "
                f"{detections.parent / RUN_RECORD} says: moved since?)",
                "give the folder they are in now with --scenes",
            )
    if bands is None and record is not None:
        run_bands = (record.get("parameters") or {}).get("scene_bands")
        bands = list(run_bands) if run_bands else None
    spec, classes = card.input, card.classes
    if len(spec.bands) not in (1, 3):
        raise DredgeError(f"review tiles are PNG (1 or 3 bands); the model reads {len(spec.bands)}")
    _check_out(out, overwrite, classes)
    frame = read_detections(detections)
    unknown = sorted(set(frame["class_name"].astype(str)) - set(classes))
    if unknown:
        raise InputError(
            detections,
            f"has {agree(len(unknown), 'class', 'classes')} {', '.join(unknown)} that model "
            f"{card.name} does not know",
            "give the model that made the detections with --model",
        )
    sources = resolve_scenes(scenes)
    given = sources.paths
    table = sources.dates_with(dates)  # as `dredge detect` dates them: the table, then --date
    scene_dates = {path: when for path in given if (when := table.get(path) or date) is not None}
    taken, by_ending = _names_from_here(detections, record, [str(p) for p in given])
    for path in sorted(by_ending):
        if not _same_date(path, taken[path], frame, bands, scene_dates.get(path)):
            del taken[path]  # not the run's scene: it takes a name of its own
    labels = scene_labels(given, taken=taken)
    for path, name in _named_by_ending(labels, taken, set(frame["scene"].astype(str))).items():
        if _same_date(path, name, frame, bands, scene_dates.get(path)):
            labels[path] = name
    _check_names(detections, labels, taken, frame, bands, scene_dates)
    paths = {name: path for path, name in labels.items()}
    frame, other_days = of_its_day(detections, frame, paths, bands, scene_dates)
    on_given = frame["scene"].astype(str).isin(list(paths))
    if not on_given.any():
        raise InputError(
            detections,
            "none of its detections is on the scenes given",
            "give the scenes the detections came from with --scenes",
        )
    frame, duplicates = without_duplicates(frame[on_given])
    frame = frame.reset_index(drop=True)
    order = uncertainty_order(frame["score"])
    partial = out.parent / f".{out.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    images_dir = partial / "images" / SUBSET
    images_dir.mkdir(parents=True)
    try:
        tiles, scores, rows = _export(frame, order, paths, spec, count, bands, images_dir)
        images = [images_dir / f"{t.name}.png" for t in tiles]
        extra = {"gsd_m": spec.gsd_m, "bands": list(spec.bands), "model": card.name}
        write_yolo(tiles, partial, classes, images=images, subset=SUBSET, extra=extra)
        # LabelImg opens a label file only with a classes.txt beside it (else it stops)
        shutil.copy(partial / "classes.txt", partial / "labels" / SUBSET / "classes.txt")
        coco = coco_dict(
            tiles, [p.name for p in images], classes, scores=scores,
            info={"gsd_m": spec.gsd_m, "bands": list(spec.bands), "model": card.name},
        )  # fmt: skip
        (partial / "annotations").mkdir()
        _write_json(partial / COCO_NAME, coco)
        tasks = label_studio_tasks(tiles, scores, card.name)
        _write_json(partial / "label_studio_tasks.json", tasks)
        with (partial / INDEX_NAME).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(INDEX_COLUMNS)
            writer.writerows(rows)
        _check_out(out, overwrite, classes)  # corrected while the tiles were cut: kept
        move_into_place(partial, out)  # the old folder aside first, deleted last
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    boxes = sum(len(t.boxes) for t in tiles)
    return (
        f"{count_of(len(tiles), 'review tile')} with "
        f"{count_of(boxes, 'pre-filled box', 'pre-filled boxes')} "
        f"from {count_of(len(order), 'detection')}{other_days}{duplicates} "
        f"→ {out} (YOLO: data.yaml; COCO: annotations/instances_default.json)"
    )


def _check_out(out: Path, overwrite: bool, classes: Sequence[str]) -> None:
    put_back_folder_set_aside(out)  # a review killed while it replaced the previous one
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise DredgeError(f"{out}: folder is not empty — choose another --out, or --overwrite")
        if not (out / INDEX_NAME).is_file():
            raise DredgeError(
                f"{out}: --overwrite only replaces a folder written by `dredge review` "
                f"(no {INDEX_NAME}); choose another --out"
            )
        done = corrections(out, classes)
        if done:
            raise DredgeError(
                f"{out}: --overwrite would delete the work done in it since `dredge review` "
                f"wrote it: {done} — move the folder away (give it to `dredge train`) or choose "
                "another --out"
            )


def _export(
    frame: gpd.GeoDataFrame,
    order: list[int],
    paths: dict[str, str],
    spec: Any,
    count: int,
    bands: Sequence[str] | None,
    images_dir: Path,
) -> tuple[list[LabelledTile], list[list[float]], list[list[object]]]:
    tiles: list[LabelledTile] = []
    scores: list[list[float]] = []
    rows: list[list[object]] = []
    windows: dict[str, list[Window]] = {}
    local: dict[str, tuple[gpd.GeoDataFrame, Any]] = {}
    size = spec.tile_px
    with reading_env():
        for position in order:
            if len(tiles) >= count:
                break
            scene_name = str(frame.iloc[position]["scene"])
            date = run_date(frame.iloc[position])  # as the run read it (--dates: not 1 AU)
            with open_scene(paths[scene_name], bands=bands, name=scene_name, date=date) as scene:
                if scene_name not in local:
                    grid = scene.grid(spec.gsd_m)
                    mine = frame[frame["scene"].astype(str) == scene_name].to_crs(scene.crs)
                    local[scene_name] = (mine, grid)
                mine, grid = local[scene_name]
                inverse = ~grid.transform
                x0, y0, x1, y1 = _pixel_box(mine.geometry.loc[position], inverse)
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                if any(_well_inside(cx, cy, w, grid) for w in windows.get(scene_name, [])):
                    continue
                col = int(np.clip(round(cx - size / 2), 0, max(0, grid.width - size)))
                row = int(np.clip(round(cy - size / 2), 0, max(0, grid.height - size)))
                window = Window(col, row, size, size)
                if window in windows.get(scene_name, []):  # clamped to the scene: exported
                    continue
                windows.setdefault(scene_name, []).append(window)
                boxes, box_scores = [], []
                for index, geom in zip(mine.index, mine.geometry, strict=True):
                    box = _in_window(_pixel_box(geom, inverse), col, row, size)
                    if box is not None:
                        boxes.append(Box(str(frame.loc[index, "class_name"]), *box))
                        box_scores.append(float(frame.loc[index, "score"]))
                data = scene.read_window(window, spec, grid)
                pixels = np.moveaxis(np.rint(data.data * 255).astype(np.uint8), 0, -1)
                name = f"{scene.stem}_w{col}_{row}"
                image = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
                Image.fromarray(image).save(images_dir / f"{name}.png", compress_level=1)
                tiles.append(
                    LabelledTile(name, scene.stem, "review", size, size, boxes, pixels=pixels)
                )
                scores.append(box_scores)
                detection = frame.iloc[position]
                x, y = grid.transform @ (col + size / 2, row + size / 2)
                (lon,), (lat,) = warp_points(scene.crs, "EPSG:4326", [x], [y])
                rows.append(
                    [f"images/{SUBSET}/{name}.png", scene.stem,
                     detection.get("detection_id", ""), round(float(detection["score"]), 4),
                     detection["class_name"], len(boxes), round(lon, 7), round(lat, 7)]
                )  # fmt: skip
    return tiles, scores, rows


def _pixel_box(geom: Any, inverse: Any) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = geom.bounds
    corners = [inverse @ (x, y) for x in (minx, maxx) for y in (miny, maxy)]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _well_inside(cx: float, cy: float, window: Window, grid: Any) -> bool:
    """The centre lies :data:`MARGIN_PX` inside the window, or nearer a side of it that is the
    scene's edge (no tile shows more there: two detections at a scene's edge got one tile
    each, the same window under one name)."""
    left, top = window.col_off, window.row_off
    right, bottom = left + window.width, top + window.height
    margin = [0 if at_edge else MARGIN_PX for at_edge in
              (left <= 0, top <= 0, right >= grid.width, bottom >= grid.height)]  # fmt: skip
    return bool(
        left + margin[0] <= cx <= right - margin[2] and top + margin[1] <= cy <= bottom - margin[3]
    )


def _in_window(
    box: tuple[float, float, float, float], col: int, row: int, size: int
) -> tuple[float, float, float, float] | None:
    x0, y0, x1, y1 = box[0] - col, box[1] - row, box[2] - col, box[3] - row
    area = (x1 - x0) * (y1 - y0)
    cx0, cy0, cx1, cy1 = max(x0, 0.0), max(y0, 0.0), min(x1, float(size)), min(y1, float(size))
    inside = max(0.0, cx1 - cx0) * max(0.0, cy1 - cy0)
    if area <= 0 or inside / area < MIN_INSIDE_FRACTION:
        return None
    return cx0, cy0, cx1, cy1


def _write_json(path: Path, data: object) -> None:
    path.write_text(json_text(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
