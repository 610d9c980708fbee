"""Read and check the detections given to ``dredge track``.

Detections may come from ``dredge detect`` (``detections.parquet``) or be points or boxes that
an analyst marked by hand: GeoParquet, GeoPackage, GeoJSON, Shapefile, KML/KMZ placemarks with
a date (Google Earth's TimeStamp), or CSV with ``lon`` / ``lat`` (or ``longitude`` /
``latitude``, ``lng`` or ``long`` / ``lat``, ``x`` / ``y``, or a WKT or WKB ``geometry``
column, all in EPSG:4326; column names in any case). Only a date and a position are required.
What is done to them, each reported as one line:

- **Dates** come from ``acquired`` (or ``date`` / ``datetime`` / ``fecha`` / ``time`` /
  ``data``; a column of times of day alone is refused). Strings may mix formats and time zones
  (:func:`detector.user_tables.normalise_dates`): ISO 8601 with ``Z`` or an offset is
  converted to UTC; a date or time with no zone is taken as UTC; ``03/04/2024`` (or
  ``03-04-2024``) is read day first when the column or the table's locale (``;`` columns,
  Spanish or Portuguese column names) shows it, else month first (US order). Rows with no
  date or an unreadable one stop the run, with the count and an example — nothing is dropped
  silently.
- **CSV** as Excel writes it in any locale: ``;`` columns with decimal commas (Spanish,
  Portuguese), UTF-8 or Windows cp1252 (:func:`detector.user_tables.read_csv_table`).
- **Classes and counts** of hand marks: :mod:`detector.mark_classes`.
- **CRS**: geometries are reprojected to EPSG:4326; a file with no CRS is refused (CSV
  coordinates are EPSG:4326).
- **Rivers**: ``river``, ``chainage_m`` and ``offset_m`` are measured on the river centerlines
  given, even when the file has them (the output of ``dredge detect``, placed on the
  centerlines of that run: a line says how many moved); without centerlines (Python only) the
  file's are kept. Detections farther than the corridor from every river are kept, with no
  river and no track.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from scipy.spatial import cKDTree

from detector.acquisition import SCENE_COLUMNS
from detector.confluence import about_as_near, settle_confluences, settled_note
from detector.errors import InputError, first_line
from detector.export_edits import without_deleted_dredges
from detector.kml_marks import read_kml_marks
from detector.mark_classes import (
    KNOWN_CLASSES,
    class_of,
    class_words,
    count_column,
    hand_classes,
)
from detector.merge import HULL_ACROSS_M
from detector.rivers import RiverNetwork
from detector.user_tables import (
    TIME_ONLY,
    first_named,
    layer_to_read,
    layers_holding,
    locale_cue,
    normalise_dates,
    plain_name,
    read_csv_table,
    read_degrees,
)

WGS84 = "EPSG:4326"
# fecha, data: Spanish, Portuguese tables; a 'time' column comes after the others: beside a
# date column it holds the hour (one of hours alone is passed over: _date_column); 'data'
# last: beside an English date or time it is something else (what was measured, its source)
DATE_COLUMNS = ("acquired", "date", "datetime", "fecha", "time", "data")
LON_LAT = (
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("lng", "lat"),
    ("long", "lat"),  # Excel's and Google Sheets' Lat, Long
    ("longitud", "latitud"),
    ("x", "y"),
)
RIVER_COLUMNS = ("river", "chainage_m", "offset_m")
VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
KML_SUFFIXES = (".kml", ".kmz")


def read_detections(path: str | Path) -> gpd.GeoDataFrame:
    """Read a detections file into a GeoDataFrame (CRS as stored; CSV: EPSG:4326)."""
    source = Path(path)
    if not source.is_file():
        raise InputError(source, "file not found", "check the DETECTIONS path")
    suffix = source.suffix.lower()
    try:
        if suffix in PARQUET_SUFFIXES:
            return _read_parquet(source)
        if suffix == ".csv":
            table = read_csv_table(source)
            frame = _from_table(table.frame, source)
            frame.attrs["day_first"] = table.day_first_cue  # a ';' table: dates day first
            return frame
        if suffix in VECTOR_SUFFIXES:
            with warnings.catch_warnings():  # a geometry GDAL cannot read is None: named below
                warnings.filterwarnings("ignore", "Unsupported geometry type", RuntimeWarning)
                layer = detections_layer(source)
                frame = gpd.read_file(source, layer=layer)
                frame, deleted = without_deleted_dredges(frame, source, layer)
                frame.attrs["notes"] = _other_dated_layers_note(source, layer) + deleted
                return frame
        if suffix in KML_SUFFIXES:
            return read_kml_marks(source)
    except InputError:
        raise
    except Exception as exc:  # readers raise many unrelated types
        first = first_line(exc)
        raise InputError(
            source,
            f"cannot be read as detections ({first})",
            "give GeoParquet, GeoPackage, GeoJSON, Shapefile, KML or CSV with lon/lat columns",
        ) from None
    if suffix in (".tif", ".tiff"):
        raise InputError(
            source,
            "is a scene, not detections (an unquoted --scenes glob gives the shell's first "
            "match to --scenes and the others to DETECTIONS)",
            "quote the glob (--scenes 'scenes/*.tif') or give the folder (--scenes scenes/)",
        )
    raise InputError(
        source,
        f"unknown file type '{suffix}'",
        "give .parquet, .gpkg, .geojson, .shp, .kml or .csv (with lon/lat columns)",
    )


def _other_dated_layers_note(source: Path, layer: str | None) -> list[str]:
    """A note naming the file's other layers with a date column when one layer was read: an
    edited copy saved into the same GeoPackage (QGIS 'Save features as', layer
    'detections_edited') was passed over for 'detections' without a word."""
    if layer is None:
        return []
    others = [name for name in layers_holding(source, DATE_COLUMNS) if name != layer]
    if not others:
        return []
    return [
        f"{source}: read its layer '{layer}'; its layer(s) {', '.join(map(repr, others))} also "
        "hold dated rows and were not read — to count one of those, save it as the "
        "'detections' layer or in a file of its own"
    ]


def detections_layer(source: Path) -> str | None:
    """The layer to read from a file with several (a GeoPackage): ``detections`` (as
    ``dredge counts --gpkg`` writes it), else the only layer with a date column."""
    return layer_to_read(
        source,
        names=("detections",),
        columns=DATE_COLUMNS,
        what="dated detections",
        fix="save the detections as a layer named 'detections', or alone in a file",
    )


DREDGE_CLASSES = ("dredge", "barge", "raft")  # tracked and counted; "boat" is a look-alike


def prepare_detections(
    frame: gpd.GeoDataFrame,
    source: str | Path,
    network: RiverNetwork | None,
    *,
    looks: list[pd.DataFrame] | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Detections ready for :func:`detector.tracking.link_tracks`, and notes for the user.

    Returns a copy in EPSG:4326 with ``detection_id``, ``acquired`` (UTC), ``class_name``,
    ``river``, ``chainage_m`` and ``offset_m``; raises :class:`InputError` for what cannot be
    fixed (no dates, unreadable dates, no CRS, no river positions and no ``network``).
    ``looks``, when given, gets the ``river, acquired`` of the look-alikes left out (boats): a
    scene that shows a boat on a river was a look at it, even with no dredge there.
    """
    notes: list[str] = []
    out = frame.copy()
    if out.crs is None:
        raise InputError(source, "has no CRS", "set one, e.g. ogr2ogr -a_srs EPSG:4326 OUT IN")
    if not out.crs.equals(WGS84):
        notes.append(f"{source}: reprojected from {out.crs.to_string()} to EPSG:4326")
        out = out.to_crs(WGS84)
    empty = out.geometry.isna() | out.geometry.is_empty
    if empty.any():
        first = int(np.flatnonzero(empty.to_numpy())[0]) + 1
        raise InputError(
            source,
            f"{int(empty.sum())} rows have no geometry (the first: row {first}; GDAL reads a "
            "Circle, or a polygon whose rings are not lists of points, as none)",
            "give every row a position: a point or a polygon",
        )
    column = _date_column(out)
    if column is None and {"track_id", "first_seen", "n_dates"} <= set(out.columns):
        raise InputError(
            source,
            "holds dredge tracks (one row per dredge), not detections",
            "give the detections: tracks.detections.parquet, or the 'detections' layer or "
            "<stem>.detections.geojson that `dredge counts` writes beside the tracks",
        )
    if column is None and out.empty:
        raise InputError(source, "holds no rows", "give the detections or marks, one per row")
    if column is None:
        columns = [str(c) for c in out.columns if c != out.geometry.name]
        raise InputError(
            source,
            "no 'acquired' column (the date of the scene each detection is from; columns: "
            f"{', '.join(columns[:12]) or 'none'})",
            "name the date column 'acquired' (or date, fecha), with ISO 8601 dates such as "
            "2024-07-15T14:50:12Z",
        )
    if column != "acquired":
        notes.append(f"{source}: dates read from the '{column}' column")
    # A Spanish scene column (Escena): a dredge marked in two overlapping scenes of one pass
    # is then one dredge (detector.passes), not two side by side.
    scene = first_named(out.columns, SCENE_COLUMNS)
    if scene is not None and scene != "scene" and "scene" not in out.columns:
        out = out.rename(columns={scene: "scene"})
        notes.append(f"{source}: scenes read from the '{scene}' column")
    notes += list(frame.attrs.get("notes", []))  # what reading the file decided
    # a ';' CSV, or Spanish or Portuguese column names (fecha, latitud; a QGIS layer too)
    day_first = frame.attrs.get("day_first", locale_cue(out.columns))
    if day_first is None and plain_name(column) == "data":  # dates under Portuguese 'data'
        day_first = f"the Portuguese '{column}' column holding the dates"
    out["acquired"], date_notes = normalise_dates(
        out[column], source, day_first=day_first, guess=frame.attrs.get("date_guess", True)
    )
    notes += date_notes
    out, repeat_notes = _drop_repeated_rows(out, source)
    notes += repeat_notes
    _check_ids_once_per_scene(out, source)
    if "score" not in out.columns:  # marked by hand: a dredge may have been marked twice
        notes += _close_marks_note(out, source)
    else:
        out["score"], score_notes = _scores(out["score"], source)
        notes += score_notes
    out, count_notes = _one_row_per_dredge(out, source)
    notes += count_notes
    out, part_notes = _one_row_per_part(out, source)
    notes += part_notes
    if "detection_id" not in out.columns:
        out["detection_id"] = np.arange(1, len(out) + 1)
    unnamed = out["detection_id"].isna().to_numpy()
    if unnamed.any():  # rows added by hand to a detector's table: ids as text, one type
        ids = [_id_text(value) for value in out["detection_id"]]
        for k, row in enumerate(np.flatnonzero(unnamed), start=1):
            ids[row] = f"added-{k}"
        out["detection_id"] = ids
    named = first_named(out.columns, ["class_name"])
    if named is not None and named != "class_name":  # CLASS_NAME (a Shapefile's upper case)
        out = out.rename(columns={named: "class_name"})  # was no class: its boats dredges
    if "class_name" not in out.columns:
        out["class_name"], class_notes = hand_classes(out, source)
        notes += class_notes
    blank = out["class_name"].astype("string").str.strip().fillna("").eq("")
    if blank.any():  # rows added by hand to a detector's table (in QGIS) leave it empty
        out["class_name"] = out["class_name"].where(~blank, "dredge")
        notes.append(
            f"{source}: {int(blank.sum()):,} row(s) without a class (added by hand?) taken as "
            "dredges"
        )
    out["class_name"], word_notes = _classes_by_words(out["class_name"], source)
    notes += word_notes
    counted = out["class_name"].astype(str).str.lower().isin(DREDGE_CLASSES)
    if not counted.all():
        others = out.loc[~counted, "class_name"].astype(str).value_counts()
        listed = ", ".join(f"{n:,} {name}" for name, n in others.items())
        notes.append(
            f"{source}: {listed} detection(s) left out of tracking: only "
            f"{'/'.join(DREDGE_CLASSES)} classes are dredges (the rest are look-alikes)"
        )
        if looks is not None and network is not None:
            seen = network.locate(out.loc[~counted].geometry)
            looks.append(
                pd.DataFrame(
                    {"river": seen["river"].to_numpy(), "acquired": out.loc[~counted, "acquired"]}
                ).dropna(subset=["river"])
            )
        out = out[counted].copy()
    out, river_notes = _place_on_rivers(out, source, network)
    return out, notes + river_notes


