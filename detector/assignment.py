"""One-to-one assignment of candidate pairs, pairs of sorted keys within a range, and index
ranges concatenated.

The tracker links detections to moorings and moorings to moorings with these: candidates are
sparse pairs with a cost, solved exactly (Hungarian algorithm) on each connected part of the
candidate graph on its own, so a large frame never builds one huge dense matrix, and a choice
between equally good assignments in one part does not depend on the others (other rivers of
the frame, dredges kilometres away).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

COST_STEP = 0.01
"""Costs (metres) are compared in whole steps of this: two assignments whose totals differ by
rounding noise are a tie, which the order of the pairs decides the same way each time (the
tracker sorts its detections by time, scene, chainage and offset), whatever else is being
assigned beside them: solved in one matrix with an unrelated part (another river's dredges in
the same frame step), a tie fell the other way in 86 of 200 draws. Moves of two dredges the
same way along the channel cost the same total either way round; a shift of 1e-9 m chose
the other one, and on the demo run two tracks swapped their last three detections."""


def assign_pairs(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    cost: NDArray[np.float64],
    *,
    limit: float | None = None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """One-to-one assignment of candidate pairs (Hungarian algorithm).

    Without ``limit``: the most matches, then the least total cost. With ``limit``: the largest
    total of ``limit - cost`` — a pair is worth linking only if it costs less than ``limit``,
    and leaving a row or column unmatched is allowed. Returns a mask of the chosen pairs and
    a mask of pairs whose row or column had another candidate (an ambiguous link).
    """
    cost = np.round(np.asarray(cost, dtype=np.float64) / COST_STEP)  # whole steps: exact sums
    return _assign_steps(rows, cols, cost, None if limit is None else round(limit / COST_STEP))


def _assign_steps(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    cost: NDArray[np.float64],
    limit: float | None,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """:func:`assign_pairs` on costs in whole :data:`COST_STEP` steps."""
    if limit is not None:
        worth = cost < limit
        chosen, ambiguous = _assign_steps(rows[worth], cols[worth], cost[worth] - limit, None)
        full_chosen = np.zeros(len(rows), dtype=bool)
        full_ambiguous = np.zeros(len(rows), dtype=bool)
        full_chosen[worth], full_ambiguous[worth] = chosen, ambiguous
        return full_chosen, full_ambiguous
    chosen = np.zeros(len(rows), dtype=bool)
    if len(rows) == 0:
        return chosen, chosen.copy()
    r, ri = np.unique(rows, return_inverse=True)
    c, ci = np.unique(cols, return_inverse=True)
    row_deg = np.bincount(ri, minlength=len(r))
    col_deg = np.bincount(ci, minlength=len(c))
    ambiguous = (row_deg[ri] > 1) | (col_deg[ci] > 1)
    chosen[~ambiguous] = True  # pairs with a single candidate either way: no choice to make
    todo = np.flatnonzero(ambiguous)
    if len(todo) == 0:
        return chosen, ambiguous
    ri_t, r_map = np.unique(ri[todo], return_inverse=True)
    ci_t, c_map = np.unique(ci[todo], return_inverse=True)
    optional = bool(cost.max() < 0)
    picked = _solve_components(r_map, c_map, len(ri_t), len(ci_t), cost[todo], optional=optional)
    chosen[todo[picked]] = True
    return chosen, ambiguous


def _solve_components(
    r: NDArray[np.int64],
    c: NDArray[np.int64],
    n_rows: int,
    n_cols: int,
    cost: NDArray[np.float64],
    *,
    optional: bool,
) -> NDArray[np.int64]:
    """Hungarian assignment of each connected component of the bipartite graph of candidate
    pairs (rows ``r``, columns ``c``) on its own dense matrix; returns indices of the chosen
    pairs.

    ``optional``: all costs are negative gains and a missing pair costs 0, so rows and columns
    stay unmatched when no pair is worth it. Otherwise a missing pair costs more than all real
    pairs of its component together: the most matches first.

    A component of one row or one column (a detection between two moorings) is solved all at
    once: its pair of least cost, a tie to the first row or column, as
    :func:`scipy.optimize.linear_sum_assignment` chooses on such a matrix. The others'
    matrices are built together, a stack per shape, and solved one by one: built and solved
    one component at a time, the tracker's assignments took three times as long as one solve
    a frame (0.21 s → 0.58 s; link_tracks 0.91 → 1.72 CPU s on a simulated world of 82,458
    detections, whose parts are mostly 2×2 to 6×6; now 0.39 s and 1.23 s).
    """
    n_parts, label = _connected(r, n_rows + c, n_rows + n_cols)
    row_at, row_count = _within(label[:n_rows], n_parts)
    col_at, col_count = _within(label[n_rows:], n_parts)
    part = label[r]
    r_at, c_at = row_at[r], col_at[c]
    one_row = row_count[part] == 1
    star = np.flatnonzero(one_row | (col_count[part] == 1))
    first = np.lexsort((np.where(one_row, c_at, r_at)[star], cost[star], part[star]))
    leads = np.ones(len(star), dtype=bool)
    leads[1:] = part[star][first][1:] != part[star][first][:-1]
    picked = [star[first][leads].astype(np.int64)]
    missing = np.zeros(n_parts)
    if not optional:
        missing = (np.bincount(part, np.abs(cost), minlength=n_parts) + 1.0) * (
            row_count + col_count + 1
        )
    shape_of = row_count * (n_cols + 1) + col_count  # of each part
    rest = np.flatnonzero((row_count > 1) & (col_count > 1))
    rest = rest[np.argsort(shape_of[rest], kind="stable")]  # by shape, then part
    shapes, starts = np.unique(shape_of[rest], return_index=True)
    part_bounds = np.append(starts, len(rest))  # the parts of shape k: bounds k to k + 1
    slot = np.zeros(n_parts, dtype=np.int64)  # place of a part in its shape's stack
    slot[rest] = np.arange(len(rest)) - np.repeat(starts, np.diff(part_bounds))
    pairs = np.flatnonzero(np.isin(part, rest))
    pairs = pairs[np.argsort(shape_of[part[pairs]], kind="stable")]
    pair_bounds = np.searchsorted(shape_of[part[pairs]], [*shapes.tolist(), np.inf])
    for k, shape in enumerate(shapes.tolist()):
        height, width = divmod(shape, n_cols + 1)
        parts = rest[part_bounds[k] : part_bounds[k + 1]]
        these = pairs[pair_bounds[k] : pair_bounds[k + 1]]
        at = (slot[part[these]], r_at[these], c_at[these])
        matrices = np.repeat(missing[parts], height * width).reshape(-1, height, width)
        pair_at = np.full(matrices.shape, -1, dtype=np.int64)
        matrices[at] = cost[these]
        pair_at[at] = these
        solved = [linear_sum_assignment(matrix) for matrix in matrices]
        got = pair_at[
            np.repeat(np.arange(len(parts)), min(height, width)),
            np.concatenate([rows for rows, _ in solved]),
            np.concatenate([cols for _, cols in solved]),
        ]
        picked.append(got[got >= 0])
    return np.concatenate(picked)


def _connected(
    a: NDArray[np.int64], b: NDArray[np.int64], n_nodes: int
) -> tuple[int, NDArray[np.int64]]:
    """Connected components of the graph of edges ``a``–``b``: their number, and each
    node's (hooking roots to the least root they meet, then pointer jumping; scipy's
    connected_components spent 0.15 ms a call checking its input, a third of the time of a
    frame's assignment)."""
    parent = np.arange(n_nodes)
    while True:
        root_a, root_b = parent[a], parent[b]
        apart = root_a != root_b
        if not apart.any():
            break
        low = np.minimum(root_a[apart], root_b[apart])
        np.minimum.at(parent, np.maximum(root_a[apart], root_b[apart]), low)
        while True:  # every node to its root
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    roots, label = np.unique(parent, return_inverse=True)
    return len(roots), label.astype(np.int64)


