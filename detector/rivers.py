"""River centerlines: corridors to tile, and linear referencing (river, chainage, offset).

Centerlines are digitised in flow direction (upstream → downstream, as in HydroRIVERS) and may
come as several pieces per river; the pieces of a name are merged into one reference line.
Each river is worked on in its own UTM zone, so distances are metres whatever the input CRS.

- ``chainage_m``: distance along the river from its downstream end (the mouth does not move
  when an analyst extends a river upstream).
- ``offset_m``: signed distance from the centerline; positive on the left bank looking
  downstream.
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
import shapely.ops
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from shapely import LineString, MultiLineString

from detector.errors import InputError, first_line
from detector.river_inputs import (
    check_names_apart,
    likely_name_column,
    name_text,
    refuse_scenes,
)
from detector.user_tables import plain_name
from detector.vector_files import read_vector_layer

DEFAULT_CORRIDOR_M = 250.0
WGS84_CRS = "EPSG:4326"
APART_DEG = 0.1  # pieces of one name farther apart than this (about 11 km) are other rivers
OVERLAP_M = 50.0  # a piece within this of the line so far traces it again (a reach drawn twice)
JOINT_M = 1.0  # a piece beginning within this of the line's end, or past it, meets it there
BOUNDS_MARGIN_M = 1000.0  # slack for the search box of locate (centroids in another CRS)
"""Half-width of the corridor: a 250 m wide river whose centerline is 50 m off-centre needs
175 m; the rest leaves room for dredges moored at the bank and for digitising error."""

PARQUET_SUFFIXES = (".parquet", ".geoparquet")
KML_SUFFIXES = (".kml", ".kmz")
LINE_TYPES = ("LineString", "MultiLineString")
TANGENT_STEP_M = 1.0
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
        raise ValueError(f"corridor_m must be a positive number of metres, got {corridor_m}")


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
        lines = _checked_lines(frame, column, source)
        with np.errstate(invalid="ignore"):  # once for all rivers: a national file has 10⁴
            lonlat = lines.geometry.to_crs(WGS84_CRS)
        lines[column], notes = _rivers_apart(lines[column], lonlat)
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
            _check_not_swapped(str(name), box, source)
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
        """Corridor polygons (every piece buffered by ``corridor_m``) in ``crs``.

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
        if ends:
            return river.pieces.buffer(self.corridor_m)
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
        the reference line (its main channel, see :func:`reference_line`). Polygons count by
        their centroid.
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
        transformers = _Transformers(points.crs)
        parts = []
        for item in self.rivers.values():
            # Only points near the river's bounding box can be within the gate of a piece:
            # the others are neither reprojected nor measured along it (the costly parts).
            x0, y0, x1, y1 = _bounds_in(item, gate + BOUNDS_MARGIN_M, transformers(item.crs))
            near = np.flatnonzero((cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1))
            if not len(near):
                continue
            xy = points.iloc[near].to_crs(item.crs).centroid
            distance, along, signed = _measure(item.line, xy.x.to_numpy(), xy.y.to_numpy())
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


# --- reading helpers -------------------------------------------------------------------------


