"""The simulated world of the tracking benchmarks: seeded, and returns only when asked for."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from benchmarks.track_sim import SimConfig, simulate
from training.track_eval import split_at_absences

SMALL = SimConfig(
    rivers=1, years=(2024, 2024), river_length_m=10_000.0, groups_per_year=30.0, seed=3
)


def returned(truth: pd.DataFrame) -> int:
    """Dredges that were off the river for more than 45 days and came back."""
    split = split_at_absences(truth, absence_days=45)
    return int(split["dredge_id"].nunique() - truth["dredge_id"].nunique())


def test_the_same_config_draws_the_same_world() -> None:
    a, b = simulate(SMALL), simulate(replace(SMALL))
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert len(a.observed) == len(b.observed) > 50


def test_return_share_zero_draws_no_returns() -> None:
    assert returned(simulate(SMALL).truth) > 0
    assert returned(simulate(replace(SMALL, return_share=0.0)).truth) == 0
    assert returned(simulate(replace(SMALL, return_share=1.0)).truth) > 5


def test_revisit_days_sets_the_time_between_scenes() -> None:
    for days in (2.0, 10.0, 30.0):
        acquired = simulate(replace(SMALL, revisit_days=days)).observed["acquired"]
        gaps = acquired.sort_values().diff().dt.total_seconds().dropna() / 86_400
        assert abs(gaps.mean() - days) < 0.15 * days
