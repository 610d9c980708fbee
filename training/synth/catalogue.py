"""The rivers of the synthetic world, modelled on rivers of the Peruvian Amazon."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from detector.errors import DredgeError


@dataclass(frozen=True)
class RiverSpec:
    """What sets one synthetic river apart: place, CRS, water type, size and dredge pressure."""

    name: str
    code: str
    epsg: int
    lon: float
    lat: float
    water: str  # blackwater | clear | turbid
    width_m: float
    sinuosity: float  # 0 = gentle bends, 1 = tight meanders
    dredge_pressure: float  # relative number of dredge groups; 0 = a river with none
    description: str


RIVER_CATALOGUE: dict[str, RiverSpec] = {
    spec.name: spec
    for spec in (
        RiverSpec("Nanay", "NAN", 32718, -73.42, -3.80, "blackwater", 150, 0.9, 1.0,
                  "blackwater river west of Iquitos; most dredges"),
        RiverSpec("Cenepa", "CEN", 32717, -78.17, -4.45, "clear", 90, 0.6, 0.5,
                  "clear-water Andean foothill river"),
        RiverSpec("Santiago", "SAN", 32718, -77.75, -3.90, "turbid", 220, 0.45, 0.3,
                  "wide turbid (tan) river from the Andes"),
        RiverSpec("Aguaytía", "AGU", 32718, -75.45, -8.75, "turbid", 130, 0.7, 0.2,
                  "turbid river of Ucayali; few dredges"),
        RiverSpec("Itaya", "ITA", 32718, -73.30, -3.95, "blackwater", 65, 0.95, 0.0,
                  "small blackwater river with no dredges (control)"),
    )
}  # fmt: skip


def _fold(text: str) -> str:
    """Lower-case and strip accents, so that 'aguaytia' finds 'Aguaytía'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def find_river(name: str) -> RiverSpec:
    """Look a river up by name, ignoring case and accents; one clear error if unknown."""
    wanted = _fold(name)
    for spec in RIVER_CATALOGUE.values():
        if _fold(spec.name) == wanted or _fold(spec.code) == wanted:
            return spec
    known = ", ".join(RIVER_CATALOGUE)
    raise DredgeError(f"unknown river {name!r}; this world knows: {known}")
