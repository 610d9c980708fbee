"""Detections read from a file (:mod:`detector.track_files`) made ready for the tracker.

What is done to them, each reported as one line:

- **Dates** come from ``acquired`` (or ``date`` / ``datetime`` / ``fecha`` / ``time`` /
  ``data``; a column of times of day alone is refused). Strings may mix formats and time zones
  (:func:`detector.date_columns.normalise_dates`): ISO 8601 with ``Z`` or an offset is
  converted to UTC; a date or time with no zone is taken as UTC; ``03/04/2024`` (or
  ``03-04-2024``) is read day first when the column or the table's locale (``;`` columns,
  Spanish or Portuguese column names) shows it, else month first (US order). Rows with no
  date or an unreadable one stop the run, with the count and an example — nothing is dropped
  silently.
- **Rows**: each read once, as the dredges it stands for (:mod:`detector.track_rows`).
- **Classes and counts** of hand marks: :mod:`detector.mark_classes`; only
  :data:`DREDGE_CLASSES` are tracked, look-alikes (boats) are left out.
- **CRS**: geometries are reprojected to EPSG:4326 (OGC:CRS84, the same lon/lat, is taken
  as it is, with no note); a file with no CRS is refused (CSV coordinates are EPSG:4326).
- **Rivers**: positions measured on the centerlines given (:mod:`detector.track_rivers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from detector.date_tables import SCENE_COLUMNS
from detector.detection_table import empty_detections
from detector.errors import InputError
from detector.mark_classes import hand_classes
from detector.rivers import RiverNetwork
from detector.track_crs import WGS84
from detector.track_files import DATE_COLUMNS
from detector.track_rivers import place_on_rivers
from detector.track_rows import (
    check_ids_once_per_scene,
    classes_by_words,
    close_marks_note,
    drop_repeated_rows,
    id_text,
    one_row_per_dredge,
    one_row_per_part,
    read_scores,
)
from detector.user_tables import TIME_ONLY, first_named, locale_cue, normalise_dates, plain_name
from detector.wording import agree, count_of

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
    fixed (no dates, unreadable dates, no CRS, no river positions and no ``network``). A file
    with neither rows nor fields (an empty GeoJSON) is 0 detections, as an empty GeoParquet.
    ``looks``, when given, gets the ``river, acquired`` (and ``scene``, where there is one) of
    every look-alike left out (boats): a scene that shows a boat on a river was a look at it,
    even with no dredge there. A boat off every river's corridor is kept with river None: its
    scene was still detected (not a scene left out), but it is no look at a river.
    """
    notes: list[str] = []
    # numbered by place, as the rows of the file (its own index, a GeoParquet's saved after
    # rows were filtered out, named a bad row by its label: the third as 'row 31')
    out = frame.reset_index(drop=True)
    if out.crs is None:
        raise InputError(source, "has no CRS", "set one, e.g. ogr2ogr -a_srs EPSG:4326 OUT IN")
    if out.crs.equals(WGS84, ignore_axis_order=True):  # OGC:CRS84: lon/lat as read, unmoved
        out = out.set_crs(WGS84, allow_override=True)
    else:
        notes.append(f"{source}: reprojected from {out.crs.to_string()} to EPSG:4326")
        out = out.to_crs(WGS84)
    empty = out.geometry.isna() | out.geometry.is_empty
    if empty.any():
        first = int(np.flatnonzero(empty.to_numpy())[0]) + 1
        raise InputError(
            source,
            f"{count_of(int(empty.sum()), 'row')} {agree(int(empty.sum()), 'has', 'have')} no "
            f"geometry (the first: row {first}; GDAL reads a Circle, or a polygon whose rings "
            "are not lists of points, as none)",
            "give every row a position: a point or a polygon",
        )
    column = date_column(out)
    if column is None and {"track_id", "first_seen", "n_dates"} <= set(out.columns):
        raise InputError(
            source,
            "holds dredge tracks (one row per dredge), not detections",
            "give the detections: tracks.detections.parquet, or the 'detections' layer or "
            "<stem>.detections.geojson that `dredge counts` writes beside the tracks",
        )
    if column is None and out.empty and len(out.columns) == 1:
        # no rows and no fields: an empty FeatureCollection (GeoJSON has no schema: what
        # `dredge detect --out d.geojson` writes for 0 detections), or an empty GeoPackage
        # layer with no columns, is 0 detections as an empty GeoParquet is
        out, column = empty_detections(), "acquired"
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
    out["acquired"], date_notes = read_mark_dates(out, column, source, frame.attrs)
    notes += date_notes
    out, repeat_notes = drop_repeated_rows(out, source)
    notes += repeat_notes
    check_ids_once_per_scene(out, source)
    if "score" not in out.columns:  # marked by hand: a dredge may have been marked twice
        notes += close_marks_note(out, source)
    else:
        out["score"], score_notes = read_scores(out["score"], source)
        notes += score_notes
    out, count_notes = one_row_per_dredge(out, source)
    notes += count_notes
    out, part_notes = one_row_per_part(out, source)
    notes += part_notes
    if "detection_id" not in out.columns:
        out["detection_id"] = np.arange(1, len(out) + 1)
    unnamed = out["detection_id"].isna().to_numpy()
    if unnamed.any():  # rows added by hand to a detector's table: ids as text, one type
        ids = [id_text(value) for value in out["detection_id"]]
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
            f"{source}: {count_of(int(blank.sum()), 'row')} without a class (added by hand?) "
            f"taken as {agree(int(blank.sum()), 'a dredge', 'dredges')}"
        )
    out["class_name"], word_notes = classes_by_words(out["class_name"], source)
    notes += word_notes
    counted = out["class_name"].astype(str).str.lower().isin(DREDGE_CLASSES)
    if not counted.all():
        others = out.loc[~counted, "class_name"].astype(str).value_counts()
        listed = ", ".join(f"{n:,} {name}" for name, n in others.items())
        notes.append(
            f"{source}: {listed} {agree(int(others.sum()), 'detection', 'detections')} left out "
            "of tracking: only "
            f"{'/'.join(DREDGE_CLASSES)} classes are dredges (the rest are look-alikes)"
        )
        if looks is not None and network is not None:
            seen = network.locate(out.loc[~counted].geometry)
            look = {"river": seen["river"].to_numpy(), "acquired": out.loc[~counted, "acquired"]}
            if "scene" in out.columns:  # detected, with no dredge: not a scene left out
                look["scene"] = out.loc[~counted, "scene"]
            looks.append(pd.DataFrame(look))  # river None off the corridor: its scene counts
        out = out[counted].copy()
    out, river_notes = place_on_rivers(out, source, network)
    return out, notes + river_notes


