"""Dredges moored side by side: the groups seen in one pass (one scene, or the scenes of a
strip seconds apart: :func:`detector.passes.pass_numbers`).

Dredges on Amazonian rivers work in groups of two to six lashed side by side across the
flow, and a group moves as one. When a dredge leaves a mooring and another appears elsewhere
on the river, the size of the group each was in, and its place across the channel within that
group, tell the same dredge from a different one far better than the distance moved: a group
moves 0.2–5 km, as far as the next group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from detector.passes import pass_numbers
from detector.track_params import GATE_TOLERANCE_M


@dataclass(frozen=True)
class SideBySide:
    """Per detection: how many detections its group had in that acquisition, and its place."""

    size: NDArray[np.int64]  # 1 for a dredge moored alone
    rank: NDArray[np.int64]  # 0 .. size-1, across the channel (by increasing offset)


def side_by_side_groups(
    s: NDArray[np.float64],
    o: NDArray[np.float64],
    t: NDArray[np.float64],
    gate_m: float,
    *,
    river: NDArray[np.int64] | None = None,
) -> SideBySide:
    """Group detections of one ``river`` taken in one pass (times ``t``, in days, chained
    within :data:`~detector.passes.PASS_GAP_MINUTES`) whose chainages ``s`` chain together
    within ``gate_m`` (members of a group share one chainage).

    Members are ranked by their offset ``o`` across the channel. A group in the overlap of
    two scenes of a strip keeps each member's better-scored detection
    (:func:`detector.passes.same_pass_duplicates`), from either scene: taken by the exact
    time, one group of two was two groups of one.
    """
    n = len(s)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return SideBySide(empty, empty.copy())
    rivers = np.zeros(n, dtype=np.int64) if river is None else river
    passes = pass_numbers(rivers, t)  # numbered by river, then time
    order = np.lexsort((s, passes))
    ss, ps = s[order], passes[order]
    new = np.ones(n, dtype=bool)
    apart = ss[1:] - ss[:-1] > gate_m + GATE_TOLERANCE_M
    new[1:] = (ps[1:] != ps[:-1]) | apart
    label_sorted = np.cumsum(new) - 1
    label = np.empty(n, dtype=np.int64)
    label[order] = label_sorted
    size = np.bincount(label)[label].astype(np.int64)
    by_offset = np.lexsort((o, label))
    start = np.searchsorted(label[by_offset], label[by_offset], side="left")
    rank = np.empty(n, dtype=np.int64)
    rank[by_offset] = np.arange(n) - start
    return SideBySide(size, rank)