def _date_column(frame: pd.DataFrame) -> str | None:
    """The first column named as in :data:`DATE_COLUMNS` that holds more than times of day:
    a Portuguese 'data' beside a 'time' of hours ('data,time,lon,lat') was refused as "dates
    are times of day only" once 'time' came before 'data'. None without one; the first named
    when all hold times of day (refused with that reason)."""
    named = [first_named(frame.columns, (name,)) for name in DATE_COLUMNS]
    found = [str(c) for c in dict.fromkeys(named) if c is not None]
    for column in found:
        values = frame[column].dropna()
        if pd.api.types.is_datetime64_any_dtype(values):  # a detector's own: no text to read
            return column  # (made text row by row, 1,000,000 rows took 3.5 s)
        text = pd.Series(pd.unique(values.to_numpy()), dtype=object).astype(str)
        if not text.str.contains(r"\d").any():
            continue  # no digit: no date ('sonar' in an English 'data' column beside 'time')
        if not (len(text) and bool(text.str.match(TIME_ONLY).all())):
            return column
    return found[0] if found else None


def _scores(values: pd.Series, source: str | Path) -> tuple[pd.Series, list[str]]:
    """Scores as numbers from 0 to 1: text as Excel writes it (``72%``, ``0,285``) read, and
    a column in percent (0–100) divided by 100, each with a note; they were a raw
    ``could not convert string to float`` and scores compared with ``--count-score 0.45`` as
    they were (every percent score counted)."""
    notes = []
    if not pd.api.types.is_numeric_dtype(values):
        text = values.astype("string").str.strip().replace("", pd.NA)
        percent = text.str.endswith("%", na=False)
        number = text.str.rstrip("%").str.strip().str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(number, errors="coerce").astype("Float64")
        read = pd.Series(numbers.to_numpy(dtype=float, na_value=np.nan), index=values.index)
        bad = read.isna() & text.notna()
        if bad.any():
            raise InputError(
                source,
                f"{int(bad.sum())} score(s) are not numbers, e.g. {text[bad].iloc[0]!r}",
                "write scores as numbers from 0 to 1 (0.72), or leave them blank",
            )
        values = read.where(~percent.to_numpy(), read / 100)
        if text.notna().any():
            notes.append(
                f"{source}: scores written as text ({text.dropna().iloc[0]!r}) read as numbers"
            )
    high = float(values.max()) if values.notna().any() else 0.0
    if high > 100:
        raise InputError(
            source,
            f"scores reach {high:g}: not scores from 0 to 1 or percent",
            "give the detector's scores (0 to 1), or leave the column out",
        )
    if high > 1:
        values = values / 100
        notes.append(
            f"{source}: scores reach {high:g}: read as percent (divided by 100), so that "
            "--count-score compares them as scores from 0 to 1"
        )
    return values.astype(float), notes


