"""Render one acquisition of a river as surface reflectance, at any GSD.

Order of the layers: forest, clearings and mining scars, ponds, water, sandbars, roofs,
sediment plumes, confusers and dredges (with sub-pixel coverage, so a 5 m hull at 3 m is a
mixed pixel as in a real sensor), sensor blur, haze, clouds and their shadows, per-scene
radiometry and noise, then nodata outside the footprint.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from affine import Affine
from numpy.typing import NDArray
from rasterio import features
from scipy import ndimage
from shapely import LineString, Polygon, affinity, unary_union
from shapely.geometry.base import BaseGeometry

from training.synth.channel import Channel
from training.synth.dredges import DredgePose
from training.synth.landscape import Landscape, SmallObject, rectangle
from training.synth.noise import fractal_noise, value_noise_grid
from training.synth.scenes import SceneSpec

# Surface reflectance × 10 000, bands Blue, Green, Red, NIR.
REFLECTANCE: dict[str, tuple[float, float, float, float]] = {
    "forest": (210, 430, 270, 2900),
    "grass": (380, 700, 560, 2600),
    "soil": (900, 1200, 1550, 2000),
    "sand": (1250, 1550, 1900, 2250),
    "pond": (520, 880, 760, 520),
    "blackwater": (120, 150, 105, 70),
    "clear": (340, 520, 320, 170),
    "turbid": (620, 930, 1120, 640),
    "green": (260, 640, 330, 420),  # algae-rich water (floodplain lakes, low water)
    "metal": (2600, 2700, 2750, 2800),
    "rust": (700, 900, 1550, 1900),
    "thatch": (800, 1000, 1200, 1900),
    "tarp": (2300, 1500, 700, 1200),
    "green tarp": (600, 1250, 700, 1600),
    "white": (2500, 2600, 2600, 2600),
    "wood": (380, 480, 560, 900),
    "blue": (1500, 1000, 600, 800),
    "foam": (1900, 2000, 2000, 1700),
    "cloud": (6800, 6900, 7000, 7200),
}
BANDS = ("blue", "green", "red", "nir")
Image = NDArray[np.floating[Any]]  # (bands, rows, cols), painted in place


@dataclass(frozen=True)
class Grid:
    """A pixel grid in the river's CRS."""

    transform: Affine
    width: int
    height: int

    @classmethod
    def over(cls, bounds: tuple[float, float, float, float], gsd_m: float) -> Grid:
        """The grid from the top-left corner of ``bounds`` that covers all of them: at a GSD
        that does not divide them, its last column and row reach past them (rounded to the
        nearest, a 3 km scene at 9 m ended 3 m short of its footprint, at 17 m 8 m short)."""
        minx, miny, maxx, maxy = bounds
        width = math.ceil((maxx - minx) / gsd_m - 1e-6)
        height = math.ceil((maxy - miny) / gsd_m - 1e-6)
        return cls(Affine(gsd_m, 0, minx, 0, -gsd_m, maxy), width, height)

    @property
    def gsd(self) -> float:
        return float(self.transform.a)

    def axes(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Map x of each column centre and map y of each row centre."""
        t = self.transform
        x = t.c + (np.arange(self.width, dtype=np.float64) + 0.5) * float(t.a)
        y = t.f + (np.arange(self.height, dtype=np.float64) + 0.5) * float(t.e)
        return x, y


@dataclass(frozen=True)
class RiverScene:
    """Everything that is on the ground for one acquisition of one river."""

    channel: Channel
    water: BaseGeometry
    water_type: str
    landscape: Landscape
    dredges: list[DredgePose]
    confusers: list[SmallObject]


def colour(name: str) -> NDArray[np.float32]:
    return np.array(REFLECTANCE[name], dtype=np.float32)[:, None, None]


def mask_of(geometry: BaseGeometry, grid: Grid) -> NDArray[np.bool_]:
    """Pixels whose centre falls in ``geometry``."""
    if geometry.is_empty:
        return np.zeros((grid.height, grid.width), dtype=bool)
    burned = features.rasterize(
        [(geometry, 1)],
        out_shape=(grid.height, grid.width),
        transform=grid.transform,
        dtype="uint8",
    )
    return burned.astype(bool)


def paint_small(
    image: Image,
    polygon: Polygon,
    grid: Grid,
    value: NDArray[np.float32],
    alpha: float = 1.0,
) -> None:
    """Blend ``value`` into ``image`` by the fraction of each pixel that ``polygon`` covers."""
    inv = ~grid.transform
    minx, miny, maxx, maxy = polygon.bounds
    c0, r0 = inv @ (minx, maxy)
    c1, r1 = inv @ (maxx, miny)
    col0, row0 = max(int(np.floor(min(c0, c1))), 0), max(int(np.floor(min(r0, r1))), 0)
    col1 = min(int(np.ceil(max(c0, c1))), grid.width)
    row1 = min(int(np.ceil(max(r0, r1))), grid.height)
    if col1 <= col0 or row1 <= row0:
        return
    ss = 4
    local = grid.transform @ Affine.translation(col0, row0) @ Affine.scale(1 / ss)
    fine = features.rasterize(
        [(polygon, 1)],
        out_shape=((row1 - row0) * ss, (col1 - col0) * ss),
        transform=local,
        dtype="uint8",
    ).astype(np.float32)
    cover = fine.reshape(row1 - row0, ss, col1 - col0, ss).mean(axis=(1, 3)) * alpha
    window = image[:, row0:row1, col0:col1]
    window *= 1 - cover
    window += value * cover


def render_reflectance(
    scene: SceneSpec,
    ground: RiverScene,
    grid: Grid,
    water_type: str | None = None,
    roofs: Mapping[str, str] | None = None,
) -> NDArray[np.float32]:
    """Surface reflectance (× 10 000), shape (4, height, width), before footprint masking.

    For a world in another style: ``water_type`` paints every river in that colour of
    :data:`REFLECTANCE` instead of its own water type (e.g. ``"green"``), and ``roofs`` maps a
    dredge's roof style to another colour (e.g. ``{"metal": "thatch"}``).
    """
    x, y = grid.axes()
    seed = scene.seed
    static_seed = hash_name(scene.river)

    # Forest: crowns ~12 m across over stands ~200 m across.
    crowns = fractal_noise(x, y, 14.0, static_seed, octaves=2, grid=True)
    stands = fractal_noise(x, y, 260.0, static_seed + 1, octaves=3, grid=True)
    texture = 0.55 + 0.6 * crowns * (0.6 + 0.8 * stands)
    image = colour("forest") * texture[None]

    land = ground.landscape
    clearing = mask_of(land.clearings, grid)
    soil_mix = value_noise_grid(x, y, 25.0, static_seed + 2)[None]
    cleared = colour("grass") * (1 - soil_mix) + colour("soil") * soil_mix
    image = np.where(clearing[None], cleared * (0.85 + 0.3 * crowns[None]), image)
    scar = mask_of(land.scars, grid)
    scar_mix = value_noise_grid(x, y, 40.0, static_seed + 3)[None]
    bare = colour("sand") * scar_mix + colour("soil") * (1 - scar_mix)
    image = np.where(scar[None], bare, image)
    image = np.where(
        mask_of(land.ponds, grid)[None], colour("pond") * (0.8 + 0.4 * scar_mix), image
    )

    # Water, a little lighter near the banks and along silty streaks.
    water = mask_of(ground.water, grid)
    water_colour = _water_colour(water_type or ground.water_type, scene.turbidity)
    streaks = fractal_noise(x, y, 180.0, seed + 5, octaves=3, grid=True)[None]
    bank_distance = ndimage.distance_transform_edt(water) * grid.gsd
    shallow = 0.2 * np.exp(-bank_distance / 8.0)[None].astype(np.float32)
    water_px = water_colour * (0.9 + 0.2 * streaks) * (1 - shallow) + colour("sand") * shallow
    image = np.where(water[None], water_px, image)

    # Sandbars grow in the dry season.
    bars = [affinity.scale(bar, scene.water_level, scene.water_level) for bar in land.sandbars]
    bar_mask = mask_of(unary_union(bars), grid) & water
    bar_px = colour("sand") * (0.85 + 0.25 * scar_mix)
    image = np.where(bar_mask[None], bar_px, image).astype(np.float32)

    for roof in land.roofs:
        paint_small(image, roof.footprint, grid, colour(roof.colour) * 0.95)

    _paint_plumes(image, ground, grid, water)
    for obj in ground.confusers:
        paint_small(image, obj.footprint, grid, colour(obj.colour), obj.alpha)
    for pose in ground.dredges:
        _paint_dredge(image, pose, grid, roofs or {})

    # Sensor blur: about half a native pixel.
    image = ndimage.gaussian_filter(image, sigma=(0, 0.55, 0.55))

    # Haze, clouds and shadows.
    if scene.haze > 0:
        veil = scene.haze * (
            0.6 + 0.8 * fractal_noise(x, y, 3000.0, seed + 7, octaves=2, grid=True)
        )
        path = np.array([2600, 2100, 1700, 1100], dtype=np.float32)[:, None, None]
        image = image * (1 - 0.45 * veil[None]) + path * veil[None]
    if scene.cloud_cover > 0:
        opacity = scene.cloud_opacity(x, y, grid=True)[None]
        shade = scene.shadow(x, y, grid=True)[None] * (1 - opacity)
        image = image * (1 - 0.6 * shade)
        puff = 0.85 + 0.3 * fractal_noise(x, y, 90.0, seed + 11, octaves=2, grid=True)[None]
        image = image * (1 - opacity) + colour("cloud") * puff * opacity
    return image


def _water_colour(water_type: str, turbidity: float) -> NDArray[np.float32]:
    base = colour(water_type)
    if water_type == "turbid":
        return base * np.float32(turbidity)
    return base * np.float32(0.9 + 0.1 * turbidity)


def _paint_dredge(image: Image, pose: DredgePose, grid: Grid, roofs: Mapping[str, str]) -> None:
    """A platform with a roof (metal, blue tarp or rust) and a darker deck rim."""
    d = pose.dredge
    hull = rectangle(pose.x, pose.y, d.length_m, d.width_m, pose.heading_rad)
    paint_small(image, hull, grid, colour("metal") * 0.8)
    roof = rectangle(pose.x, pose.y, d.length_m * 0.75, d.width_m * 0.8, pose.heading_rad)
    paint_small(image, roof, grid, colour(roofs.get(d.style, d.style)))


def _paint_plumes(image: Image, ground: RiverScene, grid: Grid, water: NDArray[np.bool_]) -> None:
    """Turbid sediment plumes trailing downstream of working dredges, fading with distance."""
    plumes = [p for p in ground.dredges if p.dredge.plume > 0]
    if not plumes:
        return
    strength = np.zeros((grid.height, grid.width), dtype=np.float32)
    for pose in plumes:
        reach = 120 + 450 * pose.dredge.plume
        for part, level in ((1.0, 0.35), (0.6, 0.35), (0.3, 0.3)):
            path = _downstream_path(ground.channel, pose, reach * part)
            shape = path.buffer(8 + 25 * part, cap_style="round")
            strength += level * pose.dredge.plume * mask_of(shape, grid)
    blur = max(6.0 / grid.gsd, 0.5)
    strength = ndimage.gaussian_filter(strength, blur) * water
    strength = np.clip(strength, 0, 0.85)[None]
    silt = colour("turbid") * np.float32(1.15)
    image *= 1 - strength
    image += silt * strength


def _downstream_path(channel: Channel, pose: DredgePose, reach_m: float) -> LineString:
    """The line from a dredge downstream along the channel, at the dredge's offset."""
    steps = np.linspace(0, reach_m, max(int(reach_m / 20), 2))
    points = [
        channel.point_at(pose.chainage_m - d, pose.offset_m * (1 - 0.5 * d / reach_m))
        for d in steps
    ]
    return LineString(points)


def hash_name(name: str) -> int:
    """A stable small integer for a name (Python's hash() is salted per process)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) * 7919 % (2**31 - 1)


def iter_boxes(ground: RiverScene) -> Iterable[tuple[str, str, Polygon]]:
    """(object id, class name, footprint) of every dredge and boat on the ground."""
    for pose in ground.dredges:
        d = pose.dredge
        yield (
            d.dredge_id,
            "dredge",
            rectangle(pose.x, pose.y, d.length_m, d.width_m, pose.heading_rad),
        )
    boats = (o for o in ground.confusers if o.kind == "boat")
    for i, boat in enumerate(boats):
        yield f"boat-{i:03d}", "boat", boat.footprint
