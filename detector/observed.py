"""What each scene saw: its clear, valid area, so that the tracker can tell "not imaged or
under cloud" from "seen, and the dredge was not there".

PlanetScope scenes are GeoTIFFs with nodata 0 outside a rotated footprint; their UDM2 sidecar
(``..._3B_udm2.tif`` beside ``..._3B_AnalyticMS_SR.tif``; 8 bands, uint8) gives each pixel one
class: clear (band 1), snow, shadow (3), light haze (4), heavy haze (5) or cloud (6). The ground
counts as seen where it is clear or under light haze, which Planet defines as seen through to
the ground (UDM2.1 puts all haze in band 4) and which the detector reads like clear pixels; not
under shadow, heavy haze or cloud. Scenes from before August 2018 have Planet's older UDM
instead (``..._DN_udm.tif``; one band of bit flags): there the ground counts as seen where no
bit is set (bit 1 is cloud, bits 2–7 band data lost in downlink). Its clouds were found on a
decimated image, so small clouds may be missed. Masks are read in strips of rows at full
size, never whole, and brought to a grid of at most ``max_pixels`` on a side where a cell is
seen only when every pixel under it is (read by nearest, a cloud narrower than a cell could
fall between the pixels read, and count as seen ground).

A spot less than :data:`EDGE_MARGIN_M` inside the edge of the image or of a cloud is not seen:
a dredge moored there is partly cut off or hidden, and the detector misses it (on a demo scene,
a 22 m dredge whose centre was 5 m inside the scene's edge was missed, and found at 10 m).
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from detector.acquisition import is_remote, scene_file_name
from detector.cloud_masks import CloudMask, find_cloud_mask, open_mask, partial_cover
from detector.errors import DredgeError, InputError, first_line
from detector.read_errors import file_read_errors
from detector.remote_reads import network_open_error, use_http_time_limits
from detector.scene_checks import check_georeferenced
from detector.scene_files import expand_scene_paths, no_scenes_message, one_or_many

if TYPE_CHECKING:
    from affine import Affine
    from rasterio.crs import CRS
    from rasterio.io import DatasetReader
    from rasterio.windows import Window

    from detector.rivers import RiverNetwork

WGS84 = "EPSG:4326"
UDM2_LIGHT_HAZE = 4
UDM2_HIDDEN = (3, 5, 6)  # shadow, heavy haze, cloud
EDGE_MARGIN_M = 15.0  # half the longest hull (dredges are 12 to 30 m long)
JPEG_BLOCK_PX = 16  # a JPEG block with YCbCr subsampling, over which its edge smears
CORNER_PX = 4  # a collar fills at least this square at a corner of the frame


# for `dredge track --scenes` and `dredge run` alike (which has no --scenes: it said "check the
# --scenes files" of a finished scene cut short since)
UNREADABLE_FIX = (
    "the file may be truncated or corrupt: download or export it again, or leave it out of "
    "the scenes given"
)


def observed_areas(
    scene_paths: Iterable[str | Path] | str | Path,
    *,
    max_pixels: int = 1024,
    dates: Mapping[str, datetime | pd.Timestamp] | None = None,
    names: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Clear, valid area of each scene as a polygon in EPSG:4326 (``cloud_mask``: which of
    Planet's masks took its clouds out, ``udm2`` or the older ``udm``; empty when none;
    ``attrs["mask_notes"]``: a line per scene whose mask covers only part of it, the rest not
    seen, as the detector reads it: :func:`detector.cloud_masks.partial_cover`).

    Valid means a pixel that is not nodata (PlanetScope writes 0 outside its rotated footprint);
    clear is what the scene's UDM2 (``*_udm2.tif``) or older UDM (``*_DN_udm.tif``) beside it
    calls seen ground (see the module notes), when there is one. Masks are brought to at most
    ``max_pixels`` on a side (a pixel is seen where all it covers is), eroded by
    :data:`EDGE_MARGIN_M` (at least one pixel: a dredge on the edge is partly cut off, so its
    spot counts as not seen) and simplified.

    The acquisition time is the one in ``dates`` (by path, label, file name or stem; e.g. what
    the scene's detections carry), else the one the scene reader finds (:func:`scene_time`): a
    Planet metadata sidecar, a date in the file name, the GeoTIFF's tags. ``names``
    gives scenes that share a file name their labels (the ``scene`` column; see
    :func:`detector.acquisition.scene_labels`). A folder gives its scenes (as
    :func:`detector.scene_files.expand_scene_paths`; it was "cannot be read … the file may be
    truncated or corrupt") and a glob (``"scenes/*.tif"``) its matches, as
    :func:`detector.scene_sources.resolve_scenes` reads them; one path given alone is one
    scene, folder or glob; a row per scene, in the order given. A folder of no scene, a glob
    that matches none or a missing file is a DredgeError naming it (:func:`_scene_files`).
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    rows: list[dict[str, object]] = []
    mask_notes: list[str] = []
    for path in _scene_files(scene_paths):
        label = (names or {}).get(path) or scene_file_name(path)
        if is_remote(path):
            use_http_time_limits()  # else a server that stops answering holds it for ever
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                src = rasterio.open(path)
            with src:  # once, for the time and the valid area
                check_georeferenced(path, src)
                acquired = scene_time(path, src, dates or {}, label)
                area, crs = _valid_area(src, max_pixels)
                grid = (src.crs, src.transform, src.width, src.height)
        except rasterio.errors.RasterioIOError as exc:
            if is_remote(path):
                raise network_open_error(path, first_line(exc)) from None
            raise InputError(path, f"cannot be read ({exc})", UNREADABLE_FIX) from None
        mask = None if is_remote(path) else find_cloud_mask(Path(path))
        if mask is not None:
            with file_read_errors(str(mask.path)):  # a mask cut short: one line naming it
                clear, udm_crs = _clear_area(mask, max_pixels)
                if udm_crs != crs:
                    clear = gpd.GeoSeries([clear], crs=udm_crs).to_crs(crs).iloc[0]
            data, area = area, shapely.intersection(area, clear)  # outside the mask: not seen
            caveat = partial_cover(mask, *grid, valid=_given(data))  # as detect reads it
            if caveat:
                mask_notes.append(f"{label}: {caveat}")
        area = gpd.GeoSeries([area], crs=crs).to_crs(WGS84).iloc[0]
        rows.append(
            {
                "scene": scene_key(label),
                "acquired": acquired,
                "cloud_mask": mask.kind if mask is not None else "",
                "geometry": area,
            }
        )
    frame = gpd.GeoDataFrame(
        rows, columns=["scene", "acquired", "cloud_mask", "geometry"], crs=WGS84
    )
    frame["acquired"] = pd.to_datetime(frame["acquired"], utc=True)
    frame.attrs["mask_notes"] = mask_notes
    return frame


def _scene_files(items: Iterable[str | Path] | str | Path) -> list[str]:
    """Each item as a path, a folder as its scenes, a glob as its matches (as
    :func:`detector.scene_sources.resolve_scenes` reads them); a scene given twice stays twice
    (a row each, as the caller's list of scenes). DredgeError for a folder of no scene (it
    gave no row, without a word), a glob that matches none and a missing file (each was
    "cannot be read (… No such file or directory) — the file may be truncated or corrupt")."""
    from detector.scene_sources import GLOB_CHARS, glob_scenes

    found: list[str] = []
    for item in one_or_many(items):
        text = str(item)
        if is_remote(text):
            found.append(text)
            continue
        path = Path(text)
        if path.is_dir():
            scenes = expand_scene_paths([text])
            if not scenes:
                raise DredgeError(no_scenes_message(text))
            found += scenes
        elif any(char in text for char in GLOB_CHARS) and not path.exists():
            found += glob_scenes(text)
        elif not path.exists():
            raise InputError(text, "file not found", "check the path or the folder given")
        else:
            found.append(text)
    return found


def scene_time(
    path: str | Path,
    src: DatasetReader,
    dates: Mapping[str, datetime | pd.Timestamp],
    label: str | None = None,
) -> pd.Timestamp:
    """When the scene at ``path`` (open as ``src``) was taken (UTC): from ``dates`` (by path,
    label, file name or stem), else the file, read as :func:`detector.scene.open_scene` reads
    it (:func:`detector.acquisition.resolve_acquisition`: a day and time behind a prefix,
    ``nanay_clip_20241102_093015``, an export's, dates nothing here either; it was dated
    2024-11-02 09:30:15 by a reader of the tracker's own). Undated, an InputError that names
    a date set aside as before the first satellite image (a tag's, a sidecar's, the name's),
    as :meth:`detector.scene.Scene.require_acquired` does."""
    from detector.acquisition import is_day_only, resolve_acquisition
    from detector.date_tables import date_for_scene

    known = date_for_scene(dates, path, label)
    over = None  # a tag, sidecar or name's date before the first satellite image, passed over
    if known is None or is_day_only(known):  # a day alone: the scene's own time that day
        acquisition = resolve_acquisition(str(path), src, explicit=known)
        known, over = acquisition.time, acquisition.passed_over
    if known is None:
        raise InputError(
            path,
            "acquisition date unknown (no Planet metadata, no date in the name or tags, and no "
            "detection from this scene" + (f"; {over.words})" if over else ")"),
            "give the scenes' dates with --dates, a CSV of scene,date",
        )
    stamp = pd.Timestamp(known)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def valid_footprints(
    scene_paths: Iterable[str],
    *,
    names: Mapping[str, str] | None = None,
    max_pixels: int = 2048,
    days: Collection[str] | None = None,
) -> gpd.GeoDataFrame:
    """Each scene's acquisition time (UTC, as :func:`scene_time` dates it without ``--dates``;
    NaT where nothing tells it) and its valid area (pixels that are not nodata, less one
    decimated pixel at its edge; no cloud mask) in EPSG:4326: where a mark made on that day's
    image can be a label on it (:mod:`training.labels.dated`). Columns ``path``, ``acquired``,
    ``geometry``. With ``days`` (``YYYY-MM-DD``), the pixels of scenes of other days are not
    read: their area is empty."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    rows: list[dict[str, object]] = []
    for path in scene_paths:
        label = (names or {}).get(path) or scene_file_name(path)
        if is_remote(path):
            use_http_time_limits()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                src = rasterio.open(path)
            with src:
                check_georeferenced(path, src)
                try:
                    acquired: pd.Timestamp | None = scene_time(path, src, {}, label)
                except InputError:  # no date: it takes no dated marks (the caller says so)
                    acquired = None
                crs = str(src.crs)
                area = shapely.Polygon()
                if days is None or (acquired is not None and f"{acquired:%Y-%m-%d}" in days):
                    shape, transform = _decimated(src, max_pixels)
                    area = _polygonise(_valid_pixels(src, shape), transform, src.crs, 0.0)
        except rasterio.errors.RasterioIOError as exc:
            if is_remote(path):
                raise network_open_error(path, first_line(exc)) from None
            raise InputError(path, f"cannot be read ({exc})", UNREADABLE_FIX) from None
        area = gpd.GeoSeries([area], crs=crs).to_crs(WGS84).iloc[0]
        rows.append({"path": path, "acquired": acquired, "geometry": area})
    frame = gpd.GeoDataFrame(rows, columns=["path", "acquired", "geometry"], crs=WGS84)
    frame["acquired"] = pd.to_datetime(frame["acquired"], utc=True)
    return frame


def scene_key(name: object) -> str:
    """The scene's file name without folders and a .tif/.tiff extension, composed (NFC): a
    name decomposed on a Mac (``n`` + a combining tilde) is the same scene's."""
    base = unicodedata.normalize("NFC", Path(str(name)).name)
    return re.sub(r"\.tiff?$", "", base, flags=re.IGNORECASE)


def river_observations(
    observed: gpd.GeoDataFrame,
    corridor: gpd.GeoDataFrame,
    network: RiverNetwork | None = None,
) -> pd.DataFrame:
    """Which river was seen on which date: ``river, date, scenes`` (one row per river-date).

    A river counts as observed on a date when some scene's clear valid area touches its
    corridor that day. With the ``network``, how much of it: ``river_km`` (the length of its
    reference line, the main channel), ``seen_km`` (the length of that line inside the day's
    clear areas) and ``seen_chainage_m``, the stretches seen as ``FROM..TO`` in metres of
    chainage (as ``chainage_m`` measures it), space-separated. A scene that saw only the first
    kilometre of a 30 km river was a look at the whole river, and a zero count read as no
    dredge on any of it.
    """
    if observed.empty or corridor.empty:
        return pd.DataFrame({"river": [], "date": [], "scenes": []})
    areas = observed[~observed.geometry.is_empty].to_crs(corridor.crs)
    joined = gpd.sjoin(areas, corridor[["river", "geometry"]], predicate="intersects")
    joined["date"] = pd.to_datetime(joined["acquired"], utc=True).dt.strftime("%Y-%m-%d")
    groups = joined.groupby(["river", "date"], sort=True)
    counted = groups["scene"].nunique().rename("scenes").reset_index()
    if network is None:
        return counted
    seen: list[list[tuple[float, float]]] = []
    moved: dict[str, gpd.GeoSeries] = {}  # the areas in each river's UTM zone, reprojected once
    for river, date in zip(counted["river"], counted["date"], strict=True):
        item = network.rivers[str(river)]
        if item.crs.srs not in moved:
            moved[item.crs.srs] = joined.geometry.to_crs(item.crs)
        rows = groups.indices[(river, date)]  # positions in ``joined``
        area = shapely.union_all(np.asarray(moved[item.crs.srs].iloc[rows].array))
        seen.append(line_stretches(item.line, area))
    counted["river_km"] = [round(network.length_m(str(r)) / 1000, 2) for r in counted["river"]]
    counted["seen_km"] = [round(sum(b - a for a, b in s) / 1000, 2) for s in seen]
    counted["seen_chainage_m"] = [format_stretches(s) for s in seen]
    return counted


def line_stretches(line: shapely.LineString, area: shapely.Geometry) -> list[tuple[float, float]]:
    """The stretches of ``line`` inside ``area`` as (from, to) chainage in metres (from the
    line's end, as :meth:`detector.rivers.RiverNetwork.locate` measures it), merged and
    sorted."""
    inside = shapely.intersection(line, area)
    ends: list[tuple[float, float]] = []
    for part in shapely.get_parts(inside):
        if part.geom_type != "LineString" or part.length <= 0:
            continue
        first, last = part.coords[0], part.coords[-1]
        along = sorted(line.project(shapely.Point(p)) for p in (first, last))
        ends.append((line.length - along[1], line.length - along[0]))
    return merge_stretches(ends)


def merge_stretches(stretches: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching (within a metre) stretches as one, sorted."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(stretches):
        if merged and start <= merged[-1][1] + 1.0:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def format_stretches(stretches: Iterable[tuple[float, float]]) -> str:
    """``0..900 12300..30000`` (metres; not ``0-900``, which Excel may take for a date)."""
    return " ".join(f"{round(a)}..{round(b)}" for a, b in stretches)


def parse_stretches(text: object) -> list[tuple[float, float]]:
    """The stretches of :func:`format_stretches`; none for an empty or missing value."""
    found = re.findall(r"(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)", str(text or ""))
    return [(float(a), float(b)) for a, b in found]


def _given(geometry: shapely.Geometry) -> Callable[[], shapely.Geometry]:
    """``geometry``, when asked for (a scene's data outline, already read)."""
    return lambda: geometry


def _valid_area(src: DatasetReader, max_pixels: int) -> tuple[shapely.Geometry, str]:
    """Polygon of a scene's non-nodata pixels in the scene's CRS.

    JPEG compression smears a black collar into values near 0 across the blocks on the edge of
    the image (8 px, 16 with YCbCr), which are not nodata: where validity comes from the values,
    the edge margin of a JPEG-compressed scene grows by :data:`JPEG_BLOCK_PX` of its pixels (on
    a demo scene so compressed, 49,000 m² of black collar up to 46 m out was taken as seen).
    Read decimated by nearest, the edge of a cell read as valid lies up to half a cell and a
    pixel beyond the image's, so the margin grows by that (it came 12 m from a seen spot at a
    full PlanetScope scene's 24 m cells). A scene is not read at full size, as its cloud mask is:
    its overviews (a remote COG's) spare reading all of it, and its edge has no small parts."""
    shape, transform = _decimated(src, max_pixels)
    margin = EDGE_MARGIN_M
    if shape != (src.height, src.width):  # read by nearest: the edge is up to half a cell off
        full = (src.height, src.width)
        margin += _pixel_metres(transform, src.crs, shape) / 2
        margin += _pixel_metres(src.transform, src.crs, full)
    if _jpeg_smeared(src):
        margin += JPEG_BLOCK_PX * _pixel_metres(src.transform, src.crs, (src.height, src.width))
    return _polygonise(_valid_pixels(src, shape), transform, src.crs, margin), str(src.crs)


def _jpeg_smeared(src: DatasetReader) -> bool:
    """True when the scene is JPEG-compressed and its validity comes from its values (no alpha
    band, no mask of its own)."""
    from rasterio.enums import Compression, MaskFlags

    from detector.window_reads import alpha_band_index

    if src.compression != Compression.jpeg or alpha_band_index(src) is not None:
        return False
    flags = src.mask_flag_enums[0]
    return not (MaskFlags.per_dataset in flags and MaskFlags.nodata not in flags)


def _valid_pixels(src: DatasetReader, shape: tuple[int, int]) -> NDArray[np.bool_]:
    """Pixels with data, read decimated to ``shape``: an alpha band (in a floating-point scene,
    less the pixels NaN in every band, as the detector's read drops them:
    :func:`detector.window_reads.nan_under_alpha`), else an internal mask, else the bands
    against their nodata value (when none is declared, the fill of the frame's corners,
    :func:`_corner_fill`; NaN is never data). A float scene half NaN under alpha 255 had
    counted 75 % seen where 50 % was."""
    from rasterio.enums import MaskFlags

    from detector.window_reads import alpha_band_index, data_band_indexes, nan_under_alpha

    alpha = alpha_band_index(src)
    if alpha is not None:
        has = src.read(alpha, out_shape=shape) > 0
        if nan_under_alpha(src):
            indexes = data_band_indexes(src)
            data = src.read(indexes, out_shape=(len(indexes), *shape))
            has &= ~np.isnan(data).all(axis=0)
        return np.asarray(has)
    flags = src.mask_flag_enums[0]
    if MaskFlags.per_dataset in flags and MaskFlags.nodata not in flags:
        return np.asarray(src.read_masks(1, out_shape=shape) > 0)
    indexes = data_band_indexes(src)
    data = src.read(indexes, out_shape=(len(indexes), *shape))
    nodata = _corner_fill(src) if src.nodata is None or np.isnan(src.nodata) else src.nodata
    has = data != nodata
    if np.issubdtype(data.dtype, np.floating):
        has &= ~np.isnan(data)
    return np.asarray(has.any(axis=0))


def _corner_fill(src: DatasetReader) -> float:
    """The value outside the footprint of a scene that declares no nodata: one that every band
    holds over a :data:`CORNER_PX` square in two or more corners of the frame (a white collar,
    255, around a rotated footprint or an area of interest, or beside a strip's end), else 0
    (PlanetScope and most exports write 0 there). A white collar had counted as seen ground.
    In an integer scene only 0 or below (a signed scene's -9999) or the type's largest value is
    a fill: a single-band scene of even forest whose corner pixels happened to agree (50 and
    50) took every pixel of 50 as nodata, and its area seen shrank to nothing once eroded by
    the edge margin."""
    from rasterio.windows import Window

    from detector.window_reads import data_band_indexes

    indexes = data_band_indexes(src)
    size_x, size_y = min(CORNER_PX, src.width), min(CORNER_PX, src.height)
    right, bottom = src.width - size_x, src.height - size_y
    corners = [(0, 0), (right, 0), (0, bottom), (right, bottom)]
    dtype = np.dtype(src.dtypes[indexes[0] - 1])
    top = float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else None
    fills: list[float] = []
    for col, row in corners:
        block = src.read(indexes, window=Window(col, row, size_x, size_y)).ravel()
        if not block.size or np.isnan(block[0]) or not bool((block == block[0]).all()):
            continue
        value = float(block[0])
        # no band of an image is below 0: a signed scene's -9999 or -32768 is a fill as well
        if top is None or value <= 0 or value == top:
            fills.append(value)
    common = max(set(fills), key=lambda v: (fills.count(v), v == 0), default=0.0)
    return common if fills.count(common) >= 2 else 0.0


def _clear_area(mask: CloudMask, max_pixels: int) -> tuple[shapely.Geometry, str]:
    """Polygon of the mask's seen pixels: UDM2 clear (band 1) or light haze (band 4), and not
    shadow, heavy haze or cloud (bands 3, 5, 6); the older UDM with no bit set. See the module
    notes. A decimated pixel is seen only where every mask pixel under it is
    (:func:`_all_in_cells`): read by nearest, each took one mask pixel, and a cloud narrower
    than a decimated pixel fell between them."""
    with open_mask(mask.path) as src:
        shape, transform = _decimated(src, max_pixels)
        if mask.kind == "udm":
            clear = _all_in_cells(src, shape, lambda window: src.read(1, window=window) == 0)
        elif src.count >= 6:
            bands = [1, UDM2_LIGHT_HAZE, *UDM2_HIDDEN]
            clear = _all_in_cells(src, shape, lambda w: _udm2_seen(src.read(bands, window=w)))
        else:
            clear = _all_in_cells(src, shape, lambda window: src.read(1, window=window) == 1)
        return _polygonise(clear, transform, src.crs), str(src.crs)


def _udm2_seen(flags: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Seen pixels of UDM2 bands 1, 4, 3, 5 and 6 (in that order): clear or light haze, and
    not shadow, heavy haze or cloud. Any value but 0 is set, as the detector reads the mask:
    some tools write a class band 0/255, and clear was read only where it was 1 (a scene
    whose clear band was so written saw nothing)."""
    seen = (flags[0] > 0) | (flags[1] > 0)
    return np.asarray(seen & ~(flags[2:] > 0).any(axis=0))


STRIP_PX = 256  # rows of a mask read at a time at full size


def _all_in_cells(
    src: DatasetReader,
    shape: tuple[int, int],
    good: Callable[[Window], NDArray[np.bool_]],
) -> NDArray[np.bool_]:
    """Cells of the grid of ``shape`` laid over ``src`` (as :func:`_decimated` lays it) all of
    whose pixels are ``good``: a cell is bad where any pixel it overlaps, even in part, is not.
    ``good`` reads a window of ``src`` at full size (strips of :data:`STRIP_PX` rows) and
    says which of its pixels are good."""
    from rasterio.windows import Window

    def spans(cells: int, pixels: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        edges = np.arange(cells + 1) * (pixels / cells)
        first = np.floor(edges[:-1] + 1e-9).astype(np.intp)
        last = np.minimum(np.ceil(edges[1:] - 1e-9).astype(np.intp), pixels)
        return first, np.maximum(last, first + 1)

    row_first, row_last = spans(shape[0], src.height)
    col_first, col_last = spans(shape[1], src.width)
    out = np.ones(shape, dtype=bool)
    per_strip = max(1, int(STRIP_PX * shape[0] / src.height))
    for start in range(0, shape[0], per_strip):
        stop = min(start + per_strip, shape[0])
        top, bottom = int(row_first[start]), int(row_last[stop - 1])
        bad = ~good(Window(0, top, src.width, bottom - top))
        down = np.zeros((bad.shape[0] + 1, bad.shape[1]), dtype=np.int32)
        np.cumsum(bad, axis=0, out=down[1:])
        rows = (down[row_last[start:stop] - top] - down[row_first[start:stop] - top]) > 0
        across = np.zeros((rows.shape[0], rows.shape[1] + 1), dtype=np.int32)
        np.cumsum(rows, axis=1, out=across[:, 1:])
        out[start:stop] = (across[:, col_last] - across[:, col_first]) == 0
    return out


def _decimated(src: DatasetReader, max_pixels: int) -> tuple[tuple[int, int], Affine]:
    """Output shape and transform for reading ``src`` at most ``max_pixels`` on a side."""
    from rasterio.transform import Affine

    height, width = src.height, src.width
    factor = max(1.0, max(height, width) / max_pixels)
    shape = (max(1, round(height / factor)), max(1, round(width / factor)))
    scale = Affine.scale(width / shape[1], height / shape[0])
    return shape, src.transform @ scale


def _polygonise(
    mask: NDArray[np.bool_], transform: Affine, crs: CRS, margin_m: float = EDGE_MARGIN_M
) -> shapely.Geometry:
    """Union of the mask's pixels, less those within ``margin_m`` (at least one pixel) of a
    pixel outside it or of the raster's border, as a polygon simplified by what the erosion
    left beyond ``margin_m`` (up to a pixel; the erosion takes a pixel more when that is under
    a quarter of one): simplified by a whole pixel after eroding by just ``margin_m``, its
    outline cut corners up to a pixel into the margin (a seen spot 13 m from a cloud at
    3 m pixels, and cloud pixels inside the seen area at a full scene's 24 m)."""
    from rasterio import features
    from scipy.ndimage import binary_erosion

    cell = _pixel_metres(transform, crs, mask.shape)
    steps = max(1, math.ceil(margin_m / cell - 0.01))
    if steps * cell - margin_m < cell / 4:  # no room left to simplify: one step more
        steps += 1
    # the simplified outline strays up to its tolerance outside the pixels, into the margin
    slack = min(1.0, (steps * cell - margin_m) / cell)
    square = np.ones((3, 3), dtype=bool)  # n steps: at least n pixels away in every direction
    inner = binary_erosion(mask, structure=square, iterations=steps, border_value=0)
    pieces = [
        shapely.geometry.shape(geom)
        for geom, value in features.shapes(
            inner.astype(np.uint8),
            mask=inner,
            transform=transform,
        )
        if value == 1
    ]
    if not pieces:
        return shapely.Polygon()
    pixel = math.hypot(transform.a, transform.d)
    return shapely.union_all(pieces).simplify(slack * pixel, preserve_topology=True)


def _pixel_metres(transform: Affine, crs: CRS, shape: tuple[int, ...]) -> float:
    """Ground size in metres of a pixel of ``transform`` (in ``crs``) at the raster's centre."""
    from detector.grid import crs_units_per_metre

    x, y = transform @ (shape[1] / 2, shape[0] / 2)
    per_metre, _ = crs_units_per_metre(crs, x, y)
    return math.hypot(transform.a, transform.d) / per_metre
