"""One dredge seen twice in one pass: overlapping scenes of a strip, tiles, a scene given twice.

PlanetScope images a river as a strip of scenes a second apart that overlap; a Maxar product
comes in tiles and NICFI quads of one month share its date; and the same scene is sometimes
given twice (its analytic and its visual product, a clipped copy, a second folder). A dredge
in an overlap is then detected in two scenes of one pass, at the same moment: to the tracker
these looked like two dredges moored side by side, a group of two, and a dredge seen once
"in a group" counts (``TrackParams.groups_are_sure``). A scene given twice raised a river-year
from 4 to 5 dredges and its detections from 17 to 29.

Scenes of one river whose acquisitions lie within :data:`PASS_GAP_MINUTES` of each other
(chained) are one pass. Two detections from different scenes of a pass that lie less than a
short hull's length along the channel and the closest side-by-side spacing across it apart
(:data:`detector.merge.HULL_ALONG_M`, :data:`detector.merge.HULL_ACROSS_M`: the rule that
keeps one box per hull within a scene) are one dredge: the better scored detection stays (a
row without a score, marked by hand, before any scored one), the other is its duplicate. A
detection takes at most one duplicate from each other scene, so two dredges side by side in an
overlap stay two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from detector.assignment import grouped_range_pairs
from detector.merge import HULL_ACROSS_M, HULL_ALONG_M
from detector.track_params import GATE_TOLERANCE_M

PASS_GAP_MINUTES = 10.0
"""Acquisitions of one river this close in time are one pass (a strip's scenes are seconds
apart; two satellites rarely image a river minutes apart, and if they do a dredge within a
hull of itself in both is one: the tracker still takes them as two looks,
:data:`STRIP_GAP_SECONDS`)."""
_PASS_GAP_MS = round(PASS_GAP_MINUTES * 60_000)
# Compared in whole milliseconds: through floating-point days, two scenes exactly ten minutes
# apart were more than ten minutes apart at most times of day, and one pass at others.
STRIP_GAP_SECONDS = 60.0
"""Acquisitions of one river this close in time (chained) are one strip: the tracker's one
look (:mod:`detector.track_frames`). A strip's overlapping scenes are seconds apart; two
satellites over one river minutes apart are two looks, each read against the other's
positions (their images may lie 10–20 m apart)."""
STRIP_GAP_MS = round(STRIP_GAP_SECONDS * 1000)


def pass_numbers(
    river: NDArray[np.int64], times: NDArray[np.float64], gap_ms: int = _PASS_GAP_MS
) -> NDArray[np.int64]:
    """Per detection, the number of its pass: detections of one ``river`` (numbered) whose
    ``times`` (days) chain within :data:`PASS_GAP_MINUTES` (``gap_ms``: within a strip,
    :data:`STRIP_GAP_MS`) share one. Numbered 0, 1, … in the order of river, then time."""
    order = np.lexsort((times, river))
    apart_ms = np.round(np.diff(times[order]) * 86_400_000)
    new_pass = np.concatenate([[True], (np.diff(river[order]) != 0) | (apart_ms > gap_ms)])
    numbers = np.empty(len(times), dtype=np.int64)
    numbers[order] = np.cumsum(new_pass[: len(times)]) - 1
    return numbers


def _pairs_within_pass(
    pass_id: NDArray[np.int64], s: NDArray[np.float64], reach: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All (i, j) index pairs of one pass whose chainages ``s`` differ by at most ``reach``.

    Searched on (pass, chainage) pairs, exact for any number of passes: a key of ``pass ×
    1e12 + chainage`` kept chainages to 8 m past ~36,000 passes in one run (float64), and a
    duplicate 11 m along the channel read 16 m away was missed.
    """
    return grouped_range_pairs(pass_id, s, pass_id, s - reach, s + reach)


def same_pass_duplicates(
    river: pd.Series,
    times: NDArray[np.float64],
    scene: NDArray[np.int64],
    chainage: NDArray[np.float64],
    offset: NDArray[np.float64],
    score: NDArray[np.float64],
) -> NDArray[np.int64]:
    """For each detection, the detection it duplicates (see the module notes), else -1.

    ``river`` names each detection's river (<NA> off every river); ``times`` are days; ``scene``
    numbers each detection's scene (-1 unknown: never a duplicate).
    """
    twin = np.full(len(times), -1, dtype=np.int64)
    known = river.notna().to_numpy() & (scene >= 0) & np.isfinite(chainage) & np.isfinite(offset)
    rows = np.flatnonzero(known)
    if len(rows) < 2:
        return twin
    codes, _ = pd.factorize(river.to_numpy()[rows])
    pass_id = pass_numbers(codes, times[rows])
    several = pd.Series(scene[rows]).groupby(pass_id).nunique().to_numpy() > 1
    rows, pass_id = rows[several[pass_id]], pass_id[several[pass_id]]
    if len(rows) < 2:
        return twin
    a, b = _pairs_within_pass(pass_id, chainage[rows], HULL_ALONG_M)
    a, b = rows[a], rows[b]
    near = (a != b) & (scene[a] != scene[b])
    near &= np.abs(offset[a] - offset[b]) < HULL_ACROSS_M - GATE_TOLERANCE_M
    near &= np.abs(chainage[a] - chainage[b]) < HULL_ALONG_M - GATE_TOLERANCE_M
    a, b = a[near], b[near]
    if len(a) == 0:
        return twin
    distance = np.hypot(chainage[a] - chainage[b], offset[a] - offset[b])
    # A row without a score was marked by hand: the analyst saw the dredge, so it stays (as
    # its duplicate, the detector's box alone judged the track: a mark beside a box scored
    # 0.3 was not counted, under --count-score).
    rank = np.where(np.isnan(score), np.inf, score)
    candidates: dict[int, list[tuple[float, int, float, float, int]]] = {}
    for keeper, other, apart in zip(a.tolist(), b.tolist(), distance.tolist(), strict=True):
        # Equally near ones by scene and position, not by row order.
        where = (int(scene[other]), float(chainage[other]), float(offset[other]))
        candidates.setdefault(keeper, []).append((apart, *where, other))
    kept = set()
    # Equal scores (two hand marks) by scene and position, not by row order.
    first = {d: (-rank[d], scene[d], chainage[d], offset[d], d) for d in candidates}
    for keeper in sorted(candidates, key=first.__getitem__):
        if twin[keeper] >= 0:
            continue
        kept.add(keeper)
        taken = {int(scene[keeper])}
        for *_, other in sorted(candidates[keeper]):
            if twin[other] < 0 and other not in kept and int(scene[other]) not in taken:
                twin[other] = keeper
                taken.add(int(scene[other]))
    return twin
