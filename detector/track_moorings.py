"""Level 1 of the tracker: moorings, detections at the same spot over time.

Split from :mod:`detector.tracking` (whose module notes describe the method): the per-mooring
state (:class:`Moorings`) and the frame-by-frame pass that fills it (:func:`find_moorings`):
detections join open moorings one-to-one within the stay gates, a spot seen clearly without a
detection counts as seen empty, and moorings that can no longer resume close. The move stage
(level 2) and the public :func:`detector.tracking.link_tracks` stay in :mod:`detector.tracking`.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from detector.assignment import assign_pairs, concat_ranges, window_pairs
from detector.track_frames import Looks, Schedule, day_ranges
from detector.track_params import TrackParams, within_gate
from detector.track_table import LINK_NEW, LINK_RESUME, LINK_STAY

RIVER_SPACING_M = 1e9  # chainage offset between rivers processed together, in lookups only
LOOKUP_SLACK_M = 1.0  # lookups on offset chainage reach this much further; the gates then
# test the chainage itself


class Moorings:
    """Per-mooring state arrays (at most one mooring per detection)."""

    def __init__(self, capacity: int) -> None:
        self.s = np.zeros(capacity)  # running mean chainage (river offsets: lookups only)
        self.o = np.zeros(capacity)  # running mean offset
        self.n = np.zeros(capacity, dtype=np.int64)
        self.river = np.zeros(capacity, dtype=np.int64)
        self.step = np.zeros(capacity, dtype=np.int64)  # frame step of the first detection
        self.last_step = np.zeros(capacity, dtype=np.int64)  # and of the last
        self.first = np.zeros(capacity)  # days of the first and last detection
        self.last = np.zeros(capacity)
        self.lon = np.zeros(capacity)  # last detected position, EPSG:4326
        self.lat = np.zeros(capacity)
        self.absent = np.zeros(capacity, dtype=np.int64)  # seen empty since the last detection
        self.absent_total = np.zeros(capacity, dtype=np.int64)
        self.left = np.full(capacity, np.inf)  # first time seen empty after the last detection
        self.empty_day = np.full(capacity, -np.inf)  # UTC day of the last look that saw it empty
        self.arrive = np.full(capacity, -np.inf)  # last time seen empty before the first one
        self.count = 0


def find_moorings(
    river: NDArray[np.int64],
    s: NDArray[np.float64],
    o: NDArray[np.float64],
    t: NDArray[np.float64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    schedule: Schedule,
    params: TrackParams,
    observed: bool,
) -> tuple[Moorings, NDArray[np.int64], NDArray[np.int64]]:
    """Level 1: group detections at the same spot over time, one frame step at a time."""
    moorings = Moorings(len(s))
    det_mooring = np.full(len(s), -1, dtype=np.int64)
    det_link = np.full(len(s), LINK_STAY, dtype=np.int64)
    live = np.zeros(0, dtype=np.int64)
    day_start, day_stop = day_ranges(schedule)
    looks = Looks(len(s))
    for k in range(schedule.time.shape[1]):
        now = schedule.time[:, k]
        live = _close(moorings, live, now, params, observed)
        dets = concat_ranges(schedule.start[:, k], schedule.stop[:, k])
        matched = np.zeros(0, dtype=np.int64)
        if len(dets):
            matched = _stay(
                moorings, live, dets, river, s, o, t, looks, params, det_mooring, det_link
            )
            fresh = dets[det_mooring[dets] < 0]
            ids = np.arange(moorings.count, moorings.count + len(fresh))
            moorings.count += len(fresh)
            moorings.s[ids], moorings.o[ids], moorings.n[ids] = s[fresh], o[fresh], 1
            moorings.river[ids] = river[fresh]
            moorings.step[ids], moorings.first[ids] = k, t[fresh]
            moorings.lon[ids], moorings.lat[ids] = lon[fresh], lat[fresh]
            det_mooring[fresh] = ids
            det_link[fresh] = LINK_NEW
            if observed:
                _arrivals(moorings, ids, schedule, k, params, s, (day_start, day_stop))
            live = np.concatenate([live, ids])
            hit = det_mooring[dets]
            moorings.last[hit], moorings.last_step[hit] = t[dets], k
            moorings.lon[hit], moorings.lat[hit] = lon[dets], lat[dets]
            moorings.absent[hit] = 0
            moorings.left[hit] = np.inf
            matched = np.concatenate([matched, ids])
        if observed:
            _seen_empty(moorings, live, matched, schedule, k, s, params, (day_start, day_stop))
        looks.note(live, moorings.river[live], schedule, k, moorings.lon[live], moorings.lat[live])
    return moorings, det_mooring, det_link


def _close(
    moorings: Moorings,
    live: NDArray[np.int64],
    now: NDArray[np.float64],
    params: TrackParams,
    observed: bool,
) -> NDArray[np.int64]:
    """Drop moorings that can no longer resume; return those still open.

    ``now`` is the current frame time of each river (NaN when a river has no more frames).
    Without observed areas nothing is ever seen empty: a mooring closes after
    ``unobserved_gap_days`` without a detection.
    """
    gap = now[moorings.river[live]] - moorings.last[live]  # NaN compares False: stays open
    if not observed:
        return live[~(gap > params.unobserved_gap_days)]
    absent = moorings.absent[live]
    left = absent >= params.absent_to_end
    gone = (gap > params.resume_days) | (absent > params.resume_absent_max)
    closing = (left & gone) | (gap > params.close_days)
    return live[~closing]


def _stay(
    moorings: Moorings,
    live: NDArray[np.int64],
    dets: NDArray[np.int64],
    river: NDArray[np.int64],
    s: NDArray[np.float64],
    o: NDArray[np.float64],
    t: NDArray[np.float64],
    looks: Looks,
    params: TrackParams,
    det_mooring: NDArray[np.int64],
    det_link: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Match a step's detections one-to-one to open moorings; return the moorings matched.
    ``looks``: each mooring's looks (:class:`detector.track_frames.Looks`)."""
    if len(live) == 0:
        return np.zeros(0, dtype=np.int64)
    key = moorings.s[live] + moorings.river[live] * RIVER_SPACING_M
    reach = params.stay_gate_m + LOOKUP_SLACK_M
    mi, dj = window_pairs(key, s[dets] + river[dets] * RIVER_SPACING_M, reach)
    mi, dj = live[mi], dets[dj]
    ds, do = np.abs(s[dj] - moorings.s[mi]), np.abs(o[dj] - moorings.o[mi])
    keep = within_gate(ds, params.stay_gate_m)
    keep &= within_gate(do, params.stay_lateral_m)
    keep &= moorings.river[mi] == river[dj]
    # After a long gap with other looks (Looks), the group may have been elsewhere (the other
    # scenes of the last detection's pass or of this one are no other look).
    away = t[dj] - moorings.last[mi] > params.stay_gap_days
    away &= looks.earlier(mi, np.floor(t[dj])) > np.floor(moorings.last[mi])
    keep &= ~away
    mi, dj, ds, do = mi[keep], dj[keep], ds[keep], do[keep]
    resumed = moorings.absent[mi] >= params.absent_to_end
    chosen, _ = assign_pairs(mi, dj, ds + params.lateral_weight * do + resumed * params.stay_gate_m)
    mi, dj = mi[chosen], dj[chosen]
    det_mooring[dj] = mi
    det_link[dj] = np.where(resumed[chosen], LINK_RESUME, LINK_STAY)
    n = moorings.n[mi]
    moorings.s[mi] = (moorings.s[mi] * n + s[dj]) / (n + 1)
    moorings.o[mi] = (moorings.o[mi] * n + o[dj]) / (n + 1)
    moorings.n[mi] = n + 1
    return mi


