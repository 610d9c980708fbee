"""The synthetic river world: files, georeferencing, truth, determinism, how dredges move along
a reach, and the worker processes that draw it. Chips of a scene (`render_scene`):
test_synth_chips.py; `dredge synth` and `dredge demo` on the command line: test_synth_cli.py."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import re
import signal
import subprocess
import sys
import time
import types
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from pyproj import Transformer
from shapely import Point
from typer.testing import CliRunner

from detector.cli import app
from detector.errors import InputError
from tests.synth_fixtures import ONE_RIVER, _digest, _first_dredge
from training.processes import THREADED_LIBRARIES, in_processes, pool_context
from training.synth.dredges import reflect_into
from training.synth.landscape import rectangle
from training.synth.render import Grid, render_reflectance
from training.synth.scenes import CLOUD_VISIBLE_MAX, is_visible
from training.synth.world import WorldConfig, build_world, write_world
from training.synth.writer import _dredge_rows, counts_from_truth

PLANET_NAME = re.compile(r"^\d{8}_\d{6}_\d{2}_[0-9a-f]{4}_3B_AnalyticMS_SR\.tif$")


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    write_world(WorldConfig(seed=3, rivers=("Nanay", "Cenepa", "Itaya"), years=(2024, 2025)), out)
    return out


def test_world_layout_and_scene_georeferencing(world_dir: Path) -> None:
    scenes = sorted((world_dir / "scenes").glob("*_AnalyticMS_SR.tif"))
    assert len(scenes) == 3 * 2 * 3  # rivers × years × dates per year (small)
    expected_crs = {"Nanay": "EPSG:32718", "Cenepa": "EPSG:32717", "Itaya": "EPSG:32718"}
    table = pd.read_csv(world_dir / "truth" / "scenes.csv")
    for path in scenes:
        assert PLANET_NAME.match(path.name), path.name
        assert (path.parent / path.name.replace("AnalyticMS_SR", "udm2")).exists()
        assert (world_dir / "quicklooks" / (path.name[:23] + ".png")).exists()
        river = table.loc[table["scene"] == path.name, "river"].item()
        with rasterio.open(path) as src:
            assert src.crs.to_string() == expected_crs[river]
            assert src.res == (3.0, 3.0)
            assert src.transform.b == 0 and src.transform.d == 0
            assert src.nodata == 0 and src.count == 4 and src.dtypes[0] == "uint16"
            assert src.profile["tiled"] and src.compression is not None
            assert [d for d in src.descriptions] == ["blue", "green", "red", "nir"]
            assert src.tags()["TIFFTAG_DATETIME"] == path.name[:4] + ":" + path.name[4:6] + ":" + (
                path.name[6:8]
                + " "
                + path.name[9:11]
                + ":"
                + path.name[11:13]
                + ":"
                + path.name[13:15]
            )
            data = src.read(out_shape=(4, 100, 100))
            valid = data[0] > 0
            assert 0.5 < valid.mean() < 0.95  # a rotated footprint with nodata corners
            assert data[:, valid].max() <= 10000 and data[:, valid].min() >= 1
            assert not valid[0, 0] or not valid[-1, -1] or not valid[0, -1] or not valid[-1, 0]


def test_cloud_cover_is_the_cloud_the_scene_shows(world_dir: Path) -> None:
    """`cloud_cover` of each scene's metadata and of truth/scenes.csv is the fraction of its
    imaged pixels that its UDM2 calls cloud (it was the target the clouds were drawn for over
    the whole grid: up to 0.15 above what the scene showed, 0.028 off on average on seed 1)."""
    scenes = pd.read_csv(world_dir / "truth" / "scenes.csv").set_index("scene")
    cloudy = 0
    for path in sorted((world_dir / "scenes").glob("*_udm2.tif")):
        with rasterio.open(path) as udm:
            cloud, unusable = udm.read(6).astype(bool), udm.read(8).astype(bool)
        shown = float(cloud[~unusable].mean())
        stem = path.name.removesuffix("_3B_udm2.tif")
        item = json.loads((path.parent / f"{stem}_metadata.json").read_text())
        assert item["properties"]["cloud_cover"] == pytest.approx(shown, abs=5e-4), stem
        row = scenes.loc[f"{stem}_3B_AnalyticMS_SR.tif"]
        assert row["cloud_cover"] == pytest.approx(shown, abs=5e-4), stem
        cloudy += shown > 0
    assert cloudy >= 3


def test_truth_dredges_fall_on_bright_objects(world_dir: Path) -> None:
    truth = pd.read_csv(world_dir / "truth" / "dredges.csv")
    assert list(truth.columns) == [
        "dredge_id", "river", "scene", "acquired", "lon", "lat", "x", "y", "crs",
        "length_m", "width_m", "heading_deg", "visible",
    ]  # fmt: skip
    scenes = pd.read_csv(world_dir / "truth" / "scenes.csv").set_index("scene")
    visible = truth[truth["visible"]]
    assert len(visible) >= 10
    clear_sky = 0
    for row in visible.itertuples():
        with rasterio.open(world_dir / "scenes" / row.scene) as src:
            to_scene = Transformer.from_crs("EPSG:4326", src.crs, always_xy=True)
            x, y = to_scene.transform(row.lon, row.lat)
            assert abs(x - row.x) < 0.5 and abs(y - row.y) < 0.5
            r, c = src.index(x, y)
            window = src.read(window=((r - 8, r + 9), (c - 8, c + 9))).astype(float)
        if scenes.loc[row.scene, "cloud_cover"] > 0 or scenes.loc[row.scene, "haze"] > 0:
            continue
        clear_sky += 1
        # Brighter than the water around it in some band (a rust roof in its own turbid plume
        # stands out in NIR; a blue tarp beside a sandbar, in blue).
        peak = window[:, 7:10, 7:10].max(axis=(1, 2))
        background = np.percentile(window, 25, axis=(1, 2))
        assert (peak > 1.3 * background).any(), row.dredge_id
    assert clear_sky >= 5


def test_dredges_are_drawn_at_their_truth_position() -> None:
    world = build_world(ONE_RIVER)
    river = world.rivers[0]
    checked = 0
    for scene in river.scenes:
        ground = river.ground_on(scene)
        for pose in ground.dredges:
            if not is_visible(scene, pose.x, pose.y):
                continue
            x0, y0 = 3 * np.floor(pose.x / 3) - 60, 3 * np.floor(pose.y / 3) - 60
            grid = Grid.over((x0, y0, x0 + 123, y0 + 123), 3.0)
            others = [p for p in ground.dredges if p is not pose]
            # Without its plume, what this dredge adds to the scene is its hull alone.
            alone = replace(pose, dredge=replace(pose.dredge, plume=0.0))
            added = render_reflectance(scene, replace(ground, dredges=[*others, alone]), grid)
            added -= render_reflectance(scene, replace(ground, dredges=others), grid)
            peak_row, peak_col = np.unravel_index(
                np.argmax(np.abs(added).sum(axis=0)), added.shape[1:]
            )
            peak = Point(grid.transform @ (peak_col + 0.5, peak_row + 0.5))
            d = pose.dredge
            hull = rectangle(pose.x, pose.y, d.length_m, d.width_m, pose.heading_rad)
            assert hull.distance(peak) <= 3.0  # the change peaks on the hull, within a pixel
            checked += 1
    assert checked >= 3


def test_visibility_matches_footprint_clouds_and_udm2(world_dir: Path) -> None:
    truth = pd.read_csv(world_dir / "truth" / "dredges.csv")
    world = build_world(
        WorldConfig(seed=3, rivers=("Nanay", "Cenepa", "Itaya"), years=(2024, 2025))
    )
    specs = {s.file_name: s for _, s in world.scenes()}
    hidden_by_cloud = 0
    for row in truth.itertuples():
        spec = specs[row.scene]
        inside = spec.footprint.contains(Point(row.x, row.y))
        opacity = float(spec.cloud_opacity(np.array([row.x]), np.array([row.y]))[0])
        assert row.visible == (inside and opacity < CLOUD_VISIBLE_MAX)
        udm2 = world_dir / "scenes" / row.scene.replace("AnalyticMS_SR", "udm2")
        with rasterio.open(udm2) as src, rasterio.open(world_dir / "scenes" / row.scene) as img:
            r, c = src.index(row.x, row.y)
            if not (0 <= r < src.height and 0 <= c < src.width):
                assert not row.visible
                continue
            flags = src.read(window=((r, r + 1), (c, c + 1)))[:, 0, 0]
            pixel = img.read(window=((r, r + 1), (c, c + 1)))[:, 0, 0]
        if row.visible:
            assert flags[5] == 0  # not cloud
        elif inside:
            hidden_by_cloud += 1
            assert flags[5] == 1 and pixel[0] > 1500  # cloud flag, and the pixel is cloud-bright
        else:
            assert pixel.max() == 0 and flags[7] == 1  # nodata, flagged unusable
    assert hidden_by_cloud > 0, "this seed should hide some dredges under cloud"


def test_truth_counts_follow_from_truth_table(world_dir: Path) -> None:
    truth = pd.read_csv(world_dir / "truth" / "dredges.csv")
    counts = pd.read_csv(world_dir / "truth" / "counts.csv")
    assert list(counts.columns) == ["river", "year", "unique_dredges", "new_dredges"]
    assert len(counts) == 3 * 2  # every river and year, zero rows included
    seen = truth[truth["visible"]].assign(year=lambda t: t["acquired"].str[:4].astype(int))
    first = seen.groupby("dredge_id")["year"].transform("min")
    for row in counts.itertuples():
        mine = seen[(seen["river"] == row.river) & (seen["year"] == row.year)]
        assert row.unique_dredges == mine["dredge_id"].nunique()
        assert row.new_dredges == mine.loc[first[mine.index] == row.year, "dredge_id"].nunique()
    itaya = counts[counts["river"] == "Itaya"]
    assert (itaya["unique_dredges"] == 0).all()
    assert counts.loc[counts["river"] == "Nanay", "unique_dredges"].sum() > 0


def test_heading_deg_is_a_bearing_below_360() -> None:
    """A hull 0.01° west of north was written heading_deg 360.0 (folded into [0, 360), then
    rounded); it is 0.0, as one 0.01° east of north is."""
    river, scene, _ = _first_dredge()
    pose = river.ground_on(scene).dredges[0]
    headings = [
        _dredge_rows(river, scene, [replace(pose, heading_rad=np.pi / 2 + np.deg2rad(turn))])[0][
            "heading_deg"
        ]
        for turn in (0.01, -0.01, 0.0, 90.0)
    ]
    assert headings == [0.0, 0.0, 0.0, 270.0]


def test_counts_keep_zero_rows() -> None:
    empty = pd.DataFrame(columns=["dredge_id", "river", "acquired", "visible"])
    counts = counts_from_truth(empty, ["Itaya"], range(2023, 2026))
    assert counts["unique_dredges"].tolist() == [0, 0, 0]


def test_rivers_file_is_imperfect_but_close(world_dir: Path) -> None:
    rivers = gpd.read_file(world_dir / "rivers.geojson")
    assert rivers.crs.to_epsg() == 4326
    assert sorted(rivers["name"].unique()) == ["Cenepa", "Itaya", "Nanay"]
    assert (rivers.groupby("name").size() == 2).all()  # pieces, as in real hydrography
    world = build_world(WorldConfig(seed=3, rivers=("Nanay",), years=(2024, 2025)))
    river = world.rivers[0]
    line = rivers[rivers["name"] == "Nanay"].to_crs(river.crs).union_all()
    true_line = river.channel.centerline
    gaps = (
        [true_line.distance(Point(p)) for p in line.coords]
        if line.geom_type == "LineString"
        else [true_line.distance(Point(p)) for part in line.geoms for p in part.coords]
    )
    assert max(gaps) < 60 and max(gaps) > 5  # tens of metres off in places, never far


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    write_world(ONE_RIVER, tmp_path / "a")
    write_world(ONE_RIVER, tmp_path / "b", workers=1)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    write_world(WorldConfig(seed=4, rivers=("Nanay",), years=(2024, 2024)), tmp_path / "c")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


runner = CliRunner()


def test_a_move_past_the_end_of_the_reach_turns_back() -> None:
    assert reflect_into(3900.0, 250.0, 3820.0) == pytest.approx(3740.0)
    assert reflect_into(-100.0, 250.0, 3820.0) == pytest.approx(600.0)
    assert reflect_into(1000.0, 250.0, 3820.0) == pytest.approx(1000.0)


def test_groups_do_not_pile_up_at_the_ends_of_the_reach() -> None:
    """Moves of up to 5 km on a 4 km reach: clipped at the ends, 36 of this world's 74 stays
    sat on the same two spots, hulls overlapping."""
    world = build_world(WorldConfig(seed=5, rivers=("Nanay",), years=(2024, 2025), size="monthly"))
    river = world.rivers[0]
    stays = [s.chainage_m for g in river.groups for s in g.stays]
    ends = (250.0, river.channel.length_m - 250.0)
    at_an_end = sum(min(abs(s - e) for e in ends) < 1.0 for s in stays)
    assert len(stays) >= 20 and at_an_end <= 1


def test_a_weekly_world_has_the_monthly_worlds_dredges_and_a_scene_a_week() -> None:
    """`--size weekly` shows what more frequent scenes change: the dredges are drawn apart
    from the dates, so the two sizes differ only in their scenes."""
    config = {"seed": 1, "rivers": ("Nanay",), "years": (2024, 2025)}
    monthly = build_world(WorldConfig(size="monthly", **config)).rivers[0]
    weekly = build_world(WorldConfig(size="weekly", **config)).rivers[0]
    assert weekly.groups == monthly.groups
    assert (len(monthly.scenes), len(weekly.scenes)) == (24, 104)
    days = sorted(s.acquired for s in weekly.scenes)
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    assert max(gaps) <= 13 and sum(gaps) / len(gaps) == pytest.approx(7, abs=0.5)


def test_scene_workers_are_spawned_once_a_threaded_library_is_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forked worker inherits the locks of the parent's threads (torch, onnxruntime) and can
    wait on one forever; without those libraries the platform's default start method is kept."""
    for name in THREADED_LIBRARIES:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert pool_context().get_start_method() == multiprocessing.get_start_method()
    monkeypatch.setitem(sys.modules, "onnxruntime", types.ModuleType("onnxruntime"))
    assert pool_context().get_start_method() == "spawn"


