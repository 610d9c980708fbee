"""Module fixtures for the ``dredge run`` tests (test_run*.py): a synthetic world of one river
and year, three of its scenes with one truncated GeoTIFF, and an untrained model. Each test
module that imports them gets its own (module scope); the world is a copy of one drawn once a
session (conftest's ``drawn_world``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.geo_fixtures import truncate
from tests.model_fixtures import write_untrained_model
from training.synth.world import WorldConfig


@pytest.fixture(scope="module")
def world(
    drawn_world: Callable[[WorldConfig, Path], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("run") / "world"
    return drawn_world(WorldConfig(seed=14, rivers=("Nanay",), years=(2024, 2024)), out)


@pytest.fixture(scope="module")
def scenes(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three scenes of the world (with their sidecars) and one truncated GeoTIFF."""
    folder = tmp_path_factory.mktemp("scenes")
    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:3]
    for scene in sources:
        stem = scene.name.removesuffix("_3B_AnalyticMS_SR.tif")
        for sidecar in scene.parent.glob(f"{stem}*"):
            shutil.copy(sidecar, folder / sidecar.name)
    broken = folder / "20240101_120000_00_0000_3B_AnalyticMS_SR.tif"
    shutil.copy(sources[0], broken)
    truncate(broken)
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_untrained_model(tmp_path_factory.mktemp("model"))
