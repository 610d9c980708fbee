"""Edits that analysts make to the exports of ``dredge counts`` in QGIS or Google Earth, read
back by ``dredge track``.

``dredges.gpkg`` (layers ``dredges`` and ``detections``), ``dredges.geojson`` beside
``dredges.detections.geojson`` and ``dredges.kml`` show one point per dredge, where a false
dredge is deleted; the detections, which ``dredge track`` reads, keep its rows. A detection of
a dredge no longer among the dredges is left out, with a note. Google Earth edits a placemark's
name, not its data: a detection (``2024-03-05 dredge 20``, of dredge 20) or a dredge
(``Dredge 20 (Nanay)``) renamed to a class (``bote``) or a negation (``falsa draga``) gives the
detections that class over the ``class_name`` in their data. These edits were all ignored
without a word: the dredge counted as before.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from detector.mark_classes import class_named

EXPORTED_DETECTION = r"(\d{4}-\d{2}-\d{2} dredge \d+)?"  # dredges.kml's names ('' off-river)
_DREDGE_OF_DETECTION = r"\d{4}-\d{2}-\d{2} dredge (\d+)"
_EXPORTED_DREDGE = re.compile(r"Dredge \d+ \(.*\)", re.DOTALL)


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
    kept = set(pd.to_numeric(dredges, errors="coerce").dropna().astype(np.int64))
    tracks = pd.to_numeric(frame["track_id"], errors="coerce")
    missing = (tracks.notna() & ~tracks.isin(kept)).to_numpy()
    if not kept or not missing.any():
        return frame, []
    gone = missing & _whole_tracks(frame, tracks, kept)
    notes = []
    if gone.any():
        ids = sorted({int(v) for v in tracks[gone]})
        notes.append(
            f"{source}: {int(gone.sum())} detection(s) of {len(ids)} dredge(s) deleted from "
            f"{where} (track_id {_listed(ids)}) left out — to keep a dredge, keep its row there"
        )
    if (split := missing & ~gone).any():
        ids = sorted({int(v) for v in tracks[split]})
        notes.append(
            f"{source}: {int(split.sum())} detection(s) with a track_id not among {where} "
            f"(track_id {_listed(ids)}) are not a whole dredge as exported (a track split or "
            "edited by hand): kept, and linked again"
        )
    return frame[~gone].reset_index(drop=True), notes


def _whole_tracks(frame: gpd.GeoDataFrame, tracks: pd.Series, kept: set[int]) -> np.ndarray:
    """Rows whose track is one track as ``dredge track`` wrote it: it starts with exactly one
    detection linked ``new``, and no dredge kept has lost its own. A track_id missing from the
    dredges is a deletion only then: detections given a new id (a track split by hand) have no
    ``new`` link of their own, or took it from a dredge that is kept, which then has none. A
    dredge kept that starts twice is two merged by hand (:mod:`detector.track_merges`), which
    takes no start from a missing id: a dredge deleted beside such a merge was kept. Without a
    ``link`` column, every row."""
    if "link" not in frame:
        return np.ones(len(frame), dtype=bool)
    starts = frame["link"].astype("string").eq("new").groupby(tracks).sum()
    present = [t for t in kept if t in starts.index]
    if any(starts[t] == 0 for t in present):
        return np.zeros(len(frame), dtype=bool)
    return tracks.map(starts).eq(1).to_numpy()


def _listed(ids: list[int]) -> str:
    return ", ".join(map(str, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _dredges_beside(source: Path, layer: str | None) -> tuple[str, pd.Series] | None:
    """Where the dredges exported with these detections are, and their ``track_id``: the
    ``dredges`` layer of the same GeoPackage, or ``<stem>.geojson`` beside
    ``<stem>.detections.geojson``; None when there are none."""
    import pyogrio

    if layer is not None and layer.lower() == "detections":
        names = {str(name).lower(): str(name) for name, _ in pyogrio.list_layers(source)}
        if "dredges" not in names:
            return None
        path, dredges_layer, where = source, names["dredges"], f"its '{names['dredges']}' layer"
    elif layer is None and source.name.lower().endswith(".detections.geojson"):
        beside = source.with_name(source.name[: -len(".detections.geojson")] + ".geojson")
        if not beside.is_file():
            return None
        path, dredges_layer, where = beside, None, beside.name
    else:
        return None
    dredges = pyogrio.read_dataframe(path, layer=dredges_layer, read_geometry=False)
    return (where, dredges["track_id"]) if "track_id" in dredges else None


def google_earth_edits(
    frame: gpd.GeoDataFrame, dredges: dict[str, str], source: Path
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """dredges.kml's detections (``frame``: ``name``, ``class_name``) as corrected in Google
    Earth (see the module notes); ``dredges``: the track id and name of each dredge placemark
    left."""
    if "class_name" not in frame or "name" not in frame:
        return frame, []
    notes = []
    names = frame["name"].astype("string").fillna("").str.strip()
    tracks = names.str.extract(f"^{_DREDGE_OF_DETECTION}$", expand=False)
    renamed = {
        track: kind
        for track, name in dredges.items()
        if not _EXPORTED_DREDGE.fullmatch(name) and (kind := class_named(name)) is not None
    }
    edited = ~names.str.fullmatch(EXPORTED_DETECTION)  # renamed, or added by hand
    own = names.map(class_named).where(edited)  # its own name first, then its dredge's
    new = own.where(own.notna(), tracks.map(renamed))
    old = frame["class_name"].astype("string")
    changed = (new.notna() & (new != old).fillna(True)).to_numpy()
    if changed.any():
        frame = frame.copy()
        frame.loc[changed, "class_name"] = new[changed].to_numpy()
        pairs = dict(zip(names[changed], new[changed], strict=True))
        shown = ", ".join(f"{name!r} as {kind}" for name, kind in list(pairs.items())[:3])
        more = f" and {len(pairs) - 3} more" if len(pairs) > 3 else ""
        dredge = f"; dredge(s) renamed: {', '.join(sorted(renamed, key=int))}" if renamed else ""
        notes.append(
            f"{source}: {int(changed.sum())} detection(s) renamed (or added) in Google Earth, or "
            f"of a dredge renamed there, read by the name's class, not the class_name in their "
            f"data ({shown}{more}{dredge})"
        )
    gone = (tracks.notna() & ~tracks.isin(list(dredges))).to_numpy() if dredges else None
    if gone is not None and gone.any():
        ids = sorted(set(tracks[gone]), key=int)
        listed = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        frame = frame[~gone].reset_index(drop=True)
        notes.append(
            f"{source}: {int(gone.sum())} detection(s) of {len(ids)} dredge(s) whose placemark "
            f"was deleted (dredge {listed}) left out — to keep a dredge, keep its placemark in "
            "the Dredges folder"
        )
    return frame, notes


def id_text(value: object) -> str:
    """A track id read from KML data as text: 20, '20' and 20.0 as '20'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
