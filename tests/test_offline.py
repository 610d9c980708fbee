"""Ultralytics stays offline: its environment is set before its first import, and building a
model from YAML makes no network connection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import detector
from detector.cli import app
from detector.offline import cache_dir, configure_offline, import_ultralytics


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


def test_a_cache_folder_that_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only home (HOME=/nonexistent, a container's read-only disk) or DREDGE_CACHE_DIR on
    one: importing detector raised, and every command, even `dredge --version`, was a traceback
    (PermissionError, FileNotFoundError: '/proc/nothere')."""
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DREDGE_CACHE_DIR", str(blocker / "cache"))
    configure_offline()  # it raised NotADirectoryError
    env = {**os.environ, "HOME": str(blocker / "home")}
    env.pop("DREDGE_CACHE_DIR")
    for name in ("YOLO_CONFIG_DIR", "MPLCONFIGDIR"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "detector.cli", "--version"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, f"dredge {detector.__version__}")
