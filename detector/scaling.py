"""Stored values to the model's [0, 1]: what value a scene stores for reflectance 1.

Integers: 255 for 8-bit imagery (a display product, also when saved in a 16-bit file), else
10,000 (reflectance × 10,000, as Planet's surface reflectance products store it). Floating
point is told from a sample of its values (:func:`stored_full_scale`). A scale and offset in
the header are applied (:func:`header_calibration`). Planet radiance products are scaled band
by band through their XML's coefficients (:mod:`detector.radiance`), Maxar's digital numbers
through their IMD (:mod:`detector.maxar_radiometry`). Complex values (radar) are refused
(:func:`check_real_values`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import rasterio
from numpy.typing import NDArray

from detector.errors import InputError
from detector.inputspec import DISPLAY_WHITE_REFLECTANCE, REFLECTANCE_FULL_SCALE
from detector.radiance import Calibration
from detector.window_reads import data_band_indexes, is_floating, sample_values

EIGHT_BIT_WHITE = 255.0
PERCENT_FULL_SCALE = 100.0  # reflectance in percent (0–100)
REFLECTANCE_AT_MOST = 2.0  # a 99th percentile above this is not reflectance in 0–1
PERCENT_AT_MOST = 100.0  # a 99th percentile above this is not reflectance in percent
FRACTIONAL_SHARE = 0.5  # more values than this off whole numbers: not 8-bit values
MAX_EIGHT_BIT_BANDS = 3  # wider integer files of at most this many bands may hold 8-bit RGB


def check_real_values(path: str, dataset: rasterio.DatasetReader) -> None:
    """InputError for a scene of complex values (radar in its sensor's geometry of phase and
    amplitude, a Sentinel-1 SLC): of four bands it stopped the batch on a traceback
    (``Invalid integer data type 'c'``), of fewer its real parts were read as 8-bit values
    without a word, and complex_int16 stopped on ``data type not understood``."""
    dtype = str(dataset.dtypes[0])
    if dtype.startswith("complex"):
        raise InputError(
            path,
            f"holds complex values ({dtype}: radar, such as a Sentinel-1 SLC), not an image "
            "of reflectance or colour",
            "give optical scenes: reflectance or 8-bit colour (PlanetScope, Sentinel-2, "
            "Maxar, RGB exports)",
        )


def stored_full_scale(dataset: rasterio.DatasetReader) -> float:
    """The stored value of reflectance 1 (white, for 8-bit imagery) in ``dataset``.

    Integers: 255 for 8 bits or for wider integers of at most three bands whose sampled values
    are all at most 255 (8-bit RGB saved in a 16-bit file), else 10,000 (Planet, Sentinel-2
    and Landsat-style reflectance × 10,000). Floating point is told from its values, sampled
    in nine small windows (a coarse read of the whole scene when they hold no data): 1 when
    their 99th percentile is reflectance (at most 2), 100 when it is at most 100 and most
    values are not whole numbers in more than three bands (reflectance in percent), 255 when
    it is at most 255 (8-bit imagery saved as float), else 10,000 (reflectance × 10,000
    saved as float, as Earth Engine exports of integer collections are). Reading such
    a scene as 0–1 reflectance clipped every pixel to white: nothing was detected and every
    river pixel counted as seen; reflectance in percent read as 8-bit values was 8.5 times too
    dark in display scaling (3 demo scenes gave 51 boats and no dredge for 20 dredges and 17
    boats).
    """
    dtype = np.dtype(dataset.dtypes[0])
    if dtype == np.uint8:
        return EIGHT_BIT_WHITE
    if not np.issubdtype(dtype, np.floating):
        # A 16-bit file of 8-bit values (gdal_merge -ot UInt16, a composite of a Visual
        # product's red, green and blue) read as reflectance × 10,000 was near black: no
        # dredge was found. Real reflectance × 10,000 has values above 255 (vegetation, cloud,
        # a dredge's roof); a file with a near-infrared band (4 bands or more) is left as
        # reflectance, for a clip of dark water alone can stay under 255 in every band.
        if len(data_band_indexes(dataset)) > MAX_EIGHT_BIT_BANDS:
            return REFLECTANCE_FULL_SCALE
        values = _sample_values(dataset)
        if values.size and float(values.max()) <= EIGHT_BIT_WHITE:
            return EIGHT_BIT_WHITE
        return REFLECTANCE_FULL_SCALE
    return _full_scale_of(_sample_values(dataset), len(data_band_indexes(dataset)))


def _full_scale_of(values: NDArray[np.float64], bands: int) -> float:
    """1, 100, 255 or 10,000: what reflectance 1 is, told from values sampled in ``bands``
    bands (see above). Percent needs more than three bands (a near-infrared band says
    reflectance): a file of three bands or fewer in that range is read as 8-bit RGB, as
    8-bit RGB averaged or resampled into fractions is."""
    if values.size == 0:
        return 1.0
    high = float(np.percentile(values, 99))
    if high <= REFLECTANCE_AT_MOST:
        return 1.0
    # percent only with a band beyond red, green and blue (multispectral, which 8-bit
    # imagery rarely is): a dark 8-bit RGB warped into float (fractions, 99th percentile and
    # sampled maximum under 100, brighter pixels outside the nine windows) was read as
    # percent, 2.55 times too bright, and gave 4 false dredges on a demo scene
    if high <= PERCENT_AT_MOST and bands > MAX_EIGHT_BIT_BANDS:
        fractional = np.abs(values - np.round(values)) > 1e-3
        if float(fractional.mean()) > FRACTIONAL_SHARE:
            return PERCENT_FULL_SCALE
    return EIGHT_BIT_WHITE if high <= EIGHT_BIT_WHITE else REFLECTANCE_FULL_SCALE


def values_kind(full_scale: float) -> str:
    """What values of this full scale are, for people: ``reflectance 0–1``, …"""
    kinds = {
        1.0: "reflectance 0–1",
        PERCENT_FULL_SCALE: "reflectance in percent (0–100)",
        EIGHT_BIT_WHITE: "8-bit values (0–255)",
    }
    return kinds.get(full_scale, "reflectance × 10,000")


def values_read_as(
    dataset: rasterio.DatasetReader, full_scale: float, calibration: Calibration | None
) -> str | None:
    """How stored values were read where the file's type alone does not tell it, for the
    scene's summary line (:attr:`detector.scene.Scene.values_read_as`)."""
    if calibration is not None:
        return calibration.read_as
    if not is_floating(dataset):
        dtype = dataset.dtypes[0]
        if full_scale == EIGHT_BIT_WHITE and dtype != "uint8":
            return f"{dtype} values read as 8-bit (0–255): none sampled was above 255"
        return None
    return f"float values read as {values_kind(full_scale)}"