def _arrivals(
    moorings: Moorings,
    ids: NDArray[np.int64],
    schedule: Schedule,
    step: int,
    params: TrackParams,
    s: NDArray[np.float64],
    days: tuple[NDArray[np.int64], NDArray[np.int64]],
) -> None:
    """For new moorings, the last earlier frame of their river that saw their spot empty:
    without a detection there (or they would have continued an open mooring — unless that one
    was last detected more than ``stay_gap_days`` before) and without one within
    ``group_gate_m`` along the channel that day, in any scene (their group was there; the
    detector missed them); looked for up to ``link_gap_days`` back. ``s`` is the sorted
    detections' chainage, ``days`` each frame's detections of its day
    (:func:`detector.track_frames.day_ranges`)."""
    window, gate = params.link_gap_days, params.group_gate_m
    todo = ids
    for k in range(step - 1, -1, -1):
        if len(todo) == 0:
            break
        river = moorings.river[todo]
        todo = todo[schedule.time[river, k] >= moorings.first[todo] - window]
        if len(todo) == 0:
            break
        river = moorings.river[todo]
        inside = shapely.contains_xy(
            schedule.seen[river, k], moorings.lon[todo], moorings.lat[todo]
        )
        # A look at the spot while its group was there (a member missed) is no arrival.
        inside &= ~_beside(moorings.s[todo], days[0][river, k], days[1][river, k], s, gate)
        # Nor is a look earlier the same UTC day (another scene of the pass, seconds before,
        # whose detector missed it), as _seen_empty takes none as a departure.
        inside &= np.floor(schedule.time[river, k]) < np.floor(moorings.first[todo])
        moorings.arrive[todo[inside]] = schedule.time[river[inside], k]
        todo = todo[~inside]