def _within(label: NDArray[np.int64], n_parts: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each item's number within its part (in item order), and each part's size."""
    order = np.argsort(label, kind="stable")
    count = np.bincount(label, minlength=n_parts)
    start = np.cumsum(count) - count
    at = np.empty(len(label), dtype=np.int64)
    at[order] = np.arange(len(label)) - start[label[order]]
    return at, count


def window_pairs(
    track_s: NDArray[np.float64], det_s: NDArray[np.float64], reach: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All (track, detection) index pairs whose chainages differ by at most ``reach``."""
    return range_pairs(track_s, det_s - reach, det_s + reach)


def range_pairs(
    keys: NDArray[np.float64], low: NDArray[np.float64], high: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All (key, query) index pairs with ``low[query] <= keys[key] <= high[query]``.

    A NaN key, or a query with a NaN bound, is in no pair, as in :func:`grouped_range_pairs`
    (sorted last, a NaN key paired with a query of NaN bounds, and a NaN ``high`` with every
    key from ``low`` up). Infinite bounds and keys pair as numbers. Its caller,
    :func:`window_pairs`, is given no NaN: :func:`detector.tracking.link_tracks` keeps a NaN
    chainage off every river and refuses one of 1e9 m or more.
    """
    usable = np.flatnonzero(~np.isnan(keys))
    order = usable[np.argsort(keys[usable], kind="stable")]
    sorted_keys = keys[order]
    lo = np.searchsorted(sorted_keys, low, side="left")
    hi = np.searchsorted(sorted_keys, high, side="right")
    hi = np.where(np.isnan(low) | np.isnan(high), lo, hi)  # a NaN bound: no range
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    query = np.repeat(np.arange(len(low)), counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    key = order[np.arange(total) + starts]
    return key.astype(np.int64), query.astype(np.int64)


def concat_ranges(start: NDArray[np.int64], stop: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenation of ``arange(start[i], stop[i])`` for all i."""
    counts = np.maximum(stop - start, 0)
    total = int(counts.sum())
    offsets = np.repeat(start - (np.cumsum(counts) - counts), counts)
    return np.arange(total, dtype=np.int64) + offsets


def grouped_range_pairs(
    key_group: NDArray[np.int64],
    keys: NDArray[np.float64],
    query_group: NDArray[np.int64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All (key, query) index pairs with ``key_group[key] == query_group[query]`` and
    ``low[query] <= keys[key] <= high[query]``.

    Searched on (group, value) pairs, so exact for any number of groups: one float key of
    ``group × span + value`` keeps values only to the float spacing of the largest key.
    A NaN key, or a query with a NaN bound, is in no pair (as ``<=`` reads NaN; sorted last,
    a NaN key paired with a query of NaN bounds, and a NaN ``high`` with every key from
    ``low`` up). Infinite bounds and keys pair as numbers.
    """
    usable = np.flatnonzero(~np.isnan(keys))
    order = usable[np.lexsort((keys[usable], key_group[usable]))]
    fields = [("group", np.int64), ("value", np.float64)]
    table = np.empty(len(order), dtype=fields)
    table["group"], table["value"] = key_group[order], keys[order]
    bounds = np.empty((2, len(low)), dtype=fields)
    bounds["group"], bounds["value"] = query_group, (low, high)
    lo = np.searchsorted(table, bounds[0], side="left")
    hi = np.searchsorted(table, bounds[1], side="right")
    hi = np.where(np.isnan(low) | np.isnan(high), lo, hi)  # a NaN bound: no range
    key = order[concat_ranges(lo, hi)]
    query = np.repeat(np.arange(len(low), dtype=np.int64), np.maximum(hi - lo, 0))
    return key.astype(np.int64), query
