"""Boxes or points drawn over whole scenes (QGIS): GeoJSON, GeoPackage, Shapefile, GeoParquet;
also points marked for counting, as ``dredge track`` reads them (a CSV of lon/lat, Google Earth
placemarks in KML/KMZ), when they name their scene or date; those that name no class (a
placemark named ``1`` or not named, a CSV without a class column) are dredges, as ``dredge
track`` counts them, with one note.

Each feature is one object: a polygon (its bounding box is the label) or a point (a square box
of the class's typical size, :data:`POINT_BOX_M`, around it); each part of a MultiPoint or
MultiPolygon is one object; a polygon of no area (drawn as a line or a point) is left out, with
one note counting them. Columns:

- the class (a layer drawn in QGIS must have one): ``class_name`` (or ``class``, ``label``,
  ``category``; Spanish ``clase``, ``tipo``, ``categoria``, ``objeto``, Portuguese ``classe``;
  any case: the names ``dredge track`` reads, :data:`detector.mark_classes.CLASS_COLUMNS`),
  mapped to the model's classes (``--class-map draga=dredge``);
- ``scene`` (or ``escena``, ``imagen``, ``imagem``, ``cena``; any case): the scene file the
  object was drawn on (its file name, stem or Planet ID). It may be left out (or left blank on
  some features) when one scene is given. A row with a scene and no geometry says "this scene
  was looked at and holds nothing": its tiles all become negatives. Without a scene column,
  marks with a date (Google Earth folders named by date, ``fecha``) label the scenes given of
  their day that hold them (:mod:`training.labels.dated`).

Every scene named in the file is cut into tiles along the river corridors by the project's
tiler (:func:`detector.tiling.plan_scene`) at the model's GSD, bands and tile size, exactly as
``dredge detect`` will see it; tiles without objects are negatives. A box cut by a tile's edge
is kept (clipped) when at least half of it is inside the tile. Features in another CRS than the
scene's are reprojected. A file without a CRS, a GeoJSON whose coordinates are not longitude and
latitude (RFC 7946 GeoJSON is always EPSG:4326), a feature outside its scene, an unknown
class, or a mark that stands for several dredges (a ``cantidad`` of 3: a label is one object)
is an :class:`InputError` naming the file and the feature.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import Point
from shapely.geometry.base import BaseGeometry

from detector.acquisition import scene_file_name, scene_labels
from detector.date_tables import SCENE_COLUMNS
from detector.errors import InputError, first_line
from detector.grid import crs_units_per_metre
from detector.inputspec import InputSpec
from detector.mark_classes import CLASS_COLUMNS, count_column
from detector.rivers import RiverNetwork
from detector.scene import Scene, open_scene, reading_env
from detector.scene_sources import resolve_scenes
from detector.tiling import plan_scene
from detector.user_tables import first_named, layer_to_read
from detector.vector_files import read_vector_layer
from detector.wording import agree, count_of, part_of
from training.labels.classes import ClassMap
from training.labels.dated import one_scene_note, scenes_by_date
from training.labels.table import Box, LabelledTile

VECTOR_SUFFIXES = (".geojson", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb")
MARK_SUFFIXES = (".csv", ".kml", ".kmz", ".txt", ".tsv")  # read as dredge track reads marks
# Excel saves a sheet as 'Unicode text' or 'Text (Tab delimited)' under .txt: a table of marks
# when its header holds columns (YOLO's classes.txt and label files hold none)
TEXT_SUFFIXES = (".txt", ".tsv")


POINT_BOX_M = {"dredge": 20.0, "boat": 8.0}  # side of the box drawn around a point, m
DEFAULT_POINT_BOX_M = 15.0
MIN_INSIDE_FRACTION = 0.5  # share of a box inside a tile for it to be labelled there
_FIX_EXPORT = "export the layer again from QGIS (Save Features As…)"


def is_vector(path: Path) -> bool:
    """True for a vector file by its suffix, or a ``.json`` holding GeoJSON."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return path.is_file() and _is_table(path)
    if suffix in VECTOR_SUFFIXES or (suffix in MARK_SUFFIXES and path.is_file()):
        return True
    if suffix == ".json" and path.is_file():
        with path.open("rb") as handle:
            head = handle.read(4096)
        return b'"FeatureCollection"' in head or b'"Feature"' in head
    return False


