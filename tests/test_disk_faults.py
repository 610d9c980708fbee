"""A disk that fills up, or an output folder that becomes unwritable, in the middle of a run.

Each fault is injected where the libraries really raise it (pyarrow, pandas, pyogrio, Python's
file writes) with the errors they raise on a full or read-only disk (checked by hand on a small
tmpfs, full and remounted read-only). Every run test checks the same four things: the run
stops with one ``error: PATH: problem — fix`` line and exit code 2 (no traceback); every file
under its final name in OUT is whole (no half file, no temporary left); the same command, once
the disk is fixed, completes; and it ends with the detections, tracks and counts of a run that
was never interrupted.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import pytest
from typer.testing import Result

from detector.run import RUN_FILES
from detector.run_manifest import MANIFEST_NAME
from detector.run_state import SCENES_DIR, RunState
from tests.disk_fixtures import (
    NO_SPACE,
    dredge_run,
    error_line,
    fail_writes,
    half_then,
    temporaries,
    uninterrupted_run,
)
from tests.model_fixtures import write_untrained_model
from training.synth.world import WorldConfig


def permissions_enforced(folder: Path) -> bool:
    """False where a folder made read-only can still be written (root, CAP_DAC_OVERRIDE)."""
    probe = folder / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "file").write_text("x")
    except PermissionError:
        return True
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)
    return False


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


def assert_whole(out: Path) -> int:
    """Every file in ``out`` opens; the manifest's done scenes have their files. Returns them."""
    assert not temporaries(out), temporaries(out)
    manifest = pd.read_csv(out / MANIFEST_NAME)
    done = manifest[manifest["status"] == "done"]
    files = sorted((out / SCENES_DIR).glob("*.parquet"))
    assert {f"{name}.parquet" for name in done["name"]} <= {f.name for f in files}
    for path in files:
        gpd.read_parquet(path)
    for name in RUN_FILES:
        path = out / name
        if not path.exists():
            continue
        if path.suffix == ".parquet":
            gpd.read_parquet(path)
        elif path.suffix == ".csv":
            pd.read_csv(path)
        elif path.suffix == ".gpkg":
            for layer in pyogrio.list_layers(path)[:, 0]:
                gpd.read_file(path, layer=layer)
        elif path.suffix == ".geojson":
            gpd.read_file(path)
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".kml":
            ET.parse(path)
    return len(done)


def assert_same_results(whole: Path, out: Path) -> None:
    first = gpd.read_parquet(whole / "detections.parquet")
    second = gpd.read_parquet(out / "detections.parquet")
    assert len(first) > 0 and second["detection_id"].is_unique
    pd.testing.assert_frame_equal(
        first.drop(columns="geometry"), second.drop(columns="geometry"), check_exact=False
    )
    assert first.geometry.geom_equals_exact(second.geometry, tolerance=1e-9).all()
    tracks = [gpd.read_parquet(o / "tracks.parquet").drop(columns="geometry") for o in (whole, out)]
    pd.testing.assert_frame_equal(*tracks)
    for name in ("counts.csv", "counts.json", "failures.csv", "tracks.observations.csv"):
        assert (whole / name).read_text() == (out / name).read_text(), name
    assert not [name for name in RUN_FILES if not (out / name).is_file()]


def rerun_completes(world: Path, model: Path, out: Path, whole: Path) -> Result:
    result = dredge_run(world, model, out)
    assert result.exit_code == 0, result.output
    assert_whole(out)
    assert_same_results(whole, out)
    return result


def after_scenes(monkeypatch: pytest.MonkeyPatch, count: int, then: Callable[[], None]) -> None:
    """Call ``then()`` once ``count`` scenes have been saved."""
    original = RunState.record
    saved: list[str] = []

    def record(self: RunState, path: str, frame: Any, error: str | None, **flags: Any) -> None:
        original(self, path, frame, error, **flags)
        saved.append(path)
        if len(saved) == count:
            then()

    monkeypatch.setattr(RunState, "record", record)


