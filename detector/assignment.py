"""One-to-one assignment of candidate pairs, and pairs of sorted keys within a range.

The tracker links detections to moorings and moorings to moorings with these: candidates are
sparse pairs with a cost, solved exactly (Hungarian algorithm) on the connected parts of the
candidate graph, so a large frame never builds one huge dense matrix.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

DENSE_LIMIT = 250_000  # cells of a cost matrix solved in one piece; larger ones are split
COST_STEP = 0.01
"""Costs (metres) are compared in whole steps of this: two assignments whose totals differ by
rounding noise are a tie, which the order of the pairs decides the same way each time (the
tracker sorts its detections by time, scene, chainage and offset). Moves of two dredges the
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
    if len(ri_t) * len(ci_t) <= DENSE_LIMIT:
        groups = [np.arange(len(todo))]
    else:
        groups = _components(r_map, c_map, len(ri_t), len(ci_t))
    optional = bool(cost.max() < 0)
    for group in groups:
        picked = _solve_dense(r_map[group], c_map[group], cost[todo[group]], optional=optional)
        chosen[todo[group[picked]]] = True
    return chosen, ambiguous


def _components(
    r: NDArray[np.int64], c: NDArray[np.int64], n_rows: int, n_cols: int
) -> list[NDArray[np.int64]]:
    """Split candidate pairs into the connected components of the bipartite graph."""
    graph = coo_matrix((np.ones(len(r)), (r, n_rows + c)), shape=(n_rows + n_cols, n_rows + n_cols))
    _, label = connected_components(graph, directed=False)
    pair_label = label[r]
    order = np.argsort(pair_label, kind="stable")
    cuts = np.flatnonzero(np.diff(pair_label[order])) + 1
    return [part.astype(np.int64) for part in np.split(order, cuts)]


def _solve_dense(
    r: NDArray[np.int64], c: NDArray[np.int64], cost: NDArray[np.float64], *, optional: bool
) -> NDArray[np.int64]:
    """Hungarian assignment on the pairs' dense matrix; returns indices of the chosen pairs.

    ``optional``: all costs are negative gains and a missing pair costs 0, so rows and columns
    stay unmatched when no pair is worth it. Otherwise a missing pair costs more than all real
    pairs together: the most matches first.
    """
    ur, rr = np.unique(r, return_inverse=True)
    uc, cc = np.unique(c, return_inverse=True)
    missing = 0.0 if optional else (float(np.abs(cost).sum()) + 1.0) * (len(ur) + len(uc) + 1)
    matrix = np.full((len(ur), len(uc)), missing)
    pair_at = np.full((len(ur), len(uc)), -1, dtype=np.int64)
    matrix[rr, cc] = cost
    pair_at[rr, cc] = np.arange(len(r))
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
