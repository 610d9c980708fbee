"""One-to-one assignment of candidate pairs, and pairs of sorted keys within a range.

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
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

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
    for group, r_at, c_at, shape in _components(r_map, c_map, len(ri_t), len(ci_t)):
        picked = _solve_dense(r_at, c_at, shape, cost[todo[group]], optional=optional)
        chosen[todo[group[picked]]] = True
    return chosen, ambiguous


Component = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], tuple[int, int]]
"""Pairs of one connected component, their rows and columns within it, and its shape."""


def _components(
    r: NDArray[np.int64], c: NDArray[np.int64], n_rows: int, n_cols: int
) -> list[Component]:
    """Split candidate pairs into the connected components of the bipartite graph, each with
    its rows and columns numbered within it (in the order of ``r`` and ``c``)."""
    graph = coo_matrix((np.ones(len(r)), (r, n_rows + c)), shape=(n_rows + n_cols, n_rows + n_cols))
    n_parts, label = connected_components(graph, directed=False)
    row_at, row_count = _within(label[:n_rows], n_parts)
    col_at, col_count = _within(label[n_rows:], n_parts)
    pair_label = label[r]
    order = np.argsort(pair_label, kind="stable")
    bounds = np.searchsorted(pair_label[order], np.arange(n_parts + 1))
    parts = []
    for k in range(n_parts):
        group = order[bounds[k] : bounds[k + 1]].astype(np.int64)
        shape = (int(row_count[k]), int(col_count[k]))
        parts.append((group, row_at[r[group]], col_at[c[group]], shape))
    return parts


def _within(label: NDArray[np.int64], n_parts: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each item's number within its part (in item order), and each part's size."""
    order = np.argsort(label, kind="stable")
    count = np.bincount(label, minlength=n_parts)
    start = np.cumsum(count) - count
    at = np.empty(len(label), dtype=np.int64)
    at[order] = np.arange(len(label)) - start[label[order]]
    return at, count


def _solve_dense(
    r: NDArray[np.int64],
    c: NDArray[np.int64],
    shape: tuple[int, int],
    cost: NDArray[np.float64],
    *,
    optional: bool,
) -> NDArray[np.int64]:
    """Hungarian assignment on the pairs' dense matrix (rows ``r``, columns ``c`` of a matrix
    of ``shape``); returns indices of the chosen pairs.

    ``optional``: all costs are negative gains and a missing pair costs 0, so rows and columns
    stay unmatched when no pair is worth it. Otherwise a missing pair costs more than all real
    pairs together: the most matches first.
    """
    missing = 0.0 if optional else (float(np.abs(cost).sum()) + 1.0) * (sum(shape) + 1)
    matrix = np.full(shape, missing)
    pair_at = np.full(shape, -1, dtype=np.int64)
    matrix[r, c] = cost
    pair_at[r, c] = np.arange(len(r))
    row_ind, col_ind = linear_sum_assignment(matrix)
    picked = pair_at[row_ind, col_ind]
    return picked[picked >= 0]


def window_pairs(
    track_s: NDArray[np.float64], det_s: NDArray[np.float64], reach: float
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All (track, detection) index pairs whose chainages differ by at most ``reach``."""
    return range_pairs(track_s, det_s - reach, det_s + reach)


def range_pairs(
    keys: NDArray[np.float64], low: NDArray[np.float64], high: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """All (key, query) index pairs with ``low[query] <= keys[key] <= high[query]``."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    lo = np.searchsorted(sorted_keys, low, side="left")
    hi = np.searchsorted(sorted_keys, high, side="right")
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    query = np.repeat(np.arange(len(low)), counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    key = order[np.arange(total) + starts]
    return key.astype(np.int64), query.astype(np.int64)
