"""Acquisitions: dates, Planet file names, scene grids, rotated footprints, clouds and haze.

Everything here is defined in map coordinates (the river's UTM zone), so that a scene renders
with the same clouds and footprint at any GSD, and the truth (visible or not) does not depend
on the GSD it is rendered at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from shapely import Polygon, affinity, box

from training.synth.noise import fractal_noise

SATELLITES = ("2262", "2455", "241d", "24a3", "2480", "227b", "2423")
CLOUD_SCALE_M = 1400.0
CLOUD_EDGE = 0.06  # noise units over which a cloud fades in
CLOUD_VISIBLE_MAX = 0.3  # opacity above which a dredge counts as under cloud


@dataclass(frozen=True)
class SceneSpec:
    """One acquisition of one river: when, where, and what the sky was like."""

    river: str
    index: int
    acquired: datetime
    satellite: str
    subsecond: int
    bounds: tuple[float, float, float, float]  # grid extent, metres in the river's CRS
    footprint: Polygon  # valid-data area (rotated), same CRS
    cloud_cover: float  # target fraction of the grid under cloud
    cloud_threshold: float  # noise level above which there is cloud
    shadow_shift_m: tuple[float, float]
    haze: float  # 0 = clear air, 0.35 = thick haze
    water_level: float  # scales sandbars: < 1 wet season, > 1 dry season
    turbidity: float  # multiplies the river's sediment load
    seed: int

    @property
    def stem(self) -> str:
        """Planet's name: YYYYMMDD_HHMMSS_SS_XXXX (date, time, sub-second, satellite)."""
        return f"{self.acquired:%Y%m%d_%H%M%S}_{self.subsecond:02d}_{self.satellite}"

    @property
    def file_name(self) -> str:
        return f"{self.stem}_3B_AnalyticMS_SR.tif"

    @property
    def udm2_name(self) -> str:
        return f"{self.stem}_3B_udm2.tif"

    @property
    def metadata_name(self) -> str:
        return f"{self.stem}_metadata.json"

    def cloud_opacity(
        self, x: NDArray[np.floating], y: NDArray[np.floating], *, grid: bool = False
    ) -> NDArray[np.float32]:
        """Cloud opacity in [0, 1] at map points, or on a grid of column x and row y."""
        shape = (np.size(y), np.size(x)) if grid else np.shape(x)
        if self.cloud_cover <= 0:
            return np.zeros(shape, dtype=np.float32)
        field = fractal_noise(x, y, CLOUD_SCALE_M, self.seed, octaves=5, grid=grid)
        return np.clip((field - self.cloud_threshold) / CLOUD_EDGE, 0, 1).astype(np.float32)

    def shadow(
        self, x: NDArray[np.floating], y: NDArray[np.floating], *, grid: bool = False
    ) -> NDArray[np.float32]:
        """Cloud-shadow strength in [0, 1]: the cloud field displaced away from the sun."""
        dx, dy = self.shadow_shift_m
        return self.cloud_opacity(np.asarray(x) - dx, np.asarray(y) - dy, grid=grid)


def acquisition_dates(rng: np.random.Generator, year: int, per_year: int) -> list[datetime]:
    """``per_year`` distinct dates spread over a year, around 15:00 UTC (10:00 in Peru)."""
    slots = np.linspace(0, 365, per_year + 1)[:-1]
    days = sorted({int(s + rng.uniform(0, 365 / per_year - 1)) for s in slots})
    out = []
    for day in days:
        moment = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=day)
        moment += timedelta(
            hours=14, minutes=int(rng.uniform(15, 75)), seconds=int(rng.uniform(0, 60))
        )
        out.append(moment)
    return out


def scene_spec(
    rng: np.random.Generator,
    river: str,
    index: int,
    acquired: datetime,
    region: tuple[float, float, float, float],
    gsd_grid_m: float,
    seed: int,
) -> SceneSpec:
    """Draw the grid, footprint and weather of one acquisition over ``region``."""
    minx, _, maxx, maxy = region
    side = maxx - minx
    shift = rng.uniform(-0.06, 0.06, size=2) * side
    # Snap the grid origin to a coarse step so every supported GSD divides it.
    snap = 12.0 * gsd_grid_m
    ox = float(np.round((minx + shift[0]) / snap) * snap)
    oy = float(np.round((maxy + shift[1]) / snap) * snap)
    bounds = (ox, oy - side, ox + side, oy)
    angle = float(rng.uniform(7, 13))
    scale = float(rng.uniform(0.84, 0.92))
    centre = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    cx = centre[0] + rng.uniform(-0.04, 0.04) * side
    cy = centre[1] + rng.uniform(-0.04, 0.04) * side
    half = scale * side / 2
    footprint = affinity.rotate(box(cx - half, cy - half, cx + half, cy + half), angle)
    footprint = footprint.intersection(box(*bounds))
    weather = rng.random()
    cloud_cover = (
        0.0
        if weather < 0.45
        else float(rng.uniform(0.05, 0.35) if weather < 0.85 else rng.uniform(0.4, 0.85))
    )
    scene_seed = int(rng.integers(0, 2**31 - 1))
    threshold = _cloud_threshold(bounds, cloud_cover, scene_seed)
    sun = np.deg2rad(rng.uniform(40, 80))
    reach = rng.uniform(150, 400)
    month = acquired.month
    dry_season = 6 <= month <= 10
    return SceneSpec(
        river=river,
        index=index,
        acquired=acquired,
        satellite=str(rng.choice(SATELLITES)),
        subsecond=int(rng.integers(0, 100)),
        bounds=bounds,
        footprint=footprint,
        cloud_cover=cloud_cover,
        cloud_threshold=threshold,
        shadow_shift_m=(float(reach * np.cos(sun)), float(-reach * np.sin(sun))),
        haze=float(rng.uniform(0.1, 0.35)) if rng.random() < 0.25 else 0.0,
        water_level=float(rng.uniform(1.0, 1.35) if dry_season else rng.uniform(0.6, 1.0)),
        turbidity=float(rng.uniform(0.8, 1.3)),
        seed=scene_seed,
    )


def _cloud_threshold(bounds: tuple[float, float, float, float], cover: float, seed: int) -> float:
    """Noise level that puts about ``cover`` of the grid under cloud (GSD-independent)."""
    if cover <= 0:
        return 2.0
    xs = np.linspace(bounds[0], bounds[2], 96)
    ys = np.linspace(bounds[1], bounds[3], 96)
    gx, gy = np.meshgrid(xs, ys)
    field = fractal_noise(gx, gy, CLOUD_SCALE_M, seed, octaves=5)  # points: GSD-independent
    return float(np.quantile(field, 1 - cover))


def is_visible(spec: SceneSpec, x: float, y: float) -> bool:
    """True iff the point is inside the valid footprint and not under cloud."""
    from shapely import Point

    if not spec.footprint.contains(Point(x, y)):
        return False
    opacity = spec.cloud_opacity(np.array([x]), np.array([y]))[0]
    return bool(opacity < CLOUD_VISIBLE_MAX)


def year_span(years: tuple[int, int]) -> tuple[date, date]:
    return date(years[0], 1, 1), date(years[1], 12, 31)
