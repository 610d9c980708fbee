"""Tiny synthetic GeoTIFFs and river files for the scene, river and tiling tests.

Scenes are a few hundred pixels, placed on the Nanay river near Iquitos (Peru) in any CRS: a
forest background, a straight diagonal river of dark water, bright one-pixel "dredges" at known
map points, and optionally nodata outside a rotated footprint (as in Planet scenes) and a UDM2
sidecar with a cloud over part of the scene.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from pyproj import Transformer
from rasterio.features import rasterize
from shapely import LineString, Point, Polygon, affinity, box

CENTRE_LONLAT = (-73.30, -3.75)
FOREST = {"uint16": 900, "uint8": 90}
WATER = {"uint16": 300, "uint8": 30}
DREDGE = {"uint16": 9000, "uint8": 250}
NODATA = 0


@dataclass(frozen=True)
class SceneFixture:
    """A written test scene and the truth needed to check results against it."""

    path: Path
    crs: str
    transform: Affine
    width: int
    height: int
    river: LineString  # centerline in the scene's CRS, digitised from top-left to bottom-right
    dredges: list[Point]  # bright pixels' centres, map coordinates in the scene's CRS
    footprint: Polygon  # valid-data area in the scene's CRS


def write_scene(
    path: Path,
    *,
    crs: str = "EPSG:32718",
    gsd_m: float = 3.0,
    width: int = 300,
    height: int = 300,
    bands: int = 4,
    dtype: str = "uint16",
    rotated_footprint: bool = False,
    footprint_scale: float = 0.85,
    dredge_fractions: tuple[float, ...] = (0.2, 0.5, 0.8),
    dredge_offset_px: float = 8.0,
    tags: dict[str, str] | None = None,
    with_crs: bool = True,
    block_px: int = 128,
    tiled: bool = True,
    centre_lonlat: tuple[float, float] = CENTRE_LONLAT,
) -> SceneFixture:
    """Write a scene with a diagonal river and bright one-pixel dredges beside it.

    ``gsd_m`` is the pixel size in CRS units (Web Mercator units for EPSG:3857). Dredges sit at
    ``dredge_fractions`` of the centerline's length, ``dredge_offset_px`` pixels to its right
    (outside the water, so that averaging does not mix them with dark water).
    """
    cx, cy = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(*centre_lonlat)
    left = cx - width * gsd_m / 2
    top = cy + height * gsd_m / 2
    transform = Affine(gsd_m, 0.0, left, 0.0, -gsd_m, top)
    right, bottom = transform @ (width, height)
    river = LineString([(left, top), (right, bottom)])
    full = box(left, bottom, right, top)
    footprint = (
        affinity.rotate(affinity.scale(full, footprint_scale, footprint_scale), 10).intersection(
            full
        )
        if rotated_footprint
        else full
    )
    dredges = [
        _pixel_centre(transform, _beside(river, f, dredge_offset_px * gsd_m), width, height)
        for f in dredge_fractions
    ]
    data = _render(transform, width, height, river, dredges, footprint, bands, dtype, gsd_m)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": bands,
        "dtype": dtype,
        "transform": transform,
        "nodata": NODATA,
        "compress": "deflate",
    }
    if tiled:
        profile |= {"tiled": True, "blockxsize": block_px, "blockysize": block_px}
    if with_crs:
        profile["crs"] = crs
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        if tags:
            dst.update_tags(**tags)
    return SceneFixture(path, crs, transform, width, height, river, dredges, footprint)


def _render(
    transform: Affine,
    width: int,
    height: int,
    river: LineString,
    dredges: list[Point],
    footprint: Polygon,
    bands: int,
    dtype: str,
    gsd_m: float,
) -> NDArray[np.generic]:
    shape = (height, width)
    water = rasterize([(river.buffer(4 * gsd_m), 1)], out_shape=shape, transform=transform)
    inside = rasterize([(footprint, 1)], out_shape=shape, transform=transform)
    image = np.where(water > 0, WATER[dtype], FOREST[dtype]).astype(dtype)
    inverse = ~transform
    for dredge in dredges:
        col, row = (int(v) for v in inverse @ (dredge.x, dredge.y))
        image[row, col] = DREDGE[dtype]
    image[inside == 0] = NODATA
    return np.repeat(image[np.newaxis], bands, axis=0)


def _beside(line: LineString, fraction: float, offset: float) -> Point:
    """The point at ``fraction`` of ``line``, moved ``offset`` to the right of its direction."""
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    length = math.hypot(x1 - x0, y1 - y0)
    on_line = line.interpolate(fraction, normalized=True)
    return Point(on_line.x + offset * (y1 - y0) / length, on_line.y - offset * (x1 - x0) / length)


def _pixel_centre(transform: Affine, point: Point, width: int, height: int) -> Point:
    """Centre of the pixel that contains ``point`` (a point on the far edge: the last pixel)."""
    col, row = ~transform @ (point.x, point.y)
    col, row = min(int(col), width - 1), min(int(row), height - 1)
    return Point(transform @ (col + 0.5, row + 0.5))


def write_udm2(scene: SceneFixture, cloud: Polygon | None = None, name: str = "") -> Path:
    """Write a Planet UDM2 next to ``scene``: band 1 clear, band 6 cloud inside ``cloud``.

    The name defaults to Planet's: ``<id>_3B_udm2.tif`` for ``<id>_3B_AnalyticMS_SR.tif``.
    """
    stem = scene.path.name.split("_AnalyticMS")[0]
    udm_path = scene.path.with_name(name or f"{stem}_udm2.tif")
    shape = (scene.height, scene.width)
    cloudy = (
        rasterize([(cloud, 1)], out_shape=shape, transform=scene.transform)
        if cloud is not None
        else np.zeros(shape, dtype="uint8")
    )
    udm = np.zeros((8, *shape), dtype="uint8")
    udm[0] = cloudy == 0
    udm[5] = cloudy
    return write_beside(scene, udm_path, udm)


def write_beside(scene: SceneFixture, path: Path, bands: np.ndarray) -> Path:
    """Write ``bands`` (bands, rows, columns; uint8) on the scene's grid to ``path``."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=scene.width,
        height=scene.height,
        count=len(bands),
        dtype="uint8",
        crs=scene.crs,
        transform=scene.transform,
    ) as dst:
        dst.write(bands)
    return path


