"""The reference for position-only trackers: the truth split where a dredge left the river."""

from __future__ import annotations

import pandas as pd

from training.track_eval import split_at_absences, truth_counts


def test_a_return_after_a_long_absence_counts_again() -> None:
    days = ["01-01", "01-01", "01-20", "06-01", "06-01", "06-10"]
    truth = pd.DataFrame(
        {
            "dredge_id": ["A", "B", "A", "A", "B", "A"],
            "acquired": [f"2024-{day}" for day in days],
            "visible": True,
            "river": "R",
        },
        index=[7, 3, 5, 1, 0, 2],
    )
    split = split_at_absences(truth, absence_days=45)
    assert split["dredge_id"].tolist() == ["A#0", "B#0", "A#0", "A#1", "B#1", "A#1"]
    assert split.index.tolist() == truth.index.tolist()
    counts = truth_counts(split, ["R"], range(2024, 2025))
    assert counts["unique_dredges"].tolist() == [4]  # A and B twice each; the truth says 2