def _classes_by_words(classes: pd.Series, source: str | Path) -> tuple[pd.Series, list[str]]:
    """A ``class_name`` column whose values are not the tool's class names but one class word
    (``draga``, ``Dragas``, ``' dredge'``: a column edited by hand) read as a hand mark's class
    is (:func:`detector.mark_classes.class_of`); they were left out as look-alikes. Values of
    several words (``dredge_boat``, a model's own class) are taken as they are."""
    text = classes.astype(str).to_numpy()
    read = {  # one word only: a model's own class 'dredge_boat' (a dredge's support boat) is
        # not a dredge, and it was counted as one (Nanay 2024: 13 for 4)
        value: class_of(value)
        for value in dict.fromkeys(text)
        if value.lower() not in KNOWN_CLASSES and len(class_words(value)) == 1
    }
    read = {value: kind for value, kind in read.items() if kind is not None}
    if not read:
        return classes, []
    changed = np.isin(text, list(read))
    examples = ", ".join(f"{value!r} as {kind}" for value, kind in list(read.items())[:3])
    values = np.where(changed, [read.get(value, value) for value in text], classes.to_numpy())
    return pd.Series(values, index=classes.index, dtype=object), [
        f"{source}: {int(changed.sum()):,} class_name value(s) that are not the tool's class "
        f"names read by their words ({examples})"
    ]