def _beside(
    spot: NDArray[np.float64],
    start: NDArray[np.int64],
    stop: NDArray[np.int64],
    s: NDArray[np.float64],
    gate: float,
) -> NDArray[np.bool_]:
    """Whether each ``spot`` has a detection of its frame (``s[start:stop]``) within ``gate``."""
    counts = np.maximum(stop - start, 0)
    dets = concat_ranges(start, stop)
    owner = np.repeat(np.arange(len(spot)), counts)
    near = within_gate(np.abs(s[dets] - spot[owner]), gate)
    return np.bincount(owner, near, minlength=len(spot)) > 0


def _seen_empty(
    moorings: Moorings,
    live: NDArray[np.int64],
    matched: NDArray[np.int64],
    schedule: Schedule,
    step: int,
    s: NDArray[np.float64],
    params: TrackParams,
    days: tuple[NDArray[np.int64], NDArray[np.int64]],
) -> None:
    """Count a miss for open moorings whose spot this step's frame saw without a detection
    there or within ``group_gate_m`` along the channel that UTC day, in any of its scenes
    (``s``: the sorted detections' chainage; ``days``:
    :func:`~detector.track_frames.day_ranges`), at most one a day. The scenes of a pass are one
    look: a strip's overlap counted twice, three missed passes ended a stay; a look seconds
    before the next scene found the dredge, or whose detections beside the spot were the other
    scene's duplicates, saw it empty."""
    cand = live[~np.isin(live, matched)]
    now = schedule.time[moorings.river[cand], step]
    # A detection earlier the same UTC day (e.g. a hand-marked date) is not contradicted, and
    # a spot seen empty again that day (the overlap of a strip's next scene, seconds later)
    # is the same look: counted twice, three missed passes ended a stay.
    day = np.floor(now)
    cand = cand[(np.floor(moorings.last[cand]) < day) & (moorings.empty_day[cand] < day)]
    if len(cand) == 0:
        return
    river = moorings.river[cand]
    inside = shapely.contains_xy(schedule.seen[river, step], moorings.lon[cand], moorings.lat[cand])
    # A spot beside a detected neighbour was not seen empty: its group is there, and the
    # detector missed this member (a group moves as one).
    river = river[inside]
    beside = _beside(
        moorings.s[cand[inside]], days[0][river, step], days[1][river, step], s, params.group_gate_m
    )
    seen, when = cand[inside][~beside], schedule.time[river[~beside], step]
    moorings.absent[seen] += 1
    moorings.absent_total[seen] += 1
    moorings.left[seen] = np.minimum(moorings.left[seen], when)
    moorings.empty_day[seen] = np.floor(when)