def header_calibration(dataset: rasterio.DatasetReader) -> Calibration | None:
    """Reflectance from the scale and offset that the header gives its bands (GDAL's band
    scale and offset, as ``gdal_translate -a_scale -a_offset`` writes them: a Sentinel-2 L2A
    product of processing baseline 04.00 stores reflectance × 10,000 + 1,000 with offset
    −0.1, Landsat Collection 2 reflectance with scale 2.75e-5 and offset −0.2); None when
    they change nothing (scale 1, offset 0, or the scale of reflectance × 10,000 that such a
    file is read with anyway). The scaled values are taken as reflectance 0–1, 8-bit values
    or reflectance × 10,000 as their sample says, as for floating point."""
    bands = data_band_indexes(dataset)
    scales = {b: float(dataset.scales[b - 1]) for b in bands}
    offsets = {b: float(dataset.offsets[b - 1]) for b in bands}
    if not all(np.isfinite(v) and v > 0 for v in scales.values()):
        return None  # a scale of 0 or NaN is no scale
    if not all(np.isfinite(v) for v in offsets.values()) or not any(offsets.values()):
        offsets = dict.fromkeys(bands, 0.0)
        if all(v == 1.0 for v in scales.values()):
            return None
        full = stored_full_scale(dataset)
        if all(abs(v * full - 1.0) < 1e-9 for v in scales.values()):
            return None  # reflectance × 10,000 told as such
    scaled = [_sample_values(dataset, [b]) * scales[b] + offsets[b] for b in bands]
    unit = _full_scale_of(np.concatenate(scaled), len(bands))
    told = ", ".join(sorted({f"× {scales[b]:g} {offsets[b]:+g}" for b in bands}))
    return Calibration(
        {b: scales[b] / unit for b in bands},
        f"values read with the header's scale and offset ({told}) as {values_kind(unit)}",
        {b: offsets[b] / unit for b in bands},
        eight_bit=unit == EIGHT_BIT_WHITE,
    )


def _sample_values(
    dataset: rasterio.DatasetReader, bands: list[int] | None = None
) -> NDArray[np.float64]:
    """Finite, positive values (not nodata) of ``bands`` (default: the data bands), sampled
    over the scene."""
    nodata = dataset.nodata

    def keep(values: NDArray[np.float64]) -> NDArray[np.bool_]:
        kept = np.isfinite(values) & (values > 0)
        return kept & (values != nodata) if nodata is not None else kept

    return sample_values(dataset, bands or data_band_indexes(dataset), keep)


def normalise(
    raw: NDArray[Any],
    full_scale: float | Sequence[float],
    scale: str,
    offsets: Sequence[float] | None = None,
    eight_bit: bool | None = None,
) -> NDArray[np.float32]:
    """Stored values (bands × rows × cols) → float32 in [0, 1] as ``scale`` says (see
    :mod:`detector.inputspec`).

    ``full_scale`` is the stored value of reflectance 1, or of white for 8-bit imagery
    (:func:`stored_full_scale`), for all bands or band by band; ``offsets`` (reflectance, band
    by band) are added after the division (a header's offset, :func:`header_calibration`).
    8-bit imagery is a display product whatever ``scale`` says; ``eight_bit`` tells it where
    ``full_scale`` does not (a header's scale: 8-bit values × 256 with scale 1/256 were
    stretched again, as reflectance, 3.3 times too bright), else a full scale of 255 does.
    """
    per_band = np.atleast_1d(np.asarray(full_scale, dtype=np.float32))
    white = np.ones_like(per_band)
    if scale == "display":
        eight = (
            per_band == EIGHT_BIT_WHITE if eight_bit is None else np.full(per_band.shape, eight_bit)
        )
        white = np.where(eight, white, np.float32(DISPLAY_WHITE_REFLECTANCE))
    out = raw.astype(np.float32)
    out /= (per_band * white).reshape(-1, 1, 1)
    if offsets is not None and any(offsets):
        out += (np.asarray(offsets, dtype=np.float32) / white).reshape(-1, 1, 1)
    np.clip(out, 0.0, 1.0, out=out)
    return out
