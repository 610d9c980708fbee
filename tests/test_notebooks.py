"""The notebooks run on the current code (they are jupytext percent scripts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.py"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DREDGE_NOTEBOOK_OUT": str(tmp_path), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(notebook)], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert list(tmp_path.rglob("*.png"))


def test_there_is_a_notebook() -> None:
    assert NOTEBOOKS, "notebooks/ holds no walkthrough"
