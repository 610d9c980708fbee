"""Link detections across dates into tracks: one track per dredge on a river.

Dredges are not video objects. Scenes of a river arrive days or weeks apart, a dredge stays
moored for weeks, then moves 0.2–5 km up- or downstream, and clouds hide it on some dates.
Linking therefore works along the river, in river coordinates (``chainage_m`` from the
downstream end, signed ``offset_m`` across the channel), in two levels:

1. **Moorings** — pass by pass ("frames", in time order; a strip's scenes, seconds apart, are
   one: :mod:`detector.track_frames`), each detection joins the open mooring within
   ``stay_gate_m`` along and ``stay_lateral_m`` across the channel, by one-to-one assignment
   (Hungarian algorithm on ``|Δchainage| + lateral_weight × |Δoffset|``), so two dredges moored
   15 m apart stay two. A detection with no mooring opens a new one. A mooring's spot that a
   later scene saw clearly (inside its valid footprint, not under cloud:
   :func:`detector.observed.observed_areas`) without a detection counts as *seen empty* (once a
   UTC day: the overlapping scenes of a strip are one look); after ``absent_to_end`` such times
   the dredge has left — unless it is detected there again within ``resume_days`` and before
   its spot was seen empty more than ``resume_absent_max`` times (the detector missed it; with
   scenes days apart, a spot seen empty on five looks was left, and a group mooring there later
   is another stay). A look at a spot on a UTC day when a detection lies within
   ``group_gate_m`` along the channel, in any scene of that day, is not empty: the group the
   dredge is moored in is there and the detector missed this member (in the tracking
   benchmark's simulation, counting such looks as empty ended one member's stay before its
   group moved, so the move did not link it). A spot under cloud or outside a footprint was not
   seen: the mooring waits (up to ``close_days``), but a detection more than ``stay_gap_days``
   after its last one, with other looks in between (a pass that found a dredge on the river, or
   a scene that saw the spot: :class:`detector.track_frames.Looks`), opens a new mooring, which
   the move stage may link back: in that time the group may have moored elsewhere and returned.
2. **Moves** — a dredge left mooring A between A's last detection and the first time A's spot
   was seen empty, and reached mooring B between the last time B's spot was seen empty and
   B's first detection. A → B is a candidate move when these two windows overlap, B is at most
   ``stay_gate_m + move_speed_m_per_day × days`` (capped at ``max_move_m``) along the channel
   from A, and at most ``link_gap_days`` later. Moves are chosen frame by frame, one-to-one,
   keeping the sum of ``max_move_m + stay_gate_m − cost`` largest (a far candidate is not
   forced into a link), moorings seen on ``min_dates`` dates first. Distances are along the
   channel, so dredges close as the crow flies across a meander neck are far apart here.
   Dredges work in groups moored side by side, and a group moves as one
   (:mod:`detector.side_by_side`): a move costs more when the group the dredge left and the
   group it joined differ in size, or when its place across the channel in them differs
   (``group_size_cost_m``, ``group_rank_cost_m``; at most ``group_cost_cap_m``, which
   chooses between candidates and never forbids a link). A mooring seen once in a group of
   two or more links like one seen on ``min_dates`` dates (``groups_are_sure``).

Without observed areas nothing is ever known to be seen empty: a mooring closes after
``unobserved_gap_days`` without a detection, and the move windows are that long.

A track (a dredge) is a chain of moorings. Tracks seen on fewer than ``min_dates`` dates are
kept but marked ``counted = False`` (most are false detections) unless nothing could confirm
them: their spot was never seen before (within ``link_gap_days``) or never seen again — at the
start or end of the imagery — and the look on the other side was at least ``min_stay_days``
away. Tracks whose best detection scored below ``count_score`` are not counted either, nor
tracks that never moved over more than ``max_static_days`` (``static``: a fixed object; a
move back into the stay gates of its own spot, after a gap that opened a new mooring there,
is no move), nor tracks whose every stay was seen empty less than ``min_stay_days`` before
and after it.
Detections on no river are kept with an empty ``track_id``.

The parameters live in :mod:`detector.track_params`, the frames the tracker steps through
in :mod:`detector.track_frames`, and the tracks table it returns in :mod:`detector.track_table`.

All rivers are processed together — the k-th frame of every river in one vectorised step, the
rivers kept apart by a large chainage offset in lookups — so the Python loop runs once per
frame of the busiest river, not once per frame of every river. Distances are measured on the
chainage itself: with the offset added (1e9 m a river), a detection 45.0 m from a mooring
was in the gate on one river and out of it on the next, so a river's tracks depended on its
name's place among the rivers tracked with it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from detector.assignment import assign_pairs, concat_ranges, range_pairs, window_pairs
from detector.passes import same_pass_duplicates
from detector.side_by_side import SideBySide, side_by_side_groups
from detector.track_frames import (
    Looks,
    ObservedIndex,
    Schedule,
    centres_lon_lat,
    day_ranges,
    days_since_epoch,
    detection_scene_keys,
    require_columns,
    require_offsets,
    river_frames,
)
from detector.track_params import GATE_TOLERANCE_M, TrackParams, within_gate
from detector.track_table import (
    LINK_DUPLICATE,
    LINK_MOVE,
    LINK_MOVE_AMBIGUOUS,
    LINK_NEW,
    LINK_RESUME,
    LINK_STAY,
    TRACK_COLUMNS,
    Linked,
    Rules,
    chain_numbers,
    column_or,
    tracks_table,
)

__all__ = ["TRACK_COLUMNS", "TrackParams", "link_tracks"]

RIVER_SPACING_M = 1e9  # chainage offset between rivers processed together, in lookups only
LOOKUP_SLACK_M = 1.0  # lookups on offset chainage reach this much further; the gates then
# test the chainage itself


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def link_tracks(
    detections: pd.DataFrame,
    observed: gpd.GeoDataFrame | None = None,
    *,
    params: TrackParams | None = None,
    rules: Rules | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Link ``detections`` across dates; return them with ``track_id`` and the tracks table.

    ``detections`` needs ``acquired`` (UTC), ``river``, ``chainage_m`` and ``offset_m`` (a row
    on a river without a finite ``offset_m`` is a ValueError; one on none may lack both); it may
    have ``scene``, ``class_name``, ``score`` and a ``geometry`` in EPSG:4326 (needed when
    ``observed`` is given, to test whether a mooring's spot was seen). ``observed`` is the
    table of :func:`detector.observed.observed_areas`. The returned detections keep the input's
    rows, order and columns, plus ``track_id`` (Int64; <NA> for rows with no river) and
    ``link``: new, stay, resume (same spot after it was seen empty), move, move? (a move that
    had other candidates), duplicate (the same dredge in another scene of the same pass, see
    :mod:`detector.passes`; it takes its twin's track and is not linked itself) or off-river.
    ``rules``, when given, gets the codes of the rules that left each track out
    (:data:`detector.track_table.Rules`), as :func:`detector.track_merges.merge_tracks` needs.
    """
    params = params or TrackParams()
    require_columns(detections, ("acquired", "river", "chainage_m", "offset_m"))
    if len(detections) and detections["acquired"].isna().any():
        raise ValueError("detections without 'acquired' cannot be tracked; drop or date them")
    times = days_since_epoch(detections["acquired"]) if len(detections) else np.zeros(0)
    lon, lat = centres_lon_lat(detections, needed=observed is not None)
    river = detections["river"].astype("string")
    chainage = detections["chainage_m"].to_numpy(float)
    on_river = river.notna().to_numpy() & np.isfinite(chainage)
    keys = detection_scene_keys(detections)
    seen = ObservedIndex(observed) if observed is not None else None
    offset = detections["offset_m"].to_numpy(float)
    require_offsets(detections, on_river & ~np.isfinite(offset))
    score = column_or(detections, "score", np.nan).astype(float)
    twin = same_pass_duplicates(river, times, keys.codes, chainage, offset, score)
    on_river &= twin < 0  # a dredge seen twice in one pass is linked once (detector.passes)

    positions = np.flatnonzero(on_river)
    codes, names = pd.factorize(river.to_numpy()[positions], sort=True)
    # Within a scene by position, not by row order: which mooring is which, and the track
    # ids, do not depend on the order of the table's rows.
    by = (score, offset, chainage, keys.codes, times)
    order = np.lexsort((*(values[positions] for values in by), codes))
    rows = positions[order]  # on-river detections sorted by river, time, scene and position
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    per_river = []
    for k in range(len(names)):
        frames = river_frames(rows[bounds[k] : bounds[k + 1]], times, keys, lon, lat, seen)
        for frame in frames:
            frame.start += int(bounds[k])
            frame.stop += int(bounds[k])
        per_river.append(frames)
    hand = np.isnan(score) & params.unscored_sure  # rows added by hand to a detector's table
    result = _link_all(
        codes[order].astype(np.int64),
        chainage[rows],
        detections["offset_m"].to_numpy(float)[rows],
        times[rows],
        lon[rows],
        lat[rows],
        Schedule.build(per_river),
        params,
        observed=seen is not None,
        sure_rows=hand[rows],
    )
    chain = np.full(len(detections), -1, dtype=np.int64)
    link = np.full(len(detections), -1, dtype=np.int64)
    chain[rows], link[rows] = result.chain, result.link
    duplicate = np.flatnonzero(twin >= 0)
    chain[duplicate], link[duplicate] = chain[twin[duplicate]], LINK_DUPLICATE
    linked = detections.copy()
    tracks = tracks_table(
        linked, chain, link, times, lon, lat, result, params, seen is not None, rules=rules
    )
    return linked, tracks


