"""Planet cloud masks beside a scene: finding them, and the pixels they hide in a window.

A Planet UDM2 file next to the scene (``<id>_udm2.tif``) is used as the cloud mask: band 6
(cloud) and band 3 (shadow) mark pixels that are not clear. Scenes from before August 2018 come
with Planet's older UDM instead (``<id>_3B_AnalyticMS_DN_udm.tif``), whose cloud bit and
lost-data bits are used the same way (:func:`find_cloud_mask`). The detector
(:class:`CloudMaskReader`, through :class:`detector.scene.Scene`) and the tracker
(:mod:`detector.observed`) both read the mask found here. Where the mask covers only part of
its scene (cut, or of another extent), both take the rest as not seen: the detector as hidden
(:meth:`CloudMaskReader.hidden`), the tracker as outside the mask's clear area; each says so
in one line naming the scene's mask (:func:`partial_cover`).
"""

from __future__ import annotations

import bisect
import functools
import math
import os
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.vrt import WarpedVRT

from detector.errors import InputError
from detector.read_errors import FIX_CORRUPT, file_read_errors, innermost_line
from detector.window_reads import RecentReads, file_window, read_bands_padded, window_key
from detector.writing import NAME_MAX

UDM2_SHADOW_BAND = 3
UDM2_CLOUD_BAND = 6
UDM2_MIN_BANDS = 6
# The older UDM's bits: 0 not imaged (blackfill), 1 cloud, 2–7 band 1–6 data lost in downlink
UDM_HIDDEN_BITS = 0b1111_1110

_PLANET_PRODUCT = re.compile(
    r"^(.*?)_(?:AnalyticMS|Analytic|BGRN|Visual|basic_analytic)", re.IGNORECASE
)


def udm2_candidates(path: Path) -> list[Path]:
    """Possible UDM2 files for a Planet scene, e.g. ``<id>_3B_udm2.tif`` for
    ``<id>_3B_AnalyticMS_SR.tif``, ``<id>_3B_udm2_clip.tif`` for a clipped delivery and
    ``<id>_3B_udm2_clip_file_format.tif`` for a clipped one in COG file format."""
    stem, base, tail = _planet_name_parts(path)
    names = [f"{base}_udm2{tail}.tif", f"{base}_udm2.tif", f"{stem}_udm2.tif"]
    return _beside(path, names)


def _beside(path: Path, names: list[str]) -> list[Path]:
    """``names`` beside ``path``, once each, less those past the file system's 255 bytes: such
    a file cannot exist, and looking for it raised OSError (a scene name of 233 characters or
    more stopped ``dredge tiles`` and ``detect`` with a traceback)."""
    unique = dict.fromkeys(n for n in names if len(n.encode()) <= NAME_MAX)
    return [path.with_name(name) for name in unique]


_DELIVERY_TAIL = re.compile(r"(?:_clip)?(?:_file_format)?$", re.IGNORECASE)


def _planet_name_parts(path: Path) -> tuple[str, str, str]:
    """(stem, capture id before the product, delivery tail) of a Planet file name: the tail is
    what the order's tools appended, ``_clip`` (clip) and ``_file_format`` (COG), as in
    ``<id>_3B_AnalyticMS_SR_8b_harmonized_clip_file_format.tif``, whose masks end the same."""
    stem = re.sub(r"\.tiff?$", "", path.name, flags=re.IGNORECASE)
    match = _PLANET_PRODUCT.match(stem)
    tail = _DELIVERY_TAIL.search(stem)
    return stem, match[1] if match else stem, tail[0] if tail else ""


def find_udm2(path: Path, beside: MasksBeside | None = None) -> Path | None:
    """The scene's UDM2 file when one lies next to it and looks like one (≥ 6 uint8 bands):
    one of :func:`udm2_candidates` (:meth:`MasksBeside.on_disk`), else the mask that shares
    the scene's capture prefix ``YYYYMMDD_HHMMSS_SS_SAT`` and most of its name
    (:func:`_udm2_by_prefix`). The detector and the tracker (:mod:`detector.observed`) both
    read the mask found here."""
    beside = beside or MasksBeside(path.parent)
    for candidate in map(beside.on_disk, udm2_candidates(path)):
        if candidate is not None and candidate != path and _is_udm2(candidate):
            return candidate
    by_prefix = _udm2_by_prefix(path, beside)  # only like the scene's: unreadable is no mask
    return by_prefix if by_prefix is not None and _is_udm2(by_prefix, named=False) else None


