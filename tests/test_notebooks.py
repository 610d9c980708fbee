"""The notebooks run on the current code (they are jupytext percent scripts)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
# The figures a notebook saves: `fig.savefig(out / "tracks.png", ...)`.
SAVED = re.compile(r"savefig\(out / \"([^\"]+)\"")


def run_script(script: Path | str, out: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a notebook as a script, in ``cwd``, on this checkout's code (not on whichever
    checkout the venv's editable install points to), its files going to ``out``."""
    env = {
        **os.environ,
        "DREDGE_NOTEBOOK_OUT": str(out),
        "MPLBACKEND": "Agg",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, *(["-c", script] if isinstance(script, str) else [str(script)])]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def check_notebook(notebook: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``notebook`` from an empty folder and fail on an error, a traceback or a warning it
    printed, a figure it did not save, or a file it left in the folder it was started in."""
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    cwd.mkdir(parents=True)
    result = run_script(notebook, out, cwd)
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed[-2000:]
    assert "Traceback" not in printed, printed[-2000:]
    assert not re.search(r"\w+Warning\b", result.stderr), result.stderr[-2000:]
    figures = SAVED.findall(notebook.read_text(encoding="utf-8"))
    assert figures, f"{notebook.name} saves no figure"
    for name in figures:  # 01 writes into out/world, beside the world it draws
        saved = [f for f in (out / name, out / "world" / name) if f.is_file()]
        assert saved and saved[0].stat().st_size > 0, f"{notebook.name} did not save {name}"
    assert not list(cwd.iterdir()), "the notebook wrote into the folder it was started in"
    return result


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(notebook: Path, tmp_path: Path) -> None:
    result = check_notebook(notebook, tmp_path)
    if notebook.name == "02_walkthrough.py":  # detection showed nothing till it was done (the
        # demo's 72 scenes: 2½ to 5 minutes): the scenes are counted as they finish, on a
        # line rewritten with '\r' (read here as a line end: text mode's universal newlines)
        assert re.search(r"detecting: 3 of 3 scenes, \d+ s\n", result.stdout), result.stdout


def test_there_is_a_notebook() -> None:
    assert NOTEBOOKS, "notebooks/ holds no walkthrough"


def test_check_fails_on_a_printed_traceback(tmp_path: Path) -> None:
    """The check can fail: a notebook that prints a caught traceback and exits 0 (its own
    figure saved), or that saves none of the figures it names, does not pass."""
    fake = tmp_path / "fake.py"
    fake.write_text(
        "import os, traceback\nfrom pathlib import Path\n"
        "out = Path(os.environ['DREDGE_NOTEBOOK_OUT']); out.mkdir(parents=True)\n"
        "(out / 'a.png').write_bytes(b'png')  # fig.savefig(out / \"a.png\")\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    traceback.print_exc()\n",
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match="ZeroDivisionError"):
        check_notebook(fake, tmp_path / "1")
    fake.write_text(fake.read_text().replace("traceback.print_exc()", "pass"), encoding="utf-8")
    check_notebook(fake, tmp_path / "2")
    fake.write_text(fake.read_text().replace("'a.png'", "'b.png'"), encoding="utf-8")
    with pytest.raises(AssertionError, match=r"did not save a\.png"):
        check_notebook(fake, tmp_path / "3")


def test_walkthrough_finds_the_demo_world_from_notebooks_folder(tmp_path: Path) -> None:
    """Jupyter starts a notebook in its own folder: the walkthrough's first cell finds
    `demo-output/world` in the repository's folder above it (it looked in the working folder
    only, and walked through a world of its own)."""
    world = tmp_path / "repo" / "demo-output" / "world"
    (world / "scenes").mkdir(parents=True)
    (world / "world.json").write_text("{}", encoding="utf-8")
    (world / "scenes" / "20240105_145045_36_2480_3B_AnalyticMS_SR.tif").write_bytes(b"")
    (tmp_path / "repo" / "notebooks").mkdir()
    source = (ROOT / "notebooks" / "02_walkthrough.py").read_text(encoding="utf-8")
    cells = re.split(r"^# %%.*$", source, flags=re.M)
    first_code = next(cell for cell in cells if re.search(r"^import ", cell, flags=re.M))
    result = run_script(first_code, tmp_path / "out", tmp_path / "repo" / "notebooks")
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"1 scene in {world}" in result.stdout, result.stdout
    assert "of its own" not in result.stdout
