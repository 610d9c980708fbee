"""Maxar's 16-bit products: top-of-atmosphere reflectance from the product's IMD or XML.

A WorldView-2/3, GeoEye-1 or QuickBird product of more than 8 bits per pixel
(``…-M2AS-…``, ``…-S2AS-…``) stores the sensor's digital numbers, not reflectance × 10,000 as
Planet's surface reflectance does; read as reflectance × 10,000, a river scene is two to four
times too dark. The product's ``.IMD`` (or ``.XML``) gives each band's ``absCalFactor`` and
``effectiveBandwidth`` and the sun's elevation, from which Maxar's radiometric use note
(ABSRADCAL_FLEET_2016v0) gives reflectance:

    radiance = DN × absCalFactor / effectiveBandwidth          (W m⁻² sr⁻¹ µm⁻¹)
    reflectance = radiance × π × d² / (ESUN × sin(sun elevation))

with ``d`` the Earth–Sun distance in astronomical units on the acquisition date (1 AU, said on
the summary line, for a scene without one) and ``ESUN``
the band's solar irradiance (Thuillier 2003, as tabled by Maxar). Maxar's per-band gain and
offset adjustments (a few per cent) are left out. 8-bit products (display products, dynamic
range adjusted) and floating-point files are left as they are read otherwise.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import rasterio

from detector.acquisition import scene_file_name, sidecar_candidates, to_utc
from detector.band_layout import WORLDVIEW_BANDS, example_bands, is_maxar_product
from detector.errors import InputError
from detector.file_identity import file_identity
from detector.radiance import Calibration
from detector.sidecars import metadata_text, metadata_xml
from detector.window_reads import data_band_indexes
from detector.wording import agree, count_of

# Band group of the IMD for each band name of this project.
IMD_BANDS = {
    "coastal_blue": "BAND_C",
    "blue": "BAND_B",
    "green": "BAND_G",
    "yellow": "BAND_Y",
    "red": "BAND_R",
    "red_edge": "BAND_RE",
    "nir": "BAND_N",
    "nir2": "BAND_N2",
}
# Thuillier 2003 solar irradiance (W m⁻² µm⁻¹) per satellite and IMD band group.
SOLAR_IRRADIANCE = {
    "WV03": {
        "BAND_C": 1757.89,
        "BAND_B": 2004.61,
        "BAND_G": 1830.18,
        "BAND_Y": 1712.07,
        "BAND_R": 1535.33,
        "BAND_RE": 1348.08,
        "BAND_N": 1055.94,
        "BAND_N2": 858.77,
    },
    "WV02": {
        "BAND_C": 1773.81,
        "BAND_B": 2007.27,
        "BAND_G": 1829.62,
        "BAND_Y": 1701.85,
        "BAND_R": 1538.85,
        "BAND_RE": 1346.09,
        "BAND_N": 1053.21,
        "BAND_N2": 856.599,
    },
    "GE01": {"BAND_B": 1993.18, "BAND_G": 1828.83, "BAND_R": 1491.49, "BAND_N": 1022.58},
    "QB02": {"BAND_B": 1949.59, "BAND_G": 1823.64, "BAND_R": 1553.78, "BAND_N": 1102.85},
}
FALLBACK_SATELLITE = "WV03"  # a satellite without a table here (WV04, Legion) takes WorldView-3's
FIX_MAXAR = (
    "put the product's .IMD or .XML (from the same delivery) beside it; a file you turned into "
    "reflectance × 10,000 yourself needs a name without Maxar's product part (-M2AS-)"
)
UNDATED_DISTANCE = (
    "no acquisition date, so the Earth–Sun distance is taken as 1 AU: reflectance within "
    "3.4 % (give the date with --date or --dates)"
)
FIX_MAXAR_URL = (
    "download the product with its .IMD or .XML (from the same delivery) into one folder and "
    "give the file"
)


@dataclass(frozen=True)
class MaxarMetadata:
    """What the reflectance needs from a product's IMD or XML."""

    source: Path
    satellite: str | None
    sun_elevation: float | None
    acquired: datetime | None
    bands: dict[str, tuple[float, float]]  # IMD band group → (absCalFactor, effectiveBandwidth)


