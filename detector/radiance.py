"""Planet's radiance products: reflectance from the coefficients in the scene's XML metadata.

PlanetScope "analytic" assets (``…_3B_AnalyticMS.tif``, ``…_3B_AnalyticMS_8b.tif``,
``…_BGRN_Analytic.tif``) store at-sensor radiance × 100, not surface reflectance × 10,000 as the
``_SR`` assets do. Much of the 2016–2020 archive was downloaded as these. Read as reflectance,
their values are two to five times too bright. Their ``…_metadata.xml`` gives, per band, the
``reflectanceCoefficient`` that turns a stored value into top-of-atmosphere reflectance, which
is what this reader uses instead. (RapidEye's ``…_3A_Analytic.tif`` is radiance too, but its
XML has no such coefficients: it is read as before, as reflectance × 10,000.)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import rasterio

from detector.acquisition import scene_file_name, sidecar_candidates
from detector.errors import InputError
from detector.sidecars import metadata_xml
from detector.window_reads import data_band_indexes
from detector.wording import agree, count_of

_RADIANCE_NAME = re.compile(
    r"_(?:3B_AnalyticMS|3B_Analytic|BGRN_Analytic)(?:_8b)?(?:_clip)?(?:_file_format)?\.tiff?$",
    re.IGNORECASE,
)
FIX_RADIANCE = (
    "put its _metadata.xml (from the same order) beside it, or download the surface "
    "reflectance asset (analytic_sr / ortho_analytic_4b_sr)"
)
FIX_RADIANCE_URL = (
    "download the scene and its _metadata.xml (from the same order) into one folder and give "
    "the file, or give the surface reflectance asset (analytic_sr / ortho_analytic_4b_sr)"
)


@dataclass(frozen=True)
class Calibration:
    """Per-band factors from stored values to top-of-atmosphere reflectance, and how they were
    found (for the scene's summary line)."""

    coefficients: dict[int, float]  # 1-based band → reflectance per stored unit
    read_as: str
    offsets: dict[int, float] = field(default_factory=dict)  # reflectance added, per band
    eight_bit: bool = False  # the values are 8-bit imagery (a display product), not reflectance


def is_planet_radiance(name: str) -> bool:
    """True for the file name of a Planet radiance ("analytic", not ``_SR``) asset."""
    return bool(_RADIANCE_NAME.search(name)) and "_sr" not in name.lower()


def radiance_coefficients(
    path: str, dataset: rasterio.DatasetReader, *, remote: bool
) -> Calibration | None:
    """The reflectance coefficients of the scene at ``path`` when it is Planet radiance, None
    for other scenes; InputError when its XML is missing or lacks a band, and for a URL (no
    XML is read over the network)."""
    if not is_planet_radiance(scene_file_name(path)):
        return None
    if remote:  # a URL's neighbours are not looked for: it said no XML lay beside it
        raise InputError(
            path,
            "is Planet radiance (an analytic asset, not _SR) read by URL; the _metadata.xml "
            "that gives the reflectance coefficients that turn it into reflectance is not read "
            "over the network",
            FIX_RADIANCE_URL,
        )
    found = reflectance_coefficients(Path(path))
    if found is None:
        raise InputError(
            path,
            "is Planet radiance (an analytic asset, not _SR), and no _metadata.xml beside it "
            "gives the reflectance coefficients that turn it into reflectance",
            FIX_RADIANCE,
        )
    coefficients, xml = found
    image_bands = data_band_indexes(dataset)  # an alpha band needs no coefficient
    missing = [band for band in image_bands if band not in coefficients]
    if missing:
        raise InputError(
            path,
            f"is Planet radiance, and {xml.name} has no reflectance coefficient for "
            f"{agree(len(missing), 'band', 'bands')} {', '.join(map(str, missing))} of its "
            f"{count_of(len(image_bands), 'band')}",
            FIX_RADIANCE,
        )
    read_as = "Planet radiance read as top-of-atmosphere reflectance (its XML's coefficients)"
    return Calibration(coefficients, read_as)


def reflectance_coefficients(path: Path) -> tuple[dict[int, float], Path] | None:
    """Per-band reflectance coefficients (1-based band → coefficient) and the XML holding them.

    The XML is looked for as :func:`detector.sidecars.sidecar_candidates` looks for
    metadata; None when no XML beside the scene has a coefficient for every band it lists.
    """
    for candidate in sidecar_candidates(path):
        if candidate.suffix.lower() != ".xml" or not candidate.is_file():
            continue
        found = _coefficients_in(candidate)
        if found:
            return found, candidate
    return None


def _coefficients_in(path: Path) -> dict[int, float]:
    """``{band: reflectanceCoefficient}`` of every ``bandSpecificMetadata`` in a Planet XML."""
    try:
        root = metadata_xml(path.read_bytes())  # also Windows-1252 undeclared: as its date is
    except (OSError, ET.ParseError):
        return {}
    found: dict[int, float] = {}
    for element in root.iter():
        if _local(element.tag) != "bandspecificmetadata":
            continue
        fields = {_local(child.tag): (child.text or "").strip() for child in element}
        try:
            band = int(fields["bandnumber"])
            coefficient = float(fields["reflectancecoefficient"])
        except (KeyError, ValueError):
            return {}  # a band without its coefficient: not a usable table
        if not coefficient > 0:
            return {}
        found[band] = coefficient
    return found


def _local(tag: str) -> str:
    """An XML tag without its namespace, lower case."""
    return tag.rsplit("}", 1)[-1].lower()
