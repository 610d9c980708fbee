"""The cadence benchmark's summary of count errors."""

from __future__ import annotations

import pandas as pd

from benchmarks.revisit_cadence import summary


def errors(true: list[int], counted: list[int]) -> pd.DataFrame:
    error = pd.Series(counted) - pd.Series(true)
    return pd.DataFrame(
        {
            "true_unique": true,
            "error": error,
            "within_tolerance": error.abs() <= 0.05 * pd.Series(true),
        }
    )


def test_summary_keeps_to_river_years_with_ten_dredges() -> None:
    row = summary([errors([20, 5], [20, 9]), errors([40], [36])])
    assert row["within"] == "1/2"  # the river-year of 5 dredges is left out
    assert row["mean relative error"] == "5.0%"  # (0 + 4/40) / 2
    assert row["net error"] == "+4 / -4"
