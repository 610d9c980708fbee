"""Stored values to the model's [0, 1]: what value a scene stores for reflectance 1.

Integers: 255 for 8-bit imagery (a display product, also when saved in a 16-bit file), else
10,000 (reflectance × 10,000, as Planet's surface reflectance products store it). Floating
point is told from a sample of its values (:func:`stored_full_scale`). Planet radiance
products are scaled band by band through their XML's coefficients (:mod:`detector.radiance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import rasterio
from numpy.typing import NDArray

from detector.inputspec import DISPLAY_WHITE_REFLECTANCE, REFLECTANCE_FULL_SCALE
from detector.window_reads import data_band_indexes, sample_values

EIGHT_BIT_WHITE = 255.0
REFLECTANCE_AT_MOST = 2.0  # a 99th percentile above this is not reflectance in 0–1
MAX_EIGHT_BIT_BANDS = 3  # wider integer files of at most this many bands may hold 8-bit RGB


def stored_full_scale(dataset: rasterio.DatasetReader) -> float:
    """The stored value of reflectance 1 (white, for 8-bit imagery) in ``dataset``.

    Integers: 255 for 8 bits or for wider integers of at most three bands whose sampled values
    are all at most 255 (8-bit RGB saved in a 16-bit file), else 10,000 (Planet, Sentinel-2
    and Landsat-style reflectance × 10,000). Floating point is told from its values, sampled
    in nine small windows (a coarse read of the whole scene when they hold no data): 1 when
    their 99th percentile is reflectance (at most 2), 255 when it is at most 255 (8-bit
    imagery saved as float), else 10,000 (reflectance × 10,000 saved as float, as Earth
    Engine exports of integer collections are). Reading such a scene as 0–1 reflectance
    clipped every pixel to white: nothing was detected and every river pixel counted as seen.
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
    values = _sample_values(dataset)
    if values.size == 0:
        return 1.0
    high = float(np.percentile(values, 99))
    if high <= REFLECTANCE_AT_MOST:
        return 1.0
    return EIGHT_BIT_WHITE if high <= EIGHT_BIT_WHITE else REFLECTANCE_FULL_SCALE


def _sample_values(dataset: rasterio.DatasetReader) -> NDArray[np.float64]:
    """Finite, positive values of the data bands (not nodata), sampled over the scene."""
    nodata = dataset.nodata

    def keep(values: NDArray[np.float64]) -> NDArray[np.bool_]:
        kept = np.isfinite(values) & (values > 0)
        return kept & (values != nodata) if nodata is not None else kept

    return sample_values(dataset, data_band_indexes(dataset), keep)


def normalise(
    raw: NDArray[Any], full_scale: float | Sequence[float], scale: str
) -> NDArray[np.float32]:
    """Stored values (bands × rows × cols) → float32 in [0, 1] as ``scale`` says (see
    :mod:`detector.inputspec`).

    ``full_scale`` is the stored value of reflectance 1, or of white for 8-bit imagery
    (:func:`stored_full_scale`), for all bands or band by band; 8-bit imagery is a display
    product whatever ``scale`` says.
    """
    per_band = np.atleast_1d(np.asarray(full_scale, dtype=np.float32))
    if scale == "display":
        per_band = np.where(
            per_band == EIGHT_BIT_WHITE, per_band, per_band * np.float32(DISPLAY_WHITE_REFLECTANCE)
        )
    out = raw.astype(np.float32)
    out /= per_band.reshape(-1, 1, 1)
    np.clip(out, 0.0, 1.0, out=out)
    return out
