"""The tracker's gates and time limits (:class:`TrackParams`); see :mod:`detector.tracking`."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from detector.errors import UsageError

GATE_TOLERANCE_M = 1e-6
"""Distances within this of a gate are on it: gates are inclusive however the chainages round
(500.2 and 545.2 m are 45.00000000000006 m apart in floating point, 100.1 and 145.1 m 45.0:
without it a detection 45 m along from a mooring stayed at one place on a river and opened a
mooring of its own at another, so shifting every chainage changed links)."""


@dataclass(frozen=True)
class TrackParams:
    """Gates and time limits of the tracker (distances in metres, times in days)."""

    stay_gate_m: float = 45.0
    """Same mooring: at most this far along the channel from the mooring's mean position."""
    stay_lateral_m: float = 35.0
    """Same mooring: at most this far across the channel (dredges moored side by side are
    7–20 m apart; one-to-one assignment keeps them apart)."""
    lateral_weight: float = 2.0
    """Cost of a metre across the channel, in metres along it, when matching to a mooring."""
    absent_to_end: int = 2
    """A mooring seen empty this many times (since its last detection) was left..."""
    resume_days: float = 45.0
    """...unless it is detected there again within this many days (the detector missed it)..."""
    resume_absent_max: int = 4
    """...and before its spot was seen empty more than this many times: a detector that finds
    a dredge 85 % of the time misses it five times running less than once in 10,000 (with
    scenes days apart, another group may moor on the same spot weeks later)."""
    stay_gap_days: float = 60.0
    """A detection continues a mooring last detected at most this long ago, or with no other
    look since (a pass that found a dredge on the river, or a scene that saw the mooring's
    spot: :class:`detector.track_frames.Looks`); otherwise it opens a new mooring, which the
    move stage may link back (the dredge may have been away and returned)."""
    close_days: float = 365.0
    """Nothing resumes a mooring after this many days without a detection."""
    move_speed_m_per_day: float = 20_000.0
    max_move_m: float = 6000.0
    """A move along the channel is at most ``stay_gate_m + speed × days``, capped here. A
    dredge towed by a boat covers kilometres in an hour: the speed limits only moves between
    scenes hours apart (at 2,500 m a day it refused real 3–5 km moves between scenes a day
    apart, in the tracking benchmark's simulation at a scene every two days)."""
    link_gap_days: float = 120.0
    """Longest time between the last detection at one mooring and the first at the next."""
    window_slack_days: float = 1.0
    """Tolerance when matching a departure window with an arrival window."""
    unobserved_gap_days: float = 30.0
    """Without observed areas: a dredge may have left up to this many days after its last
    detection, and arrived up to this many days before its first."""
    move_lateral_weight: float = 0.1
    """Cost of a metre across the channel, in metres along it, when linking a move."""
    group_gate_m: float = 30.0
    """Detections of one pass (a scene, or a strip's scenes seconds apart) whose chainages
    chain within this are one group moored side by side (see :mod:`detector.side_by_side`); a
    mooring's spot is not seen empty (nor a new mooring's spot seen before it arrived) on a
    look with a detection this close along the channel: its group was there and the detector
    missed it."""
    group_size_cost_m: float = 1000.0
    """Cost of a move, in metres along the channel, per dredge of difference between the size
    of the group the dredge left and of the group it arrived in (groups move as one)."""
    group_rank_cost_m: float = 500.0
    """Cost of a move per place of difference in the dredge's rank across the channel within
    its group before and after."""
    groups_are_sure: bool = True
    """A mooring seen once, side by side with others, links to another such mooring (a group
    of detections is rarely false; two lone moorings seen once never link)."""
    group_cost_cap_m: float = 1500.0
    """The group terms together cost at most this: they choose between candidate moves but
    never forbid one (a member missed by the detector changes the group's size)."""
    min_dates: int = 2
    """Tracks seen on fewer dates are not counted unless nothing could confirm them: their spot
    was never seen before (within ``link_gap_days``) or never seen again (the start or end of
    the imagery)..."""
    unscored_sure: bool = False
    """Detections without a score in a detector's table (rows an analyst added, e.g. in QGIS)
    make their mooring and track as sure as ones seen on ``min_dates`` dates: the analyst saw
    the dredge. ``dredge track`` turns this on when a scored table holds such rows and
    ``--min-dates`` is not given."""
    min_stay_days: float = 14.0
    """...and the look on the other side was at least this many days away (a dredge stays
    weeks at a mooring: one seen once and gone a few days later was most likely false). For
    the same reason a track is not counted when each of its stays was seen empty less than
    this many days before and after it (a false detection repeated nearby for a few days, the
    way false ones chain up when scenes come every few days)."""
    count_score: float = 0.45
    """A track counts only when its best detection scored at least this (detections without a
    score, marked by hand, pass). Chosen on validation worlds seeds 2 (2024), 4, 5 and 6
    (2024–2025; monthly, five rivers): of 151 tracks counted without it, the best detection
    of the 16 false ones scored 0.25–0.65 (median 0.35), of the 135 real ones 0.26–0.91
    (median 0.73); at 0.45, 11 false and 9 real ones are not counted, and the yearly counts'
    total absolute error there falls from 60 to 54. A model that scores lower on your imagery
    needs a lower value."""
    max_static_days: float = 120.0
    """A track that never moved yet was detected over more than this many days is a fixed
    object (a roof, a wreck, a pontoon), not counted (``static``); 0 turns the rule off.
    Dredges stay at one spot for weeks and then move 0.2–5 km (the synthetic worlds' stays
    last 14–75 days). On the validation worlds it leaves out one static look-alike on seed 4's
    Itaya, which has no dredges (total absolute error 32 → 31; 31 in the latest rerun,
    ``benchmarks/results/count_accuracy.md``). 90 days would leave out a second one (error 30,
    28 instead of 27 of 40 river-years within 10 %, before the later reruns), but real dredges may
    stay longer than the synthetic ones: the default keeps a margin."""

    def __post_init__(self) -> None:
        for field in fields(self):  # NaN passed every check below (nan <= 0 is False)
            value = getattr(self, field.name)
            if isinstance(value, float) and math.isnan(value):
                raise UsageError(f"{field.name} must be a number, got nan")
        positive = ("stay_gate_m", "stay_lateral_m", "lateral_weight", "link_gap_days")
        for name in positive:
            if getattr(self, name) <= 0:
                raise UsageError(f"{name} must be positive")
        if self.absent_to_end < 1 or self.min_dates < 1:
            raise UsageError("absent_to_end and min_dates must be at least 1")
        if self.resume_absent_max < self.absent_to_end:
            raise UsageError("resume_absent_max must be at least absent_to_end")
        if not 0 <= self.max_move_m < math.inf:
            raise UsageError(f"max_move_m must be a number of metres ≥ 0, got {self.max_move_m}")
        if self.max_static_days < 0:
            raise UsageError("max_static_days must be 0 (off) or positive")

    def move_gate(self, elapsed_days: NDArray[np.float64]) -> NDArray[np.float64]:
        """Largest plausible move along the channel after ``elapsed_days``."""
        grown = self.stay_gate_m + self.move_speed_m_per_day * np.maximum(elapsed_days, 0.0)
        return np.minimum(grown, max(self.max_move_m, self.stay_gate_m))


def within_gate(
    distance: NDArray[np.float64], gate: float | NDArray[np.float64]
) -> NDArray[np.bool_]:
    """``distance <= gate``, where a distance within :data:`GATE_TOLERANCE_M` of the edge is on
    it: float rounding of chainages must not decide a link."""
    return np.asarray(distance <= gate + GATE_TOLERANCE_M)