_CAPTURE_PREFIX = re.compile(r"(\d{8}_\d{6}(?:_\d+)?_[0-9a-zA-Z]+)_")
_MASK_NAME = re.compile(r".*udm.*\.tiff?", re.IGNORECASE)


def _udm2_by_prefix(path: Path, beside: MasksBeside) -> Path | None:
    """A ``*udm2*.tif`` (in any letter case: ``*UDM2*.TIF``, ``.tiff``) beside the scene with
    its ``YYYYMMDD_HHMMSS_SS_SAT`` prefix: the one sharing the longest start with the scene's
    name (letter case aside); none when two tie (scenes of one collect, e.g. SkySat's
    ``…_ssc3d1_0010`` and ``…_0011``, share a prefix, not a mask)."""
    match = _CAPTURE_PREFIX.match(path.name)
    if match is None:
        return None
    scene = _key(path.name)
    found = [
        name
        for name in beside.starting(_key(match[1]))
        if "udm2" in _key(name) and name != path.name
    ]
    shared = sorted((_shared_start(_key(name), scene), name) for name in found)
    if not shared or (len(shared) > 1 and shared[-1][0] == shared[-2][0]):
        return None
    return path.with_name(shared[-1][1])


_MTIME_SETTLED_NS = 3_000_000_000
"""A folder modified this recently is listed again at each look: on a file system whose
mtime is coarse (FAT 2 s, HFS+ and ext3 1 s, a kernel's clock tick), a mask added just after
the listing leaves the folder's mtime as it was, and the listing cached under it missed the
mask for the rest of the run."""


class MasksBeside:
    """The mask names in a scene's folder (:func:`_mask_names`), listed at the first look that
    needs them and kept for the other looks for that scene's masks."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._listing: tuple[list[str], list[str]] | None = None

    def starting(self, start: str) -> list[str]:
        """The names whose key (:func:`_key`) begins with ``start`` (a key)."""
        if self._listing is None:
            self._listing = _listing(self.folder)
        keys, names = self._listing
        found = []
        for index in range(bisect.bisect_left(keys, start), len(keys)):
            if not keys[index].startswith(start):
                break
            found.append(names[index])
        return found

    def on_disk(self, candidate: Path) -> Path | None:
        """The mask named ``candidate`` (``….tif``) as it lies in the folder: that name, else
        the name in other letter case (``…_3B_UDM2.TIF``: a delivery renamed to capitals) or
        ending ``.tiff`` (a suffix some tools spell out), else None. Such a mask was left out of
        the scenes as a mask, yet not read beside its scene: its clouds were clear ground to
        the detector and the tracker."""
        if candidate.is_file():
            return candidate
        stem = _key(candidate.name.removesuffix(".tif"))
        for name in self.starting(stem):
            if _key(name)[len(stem) :] in (".tif", ".tiff"):
                return candidate.with_name(name)
        return None


def _listing(folder: Path) -> tuple[list[str], list[str]]:
    """:func:`_mask_names` of ``folder`` as it is now (listed anew while it is recently
    modified)."""
    try:
        modified = folder.stat().st_mtime_ns
    except OSError:  # no folder
        return [], []
    listing: Callable[[str, int], tuple[list[str], list[str]]] = _mask_names  # listed once
    if time.time_ns() - modified < _MTIME_SETTLED_NS:  # a file added now may keep this mtime
        listing = _mask_names.__wrapped__
    return listing(str(folder), modified)


@functools.lru_cache(maxsize=64)
def _mask_names(folder: str, modified_ns: int) -> tuple[list[str], list[str]]:
    """The ``*udm*.tif`` names in any letter case (``*UDM*.TIF``, ``.tiff``: the scene listings
    leave such masks out) in ``folder`` as it was at ``modified_ns`` (its mtime: a file added or
    removed lists it again), sorted, with their keys (:func:`_key`). Globbed for each scene, a
    folder of 24,000 scenes without masks was listed twice per scene (the detector, the
    tracker): 26 ms each time."""
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if _MASK_NAME.fullmatch(e.name)]
    except OSError:
        return [], []
    pairs = sorted((_key(name), name) for name in names)
    return [key for key, _ in pairs], [name for _, name in pairs]


def _key(name: str) -> str:
    """A name as the mask lookups compare it: in lower case (a mask named ``…_3B_UDM2.TIF``
    was left out of the scenes, yet not found beside its scene by a lookup in lower case)."""
    return name.lower()


def _shared_start(a: str, b: str) -> int:
    """How many leading characters two names share."""
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def _is_udm2(path: Path, *, named: bool = True) -> bool:
    return _looks_like_mask(path, lambda udm: udm.count >= UDM2_MIN_BANDS, named=named)


@dataclass(frozen=True)
class CloudMask:
    """A Planet cloud mask beside a scene: ``udm2`` (8 bands, one class per pixel; from August
    2018) or ``udm``, the older one (one band of bit flags; all PlanetScope and RapidEye
    scenes before that)."""

    path: Path
    kind: str


def udm_candidates(path: Path) -> list[Path]:
    """Possible older-UDM files for a Planet scene: ``<id>_3B_AnalyticMS_DN_udm.tif`` for
    ``<id>_3B_AnalyticMS(_SR).tif``, ``<tile>_BGRN_DN_udm.tif`` for an ortho tile,
    ``<id>_udm.tif`` (RapidEye), and their ``_clip`` deliveries."""
    stem, base, tail = _planet_name_parts(path)
    names = [
        f"{base}_{product}_DN_udm{tail}.tif" for product in ("AnalyticMS", "BGRN", "Analytic")
    ] + [f"{base}_DN_udm{tail}.tif", f"{base}_udm{tail}.tif", f"{stem}_udm.tif"]
    return _beside(path, names)


def find_cloud_mask(path: Path) -> CloudMask | None:
    """The scene's UDM2 beside it, else its older UDM (one uint8 band), else None."""
    beside = MasksBeside(path.parent)
    udm2 = find_udm2(path, beside)
    if udm2 is not None:
        return CloudMask(udm2, "udm2")
    for candidate in map(beside.on_disk, udm_candidates(path)):
        if candidate is not None and candidate != path and _is_udm(candidate):
            return CloudMask(candidate, "udm")
    return None