def maxar_calibration(
    path: str,
    dataset: rasterio.DatasetReader,
    band_names: tuple[str, ...],
    *,
    remote: bool,
    acquired: datetime | None = None,
) -> Calibration | None:
    """The per-band reflectance coefficients of a Maxar product of more than 8 bits per pixel,
    None for other scenes; InputError when its IMD/XML is missing, lacks a band or the sun's
    elevation or has one out of range, when a band's name is not one of Maxar's
    (:data:`IMD_BANDS`), and for a URL (no IMD/XML is read over the network)."""
    name = scene_file_name(path)
    dtype = np.dtype(dataset.dtypes[0])
    if not is_maxar_product(name) or dtype == np.uint8 or not np.issubdtype(dtype, np.integer):
        return None
    if remote:  # a URL's neighbours are not looked for: it said no IMD lay beside it
        raise InputError(
            path,
            f"is a Maxar product of {dtype} digital numbers read by URL; the .IMD or .XML that "
            "gives the absCalFactor that turns them into reflectance is not read over the network",
            FIX_MAXAR_URL,
        )
    tried = product_metadata_files(Path(path))
    if not tried:
        raise InputError(
            path,
            f"is a Maxar product of {dtype} digital numbers, and no .IMD or .XML beside it "
            "gives the absCalFactor that turns them into reflectance",
            FIX_MAXAR,
        )
    indexes = data_band_indexes(dataset)
    named = zip(indexes, band_names, strict=True)
    groups = {band: IMD_BANDS.get(band_name) for band, band_name in named}
    foreign = [(b, name) for b, name in zip(indexes, band_names, strict=True) if not groups[b]]
    if foreign:  # it said the IMD had no absCalFactor for that band
        numbers = ", ".join(str(band) for band, _ in foreign)
        names = ", ".join(name for _, name in foreign)
        raise InputError(
            path,
            f"is a Maxar product, and {agree(len(foreign), 'its band', 'its bands')} {numbers} "
            f"{agree(len(foreign), 'is', 'are')} named {names}, not "
            f"{agree(len(foreign), 'a Maxar band name', 'Maxar band names')} "
            f"({', '.join(IMD_BANDS)})",
            _maxar_names_fix(path, len(indexes)),
        )
    metadata = _calibrating(tried, {g for g in groups.values() if g})
    if metadata is None:  # the first IMD of the product was used, a complete XML beside it not
        lacking = [
            (found.source.name, [str(b) for b, group in groups.items() if group not in found.bands])
            for found in tried
        ]
        (first, missing), others = lacking[0], lacking[1:]
        nor = "".join(
            f", nor {name} for {agree(len(bands), 'band', 'bands')} {', '.join(bands)}"
            for name, bands in others
        )
        raise InputError(
            path,
            f"is a Maxar product, and {first} has no absCalFactor and effectiveBandwidth for "
            f"{agree(len(missing), 'band', 'bands')} {', '.join(missing)} of its "
            f"{count_of(len(indexes), 'band')}{nor}",
            FIX_MAXAR,
        )
    if metadata.sun_elevation is None:
        raise InputError(
            path, f"is a Maxar product, and {metadata.source.name} has no meanSunEl", FIX_MAXAR
        )
    if not 0 < metadata.sun_elevation <= 90:  # it said "has no meanSunEl" of one it has
        raise InputError(
            path,
            f"is a Maxar product, and {metadata.source.name}'s meanSunEl, "
            f"{metadata.sun_elevation:g}°, is out of range: the sun's elevation is above 0 and "
            "at most 90°",
            "put the product's own .IMD or .XML (from the same delivery) beside it",
        )
    satellite = metadata.satellite if metadata.satellite in SOLAR_IRRADIANCE else None
    irradiance = SOLAR_IRRADIANCE[satellite or FALLBACK_SATELLITE]
    when = metadata.acquired or acquired
    # undated (`dredge tiles` takes such scenes): the mean distance, 1 AU, within 3.4 % of
    # any day's d² (it was 2000-01-01's, 0.983 AU, 6.5 % low in July, without a word)
    distance = earth_sun_distance_au(when) if when is not None else 1.0
    sine = math.sin(math.radians(metadata.sun_elevation))
    coefficients: dict[int, float] = {}
    for band, group in groups.items():
        assert group is not None  # every group is in metadata.bands (checked above)
        abs_cal, bandwidth = metadata.bands[group]
        esun = irradiance.get(group) or SOLAR_IRRADIANCE[FALLBACK_SATELLITE][group]
        coefficients[band] = abs_cal / bandwidth * math.pi * distance**2 / (esun * sine)
    told = metadata.satellite or "satellite not named"
    if satellite is None:
        told += f", solar irradiance of {FALLBACK_SATELLITE}"
    return Calibration(
        coefficients,
        f"Maxar digital numbers read as top-of-atmosphere reflectance ({told}; "
        f"{metadata.source.name}'s absCalFactor, sun elevation {metadata.sun_elevation:g}°"
        + ("" if when is not None else f"; {UNDATED_DISTANCE}")
        + ")",
    )


def _maxar_names_fix(path: str, count: int) -> str:
    """How to name a Maxar product's ``count`` bands: an example of as many of Maxar's band
    names (a file of 2, 5 or 6 bands was told four, ``blue,green,red,nir``, which it refuses
    in turn); past Maxar's 8 names, no ``--scene-bands`` of them names every band."""
    example = example_bands(count, maxar=True)
    if example is None:
        kept = " ".join(f"-b {band}" for band in range(1, len(WORLDVIEW_BANDS) + 1))
        return (
            f"no --scene-bands of Maxar's {len(WORLDVIEW_BANDS)} band names names {count} "
            f"bands: write {len(WORLDVIEW_BANDS)} of them to a file of the same name in another "
            f"folder, e.g. gdal_translate {kept} {path} kept/{Path(path).name}, copy the "
            ".IMD (or .XML) beside it, and give that file"
        )
    return "name the file's bands in order with Maxar's band names, e.g. --scene-bands " + ",".join(
        example
    )


