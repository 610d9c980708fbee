"""Why a scene meets no river: one line, with the likely fix when the scene's CRS is the cause.

A scene in WGS 84 / UTM with the wrong hemisphere (zone 18N where the coordinates are zone
18S's, as a GIS export with the wrong zone picked writes it) lies 10,000 km from where it was
taken: near the North Pole for Peru's rivers. The plain "does not overlap any river" sends one
looking at the rivers file; when the same coordinates in the other hemisphere's zone meet a
river, the line names that zone and the command that sets it.
"""

from __future__ import annotations

from pathlib import Path

from detector.errors import InputError
from detector.rivers import RiverNetwork
from detector.scene import Scene

UTM_NORTH = range(32601, 32661)  # WGS 84 / UTM zone 1N … 60N; the south's are 32701 …
HEMISPHERE_STEP = 100


def no_river_error(scene: Scene, network: RiverNetwork) -> InputError:
    """The InputError for a scene whose outline meets no river corridor."""
    source = f"{network.source or 'the rivers file'}{_aux_crs_note(scene.path)}"
    flipped = other_hemisphere_rivers(scene, network)
    if flipped is not None:
        epsg, rivers = flipped
        return InputError(
            scene.path,
            f"does not overlap any river corridor of {source}: its CRS is "
            f"{scene.crs.to_string()}, but in EPSG:{epsg} (the same UTM zone, other hemisphere) "
            f"it lies on {', '.join(rivers)}",
            f"if that is where it was taken, set it: gdal_edit.py -a_srs EPSG:{epsg} {scene.path}",
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


def other_hemisphere_rivers(scene: Scene, network: RiverNetwork) -> tuple[int, list[str]] | None:
    """(EPSG code, rivers) when the scene is in WGS 84 / UTM and its outline, read in the same
    zone of the other hemisphere, meets river corridors; else None."""
    epsg = scene.crs.to_epsg() if scene.crs is not None else None
    if epsg is None:
        return None
    if epsg in UTM_NORTH:
        other = epsg + HEMISPHERE_STEP
    elif epsg - HEMISPHERE_STEP in UTM_NORTH:
        other = epsg - HEMISPHERE_STEP
    else:
        return None
    corridors = network.corridor(f"EPSG:{other}")
    met = corridors[corridors.intersects(scene.footprint)]
    if met.empty:
        return None
    return other, sorted(str(name) for name in met["river"])
