"""A resumed run's scene files: paths given from another folder, a run moved, copied or
hard-linked with its scenes, and scenes replaced under their path, told by their fingerprints
(and not read again when unchanged)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from detector.errors import DredgeError
from detector.run_manifest import MANIFEST_NAME
from detector.run_state import RunState


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
    old, new = tmp_path / "disk1" / "project", tmp_path / "disk2" / "project"
    old.mkdir(parents=True)
    monkeypatch.chdir(old)
    given = _project_of_three_scenes(old)
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
    old, new = tmp_path / "project", tmp_path / "copy"
    old.mkdir(parents=True)
    monkeypatch.chdir(old)
    given = _project_of_three_scenes(old)
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
    from detector.errors import InputError

    old, new = tmp_path / "project", tmp_path / "copy"
    old.mkdir(parents=True)
    monkeypatch.chdir(old)
    given = _project_of_three_scenes(old)
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
