"""Pick the reader for each label path and read them all into :class:`LabelSet` objects.

A path is read as:

- **YOLO**: a ``data.yaml`` / ``.yml``, or a folder holding one, ``classes.txt`` or
  ``obj.names``; a folder that also holds a COCO JSON of the same images (``dredge review``
  writes both) whose boxes differ is an error asking for the one corrected;
- **COCO**: a ``.json`` file that is not GeoJSON, or a folder holding exactly one COCO JSON
  (also in ``annotations/``; a folder with several is an error naming each, to give them);
- **vector**: ``.geojson``, ``.gpkg``, ``.shp``, ``.parquet``, ``.fgb``, or a ``.json`` with a
  GeoJSON ``FeatureCollection``; needs the scenes and the river centerlines;
- **VOC**: a Pascal VOC ``.xml`` (LabelImg, CVAT, Roboflow), or a folder holding some.

A tile whose image file an earlier set read already (the same folder given twice, a folder and
its own COCO JSON), or a copy of such a tile under the name `dredge review` or `dredge tiles`
gave it (two review folders whose tiles overlap), is left out with a note, or is an error
where the two sets' boxes differ.
Tile names are made unique across sets (a clash gets the set's number in front), so the sets
can be written into one dataset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.rivers import RiverNetwork
from detector.scene_sources import scene_folder_error
from detector.wording import agree, count_of, part_of
from training.labels.classes import ClassMap
from training.labels.coco import coco_file, coco_files, is_coco, read_coco
from training.labels.table import (
    LabelledTile,
    cut_tile_name,
    file_name_key,
    read_text,
    same_boxes,
    same_pixels,
    tile_stem,
)
from training.labels.vector import is_vector, read_vector_labels
from training.labels.voc import is_voc, read_voc
from training.labels.yolo import YAML_NAMES, is_yolo, label_file, read_yolo, relative

FORMATS = ("yolo", "coco", "vector", "voc")


@dataclass
class LabelSet:
    """One label path as given, its format, its tiles, and notes for people."""

    source: str
    format: str
    tiles: list[LabelledTile]
    notes: list[str] = field(default_factory=list)

    def instances(self, classes: Sequence[str]) -> dict[str, int]:
        """Boxes per class."""
        counts = dict.fromkeys(classes, 0)
        for tile in self.tiles:
            for box in tile.boxes:
                counts[box.class_name] += 1
        return counts

    def summary(self, classes: Sequence[str]) -> str:
        """One line: tiles, negatives, scenes, boxes per class."""
        negatives = sum(not t.boxes for t in self.tiles)
        scenes = len({t.scene for t in self.tiles})
        boxes = ", ".join(f"{n} {c}" for c, n in self.instances(classes).items())
        return (
            f"{self.source} ({self.format}): {count_of(len(self.tiles), 'tile')} "
            f"({negatives} negative) "
            f"from {count_of(scenes, 'scene')}; {boxes}"
        )


def label_format(path: Path) -> str:
    """``yolo``, ``coco``, ``vector`` or ``voc`` for a label path; InputError when it is none."""
    if not path.exists():
        raise InputError(path, "not found", "check the label path")
    if path.suffix.lower() in (".tif", ".tiff"):
        raise InputError(
            path,
            "is a scene, not labels (an unquoted --scenes glob gives the shell's first match "
            "to --scenes and the others to LABELS)",
            "quote the glob (--scenes 'scenes/*.tif') or give the folder (--scenes scenes/)",
        )
    if is_vector(path):
        return "vector"
    if is_yolo(path):
        return "yolo"
    if is_coco(path):
        return "coco"
    if is_voc(path):
        return "voc"
    several = coco_files(path) if path.is_dir() else []
    if len(several) > 1:  # CVAT: instances_Train.json, instances_Validation.json
        names = ", ".join(relative(p, path) for p in several)
        raise InputError(
            path,
            f"holds {len(several)} COCO JSON files ({names}) and it is not known which to read",
            "give each one as a label set: " + " ".join(str(p) for p in several),
        )
    scenes = scene_folder_error(path, "LABELS")
    if scenes is not None:
        raise scenes
    raise InputError(
        path,
        "is not a label set this tool reads",
        "give a YOLO folder (data.yaml), a COCO .json (CVAT / Label Studio), Pascal VOC .xml "
        "files (LabelImg), or a GeoJSON / GeoPackage / Shapefile of boxes or points with "
        "--scenes and --rivers",
    )


def read_label_sets(
    paths: Sequence[str | Path],
    class_map: ClassMap,
    spec: InputSpec,
    *,
    scenes: Sequence[str | Path] = (),
    rivers: RiverNetwork | None = None,
    scene_bands: Sequence[str] | None = None,
) -> list[LabelSet]:
    """Read every label path (see the module's docstring); tile names made unique."""
    kinds = [label_format(Path(raw)) for raw in paths]  # every path's kind before any work
    sets: list[LabelSet] = []
    for raw, kind in zip(paths, kinds, strict=True):
        path = Path(raw)
        notes: list[str] = []
        if kind == "yolo":
            from training.review_folder import passed_over_labels, uncorrected_review_note

            passed_over = passed_over_labels(path if path.is_dir() else path.parent)
            if passed_over is not None:
                raise passed_over
            tiles = read_yolo(path, class_map, gsd_m=spec.gsd_m, notes=notes)
            _check_coco_beside(path, tiles, class_map, spec.gsd_m)
            notes += [note for note in [uncorrected_review_note(path)] if note]
        elif kind == "coco":
            tiles = read_coco(path, class_map, gsd_m=spec.gsd_m, notes=notes)
        elif kind == "voc":
            tiles, notes = read_voc(path, class_map)
        else:
            tiles, notes = read_vector_labels(
                path, class_map, scenes=scenes, rivers=rivers, spec=spec, scene_bands=scene_bands
            )
        if kind != "vector":
            notes += _resized_tiles_note(path, tiles, spec)
            _check_chip_index(path, spec)
            _place_chips(path, tiles)
        sets.append(LabelSet(str(path), kind, tiles, notes))
    _read_once(sets)
    _unique_names(sets)
    return sets


def _chip_index(path: Path) -> Path | None:
    """The ``tiles.parquet`` of `dredge tiles` in or up to two folders above a label set."""
    folder = path if path.is_dir() else path.parent
    return next((f / "tiles.parquet" for f in (folder, *list(folder.parents)[:2])
                 if (f / "tiles.parquet").is_file()), None)  # fmt: skip


def _place_chips(path: Path, tiles: Sequence[LabelledTile]) -> None:
    """Chips of `dredge tiles` take their place on the map (their footprint's centre) from its
    ``tiles.parquet``, and tiles of `dredge review` from its ``tiles.csv`` (``lon``, ``lat``),
    by file name, so that ``dredge train`` can hold out places."""
    import geopandas as gpd
    import shapely

    reviewed = _review_places(path)
    for tile in tiles:
        if tile.place is None:
            tile.place = reviewed.get(tile_stem(tile.name))
    index = _chip_index(path)
    if index is None or all(t.place is not None for t in tiles):
        return
    try:
        frame = gpd.read_parquet(index, columns=["chip", "geometry"])
    except Exception:  # not an index this tool wrote: the tiles stay without a place
        return
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    centres = shapely.centroid(np.asarray(frame.geometry.array, dtype=object))
    xs, ys = shapely.get_x(centres).tolist(), shapely.get_y(centres).tolist()
    places = {
        Path(str(chip)).stem: (x, y)
        for chip, x, y in zip(frame["chip"].tolist(), xs, ys, strict=True)
        if np.isfinite(x) and np.isfinite(y)
    }
    for tile in tiles:
        if tile.place is None:
            tile.place = places.get(tile_stem(tile.name))


def _review_places(path: Path) -> dict[str, tuple[float, float]]:
    """Tile name → (lon, lat) from the ``tiles.csv`` of `dredge review` in or up to two folders
    above a label set (its COCO file is in ``annotations/``); empty where there is none or it
    has no places (written before it gave them)."""
    folder = path if path.is_dir() else path.parent
    index = next((f / "tiles.csv" for f in (folder, *list(folder.parents)[:2])
                  if (f / "tiles.csv").is_file()), None)  # fmt: skip
    if index is None:
        return {}
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(index), newline="")))
    except (InputError, csv.Error):
        return {}
    places = {}
    for row in rows:
        try:
            lon, lat = float(row.get("lon") or "nan"), float(row.get("lat") or "nan")
        except ValueError:
            continue
        if row.get("chip") and np.isfinite(lon) and np.isfinite(lat):
            places[tile_stem(Path(str(row["chip"])).stem)] = (lon, lat)
    return places


