"""What a model wants to see: bands, ground sampling distance, tile size, overlap and scaling.

This is the part of a model card that the scene reader and the tiler need. Band names are lower
case and shared by all sensors: ``blue``, ``green``, ``red``, ``nir``, the extra SuperDove
bands ``coastal_blue``, ``green_i``, ``yellow`` and ``red_edge``, and WorldView-2/3's second
near-infrared band ``nir2`` (:data:`BAND_NAMES`).

Scaling (``scale``) turns stored values into float32 in [0, 1]:

- ``reflectance``: surface reflectance. 16-bit Planet reflectance (0–10000) is divided by
  10000; 8-bit imagery (already a display product) is divided by 255.
- ``display``: a fixed display stretch, as on Planet's visual products. 16-bit reflectance is
  divided by 3000 (reflectance 0.3 is white) and clipped; 8-bit imagery is divided by 255. Use
  it for models trained on 8-bit RGB (Maxar, Google Earth) that are run on Planet reflectance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

from detector.errors import UsageError
from detector.wording import agree

BAND_NAMES = (
    "coastal_blue",
    "blue",
    "green_i",
    "green",
    "yellow",
    "red",
    "red_edge",
    "nir",
    "nir2",  # WorldView-2/3's second near-infrared band
)
SCALES = ("reflectance", "display")
MIN_TILE_PX = 16
REFLECTANCE_FULL_SCALE = 10000.0  # Planet surface reflectance products store reflectance × 1e4
DISPLAY_WHITE_REFLECTANCE = 0.3  # reflectance shown as white by the ``display`` scaling
GSD_SNAP_TOLERANCE = 0.02  # within 2 % of the target GSD a scene is read at its own resolution


@dataclass(frozen=True)
class InputSpec:
    """The input a model expects; scenes are brought to it before tiling and inference."""

    bands: tuple[str, ...] = ("red", "green", "blue")
    gsd_m: float = 3.0
    tile_px: int = 256
    overlap_px: int = 32
    scale: str = "reflectance"

    def __post_init__(self) -> None:
        # a run.json or dataset of 256.5 (or true) was read as valid; 256.0 (some JSON tools
        # write whole numbers so) is 256
        object.__setattr__(self, "tile_px", _whole_px(self.tile_px, "tile_px", 256))
        object.__setattr__(self, "overlap_px", _whole_px(self.overlap_px, "overlap_px", 32))
        if isinstance(self.gsd_m, bool) or not isinstance(self.gsd_m, Real):
            raise UsageError(
                f"gsd_m must be a positive number of metres (e.g. 3.0), got {self.gsd_m!r}"
            )
        object.__setattr__(self, "gsd_m", float(self.gsd_m))  # np.float32: not JSON-writable
        unknown = [band for band in self.bands if band not in BAND_NAMES]
        if not self.bands:  # it said "unknown band names (none given)": none was unknown
            raise UsageError(f"no band names given; use {', '.join(BAND_NAMES)}")
        if unknown:
            raise UsageError(
                f"unknown band {agree(len(unknown), 'name', 'names')} {unknown}; use "
                f"{', '.join(BAND_NAMES)}"
            )
        if len(set(self.bands)) != len(self.bands):
            raise UsageError(f"band names repeat: {', '.join(self.bands)}")
        if not 0 < self.gsd_m < float("inf"):  # inf was read as "does not overlap any river"
            raise UsageError(f"gsd_m must be a positive number of metres, got {self.gsd_m}")
        if self.tile_px < MIN_TILE_PX:
            raise UsageError(f"tile_px must be at least {MIN_TILE_PX}, got {self.tile_px}")
        if not 0 <= self.overlap_px <= self.tile_px // 2:
            raise UsageError(
                f"overlap_px must be between 0 and half the tile ({self.tile_px // 2}), "
                f"got {self.overlap_px}"
            )
        if self.scale not in SCALES:
            raise UsageError(f"scale must be one of {', '.join(SCALES)}, got {self.scale!r}")

    @property
    def stride_px(self) -> int:
        """Distance between the origins of neighbouring tiles, in pixels."""
        return self.tile_px - self.overlap_px


def _whole_px(value: object, name: str, example: int) -> int:
    """``value`` as a whole number of pixels (256.0 and numpy's integers are); UsageError
    naming the field for a fraction, a boolean (``True`` is an int in Python), text or NaN."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, Real) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return int(number)
    raise UsageError(f"{name} must be a whole number of pixels (e.g. {example}), got {value!r}")


def parse_bands(text: str, option: str = "--scene-bands") -> tuple[str, ...]:
    """Parse a comma-separated band list such as ``"red,green,blue"`` (case-insensitive);
    ``option`` is the option that gave it, named when a name in it is empty."""
    parts = [part.strip().lower() for part in text.split(",")]
    if "" in parts and any(parts):  # 'red,,blue' was red,blue: blue was read from band 2
        place = parts.index("") + 1
        raise UsageError(
            f"{option}: {text!r} has an empty band name (name {place} of {len(parts)}) — leave "
            "no name empty, e.g. red,green,blue,nir"
        )
    bands = tuple(part for part in parts if part)
    unknown = [band for band in bands if band not in BAND_NAMES]
    if "alpha" in unknown:
        raise UsageError(
            f"'alpha' is not a band name here ({text!r}): a mask band is known by its tag; "
            "tag it and leave it out of the list, e.g. "
            "rio edit-info --colorinterp red,green,blue,alpha FILE"
        )
    if not bands:  # it said "unknown band names (none given)": none was unknown
        raise UsageError(
            f"{option}: {text!r} names no band — name the file's bands in order, e.g. "
            "red,green,blue,nir"
        )
    if unknown:
        raise UsageError(
            f"unknown band {agree(len(unknown), 'name', 'names')} {unknown} in {text!r}; "
            f"use {', '.join(BAND_NAMES)}"
        )
    repeated = repeated_bands(bands)
    if repeated:
        # a typo (blue,green,red,red for blue,green,red,nir) lost the band it replaced without a
        # word: the near-infrared band's check of detections on land was skipped
        names = agree(len(repeated), "band name", "band names")
        raise UsageError(f"{names} {', '.join(repeated)} given twice in {text!r}")
    return bands


def repeated_bands(bands: tuple[str, ...]) -> list[str]:
    """The band names that ``bands`` holds more than once, in order."""
    return sorted({band for band in bands if bands.count(band) > 1}, key=bands.index)
