"""Edits that analysts make to the exports of ``dredge counts`` in QGIS or Google Earth, read
back by ``dredge track``.

``dredges.gpkg`` (layers ``dredges`` and ``detections``), ``dredges.geojson`` beside
``dredges.detections.geojson`` and ``dredges.kml`` show one point per dredge, where a false
dredge is deleted; the detections, which ``dredge track`` reads, keep its rows. A detection of
a dredge no longer among the dredges is left out, with a note. Google Earth edits a placemark's
name, not its data: a detection (``2024-03-05 dredge 20``, of dredge 20) or a dredge
(``Dredge 20 (Nanay)``) renamed to a class (``bote``) or a negation (``falsa draga``), or with
one added after its name (``Dredge 20 (Nanay) - bote``), gives the detections that class over
the ``class_name`` in their data; renamed to another dredge (``2024-03-05 dredge 14``,
``Dredge 14 (Nanay)``), their ``track_id``, a merge by hand (to a number no dredge placemark
has: none, with a note). These edits were all ignored
without a word: the dredge counted as before. Detections not seen on their dredge's dates
(pasted from another run's dredges.kml) keep no ``track_id`` nor ``link``, with a note; one
renamed to a number no dredge has is of its dredge as exported, linked anew as that note says.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from detector.mark_classes import class_named
from detector.wording import agree, count_of

EXPORTED_DETECTION = r"(\d{4}-\d{2}-\d{2} dredge \d+)?"  # dredges.kml's names ('' off-river)
_DREDGE_OF_DETECTION = r"\d{4}-\d{2}-\d{2} dredge (\d+)"
_EXPORTED_DREDGE = re.compile(r"Dredge \d+ \(.*\)", re.DOTALL)
# a name as exported with words added after it ('2024-03-05 dredge 20 bote', 'Dredge 20
# (Nanay) - bote'): those words are the edit
_EXPORTED_START = re.compile(r"(?:\d{4}-\d{2}-\d{2} dredge \d+|Dredge \d+ \(.*?\))[\s,;:-]*")


def without_deleted_dredges(
    frame: gpd.GeoDataFrame, source: Path, layer: str | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The detections of ``dredge counts``' exports less those of dredges deleted from its
    dredges (the ``dredges`` layer of dredges.gpkg, or dredges.geojson beside
    dredges.detections.geojson: a false dredge deleted in QGIS where it shows, one point per
    dredge), with a note; they were tracked again and counted as before without a word.
    Dredges all deleted (an empty layer) remove nothing."""
    found = _dredges_beside(source, layer) if "track_id" in frame else None
    if found is None:
        return frame, []
    where, dredges = found
    ids = pd.to_numeric(dredges["track_id"], errors="coerce")
    kept = set(ids.dropna().astype(np.int64))
    tracks = pd.to_numeric(frame["track_id"], errors="coerce")
    missing = (tracks.notna() & ~tracks.isin(kept)).to_numpy()
    if not kept or not missing.any():
        return frame, []
    exported = dredges[ids.notna().to_numpy()].set_index(ids.dropna().astype(np.int64))
    exported = exported[~exported.index.duplicated()]  # a point copied in QGIS: one dredge
    gone = missing & _whole_tracks(frame, tracks, kept, exported)
    notes = []
    if gone.any():
        ids = sorted({int(v) for v in tracks[gone]})
        notes.append(
            f"{source}: {count_of(int(gone.sum()), 'detection')} of "
            f"{count_of(len(ids), 'dredge')} deleted from {where} (track_id {_listed(ids)}) "
            "left out — to keep a dredge, keep its row there"
        )
    if (split := missing & ~gone).any():
        ids = sorted({int(v) for v in tracks[split]})
        count = int(split.sum())
        notes.append(
            f"{source}: {count_of(count, 'detection')} with a track_id not among {where} "
            f"(track_id {_listed(ids)}) {agree(count, 'is', 'are')} not a whole dredge as "
            "exported (a track split or edited by hand): kept, and linked again"
        )
    return frame[~gone].reset_index(drop=True), notes


