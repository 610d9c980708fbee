"""Metres on a river: the UTM zone each river is worked in, and points measured against its
reference line (distance to it, distance along it, signed offset across it), for
:meth:`detector.rivers.RiverNetwork.candidates`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely import LineString

if TYPE_CHECKING:
    from detector.rivers import River

TANGENT_STEP_M = 1.0
END_DIRECTION_M = 50.0
"""Beyond an end, the line goes on in the direction of its last (first) this many metres: the
last metre alone pointed where a last vertex clicked half a metre aside (a snap to the bank)
pointed, 59° off the river, and a dredge 150 m on, on the river's axis, was 123 m past the end
and 86 m across it."""


def utm_zone_of(west: float, south: float, east: float, north: float) -> CRS | None:
    """The WGS 84 UTM zone holding the centre of a lon/lat box (as geopandas'
    ``estimate_utm_crs``, which queries the PROJ database: about 0.1 s a river, 8 minutes for a
    national hydrography of 5,000 named rivers), or None off the Earth."""
    lon, lat = (west + east) / 2, (south + north) / 2
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -80 <= lat <= 84):
        return None
    zone = min(int((lon + 180) // 6) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def bounds_in(
    item: River, pad_m: float, transformer: Transformer | None
) -> tuple[float, float, float, float]:
    """The bounding box of the river's pieces grown by ``pad_m``, through ``transformer``
    (from the river's CRS; None: the same CRS)."""
    x0, y0, x1, y1 = item.pieces.bounds
    box = (x0 - pad_m, y0 - pad_m, x1 + pad_m, y1 + pad_m)
    if transformer is None:
        return box
    return transformer.transform_bounds(*box, densify_pts=21)


class Transformers:
    """One transformer from each river CRS to ``target``: a national hydrography holds
    thousands of rivers in a few UTM zones, and building (and comparing) CRSs river by river
    took most of the time."""

    def __init__(self, target: Any) -> None:
        self.target = CRS.from_user_input(target)
        self._made: dict[str, Transformer | None] = {}

    def __call__(self, source: CRS) -> Transformer | None:
        key = source.srs
        if key not in self._made:
            same = source == self.target
            self._made[key] = (
                None if same else Transformer.from_crs(source, self.target, always_xy=True)
            )
        return self._made[key]


def measure(
    line: LineString, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(distance to the line, distance along it from its start, signed offset) per point;
    beyond an end, along and offset are measured on the end's straight extension."""
    points = shapely.points(x, y)
    along = shapely.line_locate_point(line, points)
    nearest = shapely.line_interpolate_point(line, along)
    distance = shapely.distance(points, line)
    ahead = shapely.line_interpolate_point(line, np.minimum(along + TANGENT_STEP_M, line.length))
    behind = shapely.line_interpolate_point(line, np.maximum(along - TANGENT_STEP_M, 0.0))
    tx = shapely.get_x(ahead) - shapely.get_x(behind)
    ty = shapely.get_y(ahead) - shapely.get_y(behind)
    px = x - shapely.get_x(nearest)
    py = y - shapely.get_y(nearest)
    side = np.sign(tx * py - ty * px)  # > 0: left of the direction of flow
    side[side == 0] = 1.0
    along = np.asarray(along, dtype=float)
    offset = np.asarray(distance * side, dtype=float)
    _beyond_ends(line, along, offset, (px, py), (tx, ty))
    return np.asarray(distance, dtype=float), along, offset


def _beyond_ends(
    line: LineString,
    along: NDArray[np.float64],
    offset: NDArray[np.float64],
    away: tuple[NDArray[np.float64], NDArray[np.float64]],
    tangent: tuple[NDArray[np.float64], NDArray[np.float64]],
) -> None:
    """``along`` and ``offset`` (in place) of the points beyond an end of ``line`` (``away``:
    from their nearest point, the end; ``tangent``: the line's direction there, replaced at the
    ends by that of the line's last :data:`END_DIRECTION_M`) measured on the end's straight
    extension: along it, past the end, and across it. Held at the end, the
    round cap of the corridor beyond it folded onto one line of positions (the end's chainage,
    offset the distance to the end): two dredges the same distance from the end were at one
    position, and one moving away from the end did not move along the river. A closed line
    has no ends."""
    if line.is_closed:
        return
    px, py = away
    tx, ty = np.array(tangent[0], dtype=float), np.array(tangent[1], dtype=float)
    reach = min(END_DIRECTION_M, line.length)
    for at, (a, b) in (
        (along <= 0, (0.0, reach)),
        (along >= line.length, (line.length - reach, line.length)),
    ):
        first, last = line.interpolate(a), line.interpolate(b)
        tx[at], ty[at] = last.x - first.x, last.y - first.y  # the end's direction
    norm = np.hypot(tx, ty)
    with np.errstate(invalid="ignore", divide="ignore"):
        ahead = (px * tx + py * ty) / norm  # > 0: on, in the direction of flow
        across = (tx * py - ty * px) / norm  # > 0: left of it
    past = ((along <= 0) & (ahead < 0)) | ((along >= line.length) & (ahead > 0))
    past &= norm > 0
    along[past] += ahead[past]
    offset[past] = across[past]
