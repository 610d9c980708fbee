"""Which band of a scene file is which: by its Planet product name, its header, or its count.

Planet's products (``…_AnalyticMS_SR.tif``, ``…_BGRN_SR.tif``, and NICFI basemap quads, told by
their Web Mercator 4.77 m grid) have Planet's layouts whatever their header says. Other files:
the band names in the header (descriptions ``blue``, ``green``, ``red``, ``nir``, … as Earth
Engine and QGIS write them, or colour tags) when they name every band; else the layout told by
the band count (4: PlanetScope BGRN, 8: SuperDove, 3: RGB). Colour tags that contradict the
layout told by the count are an :class:`~detector.errors.InputError`, as is a count with no
known layout; ``bands=`` (``--scene-bands``) overrides all of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import rasterio
from rasterio.enums import ColorInterp

from detector.acquisition import scene_file_name
from detector.errors import InputError
from detector.inputspec import BAND_NAMES, GSD_SNAP_TOLERANCE
from detector.window_reads import data_band_indexes

PLANETSCOPE_BANDS = ("blue", "green", "red", "nir")
SUPERDOVE_BANDS = (
    "coastal_blue",
    "blue",
    "green_i",
    "green",
    "yellow",
    "red",
    "red_edge",
    "nir",
)
RGB_BANDS = ("red", "green", "blue")
NICFI_GSD_M = 4.77  # NICFI basemap quads: EPSG:3857 pixels of 4.77 m (Web Mercator units)
_PLANET_MULTISPECTRAL = re.compile(r"_(?:AnalyticMS|Analytic|BGRN)[_.]", re.IGNORECASE)


def band_layout(
    path: str, dataset: rasterio.DatasetReader, bands: Sequence[str] | None
) -> tuple[str, tuple[str, ...], int | None]:
    """(sensor, band names in file order, 1-based alpha band or None)."""
    interp = list(dataset.colorinterp)
    alpha = interp.index(ColorInterp.alpha) + 1 if ColorInterp.alpha in interp else None
    data_count = dataset.count - (1 if alpha else 0)
    nicfi = _looks_like_nicfi(dataset)
    known = {
        8: ("superdove", SUPERDOVE_BANDS),
        4: ("nicfi" if nicfi else "planetscope", PLANETSCOPE_BANDS),
        3: ("nicfi" if nicfi else "rgb", RGB_BANDS),
    }
    if bands is not None:
        names = tuple(band.lower() for band in bands)
        if len(names) != data_count:
            raise InputError(
                path,
                f"{len(names)} band names given for {data_count} bands",
                "name every band of the file, in file order",
            )
        sensor = known[data_count][0] if data_count in known else "custom"
        return sensor, names, alpha
    planet = bool(_PLANET_MULTISPECTRAL.search(scene_file_name(path))) or nicfi
    if data_count in known and planet:
        return *known[data_count], alpha  # Planet's name or grid tells it, whatever the tags say
    told = _header_band_names(dataset)
    if all(told) and len(set(told)) == len(told):
        names = tuple(name for name in told if name)
        if data_count in known and known[data_count][1] == names:
            return *known[data_count], alpha
        return "custom", names, alpha  # the header names every band: it knows best
    if data_count not in known:
        raise InputError(
            path,
            f"has {data_count} bands; its band layout is unknown",
            "name its bands in order, e.g. --scene-bands blue,green,red,nir",
        )
    sensor, names = known[data_count]
    for band, (marked, assumed) in enumerate(zip(told, names, strict=True), 1):
        if marked and marked != assumed:
            raise InputError(
                path,
                f"band {band} is marked {marked} in its header, but a {data_count}-band file is "
                f"read as {','.join(names)}",
                "name its bands in file order, e.g. --scene-bands red,green,blue,nir",
            )
    return sensor, names, alpha


_HEADER_NAMES = {
    **{name: name for name in BAND_NAMES},
    "near infrared": "nir",
    "near-infrared": "nir",
    "nearinfrared": "nir",
    "rededge": "red_edge",
    "red edge": "red_edge",
}
_INTERP_NAMES = {ColorInterp.red: "red", ColorInterp.green: "green", ColorInterp.blue: "blue"}


def _header_band_names(dataset: rasterio.DatasetReader) -> list[str | None]:
    """What the header says each data band is: its colour interpretation (red, green, blue) or
    its description when that is a band name (``blue`` … ``nir``, as Earth Engine and QGIS
    exports write them); None where it says nothing known."""
    told: list[str | None] = []
    for index in data_band_indexes(dataset):
        interp = _INTERP_NAMES.get(dataset.colorinterp[index - 1])
        description = (dataset.descriptions[index - 1] or "").strip().lower()
        told.append(interp or _HEADER_NAMES.get(description))
    return told


def _looks_like_nicfi(dataset: rasterio.DatasetReader) -> bool:
    epsg = dataset.crs.to_epsg() if dataset.crs else None
    res = abs(dataset.transform.a)
    return epsg == 3857 and abs(res - NICFI_GSD_M) / NICFI_GSD_M < GSD_SNAP_TOLERANCE
