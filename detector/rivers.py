"""River centerlines: corridors to tile, and linear referencing (river, chainage, offset).

Centerlines are digitised in flow direction (upstream → downstream, as in HydroRIVERS) and may
come as several pieces per river; the pieces of a name are merged into one reference line.
Each river is worked on in its own UTM zone (the zone of its middle), so distances are metres
whatever the input CRS: metres of that zone, within 0.1 % of the ground in the zone (0.4 % near
the far end of a river 1,000 km long east–west, across three zones).

- ``chainage_m``: distance along the river from its downstream end (the mouth does not move
  when an analyst extends a river upstream); in the corridor's round caps beyond the line's
  ends, it goes on along the end's direction (below 0 past the downstream end).
- ``offset_m``: signed distance from the centerline; positive on the left bank looking
  downstream.

Reading and checking the file is :mod:`detector.river_files`, joining a river's pieces into its
reference line :mod:`detector.river_lines`, and measuring points on it
:mod:`detector.river_measure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely import LineString, MultiLineString

from detector.errors import InputError, UsageError
from detector.river_files import (
    check_not_swapped,
    checked_lines,
    name_column,
    read_vector,
    rivers_apart,
)
from detector.river_lines import bridges, merged_pieces, reference_line, without_copies
from detector.river_measure import Transformers, bounds_in, measure, utm_zone_of

DEFAULT_CORRIDOR_M = 250.0
"""Half-width of the corridor: a 250 m wide river whose centerline is 50 m off-centre needs
175 m; the rest leaves room for dredges moored at the bank and for digitising error."""
WGS84_CRS = "EPSG:4326"
BOUNDS_MARGIN_M = 1000.0  # slack for the search box of locate (centroids in another CRS)
LOCATE_COLUMNS = ("river", "chainage_m", "offset_m")


@dataclass(frozen=True)
class River:
    """One river in its metric CRS: all its pieces, and the ordered reference line."""

    name: str
    crs: CRS  # the river's UTM zone
    pieces: MultiLineString  # every piece as given (side channels included)
    line: LineString  # reference line, upstream → downstream

    @property
    def length_m(self) -> float:
        """Length of the reference line in metres."""
        return float(self.line.length)


def check_corridor(corridor_m: float) -> None:
    """ValueError unless ``corridor_m`` is a positive, finite number of metres (``inf`` was a
    shapely traceback at the first scene, or every detection 'on no river')."""
    if not 0 < corridor_m < math.inf:
        raise UsageError(f"corridor_m must be a positive number of metres, got {corridor_m}")


class RiverNetwork:
    """A set of named rivers read from a vector file."""

    def __init__(
        self, rivers: Sequence[River], *, corridor_m: float = DEFAULT_CORRIDOR_M, source: str = ""
    ) -> None:
        check_corridor(corridor_m)
        self.rivers = {river.name: river for river in rivers}
        self.corridor_m = float(corridor_m)
        self.source = source
        self.notes: list[str] = []  # what reading the file changed, for the user
        self._corridors: dict[str, gpd.GeoDataFrame] = {}

    # --- reading -----------------------------------------------------------------------------

    @classmethod
    def read(
        cls,
        path: str | Path,
        *,
        name_field: str = "name",
        corridor_m: float = DEFAULT_CORRIDOR_M,
    ) -> RiverNetwork:
        """Read centerlines from GeoJSON, GeoPackage, Shapefile, GeoParquet or KML (any CRS)."""
        frame = read_vector(path)
        return cls.from_frame(frame, name_field=name_field, corridor_m=corridor_m, source=str(path))

    @classmethod
    def from_frame(
        cls,
        frame: gpd.GeoDataFrame,
        *,
        name_field: str = "name",
        corridor_m: float = DEFAULT_CORRIDOR_M,
        source: str = "<GeoDataFrame>",
    ) -> RiverNetwork:
        """Build the network from a GeoDataFrame of centerlines with a name column."""
        check_corridor(corridor_m)
        column = name_column(frame, name_field, source)
        lines = checked_lines(frame, column, source)
        with np.errstate(invalid="ignore"):  # once for all rivers: a national file has 10⁴
            lonlat = lines.geometry.to_crs(WGS84_CRS)
        lines[column], notes = rivers_apart(lines[column], lonlat)
        bounds = lonlat.bounds
        groups = bounds.groupby(lines[column].to_numpy(), sort=True)
        extent = groups.agg({"minx": "min", "miny": "min", "maxx": "max", "maxy": "max"})
        zones: dict[str, CRS] = {}
        for name, box in extent.iterrows():
            zone = utm_zone_of(box["minx"], box["miny"], box["maxx"], box["maxy"])
            if zone is None:
                raise InputError(
                    source,
                    f"river {name!r} does not lie on Earth in the file's CRS ({lines.crs})",
                    "check the file's CRS; reproject it or set the right one",
                )
            zones[str(name)] = zone
            check_not_swapped(str(name), box, source)
        names = lines[column].astype(str).to_numpy()
        zone_of_row = np.array([zones[name].srs for name in names], dtype=object)
        projected = lines.geometry.copy()
        for zone in {z.srs: z for z in zones.values()}.values():  # reprojected zone by zone
            rows = np.flatnonzero(zone_of_row == zone.srs)
            projected.iloc[rows] = lines.geometry.iloc[rows].to_crs(zone).to_numpy()
        rows_of = pd.Series(np.arange(len(names))).groupby(names, sort=True).indices
        rivers = [
            _build_river(name, zones[name], projected.iloc[rows_of[name]], corridor_m, source)
            for name in zones
        ]
        network = cls(rivers, corridor_m=corridor_m, source=source)
        network.notes = [f"{source}: {note}" for note in notes]
        return network

    # --- queries -----------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """River names, sorted."""
        return sorted(self.rivers)

    def length_m(self, name: str) -> float:
        """Length of a river's reference line in metres."""
        return self.rivers[name].length_m

    def corridor(self, crs: Any, *, ends: bool = True) -> gpd.GeoDataFrame:
        """Corridor polygons (every piece buffered by ``corridor_m``, and the reference line
        where it bridges a gap between pieces) in ``crs``.

        Columns ``river`` and ``geometry``, one row per river. ``ends`` False: without the
        round caps beyond the ends of the pieces (and of the reference line, which bridges
        gaps), as for what a scene saw of a river: a tributary's cap reaches 250 m into the
        river it joins, and a scene of that river alone counted as a look at the tributary.
        """
        key = CRS.from_user_input(crs).to_wkt() + ("" if ends else " flat")
        if key not in self._corridors:
            names = list(self.rivers)
            geometries: list[Any] = [None] * len(names)
            zones: dict[str, list[int]] = {}  # reprojected zone by zone, not river by river
            for index, river in enumerate(self.rivers.values()):
                zones.setdefault(river.crs.srs, []).append(index)
            for members in zones.values():
                zone = self.rivers[names[members[0]]].crs
                buffers = [self._buffer(self.rivers[names[i]], ends) for i in members]
                moved = gpd.GeoSeries(buffers, crs=zone).to_crs(crs)
                for i, geometry in zip(members, moved, strict=True):
                    geometries[i] = geometry
            self._corridors[key] = gpd.GeoDataFrame({"river": names}, geometry=geometries, crs=crs)
        return self._corridors[key].copy()

    def _buffer(self, river: River, ends: bool) -> Any:
        if ends:  # the pieces, and the reference line's joins across gaps between them
            gaps = bridges(river.line, list(river.pieces.geoms))
            drawn = river.pieces.buffer(self.corridor_m)
            if not gaps:
                return drawn
            return shapely.union(drawn, MultiLineString(gaps).buffer(self.corridor_m))
        parts = (river.pieces, river.line)
        return shapely.union_all([g.buffer(self.corridor_m, cap_style="flat") for g in parts])

    def locate(
        self,
        points: gpd.GeoSeries | gpd.GeoDataFrame,
        *,
        max_offset_m: float | None = None,
    ) -> pd.DataFrame:
        """River, chainage and signed offset of each point (same index as ``points``).

        A point belongs to the nearest river with a piece (its main channel, or a side channel
        drawn beside it) at most ``max_offset_m`` away (default: the corridor half-width);
        elsewhere ``river`` is None and the numbers NaN. Chainage and offset are measured on
        the reference line (its main channel, see :func:`detector.river_lines.reference_line`).
        Polygons count by their centroid.
        """
        geometry = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
        found = self.candidates(geometry, max_offset_m=max_offset_m)
        # the nearest of each point's rivers; on a tie, the first river in the network's order
        nearest = found.sort_values(["point", "distance_m"], kind="stable")
        nearest = nearest.drop_duplicates("point")
        river = np.full(len(geometry), None, dtype=object)
        chainage = np.full(len(geometry), np.nan)
        offset = np.full(len(geometry), np.nan)
        at = nearest["point"].to_numpy()
        river[at] = nearest["river"].to_numpy()
        chainage[at] = nearest["chainage_m"].to_numpy()
        offset[at] = nearest["offset_m"].to_numpy()
        return pd.DataFrame(
            {
                "river": pd.Series(river, index=geometry.index, dtype=object),
                "chainage_m": chainage,
                "offset_m": offset,
            },
            index=geometry.index,
        )

    def candidates(
        self, points: gpd.GeoSeries, *, max_offset_m: float | None = None
    ) -> pd.DataFrame:
        """Every river with a piece at most ``max_offset_m`` (default: the corridor
        half-width) from each point, one row each: ``point`` (its position in ``points``),
        ``river``, ``distance_m``, ``chainage_m`` and ``offset_m`` (see :meth:`locate`), in
        the network's order of rivers. A point near no river has no row."""
        if points.crs is None:
            raise ValueError("points have no CRS; set one with .set_crs(...)")
        gate = self.corridor_m if max_offset_m is None else float(max_offset_m)
        centres = shapely.centroid(np.asarray(points.array, dtype=object))
        cx, cy = shapely.get_x(centres), shapely.get_y(centres)
        transformers = Transformers(points.crs)
        parts = []
        for item in self.rivers.values():
            # Only points near the river's bounding box can be within the gate of a piece:
            # the others are neither reprojected nor measured along it (the costly parts).
            x0, y0, x1, y1 = bounds_in(item, gate + BOUNDS_MARGIN_M, transformers(item.crs))
            near = np.flatnonzero((cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1))
            if not len(near):
                continue
            xy = points.iloc[near].to_crs(item.crs).centroid
            distance, along, signed = measure(item.line, xy.x.to_numpy(), xy.y.to_numpy())
            # by any piece drawn, an island's other arm too: they were "farther than 250 m
            # from every centerline" where the arm bulges away from the main channel
            drawn = shapely.distance(np.asarray(xy.array, dtype=object), item.pieces)
            distance = np.minimum(distance, drawn)
            within = distance <= gate
            parts.append(
                pd.DataFrame(
                    {
                        "point": near[within],
                        "river": item.name,
                        "distance_m": distance[within],
                        "chainage_m": item.length_m - along[within],
                        "offset_m": signed[within],
                    }
                )
            )
        columns = ["point", "river", "distance_m", "chainage_m", "offset_m"]
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in columns}).astype(
                {"point": np.int64, "river": object}
            )
        return pd.concat(parts, ignore_index=True)

    def __repr__(self) -> str:
        return f"RiverNetwork({', '.join(self.names)}; corridor ±{self.corridor_m:g} m)"


def _build_river(
    name: str, utm: CRS, projected: gpd.GeoSeries, corridor_m: float, source: str
) -> River:
    """One river from its pieces in its UTM zone: merged, and ordered downstream. Heights are
    dropped (positions along a river are measured in the plane): pieces with and without them
    (a layer merged from two sources, one with elevations) stopped the reading on numpy's
    'inhomogeneous shape'."""
    pieces = [
        LineString(part.coords)
        for geom in projected
        for part in shapely.get_parts(shapely.force_2d(geom))
        if len(part.coords) >= 2
    ]
    parts = merged_pieces(without_copies(pieces))
    if not parts:
        raise InputError(
            source,
            f"river {name!r} has no line of any length (its pieces are single points)",
            "redraw it, or drop its features",
        )
    return River(name, utm, MultiLineString(parts), reference_line(parts, corridor_m))
