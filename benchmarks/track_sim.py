"""A fast simulated dredge world for the tracking benchmarks (no rasters).

It mimics the life of dredges in :mod:`training.synth.dredges` — groups of 1–6 moored side by
side, stays of 14–75 days, moves of 0.2–5 km, lifetimes of 60–420 days, and 30 % of groups
(``return_share``) leaving and coming back months later elsewhere on the river, a move past a
river end turning back — on straight rivers laid out west to east, with scenes whose footprints
cover part of a river and whose clouds hide stretches of it. It returns the truth in the columns
of the synthetic world's ``truth/dredges.csv`` (plus ``chainage_m`` and ``offset_m``) and the
clear observed area of each scene, as :func:`detector.observed.observed_areas` would.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from training.synth.dredges import reflect_into

M_PER_DEG = 111_320.0
GROUP_SIZES = np.array([1, 2, 3, 4, 5, 6])
GROUP_SIZE_P = np.array([0.34, 0.24, 0.17, 0.11, 0.08, 0.06])


@dataclass(frozen=True)
class SimConfig:
    """Size of the simulated world."""

    rivers: int = 5
    years: tuple[int, int] = (2023, 2025)
    river_length_m: float = 30_000.0
    width_m: float = 150.0
    groups_per_year: float = 12.0  # groups that start their life in an average year
    revisit_days: float = 5.0  # mean days between usable scenes of a river
    return_share: float = 0.3  # groups that leave the river and come back months later
    seed: int = 1


@dataclass
class SimWorld:
    """Truth (one row per dredge per scene), scenes and observed areas."""

    truth: pd.DataFrame
    observed: gpd.GeoDataFrame
    config: SimConfig


def river_name(index: int) -> str:
    return f"R{index:02d}"


def to_lon_lat(
    river: NDArray[np.int64], chainage_m: NDArray[np.float64], offset_m: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rivers flow east along latitude −3 − river/10; chainage 0 is the east (downstream) end."""
    lat0 = -3.0 - river / 10.0
    lon = -74.0 - chainage_m / M_PER_DEG
    lat = lat0 + offset_m / M_PER_DEG
    return lon, lat


def simulate(config: SimConfig) -> SimWorld:
    """Draw the world of ``config``; the same config gives the same tables."""
    rng = np.random.default_rng(config.seed)
    start = pd.Timestamp(f"{config.years[0]}-01-01", tz="UTC")
    days = (pd.Timestamp(f"{config.years[1] + 1}-01-01", tz="UTC") - start).days
    truth_parts, observed_parts = [], []
    for r in range(config.rivers):
        scenes = _scenes(rng, r, start, days, config)
        stays, members = _groups(rng, r, days, config)
        truth_parts.append(_appearances(r, scenes, stays, members, start))
        observed_parts.append(scenes.assign(acquired=start + pd.to_timedelta(scenes["day"], "D")))
    truth = pd.concat(truth_parts, ignore_index=True)
    scenes = pd.concat(observed_parts, ignore_index=True)
    observed = gpd.GeoDataFrame(
        scenes[["scene", "acquired"]].reset_index(drop=True),
        geometry=list(scenes["area"]),
        crs="EPSG:4326",
    )
    return SimWorld(truth=truth, observed=observed, config=config)


def _scenes(
    rng: np.random.Generator, r: int, start: pd.Timestamp, days: int, config: SimConfig
) -> pd.DataFrame:
    """Scene days, footprints (a stretch of river) and clouds (stretches hidden)."""
    slots = np.arange(0, days - 1, config.revisit_days)
    # Scenes fall at any hour of the UTC day (not at Planet's ~14:30 UTC pass over Peru);
    # years and dates are UTC on both sides, so counts do not depend on it.
    day = slots + rng.uniform(0, config.revisit_days, len(slots)) * 0.8 + 0.6
    day = day[day < days]
    length = config.river_length_m
    rows = []
    for k, d in enumerate(day):
        a = rng.uniform(-0.3, 0.2) * length
        b = a + rng.uniform(0.6, 1.1) * length
        foot = (max(a, 0.0), min(b, length))
        weather = rng.random()
        cover = 0.0 if weather < 0.45 else rng.uniform(0.05, 0.35 if weather < 0.85 else 0.85)
        clouds = []
        for _ in range(int(rng.integers(1, 4)) if cover > 0 else 0):
            size = cover * length / 2
            centre = rng.uniform(0, length)
            clouds.append((centre - size / 2, centre + size / 2))
        stamp = start + pd.to_timedelta(d, "D")
        rows.append(
            {
                "scene": f"{stamp:%Y%m%d_%H%M%S}_{k % 100:02d}_{r:04d}_3B_AnalyticMS_SR",
                "day": d,
                "foot": foot,
                "clouds": clouds,
                "area": _area(r, foot, clouds, config.width_m),
            }
        )
    return pd.DataFrame(rows)


