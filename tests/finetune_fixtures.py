"""Helpers for the fine-tuning tests (test_finetune.py, test_finetune_options.py,
test_finetune_places.py): a tiny untrained model to start from (module scope: each test module
that takes it builds its own), `dredge train` run from the command line, stand-ins for the work,
and a labelled tile placed on the map."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests.label_fixtures import write_tiny_model
from training.labels.table import LabelledTile


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("base"))


def _train(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["train", *args, "--no-progress"])
    return result.exit_code, result.output


def no_work(*args: object, **kwargs: object) -> None:
    raise AssertionError("the bad setting was not refused before the work began")


def _no_training(base: Path) -> Callable[..., Path]:
    """A stand-in for ultralytics' training: the 'trained' weights are the starting ones."""

    def train(data_yaml: Path, run_dir: Path, *args: object) -> Path:
        run_dir.mkdir(parents=True, exist_ok=True)
        return base

    return train


def _placed(scene: str, lon: float, lat: float) -> LabelledTile:
    return LabelledTile(f"{scene}_{lon:.3f}", scene, "labels.gpkg", 64, 64, place=(lon, lat))
