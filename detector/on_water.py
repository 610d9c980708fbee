"""Is a detection on water? The land around it, from the scene's own blue, green and NIR bands.

A dredge floats: what surrounds it is water, or other hulls. At 3 m the confuser that looks
most like one is a bright metal roof on the bank, and around a roof is vegetation or a
clearing. Water reflects more green than near-infrared light; land reflects much near-infrared.
So each detection's surroundings (a disc of :data:`RADIUS_M` around the box centre, less every
detected box of the scene grown by one pixel, so that the hulls of a group do not count) are
read in reflectance, and a pixel counts as **land** when all of these hold:

- NDWI = (green − nir) / (green + nir) < 0 (:data:`LAND_NDWI_BELOW`),
- NIR reflectance > :data:`LAND_NIR_ABOVE` (a cloud shadow or dark water is not land),
- blue reflectance < :data:`HAZE_BLUE_FROM` (haze and thin cloud are bright in blue; they are
  not land either).

Pixels without data or that the cloud mask (UDM2, or the older UDM) hides are not counted. The
detection's ``land_fraction`` is the share of counted pixels that are land; a detection with
more than ``max_land`` (default :data:`DEFAULT_MAX_LAND`) is left out as "on land"; a
``max_land`` of 1 (or None) keeps everything, and ``detect_scenes`` then reads no pixels.

Measured with this function on validation worlds seeds 2, 4, 5 and 6 (bundled model, ``dredge
run`` detections): of the ``dredge`` detections more than 15 m from any truth dredge, 61 of 97
had land fractions above 0.5; of 827 true detections, 6 did
(``benchmarks/results/detection_accuracy.md`` reports the effect on the test worlds).

The check needs surface reflectance with green, NIR and blue bands (Planet's 4- and 8-band
products). On 8-bit imagery (a display product, no reflectance) or without those bands it is
skipped: ``land_fraction`` is NaN and every detection is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import rasterio.features
import shapely
from numpy.typing import NDArray
from rasterio.windows import Window
from shapely.geometry.base import BaseGeometry

from detector.inputspec import InputSpec
from detector.rivers import RiverNetwork
from detector.scene import Scene
from detector.tiling import corridors_in_scene
from detector.wording import count_of

RADIUS_M = 27.0
LAND_NDWI_BELOW = 0.0
LAND_NIR_ABOVE = 0.08
HAZE_BLUE_FROM = 0.12
DEFAULT_MAX_LAND = 0.5
MIN_COUNTED = 0.25  # of the disc's pixels; fewer counted (cloud, scene edge): no verdict
BANDS = ("blue", "green", "nir")
LINE_SPACING_M = 30.0  # points along a river's line looked at to tell it is on the water
LINE_WATER_WITHIN_M = 10.0  # a point is on water when water lies this near it
LINE_MIN_POINTS = 20
LINE_MAX_POINTS = 200  # per river and scene (each a small read; remote scenes too)
LINE_ON_LAND_ABOVE = 0.4


def can_check(scene: Scene) -> bool:
    """True when the scene holds surface reflectance in blue, green and NIR: not 8-bit imagery,
    whether its file type or a header's scale says so (8-bit values × 256 in a 16-bit file with
    scale 1/256 were judged on display values)."""
    return not scene.eight_bit and all(band in scene.bands for band in BANDS)


def land_fractions(
    scene: Scene, boxes: Sequence[BaseGeometry], gsd_m: float
) -> NDArray[np.float64]:
    """Share of land around each box (polygons in the scene's CRS); NaN where not known.

    Read on the scene's grid at ``gsd_m`` (the model's), so that the disc is the same ground
    whatever the scene's own pixel size.
    """
    out = np.full(len(boxes), np.nan)
    if not boxes or not can_check(scene):
        return out
    spec = InputSpec(bands=BANDS, gsd_m=gsd_m, scale="reflectance")
    grid = scene.grid(gsd_m)
    radius_px = math.ceil(RADIUS_M / gsd_m)
    side = 2 * radius_px + 1
    inverse = ~grid.transform
    pixel = max(abs(grid.transform.a), abs(grid.transform.e))  # in the scene's CRS units
    # one pixel and the reach in CRS units: in degrees (EPSG:4326) a box grown by 3 covered
    # every disc, and no detection of such a scene was ever found on land
    grown = [box.buffer(pixel) for box in boxes]
    reach = RADIUS_M * 1.5 * pixel / gsd_m
    offsets = np.arange(side) - radius_px
    disc = np.hypot(*np.meshgrid(offsets, offsets, indexing="ij")) * gsd_m <= RADIUS_M
    for index, box in enumerate(boxes):
        centre = box.centroid
        col, row = inverse @ (centre.x, centre.y)
        window = Window(int(col) - radius_px, int(row) - radius_px, side, side)
        data = scene.read_window(window, spec, grid)
        transform = data.transform
        hulls = rasterio.features.geometry_mask(
            [g for g in grown if g.distance(centre) <= reach],
            out_shape=disc.shape,
            transform=transform,
            invert=True,
        )
        counted = disc & data.clear & ~hulls
        if counted.sum() < MIN_COUNTED * disc.sum():
            continue
        out[index] = float(is_land(data.data)[counted].mean())
    return out


def lines_on_land(
    scene: Scene, network: RiverNetwork, gsd_m: float
) -> dict[str, tuple[float, int]]:
    """Per river crossing the scene, the share of points along its line (every
    :data:`LINE_SPACING_M`, at most :data:`LINE_MAX_POINTS` evenly spread, inside the scene,
    with clear pixels near) that have no water within :data:`LINE_WATER_WITHIN_M`, and how
    many points were looked at; rivers with no clear point are left out, and nothing is known
    (an empty dict) where :func:`can_check` is False.

    A centerline drawn on the channel has water near almost every point: on the demo and
    validation worlds' scenes, at most 17 % of a line's points had none (525 scene-rivers, most
    under 10 %). Moved 300 m off the channel (a coarse hydrography layer can be), the median
    is 59 % and 64 of the demo world's 69 scene-rivers are over :data:`LINE_ON_LAND_ABOVE`; 35
    of 70 moved 150 m (``benchmarks/results/line_check.md``). Dredges beyond the corridor are
    never looked at.
    """
    if not can_check(scene):
        return {}
    spec = InputSpec(bands=BANDS, gsd_m=gsd_m, scale="reflectance")
    grid = scene.grid(gsd_m)
    inverse = ~grid.transform
    reach = max(1, round(LINE_WATER_WITHIN_M / gsd_m))
    crossing, _ = corridors_in_scene(scene, network)
    shares: dict[str, tuple[float, int]] = {}
    for name in crossing:
        river = network.rivers[name]
        outline = gpd.GeoSeries([scene.footprint], crs=scene.crs).to_crs(river.crs).iloc[0]
        inside = shapely.intersection(river.pieces, outline.buffer(LINE_SPACING_M))
        parts = [p for p in getattr(inside, "geoms", [inside]) if p.length > 0]
        if not parts:
            continue
        points = np.concatenate(
            [
                shapely.line_interpolate_point(part, np.arange(0.0, part.length, LINE_SPACING_M))
                for part in parts
            ]
        )
        here = gpd.GeoSeries(points, crs=river.crs).to_crs(scene.crs)
        xs, ys = here.x.to_numpy(), here.y.to_numpy()
        inside = np.flatnonzero(shapely.contains_xy(scene.footprint, xs, ys))
        if len(inside) > LINE_MAX_POINTS:  # a long reach: an even sample tells the share
            inside = inside[np.linspace(0, len(inside) - 1, LINE_MAX_POINTS).astype(int)]
        land: list[bool] = []
        for x, y in zip(xs[inside], ys[inside], strict=True):
            col, row = inverse @ (x, y)
            window = Window(int(col) - reach, int(row) - reach, 2 * reach + 1, 2 * reach + 1)
            pixels = scene.read_window(window, spec, grid)
            if pixels.clear.any():  # on land when no clear pixel this near is water
                land.append(bool(is_land(pixels.data)[pixels.clear].all()))
        if land:
            shares[name] = (float(np.mean(land)), len(land))
    return shares


def off_channel(scene: Scene, network: RiverNetwork, gsd_m: float) -> dict[str, tuple[float, int]]:
    """The rivers whose line lies on land at more than :data:`LINE_ON_LAND_ABOVE` of at least
    :data:`LINE_MIN_POINTS` clear points of the scene (:func:`lines_on_land`): share, points."""
    return {
        name: (share, points)
        for name, (share, points) in lines_on_land(scene, network, gsd_m).items()
        if points >= LINE_MIN_POINTS and share > LINE_ON_LAND_ABOVE
    }


def off_channel_note(river: str, share: float, points: int, corridor_m: float) -> str:
    """The scene summary's word on a river line off the channel (:func:`off_channel`)."""
    return (
        f"the {river} line is on land at {share:.0%} of {points} points looked at here: is it "
        f"on the channel? Dredges more than {corridor_m:g} m from it (--corridor-m) are not "
        "looked for; draw it on the water or widen the corridor"
    )


