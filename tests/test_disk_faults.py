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
from typer.testing import CliRunner, Result

from detector.cli import app
from detector.errors import OutputError
from detector.run import RUN_FILES
from detector.run_manifest import MANIFEST_NAME
from detector.run_state import SCENES_DIR, RunState
from detector.writing import (
    output_error,
    remove_stale_temporaries,
    remove_temporaries,
    write_atomic,
    write_together,
)
from tests.model_fixtures import write_untrained_model
from training.synth.world import WorldConfig, write_world


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


NO_SPACE = "No space left on device"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("disk") / "world"
    write_world(WorldConfig(seed=16, rivers=("Nanay",), years=(2024, 2024)), out)
    return out


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_untrained_model(tmp_path_factory.mktemp("model"))


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


@pytest.fixture(scope="module")
def whole(world: Path, model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run that nothing interrupted."""
    out = tmp_path_factory.mktemp("whole") / "run"
    result = dredge_run(world, model, out)
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / MANIFEST_NAME)) >= 3
    return out


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


# --------------------------------------------------------------------------------------------
# The pieces: what a failed write is called, and writes that leave whole files


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.ENOSPC, NO_SPACE), "no space left"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "no space left"),
        (OSError("Error writing bytes to file. Detail: [errno 28] No space left"), "no space"),
        (PermissionError(errno.EACCES, "Permission denied"), "is not writable"),
        (OSError(errno.EROFS, "Read-only file system"), "is not writable"),
        (OSError("Failed to open local file 'x'. Detail: [errno 13] Permission denied"), "is not"),
        (pyogrio.errors.FeatureError("sqlite3_exec(...) failed: database or disk is full"), "no "),
        (pyogrio.errors.DataSourceError("Failed to create: x: Read-only file system"), "is not"),
        (OSError(errno.EIO, "Input/output error"), "could not be written ([Errno 5] Input/"),
    ],
)
def test_a_failed_write_is_named_by_its_cause(
    error: BaseException, words: str, tmp_path: Path
) -> None:
    found = output_error(error, tmp_path / "counts.csv")
    assert isinstance(found, OutputError)
    assert str(found).startswith(f"{tmp_path / 'counts.csv'}: could not be written")
    assert words in str(found) and "run the same command again" in found.fix


def test_errors_that_are_not_the_disk_pass_through(tmp_path: Path) -> None:
    assert output_error(ValueError("bad value"), tmp_path / "a.csv") is None
    field = pyogrio.errors.FieldError("unsupported field type")
    assert output_error(field, tmp_path / "a.gpkg") is None  # a writable folder with space

    def write(tmp: Path) -> None:
        tmp.write_bytes(b"SQLite format 3\0" * 100)
        half_then(field)(tmp)

    with pytest.raises(pyogrio.errors.FieldError):
        write_atomic(tmp_path / "a.gpkg", write)
    assert not list(tmp_path.iterdir())


def test_a_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("a\n1\n")

    def write(tmp: Path) -> None:
        tmp.write_text("a\n" + "2\n" * 1000)
        half_then(OSError(errno.ENOSPC, NO_SPACE))(tmp)

    with pytest.raises(OutputError, match="no space left"):
        write_atomic(target, write)
    assert target.read_text() == "a\n1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    write_atomic(target, lambda tmp: tmp.write_text("a\n3\n"))
    assert target.read_text() == "a\n3\n"


def test_temporaries_of_a_killed_run_are_swept(tmp_path: Path) -> None:
    kept = [tmp_path / "scene.parquet", tmp_path / ".hidden", tmp_path / "x.tmp-1"]
    left = [tmp_path / ".scene.parquet.tmp-4242.parquet", tmp_path / ".d.gpkg.tmp-7.gpkg-journal"]
    for path in kept + left:
        path.write_text("x")
    assert sorted(remove_temporaries(tmp_path)) == sorted(left)
    assert sorted(tmp_path.iterdir()) == sorted(kept)


TOGETHER = ["tracks.parquet", "tracks.detections.parquet", "tracks.observations.csv"]


def write_set_stopped(folder: Path, step: int, stop: Callable[[], None]) -> None:
    """Write TOGETHER into ``folder`` (holding the previous set), ``stop()`` at rename ``step``."""
    calls = {"n": 0}
    real = os.replace

    def replace(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == step + 1:
            stop()
        real(src, dst)

    writes = [(folder / name, lambda tmp: tmp.write_text("new")) for name in TOGETHER]
    os.replace = replace  # type: ignore[assignment]
    try:
        write_together(writes)
    finally:
        os.replace = real


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir()}


@pytest.mark.parametrize("sweep", ["command", "run"])
@pytest.mark.parametrize("step", range(6))
def test_files_written_together_are_never_of_two_writes(
    step: int, sweep: str, tmp_path: Path
) -> None:
    """Stopped at any of its renames by an error or Ctrl-C, a set written together is the
    previous set; killed there (SIGKILL: no clean-up), the previous set, the new one, or one
    without its first file (which `dredge counts` refuses), never the files of two writes; the
    next command (or `dredge run`) puts the previous set back whole before sweeping (it
    deleted the previous first file, set aside, as a temporary)."""
    import multiprocessing

    for name in TOGETHER:
        (tmp_path / name).write_text("old")

    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_set_stopped(tmp_path, step, interrupt)
    assert contents(tmp_path) == dict.fromkeys(TOGETHER, "old")  # no temporary either
    for name in TOGETHER:
        (tmp_path / name).write_text("old")
    killed = multiprocessing.get_context("fork").Process(
        target=write_set_stopped, args=(tmp_path, step, lambda: os._exit(9))
    )
    killed.start()
    killed.join(60)
    assert killed.exitcode == 9
    left = {name: text for name, text in contents(tmp_path).items() if name in TOGETHER}
    assert TOGETHER[0] not in left or len(set(left.values())) == 1, left
    if sweep == "command":
        remove_stale_temporaries(*(tmp_path / name for name in TOGETHER))
    else:
        remove_temporaries(tmp_path)
    after = contents(tmp_path)
    assert after in (dict.fromkeys(TOGETHER, "old"), dict.fromkeys(TOGETHER, "new")), after


def test_a_temporary_named_by_a_process_started_since_is_stale(tmp_path: Path) -> None:
    """In a container the command killed and started again has the same number (process 1):
    a temporary last written before the process of its number began is not that process's."""
    target = tmp_path / "d.gpkg"
    alive = os.getppid()
    old = tmp_path / f".d.gpkg.tmp-{alive}.gpkg-journal"
    new = tmp_path / f".d.gpkg.tmp-{alive}.gpkg"
    mine = tmp_path / f".d.gpkg.tmp-{os.getpid()}.gpkg"
    for path in (old, new, mine):
        path.write_text("x")
    os.utime(old, (946684800, 946684800))  # written in 2000
    assert sorted(remove_stale_temporaries(target)) == sorted([old, mine])
    assert new.exists()


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


def test_refused_writes_names_the_folder_only_for_the_disk(tmp_path: Path) -> None:
    """A write the disk refused is one line naming OUT; a read's error passes through."""
    from detector.writing import refused_writes

    out = tmp_path / "out"
    with pytest.raises(OutputError, match=f"{out}: could not be written: no space left"):
        with refused_writes(out):
            raise OSError(errno.ENOSPC, NO_SPACE)
    with pytest.raises(OutputError, match="is not writable"):
        with refused_writes(out, tmp_path / ".out.partial"):
            raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".out.partial"))
    for error in (
        OSError("not recognized as a supported file format"),  # a scene read, no file named
        PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "scene.tif")),
    ):
        with pytest.raises(type(error)):
            with refused_writes(out):
                raise error


def test_a_previous_folder_left_aside_by_a_killed_replace_is_put_back(tmp_path: Path) -> None:
    """Killed between move_into_place's two renames, a review (or training) left the previous
    folder as .OUT.old and no OUT: the next command needed no --overwrite, and deleted
    .OUT.old, the only copy of the previous folder. It is put back first, and then refused
    without --overwrite like any folder in the way."""
    from detector.errors import DredgeError
    from detector.writing import move_into_place
    from training.finetune import check_run_dir

    out = tmp_path / "review"
    old = tmp_path / ".review.old"
    old.mkdir()
    (old / "labels.csv").write_text("prev")
    with pytest.raises(DredgeError, match="folder is not empty"):
        check_run_dir(out, overwrite=False)
    assert (out / "labels.csv").read_text() == "prev" and not old.exists()
    out.rename(old)  # the same again, replaced on purpose (--overwrite): the new one whole
    partial = tmp_path / ".review.partial"
    partial.mkdir()
    (partial / "labels.csv").write_text("new")
    move_into_place(partial, out)
    assert (out / "labels.csv").read_text() == "new" and not old.exists()
