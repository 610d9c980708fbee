"""Scene reader: acquisition time, sensor and band layout, and windowed reads at a model's GSD.

A :class:`Scene` wraps one GeoTIFF (a local path or any URL GDAL reads). Opening it reads only
the header. Pixels are read window by window, so a 30,000 × 30,000 px scene is never loaded
whole: straight from the file when the scene is north up and already within
:data:`~detector.inputspec.GSD_SNAP_TOLERANCE` of the requested ground sampling distance,
else through a WarpedVRT that brings it there (average when downsampling, bilinear when
upsampling). Its pixel grids: :mod:`detector.grid`.

Opening (:func:`open_scene`) checks the file first (:mod:`detector.scene_checks`; read errors
become one line, :mod:`detector.read_errors`), then works out:

- its acquisition time: :mod:`detector.acquisition` (and the summary line's word when that date
  may be wrong, :mod:`detector.date_caveats`);
- its band layout: :mod:`detector.band_layout` (PlanetScope 4-band BGRN, SuperDove 8-band, NICFI
  basemap quads, 3-band RGB, or the band names in the header); ``bands=`` overrides the layout;
- how stored values become [0, 1]: :mod:`detector.scaling` and, for Planet radiance and Maxar's
  digital numbers, :mod:`detector.radiance` and :mod:`detector.maxar_radiometry`;
- its cloud mask, Planet's UDM2 or older UDM beside it: :mod:`detector.cloud_masks`.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window
from shapely import Polygon, box

from detector.acquisition import (
    Acquisition,
    is_remote,
    resolve_acquisition,
    scene_file_name,
    scene_stem,
)
from detector.band_layout import band_layout, layout_caveat
from detector.cloud_masks import CloudMask, CloudMaskReader, find_cloud_mask, partial_cover
from detector.date_caveats import date_caveat
from detector.errors import InputError
from detector.grid import Grid, crs_units_per_metre, snap_pixel_size
from detector.inputspec import InputSpec
from detector.maxar_radiometry import maxar_calibration
from detector.radiance import Calibration, radiance_coefficients
from detector.read_errors import FIX_CORRUPT, READ_ERRORS, file_read_errors, innermost_line
from detector.remote_reads import network_open_error, use_http_time_limits
from detector.scaling import (
    EIGHT_BIT_WHITE,
    check_real_values,
    header_calibration,
    normalise,
    stored_full_scale,
    values_read_as,
)
from detector.scene_checks import check_complete, check_georeferenced
from detector.window_reads import (
    RecentReads,
    alpha_as_nan,
    data_band_indexes,
    file_window,
    holds_two_nodata,
    is_floating,
    mask_needs_bands,
    nodata_as_nan,
    read_mask_padded,
    read_padded,
    vrt_alpha_index,
    warped_window,
    window_key,
)

GDAL_CACHE_MB = 256  # GDAL's block cache; its default (5 % of RAM) can pass 1 GB on its own
RECENT_READS_MB = 64  # windows the tiler looked at, kept for the detector's read of them
VALID_LOOK_PIXELS = 1024  # the data outline looked at where a cloud mask covers part of a scene


@dataclass(frozen=True)
class WindowData:
    """Pixels of one window: normalised data and the masks that say which pixels to trust."""

    data: NDArray[np.float32]  # (bands, rows, cols), in [0, 1]; 0 where not valid
    valid: NDArray[np.bool_]  # (rows, cols): the scene has data there
    clear: NDArray[np.bool_]  # (rows, cols): valid and not cloud or shadow (UDM2)
    bands: tuple[str, ...]
    crs: CRS
    transform: Affine


class Scene:
    """An open scene: header facts, acquisition time, band layout and windowed reads."""

    def __init__(
        self,
        path: str,
        dataset: rasterio.DatasetReader,
        *,
        sensor: str,
        bands: tuple[str, ...],
        alpha_band: int | None,
        acquisition: Acquisition,
        cloud_mask: CloudMask | None,
        name: str | None = None,
        calibration: Calibration | None = None,
        layout_caveat: str | None = None,
    ) -> None:
        self.path = path
        self.name = name or scene_file_name(path)
        """The scene's file name, or its label among scenes that share one."""
        self._dataset = dataset
        self._warp_source: rasterio.DatasetReader | None = None  # see _vrt
        self._look_source: rasterio.DatasetReader | None = None  # see _look_vrt
        self.crs: CRS = dataset.crs
        self.transform: Affine = dataset.transform
        self.width: int = dataset.width
        self.height: int = dataset.height
        self.nodata: float | None = dataset.nodata
        self.full_scale: float = stored_full_scale(dataset)
        """The stored value of reflectance 1 (of white for 8-bit imagery): 10,000, 255 or 1."""
        self.calibration = calibration
        """Per-band reflectance coefficients (and offsets) where the file's type does not tell
        them: Planet radiance (:mod:`detector.radiance`), Maxar products
        (:mod:`detector.maxar_radiometry`), a header's scale and offset
        (:func:`detector.scaling.header_calibration`)."""
        coefficients = calibration.coefficients if calibration is not None else {}
        self.band_full_scale: dict[int, float] = {b: 1.0 / c for b, c in coefficients.items()}
        """Per band (1-based), where it differs from ``full_scale``: see ``calibration``."""
        self.band_offset: dict[int, float] = calibration.offsets if calibration else {}
        """Reflectance added per band after the division (a header's offset)."""
        self.sensor = sensor
        self.bands = bands
        self.layout_caveat = layout_caveat
        """A word for the summary line when the header's band names were not understood."""
        self.alpha_band = alpha_band
        self.acquisition = acquisition
        self.cloud_mask = cloud_mask
        """Planet's UDM2 (or older UDM) beside the scene, if any."""
        self._recent = RecentReads(RECENT_READS_MB << 20)
        self._mask_reader = (
            CloudMaskReader(cloud_mask, self.crs, self._recent) if cloud_mask is not None else None
        )
        self._units_per_metre = crs_units_per_metre(self.crs, *self._centre())

    # --- facts -------------------------------------------------------------------------------

    @property
    def eight_bit(self) -> bool:
        """True when the values are 8-bit imagery (a display product, no reflectance), as
        reading takes them: as a header's calibration says (8-bit values × 256 with scale
        1/256), else from the stored full scale."""
        if self.calibration is not None:
            return self.calibration.eight_bit
        return self.full_scale == EIGHT_BIT_WHITE

    @property
    def values_read_as(self) -> str | None:
        """How stored values were read where the file's type alone does not tell it (floating
        point, Planet radiance, Maxar digital numbers, 8-bit values in a wider integer type), for
        the scene's summary line; None for integer reflectance and 8-bit imagery."""
        return values_read_as(self._dataset, self.full_scale, self.calibration)

    @property
    def date_caveat(self) -> str | None:
        """A word for the scene's summary line when its date came from ``TIFFTAG_DATETIME``, a
        tag that many programs set to when they wrote the file (an export, a clip): the
        scene would be counted in that year without a sign; or when a date given (``--date``,
        ``--dates``, a STAC item's) is another day than the scene's own metadata or name
        says; or when its name gives a range of days (an image of a time range, dated by its
        first day); or when a date tag before the first satellite image (1970:01:01 00:00:00,
        a default for none) was passed over. None otherwise."""
        return date_caveat(self.path, self.acquisition)

    @functools.cached_property
    def mask_caveat(self) -> str | None:
        """A word for the scene's summary line when its cloud mask covers only part of its data
        (the rest is hidden: :func:`detector.cloud_masks.partial_cover`); None otherwise (a
        scene warped to another CRS than its mask's: the collar past its edges is nodata)."""
        mask = self.cloud_mask
        if mask is None:
            return None
        from detector.observed import _valid_area

        def valid() -> object:  # read only where the mask leaves part of the grid out
            with self._reading():
                return _valid_area(self._dataset, VALID_LOOK_PIXELS)[0]

        return partial_cover(mask, self.crs, self.transform, self.width, self.height, valid)

    @property
    def acquired(self) -> datetime | None:
        """Acquisition time in UTC, or None when no source told it."""
        return self.acquisition.time

    @property
    def stem(self) -> str:
        """File name without its extension."""
        return scene_stem(self.name)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Envelope of the scene in its CRS: (left, bottom, right, top)."""
        corners = [self.transform @ (c, r) for c in (0, self.width) for r in (0, self.height)]
        xs = [x for x, _ in corners]
        ys = [y for _, y in corners]
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def footprint(self) -> Polygon:
        """The scene's outline in its CRS (its envelope; nodata inside it is found per window)."""
        return box(*self.bounds)

    @property
    def native_gsd_m(self) -> float:
        """Ground size of one pixel in metres (mean of x and y, at the scene's centre)."""
        res_x, res_y = self._native_res()
        ux, uy = self._units_per_metre
        return (res_x / ux + res_y / uy) / 2

    def band_index(self, band: str) -> int:
        """1-based index in the file of a named band (the alpha band, wherever it is, has no
        name: an alpha band first was read as red, red as green); InputError when the scene
        lacks it."""
        if band not in self.bands:
            raise InputError(
                self.path,
                f"has no {band} band (its bands: {', '.join(self.bands)})",
                "name the file's bands in order with --scene-bands, or use bands it has (dredge "
                "tiles: --bands; else a model trained on them)",
            )
        return data_band_indexes(self._dataset)[self.bands.index(band)]

    def require_acquired(self) -> datetime:
        """The acquisition time, or an InputError that says how to give it."""
        if self.acquired is None:
            over = self.acquisition.passed_over  # 1970:01:01 00:00:00: a default for none
            raise InputError(
                self.path,
                "acquisition date unknown (no Planet metadata, no date in the name or tags"
                + (f"; {over.words})" if over else ")"),
                "give the scenes' dates with --dates, a CSV of scene,date (or, for one scene, "
                "--date YYYY-MM-DD to `dredge detect`)",
            )
        return self.acquired

    # --- grids -------------------------------------------------------------------------------

    def grid(self, gsd_m: float) -> Grid:
        """The scene's grid brought to ``gsd_m`` metres: same CRS and origin, north up.

        A scene within :data:`~detector.inputspec.GSD_SNAP_TOLERANCE` of the target keeps its own
        pixel size, so it is read without resampling.
        """
        native_x, native_y = self._native_res()
        ux, uy = self._units_per_metre
        res_x = snap_pixel_size(gsd_m * ux, native_x)
        res_y = snap_pixel_size(gsd_m * uy, native_y)
        left, bottom, right, top = self.bounds
        width = max(1, math.ceil((right - left) / res_x - 1e-6))
        height = max(1, math.ceil((top - bottom) / res_y - 1e-6))
        return Grid(self.crs, Affine(res_x, 0.0, left, 0.0, -res_y, top), width, height)

    def resampling_for(self, grid: Grid) -> Resampling:
        """Average when the grid is coarser than the scene, bilinear when finer, else nearest
        (its own pixels, read as they are); bilinear too for a rotated scene at its own pixel
        size, whose pixels the north-up grid's do not fall on (nearest dropped some and
        doubled others: a one-pixel dredge could vanish)."""
        native_x, _ = self._native_res()
        ratio = grid.transform.a / native_x
        if ratio > 1 + 1e-6:
            return Resampling.average
        if ratio < 1 - 1e-6 or self.transform.b or self.transform.d:
            return Resampling.bilinear
        return Resampling.nearest

    # --- reads -------------------------------------------------------------------------------

    def read_window(self, window: Window, spec: InputSpec, grid: Grid | None = None) -> WindowData:
        """Read one window of ``grid`` (default: the scene at ``spec.gsd_m``) in the spec's bands.

        The window may reach past the grid's edge; pixels there are returned as not valid.
        """
        grid = grid or self.grid(spec.gsd_m)
        indexes = [self.band_index(band) for band in spec.bands]
        transform = grid.window_transform(window)
        width, height = int(window.width), int(window.height)
        raw, valid = self._read(indexes, transform, width, height, self.resampling_for(grid))
        full_scale = [self.band_full_scale.get(i, self.full_scale) for i in indexes]
        offsets = [self.band_offset.get(i, 0.0) for i in indexes]
        eight_bit = self.calibration.eight_bit if self.calibration is not None else None
        data = normalise(raw, full_scale, spec.scale, offsets, eight_bit)
        if is_floating(self._dataset):
            valid &= ~np.isnan(data).any(axis=0)  # NaN left by a warp or in a band not read
        data[:, ~valid] = 0.0
        clear = valid & ~self._cloud(transform, width, height)
        return WindowData(data, valid, clear, spec.bands, self.crs, transform)

    def read_validity(
        self, window: Window, grid: Grid, *, factor: int = 8
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Cheap look at a window: (valid, clear) masks at the window's resolution.

        A window of the file itself is read as is. Otherwise validity is computed on a grid
        ``factor`` times coarser (a coarse pixel is valid when any scene pixel under it is) and
        repeated back to full size; a window of a rotated scene that this finds empty is looked
        at again at full size. The cloud mask is read at full size: UDM2 files are small.
        """
        width, height = int(window.width), int(window.height)
        coarse_w, coarse_h = math.ceil(width / factor), math.ceil(height / factor)
        transform = grid.window_transform(window)
        direct = file_window(self._dataset, self.crs, transform, width, height)
        if direct is not None:
            with self._reading():
                if mask_needs_bands(self._dataset):
                    bands = read_padded(self._dataset, data_band_indexes(self._dataset), direct)
                    self._recent.put(window_key(direct), bands, bands[0].nbytes)
                    valid = bands[1]
                else:
                    valid = read_mask_padded(self._dataset, direct)
        else:
            coarse = transform @ Affine.scale(factor)
            with self._reading(), self._look_vrt(coarse, coarse_w, coarse_h) as vrt:
                coarse_valid = vrt.read(vrt_alpha_index(vrt)) > 0
            valid = np.repeat(np.repeat(coarse_valid, factor, axis=0), factor, axis=1)
            valid = valid[:height, :width]
            if not valid.any() and (self.transform.b or self.transform.d):
                # GDAL's coarse warp of a rotated grid misses data that lies in a corner of a
                # window: its read at full size has data there
                with self._reading(), self._look_vrt(transform, width, height) as vrt:
                    valid = vrt.read(vrt_alpha_index(vrt)) > 0
        clear = valid & ~self._cloud(transform, width, height, keep=True)
        return valid, clear

    # --- lifetime ----------------------------------------------------------------------------

    def forget_reads(self) -> None:
        """Drop the windows kept for the detector's reads (all tiles have been read)."""
        self._recent.clear()

    def close(self) -> None:
        """Close the scene's file handles."""
        for source in (self._warp_source, self._look_source):
            if source is not None and source is not self._dataset:
                source.close()
        self._dataset.close()
        if self._mask_reader is not None:
            self._mask_reader.close()

    def __enter__(self) -> Scene:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        when = self.acquired.isoformat() if self.acquired else "unknown date"
        return (
            f"Scene({self.name!r}, {self.sensor}, {'/'.join(self.bands)}, {self.width}×"
            f"{self.height} px at {self.native_gsd_m:.2f} m, {self.crs}, {when})"
        )

    # --- internals ---------------------------------------------------------------------------

    def _centre(self) -> tuple[float, float]:
        x, y = self.transform @ (self.width / 2, self.height / 2)
        return float(x), float(y)

    def _native_res(self) -> tuple[float, float]:
        t = self.transform
        return math.hypot(t.a, t.d), math.hypot(t.b, t.e)

    def _read(
        self,
        indexes: list[int],
        transform: Affine,
        width: int,
        height: int,
        resampling: Resampling,
    ) -> tuple[NDArray[Any], NDArray[np.bool_]]:
        """Raw bands and validity of a grid window: straight from the file when it is a window
        of the file (:mod:`detector.window_reads`), else through a warped VRT."""
        direct = file_window(self._dataset, self.crs, transform, width, height)
        with self._reading():
            if direct is not None:
                everything = data_band_indexes(self._dataset)
                kept = self._recent.take(window_key(direct))
                if not set(indexes) <= set(everything):  # a band the header also calls alpha
                    everything, kept = sorted(set(everything) | set(indexes)), None
                raw, valid = kept or read_padded(self._dataset, everything, direct)
                return raw[[everything.index(i) for i in indexes]], valid
            with self._vrt(transform, width, height, resampling) as vrt:
                return vrt.read(indexes), vrt.read(vrt_alpha_index(vrt)) > 0

    def _vrt(self, transform: Affine, width: int, height: int, resampling: Resampling) -> WarpedVRT:
        """A WarpedVRT of the scene on a small grid; its last band is the validity alpha.

        A floating-point scene whose nodata tag is not NaN is warped from a VRT that reads its
        nodata value as NaN (:func:`~detector.window_reads.nodata_as_nan`), opened once: both
        are no data at every GSD, as at its own."""
        if self._warp_source is None:
            two = holds_two_nodata(self._dataset)
            self._warp_source = nodata_as_nan(self._dataset) if two else self._dataset
        return warped_window(
            self._warp_source, self.crs, transform, width, height, resampling, self.alpha_band
        )

    def _look_vrt(self, transform: Affine, width: int, height: int) -> WarpedVRT:
        """The warped VRT of :meth:`_vrt` for the quick look (:meth:`read_validity`), averaged;
        for a floating-point scene with an alpha band, warped from a VRT in which alpha 0 reads
        as NaN (:func:`~detector.window_reads.alpha_as_nan`): NaN under alpha 255 is no data to
        the look as to the read (the warper took the alpha alone: 75 % valid for 60 %)."""
        if self.alpha_band is None or not is_floating(self._dataset):
            return self._vrt(transform, width, height, Resampling.average)
        if self._look_source is None:
            self._look_source = alpha_as_nan(self._dataset, self.alpha_band)
        return warped_window(
            self._look_source, self.crs, transform, width, height, Resampling.average, None
        )

    @property
    def udm2_path(self) -> str | None:
        """The UDM2 file beside the scene, if that is its cloud mask."""
        mask = self.cloud_mask
        return str(mask.path) if mask is not None and mask.kind == "udm2" else None

    def _cloud(
        self, transform: Affine, width: int, height: int, *, keep: bool = False
    ) -> NDArray[np.bool_]:
        """Hidden pixels (cloud or shadow) from the scene's cloud mask (all False without one):
        :meth:`detector.cloud_masks.CloudMaskReader.hidden`."""
        if self._mask_reader is None:
            return np.zeros((height, width), dtype=bool)
        return self._mask_reader.hidden(transform, width, height, keep=keep)

    def _reading(self) -> AbstractContextManager[None]:
        """Turn GDAL read failures into one clear InputError naming the scene (read over the
        network, one that says so)."""
        return file_read_errors(self.path, remote=is_remote(self.path))


# --- opening ---------------------------------------------------------------------------------


def open_scene(
    path_or_url: str | Path,
    *,
    date: datetime | date | str | None = None,
    bands: Sequence[str] | None = None,
    name: str | None = None,
) -> Scene:
    """Open a GeoTIFF scene (header only) and work out its time, sensor and band layout.

    ``date`` overrides the acquisition time found in the scene; ``bands`` names the file's
    bands in order (e.g. ``("blue", "green", "red", "nir")``) when the layout is not one this
    reader knows; ``name`` replaces the file name as the scene's name (a label from
    :func:`detector.acquisition.scene_labels` where scenes share a file name). Raises
    :class:`InputError` for a missing, unreadable or ungeoreferenced file.
    """
    path = str(path_or_url)
    remote = is_remote(path)
    if not remote and not Path(path).exists():
        fix = "check the path or the folder given"
        if "\\" in path:  # a list written on Windows, read here
            fix = "write paths with / (this one has Windows backslashes)"
        raise InputError(path, "file not found", fix)
    if remote:
        use_http_time_limits()  # else a server that stops answering holds the read for ever
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            dataset = rasterio.open(path)
    except READ_ERRORS as exc:
        if remote:
            raise network_open_error(path, innermost_line(exc)) from None
        raise InputError(
            path, f"is not a readable raster ({innermost_line(exc)})", FIX_CORRUPT
        ) from None
    try:
        if not remote:
            check_complete(path, dataset)
        check_georeferenced(path, dataset)
        check_real_values(path, dataset)
        sensor, layout, alpha = band_layout(path, dataset, bands)
        acquisition = resolve_acquisition(path, dataset, explicit=date)
        mask = None if remote else find_cloud_mask(Path(path))
        calibration = (
            radiance_coefficients(path, dataset, remote=remote)
            or maxar_calibration(path, dataset, layout, remote=remote, acquired=acquisition.time)
            or header_calibration(dataset)
        )
        return Scene(
            path,
            dataset,
            sensor=sensor,
            bands=layout,
            alpha_band=alpha,
            acquisition=acquisition,
            cloud_mask=mask,
            name=name,
            calibration=calibration,
            layout_caveat=layout_caveat(
                dataset, layout, given=bands is not None, name=scene_file_name(path)
            ),
        )
    except READ_ERRORS as exc:
        dataset.close()
        raise InputError(
            path, f"has a header that cannot be used ({innermost_line(exc)})", FIX_CORRUPT
        ) from None
    except BaseException:
        dataset.close()
        raise


def reading_env(**options: Any) -> rasterio.Env:
    """A rasterio environment for batch reads: GDAL's block cache capped at GDAL_CACHE_MB."""
    return rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB, **options)