def _id_text(value: object) -> str:
    """An id as text: 7.0 (a number column with a blank) as '7'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


ROW_NUMBER_COLUMNS = ("id", "nro", "nro.", "no", "no.", "n", "n°", "nº", "#", "item", "numero")


def _drop_repeated_rows(
    frame: gpd.GeoDataFrame, source: str | Path
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Rows equal to another in every column but their id (the same time, place, class, scene
    and score: one table appended to itself, two runs over the same scenes joined, a feature
    duplicated in QGIS) are kept once, with a note. Each copy had counted as a dredge moored
    beside the other: a demo table given twice raised the Nanay's 2024 count from 4 to 10."""
    ids = [column for column in ("detection_id", "fid") if column in frame.columns]
    ids += [  # a column that numbers the rows (id, Nro, N°): copies of a row differ there only
        str(column)
        for column in frame.columns
        if str(column).strip().casefold() in ROW_NUMBER_COLUMNS
        and column not in ids
        and frame[column].is_unique
    ]
    key = pd.DataFrame(frame.drop(columns=[*ids, frame.geometry.name])).astype("string")
    key["where"] = shapely.to_wkb(frame.geometry.normalize().to_numpy(), hex=True)
    repeated = key.duplicated().to_numpy()
    if not repeated.any():
        return frame, []
    first = int(np.flatnonzero(repeated)[0]) + 1
    return frame[~repeated].copy(), [
        f"{source}: {int(repeated.sum()):,} row(s) repeat another in every column but the id "
        f"(the first: row {first}) and are read once — the same detection twice, e.g. "
        "two runs appended; mark a group at one point with a 'count' column instead"
    ]


def _check_ids_once_per_scene(frame: pd.DataFrame, source: str | Path) -> None:
    """InputError when a detector's rows (with scores) repeat a detection_id within one scene
    with other values: two runs over the same scenes appended into one file (which differ in
    a score or a column) counted every dredge twice, as two moored side by side."""
    if not {"detection_id", "scene", "score"} <= set(frame.columns):
        return
    scored = frame[frame["score"].notna() & frame["detection_id"].notna()]
    key = pd.DataFrame(
        {"scene": scored["scene"].astype("string"), "id": scored["detection_id"].astype(str)}
    )
    repeated = key.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    positions = np.flatnonzero(frame["score"].notna() & frame["detection_id"].notna())
    rows = positions[repeated]
    first = key[repeated].iloc[0]
    pair = positions[((key["scene"] == first["scene"]) & (key["id"] == first["id"])).to_numpy()]
    scenes = key[repeated]["scene"].nunique()
    raise InputError(
        source,
        f"{len(rows):,} rows over {scenes} scene(s) repeat a detection_id of their scene with "
        f"other values (e.g. detection_id {first['id']} of {first['scene']}, rows "
        f"{' and '.join(str(r + 1) for r in pair[:2])}): one scene's detections twice, e.g. two "
        "runs appended",
        "give each scene's detections once; a row added by hand for a missed dredge needs a "
        "new detection_id (or none)",
    )


CLOSE_MARKS_GROUP_SPACING_M = 1e8  # x offset between the date-scene groups of marks