def read_vector(path: str | Path) -> gpd.GeoDataFrame:
    """Read a vector file into a GeoDataFrame; InputError with a fix when that fails."""
    source = Path(path)
    if not source.exists():
        raise InputError(path, "file not found", "check the path given to --rivers")
    refuse_scenes(source)
    try:
        if source.suffix.lower() in PARQUET_SUFFIXES:
            frame = gpd.read_parquet(source)
        elif source.suffix.lower() in KML_SUFFIXES:
            frame = _kml_paths(source)
        else:
            frame = read_vector_layer(source, _rivers_layer(source))
    except InputError:
        raise
    except Exception as exc:  # pyogrio, pyarrow and fiona raise many unrelated types
        first = first_line(exc)
        raise InputError(
            path,
            f"cannot be read as centerlines ({first})",
            "give a GeoJSON, GeoPackage, Shapefile, GeoParquet or KML file",
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InputError(path, "has no geometry column", "export the centerlines with geometry")
    return frame


RIVER_LAYERS = ("rivers", "rios", "ríos", "centerlines", "centrelines")


def _rivers_layer(source: Path) -> str | None:
    """The layer of a file with several (a project's GeoPackage): the only layer of lines,
    else the one named as in :data:`RIVER_LAYERS`; None for a file of one layer."""
    import pyogrio

    layers = [(str(name), str(kind)) for name, kind in pyogrio.list_layers(source)]
    if len(layers) <= 1:
        return None
    lines = [name for name, kind in layers if kind.removesuffix(" Z") in LINE_TYPES]
    if len(lines) == 1:
        return lines[0]
    named = [name for name, _ in layers if name.casefold() in RIVER_LAYERS]
    if len(named) == 1:
        return named[0]
    raise InputError(
        source,
        f"has {len(layers)} layers ({', '.join(name for name, _ in layers)}) and no one layer "
        "of centerlines",
        "name the centerlines' layer 'rivers', or save them alone in a file",
    )


def _kml_paths(source: Path) -> gpd.GeoDataFrame:
    """The paths (lines) of every folder of a KML/KMZ file, as Google Earth saves them; pins
    and polygons beside them are not centerlines and are skipped."""
    import pyogrio

    parts = [gpd.read_file(source, layer=str(layer)) for layer, _ in pyogrio.list_layers(source)]
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    lines = frame[frame.geometry.geom_type.isin(LINE_TYPES)]
    if lines.empty:
        raise InputError(source, "has no paths (lines)", "draw the rivers as paths in Google Earth")
    return lines.reset_index(drop=True)


NAME_ALIASES = ("name", "nombre")  # nombre: Peru's IGN and ANA hydrography


def name_column(frame: pd.DataFrame, name_field: str, source: str) -> str:
    """The column of river names: ``name_field``, else the one column of that name in another
    case, with spaces around it or accents (Google Earth's KML gives ``Name``, shapefiles
    ``NAME``); for the default ``name``, also ``nombre``."""
    if name_field in frame.columns:
        return name_field
    wanted = NAME_ALIASES if name_field == "name" else (name_field,)
    for alias in wanted:
        # in any case, with spaces around or accents ('Nombre ' from a spreadsheet's header,
        # 'Nombre_Río' for --name-field nombre_rio): "has no 'name' column (columns: Nombre ,
        # …)", and the advice --name-field Nombre, unquoted, did not find it either
        found = [str(c) for c in frame.columns if plain_name(c) == plain_name(alias)]
        if len(found) == 1:
            return found[0]
    columns = [str(column) for column in frame.columns if column != frame.geometry.name]
    guess = likely_name_column(frame, columns)
    example = f", here likely --name-field {guess}" if guess else ""
    fix = f"name the column that holds river names with --name-field{example}"
    if "HYRIV_ID" in columns:  # HydroRIVERS: reaches without names; MAIN_RIV is a whole basin
        fix = (
            "HydroRIVERS has no river names: select the reaches of your rivers in QGIS and add "
            "a 'name' column (MAIN_RIV would make one river of a whole basin)"
        )
    raise InputError(
        source, f"has no '{name_field}' column (columns: {', '.join(columns) or 'none'})", fix
    )


def _checked_lines(frame: gpd.GeoDataFrame, name_field: str, source: str) -> gpd.GeoDataFrame:
    """The rows with line geometry, after checking names, CRS and geometry types."""
    if frame.crs is None:
        raise InputError(source, "has no CRS", "set one, e.g. ogr2ogr -a_srs EPSG:4326 OUT IN")
    _check_unreadable(frame, name_field, source)
    present = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    if present.empty:
        raise InputError(source, "has no geometries (empty file or empty shapes)", _FIX_LINES)
    kinds = set(present.geometry.geom_type)
    wrong = sorted(kinds - set(LINE_TYPES))
    if wrong:
        raise InputError(
            source,
            f"holds {', '.join(wrong)} geometries, not centerlines (LineString)",
            _FIX_LINES,
        )
    named = present[name_field].map(name_text)
    unnamed = present[name_field].isna() | (named.str.strip() == "")
    if unnamed.any():
        raise InputError(
            source,
            f"{int(unnamed.sum())} centerline(s) have no '{name_field}'",
            "fill in the names or drop those features",
        )
    present = present.assign(**{name_field: named.str.split().str.join(" ")})
    # 'Nanay ' is the Nanay: spaces around and within a name do not make another river; nor
    # does 'Río' typed on a Mac (NFD: 'i' + a combining accent), which was refused as another
    # name that differs only in accents, shown as two names that look alike
    check_names_apart(present[name_field], source)
    flat = shapely.length(present.geometry.to_numpy()) == 0  # a double click: one point
    if flat.any():
        lone = sorted(set(present[name_field][flat]) - set(present[name_field][~flat]))
        if lone:
            raise InputError(
                source,
                f"river {lone[0]!r} has no line of any length (its pieces are single points)",
                "redraw it, or drop its features",
            )
        present = present[~flat]
    return present


def _check_unreadable(frame: gpd.GeoDataFrame, name_field: str, source: str) -> None:
    """InputError naming a river's feature read without geometry: GDAL reads a line with one
    null or non-numeric coordinate as no line at all, and the river (or that piece of it) was
    left out without a word, or the file "has no geometries" when it was the only one."""
    names = frame[name_field] if name_field in frame.columns else pd.Series(index=frame.index)
    named = names.notna() & (names.astype(str).str.strip() != "")
    lost = np.flatnonzero(frame.geometry.isna().to_numpy() & named.to_numpy())
    if len(lost):
        more = f" (and {len(lost) - 1} more)" if len(lost) > 1 else ""
        raise InputError(
            source,
            f"feature {lost[0] + 1} (river {str(names.iloc[lost[0]]).strip()!r}) has no "
            f"geometry{more}: one null or non-numeric coordinate makes a line unreadable",
            "fix or remove that coordinate (in QGIS: Vertex tool), or drop the feature",
        )


def _rivers_apart(names: pd.Series, lonlat: gpd.GeoSeries) -> tuple[pd.Series, list[str]]:
    """Names that tell apart rivers sharing one name far apart, and a note when there are any.

    A country's river layer names hundreds of streams alike (Quebrada Seca, Río Negro). Pieces
    of one name more than ``APART_DEG`` (about 11 km) from each other are different rivers: as
    one, their reference line bridged them across the land and took detections of other rivers
    near its bridges. The longest keeps the name, the others become ``Name (2)``, ``(3)``….
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    geometries = np.asarray(lonlat.array, dtype=object)
    text = names.astype(str).to_numpy()
    count = len(text)
    lefts, rights = [np.arange(count)], [np.arange(count)]  # each piece joins itself
    for rows in pd.Series(np.arange(count)).groupby(text).indices.values():
        if len(rows) > 1:  # pairs within one name only: a dense national layer has 10⁷ others
            a, b = shapely.STRtree(geometries[rows]).query(
                geometries[rows], predicate="dwithin", distance=APART_DEG
            )
            lefts.append(rows[a])
            rights.append(rows[b])
    left, right = np.concatenate(lefts), np.concatenate(rights)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(count, count))
    _, component = connected_components(graph, directed=False)
    table = pd.DataFrame(
        {"name": text, "component": component, "length": shapely.length(geometries)}
    )
    sizes = table.groupby(["name", "component"], sort=False)["length"].sum().reset_index()
    sizes = sizes.sort_values(["name", "length"], ascending=[True, False], kind="stable")
    sizes["rank"] = sizes.groupby("name").cumcount() + 1
    split = sizes[sizes.groupby("name")["rank"].transform("max") > 1]
    if split.empty:
        return names, []
    taken = set(text)
    renamed: dict[int, str] = {}
    for name, component_id, rank in split[split["rank"] > 1][
        ["name", "component", "rank"]
    ].itertuples(index=False):
        number = int(rank)
        new = f"{name} ({number})"
        while new in taken:
            number += 1
            new = f"{name} ({number})"
        taken.add(new)
        renamed[int(component_id)] = new
    out = pd.Series(
        [renamed.get(int(c), n) for c, n in zip(component, text, strict=True)], index=names.index
    )
    shared = split["name"].unique()
    example = str(shared[0])
    return out, [
        f"{len(shared)} river name(s) are shared by lines more than ~11 km apart (e.g. "
        f"{example!r}: {int((split['name'] == example).sum())} rivers): each is counted as its "
        f"own river, the longest under the name and the others as '{example} (2)', …"
    ]


_FIX_LINES = "give river centerlines as lines (e.g. HydroRIVERS), digitised downstream"


def _build_river(
    name: str, utm: CRS, projected: gpd.GeoSeries, corridor_m: float, source: str
) -> River:
    """One river from its pieces in its UTM zone: merged, and ordered downstream."""
    pieces = [
        LineString(part.coords)
        for geom in projected
        for part in shapely.get_parts(geom)
        if len(part.coords) >= 2
    ]
    merged = shapely.line_merge(shapely.MultiLineString(_without_copies(pieces)), directed=True)
    parts = [
        part
        for part in shapely.get_parts(merged)
        if isinstance(part, LineString) and part.length > 0
    ]
    if not parts:
        raise InputError(
            source,
            f"river {name!r} has no line of any length (its pieces are single points)",
            "redraw it, or drop its features",
        )
    return River(name, utm, MultiLineString(parts), reference_line(parts, corridor_m))


def _check_not_swapped(name: str, box: pd.Series, source: str) -> None:
    """InputError for a river south of 60° S that lies on the Earth with its numbers swapped:
    a GeoJSON written latitude first puts the Nanay (73.4° W, 3.8° S) in Antarctica, and every
    scene then "does not overlap any river corridor" (`dredge track` asked whether the
    detections' lon and lat were swapped)."""
    lon, lat = (box["minx"] + box["maxx"]) / 2, (box["miny"] + box["maxy"]) / 2
    if lat < -60 and abs(lon) <= 90:
        raise InputError(
            source,
            f"river {name!r} lies at {abs(lat):.1f}° S, {abs(lon):.1f}° {'W' if lon < 0 else 'E'}"
            f" (Antarctica): are its coordinates written latitude first? (it would be at "
            f"{abs(lon):.1f}° {'S' if lon < 0 else 'N'}, {abs(lat):.1f}° W)",
            "write longitude first (GeoJSON is [lon, lat]); in QGIS: Processing › Swap X and Y "
            "coordinates",
        )


def utm_zone_of(west: float, south: float, east: float, north: float) -> CRS | None:
    """The WGS 84 UTM zone holding the centre of a lon/lat box (as geopandas'
    ``estimate_utm_crs``, which queries the PROJ database: about 0.1 s a river, 8 minutes for a
    national hydrography of 5,000 named rivers), or None off the Earth."""
    lon, lat = (west + east) / 2, (south + north) / 2
    if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -80 <= lat <= 84):
        return None
    zone = min(int((lon + 180) // 6) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def reference_line(parts: Sequence[LineString], side_gap_m: float) -> LineString:
    """Join directed pieces into one upstream → downstream line.

    Starting from the longest piece, the nearest piece is joined at the upstream or the
    downstream end (a straight segment bridges a gap). A piece drawn against the flow of the
    longest one (reaches digitised by hand in both directions) is turned round, and the whole
    line is turned when most of its length was drawn the other way. A piece whose
    two ends both lie within ``side_gap_m`` of the line so far is a side channel (an island's
    other arm) and is left out of the reference line; it still counts for the corridor. So is
    a piece that traces over the line (a reach given twice), and a piece begun upstream of the
    end it joins (reaches traced by hand overlap at their joints) is cut where it passes it.
    """
    remaining = sorted(parts, key=lambda part: part.length, reverse=True)
    first = remaining.pop(0)
    coords = list(first.coords)
    kept, turned_m = first.length, 0.0  # length of the pieces joined as drawn / turned round
    while remaining:
        line = LineString(coords)
        remaining = [
            part
            for part in remaining
            if not (_is_side_channel(part, line, side_gap_m) or _is_traced_over(part, line))
        ]
        if not remaining:
            break
        head, tail = shapely.Point(coords[0]), shapely.Point(coords[-1])
        gaps = []
        for index, part in enumerate(remaining):
            start, end = shapely.Point(part.coords[0]), shapely.Point(part.coords[-1])
            gaps += [
                (start.distance(tail), 0, index, "after"),
                (end.distance(head), 0, index, "before"),
                (end.distance(tail), 1, index, "after"),  # drawn upstream: turned round
                (start.distance(head), 1, index, "before"),
            ]
        _, turned, index, where = min(gaps)
        part = remaining.pop(index)
        piece = list(part.coords)
        if turned:
            piece.reverse()
            turned_m += part.length
        else:
            kept += part.length
        piece = _beyond(piece, LineString(coords), where)
        if where == "after":
            coords = coords + piece[1:] if piece[0] == coords[-1] else coords + piece
        else:
            coords = piece[:-1] + coords if piece[-1] == coords[0] else piece + coords
    return LineString(coords[::-1] if turned_m > kept else coords)


def _is_traced_over(part: LineString, line: LineString) -> bool:
    """True when all of ``part`` lies within :data:`OVERLAP_M` of ``line``: a reach given twice
    (a feature copied, two layers merged), which adds nothing to the line. Joined to it, the
    reference line went down the reach and back, and each position upstream of it was as far
    along again as the reach is long. Pieces of at most twice that length are never copies:
    a river digitised click by click in short pieces keeps every one."""
    if part.length <= 2 * OVERLAP_M:
        return False
    ends = shapely.points([part.coords[0], part.coords[-1]])
    if shapely.distance(ends, line).max() > OVERLAP_M:  # most pieces: two distances
        return False
    dense = shapely.get_coordinates(shapely.segmentize(part, OVERLAP_M / 2))
    return bool(shapely.distance(shapely.points(dense), line).max() <= OVERLAP_M)


def _without_copies(pieces: list[LineString]) -> list[LineString]:
    """The pieces less those that trace over a longer one (a reach given twice). Merged first,
    a copy drawn the other way made one line down the reach and back up it."""
    order = sorted(range(len(pieces)), key=lambda k: -pieces[k].length)
    rank = {k: r for r, k in enumerate(order)}
    tree = shapely.STRtree(pieces)
    dropped: set[int] = set()
    for k in order:
        near = tree.query(pieces[k], predicate="dwithin", distance=OVERLAP_M)
        longer = [int(j) for j in near if rank[int(j)] < rank[k] and int(j) not in dropped]
        if any(_is_traced_over(pieces[k], pieces[j]) for j in longer):
            dropped.add(k)
    return [piece for k, piece in enumerate(pieces) if k not in dropped]


def _beyond(piece: list[Any], joined: LineString, where: str) -> list[Any]:
    """The coordinates of ``piece`` (in flow order) that go on from the end of the line
    ``joined`` it joins (``where``: after its tail or before its head): a piece digitised from
    a point upstream of the end it joins (reaches traced by hand overlap at their joints) is
    cut where it passes that end, when the part cut off runs along the line. Joined whole,
    the reference line went back up the overlap and down again: each position in it was on
    two lengths of the line (a moored dredge's chainage flickered between them) and each one
    upstream was twice the overlap too far along. A piece that begins past the line's end
    (its start lies nearest the end itself) meets it there, and a part that leaves the line is
    no overlap: a piece round a hairpin bend can pass nearer the line's end than its own start
    does, and cut there, a river in 400 m pieces round 150 m meander necks was 36 m short."""
    end = joined.coords[-1] if where == "after" else joined.coords[0]
    line, at = LineString(piece), shapely.Point(end)
    if line.distance(at) > OVERLAP_M:
        return piece
    # how far back along the line the piece begins: an overlap begins alongside it, a joint
    # at or past its end (a hairpin bend in the piece may still pass nearer the end than the
    # piece's own end does)
    along = joined.project(shapely.Point(piece[0] if where == "after" else piece[-1]))
    if (joined.length - along if where == "after" else along) <= JOINT_M:
        return piece
    cut = line.project(at)
    if where == "after" and cut > 0:
        dropped, kept = (
            shapely.ops.substring(line, *span) for span in ((0, cut), (cut, line.length))
        )
    elif where == "before" and cut < line.length:
        dropped, kept = (
            shapely.ops.substring(line, *span) for span in ((cut, line.length), (0, cut))
        )
    else:
        return piece
    dense = shapely.get_coordinates(shapely.segmentize(dropped, OVERLAP_M / 2))
    if shapely.distance(shapely.points(dense), joined).max() > OVERLAP_M:
        return piece
    return list(kept.coords)


def _is_side_channel(part: LineString, line: LineString, gap_m: float) -> bool:
    """True when both ends of ``part`` lie by ``line`` and it cannot extend either end."""
    start, end = shapely.Point(part.coords[0]), shapely.Point(part.coords[-1])
    head, tail = shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])
    alongside = start.distance(line) <= gap_m and end.distance(line) <= gap_m
    extends = start.distance(tail) <= gap_m or end.distance(head) <= gap_m
    extends |= end.distance(tail) <= gap_m or start.distance(head) <= gap_m  # drawn upstream
    return alongside and not extends


# --- linear referencing ------------------------------------------------------------------------


def _bounds_in(
    item: River, pad_m: float, transformer: Transformer | None
) -> tuple[float, float, float, float]:
    """The bounding box of the river's pieces grown by ``pad_m``, through ``transformer``
    (from the river's CRS; None: the same CRS)."""
    x0, y0, x1, y1 = item.pieces.bounds
    box = (x0 - pad_m, y0 - pad_m, x1 + pad_m, y1 + pad_m)
    if transformer is None:
        return box
    return transformer.transform_bounds(*box, densify_pts=21)


class _Transformers:
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


def _measure(
    line: LineString, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(distance to the line, distance along it from its start, signed offset) per point."""
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
    return (
        np.asarray(distance, dtype=float),
        np.asarray(along, dtype=float),
        np.asarray(distance * side, dtype=float),
    )
