"""Faults and checks for the disk tests (test_disk_faults*.py): ``dredge run`` in this process,
its one error line, temporaries left, writes made to fail as a full or read-only disk fails
them, and a run that nothing interrupted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from detector.cli import app
from detector.run_manifest import MANIFEST_NAME

NO_SPACE = "No space left on device"


def dredge_run(world: Path, model: Path, out: Path) -> Result:
    """``dredge run`` on the world's scenes, in this process (so that patched faults apply)."""
    return CliRunner().invoke(
        app,
        [
            *("run", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
            *("--out", str(out), "--model", str(model), "--conf", "0.6", "--batch", "4"),
            "--no-progress",
        ],
    )


# --------------------------------------------------------------------------------------------
# What every test checks


def error_line(result: Result) -> str:
    """The run's one error line (it must have exactly one, and no traceback)."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if ".tmp-" in p.name or ".partial" in p.name]


# --------------------------------------------------------------------------------------------
# Faults


def half_then(error: BaseException) -> Callable[[Path], None]:
    """A fault: cut the file just written to half its size (the disk filled up), then raise."""

    def fault(path: Path) -> None:
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 2])
        raise error

    return fault


def fail_writes(
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    method: str,
    *,
    when: Callable[[Path], bool],
    fault: Callable[[Path], None],
    write_first: bool = True,
) -> list[Path]:
    """Make ``owner.method(path, ...)`` fail (``fault(path)``) for the paths ``when`` picks.

    ``write_first``: the real write happens before the fault (a write that stops half-way);
    otherwise nothing is written (a file that cannot be created). Returns the paths it failed.
    """
    original = getattr(owner, method)
    failed: list[Path] = []

    def patched(self: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, str | Path) and when(Path(path)):
            failed.append(Path(path))
            if write_first:
                original(self, path, *args, **kwargs)
            fault(Path(path))
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(owner, method, patched)
    return failed


def uninterrupted_run(world: Path, model: Path, out: Path) -> Path:
    """``dredge run`` into ``out`` with nothing interrupting it (the module fixture ``whole``)."""
    result = dredge_run(world, model, out)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / MANIFEST_NAME)) >= 3
    return out