def is_scene_file(path: Path) -> bool:
    return path.parent.name == SCENES_DIR


# --------------------------------------------------------------------------------------------
# The disk fills up


def test_disk_full_while_saving_a_scene(
    world: Path, model: Path, whole: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyarrow fails half-way through the second scene's file: one scene is kept, then resumed."""
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        calls: list[Path] = []

        def second_scene(path: Path) -> bool:
            if not is_scene_file(path):
                return False
            calls.append(path)
            return len(calls) == 2

        failed = fail_writes(
            patch,
            gpd.GeoDataFrame,
            "to_parquet",
            when=second_scene,
            fault=half_then(OSError(errno.ENOSPC, f"Error writing bytes to file. {NO_SPACE}")),
        )
        line = error_line(dredge_run(world, model, out))
    assert len(failed) == 1
    scene_file = failed[0].name.removeprefix(".").split(".tmp-")[0]
    assert line.startswith(f"error: {out / SCENES_DIR / scene_file}: ")
    assert "no space left on the device" in line
    assert f"free space on the disk of {out / SCENES_DIR}" in line
    assert line.endswith("run the same command again; finished scenes are kept")
    assert assert_whole(out) == 1
    assert not (out / SCENES_DIR / scene_file).exists()
    assert not (out / "counts.csv").exists()

    (out / SCENES_DIR / ".left.parquet.tmp-999999.parquet").write_bytes(b"PAR1")  # a kill's
    resumed = rerun_completes(world, model, out, whole)
    assert "1 of" in resumed.output and "scenes already done" in resumed.output


def test_disk_full_when_a_scene_is_added_to_the_manifest(
    world: Path, model: Path, whole: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third scene's row is half appended to the manifest when the disk fills up: the half
    row is taken back; the scene file is there, the manifest says two scenes are done."""
    out = tmp_path / "run"
    manifests: set[int] = set()
    appends = {"count": 0}
    original_open, original_write = os.open, os.write

    def open_(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        descriptor = original_open(path, flags, *args, **kwargs)
        if Path(path).name == MANIFEST_NAME and flags & os.O_APPEND:
            appends["count"] += 1
            if appends["count"] == 2:  # the first scene's row is written with the header
                manifests.add(descriptor)
        return descriptor

    def write(descriptor: int, data: Any) -> int:
        if descriptor in manifests:
            manifests.discard(descriptor)
            original_write(descriptor, bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, NO_SPACE)
        return original_write(descriptor, data)

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", open_)
        patch.setattr(os, "write", write)
        line = error_line(dredge_run(world, model, out))
    assert line.startswith(f"error: {out / MANIFEST_NAME}: could not be written: no space left")
    assert (out / MANIFEST_NAME).read_bytes().endswith(b"\n")  # no half row left
    assert assert_whole(out) == 2  # the third scene's file is saved, the manifest does not say so
    assert len(list((out / SCENES_DIR).glob("*.parquet"))) == 3
    rerun_completes(world, model, out, whole)


def test_disk_full_while_writing_the_outputs(
    world: Path, model: Path, whole: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A finished run, rerun (it rebuilds tracks, counts, exports and report) on a disk that
    fills up at one output after another: each time one line, the previous file as it was."""
    out = tmp_path / "run"
    shutil.copytree(whole, out)
    original = os.replace

    def disk_full_at(target: str) -> Callable[[Any, Any], None]:
        failed: list[Path] = []

        def replace(src: Any, dst: Any) -> None:
            if Path(dst) == out / target and not failed:  # once: the file put back needs no space
                failed.append(Path(src))
                half_then(OSError(errno.ENOSPC, NO_SPACE))(Path(src))
            original(src, dst)

        return replace

    sqlite_full = pyogrio.errors.FeatureError(
        "Could not add feature to layer at index 0: sqlite3_exec(INSERT INTO gpkg_contents ...) "
        "failed: database or disk is full"
    )

    def gdal_fault(path: Path) -> None:
        raise sqlite_full

    for target in (
        "detections.parquet",
        "tracks.parquet",
        "counts.png",
        "dredges.gpkg",
        "report.html",
    ):
        before = (out / target).read_bytes()
        with monkeypatch.context() as patch:
            if target == "dredges.gpkg":  # GDAL's own words (pyogrio FeatureError, no errno)
                fail_writes(
                    patch,
                    gpd.GeoDataFrame,
                    "to_file",
                    when=lambda path: path.suffix == ".gpkg",
                    fault=gdal_fault,
                )
            else:  # the write stops half-way (Python's, pyarrow's and matplotlib's OSError)
                patch.setattr(os, "replace", disk_full_at(target))
            line = error_line(dredge_run(world, model, out))
        assert line.startswith(f"error: {out / target}: could not be written: no space left")
        assert line.endswith("run the same command again; finished scenes are kept")
        assert (out / target).read_bytes() == before, target
        assert_whole(out)
    rerun_completes(world, model, out, whole)


# --------------------------------------------------------------------------------------------
# The output folder becomes unwritable


@pytest.fixture
def unwritable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """``make(folder)``: from now on, nothing can be created in ``folder`` and below.

    chmod 555 where permissions hold; as root (who ignores them) pyarrow's, pandas' and
    Python's writers raise what they raise on a read-only folder. Undone at the end.
    """
    made: list[Path] = []
    chmod = permissions_enforced(tmp_path)

    def make(folder: Path) -> None:
        made.append(folder)
        if chmod:
            for path in (folder, *[p for p in folder.rglob("*") if p.is_dir()]):
                path.chmod(0o555)
            return

        def pyarrow_refuses(path: Path) -> None:
            raise OSError(
                f"Failed to open local file '{path}'. Detail: [errno 13] Permission denied"
            )

        def python_refuses(path: Path) -> None:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))

        def inside(path: Path) -> bool:
            return folder in path.absolute().parents

        for owner, method, fault in (
            (gpd.GeoDataFrame, "to_parquet", pyarrow_refuses),
            (pd.DataFrame, "to_csv", python_refuses),
        ):
            fail_writes(monkeypatch, owner, method, when=inside, fault=fault, write_first=False)
        write_text = Path.write_text

        def refuse_text(self: Path, *args: Any, **kwargs: Any) -> int:
            if inside(self):
                python_refuses(self)
            return write_text(self, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", refuse_text)

    yield make
    monkeypatch.undo()
    for folder in made:
        for path in (folder, *[p for p in folder.rglob("*") if p.is_dir()]):
            path.chmod(0o755)


def test_output_folder_made_read_only_mid_run(
    world: Path,
    model: Path,
    whole: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    unwritable: Callable[[Path], None],
) -> None:
    out = tmp_path / "run"
    after_scenes(monkeypatch, 2, lambda: unwritable(out))
    line = error_line(dredge_run(world, model, out))
    assert line.startswith(f"error: {out / SCENES_DIR}/")
    assert f"{out / SCENES_DIR} is not writable (permission denied or read-only)" in line
    assert line.endswith(
        f"make {out / SCENES_DIR} writable and run the same command again; finished scenes are kept"
    )
    monkeypatch.undo()
    for path in (out, *[p for p in out.rglob("*") if p.is_dir()]):
        path.chmod(0o755)
    assert assert_whole(out) == 2
    rerun_completes(world, model, out, whole)


def test_an_out_inside_a_file_is_one_line(tmp_path: Path, world: Path, model: Path) -> None:
    """--out below a file (the folder cannot be made): one line naming the file, before work."""
    (tmp_path / "a-file").write_text("not a folder\n")
    line = error_line(dredge_run(world, model, tmp_path / "a-file" / "run"))
    assert line.startswith(f"error: {tmp_path / 'a-file'}: is a file") and "--out" in line
    assert (tmp_path / "a-file").read_text() == "not a folder\n"