def _check_chip_index(path: Path, spec: InputSpec) -> None:
    """InputError when the ``tiles.parquet`` of `dredge tiles` in or above the label set says
    its chips were cut at another GSD, bands or scaling than the model reads: they were scored
    and trained on without a word (chips at 1.5 m: dredge F1 0.23; false colour: 0.16;
    reflectance-scaled chips, near black, for a display model: 0.36; 0.85 cut right)."""
    import pandas as pd
    import pyarrow.parquet as pq

    index = _chip_index(path)
    if index is None:
        return
    try:
        names = set(pq.read_schema(index).names)
        table = pd.read_parquet(
            index, columns=[c for c in ("gsd_m", "bands", "scale") if c in names]
        )
    except Exception:  # not an index this tool wrote
        return
    cut = {}
    if "gsd_m" in table and len(table):
        gsd = float(table["gsd_m"].median())
        if abs(gsd - spec.gsd_m) > 0.02 * spec.gsd_m:
            cut["gsd"] = (f"{gsd:g} m", f"{spec.gsd_m:g} m", f"--gsd {spec.gsd_m:g}")
    if "bands" in table and len(table):
        bands = str(table["bands"].mode().iloc[0])
        if bands != ",".join(spec.bands):
            cut["bands"] = (bands, ",".join(spec.bands), f"--bands {','.join(spec.bands)}")
    if "scale" in table and len(table):
        scale = str(table["scale"].mode().iloc[0])
        if scale != spec.scale:
            cut["scale"] = (scale, spec.scale, f"--scale {spec.scale}")
    if cut:
        said = ", ".join(f"{key} {was}" for key, (was, _, _) in cut.items())
        wanted = ", ".join(f"{key} {want}" for key, (_, want, _) in cut.items())
        raise InputError(
            path,
            f"its chips were cut with {said} ({index}), where the model reads {wanted}",
            "cut them again with dredge tiles "
            + " ".join(fix for _, _, fix in cut.values())
            + " and label those",
        )


