"""The run folder's lock (one run at a time, a killed run's lock taken over) and its manifest."""

from __future__ import annotations

import json
import os
import shutil
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


def test_a_signed_link_signed_again_is_the_same_scene_and_a_query_choosing_a_file_is_not(
    tmp_path: Path,
) -> None:
    """A finished scene given again with a fresh signed link (`…_SR.tif?token=b`: Planet's
    links expire) was another scene, and the run refused to resume. It is the same scene, and
    the manifest records the fresh link; a query that may choose the file (`…/download?id=2`)
    still names another."""
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.3, -3.8)], crs="EPSG:4326")
    before = ["https://h/x/a_3B_AnalyticMS_SR.tif?token=a", "https://h/download?id=1"]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(before)
    state.start()
    for path in before:
        state.record(path, frame, None)
    now = ["https://h/x/a_3B_AnalyticMS_SR.tif?token=b", "https://h/download?id=2"]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.adopt(now)
    assert state.is_done(now[0]) and not state.is_done(now[1])
    assert state.done_besides(now) == [before[1]]
    assert set(RunState.open(tmp_path, {"k": 1}, overwrite=False).rows) == {now[0], before[1]}


def test_other_rivers_advice_names_detections_that_are_there(tmp_path: Path) -> None:
    """A run stopped after detection (Ctrl-C or an error in tracking) places no outputs, so
    OUT/detections.parquet is not there: the advice for corrected rivers named it anyway
    ('dredge track OUT/detections.parquet …'); it names the finished scenes' files."""
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.3, -3.8)], crs="EPSG:4326")
    state = RunState.open(tmp_path, {"rivers_sha256": "a"}, overwrite=False)
    state.name_scenes(["a.tif"])
    state.start()
    state.record("a.tif", frame, None)
    with pytest.raises(DredgeError) as refused:
        RunState.open(tmp_path, {"rivers_sha256": "b"}, overwrite=False)
    advice = str(refused.value).split("dredge track ", 1)[1].split(" --rivers")[0]
    assert list(tmp_path.glob(str(Path(advice).relative_to(tmp_path)))), advice


def test_a_download_link_of_a_stac_item_given_a_fresh_token_is_the_same_scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planet's Data API links (`…/download?token=a`) name no file; from STAC the scene is
    named by its item's id. Resumed with fresh tokens (they expire), the run refused: "holds 1
    finished scene(s) that are not among the scenes given". The item's scene is the same."""
    import geopandas as gpd
    from shapely.geometry import Point

    import detector.acquisition as acquisition

    monkeypatch.setattr(acquisition, "ITEM_NAMES", {})
    monkeypatch.setattr("detector.run_state.ITEM_NAMES", acquisition.ITEM_NAMES)
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.3, -3.8)], crs="EPSG:4326")
    item = "20240620_145051_22_2480"
    before, other = "https://api/dl1/download?token=a", "https://api/dl2/download?token=a"
    acquisition.name_by_item(before, item)
    acquisition.name_by_item(other, "20240621_145051_22_2480")
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert state.name_scenes([before, other]) == {before: item, other: "20240621_145051_22_2480"}
    state.start()
    state.record(before, frame, None)
    state.record(other, frame, None)
    now = "https://api/dl1/download?token=b"
    acquisition.name_by_item(now, item)
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.adopt([now])
    assert state.is_done(now) and state.scene_name(now) == item
    assert state.done_besides([now]) == [other]  # another item's scene is not taken for it