def _area(
    r: int, foot: tuple[float, float], clouds: list[tuple[float, float]], width: float
) -> shapely.Geometry:
    """Footprint stretch minus cloud stretches, as a lon/lat polygon around the channel."""

    def strip(a: float, b: float) -> shapely.Geometry:
        lon, lat = to_lon_lat(np.array([r, r]), np.array([a, b]), np.array([-width, width]))
        return shapely.box(lon.min(), lat.min(), lon.max(), lat.max())

    area = strip(*foot)
    for a, b in clouds:
        area = area.difference(strip(a, b))
    return area


def _groups(
    rng: np.random.Generator, r: int, days: int, config: SimConfig
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stays (group, start, end, chainage, offset) and members (group, slot offset, days)."""
    n_groups = rng.poisson(config.groups_per_year * days / 365)
    length, room = config.river_length_m, config.width_m / 2 - 10
    stays, members = [], []
    next_id = 1
    for g in range(n_groups):
        size = int(rng.choice(GROUP_SIZES, p=GROUP_SIZE_P))
        t = rng.uniform(-120, days - 20)
        lifetime = rng.uniform(60, 420)
        periods = [(t, t + lifetime)]
        if rng.random() < config.return_share:
            back = t + lifetime + rng.uniform(60, 240)
            periods.append((back, back + rng.uniform(30, 200)))
        for p_start, p_end in periods:
            chainage = rng.uniform(250, length - 250)
            day = p_start
            while day < p_end:
                stay_days = rng.uniform(14, 75)
                offset = rng.uniform(-room, max(room - size * 18.0, -room))
                stays.append((g, day, min(day + stay_days, p_end), chainage, offset))
                day += stay_days
                move = float(np.exp(rng.uniform(np.log(200), np.log(5000))))
                chainage = reflect_into(chainage + rng.choice([-1, 1]) * move, 250, length - 250)
        first, last = periods[0][0], periods[-1][1]
        offset = 0.0
        for slot in range(size):
            width = rng.uniform(5, 12)
            joins, leaves = first, last
            if slot > 0 and rng.random() < 0.3:
                if rng.random() < 0.5:
                    joins = first + rng.uniform(0, 0.4) * (last - first)
                else:
                    leaves = last - rng.uniform(0, 0.4) * (last - first)
            centre = offset + width / 2
            members.append(
                (
                    g,
                    f"{river_name(r)}-{next_id:04d}",
                    centre,
                    joins,
                    leaves,
                    rng.uniform(12, 30),
                    width,
                )
            )
            offset += width + rng.uniform(2, 6)
            next_id += 1
    stay_frame = pd.DataFrame(stays, columns=["group", "start", "end", "chainage_m", "offset_m"])
    member_frame = pd.DataFrame(
        members, columns=["group", "dredge_id", "slot_m", "joins", "leaves", "length_m", "width_m"]
    )
    return stay_frame, member_frame


def _appearances(
    r: int,
    scenes: pd.DataFrame,
    stays: pd.DataFrame,
    members: pd.DataFrame,
    start: pd.Timestamp,
) -> pd.DataFrame:
    """One row per dredge per scene whose footprint covers its river (visible or not)."""
    columns = [
        "dredge_id", "river", "scene", "acquired", "lon", "lat", "x", "y", "crs",
        "length_m", "width_m", "heading_deg", "visible", "chainage_m", "offset_m",
    ]  # fmt: skip
    s_start, s_end = stays["start"].to_numpy(), stays["end"].to_numpy()
    parts = []
    for scene in scenes.itertuples():
        on = stays[(s_start <= scene.day) & (s_end > scene.day)]
        if on.empty:
            continue
        here = on.merge(members, on="group")
        here = here[(here["joins"] <= scene.day) & (here["leaves"] > scene.day)]
        if here.empty:
            continue
        s = here["chainage_m"].to_numpy()
        o = here["offset_m"].to_numpy() + here["slot_m"].to_numpy()
        lo, hi = scene.foot
        visible = (s >= lo) & (s <= hi)
        for a, b in scene.clouds:
            visible &= ~((s >= a) & (s <= b))
        lon, lat = to_lon_lat(np.full(len(s), r), s, o)
        acquired = start + pd.to_timedelta(scene.day, "D")
        parts.append(
            pd.DataFrame(
                {
                    "dredge_id": here["dredge_id"].to_numpy(),
                    "river": river_name(r),
                    "scene": scene.scene,
                    "acquired": acquired.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "lon": lon,
                    "lat": lat,
                    "x": s,
                    "y": o,
                    "crs": "river",
                    "length_m": here["length_m"].to_numpy(),
                    "width_m": here["width_m"].to_numpy(),
                    "heading_deg": 0.0,
                    "visible": visible,
                    "chainage_m": s,
                    "offset_m": o,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
