"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from tests.network import blocked_network

if TYPE_CHECKING:
    from training.labels.table import LabelledTile
    from training.synth.world import WorldConfig

# The tests' own cache (ONNX exports of the models they train, ultralytics' settings), set
# before anything imports detector.offline: the user's ~/.cache/dredge stays as it was, and a
# run leaves no exports behind (each test model is ~10 MB; CI filled a disk with them).
_TEST_CACHE = tempfile.mkdtemp(prefix="dredge-test-cache-")
os.environ["DREDGE_CACHE_DIR"] = _TEST_CACHE


# Property tests draw the same examples on every run (a test run is deterministic; a random
# draw failed one CI run in many on a float's last digit); DREDGE_PROPERTY_EXAMPLES=N asks for
# a deeper, random search.
settings.register_profile("fixed", derandomize=True)
settings.register_profile("search", derandomize=False)
settings.load_profile("search" if os.environ.get("DREDGE_PROPERTY_EXAMPLES") else "fixed")

MIN_FREE_GB = 1.0  # a full run writes up to about 0.8 GB of scenes, worlds and models


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once, in one line, when the temporary folder's disk is nearly full: a run that
    fills it fails test after test with unrelated errors (CI did, 41 of them)."""
    free_gb = shutil.disk_usage(tempfile.gettempdir()).free / 1e9
    if free_gb < MIN_FREE_GB:
        pytest.exit(
            f"only {free_gb:.2f} GB free in {tempfile.gettempdir()}; the tests need about "
            f"{MIN_FREE_GB:g} GB: free some space (old pytest-of-* folders, clones, caches)",
            returncode=1,
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the tests' cache folder."""
    shutil.rmtree(_TEST_CACHE, ignore_errors=True)


@pytest.fixture
def no_network() -> Iterator[list[object]]:
    """Fail the test if anything in it tries to open a network connection."""
    with blocked_network() as attempts:
        yield attempts
    assert not attempts, f"tried the network: {attempts}"


@pytest.fixture(scope="session")
def drawn_world(tmp_path_factory: pytest.TempPathFactory) -> Callable[[WorldConfig, Path], Path]:
    """``draw(config, out)``: the synthetic world of ``config`` copied into ``out``, returned.

    Each config is drawn once a session (a world takes 5-15 s to draw, a copy a fraction of
    a second), and each caller gets its own copy, so that no module's writes reach another."""
    from training.synth.world import write_world

    drawn: dict[WorldConfig, Path] = {}

    def draw(config: WorldConfig, out: Path) -> Path:
        if config not in drawn:
            folder = tmp_path_factory.mktemp("drawn") / "world"
            write_world(config, folder)
            drawn[config] = folder
        shutil.copytree(drawn[config], out)
        return out

    return draw


@pytest.fixture(scope="session")
def label_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny synthetic world (seed 199, Nanay, 2024: three scenes) for the label tests."""
    from tests.label_fixtures import write_label_world

    return write_label_world(tmp_path_factory.mktemp("labels") / "world")


@pytest.fixture(scope="session")
def vector_labels(label_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world's visible truth boxes as a GeoJSON (EPSG:4326) with scene and class_name."""
    from tests.label_fixtures import truth_frame

    path = tmp_path_factory.mktemp("vector") / "labels.geojson"
    truth_frame(label_world).to_file(path, driver="GeoJSON")
    return path


@pytest.fixture(scope="session")
def labelled_tiles(label_world: Path, vector_labels: Path) -> list[LabelledTile]:
    """The world's corridor tiles at 12 m / 64 px, labelled from the vector labels."""
    from detector.rivers import RiverNetwork
    from tests.label_fixtures import CLASSES, SPEC
    from training.labels.classes import ClassMap
    from training.labels.vector import read_vector_labels

    tiles, _ = read_vector_labels(
        vector_labels,
        ClassMap(CLASSES),
        scenes=[label_world / "scenes"],
        rivers=RiverNetwork.read(label_world / "rivers.geojson"),
        spec=SPEC,
    )
    return tiles
