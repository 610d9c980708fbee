"""The dedup benchmark's degraded detections: what a detector would give, where it would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from benchmarks.track_sim import SimConfig
from benchmarks.tracking_dedup import Degradation, simulated_case
from detector.observed import scene_key

SMALL = SimConfig(
    rivers=2, years=(2024, 2024), river_length_m=10_000.0, groups_per_year=30.0, seed=3
)


def test_false_detections_lie_in_the_clear_area_of_their_scene_on_its_date() -> None:
    # Drawn along the whole river, 38 % of them (seed 1, full size) lay outside the scene's
    # footprint or under its clouds, where no detector looks.
    case = simulated_case(3, Degradation(drop=0.0, jitter_m=0.0, false_rate=0.5), config=SMALL)
    fake = case.detections[case.labels.isna().to_numpy()]
    real = case.detections[case.labels.notna().to_numpy()]
    assert len(fake) == round(0.5 * len(real)) > 100
    areas = case.observed.set_index(case.observed["scene"].map(scene_key))
    bounds = fake.geometry.bounds
    inside = shapely.contains_xy(
        areas.geometry.loc[fake["scene"].map(scene_key)].to_numpy(),
        ((bounds["minx"] + bounds["maxx"]) / 2).to_numpy(),
        ((bounds["miny"] + bounds["maxy"]) / 2).to_numpy(),
    )
    assert inside.all()
    dated = pd.to_datetime(areas["acquired"], utc=True).dt.floor("s")
    assert (fake["acquired"].to_numpy() == dated.loc[fake["scene"].map(scene_key)].to_numpy()).all()
    assert fake["river"].tolist() == [f"R{int(s.split('_')[3]):02d}" for s in fake["scene"]]
    assert (np.abs(fake["offset_m"]) <= SMALL.width_m / 2).all()


def test_degradation_drops_and_jitters_the_visible_appearances() -> None:
    degradation = Degradation(drop=0.15, jitter_m=8.0, false_rate=0.0)
    case = simulated_case(3, degradation, config=SMALL)
    visible = case.truth[case.truth["visible"].astype(bool)]
    assert len(case.detections) / len(visible) == pytest.approx(0.85, abs=0.03)
    merged = case.detections.assign(dredge_id=case.labels.to_numpy()).merge(
        visible[["dredge_id", "scene", "chainage_m", "offset_m"]],
        on=["dredge_id", "scene"],
        suffixes=("", "_true"),
    )
    assert len(merged) == len(case.detections)
    along = merged["chainage_m"] - merged["chainage_m_true"]
    across = merged["offset_m"] - merged["offset_m_true"]
    assert abs(along.std() - 8.0) < 0.8 and abs(across.std() - 8.0) < 0.8  # metres, per axis


def test_false_detections_of_scenes_that_saw_no_water_are_none() -> None:
    """Scenes whose clear areas hold none of the rivers' water (here, moved 1° north): the
    false detections were drawn until enough fell inside one, forever. None are drawn."""
    import signal
    from dataclasses import replace

    from benchmarks.track_sim import simulate
    from benchmarks.tracking_dedup import false_rows

    world = simulate(SMALL)
    moved = world.observed.assign(geometry=world.observed.geometry.translate(yoff=1.0))
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("false_rows drew forever"))
    signal.alarm(60)
    try:
        fake = false_rows(replace(world, observed=moved), 50, np.random.default_rng(0))
    finally:
        signal.alarm(0)
    assert fake.empty
    assert len(false_rows(world, 50, np.random.default_rng(0))) == 50


def test_returns_reference_scores_identities_by_the_true_dredge() -> None:
    """The reference row that splits each dredge at an absence over 45 days: its `IDF1 by
    label` took the split identities for the true ones and read 1.000 on every seed (0.908,
    0.945, 0.922 by position). It now scores against the dredges themselves: A, seen 3 times,
    off the river 100 days, then twice more, is two tracks, the best holding 3 of its 5
    appearances; B, seen 5 times and there (under cloud) between, is one track: IDTP 8 of
    10, IDF1 0.8 both ways."""
    from benchmarks.tracking_dedup import _true_counts, returns_reference_line

    days = ["2024-01-01", "2024-01-11", "2024-01-21", "2024-05-01", "2024-05-11"]
    rows = [
        (dredge, f"s{k}", f"{day}T15:00:00Z", -73.0 + shift, -3.0)
        for dredge, shift in (("A", 0.0), ("B", 0.002))
        for k, day in enumerate(days)
    ]
    truth = pd.DataFrame(rows, columns=["dredge_id", "scene", "acquired", "lon", "lat"])
    truth = truth.assign(river="R00", visible=True)
    clouded = [(f"c{m}", f"2024-0{m}-15T15:00:00Z") for m in (2, 3, 4)]  # B there, unseen
    under = pd.DataFrame([("B", s, a, -72.998, -3.0, "R00", False) for s, a in clouded])
    truth = pd.concat([truth, under.set_axis(truth.columns, axis=1)], ignore_index=True)
    line = returns_reference_line("w", truth, _true_counts(truth))
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells[3:5] == ["3", "3"]  # tracks, counted: A twice, B once
    assert cells[5] == "0.800"  # IDF1 by position
    assert cells[8] == "0.800"  # IDF1 by label (was 1.000)