def _whole_tracks(
    frame: gpd.GeoDataFrame, tracks: pd.Series, kept: set[int], exported: pd.DataFrame
) -> np.ndarray:
    """Rows whose track is one track as ``dredge track`` wrote it: it starts with exactly one
    detection linked ``new``, which no dredge kept has lost to it. A track_id missing from the
    dredges is a deletion only then: detections given a new id (a track split by hand) have no
    ``new`` link of their own, or took it from a dredge that is kept, which then has none. A
    dredge kept that starts twice is two merged by hand (:mod:`detector.track_merges`), which
    takes no start from a missing id: a dredge deleted beside such a merge was kept. Without a
    ``link`` column, every row.

    A kept dredge without its start may have lost it to the false detection deleted, not to a
    split: where the dredges (``exported``, by track_id) give their ``n_detections`` or
    ``first_seen``, a missing id took the start of such a dredge only if their detections
    together are no more than it had, and its start is at that dredge's first_seen (a dredge
    deleted beside a kept one's first detection deleted was counted again). Of two ids that
    may so hold one dredge's start but not both, the one with all its rest is the split."""
    if "link" not in frame:
        return np.ones(len(frame), dtype=bool)
    starts = frame["link"].astype("string").eq("new").groupby(tracks).sum()
    whole = tracks.map(starts).eq(1).to_numpy()
    lost = [t for t in kept if t in starts.index and starts[t] == 0]
    if not lost:
        return whole
    known = [c for c in ("n_detections", "first_seen") if c in exported]
    if not known:
        return np.zeros(len(frame), dtype=bool)
    sizes = tracks[frame["link"].astype("string").ne("duplicate").fillna(True).to_numpy()]
    sizes = sizes.value_counts().reindex(list(starts.index), fill_value=0)  # as n_detections
    new = frame["link"].astype("string").eq("new").fillna(False).to_numpy()
    begun = _seconds(frame["acquired"]) if "acquired" in frame else None
    rivers = frame["river"].astype("string") if "river" in frame else None
    claims: dict[int, list[int]] = {dredge: [] for dredge in lost}  # its possible splits
    had: dict[int, float] = {}
    for dredge in lost:
        told = exported.at[dredge, "n_detections"] if "n_detections" in known else None
        had[dredge] = float(pd.to_numeric(pd.Series([told]), errors="coerce").iloc[0])
    for missing in sorted({int(t) for t in tracks[whole & ~tracks.isin(kept).to_numpy()]}):
        mine = (tracks == missing).to_numpy()
        start = begun[mine & new].iloc[0] if begun is not None else pd.NaT
        for dredge in lost:
            rows = (tracks == dredge).to_numpy()
            if rivers is not None and set(rivers[mine].dropna()) != set(rivers[rows].dropna()):
                continue  # a split keeps its river
            if sizes[missing] + sizes[dredge] > had[dredge]:
                continue  # more detections than the dredge had
            first = exported.at[dredge, "first_seen"] if "first_seen" in known else None
            if pd.notna(start) and not _may_be_day(first, start):
                continue  # its start is not the dredge's first detection
            claims[dredge].append(missing)
    split = set()
    for dredge, ids in claims.items():
        # one dredge has one start: of two ids that may hold it, but not both (more
        # detections than it had), the one with all the rest is the split, where one is so
        # (a dredge deleted beside a split was kept as a second split, and counted again)
        exact = [m for m in ids if sizes[m] + sizes[dredge] == had[dredge]]
        over = len(ids) > 1 and sizes[ids].sum() + sizes[dredge] > had[dredge]
        split |= set(exact if over and len(exact) == 1 else ids)
    return whole & ~tracks.isin(split).to_numpy()


def _may_be_day(first: object, start: pd.Timestamp) -> bool:
    """Whether a dredge's ``first_seen`` as the dredges layer keeps it may be the day of
    ``start`` (UTC), give or take one: saved again as a date, as local time without its zone,
    or as text day or month first (compared to the second, a split's start was taken for a
    dredge deleted, and its detections left out). Unreadable: it may."""
    text = str(first).strip() if pd.notna(first) else ""
    days = [
        pd.to_datetime(pd.Series([text]), utc=True, errors="coerce", dayfirst=dayfirst).iloc[0]
        for dayfirst in (False, True)
    ]
    days = [day for day in days if pd.notna(day)]
    near = [abs(day.normalize() - start.normalize()) <= pd.Timedelta(days=1) for day in days]
    return not days or any(near)


def _seconds(values: pd.Series) -> pd.Series:
    """Times as UTC, to the second (a dredge's first_seen is its first detection's time, which
    the exports keep to the second or the millisecond)."""
    return pd.to_datetime(values, utc=True, errors="coerce").dt.floor("s")


