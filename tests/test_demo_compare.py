"""`dredge demo`'s comparison of the run's counts with the truth (`counts_vs_truth.csv`)."""

from __future__ import annotations

import pandas as pd

from detector.demo import compare_counts


def test_a_river_year_only_in_the_truth_was_counted_zero_low_and_high() -> None:
    """A river-year in the truth that no scene counted has no row in the run's counts: its
    `unique_dredges` was 0 but its `unique_low` and `unique_high` stayed empty (NaN), so
    `benchmarks/count_accuracy.py` said the truth was not in low–high even where it is 0."""
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "unique_dredges": [5]})
    counts["unique_low"], counts["unique_high"] = 4, 6
    truth = pd.DataFrame(
        {
            "river": ["Nanay", "Tigre", "Tigre"],
            "year": [2024, 2024, 2025],
            "unique_dredges": [5, 3, 0],
        }
    )
    table = compare_counts(counts, truth).set_index(["river", "year"])
    tigre = {"unique_dredges": 0, "unique_low": 0, "unique_high": 0, "truth": 3, "error": -3}
    assert table.loc[("Tigre", 2024)].to_dict() == {**tigre, "within_10pct": False}
    assert table.loc[("Tigre", 2025), ["unique_low", "unique_high", "truth"]].tolist() == [0, 0, 0]
    assert table.loc[("Nanay", 2024), ["unique_low", "unique_high"]].tolist() == [4, 6]
    assert table["unique_low"].dtype == table["unique_high"].dtype == int