EXPORT_SIZES_PX = (320, 416, 512, 608, 640, 800, 1024, 1280)  # labelling tools' resize presets


def _resized_tiles_note(path: Path, tiles: Sequence[LabelledTile], spec: InputSpec) -> list[str]:
    """A note when tiles are square at a labelling tool's export size other than the model's
    tile size: Roboflow resizes to 640 × 640 by default, so a tile of 256 px at 3 m became one
    at 1.2 m, and boxes were scored at a scale the model never saw (dredge TP 4 → 0, FP 49, on
    8 review tiles) without a word. Tiles cut at another size but the model's GSD are fine, so
    this is a note, not an error."""
    sizes = [(t.width, t.height) for t in tiles]
    resized = [w for w, h in sizes if w == h and w != spec.tile_px and w in EXPORT_SIZES_PX]
    if not resized or len(resized) < len(sizes) / 2:
        return []
    size = max(set(resized), key=resized.count)
    return [
        f"{path}: {len(resized)} of {len(sizes)} tiles are {size} × {size} px, a labelling "
        f"tool's export size, where the model's are {spec.tile_px} px at {spec.gsd_m:g} m: "
        "if they were resized on export (Roboflow's default 'Resize: Stretch to 640×640'), "
        "their objects are at another scale than the model's — export them at their own size"
    ]


