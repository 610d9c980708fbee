"""The ``dredge track`` step as a Python function: :func:`run_track`.

Split from :mod:`detector.track_pipeline` (whose names these are imported from too), which
holds the ``dredge counts`` step. :func:`run_track` reads detections (any of the formats of
:mod:`detector.track_files`), places them on the rivers, reads what the scenes saw, links
tracks and writes the tracks file and the two beside it (:func:`sidecars`; the columns of the
observations file: :data:`OBSERVATION_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from detector.acquisition import is_remote, scene_file_name, scene_labels
from detector.chips import no_scenes_message
from detector.date_tables import check_date_keys, date_for_scene, unused_dates_note
from detector.errors import DredgeError, InputError
from detector.exports import CSV_ENCODING
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
    detections: str | Path | Sequence[str | Path],
    rivers: str | Path | RiverNetwork,
    out: str | Path,
    *,
    scenes: Sequence[str | Path] | str | Path = (),
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
    path is read here, and the notes of reading it lead the run's. Paths may be ``str`` or
    :class:`~pathlib.Path`; ``scenes`` one path (a folder, a glob, a list) or several.
    """
    out = Path(out)  # a str from a notebook: 'str' object has no attribute 'name'
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
    named = [detections] if isinstance(detections, str | Path) else list(detections)
    inputs = [Path(path) for path in named]
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
