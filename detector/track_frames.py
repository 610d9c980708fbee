"""What the tracker steps through: each river's passes as frames, with what they saw.

A frame is one pass over one river (one scene, or the scenes of a strip seconds apart that
found something there, chained within :data:`detector.passes.STRIP_GAP_SECONDS`): its
detections (a slice of the sorted table) and its scenes' clear, valid area
(:func:`detector.observed.observed_areas`), each found by scene name or, failing that, by
acquisition time. Two detections of one frame are never linked to each other: a pass sees
two dredges there, not one twice (its duplicates are gone by then,
:func:`detector.passes.same_pass_duplicates`); stepping scene by scene, a group first seen in
a strip's overlap, one member's kept detection in each scene, was one dredge "staying".
Scenes of two satellites minutes apart are two frames, as two looks: the second's detection of
a dredge that the first's image put 20 m off, beyond a duplicate's reach, is a stay at its
mooring (one pass, it opened a second mooring, and the dredge counted twice). Scenes that saw
a river without a detection on it are frames too: they are what tells the tracker that a
dredge's spot was seen empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from detector.observed import scene_key
from detector.passes import STRIP_GAP_MS, pass_numbers
from detector.wording import agree, count_of

WGS84 = "EPSG:4326"
DAY_NS = 86_400 * 10**9


@dataclass
class Frame:
    """One pass over one river: its detections (a slice) and what its scenes saw."""

    time: float  # days since 1970-01-01 UTC
    start: int
    stop: int
    seen: shapely.Geometry | None  # clear valid area, EPSG:4326


@dataclass
class Schedule:
    """Frames of all rivers as (river × step) arrays; step k is the k-th frame of a river."""

    time: NDArray[np.float64]  # NaN past a river's last frame
    start: NDArray[np.int64]
    stop: NDArray[np.int64]
    seen: NDArray[np.object_]  # None where nothing is known to be seen

    @classmethod
    def build(cls, per_river: list[list[Frame]]) -> Schedule:
        steps = max((len(frames) for frames in per_river), default=0)
        shape = (len(per_river), steps)
        schedule = cls(
            time=np.full(shape, np.nan),
            start=np.zeros(shape, dtype=np.int64),
            stop=np.zeros(shape, dtype=np.int64),
            seen=np.full(shape, None, dtype=object),
        )
        for r, frames in enumerate(per_river):
            for k, frame in enumerate(frames):
                schedule.time[r, k] = frame.time
                schedule.start[r, k], schedule.stop[r, k] = frame.start, frame.stop
                schedule.seen[r, k] = frame.seen
        return schedule


class ObservedIndex:
    """Observed areas with lookups by scene name and by acquisition second."""

    def __init__(self, observed: gpd.GeoDataFrame) -> None:
        require_columns(observed, ("scene", "acquired", "geometry"))
        areas = observed.to_crs(WGS84) if observed.crs is not None else observed
        self.geometry = np.asarray(areas.geometry.array, dtype=object)
        shapely.prepare(self.geometry)
        self.time = days_since_epoch(areas["acquired"]) if len(areas) else np.zeros(0)
        self.bounds = shapely.bounds(self.geometry)
        self.keys = [scene_key(v) for v in areas["scene"]]
        self.by_key = {key: i for i, key in enumerate(self.keys)}
        seconds = np.round(self.time * 86_400).astype(np.int64)
        unique, counts = np.unique(seconds, return_counts=True)
        once = set(unique[counts == 1].tolist())
        self.by_second = {int(sec): i for i, sec in enumerate(seconds) if int(sec) in once}

    def lookup(self, key: str | None, time: float) -> int | None:
        """Index of the observed scene for a detection frame, by name then by time."""
        if key is not None and key in self.by_key:
            return self.by_key[key]
        return self.by_second.get(round(time * 86_400))

    def near(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64], pad: float
    ) -> NDArray[np.int64]:
        """Scenes whose bounds overlap the points' bounding box grown by ``pad`` degrees."""
        if len(lon) == 0:
            return np.zeros(0, dtype=np.int64)
        b = self.bounds
        hit = (
            (b[:, 0] <= lon.max() + pad)
            & (b[:, 2] >= lon.min() - pad)
            & (b[:, 1] <= lat.max() + pad)
            & (b[:, 3] >= lat.min() - pad)
        )
        return np.flatnonzero(hit)


