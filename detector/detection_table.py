"""The detections table: its columns and dtypes (:data:`DETECTION_COLUMNS`, EPSG:4326; see
:mod:`detector.detect`), and its files (GeoParquet, GeoPackage, GeoJSON), written whole or
not at all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from detector.chips import failures_writer
from detector.errors import UsageError
from detector.writing import write_atomic, write_together

WGS84 = "EPSG:4326"
DETECTION_COLUMNS = (
    "detection_id",
    "scene",
    "acquired",
    "sensor",
    "class_name",
    "score",
    "river",
    "chainage_m",
    "offset_m",
    "geometry",
)
FORMATS = {"parquet": ".parquet", "gpkg": ".gpkg", "geojson": ".geojson"}


def typed_detections(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """The columns of :data:`DETECTION_COLUMNS` in order, with stable dtypes, EPSG:4326."""
    out = pd.DataFrame(
        {
            "detection_id": frame["detection_id"].astype("string"),
            "scene": frame["scene"].astype("string"),
            "acquired": pd.to_datetime(frame["acquired"], utc=True).astype("datetime64[us, UTC]"),
            "sensor": frame["sensor"].astype("string"),
            "class_name": frame["class_name"].astype("string"),
            "score": frame["score"].astype("float64"),
            "river": frame["river"].astype("string"),
            "chainage_m": frame["chainage_m"].astype("float64"),
            "offset_m": frame["offset_m"].astype("float64"),
        }
    ).reset_index(drop=True)
    geometry = gpd.GeoSeries(list(frame.geometry), crs=WGS84)
    return gpd.GeoDataFrame(out, geometry=geometry, crs=WGS84)


def run_date(row: Any) -> pd.Timestamp | None:
    """The date the run read a detection's scene at (its ``acquired``: the scene's own, or
    the one ``--date`` / ``--dates`` gave it), None where the row has none. A scene opened again
    for its pixels (chips, review tiles) is given it, so that a Maxar product dated only by
    ``--dates`` is calibrated at the Earth–Sun distance the detector's tiles were."""
    value = row.get("acquired") if hasattr(row, "get") else None
    if value is None:
        return None
    stamp = pd.to_datetime(value, utc=True, errors="coerce")
    return None if pd.isna(stamp) else stamp


def empty_detections() -> gpd.GeoDataFrame:
    """A detections table with no rows and the right columns and dtypes."""
    columns: dict[str, Any] = {name: [] for name in DETECTION_COLUMNS if name != "geometry"}
    frame = pd.DataFrame(columns)
    frame["geometry"] = gpd.GeoSeries([], crs=WGS84)
    return typed_detections(frame)


def concat_detections(frames: Sequence[pd.DataFrame]) -> gpd.GeoDataFrame:
    """Detection tables one after the other (typed; an empty table when there are none); each
    a GeoDataFrame or a DataFrame of shapely geometries, in EPSG:4326."""
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return empty_detections()
    return typed_detections(pd.concat(frames, ignore_index=True))


def output_format(path: str | Path, fmt: str | None = None, *, option: str = "--format") -> str:
    """The output format: ``fmt`` when given, else from the suffix (parquet without one).

    UsageError (a ValueError) for another suffix (``--out detections.csv`` was written as
    GeoParquet under that name, without a word), or one of another format than ``fmt``.
    ``option``: how the message names ``fmt`` (``fmt=`` from Python: it said "give --format"
    to a caller of :func:`write_detections`, whose parameter is ``fmt``)."""
    suffix = Path(path).suffix.lower()
    by_suffix = {s: name for name, s in FORMATS.items()}
    by_suffix |= {".geoparquet": "parquet", ".json": "geojson"}
    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"{option} must be one of {', '.join(FORMATS)}, got {fmt!r}")
        if by_suffix.get(suffix, fmt) != fmt:  # --out d.parquet --format gpkg: so named
            raise UsageError(
                f"{path}: {option} is {fmt}, but the name ends in {Path(path).suffix} — end "
                f"it in {FORMATS[fmt]}, or leave {option} out"
            )
        return fmt
    by_suffix[""] = "parquet"
    if suffix not in by_suffix:
        raise UsageError(
            f"{path}: no detections format ends in {Path(path).suffix!r} — end the name in "
            f".parquet, .gpkg or .geojson, or give {option}"
        )
    return by_suffix[suffix]


def write_detections(frame: gpd.GeoDataFrame, path: str | Path, fmt: str | None = None) -> Path:
    """Write detections as GeoParquet, GeoPackage (layer ``detections``) or GeoJSON: ``fmt``,
    else by the suffix as ``dredge detect --out`` (:func:`output_format`; it was GeoParquet
    whatever the suffix, and ``d.gpkg`` a Parquet file that GDAL cannot open).

    The file is written beside the target and moved into place (:func:`write_atomic`), so a
    failed write leaves no half file, and a full or read-only disk is one clear line. A name of
    no format, or of another than ``fmt``, is a UsageError naming ``fmt=``.
    """
    target = Path(path)
    kind = output_format(target, fmt, option="fmt=")  # the Python parameter, not --format
    write_atomic(target, _detections_writer(frame, target, kind))
    return target


def write_detections_and_failures(
    frame: gpd.GeoDataFrame,
    path: Path,
    fmt: str,
    failures: list[tuple[str, str]],
    failures_path: Path,
) -> None:
    """Write the detections and the scenes that failed (``scene,error``) together
    (:func:`write_together`), then remove the failures file when none failed: stopped at any
    moment, the two are the earlier run's or this one's (an empty failures file at worst).
    Written one after the other, ``dredge detect --overwrite`` stopped in between left the new
    table beside the earlier run's failures, naming as failed a scene the table holds."""
    write_together(
        [
            (path, _detections_writer(frame, path, output_format(path, fmt))),
            (failures_path, failures_writer(failures)),
        ]
    )
    if not failures:
        failures_path.unlink(missing_ok=True)


def _detections_writer(frame: gpd.GeoDataFrame, target: Path, fmt: str) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        if fmt == "parquet":
            frame.to_parquet(tmp)
        elif fmt == "gpkg":
            frame.to_file(tmp, driver="GPKG", layer="detections")
        else:
            frame.to_file(tmp, driver="GeoJSON", layer=target.stem)

    return write
