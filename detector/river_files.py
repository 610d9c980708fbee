"""Reading a rivers file given to --rivers: its layer of centerlines, its column of names, and
its lines checked (readable, named, of some length, not written latitude first), with rivers
that share one name far apart told apart (:class:`detector.rivers.RiverNetwork` builds on it).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from detector.errors import InputError, first_line
from detector.river_inputs import (
    check_names_apart,
    likely_name_column,
    name_text,
    refuse_scenes,
)
from detector.user_tables import plain_name
from detector.vector_files import read_vector_layer
from detector.wording import agree, count_of

APART_DEG = 0.1  # pieces of one name farther apart than this (about 11 km) are other rivers
PARQUET_SUFFIXES = (".parquet", ".geoparquet")
KML_SUFFIXES = (".kml", ".kmz")
LINE_TYPES = ("LineString", "MultiLineString")
_FIX_LINES = "give river centerlines as lines (e.g. HydroRIVERS), digitised downstream"


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


def checked_lines(frame: gpd.GeoDataFrame, name_field: str, source: str) -> gpd.GeoDataFrame:
    """The rows with line geometry, after checking names, CRS and geometry types."""
    if frame.crs is None:
        raise InputError(source, "has no CRS", "set one, e.g. ogr2ogr -a_srs EPSG:4326 OUT IN")
    _check_unreadable(frame, name_field, source)
    _check_finite(frame, name_field, source)
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
            f"{count_of(int(unnamed.sum()), 'centerline')} "
            f"{agree(int(unnamed.sum()), 'has', 'have')} no '{name_field}'",
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


def _check_finite(frame: gpd.GeoDataFrame, name_field: str, source: str) -> None:
    """InputError naming a feature with a coordinate that is not a finite number: GDAL reads
    NaN and Infinity in a GeoJSON line as numbers, and the river built on them stopped the
    command on a GEOS fault (or was said to have no length, or to lie off the Earth)."""
    coords, rows = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    odd = np.unique(rows[~np.isfinite(coords).all(axis=1)])
    if len(odd):
        names = frame[name_field] if name_field in frame.columns else None
        river = f" (river {str(names.iloc[odd[0]]).strip()!r})" if names is not None else ""
        more = f" (and {len(odd) - 1} more)" if len(odd) > 1 else ""
        raise InputError(
            source,
            f"feature {odd[0] + 1}{river} has a coordinate that is not a number (NaN or "
            f"Infinity){more}",
            "fix or remove that coordinate (in QGIS: Vertex tool), or drop the feature",
        )


def rivers_apart(names: pd.Series, lonlat: gpd.GeoSeries) -> tuple[pd.Series, list[str]]:
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
        f"{count_of(len(shared), 'river name')} {agree(len(shared), 'is', 'are')} shared by "
        "lines more than ~11 km apart (e.g. "
        f"{example!r}: {int((split['name'] == example).sum())} rivers): each is counted as its "
        f"own river, the longest under the name and the others as '{example} (2)', …"
    ]


def check_not_swapped(name: str, box: pd.Series, source: str) -> None:
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