@dataclass
class SceneKeys:
    codes: NDArray[np.int64]  # per detection; -1 when there is no scene column or value
    names: list[str]


def detection_scene_keys(detections: pd.DataFrame) -> SceneKeys:
    if "scene" not in detections.columns:
        return SceneKeys(np.full(len(detections), -1, dtype=np.int64), [])
    values = detections["scene"].astype("string")
    codes, uniques = pd.factorize(values, sort=True)  # numbered by name, not by row order
    return SceneKeys(codes.astype(np.int64), [scene_key(u) for u in uniques])


def river_frames(
    rows: NDArray[np.int64],
    times: NDArray[np.float64],
    keys: SceneKeys,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    seen: ObservedIndex | None,
) -> list[Frame]:
    """Split one river's sorted detections into frames, one a pass, and add scenes that saw
    none (each a frame of its own)."""
    t, code = times[rows], keys.codes[rows]
    # One frame a pass (the scenes of a strip, seconds apart: detector.passes), its area
    # what any of its scenes saw.
    scenes = np.flatnonzero((np.diff(t) != 0) | (np.diff(code) != 0)) + 1
    strips = pass_numbers(np.zeros(len(rows), dtype=np.int64), t, STRIP_GAP_MS)
    cut = np.flatnonzero(np.diff(strips)) + 1
    bounds = np.concatenate([[0], cut, [len(rows)]]) if len(rows) else np.zeros(1, np.int64)
    frames: list[Frame] = []
    used: set[int] = set()
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        areas = []
        if seen is not None:
            for first in [a, *scenes[(scenes > a) & (scenes < b)].tolist()]:
                key = keys.names[code[first]] if code[first] >= 0 else None
                index = seen.lookup(key, float(t[first]))
                if index is not None:
                    areas.append(seen.geometry[index])
                    used.add(index)
        area = areas[0] if len(areas) == 1 else None
        if len(areas) > 1:
            area = shapely.union_all(areas)
            shapely.prepare(area)
        frames.append(Frame(float(t[a]), a, b, area))
    if seen is not None:
        near = seen.near(lon[rows], lat[rows], pad=0.01)  # degrees, ~1 km
        end = len(rows)
        extra = [
            Frame(float(seen.time[i]), end, end, seen.geometry[i])
            for i in near.tolist()
            if i not in used and not shapely.is_empty(seen.geometry[i])
        ]
        frames.extend(extra)
        frames.sort(key=lambda f: f.time)
    return frames


def day_ranges(schedule: Schedule) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per river and frame step, the detections of the river on the frame's UTC day (in every
    scene of the day, as a slice of the sorted table: a river's rows are in time order)."""
    start, stop = np.zeros_like(schedule.start), np.zeros_like(schedule.stop)
    for r in range(schedule.time.shape[0]):
        n = int(np.isfinite(schedule.time[r]).sum())
        if n == 0:
            continue
        days = np.floor(schedule.time[r, :n])
        has = schedule.stop[r, :n] > schedule.start[r, :n]
        low = np.where(has, schedule.start[r, :n], np.iinfo(np.int64).max)
        high = np.where(has, schedule.stop[r, :n], -1)
        firsts = np.concatenate([[0], np.flatnonzero(np.diff(days)) + 1])
        group = np.cumsum(np.isin(np.arange(n), firsts)) - 1
        low, high = np.minimum.reduceat(low, firsts), np.maximum.reduceat(high, firsts)
        any_det = high >= 0
        start[r, :n] = np.where(any_det, low, 0)[group]
        stop[r, :n] = np.where(any_det, high, 0)[group]
    return start, stop