def _read_once(sets: list[LabelSet]) -> None:
    """Leave out a tile whose image file an earlier label set read (the same folder given
    twice, a folder and its own COCO JSON), or that is the same tile as one of an earlier set
    (named as `dredge review` or `dredge tiles` named it, with the same pixels: two review
    folders whose tiles overlap; tiles read from image files only), with a note: it would
    count twice. InputError when the two label it otherwise: which one is right only the
    analyst knows."""
    seen: dict[Path, tuple[LabelSet, LabelledTile]] = {}
    named: dict[str, tuple[LabelSet, LabelledTile]] = {}
    for label_set in sets:
        kept: list[LabelledTile] = []
        again: list[tuple[LabelledTile, LabelSet]] = []
        copies: list[tuple[LabelledTile, LabelSet]] = []
        for tile in label_set.tiles:
            key = tile.image.resolve() if tile.image is not None else None
            name = cut_tile_name(tile.name) if key is not None else None  # a file's tile
            earlier = seen.get(key) if key is not None else None
            copy = earlier is None and name is not None and name in named
            if copy and named[str(name)][0] is not label_set:
                earlier = named[str(name)] if same_pixels(tile, named[str(name)][1]) else None
            if earlier is None or earlier[0] is label_set:
                kept.append(tile)
                if key is not None:
                    seen.setdefault(key, (label_set, tile))
                if name is not None:
                    named.setdefault(name, (label_set, tile))
                continue
            first_set, first = earlier
            if not same_boxes(tile.boxes, first.boxes):
                what = f"tile {tile.name}, the same tile as {first.image}," if copy else tile.image
                raise InputError(
                    label_set.source,
                    f"labels {what} otherwise than {first_set.source} does "
                    f"({count_of(len(tile.boxes), 'box', 'boxes')} here, {len(first.boxes)} there)",
                    "give one of the two label sets (the one corrected)"
                    + (", or delete the tile (image and label) from the one not corrected"
                       if copy else ""),
                )  # fmt: skip
            (copies if copy else again).append((tile, first_set))
        total = len(label_set.tiles)
        label_set.tiles = kept
        if again:
            n = len(again)
            label_set.notes.append(
                f"{part_of(n, total, 'tile')} {agree(n, 'was', 'were')} read already from "
                f"{again[0][1].source} (the same image {agree(n, 'file', 'files')} and boxes) and "
                f"{agree(n, 'is', 'are')} read once (first: {again[0][0].name})"
            )
        if copies:
            n = len(copies)
            label_set.notes.append(
                f"{part_of(n, total, 'tile')} {agree(n, 'is a tile', 'are tiles')} of "
                f"{copies[0][1].source} exported again (the same name and pixels), with the same "
                f"boxes, and {agree(n, 'is', 'are')} read once (first: {copies[0][0].name})"
            )


def _check_coco_beside(
    path: Path, tiles: Sequence[LabelledTile], class_map: ClassMap, gsd_m: float
) -> None:
    """A folder holding YOLO labels and a COCO JSON of the same images (``dredge review``
    writes both) is read as YOLO; InputError when the JSON's boxes differ, as when one of them
    was corrected and the other not: which one is right only the analyst knows."""
    json_path = coco_file(path) if path.is_dir() else None
    if json_path is None:
        return
    try:
        others = read_coco(json_path, class_map, gsd_m=gsd_m)
    except InputError:
        return  # not a copy of the same labels (or not readable): nothing to compare
    by_image = {tile.image.resolve(): tile for tile in others if tile.image is not None}
    differ = [
        tile
        for tile in tiles
        if tile.image is not None
        and tile.image.resolve() in by_image
        and not same_boxes(tile.boxes, by_image[tile.image.resolve()].boxes)
    ]
    if not differ:
        return
    first = differ[0]
    other = by_image[first.image.resolve()] if first.image is not None else first
    yaml_path = next((path / n for n in YAML_NAMES if (path / n).is_file()), path)
    newer = "the JSON" if json_path.stat().st_mtime > _labels_mtime(tiles) else "the YOLO labels"
    raise InputError(
        path,
        f"its YOLO labels and {relative(json_path, path)} label "
        f"{part_of(len(differ), len(tiles), 'tile')} otherwise (first: {first.name}, "
        f"{count_of(len(first.boxes), 'box', 'boxes')} in YOLO, "
        f"{len(other.boxes)} in COCO; {newer} saved later): one was corrected, the other not",
        f"give the one you corrected: {json_path} or {yaml_path}",
    )