def _is_udm(path: Path) -> bool:
    return _looks_like_mask(path, lambda udm: udm.count == 1)


def _looks_like_mask(
    path: Path, bands_fit: Callable[[rasterio.DatasetReader], bool], *, named: bool = True
) -> bool:
    """A georeferenced uint8 raster whose bands fit; a file without georeferencing is not a
    mask (and says so with no warning of rasterio's). A file ``named`` as the scene's mask
    (Planet's name for it, not one found by its prefix alone) that GDAL cannot open (a
    download cut short in its header, an error page saved as the mask) is one line naming it:
    it was no mask without a word, and the scene's clouds were read as clear ground by the
    detector and as seen ground by the tracker."""
    try:
        with open_mask(path) as udm:
            placed = udm.crs is not None and not udm.transform.is_identity
            return bands_fit(udm) and udm.dtypes[0] == "uint8" and placed
    except RasterioError as exc:
        if not named:
            return False
        raise InputError(
            path,
            f"is named as the scene's cloud mask but cannot be read ({innermost_line(exc)})",
            f"{FIX_CORRUPT}, or move it away to read the scene without a cloud mask",
        ) from None


def open_mask(path: str | Path) -> rasterio.DatasetReader:
    """Open a cloud mask; a damaged one's missing georeferencing is not a rasterio warning
    (a mask that cannot be placed hides nothing: its windows fall outside the scene)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return rasterio.open(path)


class CloudMaskReader:
    """A scene's cloud mask, opened at its first read: the pixels it hides in the scene's grid
    windows. Windows of the mask itself are kept in the scene's :class:`RecentReads`."""

    def __init__(self, mask: CloudMask, crs: CRS, recent: RecentReads) -> None:
        self.mask = mask
        self._crs = crs
        self._recent = recent
        self._udm: rasterio.DatasetReader | None = None

    def hidden(
        self, transform: Affine, width: int, height: int, *, keep: bool = False
    ) -> NDArray[np.bool_]:
        """Hidden pixels (cloud or shadow) of a grid window.

        UDM2: its shadow and cloud bands. The older UDM: its cloud bit and the bits of band
        data lost in downlink (its bit 0, not imaged, is the scene's own nodata). Pixels
        outside the mask (one that covers part of its scene) are hidden: not seen, as the
        tracker takes them (they were read as clear). The mask is brought to the grid by
        majority (mode) when coarser, else nearest. A window of the mask itself is read as
        is, and with ``keep`` kept for the next read of it.
        """
        udm = self._open()
        mask_path = str(self.mask.path)
        bands = [UDM2_SHADOW_BAND, UDM2_CLOUD_BAND] if self.mask.kind == "udm2" else [1]
        direct = file_window(udm, self._crs, transform, width, height)
        if direct is not None:
            key = ("cloud", *window_key(direct))
            kept = self._recent.take(key)
            if kept is not None:
                return np.asarray(kept)
            with file_read_errors(mask_path):
                flags = read_bands_padded(udm, bands, direct)
            cloud = self._hidden(flags) | _outside(udm, direct)
            if keep:
                self._recent.put(key, cloud, cloud.nbytes)
            return cloud
        coarser = abs(transform.a) > math.hypot(udm.transform.a, udm.transform.d) * (1 + 1e-6)
        resampling = Resampling.mode if coarser else Resampling.nearest
        with (
            file_read_errors(mask_path),
            WarpedVRT(
                udm,
                crs=self._crs,
                transform=transform,
                width=width,
                height=height,
                resampling=resampling,
                add_alpha=True,
            ) as vrt,
        ):
            flags = vrt.read([*bands, vrt.count])
        return self._hidden(flags[:-1]) | (flags[-1] == 0)

    def close(self) -> None:
        """Close the mask's file handle (a later read opens it again)."""
        if self._udm is not None:
            self._udm.close()
            self._udm = None

    def _hidden(self, flags: NDArray[Any]) -> NDArray[np.bool_]:
        """Hidden pixels from the bands that :meth:`hidden` read."""
        if self.mask.kind == "udm":
            return np.asarray((flags[0] & UDM_HIDDEN_BITS) > 0)
        return np.asarray((flags[0] > 0) | (flags[1] > 0))

    def _open(self) -> rasterio.DatasetReader:
        if self._udm is None:
            with file_read_errors(str(self.mask.path)):
                self._udm = open_mask(self.mask.path)
        return self._udm


