"""Each row of a detections table read once, as the dredges it stands for.

The checks :func:`detector.track_prepare.prepare_detections` makes row by row, each with a
note or one line (:class:`detector.errors.InputError`): rows repeated in every column but an
id (a table appended to itself), a detector's ids repeated within a scene with other values
(two runs appended), marks of one date closer than two hulls, a count of dredges at a mark
(``cantidad``), marks of several parts (MultiPoint), scores written as text or in percent,
and ``class_name`` values edited by hand (``Dragas``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from detector.errors import InputError
from detector.mark_classes import KNOWN_CLASSES, class_of, class_words, count_column
from detector.merge import HULL_ACROSS_M
from detector.wording import agree, count_of


def read_scores(values: pd.Series, source: str | Path) -> tuple[pd.Series, list[str]]:
    """Scores as numbers from 0 to 1: text as Excel writes it (``72%``, ``0,285``) read, and
    a column in percent (0–100) divided by 100, each with a note; they were a raw
    ``could not convert string to float`` and scores compared with ``--count-score 0.45`` as
    they were (every percent score counted)."""
    notes = []
    percent = pd.Series(False, index=values.index)
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
                f"{count_of(int(bad.sum()), 'score')} {agree(int(bad.sum()), 'is', 'are')} not "
                f"{agree(int(bad.sum()), 'a number', 'numbers')}, e.g. {text[bad].iloc[0]!r}",
                "write scores as numbers from 0 to 1 (0.72), or leave them blank",
            )
        values = read.where(~percent.to_numpy(), read / 100)
        if text.notna().any():
            notes.append(
                f"{source}: scores written as text ({text.dropna().iloc[0]!r}) read as numbers"
            )
    # '72%' is read already: divided again with the column's 85 it was 0.0072
    plain = values[~percent.to_numpy()]
    high = float(plain.max()) if plain.notna().any() else 0.0
    if high > 100:
        raise InputError(
            source,
            f"scores reach {high:g}: not scores from 0 to 1 or percent",
            "give the detector's scores (0 to 1), or leave the column out",
        )
    if high > 1:
        values = values.where(percent.to_numpy(), values / 100)
        notes.append(
            f"{source}: scores reach {high:g}: read as percent (divided by 100), so that "
            "--count-score compares them as scores from 0 to 1"
        )
    return values.astype(float), notes


def classes_by_words(classes: pd.Series, source: str | Path) -> tuple[pd.Series, list[str]]:
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
        f"{source}: {count_of(int(changed.sum()), 'class_name value')} not among the tool's "
        f"class names read by {agree(int(changed.sum()), 'its', 'their')} words ({examples})"
    ]


def id_text(value: object) -> str:
    """An id as text: 7.0 (a number column with a blank) as '7'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


ROW_NUMBER_COLUMNS = ("id", "nro", "nro.", "no", "no.", "n", "n°", "nº", "#", "item", "numero")


def drop_repeated_rows(
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
    n = int(repeated.sum())
    return frame[~repeated].copy(), [
        f"{source}: {count_of(n, 'row')} {agree(n, 'repeats', 'repeat')} another in every "
        f"column but the id (the first: row {first}) and {agree(n, 'is', 'are')} read once — "
        "the same detection twice, e.g. "
        "two runs appended; mark a group at one point with a 'count' column instead"
    ]


def check_ids_once_per_scene(frame: pd.DataFrame, source: str | Path) -> None:
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
        f"{len(rows):,} rows over {count_of(scenes, 'scene')} repeat a detection_id of their "
        "scene with "
        f"other values (e.g. detection_id {first['id']} of {first['scene']}, rows "
        f"{' and '.join(str(file_row(frame, r)) for r in pair[:2])}): one scene's detections "
        "twice, e.g. two runs appended",
        "give each scene's detections once; a row added by hand for a missed dredge needs a "
        "new detection_id (or none)",
    )


def file_row(frame: pd.DataFrame, position: int) -> int:
    """The row of the file (from 1) that the row at ``position`` of ``frame`` was read from:
    by its label, where rows repeated before it were dropped (:func:`drop_repeated_rows`),
    which shifted the rows named after them (a bad count on the fourth row was "row 3")."""
    label = frame.index[position]
    return (int(label) if isinstance(label, int | np.integer) else position) + 1


CLOSE_MARKS_GROUP_SPACING_M = 1e8  # x offset between the date-scene groups of marks


def without_position(geometry: gpd.GeoSeries) -> np.ndarray:
    """True for each row without a position: coordinates that are not numbers (a hand-mark
    table's row with blank x and y, read as ``POINT (NaN NaN)``, which is not empty), or no
    geometry at all."""
    return ~np.isfinite(shapely.bounds(geometry.to_numpy())).all(axis=1)


def close_marks_note(frame: gpd.GeoDataFrame, source: str | Path) -> list[str]:
    """A note when marks of one date (and one scene, where a column names it) lie closer than
    two hulls moored side by side (:data:`detector.merge.HULL_ACROSS_M`): each counts as a
    dredge, and one dredge marked twice (in two overlapping scenes without a scene column, or
    by a double click) counts twice. Such marks are kept; the note says how to tell."""
    placed = np.flatnonzero(~without_position(frame.geometry))  # NaN: shapely warned
    if len(placed) < 2:
        return []
    frame = frame.iloc[placed]
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
    first = file_row(frame, min(min(pair) for pair in pairs))
    return [
        f"{source}: {count_of(len(pairs), 'pair')} of marks of one date "
        f"{agree(len(pairs), 'lies', 'lie')} under {HULL_ACROSS_M:g} m "
        f"apart (the first: row {first}), closer than two dredges moored side by side; each "
        "counts as a dredge — if one is a dredge marked twice (two overlapping scenes), add a "
        "'scene' column naming each mark's scene, or delete one"
    ]


def one_row_per_dredge(
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
        position = int(np.flatnonzero(bad.to_numpy())[0])
        value = str(frame[column].iloc[position])
        raise InputError(
            source,
            f"row {file_row(frame, position)}: '{column}' is {value!r}, not a number of dredges",
            f"give each row a whole number from 1 in '{column}' (the dredges at that point)",
        )
    notes = []
    if blank.any():
        notes.append(
            f"{source}: {count_of(int(blank.sum()), 'row')} with a blank '{column}' taken as "
            "one dredge"
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
        f"{source}: rows read as the number of dredges in '{column}' "
        f"({count_of(len(frame), 'row')}, {count_of(int(repeat.sum()), 'dredge')})",
    ]


def one_row_per_part(
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
        f"{source}: {count_of(int(several.sum()), 'mark')} of several parts "
        f"(MultiPoint/MultiPolygon) read as one dredge per part "
        f"({count_of(int(parts[several].sum()), 'dredge')})"
    ]
