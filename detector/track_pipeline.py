"""The ``dredge track`` and ``dredge counts`` steps as Python functions.

``run_track`` (:mod:`detector.track_step`, imported from here too) reads detections (any of
the formats of :mod:`detector.track_files`), places them on the rivers, reads what the scenes
saw, links tracks and writes three files:

- ``OUT`` (e.g. ``tracks.parquet``): one row per dredge (GeoParquet, EPSG:4326);
- ``<stem>.detections.parquet``: every input detection with its ``track_id`` and ``link``;
- ``<stem>.observations.csv``: ``river, date, scenes, source, river_km, seen_km,
  seen_chainage_m`` — the dates each river was seen (``source`` = ``scenes`` from the scenes'
  clear areas, ``detections`` for dates that only detections vouch for: without scenes, boats'
  too) and, from the scenes, how much of it (:func:`detector.observed.river_observations`;
  blank where only detections vouch for the date).

``run_counts`` reads those files back and writes the yearly counts and the exports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from detector.count_inputs import LINKED_COLUMNS, check_cells, linked_mismatch
from detector.counts import (
    first_year_note,
    first_years,
    low_seen_note,
    partial_year_note,
    read_observations,
    sparse_note,
    unknown_seen_note,
    unobserved_detection_days,
    unobserved_note,
    yearly_counts,
)
from detector.errors import InputError, first_line, not_a_file
from detector.exports import (
    COUNTS_PARAMETERS,
    check_export_names,
    counts_format,
    geojson_paths,
    write_chart,
    write_counts,
    write_geojson,
    write_gpkg,
)
from detector.kml_export import KML_DETECTION_LIMIT, kml_left_out, write_kml
from detector.track_files import PARQUET_SUFFIXES
from detector.track_prepare import DREDGE_CLASSES
from detector.track_step import (
    OBSERVATION_COLUMNS,
    TrackRun,
    align_scene_names,
    run_track,
    sidecars,
)
from detector.wording import agree, count_of

__all__ = [  # with the dredge track step (detector.track_step), imported from here
    "COUNTED_COLUMNS",
    "OBSERVATION_COLUMNS",
    "TrackRun",
    "align_scene_names",
    "parse_years",
    "run_counts",
    "run_track",
    "sidecars",
]

COUNTED_COLUMNS = ("river", "last_seen", "counted", "maybe_same_as")
"""Columns of the tracks file that `dredge counts` and its exports read."""


def run_counts(
    tracks_path: str | Path,
    out: str | Path,
    *,
    fmt: str | None = None,
    detections: str | Path | None = None,
    observations: str | Path | None = None,
    years: str | None = None,
    chart: str | Path | None = None,
    kml: str | Path | None = None,
    gpkg: str | Path | None = None,
    geojson: str | Path | None = None,
    names: Mapping[str, str] = COUNTS_PARAMETERS,
) -> list[str]:
    """Count unique dredges per river and year, write ``out`` and the requested exports.

    Returns one line per file written (and notes). Paths may be ``str`` or
    :class:`~pathlib.Path` (a str was an AttributeError from deep inside). ``names``: how
    messages name the parameters: ``fmt=``, ``observations=``, ``years=`` … (an ``out`` of no
    counts format, an ``observations`` not found, a ``years`` unread); `dredge counts` gives
    its options (:data:`~detector.exports.COUNTS_OPTIONS`: a Python caller was told to "leave
    --observations out").
    """
    tracks_path, out = Path(tracks_path), Path(out)
    detections, observations, chart, kml, gpkg, geojson = (
        None if path is None else Path(path)
        for path in (detections, observations, chart, kml, gpkg, geojson)
    )
    check_export_names(chart, gpkg, kml, geojson, out, names=names)
    counts_format(out, fmt, option=names["fmt"])  # before the work, as the exports' names
    if tracks_path.suffix.lower() not in PARQUET_SUFFIXES and tracks_path.is_file():
        raise InputError(
            tracks_path,
            "is not a tracks file (GeoParquet written by `dredge track`)",
            "give tracks.parquet; to count detections or marks, run `dredge track` on them first",
        )
    tracks = _read_geoparquet(
        tracks_path, "the tracks file written by `dredge track`", "tracks.parquet"
    )
    if "track_id" not in tracks.columns or "first_seen" not in tracks.columns:
        raise InputError(
            tracks_path,
            "holds detections, not dredge tracks"
            if "acquired" in tracks.columns
            else "is not a tracks file (no track_id, first_seen)",
            "run `dredge track` on it first, then give the tracks file it writes",
        )
    lacking = [c for c in COUNTED_COLUMNS if c not in tracks.columns]
    if lacking:  # a column deleted while editing: a raw KeyError traceback
        raise InputError(
            tracks_path,
            f"has no {', '.join(lacking)} {agree(len(lacking), 'column', 'columns')} (removed or "
            "renamed since `dredge track` wrote it?)",
            "run `dredge track` again and count the tracks file it writes",
        )
    default_detections, default_observations = sidecars(tracks_path)
    detections = detections or default_detections
    tracks["counted"] = _flags(tracks["counted"], tracks_path, "counted")
    linked = _read_geoparquet(
        detections, "the detections written beside it by `dredge track`", default_detections.name
    )
    check_cells(  # read as such in place: '3' and '3.0' typed for 3, dates as text
        tracks,
        tracks_path,
        ids=("track_id",),
        optional_ids=("maybe_same_as",),
        dates=("first_seen", "last_seen"),
    )
    check_cells(
        linked,
        detections,
        optional_ids=("track_id",),
        dates=("acquired",),
        numbers=("score",),
        needed=LINKED_COLUMNS,
    )
    mismatch = linked_mismatch(tracks, linked, DREDGE_CLASSES)
    if mismatch:  # edited after tracking, or of another run: counts would mix the two
        raise InputError(
            detections,
            f"does not match {tracks_path.name}: {mismatch}",
            "run `dredge track` again on the detections (as edited) and count the tracks it "
            "writes; or give the detections written beside these tracks",
        )
    if observations is not None and not observations.is_file():  # a typo was counted from
        raise InputError(  # the detection dates, with a line among the notes and exit code 0
            observations,
            "is a folder" if observations.is_dir() else "file not found",
            "give the observations written beside the tracks by `dredge track` "
            f"({default_observations.name}), or leave {names['observations']} out",
        )
    observations = observations or default_observations
    seen, read_notes = read_observations(observations) if observations.is_file() else (None, [])
    unseen = unobserved_detection_days(seen, linked) if seen is not None else None
    if unseen:  # of another run: its rivers gave zero rows, the tracks' lost their scenes
        raise InputError(
            observations,
            f"does not match {tracks_path.name}: {unseen}",
            "run `dredge track` again and count the files it writes"
            if observations == default_observations
            else "give the observations `dredge track` wrote with these tracks "
            f"({default_observations.name}), or leave {names['observations']} out",
        )
    counts = yearly_counts(
        tracks, linked, observations=seen, years=parse_years(years, option=names["years"])
    )
    lines = [
        f"wrote {write_counts(counts, out, fmt)} ({count_of(len(counts), 'river-year')})",
        *read_notes,
    ]
    sparse = sparse_note(counts, seen) if seen is not None else None
    partial = partial_year_note(counts, seen) if seen is not None else None
    opening = first_year_note(counts, first_years(seen, linked))
    unknown = unknown_seen_note(seen, observations) if seen is not None else None
    for note in (sparse, partial, unobserved_note(counts), low_seen_note(counts), opening, unknown):
        if note:
            lines.append(note)
    if seen is None:
        lines.append(f"{observations}: not found; scenes per year counted from detection dates")
    if chart:
        lines.append(f"wrote {write_chart(counts, chart)}")
    if gpkg:
        lines.append(f"wrote {write_gpkg(tracks, linked, gpkg)} (layers dredges, detections)")
    if geojson:
        dredges, dets = write_geojson(tracks, linked, geojson)
        lines.append(f"wrote {dredges} and {dets}")
    if kml:
        elsewhere, dredges_elsewhere = _export_homes(kml, tracks_path, detections, gpkg, geojson)
        path, included = write_kml(
            tracks,
            kml,
            linked,
            max_detections=KML_DETECTION_LIMIT,
            elsewhere=elsewhere,
            dredges_elsewhere=dredges_elsewhere,
        )
        lines.append(f"wrote {path}")
        if not included:  # a note of its own: `dredge run` keeps it in run.json and the report
            left = kml_left_out(len(linked), KML_DETECTION_LIMIT, elsewhere)
            shown = (
                f"the {int(tracks['counted'].sum()):,} counted dredges of {len(tracks):,} (the "
                f"others are in {dredges_elsewhere})"
                if len(tracks) > KML_DETECTION_LIMIT
                else "dredges only"
            )
            lines.append(f"{path.name}: {shown} — {left}")
    return lines


def _export_homes(
    kml: Path, tracks: Path, detections: Path, gpkg: Path | None, geojson: Path | None
) -> tuple[str, str]:
    """Where the detections and the dredges that dredges.kml leaves out are (the files
    written beside it, and the tracks' own), as dredges.kml and its note name them."""

    def named(path: Path) -> str:
        return path.name if path.parent.resolve() == kml.parent.resolve() else str(path)

    detection_homes = [f"the detections layer of {gpkg.name}"] if gpkg else []
    detection_homes += [geojson_paths(geojson)[1].name] if geojson else []
    dredge_homes = [f"the dredges layer of {gpkg.name}"] if gpkg else []
    dredge_homes += [geojson_paths(geojson)[0].name] if geojson else []

    def listed(homes: list[str]) -> str:
        return ", ".join(homes[:-1]) + " and " + homes[-1] if len(homes) > 1 else homes[0]

    return listed([*detection_homes, named(detections)]), listed([*dredge_homes, named(tracks)])


def parse_years(text: str | None, option: str = "--years") -> range | None:
    """``2024`` or ``2023-2025`` (inclusive) as a range; None stays None. ``option``: how the
    message names ``text`` (``years=`` from Python)."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4}))?\s*", text)
    if match is None:
        raise InputError(option, f"cannot read {text!r}", "give a year or a range: 2023-2025")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise InputError(option, f"range {text!r} runs backwards", "write it as 2023-2025")
    return range(first, last + 1)


_TRUE_WORDS = {"true", "t", "yes", "y", "1", "si", "sí", "s", "verdadero", "x"}
_FALSE_WORDS = {"false", "f", "no", "n", "0", "", "falso", "nan", "none", "<na>"}


def _flags(values: pd.Series, source: Path, column: str) -> pd.Series:
    """A column of true/false as booleans, also when it was saved as text ('True'/'False',
    'yes'/'no', 'sí'/'no'): as text, every non-empty value was true, and every track counted
    (the demo's Nanay 2024: 12 for 4). InputError naming a value that is neither."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.fillna(False).astype(bool)
    text = values.astype("string").fillna("").str.strip().str.lower()
    unknown = ~text.isin(_TRUE_WORDS | _FALSE_WORDS)
    if unknown.any():
        raise InputError(
            source,
            f"its '{column}' column holds {text[unknown].iloc[0]!r}, neither true nor false",
            f"write {column} as true or false (run `dredge track` again to remake the file)",
        )
    return text.isin(_TRUE_WORDS)


def _read_geoparquet(path: Path, what: str, expected: str | None = None) -> gpd.GeoDataFrame:
    if not path.is_file():  # 'expected': the file in a folder given for it (a run's)
        raise not_a_file(path, f"give {what}", expected)
    try:
        return gpd.read_parquet(path)
    except Exception as exc:  # pyarrow and geopandas raise many unrelated types
        first = first_line(exc)
        raise InputError(path, f"cannot be read ({first})", f"give {what}") from None