def test_a_script_without_a_main_guard_gets_one_clear_line_when_its_workers_die(
    tmp_path: Path,
) -> None:
    """Spawned workers re-run the calling script; without ``if __name__ == "__main__"`` they
    die, and the user must read how to fix it, not ``BrokenProcessPool``."""
    script = tmp_path / "draw.py"
    script.write_text(
        "import sys, types\n"
        "sys.modules['onnxruntime'] = types.ModuleType('onnxruntime')  # workers are spawned\n"
        "from pathlib import Path\n"
        "from training.synth.world import WorldConfig, write_world\n"
        "config = WorldConfig(seed=3, rivers=('Nanay',), years=(2024, 2024))\n"
        f"write_world(config, Path({str(tmp_path / 'world')!r}), workers=2)\n"
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode != 0
    # the script's own error, after the workers' (multiprocessing's resource tracker may still
    # print a warning after it, on a loaded machine)
    errors = [
        line
        for line in result.stderr.strip().splitlines()
        if line.startswith("training.processes.WorkerDied: ")  # a DredgeError
    ]
    assert errors, result.stderr[-2000:]
    last = errors[-1]
    assert 'if __name__ == "__main__":' in last and "workers=1" in last
    assert str(tmp_path / "world") in last


def job_or_fault(index: int, folder: str, seconds: float = 0.3) -> int:
    """Job 0 fails at once; the others take ``seconds`` and leave a file each (in_processes'
    tests)."""
    if index == 0:
        raise InputError(folder, "job 0 cannot be done", "fix it")
    time.sleep(seconds)
    (Path(folder) / f"{index}.done").touch()
    return index


def test_a_failing_job_stops_the_jobs_not_started(tmp_path: Path) -> None:
    """A job's error was raised only once every other job had run (with one worker it is
    raised at once): a world that could not be written waited for all the others to be drawn,
    15 of 15 jobs of 0.3 s here."""
    jobs = [(index, str(tmp_path)) for index in range(16)]
    with pytest.raises(InputError, match="job 0 cannot be done"):
        in_processes(job_or_fault, jobs, 2)
    assert len(list(tmp_path.glob("*.done"))) <= 6  # those running or queued to a worker


def test_a_failing_job_stops_the_jobs_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job's error waited for the jobs running in the other workers (the pool's exit joined
    them): the error of a world that could not be written came once the others were drawn,
    minutes later, with their workers running the while. Now they are stopped."""
    monkeypatch.setattr("training.processes.usable_cores", lambda: 2)
    jobs = [(0, str(tmp_path)), (1, str(tmp_path), 5.0)]
    with pytest.raises(InputError, match="job 0 cannot be done"):
        in_processes(job_or_fault, jobs, 2)
    assert not (tmp_path / "1.done").exists()  # stopped, not run to its end
    assert not multiprocessing.active_children()


def test_ctrl_c_stops_the_jobs_not_started(tmp_path: Path) -> None:
    """Ctrl-C while jobs ran in workers waited for every job left (the training worlds, minutes
    each, were all drawn before the command stopped): the jobs not started are dropped."""
    script = tmp_path / "jobs.py"
    script.write_text(
        "import os, signal, sys\n"
        # Ctrl-C as at a terminal: a suite started in the background (`make test &`) ignores
        # SIGINT, and the job script inherited that, ran every job and printed nothing
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "sys.path.insert(0, os.getcwd())\n"
        "from tests.test_synth import job_or_fault\n"
        "from training.processes import in_processes\n"
        "if __name__ == '__main__':\n"
        # jobs of 2 s, so that Ctrl-C comes while most are still to start on a loaded machine
        "    in_processes(job_or_fault, [(i + 1, sys.argv[1], 2.0) for i in range(24)], 2)\n"
    )
    folder = tmp_path / "done"
    folder.mkdir()
    process = subprocess.Popen(
        [sys.executable, str(script), str(folder)],
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(folder.glob("*.done")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "every job was done before Ctrl-C could be sent"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert "KeyboardInterrupt" in stderr
    # of 24: those done, running or queued to a worker then
    assert len(list(folder.glob("*.done"))) <= 10, stderr[-2000:]


def test_a_world_whose_worker_died_is_drawn_again_without_deleting_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rendering worker that died (out of memory, a script without a main guard) ended in a
    line that said to delete the partial folder: the world is marked unfinished, and the same
    command draws it anew."""
    from training.processes import WorkerDied

    out = tmp_path / "w"
    args = ["synth", "--seed", "5", "--rivers", "aguaytia", "--years", "2024", "--out", str(out)]

    def died(*_: object, what: str = "", **__: object) -> None:
        raise WorkerDied(f"{what}: a worker process died before it finished")

    with monkeypatch.context() as patch:
        patch.setattr("training.synth.world.in_processes", died)
        result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "delete" not in result.output and "run it again" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