def read_mark_dates(
    frame: pd.DataFrame,
    column: str,
    source: str | Path,
    attrs: Mapping[str, object] | None = None,
) -> tuple[pd.Series, list[str]]:
    """The dates in ``frame[column]`` as UTC timestamps, and notes: read day first where a
    ``;`` CSV or Spanish or Portuguese names show it (``attrs``, what reading the file decided:
    ``day_first``, ``date_guess``, ``decimal_comma``; else the frame's column names), ambiguous
    ones refused or read month first (:func:`detector.date_columns.normalise_dates`)."""
    attrs = frame.attrs if attrs is None else attrs
    # a ';' CSV, or Spanish or Portuguese column names (fecha, latitud; a QGIS layer too)
    day_first = attrs.get("day_first", locale_cue(frame.columns))
    if day_first is None and plain_name(column) == "data":  # dates under Portuguese 'data'
        day_first = f"the Portuguese '{column}' column holding the dates"
    if day_first is not None and not isinstance(day_first, bool | str):
        day_first = bool(day_first)
    return normalise_dates(
        frame[column],
        source,
        day_first=day_first,
        guess=bool(attrs.get("date_guess", True)),
        decimal_comma=bool(attrs.get("decimal_comma", False)),  # a ';' CSV's '45463,5'
    )


def date_column(frame: pd.DataFrame) -> str | None:
    """The first column named as in :data:`detector.track_files.DATE_COLUMNS` that holds
    more than times of day: a Portuguese 'data' beside a 'time' of hours ('data,time,lon,lat')
    was refused as "dates are times of day only" once 'time' came before 'data'. None without
    one; the first named when all hold times of day (refused with that reason)."""
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
