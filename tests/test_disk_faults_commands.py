"""A disk that fills up under ``dredge detect``, ``tiles``, ``review``, ``evaluate``, ``synth``
and ``train``, what a killed ``detect`` or ``track`` left, and file outs that cannot be (a
folder, inside a file, ``.``, empty): one line each, no half file."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests.disk_fixtures import (
    NO_SPACE,
    error_line,
    fail_writes,
    half_then,
    temporaries,
    uninterrupted_run,
)
from tests.model_fixtures import write_untrained_model
from training.synth.world import WorldConfig


@pytest.fixture(scope="module")
def world(
    drawn_world: Callable[[WorldConfig, Path], Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("disk") / "world"
    return drawn_world(WorldConfig(seed=16, rivers=("Nanay",), years=(2024, 2024)), out)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_untrained_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def whole(world: Path, model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run that nothing interrupted."""
    return uninterrupted_run(world, model, tmp_path_factory.mktemp("whole") / "run")


# --------------------------------------------------------------------------------------------
# dredge detect and dredge tiles write through the same atomic writes


def test_detect_and_track_remove_what_a_killed_command_left_beside_their_files(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """SIGKILL (or running out of memory) while `dredge detect` wrote its table left
    `.detections.parquet.tmp-PID.parquet` beside --out for good: only `dredge run` swept such
    files. A command now removes those of its own files whose process is gone; another
    command's, still writing, are kept."""
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead, alive = int(gone.stdout), os.getppid()
    out = tmp_path / "detections.parquet"
    left = tmp_path / f".detections.parquet.tmp-{dead}.parquet"
    writing = tmp_path / f".detections.parquet.tmp-{alive}.parquet"
    other = tmp_path / f".other.parquet.tmp-{dead}.parquet"  # not this command's file
    stale_tracks = tmp_path / f".tracks.parquet.tmp-{dead}.parquet"
    for path in (left, writing, other, stale_tracks):
        path.write_bytes(b"PAR1" * 1000)
    scene = sorted((world / "scenes").glob("*_SR.tif"))[0]
    rivers = world / "rivers.geojson"
    result = CliRunner().invoke(
        app,
        [*("detect", str(scene), "--rivers", str(rivers), "--out", str(out)),
         *("--model", str(model), "--conf", "0.6", "--no-progress")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not left.exists() and writing.exists() and other.exists()
    tracks = tmp_path / "tracks.parquet"
    result = CliRunner().invoke(
        app, ["track", str(out), "--rivers", str(rivers), "--out", str(tracks)]
    )
    assert result.exit_code == 0, result.output
    assert not stale_tracks.exists() and writing.exists()


def test_disk_full_in_dredge_detect_and_dredge_tiles(
    world: Path, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table of ``dredge detect`` and a chip of ``dredge tiles``: one line, no half file."""
    full = half_then(OSError(errno.ENOSPC, NO_SPACE))
    out = tmp_path / "detections.parquet"
    with monkeypatch.context() as patch:
        fail_writes(patch, gpd.GeoDataFrame, "to_parquet", when=lambda p: True, fault=full)
        result = CliRunner().invoke(
            app,
            [
                *("detect", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
                *("--out", str(out), "--model", str(model), "--conf", "0.6", "--no-progress"),
            ],
        )
    line = error_line(result)
    assert line.startswith(f"error: {out}: ") and "no space left on the device" in line
    assert not out.exists() and not temporaries(tmp_path)

    chips = tmp_path / "chips"
    with monkeypatch.context() as patch:
        from PIL import Image

        calls: list[Path] = []

        def third(path: Path) -> bool:
            calls.append(path)
            return len(calls) == 3

        fail_writes(patch, Image.Image, "save", when=third, fault=full)
        result = CliRunner().invoke(
            app,
            [
                *("tiles", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
                *("--out", str(chips), "--no-progress"),
            ],
        )
    line = error_line(result)
    assert "no space left on the device" in line
    assert not temporaries(chips)
    for png in chips.rglob("*.png"):
        Image.open(png).verify()  # the chips written before the fault are whole


def test_an_out_that_is_a_folder_or_inside_a_file_is_one_line_before_work(tmp_path: Path) -> None:
    """A file's --out (--chart, --kml …) naming a folder ran the whole command, then said
    'could not be written ([Errno 21] Is a directory) — check the disk … (space, permissions)',
    also under --overwrite; a folder's --out naming a file (`tiles`, `evaluate`, `review`) was a
    FileExistsError or NotADirectoryError traceback."""
    folder, a_file = tmp_path / "folder", tmp_path / "a-file"
    folder.mkdir()
    a_file.write_text("not a folder\n")
    missing = str(tmp_path / "missing.parquet")  # the check comes before any input is read
    runs = {
        "detect": ["detect", missing, "--rivers", missing, "--no-progress", "--overwrite"],
        "track": ["track", missing, "--rivers", missing, "--overwrite"],
        "counts": ["counts", missing, "--overwrite"],
    }
    for command in runs.values():
        for out, words in ((folder, "is a folder"), (a_file / "x.csv", "is a file, so")):
            result = CliRunner().invoke(app, [*command, "--out", str(out)])
            assert result.exit_code == 2 and words in result.stderr, (command, result.output)
    chart = ["counts", missing, "--out", str(tmp_path / "c.csv"), "--chart", str(folder)]
    assert f"{folder}: is a folder" in CliRunner().invoke(app, chart).stderr
    folders = {
        "tiles": ["tiles", missing, "--rivers", missing, "--no-progress"],
        "evaluate": ["evaluate", missing, missing],
        "review": ["review", missing, "--scenes", missing],
    }
    for command in folders.values():
        for out in (a_file, a_file / "sub"):
            result = CliRunner().invoke(app, [*command, "--out", str(out)])
            assert result.exit_code == 2, (command, result.output)
            assert f"{a_file}: is a file, not a folder — choose another --out" in result.stderr
    assert a_file.read_text() == "not a folder\n" and not any(folder.iterdir())


def test_a_file_out_of_dot_or_empty_is_one_line(tmp_path: Path) -> None:
    """`--out .` (or `--out ""`, an unset shell variable) of `detect` and `track`, and
    `counts --geojson .`, were a traceback of Path.with_name ('has an empty name') before the
    check that the output is no folder: exit code 3 and 'this is a bug in dredge' for detect
    and track, the raw ValueError's words for counts. An empty one names the option."""
    missing = str(tmp_path / "missing.parquet")
    runs = [
        ["detect", missing, "--rivers", missing, "--no-progress", "--out"],
        ["track", missing, "--rivers", missing, "--out"],
        ["counts", missing, "--out", str(tmp_path / "c.csv"), "--geojson"],
    ]
    for command in runs:
        for out in (".", ""):
            result = CliRunner().invoke(app, [*command, out])
            assert result.exit_code == 2, (command, out, result.output)
            if out:
                assert ".: is a folder — give the name of a file to write" in result.stderr
            else:
                assert result.stderr.startswith(f"error: {command[-1]}: empty — give a file")


def test_disk_full_in_dredge_review_evaluate_synth_and_train(
    whole: Path, model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk under ``dredge review``, ``evaluate``, ``synth`` and ``train``: one line naming
    the folder (each ended in a raw ``OSError: [Errno 28] No space left on device`` or
    ``RasterioIOError: Write failed`` traceback; evaluate left a 0-byte ``pr_curve.png``, which
    the same command, once there was space, refused as a file that exists)."""
    from matplotlib.figure import Figure
    from PIL import Image

    full = half_then(OSError(errno.ENOSPC, NO_SPACE))
    review = tmp_path / "review"
    with monkeypatch.context() as patch:
        fail_writes(patch, Image.Image, "save", when=lambda p: True, fault=full)
        result = CliRunner().invoke(
            app, ["review", str(whole / "detections.parquet"), "--out", str(review)]
        )
    line = error_line(result)
    assert line.startswith(f"error: {review}: could not be written: no space left on the device")
    assert not review.exists() and not (tmp_path / ".review.partial").exists()
    result = CliRunner().invoke(
        app, ["review", str(whole / "detections.parquet"), "--out", str(review)]
    )
    assert result.exit_code == 0, result.output

    evaluation = tmp_path / "evaluation"
    args = ["evaluate", str(model), str(review), "--out", str(evaluation), "--no-flips"]
    with monkeypatch.context() as patch:
        fail_writes(patch, Figure, "savefig", when=lambda p: True, fault=full)
        result = CliRunner().invoke(app, args)
    line = error_line(result)
    assert line.startswith(f"error: {evaluation / 'pr_curve.png'}: could not be written: no space")
    assert not [p for p in evaluation.iterdir()]  # no half PNG under its name, no temporary
    result = CliRunner().invoke(app, args)  # the same command, once there is space
    assert result.exit_code == 0, result.output

    world = tmp_path / "world"
    synth = ["synth", "--out", str(world), "--seed", "3", "--size", "small", "--rivers", "Nanay"]
    synth += ["--years", "2024"]
    with monkeypatch.context() as patch:
        fail_writes(patch, pd.DataFrame, "to_csv", when=lambda p: True, fault=full)
        result = CliRunner().invoke(app, synth)
    line = error_line(result)
    assert line.startswith(f"error: {world}: could not be written: no space left on the device")
    result = CliRunner().invoke(app, synth)  # the same command: the world half made is redrawn
    assert result.exit_code == 0, result.output

    trained = tmp_path / "trained"
    with monkeypatch.context() as patch:

        def no_space(*args: Any, **kwargs: Any) -> None:
            raise OSError(errno.ENOSPC, NO_SPACE)

        def no_training(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("the chips were to fail first")

        patch.setattr("training.finetune.write_chip_dataset", no_space)
        patch.setattr("training.finetune._train", no_training)
        result = CliRunner().invoke(
            app, ["train", str(review), "--from", str(model), "--out", str(trained)]
        )
    line = error_line(result)
    assert line.startswith(f"error: {trained}: could not be written: no space left on the device")
    assert not trained.exists() and not (tmp_path / ".trained.partial").exists()
