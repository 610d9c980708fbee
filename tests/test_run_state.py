"""The run folder's lock (one run at a time, a killed run's lock taken over) and its manifest:
one row per scene, rows cut short by a kill, saved detections read back, the run key, edits
out of shape, and what --overwrite removes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pytest

from detector.errors import DredgeError
from detector.run_key import KEY_NAME
from detector.run_lock import LOCK_NAME, LOCK_WRITE_S, run_lock
from detector.run_manifest import MANIFEST_NAME
from detector.run_state import RunState


def test_a_lock_being_written_holds_and_an_old_unreadable_one_is_taken(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_NAME
    lock.write_text("")  # another run created it a moment ago and is writing it
    with pytest.raises(DredgeError, match="another dredge run is working in this folder"):
        with run_lock(tmp_path):
            pass
    old = lock.stat().st_mtime - 2 * LOCK_WRITE_S
    os.utime(lock, (old, old))  # left half written by a run killed long ago
    with run_lock(tmp_path, "dredge run x"):
        holder = json.loads(lock.read_text())
        assert holder["pid"] == os.getpid() and holder["command"] == "dredge run x"
    assert not lock.exists()


def test_a_live_run_holds_and_a_dead_ones_lock_is_taken(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_NAME
    host = socket.gethostname()
    lock.write_text(json.dumps({"pid": os.getpid(), "host": host, "started": "t"}))
    with pytest.raises(DredgeError, match=f"process {os.getpid()} on {host}, since t"):
        with run_lock(tmp_path):
            pass
    other = {"pid": os.getpid(), "host": "another-machine", "started": "t"}
    lock.write_text(json.dumps(other))  # a shared drive: cannot tell, so it holds
    with pytest.raises(DredgeError, match="on another-machine"):
        with run_lock(tmp_path):
            pass
    gone = subprocess.Popen(["true"])
    gone.wait()
    lock.write_text(json.dumps({"pid": gone.pid, "host": host, "started": "t"}))
    with run_lock(tmp_path):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()


def test_a_lock_whose_process_number_was_given_again_is_taken(tmp_path: Path) -> None:
    """A run killed in a container (process 1 each start) left a lock naming process 1; the
    run started again was process 1 too, took the lock for a working run and was refused
    ("another dredge run is working in this folder (process 1 …)") each time. A process that
    began after the lock was taken is not the run that took it."""
    lock = tmp_path / LOCK_NAME
    host = socket.gethostname()
    began = psutil.Process().create_time()

    def taken_at(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")

    lock.write_text(json.dumps({"pid": os.getpid(), "host": host, "started": taken_at(began - 60)}))
    with run_lock(tmp_path):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()
    lock.write_text(json.dumps({"pid": os.getpid(), "host": host, "started": taken_at(began)}))
    with pytest.raises(DredgeError, match="another dredge run is working in this folder"):
        with run_lock(tmp_path):  # taken by this process after it began: a working run
            pass


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_working_runs_lock_holds_after_the_clock_is_stepped(tmp_path: Path) -> None:
    """The lock's wall-clock time was compared with the process's start time, which moves
    with the clock: stepped forward after the lock was taken (NTP on a fresh machine), a
    working run's lock was taken over by a second run. The process's boot and start tick,
    kept in the lock, decide where they can be read."""
    from detector.run_lock import process_identity

    lock = tmp_path / LOCK_NAME
    host = socket.gethostname()
    long_ago = datetime.fromtimestamp(psutil.Process().create_time() - 3600, UTC)
    mine = process_identity(os.getpid())
    assert mine is not None
    holder = {"pid": os.getpid(), "host": host, "started": long_ago.isoformat(), "process": mine}
    lock.write_text(json.dumps(holder))
    with pytest.raises(DredgeError, match="another dredge run is working in this folder"):
        with run_lock(tmp_path):  # the clock stepped an hour: still this working run
            pass
    lock.write_text(json.dumps({**holder, "process": mine + "0"}))  # the number given again
    with run_lock(tmp_path):
        assert json.loads(lock.read_text())["process"] == mine


def test_scene_names_too_long_for_a_file_name_are_saved_under_a_short_one(tmp_path: Path) -> None:
    """A scene file name of 232 characters (legal) stopped the run: its saved detections'
    temporary name passed 255 bytes ('File name too long', with a fix that could not work);
    at 245 characters looking for its metadata beside it raised a raw OSError."""
    from detector.acquisition import sidecar_candidates
    from detector.run_state import saved_name

    long = "20240101_145902_28_241d_3B_AnalyticMS_SR_" + "x" * 204 + ".tif"
    other = long.replace("x.tif", "y.tif")
    assert saved_name("a.tif") == "a.tif.parquet"
    assert len(saved_name(long).encode()) <= 200 and saved_name(long) == saved_name(long)
    assert saved_name(long) != saved_name(other)
    (tmp_path / saved_name(long)).with_name("." + saved_name(long) + ".tmp-12345.parquet").touch()
    candidates = sidecar_candidates(tmp_path / long)
    assert candidates and all(len(c.name.encode()) <= 255 for c in candidates)
    assert not any(c.is_file() for c in candidates)  # it raised OSError: File name too long


def _record_scenes(out: Path, paths: list[str], *, fail: bool = False) -> RunState:
    state = RunState.open(out, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    for path in paths:
        state.record(path, None, f'{path}: bad, "quoted"' if fail else None)
    return state


def test_the_manifest_grows_by_one_row_per_scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest was written whole after each scene: at 24,000 scenes the last ones took
    0.2 s each to record (about 40 minutes in all, against 0.5 s now). Each scene's row is
    appended, and the file reads the same as the one written whole (pandas' CSV)."""
    import detector.run_state as run_state

    whole: list[Path] = []
    write_atomic = run_state.write_atomic

    def counting(path: Path, write: Any) -> Path:
        whole.append(Path(path))
        return write_atomic(path, write)

    monkeypatch.setattr(run_state, "write_atomic", counting)
    paths = [
        f'/scenes/{n}, "odd"\n name é.tif' if n == 3 else f"/scenes/{n}.tif" for n in range(60)
    ]
    state = _record_scenes(tmp_path, paths)
    assert [p.name for p in whole] == [MANIFEST_NAME]  # the first scene's, with the header
    appended = (tmp_path / MANIFEST_NAME).read_bytes()
    state._write_manifest()
    assert (tmp_path / MANIFEST_NAME).read_bytes() == appended
    assert list(RunState.open(tmp_path, {"k": 1}, overwrite=False).rows) == paths


