"""Edits that analysts make to the exports of ``dredge counts`` in QGIS, read back.

``dredges.gpkg`` (layers ``dredges`` and ``detections``) and ``dredges.geojson`` beside
``dredges.detections.geojson`` show one point per dredge, where a false dredge is deleted; the
detections, which ``dredge track`` reads, keep its rows. A detection whose ``track_id`` is no
longer among the dredges is of a dredge deleted, and is left out with a note.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd


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
    gone = (tracks.notna() & ~tracks.isin(kept)).to_numpy()
    if not kept or not gone.any():
        return frame, []
    ids = sorted({int(v) for v in tracks[gone]})
    listed = ", ".join(map(str, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return frame[~gone].reset_index(drop=True), [
        f"{source}: {int(gone.sum())} detection(s) of {len(ids)} dredge(s) deleted from "
        f"{where} (track_id {listed}) left out — to keep a dredge, keep its row there"
    ]


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
