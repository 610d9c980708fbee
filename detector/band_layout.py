"""Which band of a scene file is which, from the first of these that tells:

1. ``bands=`` (``--scene-bands``);
2. band descriptions in the header that name every band (``blue``, ``green``, ``red``,
   ``nir``, …, NICFI's ``B``, ``G``, ``R``, ``N``, as Earth Engine and QGIS exports write
   them, or Spanish ``azul``, ``verde``, ``rojo``, ``infrarrojo``);
3. a product name: Planet's (``…_AnalyticMS_SR.tif``, ``…_BGRN_SR.tif``) or Maxar's
   (``17AUG31162013-M2AS-…``, multispectral or pan-sharpened: 8 bands in WorldView-2/3's
   order, 4 BGRN, 3 RGB);
4. a NICFI basemap quad's Web Mercator 4.77 m grid: Planet's BGRN (or RGB for 3 bands);
5. descriptions and red/green/blue colour tags together, when they name every band;
6. the band count: 4 PlanetScope BGRN, 8 SuperDove, 3 RGB. A colour tag or description that
   contradicts it is an :class:`~detector.errors.InputError`, as is a count with no layout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import rasterio
from rasterio.enums import ColorInterp

from detector.acquisition import scene_file_name
from detector.errors import InputError
from detector.inputspec import BAND_NAMES, GSD_SNAP_TOLERANCE, repeated_bands
from detector.window_reads import (
    alpha_band_index,
    alpha_holds_data,
    data_band_indexes,
    mask_white,
)
from detector.wording import agree, count_of

PLANETSCOPE_BANDS = ("blue", "green", "red", "nir")
SUPERDOVE_BANDS = ("coastal_blue", "blue", "green_i", "green", "yellow", "red", "red_edge", "nir")
WORLDVIEW_BANDS = ("coastal_blue", "blue", "green", "yellow", "red", "red_edge", "nir", "nir2")
RGB_BANDS = ("red", "green", "blue")
NICFI_GSD_M = 4.77  # NICFI basemap quads: EPSG:3857 pixels of 4.77 m (Web Mercator units)
_PLANET_MULTISPECTRAL = re.compile(r"_(?:AnalyticMS|Analytic|BGRN)[_.]", re.IGNORECASE)
# Maxar: acquisition time, then the product: M (multispectral) or S (pan-sharpened), a level;
# at the start of the name, or after an archive's prefix (the Polar Geospatial Center's
# WV03_20240620145051_104001008A2B3C00_24JUN20145051-M2AS-…)
_MAXAR_COLOUR = re.compile(
    r"(?:^|_)\d{2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{8}-[MS]\d[A-Z]{2}",
    re.IGNORECASE,
)
MAXAR_LAYOUTS = {8: WORLDVIEW_BANDS, 4: PLANETSCOPE_BANDS, 3: RGB_BANDS}  # BGRN and RGB alike


def band_layout(
    path: str, dataset: rasterio.DatasetReader, bands: Sequence[str] | None
) -> tuple[str, tuple[str, ...], int | None]:
    """(sensor, band names in file order, 1-based alpha band or None)."""
    if alpha_holds_data(dataset):
        band = list(dataset.colorinterp).index(ColorInterp.alpha) + 1
        raise InputError(
            path,
            f"band {band} is tagged alpha but holds image values (GDAL tags the fourth band of a "
            "new 4-band 8-bit GeoTIFF alpha unless told otherwise)",
            "tag its bands as they are, e.g. for blue, green, red, near-infrared: "
            f"rio edit-info --colorinterp blue,green,red,undefined {path}",
        )
    alpha = alpha_band_index(dataset)
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
                f"{count_of(len(names), 'band name')} given for {count_of(data_count, 'band')}",
                "name every band of the file, in file order",
            )
        repeated = repeated_bands(names)
        if repeated:
            raise InputError(
                path,
                f"{agree(len(repeated), 'band name', 'band names')} {', '.join(repeated)} "
                f"given twice ({','.join(names)})",
                "name every band of the file once, in file order",
            )
        sensor = known[data_count][0] if data_count in known else "custom"
        return sensor, names, alpha
    product = _product_layout(scene_file_name(path), data_count, known)
    named = _described_bands(dataset)
    if _names_every_band(named):
        # A file that kept its Planet name after its bands were put in another order (R, G, B,
        # NIR) was read in Planet's: its red and blue swapped.
        if product is not None and product[1] == tuple(named):
            return *product, alpha
        return _by_names(named, known, data_count, alpha)
    if product is not None:
        return *product, alpha  # the product's name tells it, whatever the colour tags say
    if data_count in known and nicfi:
        return *known[data_count], alpha  # NICFI's grid tells it, whatever the tags say
    told = [name or tag for name, tag in zip(named, _tagged_bands(dataset), strict=True)]
    if _names_every_band(told):
        return _by_names(told, known, data_count, alpha)
    if data_count not in known:
        raise InputError(
            path,
            f"has {count_of(data_count, 'band')}; its band layout is unknown",
            unknown_layout_fix(path, data_count),
        )
    sensor, names = known[data_count]
    white = mask_white(dataset, 4) if data_count == 4 and alpha is None else None
    if white is not None:
        raise InputError(
            path,
            f"band 4 holds only 0 and {white:g}, like a mask, but is not tagged alpha; "
            f"a 4-band file is read as {','.join(names)}",
            "if it is an alpha mask, tag the bands as they are, e.g. "
            f"rio edit-info --colorinterp red,green,blue,alpha {path}",
        )
    for band, (marked, assumed) in enumerate(zip(told, names, strict=True), 1):
        if marked and marked != assumed:
            raise InputError(
                path,
                f"band {band} is marked {marked} in its header, but a {data_count}-band file is "
                f"read as {','.join(names)}",
                "name its bands in file order, e.g. --scene-bands red,green,blue,nir",
            )
    return sensor, names, alpha


# The band names an example for a file of N bands takes: the first N of these, in file order
# as BAND_NAMES has them (5: RapidEye's blue, green, red, red edge, near-infrared).
_EXAMPLE_PRIORITY = ("red", "nir", "green", "blue", "red_edge", "coastal_blue", "yellow", "nir2")


def unknown_layout_fix(path: str, count: int) -> str:
    """How to read a file of ``count`` image bands whose layout is unknown: ``--scene-bands``
    with an example of as many names (every file was told ``blue,green,red,nir``, which a
    file of 2 or 5 bands refuses in turn); a 1-band file is no colour image; past the
    :data:`~detector.inputspec.BAND_NAMES` there are, no ``--scene-bands`` names them all."""
    if count == 1:
        return (
            "a 1-band file (panchromatic, or one band) cannot be read as colour: give the "
            "multispectral scene, or name its band for a model of that band alone, e.g. "
            "--scene-bands nir"
        )
    if count > len(BAND_NAMES):
        return (
            f"no --scene-bands names {count} bands (there are {len(BAND_NAMES)} band names): "
            "write the bands the model reads to a file of their own, e.g. for Sentinel-2's "
            f"gdal_translate -b 2 -b 3 -b 4 -b 8 {path} bgrn.tif, and give that file"
        )
    example = ",".join(example_bands(count) or ())
    return f"name its bands in order, e.g. --scene-bands {example}"


def example_bands(count: int, *, maxar: bool = False) -> tuple[str, ...] | None:
    """``count`` band names for an example of ``--scene-bands``, in file order as
    :data:`~detector.inputspec.BAND_NAMES` has them; ``maxar``: Maxar's band names alone
    (:data:`WORLDVIEW_BANDS`; ``red,green,blue`` for 3). None where there are fewer names."""
    if maxar and count in MAXAR_LAYOUTS:
        return MAXAR_LAYOUTS[count]
    priority = _EXAMPLE_PRIORITY if maxar else (*_EXAMPLE_PRIORITY, "green_i")
    if not 0 < count <= len(priority):
        return None
    chosen = set(priority[:count])
    return tuple(name for name in BAND_NAMES if name in chosen)


def _product_layout(
    name: str, data_count: int, known: dict[int, tuple[str, tuple[str, ...]]]
) -> tuple[str, tuple[str, ...]] | None:
    """(sensor, bands) that a Planet or Maxar product name tells, else None."""
    if data_count in known and _PLANET_MULTISPECTRAL.search(name):
        return known[data_count]
    if data_count in MAXAR_LAYOUTS and is_maxar_product(name):
        # A WorldView-2/3 8-band file was read in SuperDove's order: its red edge as red.
        return "maxar", MAXAR_LAYOUTS[data_count]
    return None


def is_maxar_product(name: str) -> bool:
    """True for a Maxar multispectral or pan-sharpened product's file name (``…-M2AS-…``),
    also behind an archive's prefix (``WV03_…_104001008A2B3C00_24JUN20145051-M2AS-…``: it was
    read by its band count, a WorldView-3 product as SuperDove's bands and its digital numbers
    as reflectance × 10,000)."""
    return bool(_MAXAR_COLOUR.search(name))


def layout_caveat(
    dataset: rasterio.DatasetReader, bands: tuple[str, ...], given: bool, name: str = ""
) -> str | None:
    """A word for the scene's summary line when its header describes bands with names this
    reader does not know (``B1``, ``Band_4``, another language's) and the layout came from
    elsewhere (the band count, the product name): a wrong order would pass without a sign.
    Also for three bands under a Planet multispectral product's name ``name`` (a product of
    4 or 8 bands, cut to three): they may be red, green, blue or the product's own blue,
    green, red (read as red, green, blue without a word: a demo scene's blue, green, red gave
    26 detections, 21 dredges, where it gives 11, 3 of them dredges)."""
    if given:
        return None
    indexes = data_band_indexes(dataset)
    texts = [(dataset.descriptions[i - 1] or "").strip() for i in indexes]
    unknown = [text for text in texts if text and band_name(text) is None]
    cut = len(indexes) == 3 and bool(_PLANET_MULTISPECTRAL.search(name))
    if cut and not unknown and not _names_every_band(_described_bands(dataset)):
        return (
            f"3 bands under a Planet product's name (its products have 4 or 8): read as "
            f"{','.join(bands)}; if they kept the product's order, name them with "
            "--scene-bands blue,green,red"
        )
    if not unknown:
        return None
    return (
        f"band descriptions {', '.join(texts)} name bands this tool does not know: read as "
        f"{','.join(bands)}; if that is not their order, name them with --scene-bands"
    )


def _names_every_band(told: Sequence[str | None]) -> bool:
    return all(told) and len(set(told)) == len(told)


def _by_names(
    told: Sequence[str | None],
    known: dict[int, tuple[str, tuple[str, ...]]],
    data_count: int,
    alpha: int | None,
) -> tuple[str, tuple[str, ...], int | None]:
    """The layout the header names; the sensor's own name when it is that sensor's layout."""
    names = tuple(name for name in told if name)
    if data_count in known and known[data_count][1] == names:
        return *known[data_count], alpha
    return "custom", names, alpha  # the header names every band: it knows best


def _name_key(text: str) -> str:
    """``text`` in lower case with each run of spaces, hyphens and underscores one ``_``: a
    description ``Near_Infrared`` was not known (``near infrared`` and ``near-infrared``
    were), so a Planet scene in R, G, B, NIR order so described was read as BGRN by its name."""
    return re.sub(r"[\s\-_]+", "_", text.strip().lower())


_DESCRIBED_NAMES = {
    **{name: name for name in BAND_NAMES},
    "near infrared": "nir",
    "near-infrared": "nir",
    "nearinfrared": "nir",
    "rededge": "red_edge",
    "red edge": "red_edge",
    "b": "blue",  # Planet's NICFI basemaps in Earth Engine: bands B, G, R, N
    "g": "green",
    "r": "red",
    "n": "nir",
    "azul": "blue",  # a QGIS en español, or an analyst's own names
    "verde": "green",
    "rojo": "red",
    "amarillo": "yellow",
    "infrarrojo": "nir",
    "infrarrojo cercano": "nir",
    "borde rojo": "red_edge",
    "azul costero": "coastal_blue",
}
_NAME_KEYS = {_name_key(text): name for text, name in _DESCRIBED_NAMES.items()}
_TAGGED_NAMES = {ColorInterp.red: "red", ColorInterp.green: "green", ColorInterp.blue: "blue"}


def _described_bands(dataset: rasterio.DatasetReader) -> list[str | None]:
    """Each data band's description when it is a band name (``blue`` … ``nir``, or NICFI's
    ``B``, ``G``, ``R``, ``N``, as Earth Engine and QGIS exports write them), else None."""
    texts = [dataset.descriptions[index - 1] or "" for index in data_band_indexes(dataset)]
    return [band_name(text) for text in texts]


def band_name(description: str) -> str | None:
    """The band a description names (any case; spaces, hyphens or underscores alike:
    ``Coastal Blue``, ``green-i``, ``Red_Edge``), else None."""
    return _NAME_KEYS.get(_name_key(description))


def _tagged_bands(dataset: rasterio.DatasetReader) -> list[str | None]:
    """Each data band's colour interpretation when it is red, green or blue, else None."""
    return [_TAGGED_NAMES.get(dataset.colorinterp[i - 1]) for i in data_band_indexes(dataset)]


def _looks_like_nicfi(dataset: rasterio.DatasetReader) -> bool:
    epsg = dataset.crs.to_epsg() if dataset.crs else None
    res = abs(dataset.transform.a)
    return epsg == 3857 and abs(res - NICFI_GSD_M) / NICFI_GSD_M < GSD_SNAP_TOLERANCE


def rgb_view(bands: Sequence[str]) -> list[int]:
    """Where red, green and blue are among ``bands`` (a model's, in its order), for a picture
    for people: their indexes where all three are named, else the first three bands, else the
    first band three times (grey). Figures took the first three as red, green and blue: a
    model reading Planet's BGRN order showed blue as red."""
    named = list(bands)
    if all(band in named for band in RGB_BANDS):
        return [named.index(band) for band in RGB_BANDS]
    return [0, 1, 2] if len(named) >= 3 else [0, 0, 0]