def write_udm(
    scene: SceneFixture, cloud: Polygon | None = None, lost: Polygon | None = None
) -> Path:
    """Write Planet's older UDM next to ``scene`` (``<id>_3B_AnalyticMS_DN_udm.tif``, one band
    of bit flags): bit 1 (cloud) inside ``cloud``, bit 4 (band 3 data lost) inside ``lost``."""
    stem = scene.path.name.split("_AnalyticMS")[0]
    udm_path = scene.path.with_name(f"{stem}_AnalyticMS_DN_udm.tif")
    shape = (scene.height, scene.width)
    flags = np.zeros(shape, dtype="uint8")
    for area, bit in ((cloud, 1), (lost, 4)):
        if area is not None:
            inside = rasterize([(area, 1)], out_shape=shape, transform=scene.transform)
            flags |= (inside.astype("uint8") << bit).astype("uint8")
    return write_beside(scene, udm_path, flags[np.newaxis])


def write_rivers(
    path: Path,
    lines: dict[str, LineString | list[LineString]],
    *,
    crs: str,
    to_crs: str = "EPSG:4326",
    name_field: str = "name",
) -> Path:
    """Write centerlines (given in ``crs``) to a vector file, reprojected to ``to_crs``."""
    names: list[str] = []
    geoms: list[LineString] = []
    for name, value in lines.items():
        for line in value if isinstance(value, list) else [value]:
            names.append(name)
            geoms.append(line)
    frame = gpd.GeoDataFrame({name_field: names}, geometry=geoms, crs=crs).to_crs(to_crs)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".parquet", ".geoparquet"):
        frame.to_parquet(path)
    else:
        frame.to_file(path)
    return path


def write_planet_metadata(scene: SceneFixture, acquired: str, stem: str) -> Path:
    """Write a Planet ``<stem>_metadata.json`` with ``properties.acquired``."""
    meta = scene.path.with_name(f"{stem}_metadata.json")
    meta.write_text(json.dumps({"id": stem, "properties": {"acquired": acquired}}))
    return meta


def truncate(path: Path, keep_fraction: float = 0.5) -> Path:
    """Cut a file short, as an interrupted download does."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_fraction)])
    return path
