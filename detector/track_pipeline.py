"""The ``dredge track`` and ``dredge counts`` steps as Python functions.

``run_track`` reads detections (any of the formats of :mod:`detector.track_files`), places
them on the rivers, reads what the scenes saw, links tracks and writes three files:

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from detector.acquisition import is_remote, scene_file_name, scene_labels
from detector.chips import no_scenes_message
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
from detector.date_tables import check_date_keys, date_for_scene, unused_dates_note
from detector.errors import DredgeError, InputError, first_line, not_a_file
from detector.exports import (
    CSV_ENCODING,
    check_export_names,
    counts_format,
    geojson_paths,
    write_chart,
    write_counts,
    write_geojson,
    write_gpkg,
)
from detector.kml_export import KML_DETECTION_LIMIT, kml_left_out, write_kml
from detector.observed import observed_areas, river_observations, scene_key
from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork
from detector.scene_sources import resolve_scenes
from detector.track_files import PARQUET_SUFFIXES
from detector.track_gather import gather_detections
from detector.track_merges import hand_merges, merge_tracks
from detector.track_notes import (
    detection_dates,
    long_gaps_note,
    mixed_scene_dates_note,
    scenes_beyond_note,
    scenes_not_given,
    unmarked_looks_note,
)
from detector.track_prepare import DREDGE_CLASSES
from detector.track_rivers import off_river_note
from detector.track_table import Rules
from detector.tracking import TrackParams, link_tracks
from detector.wording import agree, count_of, part_of
from detector.writing import write_together

WGS84 = "EPSG:4326"
OBSERVATION_COLUMNS = [
    "river",
    "date",
    "scenes",
    "source",
    "river_km",
    "seen_km",
    "seen_chainage_m",
]


@dataclass
class TrackRun:
    """What ``run_track`` wrote, and the lines to tell the user."""

    tracks: Path
    detections: Path
    observations: Path
    notes: list[str] = field(default_factory=list)
    summary: str = ""


def sidecars(tracks: Path) -> tuple[Path, Path]:
    """The detections and observations files written beside a tracks file."""
    stem = tracks.name.removesuffix(tracks.suffix)
    return (
        tracks.with_name(f"{stem}.detections.parquet"),
        tracks.with_name(f"{stem}.observations.csv"),
    )


def run_track(
    detections: Path | Sequence[Path],
    rivers: Path | RiverNetwork,
    out: Path,
    *,
    scenes: Sequence[str | Path] = (),
    name_field: str = "name",
    corridor_m: float = DEFAULT_CORRIDOR_M,
    min_dates: int | None = None,
    params: TrackParams | None = None,
    dates: Mapping[str, datetime] | None = None,
    names: Mapping[str, str] | None = None,
) -> TrackRun:
    """Link the detections in ``detections`` (one file or several, read as one table:
    :func:`detector.track_gather.gather_detections`) into dredge tracks; see the module notes.

    A scene in ``scenes`` is dated by its detections, else by ``dates`` (scene path, file name
    or stem → time, as ``--dates`` gives), else by what the file says
    (:func:`detector.observed.scene_time`).
    Scenes that share a file name are told apart by the labels in ``names`` (default:
    :func:`detector.acquisition.scene_labels` of ``scenes``, as `dredge detect` names them).

    ``min_dates`` None: 2 when the detections have scores (a detector's output, where a dredge
    seen once is most likely a false detection), 1 when they have none (marked by hand).

    ``rivers`` may be a network already read (``dredge run``'s, whose notes it has told); a
    path is read here, and the notes of reading it lead the run's.
    """
    if Path(out).suffix.lower() not in PARQUET_SUFFIXES:  # written as GeoParquet under the
        raise InputError(  # name given, which `dredge counts` then refused as no tracks file
            out,
            "tracks are written as GeoParquet, which `dredge counts` knows by the name's .parquet",
            "end the name in .parquet (for QGIS or Google Earth: dredge counts --gpkg, --geojson "
            "or --kml)",
        )
    if isinstance(rivers, RiverNetwork):
        network, notes = rivers, []
    else:
        network = RiverNetwork.read(rivers, name_field=name_field, corridor_m=corridor_m)
        notes = list(network.notes)
    inputs = [detections] if isinstance(detections, str | Path) else list(detections)
    look_alikes: list[pd.DataFrame] = []  # boats: their scenes looked at the river too
    sizes: list[int] = []  # each file's rows, in order: its own track ids are read alone
    frame, input_notes = gather_detections(inputs, network, looks=look_alikes, sizes=sizes)
    notes += input_notes
    source = inputs[0] if len(inputs) == 1 else Path(f"{len(inputs)} detection files")
    off = off_river_note(frame, source, corridor_m)
    if off:
        notes.append(off)
    params = params or TrackParams()
    scored = "score" in frame.columns and bool(frame["score"].notna().any())
    if min_dates is None:
        min_dates = 2 if scored else 1
        if not scored and len(frame):
            notes.append(
                f"{source}: no scores (marked by hand?): a dredge seen on one date counts "
                "(--min-dates 1)"
            )
        added = int(frame["score"].isna().sum()) if scored else 0
        if added:
            params = replace(params, unscored_sure=True)
            notes.append(
                f"{source}: {count_of(added, 'detection')} without a score (added by hand?): a "
                f"dredge {agree(added, 'it marks', 'they mark')} counts even if seen on one date "
                "(--min-dates applies to all)"
            )
    params = replace(params, min_dates=min_dates)
    observed = None
    observations = pd.DataFrame(columns=OBSERVATION_COLUMNS)
    if scenes:
        sources = resolve_scenes(scenes)
        files = sources.paths
        if not files:
            raise DredgeError(f"--scenes: {no_scenes_message(scenes)}")
        missing = next((f for f in files if not is_remote(f) and not Path(f).is_file()), None)
        if missing is not None:
            raise InputError(missing, "no such scene file or folder", "check the --scenes path")
        labels = dict(names) if names else scene_labels(files)
        frame = align_scene_names(frame, files, labels)
        check_date_keys(dates or {}, files, labels, "--dates")
        unused = unused_dates_note(dates or {}, files, labels)
        if unused:
            notes.append(unused)
        known = {**sources.dates, **(dates or {})}  # the user's --dates over STAC's
        detected = detection_dates(frame)
        mixed = mixed_scene_dates_note(frame, source)
        if mixed:
            notes.append(mixed)
        when = {}
        for path in files:
            found = detected.get(scene_key(labels.get(path, path))) or date_for_scene(
                known, path, labels.get(path)
            )
            if found is not None:
                when[path] = found
        observed = observed_areas(files, dates=when, names=labels)
        notes += observed.attrs.get("mask_notes", [])  # a mask over part of its scene
        boats = [align_scene_names(look, files, labels) for look in look_alikes]
        beyond = scenes_beyond_note(frame, observed, source, look_alikes=boats)
        if beyond:
            notes.append(beyond)
        corridor = network.corridor(WGS84, ends=False)
        observations = river_observations(observed, corridor, network).assign(source="scenes")
        unmarked = None if scored else unmarked_looks_note(observations, frame)
        if unmarked:
            notes.append(unmarked)
        notes.append(f"read the clear, valid areas of {count_of(len(files), 'scene')}")
        unmasked = [
            f
            for f, masked in zip(files, observed["cloud_mask"], strict=True)
            if not masked and not is_remote(f)
        ]
        older = [f for f, kind in zip(files, observed["cloud_mask"], strict=True) if kind == "udm"]
        if older:
            notes.append(
                f"{part_of(len(older), len(files), 'scene')} {agree(len(older), 'has', 'have')} "
                f"Planet's older UDM as {agree(len(older), 'its', 'their')} cloud mask "
                f"(e.g. {labels.get(older[0]) or scene_file_name(older[0])}; no UDM2, as before "
                "August 2018): it found clouds on a coarse image, so a small cloud may be missed "
                "and its ground count as seen"
            )
        if unmasked:
            notes.append(
                f"{part_of(len(unmasked), len(files), 'scene')} "
                f"{agree(len(unmasked), 'has', 'have')} no cloud mask (UDM2) beside "
                f"{agree(len(unmasked), 'it', 'them')} "
                f"(e.g. {labels.get(unmasked[0]) or scene_file_name(unmasked[0])}): "
                f"{agree(len(unmasked), 'its', 'their')} whole valid area counts as seen, so a "
                "dredge under a cloud there looks gone — fine for "
                "cloud-free mosaics (NICFI); for single captures put the masks beside the scenes "
                "(Planet's udm2 asset)"
            )
        by_url = [f for f in files if is_remote(f)]  # no mask is looked for beside a URL
        if by_url:
            notes.append(
                f"{part_of(len(by_url), len(files), 'scene')} {agree(len(by_url), 'is', 'are')} "
                "read by URL, with no cloud mask (e.g. "
                f"{labels.get(by_url[0]) or scene_file_name(by_url[0])}): "
                f"{agree(len(by_url), 'its', 'their')} whole valid area counts as seen, so a "
                "dredge under a cloud there looks gone — fine for cloud-free "
                "mosaics (NICFI); for single captures download the scenes with their udm2 masks "
                "beside them"
            )
        unseen = scenes_not_given(frame, observed)
        if unseen:
            notes.append(
                f"{source}: {part_of(unseen[0], unseen[1], 'scene')} with detections "
                f"{agree(unseen[0], 'is', 'are')} not among --scenes: on "
                f"{agree(unseen[0], 'its date', 'their dates')} no dredge can be seen gone, which "
                "changes what is linked "
                "and counted — give every scene the detections came from"
            )
    # Each file's track ids are its own (an edited tracks.detections.parquet beside a new
    # month's detections or hand marks: its merges were not read, 2 dredges for 1).
    merges: list[tuple[Path, dict[int, np.ndarray], range]] = []
    start = 0
    for given, size in zip(inputs, sizes, strict=True):
        found, merge_notes = hand_merges(frame.iloc[start : start + size], given)
        notes += merge_notes
        if found:
            own = range(start, start + size)  # another file's detections linked in: joined
            merges.append((given, {track: rows + start for track, rows in found.items()}, own))
        start += size
    rules: Rules = {}  # why each track is left out, as codes: a merge is counted by them
    linked, tracks = link_tracks(frame, observed, params=params, rules=rules)
    for given, merged, own in merges:  # positions of the rows: linked keeps the frame's order
        linked, tracks, merge_notes = merge_tracks(
            linked, tracks, merged, given, params, rules=rules, own=own
        )
        notes += merge_notes
    if observed is None:
        far = long_gaps_note(linked, params.unobserved_gap_days)
        if far:
            notes.append(far)
    twice = int((linked["link"] == "duplicate").sum())
    if twice:
        notes.append(
            f"{count_of(twice, 'detection')} {agree(twice, 'was', 'were')} a dredge seen again in "
            "another scene of the same pass (overlapping scenes of a strip, tiles, or a scene "
            "given twice): counted once (link 'duplicate' in the detections)"
        )
    static = int(tracks["static"].sum())
    if static:
        fixed = agree(
            static,
            "a fixed object (roof, wreck, pontoon?)",
            "fixed objects (roofs, wrecks, pontoons?)",
        )
        notes.append(
            f"{count_of(static, 'track')} never moved over more than {params.max_static_days:g} "
            f"days: {fixed}, not counted (static in tracks.parquet; --max-static-days 0 counts "
            "them)"
        )
    seen_by = [linked] + (look_alikes if observed is None else [])  # scenes given say it all
    observations = _with_detection_dates(observations, seen_by).reindex(columns=OBSERVATION_COLUMNS)

    detections_out, observations_out = sidecars(out)
    linked_frame = gpd.GeoDataFrame(linked, geometry=linked.geometry.name, crs=WGS84)
    # The reader's notes (pandas attrs, with input paths) stay out of the files' metadata.
    linked_frame.attrs, tracks.attrs = {}, {}
    write_together(  # all or none: counts took the observations of an earlier run
        [
            (out, lambda tmp: tracks.to_parquet(tmp)),
            (detections_out, lambda tmp: linked_frame.to_parquet(tmp)),
            # with a byte-order mark, as counts.csv: Excel showed Marañón as MaraÃ±Ã³n
            (
                observations_out,
                lambda tmp: observations.to_csv(tmp, index=False, encoding=CSV_ENCODING),
            ),
        ]
    )
    on = int(linked["track_id"].notna().sum())
    summary = (
        f"linked {count_of(on, 'detection')} on {count_of(linked['river'].nunique(), 'river')} "
        f"into {count_of(len(tracks), 'track')} ({int(tracks['counted'].sum()):,} counted); "
        f"wrote {out}, {detections_out.name}, {observations_out.name}"
    )
    return TrackRun(out, detections_out, observations_out, notes, summary)


COUNTED_COLUMNS = ("river", "last_seen", "counted", "maybe_same_as")
"""Columns of the tracks file that `dredge counts` and its exports read."""


def run_counts(
    tracks_path: Path,
    out: Path,
    *,
    fmt: str | None = None,
    detections: Path | None = None,
    observations: Path | None = None,
    years: str | None = None,
    chart: Path | None = None,
    kml: Path | None = None,
    gpkg: Path | None = None,
    geojson: Path | None = None,
) -> list[str]:
    """Count unique dredges per river and year, write ``out`` and the requested exports.

    Returns one line per file written (and notes).
    """
    check_export_names(chart, gpkg, kml, geojson, out)
    counts_format(out, fmt)  # before the work, as the exports' names
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
            f"({default_observations.name}), or leave --observations out",
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
            f"({default_observations.name}), or leave --observations out",
        )
    counts = yearly_counts(tracks, linked, observations=seen, years=parse_years(years))
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


def align_scene_names(
    frame: gpd.GeoDataFrame, files: Sequence[str], labels: Mapping[str, str]
) -> gpd.GeoDataFrame:
    """Scene names of hand marks written as the scenes given are named (a mark's ``scene`` may
    be a file name, a stem, a Planet ID such as ``20240303_143659_60_2423``, or a path, as for
    vector labels); names that match no scene, or several, are left as they are."""
    if "scene" not in frame.columns or frame["scene"].isna().all():
        return frame
    aliases: dict[str, set[str]] = {}
    for path in files:
        name = scene_file_name(path)
        key = scene_key(labels.get(path, name))
        stem = scene_key(name)
        for alias in (key, stem, stem.split("_3B_")[0]):
            aliases.setdefault(alias.lower(), set()).add(key)
    known = {scene_key(labels.get(path, scene_file_name(path))) for path in files}

    def aligned(value: object) -> object:
        if value is None or (isinstance(value, float) and value != value):
            return value
        if scene_key(value) in known:
            return value
        key = scene_key(str(value).strip().replace("\\", "/"))  # a Windows path too
        if key in known:
            return key
        found = aliases.get(key.lower(), set())
        return next(iter(found)) if len(found) == 1 else value

    out = frame.copy()
    out["scene"] = out["scene"].map(aligned)
    return out


def parse_years(text: str | None) -> range | None:
    """``2024`` or ``2023-2025`` (inclusive) as a range; None stays None."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4}))?\s*", text)
    if match is None:
        raise InputError("--years", f"cannot read {text!r}", "give a year or a range: 2023-2025")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        raise InputError("--years", f"range {text!r} runs backwards", "write it as 2023-2025")
    return range(first, last + 1)


def _with_detection_dates(
    observations: pd.DataFrame, detected: Sequence[pd.DataFrame]
) -> pd.DataFrame:
    """Add river-dates that only detections vouch for (no scene footprint given): those of the
    linked detections and, without scenes, of the look-alikes left out of tracking (a river
    year whose scenes showed boats and no dredge was no year at all: no zero row)."""
    rows = [d[["river", "acquired"]] for d in detected if len(d)]
    if not rows:
        return observations
    everything = pd.concat(rows, ignore_index=True)
    on = everything[everything["river"].notna()]
    dates = pd.DataFrame(
        {
            "river": on["river"].astype(str).to_numpy(),
            "date": pd.to_datetime(on["acquired"], utc=True).dt.strftime("%Y-%m-%d").to_numpy(),
        }
    ).drop_duplicates()
    known = set(zip(observations["river"], observations["date"], strict=True))
    extra = dates[[pair not in known for pair in zip(dates["river"], dates["date"], strict=True)]]
    extra = extra.assign(scenes=0, source="detections")
    frames = [f for f in (observations, extra) if len(f)]
    if not frames:
        return observations
    merged = pd.concat(frames, ignore_index=True)
    return merged.sort_values(["river", "date"], kind="stable").reset_index(drop=True)


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