def test_a_row_cut_short_by_a_kill_is_left_out_on_resume(tmp_path: Path) -> None:
    """A run killed while it appended a row left it cut short (here inside a quoted error);
    the next run reads the rows before it, redoes that scene and writes one row per scene."""
    paths = [f"/scenes/{n}.tif" for n in range(4)]
    _record_scenes(tmp_path, paths[:2])
    _record_scenes(tmp_path, paths[2:3], fail=True)
    manifest = tmp_path / MANIFEST_NAME
    text = manifest.read_bytes()
    row = text.splitlines(keepends=True)[-1].replace(b"2.tif", b"3.tif")  # the next scene's
    manifest.write_bytes(text + row[: row.index(b"bad") + 3])  # cut in its quoted error
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert list(state.rows) == paths[:3] and state.rows[paths[2]]["status"] == "failed"
    assert state.rows[paths[2]]["error"] == f'{paths[2]}: bad, "quoted"'
    state.name_scenes(paths)
    state.start()
    for path in paths[2:]:  # the failed scene again, and the one cut short
        state.record(path, None, None)
    rows = pd.read_csv(manifest)
    assert rows["scene"].tolist() == [*paths[:3], *paths[2:]]  # the retried row appended
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert all(row["status"] == "done" for row in resumed.rows.values())
    state.tidy()
    rows = pd.read_csv(manifest)
    assert rows["scene"].tolist() == paths and set(rows["status"]) == {"done"}