def read_vector_labels(
    path: Path,
    class_map: ClassMap,
    *,
    scenes: Sequence[str | Path],
    rivers: RiverNetwork | None,
    spec: InputSpec,
    scene_bands: Sequence[str] | None = None,
) -> tuple[list[LabelledTile], list[str]]:
    """Tiles (with boxes) of every scene the file labels, and notes for people;
    ``scene_bands`` names the scenes' bands in file order, as ``--scene-bands`` does."""
    frame = _read(path)
    if rivers is None:
        raise InputError(
            path,
            "labels drawn over whole scenes are cut into tiles along the rivers",
            "give the river centerlines with --rivers (and the scenes with --scenes)",
        )
    scene_paths = resolve_scenes(scenes).paths if scenes else []
    if not scene_paths:
        raise InputError(path, "labels scenes, but no scene was given", "add --scenes SCENES")
    classes, class_notes = _classes(frame, path, class_map)
    _check_one_object_a_row(frame, path)
    names = scene_labels(scene_paths)  # scenes that share a file name are named apart
    assigned, notes = _assigned(frame, path, scene_paths, names)
    notes += class_notes
    geometries = list(frame.geometry)
    tiles: list[LabelledTile] = []
    flat: set[tuple[int, int]] = set()  # (row, part) of polygons of no area, on any scene
    with reading_env():
        for scene_path in dict.fromkeys(s for _, s in assigned):
            rows = [
                i
                for i, s in assigned
                if s == scene_path and geometries[i] is not None and not geometries[i].is_empty
            ]
            with open_scene(scene_path, name=names[scene_path], bands=scene_bands) as scene:
                boxes = _scene_boxes(frame, rows, classes, scene, path, flat)
                scene_tiles, placed = _tiles(scene, boxes, rivers, spec, str(path))
            tiles += scene_tiles
            missed = placed.count(0)
            shared = sum(times > 1 for times in placed)
            if shared:
                notes.append(
                    f"{path}: {part_of(shared, len(placed), 'object')} on "
                    f"{Path(scene_path).name} {agree(shared, 'lies', 'lie')} where tiles overlap "
                    f"and {agree(shared, 'is', 'are')} a box in each ({sum(placed)} boxes in all): "
                    "boxes, not objects, are counted per tile in the summary and the scores"
                )
            if missed:
                notes.append(
                    f"{path}: {count_of(missed, 'object')} on {Path(scene_path).name} "
                    f"{agree(missed, 'lies', 'lie')} outside every river-corridor tile and "
                    f"{agree(missed, 'was', 'were')} left out (widen --corridor-m to keep "
                    f"{agree(missed, 'it', 'them')})"
                )
    if flat:
        n = len(flat)
        notes.append(
            f"{path}: {count_of(n, 'label')} of zero area (a polygon drawn as a line or a point) "
            f"{agree(n, 'was', 'were')} left out (first: {_where(frame, min(flat)[0])}); redraw "
            f"{agree(n, 'it as a box, or as a point', 'them as boxes, or as points')}"
        )
    return tiles, notes