def _close_marks_note(frame: gpd.GeoDataFrame, source: str | Path) -> list[str]:
    """A note when marks of one date (and one scene, where a column names it) lie closer than
    two hulls moored side by side (:data:`detector.merge.HULL_ACROSS_M`): each counts as a
    dredge, and one dredge marked twice (in two overlapping scenes without a scene column, or
    by a double click) counts twice. Such marks are kept; the note says how to tell."""
    if len(frame) < 2:
        return []
    centres = frame.geometry.representative_point()
    metric = centres.to_crs(centres.estimate_utm_crs())
    day = pd.to_datetime(frame["acquired"], utc=True).dt.floor("D")
    groups = [day.to_numpy()]
    if "scene" in frame.columns:
        groups.append(frame["scene"].astype("string").fillna("").to_numpy())
    group = pd.Series(list(zip(*groups, strict=True))).factorize()[0]
    x = metric.x.to_numpy() + group * CLOSE_MARKS_GROUP_SPACING_M  # groups far apart
    pairs = cKDTree(np.column_stack([x, metric.y.to_numpy()])).query_pairs(HULL_ACROSS_M)
    if not pairs:
        return []
    position = min(min(pair) for pair in pairs)
    label = frame.index[position]  # the file's row, where rows were dropped before
    first = (int(label) if isinstance(label, int | np.integer) else position) + 1
    return [
        f"{source}: {len(pairs):,} pair(s) of marks of one date lie under {HULL_ACROSS_M:g} m "
        f"apart (the first: row {first}), closer than two dredges moored side by side; each "
        "counts as a dredge — if one is a dredge marked twice (two overlapping scenes), add a "
        "'scene' column naming each mark's scene, or delete one"
    ]