# --------------------------------------------------------------------------------------------
# Level 1: moorings
# --------------------------------------------------------------------------------------------


class _Moorings:
    """Per-mooring state arrays (at most one mooring per detection)."""

    def __init__(self, capacity: int) -> None:
        self.s = np.zeros(capacity)  # running mean chainage (plus the river's offset)
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


def _link_all(
    river: NDArray[np.int64],
    s: NDArray[np.float64],
    o: NDArray[np.float64],
    t: NDArray[np.float64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    schedule: Schedule,
    params: TrackParams,
    *,
    observed: bool,
    sure_rows: NDArray[np.bool_] | None = None,
) -> Linked:
    """Link the sorted on-river detections of all rivers: moorings first, then moves.

    ``river`` numbers each detection's river; ``s`` is its chainage. A mooring holding one of
    ``sure_rows`` (marked by hand) links as one seen on ``min_dates`` dates.
    """
    moorings, det_mooring, det_link = _moorings(
        river, s, o, t, lon, lat, schedule, params, observed
    )
    count = moorings.count
    day = np.floor(t).astype(np.int64)
    span = int(day.max(initial=0)) + 1
    mooring_days = np.unique(det_mooring * span + day) // span
    n_dates = np.bincount(mooring_days, minlength=count)
    if sure_rows is not None and sure_rows.any():
        marked = np.bincount(det_mooring[sure_rows], minlength=count) > 0
        n_dates = np.where(marked, np.maximum(n_dates, params.min_dates), n_dates)
    first_det = np.full(count, len(t), dtype=np.int64)
    np.minimum.at(first_det, det_mooring, np.arange(len(t)))
    last_det = np.full(count, -1, dtype=np.int64)
    np.maximum.at(last_det, det_mooring, np.arange(len(t)))
    groups = side_by_side_groups(s, o, t, params.group_gate_m, river=river)
    arrived = SideBySide(groups.size[first_det], groups.rank[first_det])
    departed = SideBySide(groups.size[last_det], groups.rank[last_det])
    pred, ambiguous = _link_moves(moorings, n_dates, arrived, departed, params, observed=observed)
    chain = chain_numbers(pred)
    moved = pred >= 0
    det_link[first_det[moved]] = np.where(ambiguous[moved], LINK_MOVE_AMBIGUOUS, LINK_MOVE)
    n_chains = int(chain.max(initial=-1)) + 1
    step = np.where(moved, np.abs(moorings.s[:count] - moorings.s[np.maximum(pred, 0)]), 0.0)
    across = np.where(moved, np.abs(moorings.o[:count] - moorings.o[np.maximum(pred, 0)]), 0.0)
    home = within_gate(step, params.stay_gate_m) & within_gate(across, params.stay_lateral_m)
    return Linked(
        chain=chain[det_mooring],
        link=det_link,
        seen_absent=np.bincount(chain, moorings.absent_total[:count], n_chains).astype(np.int64),
        moves=np.bincount(chain, moved, n_chains).astype(np.int64),
        moves_away=np.bincount(chain, moved & ~home, n_chains).astype(np.int64),
        moved_m=np.bincount(chain, step, n_chains).astype(np.float64),
        ambiguous=np.bincount(chain, ambiguous & moved, n_chains).astype(np.int64),
        unseen_before=_largest(chain, moorings.first[:count] - moorings.arrive[:count], n_chains),
        unseen_after=_largest(chain, moorings.left[:count] - moorings.last[:count], n_chains),
        longest_stay=_largest(chain, moorings.left[:count] - moorings.arrive[:count], n_chains),
    )


def _largest(
    chain: NDArray[np.int64], values: NDArray[np.float64], n_chains: int
) -> NDArray[np.float64]:
    """Per chain, the largest of its moorings' ``values``."""
    out = np.full(n_chains, -np.inf)
    np.maximum.at(out, chain, values)
    return out


def _moorings(
    river: NDArray[np.int64],
    s: NDArray[np.float64],
    o: NDArray[np.float64],
    t: NDArray[np.float64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    schedule: Schedule,
    params: TrackParams,
    observed: bool,
) -> tuple[_Moorings, NDArray[np.int64], NDArray[np.int64]]:
    """Level 1: group detections at the same spot over time, one frame step at a time."""
    moorings = _Moorings(len(s))
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
    moorings: _Moorings,
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
    moorings: _Moorings,
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
    moorings: _Moorings,
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
    detections' chainage, ``days`` each frame's detections of its day (:func:`day_ranges`)."""
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
    moorings: _Moorings,
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
    (``s``: the sorted detections' chainage; ``days``: :func:`day_ranges`), at most one a
    day. The scenes of a pass are one look: a strip's overlap counted twice, three missed
    passes ended a stay; a look seconds before the next scene found the dredge, or whose
    detections beside the spot were the other scene's duplicates, saw it empty."""
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


# --------------------------------------------------------------------------------------------
# Level 2: moves
# --------------------------------------------------------------------------------------------


def _link_moves(
    moorings: _Moorings,
    n_dates: NDArray[np.int64],
    arrived: SideBySide,
    departed: SideBySide,
    params: TrackParams,
    *,
    observed: bool,
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Link each mooring to the one its dredge came from (-1: none); flag ambiguous links.

    Candidates are pairs whose departure and arrival windows overlap (see the module notes).
    Moorings seen on ``min_dates`` dates (or once, in a group: ``groups_are_sure``) are linked
    first, in the order of the arrival's first frame step (one assignment per step); then, in
    a second sweep, a shorter mooring may link to such a mooring (two short ones never link:
    most are false detections). ``arrived`` and ``departed`` are each mooring's group at its
    first and last detection.
    """
    count = moorings.count
    pred = np.full(count, -1, dtype=np.int64)
    succ = np.full(count, -1, dtype=np.int64)
    ambiguous = np.zeros(count, dtype=bool)
    sure = n_dates >= params.min_dates
    if params.groups_are_sure:
        sure |= (arrived.size >= 2) | (departed.size >= 2)
    a, b = _move_candidates(moorings, sure, params, observed)
    if len(a) == 0:
        return pred, ambiguous
    cost = np.abs(moorings.s[b] - moorings.s[a])
    cost += params.move_lateral_weight * np.abs(moorings.o[b] - moorings.o[a])
    # Group cues choose between candidates; capped (and the limit raised by the cap), they
    # never forbid a link on their own.
    group = params.group_size_cost_m * np.abs(arrived.size[b] - departed.size[a])
    group += params.group_rank_cost_m * np.abs(arrived.rank[b] - departed.rank[a])
    cost += np.minimum(group, params.group_cost_cap_m)
    limit = params.max_move_m + params.stay_gate_m + params.group_cost_cap_m
    both_sure, one_sure = sure[a] & sure[b], sure[a] | sure[b]
    order = np.argsort(moorings.step[b], kind="stable")
    a, b, cost = a[order], b[order], cost[order]
    both_sure, one_sure = both_sure[order], one_sure[order]
    parts = np.split(np.arange(len(a)), np.flatnonzero(np.diff(moorings.step[b])) + 1)
    for stage in (both_sure, one_sure):
        for part in parts:
            use = part[stage[part] & (succ[a[part]] < 0) & (pred[b[part]] < 0)]
            if len(use) == 0:
                continue
            chosen, unsure = assign_pairs(a[use], b[use], cost[use], limit=limit)
            ua, ub = a[use][chosen], b[use][chosen]
            succ[ua], pred[ub] = ub, ua
            ambiguous[ub] = unsure[chosen]
    return pred, ambiguous


def _move_candidates(
    moorings: _Moorings, sure: NDArray[np.bool_], params: TrackParams, observed: bool
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(A, B) mooring pairs that could be one dredge moving from A to B.

    Pairs are looked up in cells of chainage as wide as the largest move (a B sees A's in
    its own cell and the two beside it) and by time; pairs of two moorings that are both
    short (fewer than ``min_dates`` dates) are never candidates.
    """
    count = moorings.count
    first, last = moorings.first[:count], moorings.last[:count]
    if observed:
        left, arrive = moorings.left[:count], moorings.arrive[:count]
    else:
        left = last + params.unobserved_gap_days
        arrive = first - params.unobserved_gap_days
    reach = max(params.max_move_m, params.stay_gate_m) + GATE_TOLERANCE_M  # a cell per gate
    cell = np.floor((moorings.s[:count] + moorings.river[:count] * RIVER_SPACING_M) / reach)
    t0 = float(first.min(initial=0.0))
    span = float(last.max(initial=0.0)) - t0 + 2 * params.link_gap_days + 1
    a_parts, b_parts = [], []
    for ends, starts in ((sure, np.ones(count, dtype=bool)), (~sure, sure)):
        ia, ib = np.flatnonzero(ends), np.flatnonzero(starts)
        key = cell[ia] * span + (last[ia] - t0)
        for shift in (-1.0, 0.0, 1.0):
            query = (cell[ib] + shift) * span + (first[ib] - t0)
            pa, pb = range_pairs(key, query - params.link_gap_days, query - 1e-9)
            a_parts.append(ia[pa])
            b_parts.append(ib[pb])
    a, b = np.concatenate(a_parts), np.concatenate(b_parts)
    gap = first[b] - last[a]
    ds = np.abs(moorings.s[b] - moorings.s[a])
    opens = np.maximum(last[a], arrive[b])
    closes = np.minimum(left[a], first[b]) + params.window_slack_days
    # A move takes a pass at least (a frame: detector.track_frames); the next scene of a
    # strip, seconds later, is the same look.
    keep = moorings.step[b] > moorings.last_step[a]
    keep &= (gap > 0) & (opens < closes) & within_gate(ds, params.move_gate(gap))
    keep &= moorings.river[a] == moorings.river[b]
    return a[keep], b[keep]
