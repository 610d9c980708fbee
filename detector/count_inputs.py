"""Checks of the tracks files `dredge counts` reads, which a user may have edited (in QGIS or a
spreadsheet): their cells read as ids, dates and numbers, and whether the linked detections still
agree with the tracks they were linked into (:func:`linked_mismatch`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from detector.errors import InputError
from detector.wording import agree, count_of

LINKED_COLUMNS = ("river", "acquired")
"""Columns of the linked detections that `dredge counts` reads (beside ``track_id``)."""


def check_cells(
    frame: pd.DataFrame,
    source: Path,
    *,
    ids: Sequence[str] = (),
    optional_ids: Sequence[str] = (),
    dates: Sequence[str] = (),
    numbers: Sequence[str] = (),
    needed: Sequence[str] = (),
) -> None:
    """Read a tracks file's (or its linked detections') ``ids`` (whole numbers, none blank),
    ``optional_ids`` (whole numbers or blank), ``dates`` (none blank) and ``numbers`` (or
    blank: a detection's score held as text stopped `--kml` on "Unknown format code 'g'") as
    such, in place;
    InputError naming ``source``, the column and the first bad cell where one cannot be, or
    for a ``needed`` column it lacks. A file edited in QGIS or a spreadsheet ('1x' for a track
    id, 'garbage' for a date, the river column deleted) stopped `dredge counts` on pandas' own
    line ('invalid literal for int() with base 10: '1x''), naming neither the file nor the
    column; a blank track_id or last_seen, a maybe_same_as of 'x', or track ids held as text
    ('3') passed that check and stopped it on a traceback called a bug; '3.0' for 3 was
    refused as no whole number, and one date typed as 2024-03-01 among times as no date."""
    fix = "run `dredge track` again and count the files it writes"
    lacking = [column for column in needed if column not in frame.columns]
    if lacking:
        raise InputError(
            source,
            f"has no {', '.join(lacking)} {agree(len(lacking), 'column', 'columns')} "
            "(removed or renamed?)",
            fix,
        )
    for column in (c for c in (*ids, *optional_ids, *dates, *numbers) if c in frame.columns):
        values = frame[column]
        read, kind = (
            (_read_dates(values), "date")
            if column in dates
            else (_read_numbers(values), "number")
            if column in numbers
            else (_read_whole_numbers(values), "whole number")
        )
        blank = values.isna() | values.astype(str).str.strip().eq("")
        bad = read.isna() & ~blank
        if column in optional_ids or column in numbers:
            blank &= False  # blank is allowed: no other track, no track, no score
        if bad.any() or blank.any():
            row = int(np.flatnonzero((bad | blank).to_numpy())[0])
            cell = "is blank" if blank.iloc[row] else f"holds {values.iloc[row]!r}, not a {kind}"
            raise InputError(source, f"row {row + 1} of its '{column}' column {cell}", fix)
        frame[column] = read.astype(np.int64) if column in ids else read


def _read_dates(values: pd.Series) -> pd.Series:
    """``values`` as UTC times, NaT where one is no date (each text read in its own form)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values, utc=True)
    text = values.astype("string").str.strip()
    with warnings.catch_warnings():  # pandas' 'Could not infer format': a 2nd line
        warnings.simplefilter("ignore")
        return pd.to_datetime(text.mask(text.eq("")), utc=True, errors="coerce", format="mixed")


def _read_numbers(values: pd.Series) -> pd.Series:
    """``values`` as Float64, NA where one is no number (or blank)."""
    if pd.api.types.is_bool_dtype(values):
        return pd.Series(pd.NA, index=values.index, dtype="Float64")
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values).astype("Float64")
    text = values.astype("string").str.strip()
    return pd.to_numeric(text.mask(text.eq("")), errors="coerce").astype("Float64")


def _read_whole_numbers(values: pd.Series) -> pd.Series:
    """``values`` as Int64, NA where one is no whole number ('3.0' typed for 3 is 3)."""
    numbers = _read_numbers(values)
    whole = (numbers.notna() & (numbers % 1 == 0) & (numbers.abs() < 2**53)).fillna(False)
    return numbers.where(whole).astype("Int64")