def test_saved_detections_are_read_back_without_parsing_their_crs_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The end of each run (and each rerun) read every scene's saved detections with
    geopandas, 26 ms a file, mostly parsing the same CRS again: 10 minutes at 24,000 scenes.
    The files as a run saves them are decoded directly (about 1 ms), the same table; one in
    another CRS is still read by geopandas, and reprojected."""
    import geopandas as gpd
    from shapely import box

    from detector.detect import concat_detections, empty_detections

    frame = concat_detections(
        [
            gpd.GeoDataFrame(
                {
                    "detection_id": ["a_0001", "a_0002"],
                    "scene": "a.tif",
                    "acquired": pd.Timestamp("2024-01-01", tz="UTC"),
                    "sensor": "PlanetScope",
                    "class_name": ["dredge", "boat"],
                    "score": [0.9, 0.5],
                    "river": ["Nanay", None],
                    "chainage_m": [1.0, 2.0],
                    "offset_m": [0.0, 3.0],
                },
                geometry=[box(-73.4, -3.8, -73.39, -3.79), box(-73.5, -3.7, -73.49, -3.69)],
                crs="EPSG:4326",
            )
        ]
    )
    state = RunState(tmp_path, {})
    paths = ["/s/a.tif", "/s/b.tif", "/s/c.tif"]
    state.record(paths[0], frame, None)
    state.record(paths[1], empty_detections(), None)
    state.record(paths[2], frame.to_crs("EPSG:32718"), None)
    read = gpd.read_parquet
    by_geopandas: list[Any] = []

    def counting(path: Any, *args: Any, **kwargs: Any) -> Any:
        by_geopandas.append(path)
        return read(path, *args, **kwargs)

    monkeypatch.setattr(gpd, "read_parquet", counting)
    table = concat_detections(state.detections(paths[:2]))
    assert not by_geopandas
    pd.testing.assert_frame_equal(table, frame)
    table = concat_detections(state.detections(paths))
    assert by_geopandas == [state.scene_file(paths[2])]
    expected = concat_detections([frame, frame])
    pd.testing.assert_frame_equal(table.drop(columns="geometry"), expected.drop(columns="geometry"))
    assert table.crs == expected.crs
    assert table.geometry.geom_equals_exact(expected.geometry, tolerance=1e-9).all()


@pytest.mark.parametrize("where", ["after its newline", "before its newline"])
def test_a_row_cut_short_inside_a_quoted_error_of_two_lines_is_left_out(
    tmp_path: Path, where: str
) -> None:
    """A failed scene's error of two lines (or a path with a newline) is quoted across a
    newline; a kill that cut its row just after that newline left a file ending in a newline,
    and the next run stopped on the open quote (pandas: EOF inside string) every time."""
    paths = [f"/scenes/{n}.tif" for n in range(3)]
    _record_scenes(tmp_path, paths[:2])
    manifest = tmp_path / MANIFEST_NAME
    text = manifest.read_bytes()
    row = text.splitlines(keepends=True)[-1].replace(b"1.tif", b"2.tif")
    row = row.replace(b",done,", b",failed,").rstrip(b"\r\n") + b'"GDAL said:\nblock 3"\n'
    cut = row.index(b"said:\n") + len(b"said:\n") - (1 if where == "before its newline" else 0)
    manifest.write_bytes(text + row[:cut])
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert list(state.rows) == paths[:2]
    state.name_scenes(paths)
    state.start()
    state.record(paths[2], None, "GDAL said:\nblock 3")
    rows = RunState.open(tmp_path, {"k": 1}, overwrite=False).rows
    assert list(rows) == paths and rows[paths[2]]["error"] == "GDAL said:\nblock 3"


@pytest.mark.parametrize("kind", ["no crs", "wkt crs (GeoParquet 0.1.0)"])
def test_saved_detections_with_no_or_a_wkt_crs_are_read(tmp_path: Path, kind: str) -> None:
    """A saved file whose GeoParquet CRS is null (a frame with no CRS) or a WKT string
    (GeoParquet 0.1.0) stopped the run with AttributeError ('NoneType'/'str' object has no
    attribute 'get'); geopandas read both before, taken as EPSG:4326."""
    import geopandas as gpd
    from shapely import box

    from detector.detect import concat_detections
    from detector.run_state import read_saved

    frame = gpd.GeoDataFrame(
        {
            "detection_id": ["a_0001"],
            "scene": "a.tif",
            "acquired": pd.Timestamp("2024-01-01", tz="UTC"),
            "sensor": "PlanetScope",
            "class_name": ["dredge"],
            "score": [0.9],
            "river": ["Nanay"],
            "chainage_m": [1.0],
            "offset_m": [0.0],
        },
        geometry=[box(-73.4, -3.8, -73.39, -3.79)],
        crs=None if kind == "no crs" else "EPSG:4326",
    )
    path = tmp_path / "a.parquet"
    frame.to_parquet(path, schema_version="0.1.0" if kind.startswith("wkt") else None)
    table = concat_detections([read_saved(path)])
    assert table.crs.to_epsg() == 4326 and len(table) == 1
    assert table.geometry.iloc[0].equals(frame.geometry.iloc[0])


def test_each_scene_records_the_backend_that_detected_it(tmp_path: Path) -> None:
    """--backend (torch, onnxruntime) is not in the run key, like --device and --batch: a run
    begun on a GPU node (auto: torch) goes on on a CPU node (auto: onnxruntime). Which one
    detected each scene was recorded nowhere (run.json names the last call's), so a run of
    both said nothing of it; the manifest keeps it per scene, and the run notes both."""
    import geopandas as gpd

    paths = [f"/scenes/{n}.tif" for n in range(3)]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    state.backend = "torch"
    state.record(paths[0], gpd.GeoDataFrame(geometry=[], crs=4326), None)
    state.record(paths[1], None, "unreadable")
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    resumed.name_scenes(paths)
    resumed.backend = "onnxruntime"
    assert resumed.backends(paths) == ["torch"]  # the failed scene's is none
    for path in paths[1:]:
        resumed.record(path, gpd.GeoDataFrame(geometry=[], crs=4326), None)
    assert resumed.backends(paths) == ["onnxruntime", "torch"]
    again = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert [again.rows[path]["backend"] for path in paths] == ["torch", *["onnxruntime"] * 2]


@pytest.mark.parametrize("text", ['{"model_sha', "[1, 2]", "\x00\x01"])
def test_an_unreadable_run_key_is_one_line(tmp_path: Path, text: str) -> None:
    """A run key cut short or edited out of shape: since ``dredge run`` reports only a
    DredgeError as one line, its JSONDecodeError (a ValueError) stopped the run with a
    traceback and 'this is a bug in dredge' (exit 3); a list went on to an AttributeError."""
    (tmp_path / KEY_NAME).write_text(text)
    with pytest.raises(DredgeError, match=r"run_key\.json: cannot be read .*--overwrite"):
        RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert RunState.open(tmp_path, {"k": 1}, overwrite=True).rows == {}


def test_a_manifest_flag_edited_out_of_shape_is_passed_over(tmp_path: Path) -> None:
    """A manifest's ``flags`` cell edited by hand (cut short): a run resumed or recounted read
    it with json.loads, whose ValueError, once ``dredge run`` reported only its own errors as
    one line, stopped it with a traceback and exit 3 after every scene was done. The flags are
    warnings only: the other scenes' are kept, that one's passed over."""
    import geopandas as gpd

    paths = [f"/scenes/{n}.tif" for n in range(2)]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    for path in paths:
        state.record(path, gpd.GeoDataFrame(geometry=[], crs=4326), None, coarse_gsd_m=9.0)
    manifest = tmp_path / MANIFEST_NAME
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    table.loc[0, "flags"] = '{"coarse_gsd_m": '
    table.to_csv(manifest, index=False)
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    resumed.name_scenes(paths)
    coarse, off = resumed.flags(paths)
    assert [gsd for _, gsd in coarse] == [9.0] and off == []


def test_overwrite_removes_the_runs_saved_detections_and_never_the_analysts_files(
    tmp_path: Path,
) -> None:
    """``dredge run project/scenes --out project --overwrite``: the run keeps its saved
    detections in ``OUT/scenes/``, the folder that held the analyst's imagery. ``--overwrite``
    deleted the whole folder (scenes, sidecars and all), then failed every scene as 'file not
    found'. Only the run's own files go."""
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    imagery = [scenes / "a_AnalyticMS_SR.tif", scenes / "a_udm2.tif", scenes / "a_metadata.json"]
    for file in imagery:
        file.write_bytes(b"II*\x00")
    paths = [str(imagery[0])]
    state = _record_scenes(tmp_path, paths)
    saved = state.scene_file(paths[0])
    saved.write_bytes(b"PAR1")  # as record saves a scene's detections
    (scenes / f".{saved.name}.tmp-99.parquet").write_bytes(b"")  # a killed write's
    fresh = RunState.open(tmp_path, {"k": 2}, overwrite=True)
    assert fresh.rows == {} and not (tmp_path / MANIFEST_NAME).exists()
    assert sorted(p.name for p in scenes.iterdir()) == sorted(p.name for p in imagery)
    own = tmp_path / "own"
    _record_scenes(own, ["/s/a.tif"]).scene_file("/s/a.tif").parent.mkdir(exist_ok=True)
    (own / "scenes" / "a.tif.parquet").write_bytes(b"PAR1")
    RunState.open(own, {"k": 2}, overwrite=True)
    assert not (own / "scenes").exists()  # the run's own folder: gone with its files


@pytest.mark.parametrize("edit", ["semicolons", "latin-1", "no status", "binary"])
def test_a_manifest_edited_out_of_shape_is_one_line(tmp_path: Path, edit: str) -> None:
    """``OUT/manifest.csv`` opened and saved in a spreadsheet (``;``-separated, Latin-1), a
    column deleted, or overwritten: the resumed run stopped with a traceback, 'this is a bug in
    dredge' and exit 3 (a KeyError 'scene' or 'status', a UnicodeDecodeError). One line names
    the file and the fix; deleting it detects every scene again; an earlier version's manifest,
    without the later columns, is still read."""
    from detector.errors import InputError
    from detector.run_manifest import manifest_names

    paths = ["/scenes/río_0.tif", "/scenes/río_1.tif"]
    _record_scenes(tmp_path, paths)
    manifest = tmp_path / MANIFEST_NAME
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    if edit == "semicolons":
        manifest.write_bytes(table.to_csv(index=False, sep=";").encode("utf-8"))
    elif edit == "latin-1":
        manifest.write_bytes(table.to_csv(index=False).encode("latin-1"))
    elif edit == "no status":
        table.drop(columns="status").to_csv(manifest, index=False)
    else:
        manifest.write_bytes(b"\xff\xfe\x00\x01garbage\n\x02\n")
    with pytest.raises(InputError, match=r"manifest\.csv: cannot be read as this run's manifest"):
        RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert manifest_names(tmp_path) == {}  # the report's names: passed over
    manifest.unlink()
    assert RunState.open(tmp_path, {"k": 1}, overwrite=False).rows == {}
    older = table.drop(columns=["flags", "date", "file", "backend"])
    older.to_csv(manifest, index=False)
    rows = RunState.open(tmp_path, {"k": 1}, overwrite=False).rows
    assert list(rows) == paths and rows[paths[0]]["status"] == "done"
    assert rows[paths[0]]["backend"] == ""