class Looks:
    """Per mooring, the UTC days of its last two looks: passes over its river that found a
    dredge on it (the group may have moored there), or whose clear area held the mooring's
    spot. A scene of neither kind saw nothing of the dredge: one whose footprint only came
    within about 1 km of the river's detections (a frame of the river, :func:`river_frames`)
    was taken for a look at the river, and a dredge detected 70 days apart around it (over
    ``stay_gap_days``) opened a second mooring and counted twice."""

    def __init__(self, capacity: int) -> None:
        self.last = np.full(capacity, -np.inf)
        self.before = np.full(capacity, -np.inf)  # the last on an earlier day than ``last``

    def note(
        self,
        ids: NDArray[np.int64],
        river: NDArray[np.int64],
        schedule: Schedule,
        step: int,
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
    ) -> None:
        """Note the step's frame as a look for the moorings ``ids`` (on ``river``, last
        detected at ``lon``, ``lat``) that it is one for."""
        day = np.floor(schedule.time[river, step])
        found = schedule.stop[river, step] > schedule.start[river, step]
        look = found | shapely.contains_xy(schedule.seen[river, step], lon, lat)
        look &= day > self.last[ids]  # NaN (no frame) compares False
        ids, day = ids[look], day[look]
        self.before[ids], self.last[ids] = self.last[ids], day

    def earlier(self, ids: NDArray[np.int64], day: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each mooring's last look on a UTC day before ``day`` (-inf for none): the other
        scenes of a pass are no other look."""
        return np.where(self.last[ids] < day, self.last[ids], self.before[ids])


def days_since_epoch(values: pd.Series) -> NDArray[np.float64]:
    """Days since 1970-01-01 UTC as floats (naive times are taken as UTC)."""
    stamps = pd.to_datetime(values, utc=True)
    ns = stamps.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return ns.to_numpy().astype(np.int64) / DAY_NS


def centres_lon_lat(
    detections: pd.DataFrame, *, needed: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Centre of each detection in EPSG:4326 (NaN without a geometry)."""
    if isinstance(detections, gpd.GeoDataFrame) and detections.geometry.name in detections:
        geoms = detections.geometry
        if geoms.crs is not None and not geoms.crs.equals(WGS84):
            geoms = geoms.to_crs(WGS84)
        centres = shapely.centroid(np.asarray(geoms.array, dtype=object))
        return shapely.get_x(centres), shapely.get_y(centres)
    if needed:
        raise ValueError("observed areas need detection geometries (a GeoDataFrame)")
    nan = np.full(len(detections), np.nan)
    return nan, nan.copy()


def require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"missing {agree(len(missing), 'column', 'columns')}: {', '.join(missing)}"
        )


def require_offsets(detections: pd.DataFrame, missing: NDArray[np.bool_]) -> None:
    """Refuse rows placed on a river (``river`` and ``chainage_m``) without an ``offset_m``:
    the gates cannot measure them across the channel (each opened a mooring, and so a track,
    of its own without a word)."""
    if not missing.any():
        return
    first = detections.index[int(np.flatnonzero(missing)[0])]
    raise ValueError(
        f"{count_of(int(missing.sum()), 'detection')} on a river "
        f"{agree(int(missing.sum()), 'has', 'have')} no finite 'offset_m' (e.g. row "
        f"{first!r}); measure river, chainage_m and offset_m together "
        "(detector.rivers.RiverNetwork.locate), or drop those rows"
    )


def require_chainages(detections: pd.DataFrame, far: NDArray[np.bool_], limit_m: float) -> None:
    """Refuse rows placed on a river at a ``chainage_m`` of ``limit_m`` or more either way (no
    river is that long; the lookups keep rivers ``limit_m`` apart): 1e25 m was cast to the
    cell number -9223372036854775808 (and that cell's numbering overflowed), and 1e308 m
    made its mooring's mean chainage inf, without a word."""
    if not far.any():
        return
    row = int(np.flatnonzero(far)[0])
    first = detections.index[row]
    value = float(detections["chainage_m"].iloc[row])
    raise ValueError(
        f"{count_of(int(far.sum()), 'detection')} on a river "
        f"{agree(int(far.sum()), 'has', 'have')} a 'chainage_m' of {limit_m:g} m or more "
        f"either way (e.g. row {first!r}: {value:g}); measure river, chainage_m and offset_m "
        "together (detector.rivers.RiverNetwork.locate), or drop those rows"
    )