def _read(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InputError(path, "file not found", "check the path")
    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            frame = gpd.read_parquet(path)
        elif path.suffix.lower() in MARK_SUFFIXES:
            from detector.track_files import read_detections

            frame = read_detections(path)  # lon/lat, degrees-minutes-seconds, a crs column
        else:
            with warnings.catch_warnings():  # a geometry GDAL cannot read is None: see _classes
                warnings.filterwarnings("ignore", "Unsupported geometry type", RuntimeWarning)
                frame = read_vector_layer(path, _labels_layer(path))
    except InputError:
        raise
    except Exception as exc:  # pyogrio and pyarrow raise many unrelated types
        first = first_line(exc)
        raise InputError(path, f"cannot be read as vector labels ({first})", _FIX_EXPORT) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InputError(path, "has no geometry column", _FIX_EXPORT)
    if not len(frame):
        raise InputError(path, "has no features", "draw the boxes or points, then save")
    if frame.crs is None:
        raise InputError(path, "has no CRS", "save it with its CRS (e.g. as a GeoPackage)")
    if frame.crs.is_geographic:
        _check_lonlat(frame, path)
    return frame.reset_index(drop=True)


LABEL_LAYERS = ("labels", "etiquetas", "detections")


def _labels_layer(path: Path) -> str | None:
    """The layer of a file with several (a GeoPackage) that holds the labels: one named
    labels/etiquetas/detections (the corrected ``detections`` layer of ``dredges.gpkg``), else
    the only one with a class column. The first layer was read: ``dredges.gpkg``'s tracks."""
    if path.suffix.lower() != ".gpkg":  # one layer a file (asking a GeoJSON warns)
        return None
    return layer_to_read(
        path,
        names=LABEL_LAYERS,
        columns=CLASS_COLUMNS,
        what="labels",
        fix="name the labels layer 'labels', or save it alone in a file",
    )


def _check_lonlat(frame: gpd.GeoDataFrame, path: Path) -> None:
    """InputError when a geographic file's coordinates are clearly not degrees."""
    bounds = frame.geometry.bounds
    bad = (bounds["minx"] < -180) | (bounds["maxx"] > 180) | (bounds["miny"] < -90)
    bad |= bounds["maxy"] > 90
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        x, y = bounds.iloc[first]["minx"], bounds.iloc[first]["miny"]
        raise InputError(
            path,
            f"{_where(frame, first)}: coordinates ({x:.1f}, {y:.1f}) are not longitude/latitude, "
            f"but the file says {frame.crs.to_string()} (GeoJSON is always EPSG:4326)",
            "export the layer with CRS EPSG:4326, or save it as a GeoPackage that keeps its "
            "projected CRS",
        )


def _where(frame: gpd.GeoDataFrame, row: int) -> str:
    for column in ("id", "fid", "ID"):
        if column in frame.columns:
            return f"feature {row + 1} (id {frame.iloc[row][column]})"
    return f"feature {row + 1}"


def _classes(
    frame: gpd.GeoDataFrame, path: Path, class_map: ClassMap
) -> tuple[list[str | None], list[str]]:
    """The class of every feature (None: a scene looked at, with nothing in it), and notes.
    Marks made for counting (:data:`MARK_SUFFIXES`) that name no class are dredges, as
    ``dredge track`` counts them: a Google Earth placemark named ``1`` or left unnamed."""
    column = first_named(frame.columns, CLASS_COLUMNS)
    counting = path.suffix.lower() in MARK_SUFFIXES
    if column is None and not counting:
        raise InputError(
            path,
            f"has no class column ({', '.join(CLASS_COLUMNS)})",
            f"add a column class_name with one of {', '.join(class_map.classes)}",
        )
    names = frame[column] if column is not None else pd.Series(None, frame.index, dtype=object)
    out: list[str | None] = []
    unnamed = 0
    for row, (name, geom) in enumerate(zip(names, frame.geometry, strict=True)):
        if geom is None or geom.is_empty:
            if _names_a_class(class_map, name, path, _where(frame, row)):
                raise InputError(
                    path,
                    f"{_where(frame, row)} is a {str(name).strip()!r} with no geometry that could "
                    "be read (GDAL reads a Circle, or a polygon whose rings are not lists of "
                    "points, as none)",
                    "redraw it as a point or polygon; leave its class blank to mark its scene as "
                    "looked at with nothing in it",
                )
            out.append(None)  # a scene marked as looked at, with nothing in it
            continue
        if _missing(name) and counting:
            unnamed += 1
            name = "dredge"
        elif _missing(name):
            raise InputError(path, f"{_where(frame, row)} has no class", "fill in its class")
        out.append(class_map.resolve(name, path, _where(frame, row)))
    return out, [_unnamed_note(path, unnamed, len(frame))] if unnamed else []


def _is_table(path: Path) -> bool:
    """True for a text file whose header holds two columns or more (tab, ``;``, ``,``)."""
    from detector.user_tables import read_csv_table

    try:
        return len(read_csv_table(path, nrows=2).frame.columns) >= 2
    except (ValueError, UnicodeDecodeError, InputError):
        return False


def _unnamed_note(path: Path, unnamed: int, rows: int) -> str:
    """The note for marks made for counting that name no class, taken as dredges."""
    if path.suffix.lower() not in (".kml", ".kmz"):
        what, how = "no class column, or a blank cell", "fill in a class column (clase: bote)"
    else:
        what = "placemarks named by a number, or not named"
        how = "name its placemark by its class in Google Earth (bote, Draga 2)"
    return (
        f"{path}: {part_of(unnamed, rows, 'mark')} {agree(unnamed, 'names', 'name')} no class "
        f"({what}) and {agree(unnamed, 'was taken as a dredge', 'were taken as dredges')}, as "
        f"`dredge track` counts {agree(unnamed, 'it', 'them')} — to mark a boat or another "
        f"class, {how}"
    )


def _check_one_object_a_row(frame: gpd.GeoDataFrame, path: Path) -> None:
    """InputError for a row that stands for several dredges (a count column of marks made for
    counting, :func:`detector.mark_classes.count_column`: "3 dragas" at one point). It was one
    box, and the other dredges of the group, unlabelled, were taught as background."""
    column = count_column(frame)
    if column is None:
        return
    counts = pd.to_numeric(frame[column], errors="coerce")
    several = (counts > 1).to_numpy()
    if several.any():
        row = int(np.flatnonzero(several)[0])
        raise InputError(
            path,
            f"{_where(frame, row)}: '{column}' is {frame[column].iloc[row]}, dredges at one "
            f"point ({count_of(int(several.sum()), 'such row')}); a label is one object with its "
            "own box",
            "mark each dredge of a group at its own point or box, or leave those rows out",
        )


def _names_a_class(class_map: ClassMap, name: object, path: Path, where: str) -> bool:
    """True when ``name`` is one of the model's classes (directly, mapped or in Spanish)."""
    if _missing(name):
        return False
    try:
        return class_map.resolve(name, path, where) is not None
    except InputError:
        return False


def _assigned(
    frame: gpd.GeoDataFrame, path: Path, scene_paths: list[str], labels: dict[str, str]
) -> tuple[list[tuple[int, str]], list[str]]:
    """``(row, scene path)`` of every feature (a dated mark where scenes of its day overlap is
    on each), and notes: by the scene column; without one, by the marks' dates
    (:mod:`training.labels.dated`); else on the one scene given."""
    notes = [str(note) for note in frame.attrs.get("notes", [])]  # placemarks left out
    if first_named(frame.columns, SCENE_COLUMNS) is None:
        by_date = scenes_by_date(frame, path, scene_paths, labels)
        if by_date is not None:
            return by_date
        if len(scene_paths) == 1:
            notes += one_scene_note(frame, path, scene_paths[0], labels)
    return list(enumerate(_scenes(frame, path, scene_paths, labels))), notes


def _scenes(
    frame: gpd.GeoDataFrame, path: Path, scene_paths: list[str], labels: dict[str, str]
) -> list[str]:
    """The scene path of every feature."""
    column = first_named(frame.columns, SCENE_COLUMNS)
    if column is None:
        if len(scene_paths) == 1:
            return [scene_paths[0]] * len(frame)
        raise InputError(
            path,
            f"has no 'scene' column, and {len(scene_paths)} scenes were given",
            "add a column 'scene' naming the scene file each object was drawn on, or a date "
            "column (fecha, acquired; in Google Earth, folders named by the image date) to "
            "match marks to the scenes of their day",
        )
    keys: dict[str, set[str]] = {}
    for scene_path in scene_paths:
        name = scene_file_name(scene_path)
        stem = name.rsplit(".", 1)[0]
        label = labels[scene_path]
        for key in (label, label.rsplit(".", 1)[0], name, stem, stem.split("_3B_")[0]):
            keys.setdefault(key.lower(), set()).add(scene_path)
    out = []
    for row, value in enumerate(frame[column]):
        if _missing(value):  # a feature saved without a scene, beside others with one
            if len(scene_paths) == 1:
                out.append(scene_paths[0])
                continue
            raise InputError(
                path,
                f"{_where(frame, row)} has no scene, and {len(scene_paths)} scenes were given",
                "fill in its scene column with the scene file it was drawn on",
            )
        text = str(value).strip().replace("\\", "/")
        found = {p for p in scene_paths if p == text or p.endswith("/" + text.lstrip("/"))}
        if len(found) != 1:  # not a path or the tail of one: a name, a stem or a label
            found = keys.get(text.rsplit("/", 1)[-1].lower(), set())
        if not found:
            raise InputError(
                path,
                f"{_where(frame, row)}: scene {value!r} is not among the scenes given",
                "add it to --scenes, or correct the scene column",
            )
        if len(found) > 1:
            first = sorted(found)[0]
            raise InputError(
                path,
                f"{_where(frame, row)}: scene {value!r} names {len(found)} of the scenes given "
                "(they share a file name)",
                f"write the scene as `dredge detect` names it (e.g. {labels[first]}) or its path",
            )
        out.append(next(iter(found)))
    return out


def _missing(value: object) -> bool:
    """True for a null cell: None, NaN, pandas' NA, or blank text."""
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array: not a scalar, not missing
        return False


def _scene_boxes(
    frame: gpd.GeoDataFrame,
    rows: list[int],
    classes: list[str | None],
    scene: Scene,
    path: Path,
    flat: set[tuple[int, int]],
) -> list[tuple[str, BaseGeometry]]:
    """(class, box in the scene's CRS) of the rows drawn on ``scene``; the (row, part) of
    polygons of no area, left out (no box of theirs could be placed), are added to ``flat``."""
    if not rows:
        return []
    local = frame.iloc[rows].to_crs(scene.crs)
    footprint = scene.footprint
    out = []
    for row, geom in zip(rows, local.geometry, strict=True):
        drawn = shapely.get_parts(frame.geometry.iloc[row])  # in the file's CRS
        cls = classes[row]
        if not footprint.intersects(geom):
            raise InputError(
                path,
                f"{_where(frame, row)} lies outside scene {scene.name}",
                "check its scene column and the layer's CRS",
            )
        if cls is None:
            continue
        if geom.geom_type not in ("Point", "Polygon", "MultiPoint", "MultiPolygon"):
            raise InputError(
                path,
                f"{_where(frame, row)} is a {geom.geom_type}",
                "draw each object as a box (polygon) or a point",
            )
        # each part of a multi-part feature is one object (QGIS layers of Shapefile origin are
        # MultiPoint / MultiPolygon; merged features keep their parts): not one box round all
        for number, part in enumerate(shapely.get_parts(geom)):
            if not isinstance(part, Point) and (
                drawn[number].area == 0 or _no_area(part)
            ):  # a line or point drawn as a polygon: reprojected, a sliver or still nothing
                flat.add((row, number))
                continue
            if isinstance(part, Point):
                ux, uy = crs_units_per_metre(scene.crs, part.x, part.y)
                half = POINT_BOX_M.get(cls, DEFAULT_POINT_BOX_M) / 2
                dx, dy = half * ux, half * uy
                out.append((cls, shapely.box(part.x - dx, part.y - dy, part.x + dx, part.y + dy)))
            else:
                out.append((cls, shapely.box(*part.bounds)))
    return out


def _no_area(part: BaseGeometry) -> bool:
    """True for a polygon whose bounds have no width or no height."""
    x0, y0, x1, y1 = part.bounds
    return bool(x1 <= x0 or y1 <= y0)


def _tiles(
    scene: Scene,
    boxes: list[tuple[str, BaseGeometry]],
    rivers: RiverNetwork,
    spec: InputSpec,
    source: str,
) -> tuple[list[LabelledTile], list[int]]:
    """The scene's corridor tiles with their boxes; and in how many tiles each box lies."""
    plan = plan_scene(scene, rivers, spec)
    placed = [0] * len(boxes)
    tiles = []
    crs = plan.tiles[0].crs if plan.tiles else None
    centres = gpd.GeoSeries([t.footprint.centroid for t in plan.tiles], crs=crs)
    places = centres.to_crs("EPSG:4326") if plan.tiles else centres  # the split's places
    for tile, centre in zip(plan.tiles, places, strict=True):
        inverse = ~tile.transform
        labels = []
        for index, (cls, geom) in enumerate(boxes):
            corners = [inverse @ xy for xy in geom.exterior.coords[:4]]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
            area = (x1 - x0) * (y1 - y0)
            cx0, cy0 = max(x0, 0.0), max(y0, 0.0)
            cx1, cy1 = min(x1, float(spec.tile_px)), min(y1, float(spec.tile_px))
            inside = max(0.0, cx1 - cx0) * max(0.0, cy1 - cy0)
            if area > 0 and inside / area >= MIN_INSIDE_FRACTION:
                labels.append(Box(cls, cx0, cy0, cx1, cy1))
                placed[index] += 1
        window = plan.read(tile)
        pixels = np.rint(window.data * 255).astype(np.uint8)
        tiles.append(
            LabelledTile(
                name=tile.tile_id,
                scene=scene.stem,
                source=source,
                width=spec.tile_px,
                height=spec.tile_px,
                boxes=labels,
                pixels=np.ascontiguousarray(np.moveaxis(pixels, 0, -1)),
                place=(float(centre.x), float(centre.y)),
            )
        )
    return tiles, placed
