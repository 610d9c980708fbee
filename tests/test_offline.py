"""Ultralytics stays offline: its environment is set before its first import, and building a
model from YAML makes no network connection."""

from __future__ import annotations

import os

from typer.testing import CliRunner

import detector
from detector.cli import app
from detector.offline import cache_dir, import_ultralytics


def test_environment_is_offline_after_importing_detector() -> None:
    assert detector.__version__
    assert os.environ["YOLO_OFFLINE"] == "1"
    assert os.environ["YOLO_AUTOINSTALL"] == "false"
    assert os.environ["YOLO_CONFIG_DIR"].startswith(str(cache_dir()))


def test_build_and_predict_yolo_without_network(no_network: list[object]) -> None:
    import numpy as np

    ultralytics = import_ultralytics()
    from ultralytics.utils import SETTINGS

    assert SETTINGS["sync"] is False
    model = ultralytics.YOLO("yolo11n.yaml")
    results = model.predict(
        np.zeros((64, 64, 3), dtype=np.uint8), imgsz=64, device="cpu", verbose=False
    )
    assert len(results) == 1


def test_help_and_version() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"dredge {detector.__version__}"
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "synth" in result.output
    result = runner.invoke(app, ["synth", "--help"])
    assert result.exit_code == 0 and "--seed" in result.output