def linked_mismatch(
    tracks: pd.DataFrame, detections: pd.DataFrame, classes: Iterable[str] = ()
) -> str | None:
    """What makes linked ``detections`` disagree with the ``tracks`` they were linked into, or
    None: detections without track ids (the detector's own, not linked: every river-year
    was counted 0 dredges), a track on several rows of the tracks (a row copied in QGIS, two
    tables appended: each row was counted, and comparing them was a raw pandas error),
    tracks with no detection, detections of a track not in the table, or a track whose
    number of detections (``n_detections``, a dredge seen twice in one pass once), river (a
    river renamed in the tracks alone: counted under its old name, and a zero row under the
    new; any of its detections', not only the first's) or first and last date differ — the
    detections were edited, or come from another run of `dredge track`.
    Detections of a track whose class is no longer one of ``classes`` (set to ``boat`` by hand)
    count too. Counting such a pair mixes two runs: unique dredges come from the tracks, the
    years and rivers they are counted in from the detections."""
    if "track_id" not in tracks.columns:
        return None
    if "track_id" not in detections.columns:  # every one was counted as of no dredge: zeros
        return "they have no track_id (detections `dredge track` has not linked)"
    ids = pd.array(detections["track_id"], dtype="Int64")
    on = detections[pd.notna(ids)].copy()
    on["track_id"] = pd.array(on["track_id"], dtype="Int64").astype(np.int64)
    table = tracks.set_index(pd.array(tracks["track_id"], dtype="Int64").astype(np.int64))
    own = on[on["link"] != "duplicate"] if "link" in on.columns else on
    problems: dict[int, str] = {}
    repeated = table.index[table.index.duplicated()]
    for track in sorted(set(repeated)):  # the comparisons below need one row per track
        problems[int(track)] = f"{int((table.index == track).sum())} rows in the tracks"
    table = table[~table.index.duplicated()]
    for track in sorted(set(table.index) - set(on["track_id"])):
        problems[int(track)] = "no detection here"
    for track in sorted(set(on["track_id"]) - set(table.index)):
        problems[int(track)] = "not in the tracks"
    shared = table.index.intersection(own["track_id"].unique())
    groups = own.groupby("track_id")
    if "n_detections" in table.columns:
        here = groups.size().reindex(shared)
        there = table.loc[shared, "n_detections"].astype(np.int64)
        for track in shared[(here != there).to_numpy()]:
            problems.setdefault(
                int(track),
                f"{count_of(int(here[track]), 'detection')} here, {there[track]} in the tracks",
            )
    if {"first_seen", "last_seen"} <= set(table.columns) and "acquired" in own.columns:
        stamps = pd.to_datetime(own["acquired"], utc=True)
        spans = stamps.groupby(own["track_id"]).agg(["min", "max"]).reindex(shared)
        first = pd.to_datetime(table.loc[shared, "first_seen"], utc=True)
        last = pd.to_datetime(table.loc[shared, "last_seen"], utc=True)
        slack = pd.Timedelta(seconds=2)  # first_seen and last_seen are kept to the second
        moved = ((spans["min"] - first).abs() > slack) | ((spans["max"] - last).abs() > slack)
        for track in shared[moved.to_numpy()]:
            here_span = (spans.loc[track, "min"], spans.loc[track, "max"])
            there_span = (first[track], last[track])
            day = "%Y-%m-%d"  # to the second where the days are alike (times moved by hours)
            form = day if _days(here_span) != _days(there_span) else f"{day} %H:%M:%S UTC"
            problems.setdefault(
                int(track),
                f"seen {here_span[0]:{form}}–{here_span[1]:{form}} here, "
                f"{there_span[0]:{form}}–{there_span[1]:{form}} in the tracks",
            )
    if "river" in table.columns and "river" in own.columns:  # counted on the detections' river
        # every detection's, not the first's: one edited later in its track was counted on
        # the other river, or not at all (blank), or not, by the order of the rows
        def text(rivers: pd.Series) -> pd.Series:  # a blank one named so, not 'nan' or 'None'
            return rivers.astype(object).where(rivers.notna(), "no river").astype(str)

        where, named = text(own["river"]), text(table.loc[shared, "river"])
        off = (where != own["track_id"].map(named)).to_numpy() & own["track_id"].isin(shared)
        mine = own["track_id"].isin(own["track_id"][off].unique()).to_numpy()
        listed = where[mine].groupby(own["track_id"][mine]).agg(lambda n: "/".join(sorted(set(n))))
        for track, names in listed.items():
            problems.setdefault(int(track), f"on {names} here, {named[track]} in the tracks")
    wanted = {str(name).lower() for name in classes}
    if wanted and "class_name" in on.columns:
        other = ~on["class_name"].astype(str).str.lower().isin(wanted).to_numpy()
        for track, names in on[other].groupby("track_id")["class_name"]:
            listed = "/".join(sorted(set(names.astype(str))))
            problems.setdefault(int(track), f"{count_of(len(names), 'detection')} now '{listed}'")
    if not problems:
        return None
    ordered = sorted(problems.items())
    shown = "; ".join(f"track {k}: {text}" for k, text in ordered[:3])
    more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
    disagree = agree(len(problems), "disagrees with its", "disagree with their")
    return f"{count_of(len(problems), 'track')} {disagree} detections ({shown}{more})"


def _days(span: tuple[pd.Timestamp, pd.Timestamp]) -> tuple[str, str]:
    """A span's first and last day, as :func:`linked_mismatch` names them."""
    return (f"{span[0]:%Y-%m-%d}", f"{span[1]:%Y-%m-%d}")