def earth_sun_distance_au(when: datetime) -> float:
    """The Earth–Sun distance in astronomical units (within 0.0001 AU over this century)."""
    days = (to_utc(when) - datetime(2000, 1, 1, 12, tzinfo=UTC)).total_seconds() / 86400
    anomaly = math.radians(357.529 + 0.98560028 * days)
    return 1.00014 - 0.01671 * math.cos(anomaly) - 0.00014 * math.cos(2 * anomaly)


def product_metadata(path: Path, groups: set[str] | None = None) -> MaxarMetadata | None:
    """The first IMD or XML beside the scene with calibration for every IMD band group of
    ``groups`` (for at least one band when None)."""
    return _calibrating(product_metadata_files(path), groups or set())


def product_metadata_files(path: Path) -> list[MaxarMetadata]:
    """Every IMD or XML beside the scene with calibration for at least one band, most specific
    first (:func:`detector.sidecars.sidecar_candidates`), each file once."""
    found: list[MaxarMetadata] = []
    seen: set[tuple[int, int] | str] = set()
    for candidate in sidecar_candidates(path):
        suffix = candidate.suffix.lower()
        if suffix not in (".imd", ".xml") or not candidate.is_file():
            continue
        identity = file_identity(candidate, candidate.stat())  # inode 0: its resolved path
        if identity in seen:  # P001.IMD and P001.imd on a case-blind disk
            continue
        seen.add(identity)
        read = _from_imd(candidate) if suffix == ".imd" else _from_xml(candidate)
        if read is not None and read.bands:
            found.append(read)
    return found


def _calibrating(found: list[MaxarMetadata], groups: set[str]) -> MaxarMetadata | None:
    """The first of ``found`` that calibrates every band group of ``groups`` (an IMD that lacks
    one band was taken, and the scene refused, with a complete XML of the product beside it)."""
    return next((meta for meta in found if groups <= set(meta.bands)), None)


_IMD_GROUP = re.compile(r"BEGIN_GROUP\s*=\s*(\w+)(.*?)END_GROUP\s*=\s*\1", re.DOTALL)
_IMD_FIELD = re.compile(r"^\s*(\w+)\s*=\s*\"?([^\";]*)\"?\s*;", re.MULTILINE)


def _from_imd(path: Path) -> MaxarMetadata | None:
    """Maxar's IMD: ``BEGIN_GROUP = BAND_B`` … ``absCalFactor = 1.2e-02;`` … groups."""
    try:
        text = metadata_text(path.read_bytes())  # also UTF-16, Windows-1252: as its date is
    except OSError:
        return None
    bands: dict[str, tuple[float, float]] = {}
    image: dict[str, str] = {}
    for group, body in _IMD_GROUP.findall(text):
        fields = {key.lower(): value.strip() for key, value in _IMD_FIELD.findall(body)}
        if group.upper().startswith("BAND_"):
            pair = _calibration_pair(fields)
            if pair is not None:
                bands[group.upper()] = pair
        elif group.upper().startswith("IMAGE"):
            image = fields
    return _metadata(path, bands, image)


def _from_xml(path: Path) -> MaxarMetadata | None:
    """Maxar's XML: ``<IMD><BAND_B><ABSCALFACTOR>…`` and ``<IMAGE><SATID>…``."""
    try:
        root = metadata_xml(path.read_bytes())  # also Windows-1252 undeclared: as its date is
    except (OSError, ET.ParseError):
        return None
    bands: dict[str, tuple[float, float]] = {}
    image: dict[str, str] = {}
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].upper()
        fields = {child.tag.lower(): (child.text or "").strip() for child in element}
        if tag.startswith("BAND_"):
            pair = _calibration_pair(fields)
            if pair is not None:
                bands[tag] = pair
        elif tag == "IMAGE" and not image:
            image = fields
    return _metadata(path, bands, image)


def _calibration_pair(fields: dict[str, str]) -> tuple[float, float] | None:
    try:
        abs_cal = float(fields["abscalfactor"])
        bandwidth = float(fields["effectivebandwidth"])
    except (KeyError, ValueError):
        return None
    if not (abs_cal > 0 and bandwidth > 0 and math.isfinite(abs_cal / bandwidth)):
        return None
    return abs_cal, bandwidth


def _metadata(
    path: Path, bands: dict[str, tuple[float, float]], image: dict[str, str]
) -> MaxarMetadata:
    elevation: float | None
    try:
        elevation = float(image["meansunel"])
    except (KeyError, ValueError):
        elevation = None
    acquired: datetime | None
    try:
        acquired = to_utc(image.get("firstlinetime", ""))
    except ValueError:
        acquired = None
    satellite = image.get("satid", "").strip().upper() or None
    return MaxarMetadata(path, satellite, elevation, acquired, bands)
