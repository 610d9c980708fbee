"""Small river worlds for the tracking, counts and export tests: a straight river line and one
with a tight meander, dredge detections placed along them, and what each scene saw."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely import LineString, Point

from detector.rivers import RiverNetwork

CRS = "EPSG:32718"
ORIGIN = Transformer.from_crs("EPSG:4326", CRS, always_xy=True).transform(-73.40, -3.80)
START = pd.Timestamp("2024-01-03 14:30", tz="UTC")
LOOP_START_M = 2000.0  # along the line from its upstream end
LOOP_RADIUS_M = 200.0
LOOP_LENGTH_M = 342 / 360 * 2 * np.pi * LOOP_RADIUS_M  # about 1194 m


def straight_line() -> LineString:
    """West → east line of 6 km (upstream → downstream) through :data:`ORIGIN`, in EPSG:32718."""
    x0, y0 = ORIGIN
    return LineString([(x0 - 3000, y0), (x0 + 3000, y0)])


def meander_line() -> LineString:
    """West → east line (upstream → downstream) with an omega loop whose neck is ~63 m wide.

    2 km straight, then 342° of a 200 m circle (~1.2 km) that comes back to within ~63 m of
    where it began, then 2 km straight again. Map coordinates in EPSG:32718.
    """
    x0, y0 = ORIGIN
    r = LOOP_RADIUS_M
    cx, cy = x0 - r * np.cos(np.radians(261.0)), y0 + 2 - r * np.sin(np.radians(261.0))
    angles = np.radians(np.linspace(261.0, 261.0 - 342.0, 200))
    loop = [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles]
    return LineString([(x0 - 2000, y0 + 2), *loop, (x0 + 2100, y0 + 2)])


def network(line: LineString | None = None, name: str = "Meander") -> RiverNetwork:
    frame = gpd.GeoDataFrame({"name": [name]}, geometry=[line or meander_line()], crs=CRS)
    return RiverNetwork.from_frame(frame)


def point_at(line: LineString, along_m: float, offset_m: float = 0.0) -> Point:
    """The point ``along_m`` from the line's start, ``offset_m`` to the left of the flow."""
    a = line.interpolate(along_m)
    b = line.interpolate(min(along_m + 1.0, line.length))
    tx, ty = b.x - a.x, b.y - a.y
    norm = float(np.hypot(tx, ty))
    return Point(a.x - ty / norm * offset_m, a.y + tx / norm * offset_m)


def scene_name(moment: pd.Timestamp) -> str:
    return f"{moment:%Y%m%d_%H%M%S}_00_2455_3B_AnalyticMS_SR"


def dates(n: int, every_days: float = 7.0) -> list[pd.Timestamp]:
    return [START + pd.Timedelta(days=every_days * k) for k in range(n)]


def detections(
    rows: Sequence[tuple[pd.Timestamp, Point]], net: RiverNetwork | None = None
) -> gpd.GeoDataFrame:
    """Detections (the ``dredge detect`` schema) with 20 × 8 m boxes around map points."""
    boxes = [shapely.box(p.x - 10, p.y - 4, p.x + 10, p.y + 4) for _, p in rows]
    frame = gpd.GeoDataFrame(
        {
            "detection_id": np.arange(1, len(rows) + 1),
            "scene": [scene_name(t) for t, _ in rows],
            "acquired": pd.to_datetime([t for t, _ in rows], utc=True),
            "sensor": "PlanetScope",
            "class_name": "dredge",
            "score": 0.9,
        },
        geometry=boxes,
        crs=CRS,
    ).to_crs("EPSG:4326")
    if net is not None:
        located = net.locate(frame.geometry)
        for column in ("river", "chainage_m", "offset_m"):
            frame[column] = located[column].to_numpy()
    return frame


def observed(
    moments: Sequence[pd.Timestamp],
    *,
    clouds: Mapping[pd.Timestamp, Sequence[Point]] | None = None,
    cloud_radius_m: float = 150.0,
) -> gpd.GeoDataFrame:
    """One scene per moment that saw a 10 km square around the river, minus cloud discs."""
    x0, y0 = ORIGIN
    rows = []
    for moment in moments:
        area = shapely.box(x0 - 5000, y0 - 5000, x0 + 5000, y0 + 5000)
        for centre in (clouds or {}).get(moment, []):
            area = area.difference(centre.buffer(cloud_radius_m))
        rows.append({"scene": scene_name(moment), "acquired": moment, "geometry": area})
    return gpd.GeoDataFrame(rows, crs=CRS).to_crs("EPSG:4326")


def lon_lat_on_the_river() -> tuple[float, float]:
    """Lon/lat (EPSG:4326) of a point on :func:`meander_line`, 500 m along it: where hand
    marks in the track input tests lie."""
    point = gpd.GeoSeries([point_at(meander_line(), 500)], crs=CRS).to_crs("EPSG:4326")
    return float(point.x.iloc[0]), float(point.y.iloc[0])


def points_frame(**columns: object) -> gpd.GeoDataFrame:
    """One point at :func:`lon_lat_on_the_river` (EPSG:4326) with ``columns``."""
    lon, lat = lon_lat_on_the_river()
    return gpd.GeoDataFrame(
        dict(columns), geometry=gpd.points_from_xy([lon], [lat]), crs="EPSG:4326"
    )
