"""The CRS of the positions in a table of detections or marks (CSV, a Parquet table).

A table's positions are EPSG:4326 degrees unless a ``crs`` (or ``epsg``, ``srs``) column names
another CRS. Numbers that cannot be degrees without such a column, a column naming several
CRSs or none that pyproj knows, and degrees under a projected CRS are each one line
(:class:`detector.errors.InputError`) naming the row, rather than marks on no river or a raw
'Unable to determine UTM CRS'.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from detector.errors import InputError
from detector.user_tables import first_named

WGS84 = "EPSG:4326"
CRS_COLUMNS = ("crs", "epsg", "srs")


def check_degrees(
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


def column_crs(table: pd.DataFrame, source: Path) -> tuple[str, str, CRS] | None:
    """(column, value as written, CRS) of a table's ``crs`` (or ``epsg``) column; None
    without one. InputError for a column naming several CRSs or none that pyproj knows."""

    column = first_named(table.columns, CRS_COLUMNS)
    if column is None:
        return None
    named = table[column].dropna().astype(str).str.strip().unique()
    named = named[named != ""]
    if not len(named):  # it said "'crs' names 0 CRSs ()": give them in one CRS
        raise InputError(
            source,
            f"'{column}' is blank in every row",
            f"write the positions' CRS in it (e.g. EPSG:32718), or delete the '{column}' "
            "column for lon/lat in degrees",
        )
    if len(named) != 1:
        raise InputError(
            source,
            f"'{column}' names {len(named)} CRSs ({', '.join(named[:3])})",
            "give the positions of one file in one CRS",
        )
    # a code read as a number with a blank cell in its column is a float: 32718.0
    code = re.fullmatch(r"(\d+)(?:\.0*)?", named[0])
    text = f"EPSG:{code.group(1)}" if code else named[0]
    try:
        return column, named[0], CRS.from_user_input(text)
    except CRSError:
        raise InputError(
            source, f"'{column}' is {named[0]!r}, not a CRS", "write it as EPSG:32718"
        ) from None


def table_crs(table: pd.DataFrame, source: Path, geometries: np.ndarray) -> str:
    """The CRS of a table's positions: its ``crs`` (or ``epsg``) column when it has one, else
    EPSG:4326 — refused when the numbers cannot be degrees (metres of a projected CRS, as a
    table exported from QGIS in UTM holds), rather than read as positions on no river; and
    refused when a projected CRS is named over numbers that are degrees (they were taken for
    metres a few hundred metres from the CRS's origin: a raw 'Unable to determine UTM CRS')."""
    found = column_crs(table, source)
    if found is None:
        check_degrees(geometries, source)
        return WGS84
    column, named, crs = found
    if crs.is_geographic:  # EPSG:4326 over metres was a traceback ("Unable to determine UTM")
        check_degrees(
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
    # a row without a position (blank x and y: NaN) is no position in degrees
    degrees &= np.isfinite(bounds).all(axis=1)
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
