"""One-to-one assignment of candidate pairs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from detector import assignment
from detector.assignment import assign_pairs, grouped_range_pairs, range_pairs


def test_assignment_is_one_to_one_and_not_greedy() -> None:
    rows, cols = np.array([0, 0, 1]), np.array([0, 1, 0])
    cost = np.array([1.0, 2.0, 1.5])
    chosen, ambiguous = assign_pairs(rows, cols, cost)
    # Greedy nearest would take (0, 0) and leave row 1 without a match.
    assert chosen.tolist() == [False, True, True]
    assert ambiguous.all()
    chosen, _ = assign_pairs(rows, cols, cost, limit=1.8)  # (0, 1) is not worth linking
    assert chosen.tolist() == [True, False, False]


def test_range_pairs_finds_every_key_within_each_querys_range() -> None:
    keys = np.array([5.0, 1.0, 3.0, 9.0])
    low, high = np.array([0.0, 4.0, 10.0]), np.array([3.0, 9.0, 12.0])
    key, query = range_pairs(keys, low, high)
    pairs = sorted(zip(query.tolist(), key.tolist(), strict=True))
    assert pairs == [(0, 1), (0, 2), (1, 0), (1, 3)]


def test_grouped_range_pairs_never_pair_on_a_nan_bound_or_key() -> None:
    """Sorted last, a NaN key paired with a query of NaN bounds, and a query whose ``high``
    was NaN with every key of its group from ``low`` up (the NaN key too): 4 pairs, none
    true of ``low <= key <= high``. Now only the pairs that are: those of the infinite range
    and of the ordinary one, the same as without the NaN rows."""
    group = np.zeros(3, dtype=np.int64)
    keys = np.array([1.0, np.nan, 5.0])
    low = np.array([np.nan, 0.0, np.nan, -np.inf, 0.0])
    high = np.array([np.nan, np.nan, 3.0, np.inf, 3.0])
    key, query = grouped_range_pairs(group, keys, np.zeros(5, dtype=np.int64), low, high)
    assert sorted(zip(query.tolist(), key.tolist(), strict=True)) == [(3, 0), (3, 2), (4, 0)]
    key, query = grouped_range_pairs(group[:0], keys[:0], group, keys, keys)  # no key at all
    assert len(key) == len(query) == 0


def test_range_pairs_never_pair_on_a_nan_bound_or_key() -> None:
    """As :func:`grouped_range_pairs` (fixed before it): sorted last, a NaN key paired with
    a query of NaN bounds, and a query whose ``high`` was NaN with every key from ``low`` up
    (the NaN key too): 4 false pairs of 3 keys and 5 queries. Now only the pairs that are."""
    keys = np.array([1.0, np.nan, 5.0])
    low = np.array([np.nan, 0.0, np.nan, -np.inf, 0.0])
    high = np.array([np.nan, np.nan, 3.0, np.inf, 3.0])
    key, query = range_pairs(keys, low, high)
    assert sorted(zip(query.tolist(), key.tolist(), strict=True)) == [(3, 0), (3, 2), (4, 0)]
    key, query = range_pairs(keys[:0], keys, keys)  # no key at all
    assert len(key) == len(query) == 0


def test_a_tie_falls_the_same_way_whatever_is_assigned_beside_it() -> None:
    """Two rows moving the same way cost the same total matched either way round; solved in
    one matrix with an unrelated part (another river's dredges in the same frame step), the
    tie fell the other way in 86 of 200 draws."""
    rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    cost = np.array([20.0, 30.0, 10.0, 20.0])
    alone, _ = assign_pairs(rows, cols, cost)
    rng = np.random.default_rng(0)
    for _ in range(40):
        n, m = rng.integers(2, 6, size=2)
        other_rows, other_cols = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
        other_cost = rng.uniform(0, 60, n * m).round(2)
        shift_r, shift_c = rng.choice([-100, 100], size=2)
        for limit in (None, 100.0):
            chosen, _ = assign_pairs(
                np.concatenate([rows, other_rows.ravel() + shift_r]),
                np.concatenate([cols, other_cols.ravel() + shift_c]),
                np.concatenate([cost, other_cost]),
                limit=limit,
            )
            assert chosen[:4].tolist() == alone.tolist()


def _each_part_alone(
    rows: np.ndarray, cols: np.ndarray, cost: np.ndarray, limit: float | None
) -> np.ndarray:
    """Reference: a Hungarian solve of each connected part of the candidate graph on its own
    dense matrix (rows and columns in ascending order, as assign_pairs numbers them)."""
    steps = np.round(cost / assignment.COST_STEP)
    keep = np.ones(len(rows), dtype=bool)
    if limit is not None:
        keep = steps < round(limit / assignment.COST_STEP)
        steps = steps - round(limit / assignment.COST_STEP)
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(node: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for r, c in zip(rows[keep].tolist(), cols[keep].tolist(), strict=True):
        parent[root(("r", r))] = root(("c", c))
    part = np.array([str(root(("r", int(r)))) for r in rows])
    chosen = np.zeros(len(rows), dtype=bool)
    for value in np.unique(part[keep]):
        at = np.flatnonzero(keep & (part == value))
        r_ids, r_at = np.unique(rows[at], return_inverse=True)
        c_ids, c_at = np.unique(cols[at], return_inverse=True)
        missing = 0.0
        if limit is None:
            missing = (np.abs(steps[at]).sum() + 1.0) * (len(r_ids) + len(c_ids) + 1)
        matrix = np.full((len(r_ids), len(c_ids)), missing)
        pair_at = np.full(matrix.shape, -1)
        matrix[r_at, c_at], pair_at[r_at, c_at] = steps[at], at
        got = pair_at[linear_sum_assignment(matrix)]
        chosen[got[got >= 0]] = True
    return chosen


def test_parts_solved_together_as_each_alone_ties_included() -> None:
    """Parts of one row or one column are picked without a Hungarian solve, and the others'
    matrices built a stack per shape: the same choice as each part alone, ties included."""
    rng = np.random.default_rng(3)
    for trial in range(300):
        n = int(rng.integers(1, 80))
        pairs = np.unique(rng.integers(0, int(rng.integers(2, 25)), size=(n, 2)), axis=0)
        rng.shuffle(pairs)
        cost = rng.integers(0, 4, len(pairs)) * rng.choice([1.0, 0.37])
        limit = None if trial % 2 else 2.0
        chosen, _ = assign_pairs(pairs[:, 0], pairs[:, 1], cost, limit=limit)
        reference = _each_part_alone(pairs[:, 0], pairs[:, 1], cost, limit)
        assert chosen.tolist() == reference.tolist()


def test_a_detection_between_two_moorings_needs_no_hungarian_solve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A frame of 500 detections, each between two moorings of its own: one Hungarian solve
    each made the tracker's assignments 3x slower than the one solve a frame before."""
    calls = []

    def counting(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(matrix.shape)
        return linear_sum_assignment(matrix)

    monkeypatch.setattr(assignment, "linear_sum_assignment", counting)
    rows = np.repeat(np.arange(500), 2)
    cols = np.arange(1000)
    cost = np.tile([3.0, 3.0], 500)  # a tie: the first column, as the Hungarian solve picks
    chosen, ambiguous = assign_pairs(rows, cols, cost)
    assert chosen.tolist() == [True, False] * 500
    assert ambiguous.all()
    assert calls == []