def test_a_recorded_download_link_given_again_beside_a_fresh_one_keeps_its_scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old and the fresh STAC search both given: the recorded link's finished row was moved
    to the fresh link of its item, and the recorded link, given as it was, read again."""
    import geopandas as gpd
    from shapely.geometry import Point

    import detector.acquisition as acquisition

    monkeypatch.setattr(acquisition, "ITEM_NAMES", {})
    monkeypatch.setattr("detector.run_state.ITEM_NAMES", acquisition.ITEM_NAMES)
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.3, -3.8)], crs="EPSG:4326")
    item = "20240620_145051_22_2480"
    old, new = "https://api/dl1/download?token=a", "https://api/dl1/download?token=b"
    acquisition.name_by_item(old, item)
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes([old])
    state.start()
    state.record(old, frame, None)
    acquisition.name_by_item(new, item)
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.adopt([old, new])
    assert state.is_done(old) and not state.is_done(new)


def test_scene_names_that_look_like_numbers_are_read_back_as_written(tmp_path: Path) -> None:
    """Scenes named ``0012`` and ``0345`` (links, or files without a suffix) were read back from
    the manifest as the numbers 12 and 345: a resumed run looked for ``scenes/12.parquet``,
    detected both scenes again and renamed them ``12`` and ``345`` in its tables; the report of
    any such run looked for the chips of scenes ``12`` and ``345`` and drew none."""
    import geopandas as gpd
    from shapely.geometry import Point

    from detector.run_manifest import manifest_names

    paths = ["https://example.org/scenes/0012", "https://example.org/scenes/0345"]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    for path in paths:
        frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
        state.record(path, frame, None)
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    assert resumed.name_scenes(paths) == dict(zip(paths, ["0012", "0345"], strict=True))
    assert all(resumed.is_done(path) for path in paths)
    assert manifest_names(tmp_path) == dict(zip(paths, ["0012", "0345"], strict=True))


def test_a_resumed_run_names_scenes_sharing_a_file_name_as_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    """Three NICFI-like scenes sharing a file name (`2024-0{1,2,3}/x.tif`), the run stopped
    after two: resumed, the third was named `x.tif` (its detections `x_0001`, …), where the
    run uninterrupted names it `2024-03_x.tif`, so the tables of the two runs differed."""
    import geopandas as gpd
    from shapely.geometry import Point

    paths = [f"/planet/2024-0{month}/x.tif" for month in (1, 2, 3)]
    whole = RunState.open(tmp_path / "whole", {"k": 1}, overwrite=False).name_scenes(paths)
    assert whole[paths[2]] == "2024-03_x.tif"
    out = tmp_path / "resumed"
    out.mkdir()
    state = RunState.open(out, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
    for path in paths[:2]:  # stopped here
        state.record(path, frame, None)
    assert RunState.open(out, {"k": 1}, overwrite=False).name_scenes(paths) == whole
    added = RunState.open(out, {"k": 1}, overwrite=False)  # a later month given besides
    names = added.name_scenes([*paths, "/planet/2024-04/x.tif", "/planet/x/2024-01_x.tif"])
    assert len({name.lower() for name in names.values()}) == 5


def test_only_scenes_whose_detections_carry_another_date_than_given_are_redone(
    tmp_path: Path,
) -> None:
    """A finished scene is detected again when the date given to it now (a STAC item's
    datetime, a --dates row) is not the one its detections carry; a day alone that is the
    scene's own day (it keeps its own time of day), a date given the same, a scene without
    detections and a row of a manifest written before dates were kept stay done."""
    import geopandas as gpd
    from shapely.geometry import Point

    from detector.acquisition import GivenDay

    at = datetime(2024, 3, 17, 14, 51, 41, 260000, tzinfo=UTC)
    paths = [f"/scenes/{n}.tif" for n in range(4)]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    for path in paths[:3]:
        frame = gpd.GeoDataFrame(
            {"acquired": [pd.Timestamp(at)]}, geometry=[Point(-73.0, -3.0)], crs=4326
        )
        state.record(path, frame, None)
    state.record(paths[3], gpd.GeoDataFrame(geometry=[], crs=4326), None)
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    dates = {
        paths[0]: GivenDay.of(at.date()),
        paths[1]: at.replace(microsecond=0),
        paths[2]: GivenDay.of(datetime(2024, 3, 27).date()),
        paths[3]: datetime(2024, 3, 27, tzinfo=UTC),
    }
    assert resumed.forget_redated(dates) == [paths[2]]
    assert [resumed.is_done(path) for path in paths] == [True, True, False, True]
    manifest = tmp_path / MANIFEST_NAME  # written before the column: as it was
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    table.drop(columns="date").to_csv(manifest, index=False)
    assert RunState.open(tmp_path, {"k": 1}, overwrite=False).forget_redated(dates) == []
    # the --dates digest is not compared (rows added for new scenes refused the run), but
    # such a manifest's rows with detections are detected again under another table
    (tmp_path / KEY_NAME).write_text(json.dumps({"k": 1, "dates_sha256": "old"}))
    same = RunState.open(tmp_path, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    assert same.forget_redated(dates) == []
    other = RunState.open(tmp_path, {"k": 1, "dates_sha256": "new"}, overwrite=False)
    assert other.forget_redated(dates) == paths[:3]  # the fourth has no detections


def test_a_scene_given_another_date_loses_its_saved_detections_before_it_is_detected_again(
    tmp_path: Path,
) -> None:
    """A finished scene given another date on resume was forgotten in the manifest but its
    saved detections (OUT/scenes/<name>.parquet, old date) stayed: when detecting it again
    then failed, `dredge track OUT/scenes/*.parquet` read them as a finished scene's. They
    are removed when the scene is forgotten, as a replaced scene file's are; the other
    scenes' stay."""
    import geopandas as gpd
    from shapely.geometry import Point

    at = datetime(2024, 3, 17, 14, 51, 41, tzinfo=UTC)
    paths = [f"/scenes/{n}.tif" for n in range(2)]
    state = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    frame = gpd.GeoDataFrame({"acquired": [pd.Timestamp(at)]}, geometry=[Point(-73, -3)], crs=4326)
    for path in paths:
        state.record(path, frame, None)
    saved = [state.scene_file(path) for path in paths]
    assert all(file.is_file() for file in saved)
    resumed = RunState.open(tmp_path, {"k": 1}, overwrite=False)
    resumed.name_scenes(paths)
    later = datetime(2024, 3, 27, 14, 51, 41, tzinfo=UTC)
    assert resumed.forget_redated({paths[0]: later, paths[1]: at}) == [paths[0]]
    assert [file.is_file() for file in saved] == [False, True]
    resumed.start()
    resumed.record(paths[0], None, "unreadable")  # detecting it again fails
    assert sorted(file.name for file in (tmp_path / "scenes").iterdir()) == [saved[1].name]


