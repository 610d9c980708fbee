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

The parameters live in :mod:`detector.track_params`, level 1 (moorings) in
:mod:`detector.track_moorings`, the frames the tracker steps through
in :mod:`detector.track_frames`, and the tracks table it returns in :mod:`detector.track_table`.

All rivers are processed together — the k-th frame of every river in one vectorised step, the
rivers kept apart in lookups (by a chainage offset, or by river in the move lookup) — so the
Python loop runs once per frame of the busiest river, not once per frame of every river.
Distances are measured on the chainage itself: with the offset added (1e9 m a river), a
detection 45.0 m from a mooring was in the gate on one river and out of it on the next, so a
river's tracks depended on its name's place among the rivers tracked with it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from detector.assignment import assign_pairs, grouped_range_pairs
from detector.passes import same_pass_duplicates
from detector.side_by_side import SideBySide, side_by_side_groups
from detector.track_frames import (
    ObservedIndex,
    Schedule,
    centres_lon_lat,
    days_since_epoch,
    detection_scene_keys,
    require_chainages,
    require_columns,
    require_offsets,
    river_frames,
)
from detector.track_moorings import RIVER_SPACING_M, Moorings, find_moorings
from detector.track_params import GATE_TOLERANCE_M, TrackParams, within_gate
from detector.track_table import (
    LINK_DUPLICATE,
    LINK_MOVE,
    LINK_MOVE_AMBIGUOUS,
    TRACK_COLUMNS,
    Linked,
    Rules,
    chain_numbers,
    column_or,
    tracks_table,
)

__all__ = ["TRACK_COLUMNS", "TrackParams", "link_tracks"]


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
    on a river without a finite ``offset_m``, or with a ``chainage_m`` of 1e9 m or more either
    way, is a ValueError; one on none may lack both: a NaN chainage is on no river); it may
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
    require_chainages(detections, on_river & (np.abs(chainage) >= RIVER_SPACING_M), RIVER_SPACING_M)
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
# Both levels: moorings (level 1, in detector.track_moorings), then moves
# --------------------------------------------------------------------------------------------


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
    moorings, det_mooring, det_link = find_moorings(
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


# --------------------------------------------------------------------------------------------
# Level 2: moves
# --------------------------------------------------------------------------------------------


def _link_moves(
    moorings: Moorings,
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
    moorings: Moorings, sure: NDArray[np.bool_], params: TrackParams, observed: bool
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(A, B) mooring pairs that could be one dredge moving from A to B.

    Pairs are looked up in cells of chainage as wide as the largest move (a B sees A's in
    its own cell and the two beside it, on its river) and by time, exactly (an A that ends
    at most ``link_gap_days`` before B starts); pairs of two moorings that are both
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
    cell = np.floor(moorings.s[:count] / reach).astype(np.int64)
    # A cell's number within its river (and a free cell on each side), exact in integers:
    # searched by (cell, time) pairs. One float key of cell × span + days (since 1970) kept
    # time to 5 s on river 82 of a run: a move exactly link_gap_days long was missed there,
    # and on river 99 one 1 s longer was a candidate.
    if count:
        cell += 1 - cell.min()
        cell += moorings.river[:count] * (int(cell.max()) + 2)
    a_parts, b_parts = [], []
    for ends, starts in ((sure, np.ones(count, dtype=bool)), (~sure, sure)):
        ia, ib = np.flatnonzero(ends), np.flatnonzero(starts)
        before = np.nextafter(first[ib], -np.inf)  # a ends strictly before b starts
        for shift in (-1, 0, 1):
            pa, pb = grouped_range_pairs(
                cell[ia], last[ia], cell[ib] + shift, first[ib] - params.link_gap_days, before
            )
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