def _labels_mtime(tiles: Sequence[LabelledTile]) -> float:
    """The latest change among the tiles' YOLO label files (0 without any)."""
    times = [
        label.stat().st_mtime
        for tile in tiles
        if tile.image is not None and (label := label_file(tile.image)) is not None
    ]
    return max(times, default=0.0)


def _unique_names(sets: list[LabelSet]) -> None:
    """Name the tiles apart: a tile named as an earlier one (told apart as
    :func:`~training.labels.table.file_name_key` tells them: ``Nanay_r000_c000`` and
    ``nanay_r000_c000`` from two label folders, whose chips were one file on a disk that
    ignores case) is renamed ``s<N>_<name>`` (``N``: its label set's number)."""
    seen: set[str] = set()
    for number, label_set in enumerate(sets, start=1):
        for tile in label_set.tiles:
            name = tile.name
            if file_name_key(name) in seen:
                name = f"s{number}_{tile.name}"
                suffix = 2
                while file_name_key(name) in seen:
                    name = f"s{number}_{tile.name}_{suffix}"
                    suffix += 1
                tile.name = name
            seen.add(file_name_key(name))


def read_and_report(
    paths: Sequence[str | Path],
    classes: Sequence[str],
    spec: InputSpec,
    *,
    class_map: dict[str, str] | None = None,
    scenes: Sequence[str | Path] = (),
    rivers: Path | None = None,
    name_field: str = "name",
    scene_bands: Sequence[str] | None = None,
    echo: Callable[[str], None] = print,
) -> list[LabelSet]:
    """:func:`read_label_sets` against a model's classes, with one summary line per set
    (``name_field``: the column of the river names in ``rivers``)."""
    network = RiverNetwork.read(rivers, name_field=name_field) if rivers is not None else None
    for note in network.notes if network is not None else []:
        echo(f"note: {note}")
    mapping = ClassMap(classes, class_map)
    sets = read_label_sets(
        paths, mapping, spec, scenes=scenes, rivers=network, scene_bands=scene_bands
    )
    for label_set in sets:
        echo(label_set.summary(classes))
        for note in label_set.notes:
            echo(f"note: {note}")
    missing = unlabelled_classes_note(sets, classes)
    if missing:
        echo(f"note: {missing}")
    if mapping.spanish:
        read_as = ", ".join(
            f"{name} as {target}" for name, target in sorted(mapping.spanish.items())
        )
        echo(
            f"note: class names read as the model's classes by their words: {read_as} "
            "(--class-map to change)"
        )
    return sets


def unlabelled_classes_note(sets: Sequence[LabelSet], classes: Sequence[str]) -> str:
    """A note naming the model's classes that no label set labels, where others are labelled:
    what they look like in the tiles is learnt as background. Dredges marked alone in QGIS, or
    the corrected ``detections`` layer of a run's ``dredges.gpkg`` (dredges only: boats are left
    out of tracking), taught the bundled model's boats as nothing, without a word."""
    totals = dict.fromkeys(classes, 0)
    for label_set in sets:
        for name, count in label_set.instances(classes).items():
            totals[name] += count
    missing = [name for name, count in totals.items() if count == 0]
    if not missing or len(missing) == len(totals):
        return ""
    named = ", ".join(f"'{name}'" for name in missing)
    return (
        f"no {named} labelled in any label set: every {missing[0]} in these tiles is taught as "
        f"background — label them too, unless the tiles hold none (a `dredge run`'s "
        "dredges.gpkg holds its dredges only; `dredge review` tiles come with every class "
        "pre-filled)"
    )