def _outside(udm: rasterio.DatasetReader, window: Any) -> NDArray[np.bool_]:
    """Pixels of a window of the mask's own grid that lie past its edges."""
    rows = np.arange(int(window.row_off), int(window.row_off) + int(window.height))
    cols = np.arange(int(window.col_off), int(window.col_off) + int(window.width))
    inside = ((rows >= 0) & (rows < udm.height))[:, None] & ((cols >= 0) & (cols < udm.width))
    return np.asarray(~inside)


COVERED_SHARE = 0.999  # a mask over less of its scene's grid than this covers only part


def partial_cover(
    mask: CloudMask,
    crs: CRS,
    transform: Affine,
    width: int,
    height: int,
    valid: Callable[[], Any] | None = None,
) -> str | None:
    """The line to say where ``mask`` covers only part of its scene's grid (``crs``,
    ``transform``, ``width`` × ``height``): how much, that the rest is not seen, and the fix;
    None where it covers the scene. Where the grid's outline is not all covered, ``valid``
    (the scene's data as a polygon in ``crs``) is what must be: a scene warped to another
    CRS than its UDM2's has a nodata collar past the mask's edges, which hides nothing."""
    import shapely
    from rasterio.warp import transform_geom

    def outline(grid: Affine, cols: int, rows: int) -> shapely.Polygon:
        return shapely.Polygon(
            [grid @ corner for corner in ((0, 0), (cols, 0), (cols, rows), (0, rows))]
        )

    scene = outline(transform, width, height)
    with file_read_errors(str(mask.path)), open_mask(mask.path) as udm:
        own = outline(udm.transform, udm.width, udm.height)
        if udm.crs != crs:  # its edges, bent by the warp: a point per pixel of them
            step = math.hypot(udm.transform.a, udm.transform.d) or 1.0
            own = shapely.geometry.shape(
                transform_geom(udm.crs, crs, shapely.geometry.mapping(own.segmentize(step)))
            )
    share = scene.intersection(own).area / scene.area if scene.area else 1.0
    if share < COVERED_SHARE and valid is not None:
        data = valid()
        if not data.is_empty and data.area:
            share = data.intersection(own).area / data.area
    if share >= COVERED_SHARE:
        return None
    kind = "UDM2" if mask.kind == "udm2" else "UDM"
    return (
        f"its {kind} {mask.path.name} covers {min(share, 0.99):.0%} of it: the rest is taken as "
        "not seen, as under cloud (a tile wholly there is not searched, and no dredge there is "
        f"counted as gone) — put the scene's own whole {kind} beside it"
    )