def _listed(ids: Sequence[int | str]) -> str:
    return ", ".join(map(str, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _dredges_beside(source: Path, layer: str | None) -> tuple[str, pd.DataFrame] | None:
    """Where the dredges exported with these detections are, and their table (``track_id``,
    and what else it kept): the
    ``dredges`` layer of the same GeoPackage, or ``<stem>.geojson`` beside
    ``<stem>.detections.geojson``; None when there are none."""
    import pyogrio

    if layer is not None and layer.lower() == "detections":
        names = {str(name).lower(): str(name) for name, _ in pyogrio.list_layers(source)}
        if "dredges" not in names:
            return None
        path, dredges_layer, where = source, names["dredges"], f"its '{names['dredges']}' layer"
    elif layer is None and source.name.lower().endswith(".detections.geojson"):
        beside = _dredges_geojson(source)
        if beside is None:
            return None
        path, dredges_layer, where = beside, None, beside.name
    else:
        return None
    dredges = pyogrio.read_dataframe(path, layer=dredges_layer, read_geometry=False)
    return (where, dredges) if "track_id" in dredges else None


DREDGES_GEOJSON_SUFFIXES = (".geojson", ".json")
"""Suffixes ``dredge counts --geojson`` takes (any case) for the dredges' file."""


def _dredges_geojson(source: Path) -> Path | None:
    """The dredges' GeoJSON that ``dredge counts --geojson`` wrote beside ``source``
    (``<stem>.detections.geojson``): ``<stem>.geojson``, else ``<stem>.json`` or either suffix
    in capitals, as ``--geojson`` takes them. Only ``<stem>.geojson`` was looked for: a dredge
    deleted from ``dredges.json`` in QGIS was tracked and counted again without a word."""
    stem = source.name[: -len(".detections.geojson")]
    try:
        names = sorted(entry.name for entry in os.scandir(source.parent) if entry.is_file())
    except OSError:
        return None
    found = [
        name
        for suffix in DREDGES_GEOJSON_SUFFIXES
        for name in names
        if name.startswith(stem) and name[len(stem) :].lower() == suffix
    ]
    return source.with_name(found[0]) if found else None


def google_earth_edits(
    frame: gpd.GeoDataFrame,
    dredges: dict[str, str],
    source: Path,
    seen: dict[str, set[str]] | None = None,
    run_dredges: int = 0,
    exported: pd.Series | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """dredges.kml's detections (``frame``: ``name``, ``class_name``) as corrected in Google
    Earth (see the module notes); ``dredges``: the track id and name of each dredge placemark
    left; ``seen``: the days (``2024-03-05``) each was seen on, as its data gives them;
    ``run_dredges``: how many dredges the file was written with (its Dredges folder's name),
    or the highest track id of its Detections folder where that is higher (a merge by hand);
    ``exported``: each detection's ``track_id`` as its data gave it, before another run's were
    cleared (:func:`detector.kml_runs.other_runs_detections`; else ``frame``'s)."""
    if "class_name" not in frame or "name" not in frame:
        return frame, []
    notes = []
    names = frame["name"].astype("string").fillna("").str.strip()
    tracks = names.str.extract(f"^{_DREDGE_OF_DETECTION}(?!\\d)", expand=False)
    if exported is None:
        exported = frame["track_id"] if "track_id" in frame else pd.Series(None, frame.index)
    exported = exported.map(lambda v: id_text(v) if pd.notna(v) else None)
    frame, foreign = _not_of_their_dredge(frame, names, seen or {}, source)
    frame, merged, tracks = _renamed_to_another_dredge(frame, names, tracks, dredges, source)
    # linked anew (another run's, or not seen on its dredge's dates: its track_id cleared, and
    # a note says so) and renamed to a number no dredge has: of its dredge as exported, as a
    # rename to no dredge is, not left out as 'no such dredge' after the note said 'linked anew';
    # another run's of a dredge whose placemark was deleted is of none, not left out with it
    cleared = frame["track_id"].isna() if "track_id" in frame else exported.isna()
    nowhere = exported.notna() & cleared & tracks.notna() & ~tracks.isin(list(dredges))
    tracks = tracks.where(~nowhere.to_numpy(bool), exported.where(exported.isin(list(dredges))))
    notes += foreign + merged
    renamed = {
        track: kind
        for track, name in dredges.items()
        if not _EXPORTED_DREDGE.fullmatch(name) and (kind := class_named(_added(name))) is not None
    }
    edited = ~names.str.fullmatch(EXPORTED_DETECTION)  # renamed, or added by hand
    own = names.map(lambda name: class_named(_added(name))).where(edited)  # then its dredge's
    new = own.where(own.notna(), tracks.map(renamed))
    old = frame["class_name"].astype("string")
    changed = (new.notna() & (new != old).fillna(True)).to_numpy()
    if changed.any():
        frame = frame.copy()
        frame.loc[changed, "class_name"] = new[changed].to_numpy()
        pairs = dict(zip(names[changed], new[changed], strict=True))
        shown = ", ".join(f"{name!r} as {kind}" for name, kind in list(pairs.items())[:3])
        more = f" and {len(pairs) - 3} more" if len(pairs) > 3 else ""
        listed = ", ".join(sorted(renamed, key=int))
        dredge = (
            f"; {agree(len(renamed), 'dredge', 'dredges')} renamed: {listed}" if renamed else ""
        )
        count = int(changed.sum())
        notes.append(
            f"{source}: {count_of(count, 'detection')} renamed (or added) in Google Earth, or "
            f"of a dredge renamed there, read by the name's class, not the class_name in "
            f"{agree(count, 'its', 'their')} data ({shown}{more}{dredge})"
        )
    if dredges:
        frame, gone_notes = _of_no_dredge_left(frame, tracks, dredges, source, run_dredges)
        notes += gone_notes
    return frame, notes


def _of_no_dredge_left(
    frame: gpd.GeoDataFrame,
    tracks: pd.Series,
    dredges: dict[str, str],
    source: Path,
    run_dredges: int,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``frame`` without the detections named after a dredge with no placemark left, and a
    note each: the dredge's placemark deleted, or — numbered above every dredge of the run
    (its Dredges folder's count, its placemarks') — no such dredge in this run (placemarks
    pasted from another run's dredges.kml: they were said to be of a deleted placemark)."""
    gone = (tracks.notna() & ~tracks.isin(list(dredges))).to_numpy()
    if not gone.any():
        return frame, []
    highest = max([run_dredges, *(int(t) for t in dredges if t.isdigit())])
    foreign = gone & (pd.to_numeric(tracks, errors="coerce").to_numpy(float) > highest)
    deleted = gone & ~foreign
    notes = []
    if deleted.any():
        ids = sorted(set(tracks[deleted]), key=int)
        whose = agree(len(ids), "whose placemark was", "whose placemarks were")
        notes.append(
            f"{source}: {count_of(int(deleted.sum()), 'detection')} of "
            f"{count_of(len(ids), 'dredge')} {whose} deleted (dredge {_listed(ids)}) left out "
            "— to keep a dredge, keep its placemark in the Dredges folder"
        )
    if foreign.any():
        ids = sorted(set(tracks[foreign]), key=int)
        notes.append(
            f"{source}: {count_of(int(foreign.sum()), 'detection')} of dredge {_listed(ids)} left "
            f"out: no such dredge is in this run (its dredges are numbered up to {highest}) — "
            "pasted from another run's dredges.kml? To track two runs' detections together, "
            "give both runs' detections files"
        )
    return frame[~gone].reset_index(drop=True), notes


def _not_of_their_dredge(
    frame: gpd.GeoDataFrame, names: pd.Series, seen: dict[str, set[str]], source: Path
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``frame`` without the ``track_id`` and ``link`` of detections whose dredge (by their
    data's track_id) was not seen on their day, and a note: placemarks pasted from another
    run's dredges.kml carry that run's track ids, and one pasted with its start (linked
    ``new``) made a dredge of this run start twice, read as a merge by hand (another run's
    dredge joined this one's without a word of where it came from)."""
    if not seen or "track_id" not in frame or "acquired" not in frame:
        return frame, []
    track = frame["track_id"].map(lambda v: id_text(v) if pd.notna(v) else None)
    days = pd.to_datetime(frame["acquired"], utc=True, errors="coerce").dt.strftime("%Y-%m-%d")
    known = track.isin(list(seen)) & days.notna()
    foreign = np.array(
        [bool(k) and day not in seen[str(t)] for k, t, day in zip(known, track, days, strict=True)]
    )
    # of a dredge whose placemarks give other dates (no days): named by the caller
    doubled = track.isin([t for t, seen_on in seen.items() if not seen_on]).to_numpy(bool)
    if not (foreign | doubled).any():
        return frame, []
    frame = frame.copy()
    frame["track_id"] = frame["track_id"].astype(object).where(~(foreign | doubled), None)
    if "link" in frame:
        frame["link"] = frame["link"].astype(object).where(~(foreign | doubled), None)
    foreign = foreign & ~doubled
    if not foreign.any():
        return frame, []
    listed = list(zip(names[foreign], track[foreign], days[foreign], strict=True))
    shown = "; ".join(f"{name!r}: dredge {t} was not seen on {day}" for name, t, day in listed[:3])
    count = int(foreign.sum())
    more = f" and {count - 3} more" if count > 3 else ""
    anew = agree(count, "it is linked anew as a detection", "they are linked anew as detections")
    return frame, [
        f"{source}: {count_of(count, 'detection placemark')} not seen on "
        f"{agree(count, 'its', 'their')} dredge's dates ({shown}{more}) — pasted from another "
        f"run's dredges.kml, or copied? {agree(count, 'Its', 'Their')} track_id and link are "
        f"not read (not a merge by hand): {anew}; delete "
        f"{agree(count, 'it if it is', 'them if they are')} another run's (to track two runs' "
        "detections together, give both runs' detections files)"
    ]


def _renamed_to_another_dredge(
    frame: gpd.GeoDataFrame,
    names: pd.Series,
    tracks: pd.Series,
    dredges: dict[str, str],
    source: Path,
) -> tuple[gpd.GeoDataFrame, list[str], pd.Series]:
    """``frame`` with the ``track_id`` of detections renamed in Google Earth to another dredge
    (``2024-03-05 dredge 14`` for a detection of dredge 15), or of a dredge so renamed
    (``Dredge 15 (Nanay)`` to ``Dredge 14 (Nanay)``), made that dredge's, and a note: the
    merge by hand that Google Earth can make, which edits names, not data (the renamed
    dredges were both counted without a word). :mod:`detector.track_merges` reads it.

    A rename to a dredge the file has no placemark of (a typo, ``… dredge 99``) merges
    nothing: those detections stay their dredge's, with a note (they were called a merge,
    and a detection so renamed was left out as of a dredge whose placemark was deleted).
    Returned too: ``tracks`` (each detection's dredge by its name) with such a detection's
    dredge as exported."""
    if "track_id" not in frame:
        return frame, [], tracks
    data = frame["track_id"].map(lambda v: id_text(v) if pd.notna(v) else None)
    into = {
        track: number
        for track, name in dredges.items()
        if (found := re.match(r"Dredge (\d+) \(", name)) and (number := found.group(1)) != track
    }
    target = tracks.where(tracks.notna() & (tracks != data), tracks.map(into))
    moved = (target.notna() & data.notna() & (target != data)).fillna(False).to_numpy(bool)
    nowhere = moved & ~target.isin(list(dredges)).to_numpy(bool) & bool(dredges)
    moved = moved & ~nowhere
    notes = []
    if nowhere.any():  # no dredge of that number left: its own, as exported
        # the placemark renamed: the detection's, else its dredge's ('Dredge 99 (Nanay)')
        renamed = names.where(tracks != data, data.map(dredges))
        rows = zip(renamed[nowhere], data[nowhere], target[nowhere], strict=True)
        listed = list(dict.fromkeys(rows))
        shown = ", ".join(f"{n!r} of dredge {old} (no dredge {to})" for n, old, to in listed[:3])
        tracks = tracks.where(~nowhere, data)
        more = f" and {len(listed) - 3} more" if len(listed) > 3 else ""
        count = len(listed)
        notes.append(
            f"{source}: {count_of(count, 'placemark')} renamed in Google Earth to a dredge not "
            f"in this file ({shown}{more}): no merge — read as of {agree(count, 'its', 'their')} "
            f"dredge as exported; to merge, rename {agree(count, 'it', 'them')} to the number "
            "of a dredge placemark of the file"
        )
    if not moved.any():
        return frame, notes, tracks
    frame = frame.copy()
    frame["track_id"] = frame["track_id"].astype(object).where(~moved, target)
    pairs = list(zip(names[moved], data[moved], strict=True))
    shown = ", ".join(f"{name!r} of dredge {old}" for name, old in pairs[:3])
    more = f" and {len(pairs) - 3} more" if len(pairs) > 3 else ""
    notes.append(
        f"{source}: {count_of(int(moved.sum()), 'detection placemark')} renamed in Google Earth "
        f"to another dredge, or of a dredge so renamed ({shown}{more}): given its track_id, a "
        "merge by hand as in dredges.gpkg (a dredge whose detections are all renamed is merged "
        "into the other; a part of one is linked anew)"
    )
    return frame, notes, tracks


def _added(name: str) -> str:
    """The words added after a name as exported (``2024-03-05 dredge 20 bote``: ``bote``),
    else the name: read whole, the exported words came first and named the class (an
    analyst's ``bote`` was read as ``dredge``)."""
    start = _EXPORTED_START.match(name)
    return name[start.end() :] if start is not None and start.end() < len(name) else name


def id_text(value: object) -> str:
    """A track id read from KML data as text: 20, '20' and 20.0 as '20'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