def off_channel_warnings(
    found: Sequence[tuple[str, str, float, int]], corridor_m: float
) -> list[str]:
    """One warning per river from the (scene, river, share, points) of :func:`off_channel`
    over a batch of scenes, for the end of the run (a scene's line scrolls by)."""
    by_river: dict[str, list[tuple[str, float, int]]] = {}
    for scene, river, share, points in found:
        by_river.setdefault(river, []).append((scene, share, points))
    lines = []
    for river, seen in sorted(by_river.items()):
        scene, share, points = max(seen, key=lambda item: item[1])
        lines.append(
            f"warning: the {river} line is on land at over {LINE_ON_LAND_ABOVE:.0%} of the points "
            f"looked at in {count_of(len(seen), 'scene')} (worst: {scene}, {share:.0%} of "
            f"{points} points): "
            "is it on the channel? "
            f"Dredges more than {corridor_m:g} m from it (--corridor-m) were not looked for; "
            "draw it on the water or widen the corridor"
        )
    return lines


def is_land(reflectance: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Land per pixel from (blue, green, nir) reflectance, shape (3, rows, cols)."""
    blue, green, nir = reflectance
    ndwi = (green - nir) / np.maximum(green + nir, 1e-6)
    land: NDArray[np.bool_] = (
        (ndwi < LAND_NDWI_BELOW) & (nir > LAND_NIR_ABOVE) & (blue < HAZE_BLUE_FROM)
    )
    return land
