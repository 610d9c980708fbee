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
