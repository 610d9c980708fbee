"""One-to-one assignment of candidate pairs."""

from __future__ import annotations

import numpy as np

from detector.assignment import assign_pairs, range_pairs


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
