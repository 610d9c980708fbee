"""Marks with a date and no scene column, matched to the scenes given by day and place.

Analysts who count dredges mark them in Google Earth (placemarks in a folder named by the image
date, ``2024-03-17`` or ``17/03/2024``) or in a table or QGIS layer with a date column
(``fecha``, ``acquired``, ``date``) and no scene: Google Earth cannot add one. With one scene
given every mark is on it, as before (a date column may hold another day: the day the marks
were drawn), with one note counting the marks dated other days than the scene's
(:func:`one_scene_note`). Their dates are
read as ``dredge track`` reads them (:func:`detector.track_prepare.read_mark_dates`: day first
where the file's locale shows it, an ambiguous date refused where nothing orders it), and each
mark labels every scene given whose acquisition day (UTC, as the tracker dates scenes:
:func:`detector.observed.valid_footprints`) is the mark's and whose valid area holds it: a mark
where two scenes of one pass overlap labels both. Marks that no scene takes (no scene of their
day, or outside the valid area of every scene of it) are left out with one note.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from detector.errors import InputError
from detector.given_dates import NAMED_ZONE, tiff_written_out
from detector.observed import valid_footprints
from detector.track_prepare import date_column, read_mark_dates
from detector.wording import agree, count_of, part_of

WGS84 = "EPSG:4326"


def scenes_by_date(
    frame: gpd.GeoDataFrame,
    path: Path,
    scene_paths: list[str],
    labels: dict[str, str],
) -> tuple[list[tuple[int, str]], list[str]] | None:
    """``(row, scene path)`` of every mark that a scene of its day holds (a row may be on
    several), and notes; None with one scene given (every mark is on it, as before) or without
    a date column."""
    column = date_column(frame)
    if column is None or len(scene_paths) < 2:
        return None
    rows = _placed_rows(frame)
    part = frame.iloc[rows]
    when, notes = read_mark_dates(part, column, path, frame.attrs)  # refused before any scene
    days = _written_days(part[column], when)
    scenes = valid_footprints(scene_paths, names=labels, days=set(days))
    dated = scenes[scenes["acquired"].notna()]
    if dated.empty:
        raise InputError(
            path,
            f"has no 'scene' column, and none of the {len(scene_paths)} scenes given has an "
            "acquisition date to match its marks' dates with (no Planet metadata, no date in "
            "the name or tags)",
            "add a column 'scene' naming the scene file each mark was made on, or give the "
            "scenes with their Planet _metadata.json beside them",
        )
    if column != "acquired":
        notes.insert(0, f"{path}: dates read from the '{column}' column")
    notes += [str(note) for note in frame.attrs.get("notes", [])]  # placemarks left out
    scene_days = dated["acquired"].dt.strftime("%Y-%m-%d").to_numpy()
    places = part.geometry.to_crs(WGS84) if part.crs is not None else part.geometry
    centres = shapely.centroid(np.asarray(places.array, dtype=object))
    pairs: list[tuple[int, str]] = []
    no_day: list[int] = []
    outside: list[int] = []
    for k, (row, day, centre) in enumerate(zip(rows, days, centres, strict=True)):
        same_day = np.flatnonzero(scene_days == day)
        if not len(same_day):
            no_day.append(k)
            continue
        taken = [
            str(dated["path"].iloc[j])
            for j in same_day
            if shapely.covers(dated.geometry.iloc[j], centre)
        ]
        if not taken:
            outside.append(k)
        pairs += [(row, scene) for scene in taken]
    left = sorted(no_day + outside)
    if left:
        first = centres[left[0]]
        where = f"{days[left[0]]} at {shapely.get_x(first):.5f}, {shapely.get_y(first):.5f}"
        notes.append(
            f"{path}: {part_of(len(left), len(rows), 'mark')} on no scene given "
            f"{agree(len(left), 'was', 'were')} left out "
            f"({len(no_day)} of a day with no scene, {len(outside)} outside the valid area of "
            f"every scene of their day; e.g. {where}; the scenes' days nearest it: "
            f"{_nearest(days[left[0]], scene_days)}) — add those days' "
            "scenes to --scenes, or correct the marks' dates (folder names) or places"
        )
    undated = scenes.loc[scenes["acquired"].isna(), "path"].tolist()
    if undated:
        notes.append(
            f"{path}: {count_of(len(undated), 'scene')} given "
            f"{agree(len(undated), 'has', 'have')} no acquisition date and "
            f"{agree(len(undated), 'takes', 'take')} no marks "
            f"(e.g. {Path(str(undated[0])).name}) — add a 'scene' column to the marks, or put "
            "the scenes' Planet _metadata.json beside them"
        )
    return pairs, notes


def one_scene_note(
    frame: gpd.GeoDataFrame, path: Path, scene_path: str, labels: dict[str, str]
) -> list[str]:
    """With one scene given every mark is on it, whatever its date (a date column may hold
    another day: the day the marks were drawn); a note when marks are dated other days than
    the scene's, which may be marks of other images boxed on this one. No note where the
    dates cannot be read (a column that holds something else) or the scene has no date."""
    column = date_column(frame)
    if column is None:
        return []
    rows = _placed_rows(frame)
    try:
        when, _ = read_mark_dates(frame.iloc[rows], column, path, frame.attrs)
    except InputError:
        return []
    acquired = valid_footprints([scene_path], names=labels, days=())["acquired"].iloc[0]
    if pd.isna(acquired):
        return []
    scene_day = f"{acquired:%Y-%m-%d}"
    days = pd.Series(_written_days(frame.iloc[rows][column], when))
    other = days[days != scene_day].value_counts().sort_index()
    if other.empty:
        return []
    listed = ", ".join(f"{day} ×{n}" for day, n in other.iloc[:3].items())
    more = f" and {count_of(len(other) - 3, 'other day')}" if len(other) > 3 else ""
    n = int(other.sum())
    dated = agree(n, "is dated another day", "are dated other days")
    marked = agree(
        n,
        "it was marked on that day's image, give that scene",
        "they were marked on those days' images, give those scenes",
    )
    drawn = agree(
        n,
        "its date is not its image's (the day it was",
        "their dates are not their images' (the day they were",
    )
    return [
        f"{path}: {part_of(n, len(rows), 'mark')} {dated} than the one scene given "
        f"({labels[scene_path]}, {scene_day}): {listed}{more}; all were boxed on it — if "
        f"{marked} with --scenes too (each mark then labels the scenes of its day); if {drawn} "
        "drawn), nothing is wrong"
    ]


# an ISO time with its zone offset: '2024-03-05T00:00:00+01:00', '2024-03-05 19:30-05:00',
# '2024-03-05 19:30 UTC-05:00' (a TIFF tag's form, '2024:03:05 19:30:00-05:00', as ISO's)
_ZONED = re.compile(
    r"\s*(\d{4}-\d{2}-\d{2})[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?\s*"
    rf"(?:[+-]\d{{2}}(?::?\d{{2}})?|{NAMED_ZONE})\s*",
    re.IGNORECASE,
)


def _written_days(raw: pd.Series, when: pd.Series) -> np.ndarray:
    """Each mark's day (``YYYY-MM-DD``): its UTC day, but for a time written with its zone
    offset, the day written. A mark made at midnight in Madrid on the image of 5 March
    (``2024-03-05T00:00:00+01:00``) or in Lima in the evening (``…T19:30:00-05:00``) is of
    5 March, not of its UTC day (4 or 6 March), on which no scene of 5 March was found."""
    days = when.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    for i, value in enumerate(raw.tolist()):
        found = _ZONED.fullmatch(tiff_written_out(str(value)))
        if found:
            days[i] = found.group(1)
    return days


def _placed_rows(frame: gpd.GeoDataFrame) -> list[int]:
    """Positions of the rows with a place (a row without one labels nothing)."""
    return [i for i, geom in enumerate(frame.geometry) if geom is not None and not geom.is_empty]


def _nearest(day: str, scene_days: np.ndarray, count: int = 3) -> str:
    """The ``count`` days of ``scene_days`` nearest ``day`` (all YYYY-MM-DD), in order."""
    unique = sorted(set(scene_days.tolist()))
    target = np.datetime64(day)
    near = sorted(unique, key=lambda d: abs(np.datetime64(d) - target))[:count]
    return ", ".join(sorted(near))
