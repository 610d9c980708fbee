"""Read a detections file, as ``dredge detect`` wrote it or as an analyst marked it by hand.

:func:`read_detections` reads GeoParquet (or plain Parquet saved again by pandas), GeoPackage
(its ``detections`` layer), GeoJSON, Shapefile, FlatGeobuf, KML/KMZ placemarks with a date
(Google Earth's TimeStamp; :mod:`detector.kml_marks`) and CSV with ``lon`` / ``lat`` (or
``longitude`` / ``latitude``, ``lng`` or ``long`` / ``lat``, ``x`` / ``y``, or a WKT or WKB
``geometry`` column; column names in any case; also under ``.txt`` or ``.tsv``, as Excel saves
'Unicode text' and 'Text (Tab delimited)'). CSV is read as Excel writes it in any locale:
``;`` columns with decimal commas (Spanish, Portuguese), UTF-8 or Windows cp1252
(:func:`detector.user_tables.read_csv_table`). A table's positions are EPSG:4326 unless a
``crs`` column names another (:mod:`detector.track_crs`). The detections of dredges deleted
from ``dredges.gpkg`` or ``dredges.geojson`` are left out (:mod:`detector.export_edits`).

What reading decided goes with the frame in ``attrs`` (``notes``; ``day_first``: a ``;``
table, dates day first), for :func:`detector.track_prepare.prepare_detections`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from detector.errors import InputError, first_line
from detector.export_edits import without_deleted_dredges
from detector.kml_marks import read_kml_marks
from detector.track_crs import CRS_COLUMNS, WGS84, check_degrees, column_crs, table_crs
from detector.user_tables import (
    first_named,
    layer_to_read,
    layers_holding,
    read_csv_table,
    read_degrees,
)
from detector.vector_files import read_vector_layer
from detector.wording import agree

# fecha, data: Spanish, Portuguese tables; a 'time' column comes after the others: beside a
# date column it holds the hour (one of hours alone is passed over: track_prepare's
# date_column); 'data' last: beside an English date or time it is something else (what was
# measured, its source)
DATE_COLUMNS = ("acquired", "date", "datetime", "fecha", "time", "data")
LON_LAT = (
    ("lon", "lat"),
    ("longitude", "latitude"),
    ("lng", "lat"),
    ("long", "lat"),  # Excel's and Google Sheets' Lat, Long
    ("longitud", "latitud"),
    ("x", "y"),
)
VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")
PARQUET_SUFFIXES = (".parquet", ".geoparquet", ".pq")
KML_SUFFIXES = (".kml", ".kmz")
# Excel saves a sheet as 'Unicode text' (UTF-16, tabs) or 'Text (Tab delimited)' under .txt:
# it was "unknown file type '.txt'", read once renamed .csv
TABLE_SUFFIXES = (".csv", ".txt", ".tsv")


def is_parquet(path: Path) -> bool:
    """True for a Parquet name (``.parquet``, ``.geoparquet``, ``.pq``), or a file without a
    suffix that is Parquet: `dredge detect --out detections` writes GeoParquet so named."""
    suffix = path.suffix.lower()
    if suffix or not path.is_file():
        return suffix in PARQUET_SUFFIXES
    try:
        with path.open("rb") as file:
            return file.read(4) == b"PAR1"
    except OSError:
        return False


def read_detections(path: str | Path) -> gpd.GeoDataFrame:
    """Read a detections file into a GeoDataFrame (CRS as stored; CSV: EPSG:4326)."""
    source = Path(path)
    if not source.is_file():
        raise InputError(source, "file not found", "check the DETECTIONS path")
    suffix = source.suffix.lower()
    try:
        if is_parquet(source):
            return _read_parquet(source)
        if suffix in TABLE_SUFFIXES:
            table = read_csv_table(source)
            frame = _from_table(table.frame, source)
            frame.attrs["day_first"] = table.day_first_cue  # a ';' table: dates day first
            frame.attrs["decimal_comma"] = table.decimal_comma  # and Excel's '45463,5'
            return frame
        if suffix in VECTOR_SUFFIXES:
            with warnings.catch_warnings():  # a geometry GDAL cannot read is None: named below
                warnings.filterwarnings("ignore", "Unsupported geometry type", RuntimeWarning)
                layer = detections_layer(source)
                frame = read_vector_layer(source, layer)
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
        "give .parquet, .gpkg, .geojson, .shp, .kml or .csv or .txt (a table with lon/lat columns)",
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
    layers = agree(len(others), "its layer", "its layers")
    held = agree(len(others), "holds dated rows and was", "hold dated rows and were")
    which = agree(len(others), "it", "one of those")
    return [
        f"{source}: read its layer '{layer}'; {layers} {', '.join(map(repr, others))} also "
        f"{held} not read — to count {which}, save it as the 'detections' layer or in a file of "
        "its own"
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


def _read_parquet(source: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_parquet(source)
    except ValueError:  # plain Parquet without geometry metadata
        return _from_table(pd.read_parquet(source), source)


def _from_table(table: pd.DataFrame, source: Path) -> gpd.GeoDataFrame:
    """A table with lon/lat columns or a ``geometry`` column (WKT, or WKB as a GeoParquet
    read and saved again by pandas holds it), in EPSG:4326 unless a ``crs`` column names
    another (:func:`detector.track_crs.table_crs`). A table with lon/lat and x/y columns and a
    ``crs`` column naming a projected CRS is read from x/y: the column names their CRS, as
    QGIS's 'Add geometry attributes' writes them beside lon/lat (the lon/lat degrees were taken
    for metres of that CRS: a raw 'Unable to determine UTM CRS'); where it names a CRS per row
    (UTM zones), lon/lat are read."""
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
            found = None if per_row else column_crs(table, source)
            if found is not None and not found[2].is_geographic:
                lon, lat = pairs[("x", "y")]  # the CRS the column names is theirs
        x = read_degrees(table[lon], source, "longitude").to_numpy(float)
        y = read_degrees(table[lat], source, "latitude").to_numpy(float)
        points = shapely.points(x, y)
        # A CRS per row (UTM zones) is its x/y's: lon/lat are degrees.
        crs = WGS84 if per_row else table_crs(table, source, points)
        if per_row:
            check_degrees(points, source)
        return gpd.GeoDataFrame(table, geometry=points, crs=crs)
    for wanted in ("geometry", "wkt"):
        name = first_named(table.columns, [wanted])
        if name:
            geometry = _geometry_column(table[name])
            crs = table_crs(table, source, np.asarray(geometry.array, dtype=object))
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