def test_a_manifest_date_cell_out_of_shape_is_detected_again(tmp_path: Path) -> None:
    """A manifest's date cell edited by hand out of shape ('garbage', a time without its
    zone) stopped every resumed run given --dates on a fault: 'ValueError: Invalid isoformat
    string' or 'TypeError: can't subtract offset-naive and offset-aware datetimes' (a
    traceback, exit 3, at each try). Such a scene is detected again; a time without a zone
    is read as UTC."""
    import geopandas as gpd
    from shapely.geometry import Point

    at = datetime(2024, 3, 17, 14, 51, 41, tzinfo=UTC)
    paths = [f"/scenes/20240317_145141_{n:02d}_2455_3B_AnalyticMS_SR.tif" for n in range(3)]
    state = RunState.open(tmp_path, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    frame = gpd.GeoDataFrame({"acquired": [pd.Timestamp(at)]}, geometry=[Point(-73, -3)], crs=4326)
    for path in paths:
        state.record(path, frame, None)
    manifest = tmp_path / MANIFEST_NAME
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    table["date"] = ["garbage", "2024-03-17T14:51:41", "2024-03-99"]
    table.to_csv(manifest, index=False)
    resumed = RunState.open(tmp_path, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    assert resumed.forget_redated({path: at for path in paths}) == [paths[0], paths[2]]
    table.to_csv(manifest, index=False)
    dropped = RunState.open(tmp_path, {"k": 1, "dates_sha256": "new"}, overwrite=False)
    assert dropped.forget_redated({}) == [paths[0], paths[2]]  # the rows dropped: own times


def test_a_scene_dated_by_its_tags_resumes_when_other_rows_of_the_table_change(
    tmp_path: Path,
) -> None:
    """A finished scene that no --dates row dates, whose own time is its TIFFTAG_DATETIME
    alone, was detected again whenever the table changed (a row added for another scene):
    its tags were not read, so its detections' date was taken for a dropped row's. It
    resumes now; one whose detections carry a dropped row's date is still detected again."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    from affine import Affine
    from shapely.geometry import Point

    tagged = datetime(2024, 3, 17, 14, 51, 41, tzinfo=UTC)
    paths = [str(tmp_path / f"scene_{n}.tif") for n in range(2)]
    for path in paths:
        profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint8"}
        place = {"crs": "EPSG:32718", "transform": Affine(3, 0, 600000, 0, -3, 9580000)}
        with rasterio.open(path, "w", **profile, **place) as dst:
            dst.write(np.zeros((1, 4, 4), np.uint8))
            dst.update_tags(TIFFTAG_DATETIME="2024:03:17 14:51:41")
    out = tmp_path / "out"
    out.mkdir()
    state = RunState.open(out, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    state.name_scenes(paths)
    state.start()
    for path, when in zip(paths, (tagged, datetime(2024, 5, 1, tzinfo=UTC)), strict=True):
        frame = gpd.GeoDataFrame(
            {"acquired": [pd.Timestamp(when)]}, geometry=[Point(-73, -3)], crs=4326
        )
        state.record(path, frame, None)  # the second dated by a row, dropped below
    other = RunState.open(out, {"k": 1, "dates_sha256": "new"}, overwrite=False)
    assert other.forget_redated({str(tmp_path / "new.tif"): tagged}) == [paths[1]]


def test_a_shapefile_whose_names_or_crs_changed_is_another_rivers_file(tmp_path: Path) -> None:
    """The digest of a Shapefile's rivers was its `.shp` alone: a river renamed in QGIS (its
    `.dbf`) or a `.prj` corrected (the corridors elsewhere) resumed the run with the old
    detections without a word (on the demo run, the Nanay renamed `Rio Nanay`: 198 detections
    on `Nanay` in detections.parquet beside counts of `Rio Nanay`), where a GeoJSON so edited
    is refused with the way to recount. A run an earlier version began still resumes."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from detector.card import file_sha256
    from detector.river_inputs import rivers_digest
    from detector.run_key import run_key

    rivers = tmp_path / "rios" / "rivers.shp"
    rivers.parent.mkdir()
    line = LineString([(-73.3, -3.8), (-73.2, -3.7)])
    gpd.GeoDataFrame({"name": ["Nanay"]}, geometry=[line], crs=4326).to_file(rivers)
    (rivers.parent / "rivers.v2.dbf").write_bytes(b"another layer's")  # not a part of it
    out = tmp_path / "out"
    out.mkdir()
    state = RunState.open(out, run_key(None, {}, rivers), overwrite=False)
    state.name_scenes(["a.tif"])
    state.start()
    state.record("a.tif", None, None)
    digests = {rivers_digest(rivers)}
    renamed = gpd.read_file(rivers).assign(name="Rio Nanay")
    renamed.to_file(rivers)
    digests.add(rivers_digest(rivers))
    with pytest.raises(DredgeError, match="rivers_sha256"):
        RunState.open(out, run_key(None, {}, rivers), overwrite=False)
    rivers.with_suffix(".prj").write_text(gpd.GeoSeries(crs=32718).crs.to_wkt())
    digests.add(rivers_digest(rivers))
    assert len(digests) == 3
    before = {**run_key(None, {}, rivers), "rivers_sha256": file_sha256(rivers)}  # the .shp's
    (out / "run_key.json").write_text(json.dumps(before))
    from detector.run_key import earlier_key_values

    resumed = RunState.open(
        out, run_key(None, {}, rivers), overwrite=False, earlier=earlier_key_values(rivers)
    )
    assert list(resumed.rows) == ["a.tif"]  # resumed, as it was


def test_a_relative_path_given_from_another_folder_is_not_taken_for_the_scene_it_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The manifest keeps scene paths as given: a run started in `2024-01/` with `.` recorded
    its NICFI quad as `L15-0745E-1031N.tif`; run again from `2024-02/` with `. ../2024-01/`
    (the README's way to add a month), February's quad of the same name was taken for the
    finished January one and skipped, and January's detected again as a new scene: January's
    detections twice, February's none, without a word."""
    import geopandas as gpd
    from shapely.geometry import Point

    quad = "L15-0745E-1031N.tif"
    for month in ("2024-01", "2024-02"):
        (tmp_path / month).mkdir()
        (tmp_path / month / quad).write_bytes(b"")
    out = tmp_path / "run"
    out.mkdir()
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
    monkeypatch.chdir(tmp_path / "2024-01")
    state = RunState.open(out, {"k": 1}, overwrite=False)
    state.name_scenes([quad])
    state.start()
    state.record(quad, frame, None)
    monkeypatch.chdir(tmp_path / "2024-02")
    given = [quad, f"../2024-01/{quad}"]
    state = RunState.open(out, {"k": 1}, overwrite=False)
    state.adopt(given)
    assert [state.is_done(path) for path in given] == [False, True]
    assert state.done_besides(given) == []
    assert len(set(state.name_scenes(given).values())) == 2
    monkeypatch.chdir(tmp_path)  # January's alone, from another folder again: still done
    state = RunState.open(out, {"k": 1}, overwrite=False)
    state.adopt([f"2024-01/{quad}"])
    assert state.is_done(f"2024-01/{quad}")


def test_a_run_moved_with_its_scenes_resumes_from_its_new_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project folder (scenes and run, given relative) moved whole to another disk or folder,
    or a drive mounted elsewhere, resumes as before: the manifest's `file` is where the scene
    was, and no file is there any more. Each finished scene was taken for a file of its old
    place and the run stopped: 'holds 3 finished scene(s) that are not among the scenes
    given (e.g. /old/scenes/…)'; the same command resumed all three before `file` was kept."""
    import geopandas as gpd
    from shapely.geometry import Point

    old, new = tmp_path / "disk1" / "project", tmp_path / "disk2" / "project"
    (old / "scenes").mkdir(parents=True)
    given = [f"scenes/{n}.tif" for n in "abc"]
    for path in given:
        (old / path).write_bytes(b"")
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
    monkeypatch.chdir(old)
    state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
    state.name_scenes(given)
    state.start()
    for path in given:
        state.record(path, frame, None)
    new.parent.mkdir()
    old.rename(new)
    monkeypatch.chdir(new)
    state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
    state.adopt(given)
    assert [state.is_done(path) for path in given] == [True, True, True]
    assert state.done_besides(given) == []
    absolute = [str(new / path) for path in given]  # given absolute in its new place
    state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
    state.adopt(absolute)
    assert [state.is_done(path) for path in absolute] == [True, True, True]
    assert {str(row["file"]) for row in state.rows.values()} == set(absolute)  # kept from now


def test_a_run_copied_with_hard_links_to_its_scenes_resumes_where_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project (scenes given relative, and the run) copied with `cp -al` (or its disk seen
    at a second mount point), the first place kept: each relative path names the same file
    there, a hard link of the one the manifest's `file` names. It stopped with 'holds 3
    finished scene(s) that are not among the scenes given', where before `file` was kept it
    resumed; another file of that name in the new place is still not taken for it."""
    import geopandas as gpd
    from shapely.geometry import Point

    old, new = tmp_path / "project", tmp_path / "copy"
    (old / "scenes").mkdir(parents=True)
    given = [f"scenes/{n}.tif" for n in "abc"]
    for path in given:
        (old / path).write_bytes(path.encode())
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
    monkeypatch.chdir(old)
    state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
    state.name_scenes(given)
    state.start()
    for path in given:
        state.record(path, frame, None)
    (new / "scenes").mkdir(parents=True)
    shutil.copytree(old / "run", new / "run")
    for path in given[:2]:
        os.link(old / path, new / path)
    (new / given[2]).write_bytes(b"another scene of that name")
    monkeypatch.chdir(new)
    state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
    state.adopt(given)
    assert [state.is_done(path) for path in given] == [True, True, False]


def test_a_plain_copy_of_a_run_and_its_scenes_is_refused_in_one_line_that_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project (scenes given relative, and the run) copied with `cp -r`, the first place
    kept, and run again in the copy: each path names another file than the one finished under
    it, which is still there, so the scenes are not taken for the run's (the README's rule for
    another file of that name). It stopped with 'holds 3 finished scene(s) that are not among
    the scenes given … give the earlier scenes too', which the user had, by their paths."""
    import geopandas as gpd
    from shapely.geometry import Point

    from detector.errors import InputError

    old, new = tmp_path / "project", tmp_path / "copy"
    (old / "scenes").mkdir(parents=True)
    given = [f"scenes/{n}.tif" for n in "abc"]
    for path in given:
        (old / path).write_bytes(path.encode())
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
    monkeypatch.chdir(old)
    state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
    state.name_scenes(given)
    state.start()
    for path in given:
        state.record(path, frame, None)
    shutil.copytree(old, new)
    monkeypatch.chdir(new)
    for _ in range(2):  # the first try records the files found elsewhere: the same again
        state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
        state.adopt(given)
        with pytest.raises(InputError) as refused:
            state.refuse_others(given)
        said = str(refused.value)
        assert said.startswith("scenes/a.tif: is another file than the one the run in run")
        assert f"run it from {old}, where it was started" in said
    state.refuse_others([str(old / path) for path in given])  # its scenes: goes on
    with pytest.raises(DredgeError, match="holds 3 finished scene"):
        state.refuse_others([])


def test_a_run_resumed_with_its_scenes_spelled_as_before_looks_at_no_path_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Since the manifest kept each scene's file, every scene's path was resolved again on
    resume (links checked at each of its folders): 0.65 s on 24,000 scenes given as before, and
    on a network share a file-system call per folder per scene, where none was made. A path
    given from the same folder as the file recorded is that file without a look."""
    import geopandas as gpd
    from shapely.geometry import Point

    import detector.run_state as run_state
    from detector.scene_sources import file_key

    given = [f"scenes/{n:04d}.tif" for n in range(200)]
    (tmp_path / "scenes").mkdir()
    for path in given:
        (tmp_path / path).write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
    state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
    state.name_scenes(given)
    state.start()
    for path in given:
        state.record(path, frame, None)
    looked: list[str] = []
    monkeypatch.setattr(run_state, "file_key", lambda path: looked.append(path) or file_key(path))
    state = RunState.open(Path("run"), {"k": 1}, overwrite=False)
    state.adopt(given)
    assert all(state.is_done(path) for path in given)
    assert looked == []


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


def test_a_finished_scene_unreadable_now_is_not_said_to_be_dated_otherwise(
    tmp_path: Path,
) -> None:
    """The --dates table changed, and a finished scene that no row dates cannot be read now (a
    download cut short, written again): its date cannot be checked and it is detected again,
    but the warning said that its row was dropped and that its own date (metadata, name or
    tags) differs from its detections', though no row ever dated it and it has none that
    could be read. It says that the file cannot be read."""
    import geopandas as gpd
    from shapely.geometry import Point

    from detector.run_state import redated_warnings

    path = str(tmp_path / "scene_0.tif")
    Path(path).write_bytes(b"II*\x00" + bytes(500))  # a TIFF cut short
    out = tmp_path / "out"
    out.mkdir()
    state = RunState.open(out, {"k": 1, "dates_sha256": "old"}, overwrite=False)
    state.name_scenes([path])
    state.start()
    when = pd.Timestamp(datetime(2024, 3, 17, 14, 51, 41, tzinfo=UTC))
    frame = gpd.GeoDataFrame({"acquired": [when]}, geometry=[Point(-73, -3)], crs=4326)
    state.record(path, frame, None)
    other = RunState.open(out, {"k": 1, "dates_sha256": "new"}, overwrite=False)
    dates = {str(tmp_path / "new.tif"): when.to_pydatetime()}
    said = " ".join(redated_warnings(other.forget_redated(dates), dates))
    assert "no longer dated by a --dates row" not in said, said
    assert (
        "1 finished scene cannot be read now" in said and "so its date" in said and path in said
    ), said
    assert "detected again" in said


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


def _project_of_three_scenes(
    folder: Path, size: int = 300 * 1024, written_ns: int | None = None
) -> list[str]:
    """Three scene files (random bytes, larger than the 128 KiB a fingerprint reads) under
    ``folder/scenes``, given relative from ``folder`` (the working folder), and a run of them
    in ``folder/run``; the files' modification time ``written_ns`` where given (else now: too
    recent to be recorded with their fingerprints)."""
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import Point

    (folder / "scenes").mkdir(parents=True)
    given = [f"scenes/{n}.tif" for n in "abc"]
    random = np.random.default_rng(7)
    for path in given:
        (folder / path).write_bytes(random.bytes(size))
        if written_ns is not None:
            os.utime(folder / path, ns=(written_ns, written_ns))
    frame = gpd.GeoDataFrame({"score": [0.9]}, geometry=[Point(-73.0, -3.0)], crs=4326)
    state = RunState.open(folder / "run", {"k": 1}, overwrite=False)
    state.name_scenes(given)
    state.start()
    for path in given:
        state.record(path, frame, None)
    return given


def _resumed(out: Path, given: list[str]) -> tuple[RunState, list[tuple[str, str]], int]:
    state = RunState.open(out, {"k": 1}, overwrite=False)
    state.adopt(given)
    state.refuse_others(given)
    state.name_scenes(given)
    changed, unrecorded = state.forget_changed(given)
    return state, changed, unrecorded


def test_a_scene_file_replaced_under_its_path_is_detected_again_without_its_old_detections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scene delivered or exported again under the same path (same name, same date) after a
    run: the manifest knew it by its path alone, and the resumed run kept the old file's
    detections without a word. Its fingerprint (size, and a hash of its first and last
    64 KiB) differs: it is forgotten, its saved detections removed (OUT/scenes is read by
    `dredge track` too), and one line per scene says why."""
    from detector.run_state import changed_warnings, saved_name

    monkeypatch.chdir(tmp_path)
    given = _project_of_three_scenes(tmp_path)
    a, c = tmp_path / given[0], tmp_path / given[2]
    data = a.read_bytes()
    a.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # its last byte: the same size
    c.write_bytes(c.read_bytes() + b"more")
    state, changed, unrecorded = _resumed(Path("run"), given)
    assert changed == [
        (given[0], "content, at the same size"),
        (given[2], "size 307,200 → 307,204 bytes"),
    ]
    assert unrecorded == 0
    assert [state.is_done(path) for path in given] == [False, True, False]
    assert sorted(p.name for p in (tmp_path / "run" / "scenes").iterdir()) == [saved_name("b.tif")]
    assert changed_warnings(changed, 0)[0] == (
        "warning: scenes/a.tif: changed since it was detected (content, at the same size) "
        "— detected again"
    )
    state.start()
    import geopandas as gpd

    state.record(given[0], gpd.GeoDataFrame(geometry=[], crs=4326), None)
    state.record(given[2], gpd.GeoDataFrame(geometry=[], crs=4326), None)
    state.tidy()
    again, changed, _ = _resumed(Path("run"), given)
    assert changed == [] and all(again.is_done(path) for path in given)
    assert sorted(pd.read_csv(tmp_path / "run" / MANIFEST_NAME)["scene"]) == given


def test_a_run_copied_with_its_scenes_to_another_disk_is_not_detected_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project (its scenes, given relative, and its run) copied file by file to another
    disk (`cp -r`: other times, other inodes) and the first place removed, or its scenes
    touched: the same bytes are the same scenes, resumed, none detected again."""
    old, new = tmp_path / "disk1" / "project", tmp_path / "disk2" / "project"
    old.mkdir(parents=True)
    monkeypatch.chdir(old)
    given = _project_of_three_scenes(old)
    shutil.copytree(old, new, copy_function=shutil.copy)  # times not kept
    shutil.rmtree(old)
    monkeypatch.chdir(new)
    for path in given:
        os.utime(path, (1_000_000_000, 1_000_000_000))
    state, changed, unrecorded = _resumed(Path("run"), given)
    assert (changed, unrecorded) == ([], 0)
    assert all(state.is_done(path) for path in given)


def test_a_manifest_without_fingerprints_resumes_and_fingerprints_its_scenes_from_then_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run an earlier version made (its manifest has no `fingerprint` column) resumes as it
    did, with one note; its scenes' files are fingerprinted when it starts, so that a file
    replaced after that is detected again."""
    from detector.run_state import changed_warnings

    monkeypatch.chdir(tmp_path)
    given = _project_of_three_scenes(tmp_path)
    manifest = tmp_path / "run" / MANIFEST_NAME
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    table.drop(columns="fingerprint").to_csv(manifest, index=False)
    state, changed, unrecorded = _resumed(Path("run"), given)
    assert (changed, unrecorded) == ([], 3)
    assert all(state.is_done(path) for path in given)
    note = changed_warnings([], unrecorded)
    assert len(note) == 1 and note[0].startswith(
        "3 finished scenes of a manifest written by an earlier version have no fingerprint "
        "of their file: taken as detected from the files there now"
    )
    assert changed_warnings([], 1)[0].startswith("1 finished scene of a manifest written by")
    state.start()  # the manifest written whole, with the fingerprints
    _, changed, unrecorded = _resumed(Path("run"), given)
    assert (changed, unrecorded) == ([], 0)
    (tmp_path / given[1]).write_bytes(b"delivered again")
    _, changed, _ = _resumed(Path("run"), given)
    assert [path for path, _ in changed] == [given[1]]


def _counting_scene_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scene files the manifest's fingerprints open from now on (each read 128 KiB)."""
    import detector.run_manifest

    opened: list[str] = []

    def counting_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(detector.run_manifest, "open", counting_open, raising=False)
    return opened


A_YEAR_AGO_NS = 1_700_000_000 * 10**9


def test_a_resume_of_unchanged_scenes_reads_none_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each resume read 128 KiB of every finished local scene to fingerprint it (24,000
    scenes: 3 GB read on a network disk before any work). A file of the size and modification
    time recorded beside its fingerprint is not read."""
    monkeypatch.chdir(tmp_path)
    given = _project_of_three_scenes(tmp_path, written_ns=A_YEAR_AGO_NS)
    table = pd.read_csv(tmp_path / "run" / MANIFEST_NAME, dtype=str, keep_default_na=False)
    assert list(table["mtime_ns"]) == [str(A_YEAR_AGO_NS)] * 3
    opened = _counting_scene_opens(monkeypatch)
    state, changed, unrecorded = _resumed(Path("run"), given)
    assert (changed, unrecorded, opened) == ([], 0, [])
    assert all(state.is_done(path) for path in given)


@pytest.mark.parametrize("how", ["copied", "earlier manifest"])
def test_a_copied_run_reads_its_scenes_once_then_not_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A copy of a project (other modification times) or a manifest of an earlier version (no
    `mtime_ns` column): each scene is read once on resume, found the same file, and its time
    recorded, so that the next resume reads none."""
    monkeypatch.chdir(tmp_path)
    given = _project_of_three_scenes(tmp_path, written_ns=A_YEAR_AGO_NS)
    manifest = tmp_path / "run" / MANIFEST_NAME
    if how == "copied":
        for path in given:  # copied without its times, a while ago
            os.utime(path, ns=(A_YEAR_AGO_NS + 5 * 10**9, A_YEAR_AGO_NS + 5 * 10**9))
    else:
        table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
        table.drop(columns="mtime_ns").to_csv(manifest, index=False)
    opened = _counting_scene_opens(monkeypatch)
    state, changed, unrecorded = _resumed(Path("run"), given)
    assert (changed, unrecorded) == ([], 0) and sorted(opened) == given
    state.start()  # the manifest written whole, with the new times
    opened.clear()
    state, changed, unrecorded = _resumed(Path("run"), given)
    assert (changed, unrecorded, opened) == ([], 0, [])
    assert all(state.is_done(path) for path in given)


def test_a_scene_replaced_at_its_size_is_still_caught_by_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scene written again at the same size has a new modification time: it is read and
    found changed, the others are not read. One written just before it was detected has no
    time recorded (a rewrite within the file system's clock tick keeps the time): it is read
    and found changed even where its time is the same."""
    monkeypatch.chdir(tmp_path)
    given = _project_of_three_scenes(tmp_path, written_ns=A_YEAR_AGO_NS)
    a = tmp_path / given[0]
    data = a.read_bytes()
    a.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # its last byte: the same size
    opened = _counting_scene_opens(monkeypatch)
    _, changed, _ = _resumed(Path("run"), given)
    assert changed == [(given[0], "content, at the same size")] and opened == [given[0]]

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    monkeypatch.chdir(fresh)
    given = _project_of_three_scenes(fresh)  # written now, detected at once
    table = pd.read_csv(fresh / "run" / MANIFEST_NAME, dtype=str, keep_default_na=False)
    assert list(table["mtime_ns"]) == [""] * 3
    b = fresh / given[1]
    then = b.stat().st_mtime_ns
    data = b.read_bytes()
    b.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    os.utime(b, ns=(then, then))  # rewritten within the same clock tick
    _, changed, _ = _resumed(Path("run"), given)
    assert changed == [(given[1], "content, at the same size")]
