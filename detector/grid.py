"""Pixel grids in a scene's CRS, and the ground size of a CRS's units.

A :class:`Grid` is a scene brought to one GSD: its CRS, a north-up transform and a size in
pixels. :func:`crs_units_per_metre` tells how many CRS units make a ground metre at a point
(UTM, Web Mercator, degrees), and :func:`snap_pixel_size` keeps a scene at its own pixel size
when that is within :data:`detector.inputspec.GSD_SNAP_TOLERANCE` of the target.
"""

from __future__ import annotations

from dataclasses import dataclass

from affine import Affine
from pyproj import CRS as ProjCRS
from pyproj import Geod, Proj, Transformer
from rasterio.crs import CRS
from rasterio.windows import Window
from shapely import Polygon, box

from detector.inputspec import GSD_SNAP_TOLERANCE


@dataclass(frozen=True)
class Grid:
    """A north-up pixel grid in a scene's CRS (the scene brought to one GSD)."""

    crs: CRS
    transform: Affine
    width: int
    height: int

    def window_transform(self, window: Window) -> Affine:
        """Affine transform of a window of this grid (pixel → map coordinates)."""
        return self.transform @ Affine.translation(window.col_off, window.row_off)

    def window_footprint(self, window: Window) -> Polygon:
        """The window's outline in map coordinates."""
        x0, y0 = self.window_transform(window) @ (0, 0)
        x1, y1 = self.window_transform(window) @ (window.width, window.height)
        return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    @property
    def pixels(self) -> int:
        """Number of pixels in the grid."""
        return self.width * self.height


def crs_units_per_metre(crs: CRS, x: float, y: float) -> tuple[float, float]:
    """CRS units per ground metre along x and y at map point (x, y).

    1 for UTM (to 0.04 %), 1 / cos(latitude) for Web Mercator, about 1 / 111,000 for degrees.
    """
    proj_crs = ProjCRS.from_user_input(crs.to_wkt())
    to_lonlat = Transformer.from_crs(proj_crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(x, y)
    if proj_crs.is_geographic:
        geod = Geod(ellps="WGS84")
        step = 1e-4
        _, _, east = geod.inv(lon, lat, lon + step, lat)
        _, _, north = geod.inv(lon, lat, lon, lat + step)
        return step / east, step / north
    metres_per_unit = proj_crs.axis_info[0].unit_conversion_factor
    factors = Proj(proj_crs).get_factors(lon, lat)
    return (
        factors.parallel_scale / metres_per_unit,
        factors.meridional_scale / metres_per_unit,
    )


def snap_pixel_size(target: float, native: float) -> float:
    """The native pixel size when close to the target, else the target to 4 significant digits.

    Rounding keeps UTM grids at round sizes (3.000 m, not 3.00012 m from the scale factor).
    """
    if abs(target / native - 1) < GSD_SNAP_TOLERANCE:
        return native
    return float(f"{target:.4g}")
