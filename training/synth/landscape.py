"""What stays put on a river between dates: sandbars, villages, roofs on the banks, mining scars.

And what changes every date: boats, floating logs and foam (the detector's confusers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely import Point, Polygon, affinity, box, unary_union
from shapely.geometry.base import BaseGeometry

from training.synth.channel import Channel


@dataclass(frozen=True)
class Roof:
    footprint: Polygon
    colour: str  # metal | rust | thatch


@dataclass(frozen=True)
class SmallObject:
    """A small object on the water: boat, log or foam streak (and its class for box files)."""

    kind: str  # boat | log | foam
    footprint: Polygon
    colour: str
    alpha: float


@dataclass(frozen=True)
class Landscape:
    sandbars: tuple[Polygon, ...]  # at water level 1; scaled per date
    clearings: BaseGeometry  # villages: grass and bare soil
    roofs: tuple[Roof, ...]
    scars: BaseGeometry  # mining scars: bare sand and soil
    ponds: BaseGeometry  # ponds left in mining scars


def rectangle(x: float, y: float, length: float, width: float, heading_rad: float) -> Polygon:
    """A length × width rectangle centred on (x, y), its long axis at ``heading_rad``."""
    rect = box(-length / 2, -width / 2, length / 2, width / 2)
    rect = affinity.rotate(rect, heading_rad, origin=(0, 0), use_radians=True)
    return affinity.translate(rect, x, y)


def blob(
    rng: np.random.Generator, x: float, y: float, radius: float, roughness: float = 0.35
) -> Polygon:
    """An irregular patch around (x, y), about ``radius`` across."""
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    wobble = np.convolve(rng.normal(size=48 * 3), np.ones(7) / 7, mode="same")[48:96]
    r = radius * (1 + roughness * wobble / (np.abs(wobble).max() + 1e-9))
    return Polygon(np.column_stack([x + r * np.cos(angles), y + r * np.sin(angles)])).buffer(0)


def build_landscape(
    rng: np.random.Generator, channel: Channel, dredge_pressure: float
) -> Landscape:
    """Place the static features along ``channel``."""
    water = channel.water_polygon()
    sandbars = tuple(_sandbars(rng, channel))
    clearings, roofs = _villages(rng, channel, water)
    scars, ponds = _mining_scars(rng, channel, water, dredge_pressure)
    return Landscape(sandbars, clearings, roofs, scars, ponds)


def _sandbars(rng: np.random.Generator, channel: Channel) -> list[Polygon]:
    """Point bars on the inner side of the sharper bends."""
    curvature = channel.curvature()
    bars = []
    window = 40
    for i in range(window, curvature.size - window, window):
        segment = curvature[i - window // 2 : i + window // 2]
        apex = i - window // 2 + int(np.argmax(np.abs(segment)))
        k = curvature[apex]
        if abs(k) < 1 / (8 * channel.width_m[apex]) or rng.random() < 0.35:
            continue
        length = float(np.clip(2 * channel.width_m[apex] * rng.uniform(0.8, 1.6), 60, 450))
        bar_width = float(channel.width_m[apex] * rng.uniform(0.25, 0.45))
        side = np.sign(k)  # inner bank: left on a left-turning bend
        along = channel.length_m - channel.s[apex]
        x, y = channel.point_at(along, side * channel.width_m[apex] * 0.45)
        _, _, heading, _ = channel.frame_at(along)
        ellipse = affinity.scale(Point(0, 0).buffer(1.0, 24), length / 2, bar_width / 2)
        ellipse = affinity.rotate(ellipse, heading, origin=(0, 0), use_radians=True)
        bars.append(affinity.translate(ellipse, x, y))
    return bars


def _bank_point(
    rng: np.random.Generator, channel: Channel, setback_m: float
) -> tuple[float, float, float]:
    """A point on land ``setback_m`` beyond a random bank; returns x, y, flow heading."""
    along = float(rng.uniform(0.05, 0.95) * channel.length_m)
    _, _, heading, width = channel.frame_at(along)
    side = 1 if rng.random() < 0.5 else -1
    x, y = channel.point_at(along, side * (width / 2 + setback_m))
    return x, y, heading


def _villages(
    rng: np.random.Generator, channel: Channel, water: BaseGeometry
) -> tuple[BaseGeometry, tuple[Roof, ...]]:
    clearings = []
    roofs: list[Roof] = []
    n_villages = int(rng.integers(1, 4)) if channel.length_m > 2000 else 1
    for _ in range(n_villages):
        radius = float(rng.uniform(70, 160))
        x, y, heading = _bank_point(rng, channel, radius * 0.6)
        clearing = blob(rng, x, y, radius).difference(water)
        clearings.append(clearing)
        for _ in range(int(rng.integers(6, 30))):
            px, py = x + rng.normal(0, radius / 2.5), y + rng.normal(0, radius / 2.5)
            roof = rectangle(
                px, py, rng.uniform(6, 16), rng.uniform(5, 10), heading + rng.normal(0, 0.3)
            )
            if clearing.contains(roof):
                roofs.append(
                    Roof(roof, str(rng.choice(["metal", "rust", "thatch"], p=[0.5, 0.25, 0.25])))
                )
    # Lone bright roofs right on the banks: the confuser that looks most like a dredge.
    for _ in range(int(rng.integers(3, 9))):
        x, y, heading = _bank_point(rng, channel, float(rng.uniform(6, 25)))
        roof = rectangle(x, y, rng.uniform(8, 18), rng.uniform(5, 9), heading + rng.normal(0, 0.2))
        if not roof.intersects(water):
            roofs.append(Roof(roof, "metal"))
            clearings.append(roof.buffer(12).difference(water))
    return unary_union(clearings), tuple(roofs)


def _mining_scars(
    rng: np.random.Generator, channel: Channel, water: BaseGeometry, pressure: float
) -> tuple[BaseGeometry, BaseGeometry]:
    scars = []
    ponds = []
    n = int(rng.poisson(1 + 5 * pressure)) if channel.length_m > 1500 else 0
    for _ in range(n):
        radius = float(rng.uniform(50, 220))
        x, y, _ = _bank_point(rng, channel, radius + float(rng.uniform(20, 400)))
        scar = blob(rng, x, y, radius, roughness=0.5).difference(water.buffer(15))
        scars.append(scar)
        for _ in range(int(rng.integers(1, 5))):
            px, py = x + rng.normal(0, radius / 3), y + rng.normal(0, radius / 3)
            pond = blob(rng, px, py, float(rng.uniform(12, radius / 2.5))).intersection(
                scar.buffer(-5)
            )
            if not pond.is_empty:
                ponds.append(pond)
    return unary_union(scars), unary_union(ponds)


def confusers_on(rng: np.random.Generator, channel: Channel, water_type: str) -> list[SmallObject]:
    """Boats, floating logs and foam streaks for one date."""
    objects: list[SmallObject] = []
    length = channel.length_m
    for _ in range(int(rng.integers(max(2, int(length / 1200)), max(4, int(length / 400))))):
        along = float(rng.uniform(0, length))
        _, _, heading, width = channel.frame_at(along)
        x, y = channel.point_at(along, float(rng.uniform(-0.4, 0.4) * width))
        hull = rectangle(
            x, y, rng.uniform(5, 12), rng.uniform(1.5, 3.0), heading + rng.normal(0, 0.3)
        )
        colour = str(rng.choice(["white", "wood", "blue"], p=[0.45, 0.4, 0.15]))
        objects.append(SmallObject("boat", hull, colour, 1.0))
    for _ in range(int(rng.integers(1, max(2, int(length / 500))))):
        along = float(rng.uniform(0, length))
        _, _, heading, width = channel.frame_at(along)
        x, y = channel.point_at(along, float(rng.choice([-1, 1]) * rng.uniform(0.25, 0.48) * width))
        log = rectangle(
            x, y, rng.uniform(6, 20), rng.uniform(0.8, 1.6), heading + rng.uniform(-1.5, 1.5)
        )
        objects.append(SmallObject("log", log, "wood", 1.0))
    if water_type != "blackwater" or rng.random() < 0.3:
        for _ in range(int(rng.integers(0, max(1, int(length / 800))))):
            along = float(rng.uniform(0, length))
            _, _, heading, width = channel.frame_at(along)
            x, y = channel.point_at(along, float(rng.uniform(-0.3, 0.3) * width))
            streak = rectangle(
                x, y, rng.uniform(30, 110), rng.uniform(2, 6), heading + rng.normal(0, 0.1)
            )
            objects.append(SmallObject("foam", streak, "foam", float(rng.uniform(0.3, 0.6))))
    return objects
