"""Checks a scene file must pass before it is read, each failure one line with its fix.

A local GeoTIFF whose image blocks reach past the end of the file is truncated
(:func:`check_complete`); a scene must have a CRS and a geotransform, not be in its sensor's
geometry (RPCs or GCPs: Planet basic, Maxar level 1B), and not have a CRS in degrees over
coordinates that are not, or the reverse (:func:`check_georeferenced`).
"""

from __future__ import annotations

import math
from pathlib import Path

import rasterio
from affine import Affine

from detector.errors import InputError


def check_complete(path: str, dataset: rasterio.DatasetReader) -> None:
    """InputError when a local GeoTIFF's image blocks reach past the end of the file."""
    if dataset.driver != "GTiff":
        return
    size = Path(path).stat().st_size
    needed = tiff_data_end(dataset)
    if needed > size:
        raise InputError(
            path,
            f"is truncated ({size:,} bytes; its image data needs {needed:,})",
            "download or export it again (an interrupted transfer leaves files like this)",
        )


def tiff_data_end(dataset: rasterio.DatasetReader) -> int:
    """Byte offset where a GeoTIFF's last image block ends (first and last band checked)."""
    block_rows, block_cols = dataset.block_shapes[0]
    rows = math.ceil(dataset.height / block_rows)
    cols = math.ceil(dataset.width / block_cols)
    end = 0
    for band in sorted({1, dataset.count}):
        for row in range(rows):
            for col in range(cols):
                offset = dataset.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=band)
                length = dataset.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=band)
                if offset and length:
                    end = max(end, int(offset) + int(length))
    return end


DEGREE_LIKE_PIXEL = 1e-3
"""A pixel smaller than this in a projected CRS (a millimetre) is a file in degrees."""

FIX_ORTHO = (
    "order the orthorectified product (Planet's analytic/ortho assets, Maxar's ortho-ready "
    "or ortho imagery)"
)


def check_georeferenced(path: str, dataset: rasterio.DatasetReader) -> None:
    """InputError when the scene has no CRS or geotransform, is in its sensor's geometry, or
    has a CRS in degrees over coordinates that are not, or a CRS in metres over coordinates
    in degrees (pixels under a millimetre)."""
    if dataset.crs is None or dataset.transform == Affine.identity():
        _check_not_sensor_geometry(path, dataset)
    if dataset.crs is None:
        raise InputError(
            path,
            "has no CRS",
            "georeference it, e.g. gdal_edit.py -a_srs EPSG:32718 FILE, or export it as GeoTIFF",
        )
    if dataset.transform == Affine.identity():
        raise InputError(
            path,
            "has no geotransform (pixel coordinates only)",
            "export it georeferenced, e.g. with gdal_translate -a_ullr or from QGIS",
        )
    area = dataset.transform.determinant  # a pixel's area: 0 stopped the grid on a division
    if not math.isfinite(area) or abs(area) < 1e-300:
        raise InputError(
            path,
            "has a geotransform whose pixels have no area "
            f"({', '.join(f'{v:g}' for v in dataset.transform[:6])})",
            "export it georeferenced, e.g. with gdal_translate -a_ullr or from QGIS",
        )
    corners = [dataset.transform @ xy for xy in ((0, 0), (dataset.width, dataset.height))]
    corners += [dataset.transform @ xy for xy in ((0, dataset.height), (dataset.width, 0))]
    left, right = min(x for x, _ in corners), max(x for x, _ in corners)
    bottom, top = min(y for _, y in corners), max(y for _, y in corners)
    if dataset.crs.is_geographic and not (
        -180 <= left <= right <= 360 and -90 <= bottom <= top <= 90
    ):
        raise InputError(
            path,
            f"has a CRS in degrees ({dataset.crs.to_string()}) but coordinates that are not "
            f"(x {left:,.0f} to {right:,.0f}, y {bottom:,.0f} to {top:,.0f})",
            "give it its real CRS, e.g. gdal_edit.py -a_srs EPSG:32718 FILE",
        )
    size = max(math.hypot(dataset.transform.a, dataset.transform.d), abs(dataset.transform.e))
    if (
        not dataset.crs.is_geographic
        and size < DEGREE_LIKE_PIXEL
        and -360 <= left <= right <= 360
        and -90 <= bottom <= top <= 90
    ):  # a lon/lat file given a metre CRS (the fix above, followed for a file in degrees):
        # a scene 2.7e-05 m a pixel "did not overlap any river corridor — widen --corridor-m"
        raise InputError(
            path,
            f"has a projected CRS ({dataset.crs.to_string()}) but coordinates that look like "
            f"degrees (x {left:.4f} to {right:.4f}, y "
            f"{bottom:.4f} to {top:.4f}; pixels of {size:.2g} units)",
            "give it its real CRS, e.g. gdal_edit.py -a_srs EPSG:4326 FILE",
        )


def _check_not_sensor_geometry(path: str, dataset: rasterio.DatasetReader) -> None:
    """InputError for an image still in its sensor's geometry: RPCs or GCPs, no map grid.

    Planet's basic (L1B) assets and Maxar's level-1B images come like this. Giving them a CRS
    would not place them: they need warping onto a map grid first.
    """
    if dataset.rpcs is not None:
        raise InputError(
            path,
            "is not orthorectified (it carries RPCs, its sensor model, but no map grid)",
            "orthorectify it first, e.g. gdalwarp -rpc -t_srs EPSG:32718 FILE OUT.tif (better "
            f"with a DEM: -to RPC_DEM=dem.tif), or {FIX_ORTHO}",
        )
    points, _ = dataset.gcps
    if points:
        raise InputError(
            path,
            f"is not orthorectified (it carries {len(points)} ground control points but no "
            "map grid)",
            f"warp it onto a map grid first, e.g. gdalwarp -tps -t_srs EPSG:32718 FILE OUT.tif, "
            f"or {FIX_ORTHO}",
        )
