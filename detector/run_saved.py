"""A scene's saved detections under ``OUT/scenes/``: the file's name, and reading it back.

Split from :mod:`detector.run_state` (whose names these are imported from too), which writes
them (:meth:`detector.run_state.RunState.record`) and keeps the list of finished scenes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import shapely

SAVED_NAME_BYTES = 200  # its temporary name while written adds about 30 bytes (of 255)


def saved_name(name: str) -> str:
    """The file of a scene's detections under ``OUT/scenes/``: its name, or for a name too long
    for the file system once the temporary suffix is added (a 232-character scene name stopped
    the run with 'File name too long' and a fix that could not work), its start and a hash."""
    file = f"{name}.parquet"
    if len(file.encode()) <= SAVED_NAME_BYTES:
        return file
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    start = name.encode()[: SAVED_NAME_BYTES - 40].decode(errors="ignore")
    return f"{start}…{digest}.parquet"


WGS84_ID = {"authority": "EPSG", "code": 4326}


def read_saved(path: Path) -> pd.DataFrame:
    """A scene's saved detections, their geometries decoded from the GeoParquet's WKB (the
    file as :meth:`detector.run_state.RunState.record` saves it: EPSG:4326); one written
    otherwise is read by geopandas, in EPSG:4326. ``gpd.read_parquet`` took 26 ms a file,
    mostly parsing the same CRS again (0.9 ms now): 10 minutes at the end of each run, and each
    rerun, of 24,000 scenes."""
    table = pq.read_table(path)
    geo = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
    column = geo.get("columns", {}).get("geometry", {})
    crs = column.get("crs")  # PROJJSON; null (no CRS) or WKT (GeoParquet 0.1) in others
    if column.get("encoding") != "WKB" or not isinstance(crs, dict) or crs.get("id") != WGS84_ID:
        frame = gpd.read_parquet(path)  # no CRS: taken as EPSG:4326, as it was before
        return frame.set_crs("EPSG:4326") if frame.crs is None else frame.to_crs("EPSG:4326")
    frame = table.to_pandas()
    frame["geometry"] = shapely.from_wkb(frame["geometry"].to_numpy())
    return frame
