"""Windowed reads of a scene's grid: plain when the grid window is already a window of the
file, else through a small warped VRT (:func:`warped_window`).

A scene read at its own GSD (within :data:`detector.inputspec.GSD_SNAP_TOLERANCE`), north up, is
read straight from the file: no warped VRT to build for every window, which costs more than the
read itself. A window that reaches past the file's edge is padded with zeros and marked not
valid, as a warped read would. A floating-point scene whose nodata tag is not NaN is warped
from a VRT in which that value reads as NaN (:func:`nodata_as_nan`): NaN and the tag's value are
no data at every GSD, as at its own. In a floating-point scene with an alpha band, NaN under
alpha 255 is no data as well; the tiler's quick look warps it from a VRT in which alpha 0 reads
as NaN (:func:`alpha_as_nan`).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import NDArray
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, MaskFlags, Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

PIXEL_TOLERANCE = 1e-6  # how far (in pixels) an origin may be from a pixel corner


class RecentReads:
    """Windows just read for the tiler's look at them, kept for the read of the same tile.

    GDAL does not keep the decompressed blocks of a pixel-interleaved GeoTIFF between two reads
    of all its bands, so the tiler's validity look and the detector's read would decompress
    every tile twice. The tiler plans a whole scene before the detector reads it; the oldest
    entries go first once ``budget_bytes`` is used, so a huge scene re-reads instead of
    filling memory. An entry is handed out once.
    """

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._items: OrderedDict[tuple[Any, ...], tuple[Any, int]] = OrderedDict()
        self._bytes = 0

    def put(self, key: tuple[Any, ...], value: Any, nbytes: int) -> None:
        """Keep ``value`` (``nbytes`` large) under ``key``, dropping the oldest past the budget."""
        if nbytes > self.budget_bytes:
            return
        self.take(key)
        self._items[key] = (value, nbytes)
        self._bytes += nbytes
        while self._bytes > self.budget_bytes:
            _, (_, dropped) = self._items.popitem(last=False)
            self._bytes -= dropped

    def clear(self) -> None:
        """Forget every window kept."""
        self._items.clear()
        self._bytes = 0

    def take(self, key: tuple[Any, ...]) -> Any | None:
        """The value kept under ``key`` (then forgotten), or None."""
        item = self._items.pop(key, None)
        if item is None:
            return None
        self._bytes -= item[1]
        return item[0]


def window_key(window: Window) -> tuple[int, int, int, int]:
    return int(window.col_off), int(window.row_off), int(window.width), int(window.height)


def file_window(
    dataset: rasterio.DatasetReader, crs: CRS, transform: Affine, width: int, height: int
) -> Window | None:
    """The window of ``dataset`` that a grid window is, or None when it needs resampling.

    It is one when the CRS is the same, both transforms are north up without rotation, the
    pixel sizes are equal and the window's origin falls on a corner of the file's pixels.
    """
    own = dataset.transform
    if dataset.crs != crs or own.b or own.d or transform.b or transform.d:
        return None
    if own.a <= 0 or own.e >= 0:
        return None
    if not (
        math.isclose(transform.a, own.a, rel_tol=1e-9)
        and math.isclose(transform.e, own.e, rel_tol=1e-9)
    ):
        return None
    col = (transform.c - own.c) / own.a
    row = (transform.f - own.f) / own.e
    if abs(col - round(col)) > PIXEL_TOLERANCE or abs(row - round(row)) > PIXEL_TOLERANCE:
        return None
    return Window(round(col), round(row), width, height)


def read_padded(
    dataset: rasterio.DatasetReader, indexes: list[int], window: Window
) -> tuple[NDArray[np.generic], NDArray[np.bool_]]:
    """Bands ``indexes`` of ``window`` and where it has data; zero and False past the edges.

    Where there is data: the alpha band when the file has one, else the pixels where any of
    the bands read differs from nodata, else the file's own mask (everything inside it when it
    has none). GDAL's ``dataset_mask`` says the same but takes four times longer than the read.
    """
    data = read_bands_padded(dataset, indexes, window)
    valid = np.zeros(data.shape[1:], dtype=bool)
    inner = _inside_file(dataset, window)
    if inner is not None:
        rows, cols = _slices(window, inner)
        valid[rows, cols] = _has_data(dataset, inner, data[:, rows, cols])
    return data, valid


def data_band_indexes(dataset: rasterio.DatasetReader) -> list[int]:
    """1-based indexes of the bands that are not alpha."""
    alpha = alpha_band_index(dataset)
    return [i for i in range(1, dataset.count + 1) if i != alpha]


def alpha_band_index(dataset: rasterio.DatasetReader) -> int | None:
    """The 1-based alpha band: the band tagged alpha, else one described ``alpha`` (Earth
    Engine writes band names, not tags: NICFI basemaps come as ``B, G, R, N, alpha``)."""
    interp = list(dataset.colorinterp)
    if ColorInterp.alpha in interp:
        return interp.index(ColorInterp.alpha) + 1
    described = [(text or "").strip().lower() for text in dataset.descriptions]
    return described.index("alpha") + 1 if "alpha" in described else None


SAMPLE_PX = 64  # side of each of the 3 × 3 windows that header checks sample values in
SAMPLE_WHOLE_PX = 512  # long side of the coarse whole-scene read when the windows hold no data
ALPHA_MIXED_ABOVE = 0.25  # a tagged alpha band with more values between its extremes is data
EIGHT_BIT_MASK_WHITE = 255.0  # an 8-bit mask's white, also when saved in a wider type


def sample_values(
    dataset: rasterio.DatasetReader,
    bands: list[int],
    keep: Callable[[NDArray[np.float64]], NDArray[np.bool_]] | None = None,
) -> NDArray[np.float64]:
    """Values of ``bands`` in 3 × 3 windows of :data:`SAMPLE_PX` over the scene, the ones that
    ``keep(values)`` (a boolean mask) keeps; when the windows keep none (a clip of a small area
    in a large frame of no data), a coarse read of the whole scene instead."""
    size_c, size_r = min(SAMPLE_PX, dataset.width), min(SAMPLE_PX, dataset.height)
    samples = []
    for fy in (0.25, 0.5, 0.75):
        for fx in (0.25, 0.5, 0.75):
            col = min(int(dataset.width * fx), dataset.width - size_c)
            row = min(int(dataset.height * fy), dataset.height - size_r)
            block = dataset.read(bands, window=Window(col, row, size_c, size_r))
            samples.append(np.asarray(block, dtype=np.float64).ravel())
    values = np.concatenate(samples)
    kept = values[keep(values)] if keep is not None else values
    if kept.size or max(dataset.width, dataset.height) <= SAMPLE_PX:
        return kept
    factor = max(dataset.width, dataset.height) / SAMPLE_WHOLE_PX
    rows, cols = max(1, round(dataset.height / factor)), max(1, round(dataset.width / factor))
    shape = (len(bands), rows, cols)
    whole = np.asarray(dataset.read(bands, out_shape=shape), dtype=np.float64).ravel()
    return whole[keep(whole)] if keep is not None else whole


def alpha_holds_data(dataset: rasterio.DatasetReader) -> bool:
    """True when a band tagged alpha holds image values, not a mask: GDAL tags the fourth band
    of any new 4-band 8-bit GeoTIFF alpha unless told otherwise, so a blue, green, red,
    near-infrared file saved as 8 bits comes with its near-infrared band tagged alpha (read as
    one, its three other bands were read as red, green, blue: 38 detections instead of 12)."""
    if not alpha_is_tagged(dataset):
        return False
    band = list(dataset.colorinterp).index(ColorInterp.alpha) + 1
    values = sample_values(dataset, [band])
    if values.size == 0:
        return False
    low, high = values.min(), values.max()
    between = (values > low) & (values < high)
    return bool(between.mean() > ALPHA_MIXED_ABOVE)


def mask_white(dataset: rasterio.DatasetReader, band: int) -> float | None:
    """The value other than 0 when ``band`` holds nothing but 0 and one white, as a validity
    mask does, else None: its type's white (255, 65535 or 1), or 255 in a wider type (an 8-bit
    mask widened with its image, ``gdal_merge.py -ot UInt16`` of an RGBA Visual product). An
    RGBA file whose alpha lost its tag (a 4-band GeoTIFF written as MINISBLACK) was read as
    blue, green, red, near-infrared, its red and blue swapped; in 16 bits, also as reflectance
    × 10,000 (near black), without a word."""
    kind = np.dtype(dataset.dtypes[band - 1])
    white = 1.0 if np.issubdtype(kind, np.floating) else float(np.iinfo(kind).max)
    values = set(np.unique(sample_values(dataset, [band])).tolist())
    for candidate in dict.fromkeys((white, EIGHT_BIT_MASK_WHITE)):
        if candidate in values and values <= {0.0, candidate}:
            return candidate
    return None


def alpha_is_tagged(dataset: rasterio.DatasetReader) -> bool:
    """True when the alpha band is tagged as one (GDAL's warper then knows it by itself)."""
    return ColorInterp.alpha in dataset.colorinterp


def mask_needs_bands(dataset: rasterio.DatasetReader) -> bool:
    """True when validity comes from the values (the bands must be read to know it): a nodata
    value, or NaN in floating-point bands (exports that leave masked pixels NaN without
    saying so in the header), with an alpha band too (:func:`nan_under_alpha`)."""
    if alpha_band_index(dataset) is not None:
        return nan_under_alpha(dataset)
    return MaskFlags.nodata in dataset.mask_flag_enums[0] or (
        is_floating(dataset) and MaskFlags.all_valid in dataset.mask_flag_enums[0]
    )


def nan_under_alpha(dataset: rasterio.DatasetReader) -> bool:
    """True when a scene with an alpha band is floating point: a pixel that is NaN in every
    band is no data under alpha 255 too (:func:`_has_data`), where GDAL takes the alpha alone
    (the tiler's quick look called a scene 75 % valid whose read found 60 %)."""
    return alpha_band_index(dataset) is not None and is_floating(dataset)


def is_floating(dataset: rasterio.DatasetReader) -> bool:
    """True when the scene's bands are floating point (and may hold NaN)."""
    return bool(np.issubdtype(np.dtype(dataset.dtypes[0]), np.floating))


def holds_two_nodata(dataset: rasterio.DatasetReader) -> bool:
    """True when a floating-point scene without an alpha band has a nodata tag other than NaN
    (a profile copied with ``nodata=0``): its masked pixels may be NaN as well, and both are
    no data (:func:`_has_data`), but GDAL's warper takes one nodata value per band."""
    nodata = dataset.nodata
    return (
        alpha_band_index(dataset) is None
        and is_floating(dataset)
        and nodata is not None
        and not math.isnan(nodata)
    )


def nodata_as_nan(dataset: rasterio.DatasetReader) -> rasterio.DatasetReader:
    """A VRT of ``dataset`` (:func:`holds_two_nodata`) in which its nodata value reads as NaN and
    NaN is the nodata, for the warper: warped with the tag alone, NaN was data, spread through
    resampling, and the tiler's quick look took a NaN border for ground (100 % of a scene 72 %
    valid). The caller closes it."""
    source = escape(dataset.files[0] if dataset.files else dataset.name)
    nodata = repr(float(dataset.nodata))
    bands = "".join(
        f'<VRTRasterBand dataType="{dataset.dtypes[band - 1].capitalize()}" band="{band}">'
        "<NoDataValue>nan</NoDataValue><ComplexSource>"
        f'<SourceFilename relativeToVRT="0">{source}</SourceFilename>'
        f"<SourceBand>{band}</SourceBand><NODATA>{nodata}</NODATA></ComplexSource>"
        "</VRTRasterBand>"
        for band in range(1, dataset.count + 1)
    )
    return rasterio.open(_vrt_document(dataset, bands))


def alpha_as_nan(dataset: rasterio.DatasetReader, alpha_band: int) -> rasterio.DatasetReader:
    """A VRT of the bands of ``dataset`` other than ``alpha_band`` in which a pixel under alpha
    0 (or below) reads as NaN, for the warper (:func:`nan_under_alpha`): GDAL's warper takes a
    source's alpha band or its NaN as no data, never both. Each band is the sum of the band and
    of the alpha through a table that gives NaN for 0 and 0 above. The caller closes it."""
    name = escape(dataset.files[0] if dataset.files else dataset.name)
    source = f'<SourceFilename relativeToVRT="0">{name}</SourceFilename>'
    alpha = (
        f"<ComplexSource>{source}<SourceBand>{alpha_band}</SourceBand>"
        "<LUT>0:nan,1e-30:0</LUT></ComplexSource>"
    )
    bands = "".join(
        f'<VRTRasterBand dataType="{dataset.dtypes[band - 1].capitalize()}" band="{number}" '
        'subClass="VRTDerivedRasterBand"><PixelFunctionType>sum</PixelFunctionType>'
        "<SourceTransferType>Float64</SourceTransferType>"
        f"<SimpleSource>{source}<SourceBand>{band}</SourceBand></SimpleSource>{alpha}"
        "</VRTRasterBand>"
        for number, band in enumerate(
            (b for b in range(1, dataset.count + 1) if b != alpha_band), 1
        )
    )
    return rasterio.open(_vrt_document(dataset, bands))


def _vrt_document(dataset: rasterio.DatasetReader, bands: str) -> str:
    """A VRT on the grid of ``dataset`` holding ``bands`` (VRTRasterBand elements)."""
    geotransform = ", ".join(repr(v) for v in dataset.transform.to_gdal())
    return (
        f'<VRTDataset rasterXSize="{dataset.width}" rasterYSize="{dataset.height}">'
        f"<SRS>{escape(dataset.crs.to_wkt())}</SRS><GeoTransform>{geotransform}</GeoTransform>"
        f"{bands}</VRTDataset>"
    )


def warped_window(
    dataset: rasterio.DatasetReader,
    crs: CRS,
    transform: Affine,
    width: int,
    height: int,
    resampling: Resampling,
    alpha_band: int | None,
) -> WarpedVRT:
    """A WarpedVRT of the scene on a small grid; its last band is the validity alpha.

    ``alpha_band``: the scene's band that holds its alpha, if any (from its band layout).
    """
    options: dict[str, Any] = {}
    if alpha_band is None:
        options["add_alpha"] = True
        if dataset.nodata is None and is_floating(dataset):
            options["src_nodata"] = math.nan  # NaN is no data, and is not resampled in
    elif not alpha_is_tagged(dataset):  # described "alpha": the warper is told
        options.update(src_alpha=alpha_band, add_alpha=True)
    return WarpedVRT(
        dataset,
        crs=crs,
        transform=transform,
        width=width,
        height=height,
        resampling=resampling,
        **options,
    )


def vrt_alpha_index(vrt: WarpedVRT) -> int:
    """The 1-based band of a warped VRT (:func:`warped_window`) that holds its validity: the
    last band tagged alpha, the source's own where it has one (an alpha band first stays
    first: its last band, blue or near-infrared, was taken for it, and a valid pixel of 0
    there for no data)."""
    tagged = [i for i, kind in enumerate(vrt.colorinterp, 1) if kind == ColorInterp.alpha]
    return tagged[-1] if tagged else vrt.count


def read_mask_padded(dataset: rasterio.DatasetReader, window: Window) -> NDArray[np.bool_]:
    """Where ``window`` has data (see :func:`read_padded`; nodata is checked on every band)."""
    valid = np.zeros((int(window.height), int(window.width)), dtype=bool)
    inner = _inside_file(dataset, window)
    if inner is not None:
        rows, cols = _slices(window, inner)
        valid[rows, cols] = _has_data(dataset, inner, None)
    return valid


def read_bands_padded(
    dataset: rasterio.DatasetReader, indexes: list[int], window: Window
) -> NDArray[np.generic]:
    """Bands ``indexes`` of ``window``, zero past the file's edges."""
    height, width = int(window.height), int(window.width)
    data = np.zeros((len(indexes), height, width), dtype=dataset.dtypes[indexes[0] - 1])
    inner = _inside_file(dataset, window)
    if inner is not None:
        rows, cols = _slices(window, inner)
        data[:, rows, cols] = dataset.read(indexes, window=inner)
    return data


def _has_data(
    dataset: rasterio.DatasetReader, inner: Window, raw: NDArray[np.generic] | None
) -> NDArray[np.bool_]:
    alpha = alpha_band_index(dataset)
    if alpha is not None:
        has = dataset.read(alpha, window=inner) > 0
        if nan_under_alpha(dataset):  # NaN in every band is no data under alpha 255 too
            if raw is None:
                raw = dataset.read(data_band_indexes(dataset), window=inner)
            has &= ~np.isnan(raw).all(axis=0)
        return np.asarray(has)
    flags = dataset.mask_flag_enums[0]
    if mask_needs_bands(dataset):
        if raw is None:
            raw = dataset.read(data_band_indexes(dataset), window=inner)
        nodata = dataset.nodata
        if not is_floating(dataset):
            return np.asarray((raw != nodata).any(axis=0))
        has = ~np.isnan(raw).all(axis=0)  # as GDAL's warper sees NaN nodata; a pixel with a
        # NaN in one band the model reads is dropped after the read (Scene.read_window)
        if nodata is not None and not math.isnan(nodata):
            has &= (raw != nodata).any(axis=0)
        return np.asarray(has)
    if MaskFlags.all_valid in flags:
        return np.ones((int(inner.height), int(inner.width)), dtype=bool)
    return np.asarray(dataset.read_masks(1, window=inner) > 0)


def _inside_file(dataset: rasterio.DatasetReader, window: Window) -> Window | None:
    col0 = max(0, int(window.col_off))
    row0 = max(0, int(window.row_off))
    col1 = min(dataset.width, int(window.col_off + window.width))
    row1 = min(dataset.height, int(window.row_off + window.height))
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def _slices(window: Window, inner: Window) -> tuple[slice, slice]:
    row = int(inner.row_off - window.row_off)
    col = int(inner.col_off - window.col_off)
    return slice(row, row + int(inner.height)), slice(col, col + int(inner.width))
