"""Detections placed on the rivers: ``river``, ``chainage_m`` and ``offset_m``.

They are measured on the river centerlines given, even when the file has them (the output of
``dredge detect``, placed on the centerlines of that run: a line says how many moved);
without centerlines (Python only) the file's are kept. Detections farther than the corridor
from every river are kept, with no river and no track (:func:`off_river_note`), and so are
rows without a position (blank coordinates: a note of their own); when none is on a river, a
note says whether swapped columns or a sign typed without its minus would put them on one.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from detector.confluence import about_as_near
from detector.errors import InputError
from detector.river_inputs import name_text
from detector.rivers import RiverNetwork
from detector.track_crs import WGS84
from detector.track_rows import file_row, without_position
from detector.wording import agree, count_of, part_of

RIVER_COLUMNS = ("river", "chainage_m", "offset_m")


def off_river_note(detections: pd.DataFrame, source: str | Path, corridor_m: float) -> str | None:
    """One line about detections on no river (kept, but in no track), or None."""
    off = detections["river"].isna().to_numpy(copy=True)
    if isinstance(detections, gpd.GeoDataFrame):  # those without a position: their own note
        off &= ~without_position(detections.geometry)
    off = int(off.sum())
    if off == 0:
        return None
    return (
        f"{source}: {part_of(off, len(detections), 'detection')} {agree(off, 'is', 'are')} on "
        "no river (farther than "
        f"{corridor_m:g} m from every centerline); kept in the output with no track_id (marks "
        "on a wide river's banks or a side channel the rivers file lacks: widen --corridor-m, or "
        "draw the channel under its river's name)"
    )


def place_on_rivers(
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
    before = _file_rivers(frame["river"]) if has_positions else None
    located = network.locate(frame.geometry)
    for column in RIVER_COLUMNS:
        frame[column] = located[column].to_numpy()
    placeless = without_position(frame.geometry)
    notes: list[str] = []  # said where a position was measured: not of an empty file, nor
    if not placeless.all():  # of rows all of blank coordinates
        notes.append(f"{source}: positions measured along {count_of(len(network.names), 'river')}")
    if placeless.any():  # blank x and y: kept, as a hand mark of a dredge seen, on no river
        first = file_row(frame, int(np.flatnonzero(placeless)[0]))
        n = int(placeless.sum())
        notes.append(
            f"{source}: {part_of(n, len(frame), 'row')} {agree(n, 'has', 'have')} no position "
            f"(blank coordinates; the first: row {first}) and {agree(n, 'is', 'are')} left on no "
            "river, kept in the output with no track_id — give "
            f"{agree(n, 'it a position, or delete it', 'them positions, or delete them')}"
        )
    if before is not None:
        changed = before.fillna("") != frame["river"].astype("string").fillna("")
        if "score" in frame.columns:  # rows added by hand (no score) had no river to change
            changed &= frame["score"].notna()
        else:  # hand marks: a blank river was not given, rather than off every river
            changed &= before.notna()
        if changed.any():  # a box put on the other river at a confluence is no other line
            rows = changed.to_numpy()
            changed[rows] = ~about_as_near(frame.geometry[rows], before[rows], network)
        moved = int(changed.sum())
        if moved:
            notes.append(
                f"{source}: {count_of(moved, 'detection')} now {agree(moved, 'lies', 'lie')} on "
                "another river than the file said, or on none: it was placed on other centerlines "
                "than the ones given"
            )
    if len(frame) and frame["river"].isna().all():
        notes += _misplaced_note(frame, source, network)
    return frame, notes


def _file_rivers(rivers: pd.Series) -> pd.Series:
    """The rivers a file gives, as the rivers file's names are read: a numeric name in a column
    with blanks (pandas' floats) as the whole number (`1`, not `1.0`), spaces collapsed."""
    given = rivers.dropna().unique()  # a river per detection: read each name once
    read = {name: " ".join(name_text(name).split()) for name in given}
    names = rivers.map(read, na_action="ignore").astype("string")
    return names.mask(names.eq(""))


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