def _one_row_per_dredge(
    frame: gpd.GeoDataFrame, source: str | Path
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A hand-marked row that counts several dredges (a ``cantidad`` or ``count`` column: "3
    dragas" at one point, a group moored side by side) becomes that many rows; InputError for
    a count that is not a whole number from 1."""
    column = count_column(frame)
    if column is None or "score" in frame.columns:
        return frame, []
    blank = frame[column].isna() | frame[column].astype("string").str.strip().eq("")
    counts = pd.to_numeric(frame[column].where(~blank, 1), errors="coerce")
    bad = counts.isna() | (counts < 1) | (counts % 1 != 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        value = str(frame[column].iloc[row - 1])
        raise InputError(
            source,
            f"row {row}: '{column}' is {value!r}, not a number of dredges",
            f"give each row a whole number from 1 in '{column}' (the dredges at that point)",
        )
    notes = []
    if blank.any():
        notes.append(
            f"{source}: {int(blank.sum()):,} row(s) with a blank '{column}' taken as one dredge"
        )
    if (counts == 1).all():
        return frame, notes
    repeat = counts.astype(int).to_numpy()
    out = frame.iloc[np.repeat(np.arange(len(frame)), repeat)].reset_index(drop=True)
    if "detection_id" in out.columns:  # the row's id, then id-2, id-3 for its other dredges
        nth = out.groupby(np.repeat(np.arange(len(frame)), repeat)).cumcount().to_numpy()
        ids = out["detection_id"].astype(str).to_numpy(dtype=object)
        out["detection_id"] = np.where(nth == 0, ids, ids + "-" + (nth + 1).astype(str))
    return out, [
        *notes,
        f"{source}: rows read as the number of dredges in '{column}' ({len(frame):,} rows, "
        f"{int(repeat.sum()):,} dredges)",
    ]


def _one_row_per_part(
    frame: gpd.GeoDataFrame, source: str | Path
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """A MultiPoint or MultiPolygon mark of several parts (QGIS layers of Shapefile origin are
    multi-part; merged features keep their parts) is one dredge per part, not one at their
    centre; ids as for a count: the row's id, then id-2, id-3."""
    geometry = frame.geometry
    parts = shapely.get_num_geometries(geometry.to_numpy())
    several = geometry.geom_type.isin(["MultiPoint", "MultiPolygon"]).to_numpy() & (parts > 1)
    if not several.any():
        return frame, []
    row_of = np.repeat(np.arange(len(frame)), np.where(several, parts, 1))
    pieces = [
        part
        for geom, split in zip(geometry.to_numpy(), several, strict=True)
        for part in (shapely.get_parts(geom) if split else [geom])
    ]
    out = frame.iloc[row_of].reset_index(drop=True)
    out[geometry.name] = gpd.GeoSeries(pieces, crs=frame.crs)
    if "detection_id" in out.columns:
        nth = pd.Series(row_of).groupby(row_of).cumcount().to_numpy()
        ids = out["detection_id"].astype(str).to_numpy(dtype=object)
        out["detection_id"] = np.where(nth == 0, ids, ids + "-" + (nth + 1).astype(str))
    return out, [
        f"{source}: {int(several.sum()):,} marks of several parts (MultiPoint/MultiPolygon) read "
        f"as one dredge per part ({int(parts[several].sum()):,} dredges)"
    ]


CRS_COLUMNS = ("crs", "epsg", "srs")


def _check_degrees(
    geometries: np.ndarray,
    source: Path,
    what: str = "positions",
    fix: str = "give lon/lat in degrees, or add a column 'crs' naming their CRS (e.g. EPSG:32718)",
) -> None:
    """InputError naming the first row whose position cannot be degrees (metres of a projected
    CRS, as a table exported from QGIS in UTM holds, or one such row pasted among degrees)."""
    with np.errstate(invalid="ignore"):  # no geometry: NaN bounds, not outside
        bounds = np.abs(shapely.bounds(geometries))
        outside = (np.nanmax(bounds[:, [0, 2]], axis=1, initial=0) > 180) | (
            np.nanmax(bounds[:, [1, 3]], axis=1, initial=0) > 90
        )
    if not outside.any():
        return
    row = int(np.flatnonzero(outside)[0])
    x, y = shapely.get_coordinates(geometries[row])[0]
    raise InputError(
        source,
        f"{what} such as {x:.1f}, {y:.1f} (row {row + 1}) are not degrees (metres of a "
        "projected CRS?)",
        fix,
    )


def _column_crs(table: pd.DataFrame, source: Path) -> tuple[str, str, CRS] | None:
    """(column, value as written, CRS) of a table's ``crs`` (or ``epsg``) column; None
    without one. InputError for a column naming several CRSs or none that pyproj knows."""

    column = first_named(table.columns, CRS_COLUMNS)
    if column is None:
        return None
    named = table[column].dropna().astype(str).str.strip().unique()
    if len(named) != 1:
        raise InputError(
            source,
            f"'{column}' names {len(named)} CRSs ({', '.join(named[:3])})",
            "give the positions of one file in one CRS",
        )
    text = f"EPSG:{named[0]}" if named[0].isdigit() else named[0]
    try:
        return column, named[0], CRS.from_user_input(text)
    except CRSError:
        raise InputError(
            source, f"'{column}' is {named[0]!r}, not a CRS", "write it as EPSG:32718"
        ) from None


def _table_crs(table: pd.DataFrame, source: Path, geometries: np.ndarray) -> str:
    """The CRS of a table's positions: its ``crs`` (or ``epsg``) column when it has one, else
    EPSG:4326 — refused when the numbers cannot be degrees (metres of a projected CRS, as a
    table exported from QGIS in UTM holds), rather than read as positions on no river; and
    refused when a projected CRS is named over numbers that are degrees (they were taken for
    metres a few hundred metres from the CRS's origin: a raw 'Unable to determine UTM CRS')."""
    found = _column_crs(table, source)
    if found is None:
        _check_degrees(geometries, source)
        return WGS84
    column, named, crs = found
    if crs.is_geographic:  # EPSG:4326 over metres was a traceback ("Unable to determine UTM")
        _check_degrees(
            geometries,
            source,
            f"'{column}' says {named}, but positions",
            f"give lon/lat in degrees, or write their CRS in '{column}' (e.g. EPSG:32718)",
        )
        return crs.to_string()
    with np.errstate(invalid="ignore"):
        bounds = np.abs(shapely.bounds(geometries))
        degrees = (np.nanmax(bounds[:, [0, 2]], axis=1, initial=0) <= 180) & (
            np.nanmax(bounds[:, [1, 3]], axis=1, initial=0) <= 90
        )
    degrees &= ~shapely.is_empty(geometries) & ~shapely.is_missing(geometries)
    if degrees.any():
        row = int(np.flatnonzero(degrees)[0])
        x, y = shapely.get_coordinates(geometries[row])[0]
        raise InputError(
            source,
            f"'{column}' says {named}, a CRS in metres, but positions such as {x:g}, {y:g} "
            f"(row {row + 1}) are degrees",
            f"give the positions in {named}'s metres (columns x and y), or, for lon/lat in "
            f"degrees, delete the '{column}' column",
        )
    return crs.to_string()


def gather_detections(
    paths: Sequence[str | Path],
    network: RiverNetwork | None,
    *,
    looks: list[pd.DataFrame] | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read and prepare several detection files (one ``dredge detect`` output per month, hand
    marks beside them) as one table (:func:`prepare_detections` each).

    A scene whose detections are in two detector outputs is refused: its dredges would count
    twice (hand-marked files, without scores, may share scenes).
    Detection ids repeated across files (hand-marked files number their rows from 1) are
    prefixed with the file's name.
    """
    if not paths:
        raise InputError(Path("DETECTIONS"), "no file given", "give one or more detection files")
    given: dict[Path, Path] = {}
    for path in map(Path, paths):
        twice = given.get(path.resolve())
        if twice is not None:
            raise InputError(path, f"is given twice (also as {twice})", "give each file once")
        given[path.resolve()] = path
    frames: list[gpd.GeoDataFrame] = []
    notes: list[str] = []
    for path in given.values():
        frame, file_notes = prepare_detections(read_detections(path), path, network, looks=looks)
        frames.append(
            frame.rename_geometry("geometry") if frame.geometry.name != "geometry" else frame
        )
        notes += file_notes
    if len(frames) == 1:
        return _settled(frames[0], network, next(iter(given.values())), notes)
    sources = list(given.values())
    _check_scenes_once(frames, sources)
    ids = [frame["detection_id"].astype(str) for frame in frames]
    for frame, own in zip(frames, ids, strict=True):  # one type: a detector's ids are text,
        frame["detection_id"] = own  # a hand table's numbers (Parquet refused the mix)
    if pd.concat(ids, ignore_index=True).duplicated().any():
        for frame, source, own in zip(frames, sources, ids, strict=True):
            frame["detection_id"] = f"{source.stem}:" + own
        notes.append(
            f"detection ids repeat across the {len(sources)} files: each is prefixed with its "
            "file's name (e.g. marks:1)"
        )
    merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)
    merged = _one_type_per_column(merged)
    again = marked_twice(frames)
    if again:
        notes.append(
            f"{again} detection(s) lie within {HULL_ACROSS_M:g} m of one in an earlier file on "
            "the same river and day (one dredge in two files: marked by two people, or by hand "
            "where the detector found it?): each counts as a dredge — give each dredge once"
        )
    return _settled(merged, network, f"{len(sources)} detection files", notes)


def _settled(
    frame: gpd.GeoDataFrame, network: RiverNetwork | None, source: object, notes: list[str]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The detections with each confluence spot's on one river
    (:func:`detector.confluence.settle_confluences`), and the notes with a line when some
    changed river."""
    if network is None:
        return frame, notes
    frame, changed = settle_confluences(frame, network)
    return frame, notes + ([settled_note(changed, source)] if changed else [])


def _one_type_per_column(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns that files hold as different types (a 'nota' of numbers in one, of text in
    another) as text, so that the linked detections can be written (Parquet refuses a mix)."""
    for column in frame.columns:
        if column == frame.geometry.name or frame[column].dtype != object:
            continue
        present = frame[column].dropna()
        if len({type(value) for value in present}) > 1:
            frame[column] = frame[column].map(lambda v: v if v is None or v != v else str(v))
    return frame


def marked_twice(frames: Sequence[pd.DataFrame]) -> int:
    """How many on-river marks lie closer to a mark of an earlier file (same river and UTC
    day) than two hulls side by side can (:data:`detector.merge.HULL_ACROSS_M`)."""
    parts = [
        pd.DataFrame(
            {
                "file": k,
                "river": f["river"].astype(str),
                "day": pd.to_datetime(f["acquired"], utc=True).dt.floor("D"),
                "s": f["chainage_m"],
                "o": f["offset_m"],
            }
        )[f["river"].notna().to_numpy()]
        for k, f in enumerate(frames)
        if "chainage_m" in f.columns
    ]
    if len(parts) < 2:
        return 0
    table = pd.concat(parts, ignore_index=True)
    near = 0
    for _, group in table.groupby(["river", "day"], sort=False):
        if group["file"].nunique() < 2:
            continue
        s, o, file = (group[c].to_numpy() for c in ("s", "o", "file"))
        gap = np.hypot(s[:, None] - s[None, :], o[:, None] - o[None, :])
        earlier = file[:, None] > file[None, :]
        near += int(((gap < HULL_ACROSS_M) & earlier).any(axis=1).sum())
    return near


def _check_scenes_once(frames: Sequence[pd.DataFrame], sources: Sequence[Path]) -> None:
    """InputError when a detector's output (with scores) holds a scene another one holds.
    Hand marks (no scores) may share scenes: two people marking two rivers of one scene."""
    first: dict[str, Path] = {}
    for frame, source in zip(frames, sources, strict=True):
        scored = "score" in frame.columns and bool(frame["score"].notna().any())
        if "scene" not in frame.columns or not scored:
            continue
        for scene in frame["scene"].dropna().astype(str).unique():
            if scene in first:
                raise InputError(
                    source,
                    f"holds detections of scene {scene}, and so does {first[scene]}",
                    "give each scene's detections once (a scene detected twice, e.g. again "
                    "with another model, would count its dredges twice)",
                )
            first[scene] = source


def off_river_note(detections: pd.DataFrame, source: str | Path, corridor_m: float) -> str | None:
    """One line about detections on no river (kept, but in no track), or None."""
    off = int(detections["river"].isna().sum())
    if off == 0:
        return None
    return (
        f"{source}: {off} of {len(detections)} detections are on no river (farther than "
        f"{corridor_m:g} m from every centerline); kept in the output with no track_id (marks "
        "on a wide river's banks or a side channel the rivers file lacks: widen --corridor-m, or "
        "draw the channel under its river's name)"
    )


def _place_on_rivers(
    frame: gpd.GeoDataFrame, source: str | Path, network: RiverNetwork | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Measure river positions on ``network``; without one, keep the file's own.

    Positions that ``dredge detect`` wrote are measured again: the centerlines given now may
    not be the ones the detections were placed on (a corrected river, a river left out).
    """
    has_positions = all(c in frame.columns for c in RIVER_COLUMNS) and bool(
        frame["river"].notna().any()
    )
    if network is None:
        if has_positions:
            return frame, []
        raise InputError(
            source,
            "has no river positions (river, chainage_m, offset_m)",
            "give the river centerlines with --rivers",
        )
    before = frame["river"].astype("string") if has_positions else None
    located = network.locate(frame.geometry)
    for column in RIVER_COLUMNS:
        frame[column] = located[column].to_numpy()
    notes = [f"{source}: positions measured along {len(network.names)} river(s)"]
    if before is not None:
        changed = before.fillna("") != frame["river"].astype("string").fillna("")
        if "score" in frame.columns:  # rows added by hand (no score) had no river to change
            changed &= frame["score"].notna()
        if changed.any():  # a box put on the other river at a confluence is no other line
            rows = changed.to_numpy()
            changed[rows] = ~about_as_near(frame.geometry[rows], before[rows], network)
        moved = int(changed.sum())
        if moved:
            notes.append(
                f"{source}: {moved} detection(s) now lie on another river than the file said, or "
                "on none: it was placed on other centerlines than the ones given"
            )
    if len(frame) and frame["river"].isna().all():
        notes += _misplaced_note(frame, source, network)
    return frame, notes


def _misplaced_note(
    frame: gpd.GeoDataFrame, source: str | Path, network: RiverNetwork
) -> list[str]:
    """When no detection is on a river: a note if they would be with lon and lat swapped, or
    with a sign flipped (degrees typed without their minus, the hemisphere in its own column:
    west longitudes and south latitudes are negative)."""
    points = frame.geometry.to_numpy()
    tries = [
        ("with longitude and latitude swapped — are the lon and lat columns the wrong way "
         "round?", lambda xy: xy[:, ::-1]),
        ("with the longitude's sign flipped — west longitudes are negative (-73.4)",
         lambda xy: xy * [-1, 1]),
        ("with the latitude's sign flipped — south latitudes are negative (-3.8)",
         lambda xy: xy * [1, -1]),
        ("with both signs flipped — west longitudes and south latitudes are negative "
         "(-73.4, -3.8)", lambda xy: -xy),
    ]  # fmt: skip
    for what, move in tries:
        moved = gpd.GeoSeries(shapely.transform(points, move), crs=WGS84)
        on = int(network.locate(moved)["river"].notna().sum())
        if on:
            return [
                f"{source}: no detection is on a river, but {on} of {len(frame)} would be {what}"
            ]
    return []


def _read_parquet(source: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(source)
    except ValueError:  # plain Parquet without geometry metadata
        return _from_table(pd.read_parquet(source), source)


def _from_table(table: pd.DataFrame, source: Path) -> gpd.GeoDataFrame:
    """A table with lon/lat columns or a ``geometry`` column (WKT, or WKB as a GeoParquet
    read and saved again by pandas holds it), in EPSG:4326 unless a ``crs`` column names
    another (:func:`_table_crs`). A table with lon/lat and x/y columns and a ``crs`` column
    naming a projected CRS is read from x/y: the column names their CRS, as QGIS's 'Add
    geometry attributes' writes them beside lon/lat (the lon/lat degrees were taken for metres
    of that CRS: a raw 'Unable to determine UTM CRS'); where it names a CRS per row (UTM
    zones), lon/lat are read."""
    if table.empty:
        raise InputError(source, "holds no rows (a header only?)", "add the marks, one per row")
    pairs = {
        names: (lon, lat)
        for names in LON_LAT
        if (lon := first_named(table.columns, [names[0]]))
        and (lat := first_named(table.columns, [names[1]]))
    }
    if pairs:
        lon, lat = next(iter(pairs.values()))
        column = first_named(table.columns, CRS_COLUMNS)
        per_row = False
        if ("x", "y") in pairs and len(pairs) > 1 and column is not None:
            per_row = table[column].dropna().astype(str).str.strip().nunique() > 1
            found = None if per_row else _column_crs(table, source)
            if found is not None and not found[2].is_geographic:
                lon, lat = pairs[("x", "y")]  # the CRS the column names is theirs
        x = read_degrees(table[lon], source, "longitude").to_numpy(float)
        y = read_degrees(table[lat], source, "latitude").to_numpy(float)
        points = shapely.points(x, y)
        # A CRS per row (UTM zones) is its x/y's: lon/lat are degrees.
        crs = WGS84 if per_row else _table_crs(table, source, points)
        if per_row:
            _check_degrees(points, source)
        return gpd.GeoDataFrame(table, geometry=points, crs=crs)
    for wanted in ("geometry", "wkt"):
        name = first_named(table.columns, [wanted])
        if name:
            geometry = _geometry_column(table[name])
            crs = _table_crs(table, source, np.asarray(geometry.array, dtype=object))
            frame = table.drop(columns=[name])
            return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=crs)
    raise InputError(
        source,
        "has no position columns",
        "add lon and lat columns (EPSG:4326), or a WKT geometry column",
    )


def _geometry_column(values: pd.Series) -> gpd.GeoSeries:
    """Geometries written as WKT, or as WKB: bytes (a GeoParquet read with pandas and saved
    again loses its geometry metadata and keeps the WKB; it was 'cannot be read as detections
    ('utf-8' codec can't decode byte 0xc0 …)') or hex text (a database export)."""
    cells = [None if v is None or (isinstance(v, float) and v != v) else v for v in values]
    present = [v for v in cells if v is not None]
    if present and all(isinstance(v, bytes | bytearray | memoryview) for v in present):
        return gpd.GeoSeries.from_wkb([None if v is None else bytes(v) for v in cells])
    hexed = pd.Series([str(v) for v in present], dtype=object)
    if present and hexed.str.fullmatch(r"(?:[0-9A-Fa-f]{2}){5,}").all():
        return gpd.GeoSeries.from_wkb(cells)
    return gpd.GeoSeries.from_wkt(values.astype(str))
