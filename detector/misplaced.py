"""Why a scene meets no river: one line, with the likely fix when the scene's CRS is the cause.

A scene in a UTM CRS with the wrong hemisphere (zone 18N where the coordinates are zone 18S's,
as a GIS export with the wrong zone picked writes it) lies 10,000 km from where it was taken:
near the North Pole for Peru's rivers. The plain "does not overlap any river" sends one
looking at the rivers file; when the same coordinates in the other hemisphere's zone meet a
river, the line names that zone and the command that sets it. Any UTM CRS: WGS 84, PSAD56
(Peru), SIRGAS 2000 (Brazil), SAD69; the other hemisphere's zone keeps the scene's datum.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from pyproj import CRS
from pyproj.crs import BoundCRS, ProjectedCRS
from pyproj.crs.coordinate_operation import UTMConversion
from pyproj.exceptions import CRSError

from detector.errors import InputError
from detector.rivers import RiverNetwork
from detector.scene import Scene


def no_river_error(scene: Scene, network: RiverNetwork) -> InputError:
    """The InputError for a scene whose outline meets no river corridor."""
    source = f"{network.source or 'the rivers file'}{_aux_crs_note(scene.path)}"
    flipped = other_hemisphere_rivers(scene, network)
    if flipped is not None:
        srs, rivers = flipped
        return InputError(
            scene.path,
            f"does not overlap any river corridor of {source}: its CRS is "
            f"{scene.crs.to_string()}, but in {srs} (the same UTM zone, other hemisphere) "
            f"it lies on {', '.join(rivers)}",
            f"if that is where it was taken, set it: gdal_edit.py -a_srs {srs} {scene.path}",
        )
    return InputError(
        scene.path,
        f"does not overlap any river corridor of {source}",
        "check that the rivers file covers this scene, or widen --corridor-m",
    )


def _aux_crs_note(path: str) -> str:
    """Words for a CRS that GDAL takes from a ``.aux.xml`` beside the file, over its own."""
    aux = Path(f"{path}.aux.xml")
    try:
        holds_crs = aux.is_file() and "<SRS" in aux.read_text(errors="replace")
    except OSError:
        return ""
    return f" (its CRS is the one {aux.name} beside it sets: is that right?)" if holds_crs else ""


def other_hemisphere_rivers(scene: Scene, network: RiverNetwork) -> tuple[str, list[str]] | None:
    """(CRS, rivers) when the scene is in a UTM CRS and its outline, read in the same zone of
    the other hemisphere (same datum), meets river corridors; else None. The CRS is written as
    ``gdal_edit.py -a_srs`` takes it: ``EPSG:24878``, else a quoted PROJ string."""
    other = other_hemisphere(scene.crs)
    if other is None:
        return None
    corridors = network.corridor(other)
    met = corridors[corridors.intersects(scene.footprint)]
    if met.empty:
        return None
    epsg = _epsg_of(other)
    if epsg is not None:
        srs = f"EPSG:{epsg}"
    else:
        with warnings.catch_warnings():  # "you will likely lose ...": none for a UTM zone
            warnings.simplefilter("ignore", UserWarning)
            srs = f'"{other.to_proj4()}"'
    return srs, sorted(str(name) for name in met["river"])


def other_hemisphere(crs: object) -> CRS | None:
    """The same UTM zone and datum as ``crs`` in the other hemisphere (18N for 18S, and back);
    None for a CRS that is no UTM zone."""
    if crs is None:
        return None
    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        return None
    zone = source.utm_zone  # "18S"
    if zone is None or source.geodetic_crs is None:
        return None
    hemisphere = "N" if zone[-1].upper() == "S" else "S"
    other = ProjectedCRS(
        UTMConversion(str(int(zone[:-1])), hemisphere), geodetic_crs=source.geodetic_crs
    )
    if source.is_bound and source.target_crs is not None:  # +towgs84: its datum shift kept
        # (built on the geodetic CRS alone, the zone lost it: the hint's PROJ string set a
        # datum of no shift, a few hundred metres from where the scene was taken)
        return BoundCRS(other, source.target_crs, source.coordinate_operation)
    return other


def _epsg_of(crs: CRS) -> int | None:
    """The EPSG code of ``crs`` on its own datum (a PROJ-built zone matches zones of every datum
    on its ellipsoid: PSAD56's and Bogota 1975's alike); None if EPSG has none."""
    for match in crs.list_authority(min_confidence=70):
        if match.auth_name == "EPSG" and CRS.from_epsg(match.code).geodetic_crs == crs.geodetic_crs:
            return int(match.code)
    return None
