"""``dredge run``: scenes to counts in one command, with a corrupt scene among them."""

from __future__ import annotations

import html
import json
import os
import shutil
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import rasterio
from typer.testing import CliRunner

from detector.chips import failures_writer
from detector.cli import app
from detector.run import RUN_FILES
from tests.geo_fixtures import truncate
from tests.model_fixtures import write_untrained_model
from tests.network import blocked_network
from training.synth.world import WorldConfig, write_world

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "world"
    write_world(WorldConfig(seed=14, rivers=("Nanay",), years=(2024, 2024)), out)
    return out


@pytest.fixture(scope="module")
def scenes(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three scenes of the world (with their sidecars) and one truncated GeoTIFF."""
    folder = tmp_path_factory.mktemp("scenes")
    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:3]
    for scene in sources:
        stem = scene.name.removesuffix("_3B_AnalyticMS_SR.tif")
        for sidecar in scene.parent.glob(f"{stem}*"):
            shutil.copy(sidecar, folder / sidecar.name)
    broken = folder / "20240101_120000_00_0000_3B_AnalyticMS_SR.tif"
    shutil.copy(sources[0], broken)
    truncate(broken)
    return folder


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_untrained_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def run(world: Path, scenes: Path, model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "run"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(scenes),
            "--rivers",
            str(world / "rivers.geojson"),
            "--out",
            str(out),
            "--model",
            str(model),
            "--no-progress",
        ],
    )
    assert result.exit_code == 1, result.output  # one scene failed
    assert "1 of 4 scenes failed" in result.output
    return out


def test_a_run_of_one_failed_scene_says_so_in_the_singular(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> None:
    """A run of one scene that cannot be read said '1 of 1 scene(s) failed'."""
    broken = scenes / "20240101_120000_00_0000_3B_AnalyticMS_SR.tif"
    result = CliRunner().invoke(
        app,
        [
            *("run", str(broken), "--rivers", str(world / "rivers.geojson")),
            *("--out", str(tmp_path / "run"), "--model", str(model), "--no-progress"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "1 of 1 scene failed; see" in result.output


def test_writes_every_output(run: Path) -> None:
    missing = [name for name in RUN_FILES if not (run / name).is_file()]
    assert not missing


def test_outputs_open_with_the_right_crs_and_columns(run: Path) -> None:
    detections = gpd.read_parquet(run / "detections.parquet")
    assert detections.crs.to_epsg() == 4326 and len(detections) > 0
    assert {"detection_id", "acquired", "river", "chainage_m", "score"} <= set(detections.columns)
    assert detections["scene"].nunique() == 3
    tracks = gpd.read_parquet(run / "tracks.parquet")
    assert tracks.crs.to_epsg() == 4326 and "counted" in tracks.columns
    counts = pd.read_csv(run / "counts.csv")
    assert list(counts[["river", "year"]].itertuples(index=False, name=None)) == [("Nanay", 2024)]
    assert counts.loc[0, "unique_dredges"] == int(tracks["counted"].sum())
    assert json.loads((run / "counts.json").read_text())[0]["river"] == "Nanay"
    layers = gpd.list_layers(run / "dredges.gpkg")["name"].tolist()
    assert set(layers) == {"dredges", "detections"}


def test_the_failed_scene_is_listed_everywhere(
    run: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    failures = pd.read_csv(run / "failures.csv")
    assert len(failures) == 1 and failures.loc[0, "scene"].endswith("0000_3B_AnalyticMS_SR.tif")
    # with a byte-order mark, as counts.csv: Excel read `escena ñ.tif` as `escena Ã±.tif`
    assert (run / "failures.csv").read_bytes().startswith(b"\xef\xbb\xbfscene,error")
    # written as `dredge detect` and `dredge tiles` write theirs (pandas ended lines apart)
    again = tmp_path_factory.mktemp("failures") / "failures.csv"
    failures_writer(list(failures.itertuples(index=False, name=None)))(again)
    assert (run / "failures.csv").read_bytes() == again.read_bytes()
    manifest = json.loads((run / "run.json").read_text())
    assert len(manifest["failures"]) == 1 and len(manifest["scenes"]) == 4
    assert manifest["model"]["name"] and manifest["parameters"]["conf"] == 0.25
    assert manifest["parameters"]["count_score"] == 0.45
    page = (run / "report.html").read_text()
    assert (
        "1 scene failed</b> and is not in the counts" in page and "20240101_120000_00_0000" in page
    )


def test_report_is_self_contained(run: Path) -> None:
    page = (run / "report.html").read_text()
    assert "id='counts-table'" in page and "<td class=l>Nanay</td>" in page
    assert page.count("data:image/png;base64,") >= 3  # chart, map, chips
    assert "http://" not in page and "https://" not in page and "<script" not in page


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (make browser)")
def test_report_loads_in_headless_chromium(run: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--dump-dom",
        (run / "report.html").resolve().as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'id="counts-table"' in dom and "Unique dredges per river and year" in dom
    assert dom.count("<img") >= 3


def test_a_run_with_other_settings_is_not_overwritten(
    run: Path, scenes: Path, world: Path, model: Path, tmp_path: Path
) -> None:
    before = (run / "counts.csv").read_bytes()
    result = CliRunner().invoke(
        app,
        [
            *("run", str(scenes), "--rivers", str(world / "rivers.geojson"), "--out", str(run)),
            *("--model", str(model), "--conf", "0.5", "--no-progress"),
        ],
    )
    assert result.exit_code == 2
    assert "other settings (conf)" in result.output and "--overwrite" in result.output
    assert "without detecting again" not in result.output
    assert (run / "counts.csv").read_bytes() == before
    corrected = tmp_path / "rivers.geojson"  # a centerline corrected: the same lines, rewritten
    gpd.read_file(world / "rivers.geojson").to_file(corrected, driver="GeoJSON")
    args = ["run", str(scenes), "--rivers", str(corrected), "--out", str(run)]
    result = CliRunner().invoke(app, [*args, "--model", str(model), "--no-progress"])
    assert result.exit_code == 2 and "other settings (rivers_sha256)" in result.output
    fix = "without detecting again (detections stay those of the old corridors): dredge track"
    assert f"{fix} {run / 'detections.parquet'} --rivers NEW" in " ".join(result.output.split())
    assert (run / "counts.csv").read_bytes() == before


def test_a_folder_of_other_files_is_not_overwritten(tmp_path: Path, world: Path) -> None:
    (tmp_path / "counts.csv").write_text("mine\n")
    result = CliRunner().invoke(
        app,
        [
            *("run", str(world / "scenes"), "--rivers", str(world / "rivers.geojson")),
            *("--out", str(tmp_path), "--no-progress"),
        ],
    )
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert (tmp_path / "counts.csv").read_text() == "mine\n"


def test_a_run_never_reaches_the_network(
    scenes: Path, world: Path, model: Path, tmp_path: Path
) -> None:
    """detect → track → counts → exports → report with every socket connection refused."""
    with blocked_network() as attempts:
        result = CliRunner().invoke(
            app,
            [
                *("run", str(scenes), "--rivers", str(world / "rivers.geojson")),
                *("--out", str(tmp_path / "offline"), "--model", str(model), "--no-progress"),
            ],
        )
    assert not attempts, f"the run tried the network: {attempts}"
    assert result.exit_code == 1, result.output  # only the truncated scene failed
    assert (tmp_path / "offline" / "report.html").is_file()


def test_scenes_dated_by_a_table_or_an_iso_name_run_to_the_end(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """Scenes without a Planet name are dated by --dates or their ISO name, tracking included
    (tracking used to stop the run: 'no acquisition time in the file name')."""
    folder = tmp_path / "maxar"
    folder.mkdir()
    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:3]
    for source, name in zip(sources, ("nanay_2024-01-05", "nanay_b", "nanay_c"), strict=True):
        with rasterio.open(source) as src:  # pixels only: no date tag, no Planet sidecar
            profile, pixels = src.profile, src.read()
        with rasterio.open(folder / f"{name}.tif", "w", **profile) as dst:
            dst.write(pixels)
    table = tmp_path / "dates.csv"
    rows = "nanay_b.tif,2024-02-10\nnanay_c,2024-03-15T15:00:00Z\nnanay_x.tif,2024-04-01\n"
    table.write_text(f"scene,date\n{rows}")  # nanay_x: a typo, named once, not twice
    args = [*("run", str(folder), "--rivers", str(world / "rivers.geojson")), "--no-progress"]
    args += ["--model", str(model), "--dates", str(table)]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    typo = "--dates: 1 of 3 rows names no scene given (e.g. 'nanay_x.tif')"
    assert " ".join(result.output.split()).count(typo) == 1
    notes = json.loads((tmp_path / "out" / "run.json").read_text())["notes"]
    assert sum(note.startswith(typo) for note in notes) == 1
    seen = pd.read_csv(tmp_path / "out" / "tracks.observations.csv")
    assert set(seen.loc[seen["source"] == "scenes", "date"]) == {
        "2024-01-05",
        "2024-02-10",
        "2024-03-15",
    }
    key = json.loads((tmp_path / "out" / "run_key.json").read_text())
    assert len(key["dates_sha256"]) == 64

    undated = CliRunner().invoke(app, [*args[:-2], "--out", str(tmp_path / "undated")])
    assert undated.exit_code == 1  # two scenes without a date failed, the third completed
    assert "2 of 3 scenes failed" in undated.output and "--dates" in undated.output


def test_a_dates_table_with_rows_for_new_scenes_extends_the_run(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """A run extended with new scenes (the earlier ones given again) and their rows added to
    its --dates table: the table's digest was in the run key, so the run was refused ('holds a
    run made with other settings (dates_sha256)'). The dates are compared scene by scene: the
    finished scene is resumed, and detected again once its own row gives another date."""
    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:2]
    for source, month in zip(sources, ("jan", "feb"), strict=True):
        (tmp_path / month).mkdir()
        with rasterio.open(source) as src:  # pixels only: dated by the table alone
            profile, pixels = src.profile, src.read()
        with rasterio.open(tmp_path / month / f"nanay_{month}.tif", "w", **profile) as dst:
            dst.write(pixels)
    table, out = tmp_path / "dates.csv", tmp_path / "out"
    table.write_text("scene,date\nnanay_jan.tif,2024-01-05\n")
    args = ["--rivers", str(world / "rivers.geojson"), "--model", str(model), "--no-progress"]
    args += ["--dates", str(table), "--out", str(out)]
    first = CliRunner().invoke(app, ["run", str(tmp_path / "jan"), *args])
    assert first.exit_code == 0, first.output
    table.write_text("scene,date\nnanay_jan.tif,2024-01-05\nnanay_feb.tif,2024-02-10\n")
    both = ["run", str(tmp_path / "jan"), str(tmp_path / "feb"), *args]
    extended = CliRunner().invoke(app, both)
    assert extended.exit_code == 0, extended.output
    assert "1 of 2 scenes already done" in " ".join(extended.output.split())
    seen = pd.read_csv(out / "tracks.observations.csv")
    assert set(seen.loc[seen["source"] == "scenes", "date"]) == {"2024-01-05", "2024-02-10"}

    table.write_text("scene,date\nnanay_jan.tif,2024-01-06\nnanay_feb.tif,2024-02-10\n")
    redated = CliRunner().invoke(app, both)
    assert redated.exit_code == 0, redated.output
    detections = pd.read_parquet(out / "detections.parquet")
    assert len(detections), "the scene has dredges: its detections carry its date"
    assert "detected again" in redated.output
    assert "2024-01-06" in set(pd.to_datetime(detections["acquired"]).dt.strftime("%Y-%m-%d"))


def test_a_scene_whose_dates_row_is_dropped_is_dated_by_itself_again(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """A finished scene dated by a --dates row, resumed with that row dropped (or without the
    table): it falls back to its own date (its name, sidecar), but its detections kept the
    table's, without a word, as the digest of the table was no longer compared and the scene,
    in no table now, was not either. It is detected again, with a warning that says the scene
    is no longer dated by a row (it said 'given another date (by a --dates row …)')."""
    source = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[0]
    stem = source.name.removesuffix("_3B_AnalyticMS_SR.tif")
    (tmp_path / "scenes").mkdir()
    for sidecar in source.parent.glob(f"{stem}*"):
        shutil.copy(sidecar, tmp_path / "scenes" / sidecar.name)
    own = datetime.strptime(stem[:8], "%Y%m%d").strftime("%Y-%m-%d")
    table, out = tmp_path / "dates.csv", tmp_path / "out"
    table.write_text(f"scene,date\n{source.name},2024-12-20\n")
    args = ["run", str(tmp_path / "scenes"), "--rivers", str(world / "rivers.geojson")]
    args += ["--model", str(model), "--no-progress", "--out", str(out)]
    first = CliRunner().invoke(app, [*args, "--dates", str(table)])
    assert first.exit_code == 0, first.output
    days = pd.to_datetime(pd.read_parquet(out / "detections.parquet")["acquired"])
    assert set(days.dt.strftime("%Y-%m-%d")) == {"2024-12-20"}, "the table's date"

    resumed = CliRunner().invoke(app, args)  # the table left out: the scene's own date
    assert resumed.exit_code == 0, resumed.output
    said = " ".join(resumed.output.split())  # it said 'are given another date (by a --dates row'
    assert "1 finished scene is no longer dated by a --dates row (its row dropped" in said
    assert "given another date" not in said and "detected again" in said
    days = pd.to_datetime(pd.read_parquet(out / "detections.parquet")["acquired"])
    assert set(days.dt.strftime("%Y-%m-%d")) == {own}


def test_scenes_read_through_gdal_paths_give_observed_areas(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """Scenes that are not local files (URLs, /vsi… paths; here a zip) tell the tracker where
    the river was seen, as local ones do (they used to be left out: no absence was seen)."""
    import zipfile

    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:3]
    archive = tmp_path / "scenes.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for scene in sources:
            bundle.write(scene, scene.name)
    listing = tmp_path / "scenes.txt"
    listing.write_text("".join(f"/vsizip/{archive}/{scene.name}\n" for scene in sources))
    out = tmp_path / "out"
    args = [*("run", str(listing), "--rivers", str(world / "rivers.geojson")), "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--model", str(model), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "read the clear, valid areas of 3 scenes" in result.output
    seen = pd.read_csv(out / "tracks.observations.csv")
    assert (seen["source"] == "scenes").sum() == 3


def test_a_run_given_fewer_scenes_is_not_remade_without_the_others(
    run: Path, scenes: Path, world: Path, model: Path, tmp_path: Path
) -> None:
    """Giving a finished run's folder only new (or fewer) scenes used to rebuild its tables
    from those alone: the counts of the earlier scenes were replaced without a word."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    before = (copy / "counts.csv").read_bytes()
    one = sorted(scenes.glob("2024*_AnalyticMS_SR.tif"))[-1]
    args = [*("run", str(one), "--rivers", str(world / "rivers.geojson")), "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--out", str(copy), "--model", str(model)])
    assert result.exit_code == 2
    assert "holds 2 finished scenes that are not among the scenes given" in result.output
    assert "give the earlier scenes too" in result.output
    assert (copy / "counts.csv").read_bytes() == before


def test_a_second_run_into_the_same_folder_waits_for_none_and_a_killed_ones_lock_is_taken(
    run: Path, scenes: Path, world: Path, model: Path, tmp_path: Path
) -> None:
    """The command typed again in another terminal used to redo the same scenes beside the
    first run and sweep its half-written files; a lock says so in one line. A run that was
    killed leaves its lock, which the next run takes over."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    lock = copy / ".dredge-run.lock"
    args = ["run", str(scenes), "--rivers", str(world / "rivers.geojson"), "--no-progress"]
    args += ["--out", str(copy), "--model", str(model)]
    host = socket.gethostname()
    now = datetime.now(UTC).isoformat(timespec="seconds")  # a lock taken after this process began
    lock.write_text(json.dumps({"pid": os.getpid(), "host": host, "started": now}))
    busy = CliRunner().invoke(app, args)
    assert busy.exit_code == 2, busy.output
    assert f"another dredge run is working in this folder (process {os.getpid()}" in busy.output
    assert lock.is_file()
    gone = subprocess.Popen(["true"])
    gone.wait()
    lock.write_text(json.dumps({"pid": gone.pid, "host": host, "started": "2026-01-01"}))
    resumed = CliRunner().invoke(app, args)
    assert resumed.exit_code == 1, resumed.output  # the truncated scene, as before
    assert "already done" in resumed.output and not lock.exists()


def test_scenes_that_share_a_file_name_keep_their_own_detections(
    world: Path, model: Path, tmp_path: Path
) -> None:
    """NICFI quads of three months share one file name; each used to overwrite the others'
    saved detections (OUT/scenes/<name>.parquet), so one month's were counted three times."""
    sources = sorted((world / "scenes").glob("*_AnalyticMS_SR.tif"))[:3]
    for month, scene in enumerate(sources, start=1):
        folder = tmp_path / "nicfi" / f"planet_medres_normalized_analytic_2024-0{month}_mosaic"
        folder.mkdir(parents=True)
        shutil.copy(scene, folder / "L15-0745E-1031N.tif")
    out = tmp_path / "out"
    args = [*("run", str(tmp_path / "nicfi" / "*" / "*.tif"), "--rivers")]
    args += [str(world / "rivers.geojson"), "--model", str(model), "--no-progress"]
    table = tmp_path / "dates.csv"
    table.write_text("scene,date\nL15-0745E-1031N.tif,2024-05-01\n")
    refused = CliRunner().invoke(app, [*args, "--out", str(out), "--dates", str(table)])
    assert refused.exit_code == 2 and "names 3 of the scenes given" in refused.output
    assert not out.exists()  # stopped before any work: no empty OUT left behind
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = pd.read_csv(out / "manifest.csv")
    assert manifest["name"].is_unique and len(list((out / "scenes").iterdir())) == 3
    frame = gpd.read_parquet(out / "detections.parquet")
    assert len(frame) == manifest["detections"].sum() > 0 and frame["detection_id"].is_unique
    per_scene = frame.groupby("scene")["acquired"].first().dt.strftime("%Y-%m-%d")
    assert per_scene.tolist() == ["2024-01-01", "2024-02-01", "2024-03-01"]
    seen = pd.read_csv(out / "tracks.observations.csv")
    assert set(seen.loc[seen["source"] == "scenes", "date"]) == set(per_scene)
    report = (out / "report.html").read_text()
    assert "not among the run's scenes" not in report and "<figure>" in report  # chips drawn
    again = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 0 and "3 of 3 scenes already done" in again.output
    pd.testing.assert_frame_equal(gpd.read_parquet(out / "detections.parquet"), frame)


def test_the_run_notes_go_to_run_json_and_the_report(run: Path) -> None:
    """Notes printed while a run works (scenes read, look-alikes left out, counts likely low)
    were lost with the terminal; the report is what an analyst passes on."""
    notes = json.loads((run / "run.json").read_text())["notes"]
    assert any(note.startswith("read the clear, valid areas of") for note in notes)
    report = (run / "report.html").read_text()
    assert f"<h2 id='notes'>Notes ({len(notes)})</h2>" in report
    assert all(html.escape(note, quote=True) in report for note in notes)


def test_a_run_resumes_when_its_scenes_are_spelled_another_way(
    run: Path,
    scenes: Path,
    world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same folder given relatively (or through a link) is the same scenes: the run
    resumes instead of taking them for other scenes."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    before = pd.read_csv(copy / "counts.csv")
    (tmp_path / "link").symlink_to(scenes)
    monkeypatch.chdir(tmp_path)
    args = ["run", "link", "--rivers", str(world / "rivers.geojson"), "--out", "run"]
    result = CliRunner().invoke(app, [*args, "--model", str(model), "--no-progress"])
    assert result.exit_code == 1, result.output  # the truncated scene fails again
    assert "resuming run: 3 of 4 scenes already done" in result.output
    pd.testing.assert_frame_equal(pd.read_csv(copy / "counts.csv"), before)
    assert set(pd.read_csv(copy / "manifest.csv")["scene"]) == {
        f"link/{p.name}" for p in scenes.glob("*_AnalyticMS_SR.tif")
    }


@pytest.mark.parametrize("stop_in", ["run_counts", "write_report"])
def test_a_run_stopped_while_writing_its_outputs_leaves_the_earlier_runs_whole(
    run: Path,
    scenes: Path,
    world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stop_in: str,
) -> None:
    """The outputs were written in place one after the other: a run stopped (Ctrl-C, SIGTERM,
    a kill) after its detections left them beside the earlier run's counts, run.json and
    report (here failures.csv said no scene failed, run.json and the report that one did).
    They are made aside and placed together: the earlier run's set stays whole, and the
    command run again makes its own whole."""
    import detector.report
    import detector.run

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    before = {name: (copy / name).read_bytes() for name in RUN_FILES}
    good = sorted(
        p for p in scenes.glob("*_AnalyticMS_SR.tif") if not p.name.startswith("20240101")
    )
    args = ["run", *map(str, good), "--rivers", str(world / "rivers.geojson"), "--no-progress"]
    args += ["--out", str(copy), "--model", str(model)]

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(
            detector.report if stop_in == "write_report" else detector.run, stop_in, stopped
        )
        result = CliRunner().invoke(app, args)
    assert result.exit_code != 0, result.output
    changed = [name for name in RUN_FILES if (copy / name).read_bytes() != before[name]]
    assert not changed, changed
    assert not [p.name for p in copy.rglob("*") if ".tmp-" in p.name or ".partial" in p.name]

    (copy / ".dredge-run.partial").mkdir()  # as a run killed (SIGKILL) while making them leaves
    (copy / ".dredge-run.partial" / "counts.csv").write_text("river,year\n")
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "3 of 3 scenes already done" in again.output
    assert ".dredge-run.partial" not in again.output
    assert not (copy / ".dredge-run.partial").exists()
    assert pd.read_csv(copy / "failures.csv").empty
    ran = json.loads((copy / "run.json").read_text())
    assert len(ran["scenes"]) == 3 and not ran["failures"]
    assert "failed</b>" not in (copy / "report.html").read_text()


def test_outputs_a_killed_run_left_set_aside_are_put_back_by_the_next_run_even_refused(
    run: Path, scenes: Path, world: Path, model: Path, tmp_path: Path
) -> None:
    """Killed (SIGKILL) while it placed its outputs, a run leaves some of the earlier ones set
    aside (`.report.html.tmp-PID.html-old`) and some new ones in place; the next run puts the
    earlier set back first, also when it is then refused (other settings): it was put back
    only by a run that went on to detect, and a refused one left the two runs' files mixed."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    before = {name: (copy / name).read_bytes() for name in RUN_FILES}
    gone = subprocess.Popen(["true"])
    gone.wait()
    for name in ("detections.parquet", "report.html"):  # set aside; the first not yet placed
        suffix = Path(name).suffix
        (copy / name).rename(copy / f".{name}.tmp-{gone.pid}{suffix}-old")
    (copy / "report.html").write_text("<html>the killed run's</html>")
    args = ["run", str(scenes), "--rivers", str(world / "rivers.geojson"), "--no-progress"]
    args += ["--out", str(copy), "--model", str(model), "--conf", "0.9"]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "holds a run made with other settings" in refused.output
    assert {name: (copy / name).read_bytes() for name in RUN_FILES} == before
    assert not [p.name for p in copy.iterdir() if ".tmp-" in p.name]


def test_a_scene_given_another_date_by_its_stac_item_is_detected_again_on_resume(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> None:
    """A STAC search saved again with a corrected `datetime` (or scenes run from a folder, then
    through STAC items that date them otherwise) resumed with the detections of the old date,
    without a word: on 3 scenes, one item's datetime moved by 10 days, its detections kept
    the old date, where a run made at once on the new search dates them anew. That scene is
    detected again (the others resumed), with one warning."""
    paths = sorted(p for p in scenes.glob("*_AnalyticMS_SR.tif") if "_0000_" not in p.name)
    search = tmp_path / "search.json"

    def save(shifted: int) -> None:
        features = [
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": path.name[:23],
                "geometry": None,
                "properties": {
                    "datetime": f"2024-0{n + 1}-{5 + (shifted if n == 1 else 0):02d}T14:50:00Z"
                },
                "links": [],
                "assets": {"ortho_analytic_4b_sr": {"href": str(path), "roles": ["data"]}},
            }
            for n, path in enumerate(paths)
        ]
        search.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    args = ["run", str(search), "--rivers", str(world / "rivers.geojson")]
    args += ["--model", str(model), "--no-progress", "--conf", "0.05", "--out"]
    save(0)
    first = CliRunner().invoke(app, [*args, str(tmp_path / "out")])
    assert first.exit_code == 0, first.output
    before = gpd.read_parquet(tmp_path / "out" / "detections.parquet")
    moved = before[before["scene"] == paths[1].name]
    assert len(moved) and set(moved["acquired"].dt.day) == {5}
    save(10)
    again = CliRunner().invoke(app, [*args, str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    after = gpd.read_parquet(tmp_path / "out" / "detections.parquet")
    assert set(after.loc[after["scene"] == paths[1].name, "acquired"].dt.day) == {15}
    assert "resuming" in again.output and "2 of 3 scenes already done" in again.output
    assert "1 finished scene is given another date" in " ".join(again.output.split())
    assert len(after) == len(before)
    unchanged = CliRunner().invoke(app, [*args, str(tmp_path / "out")])
    assert "3 of 3 scenes already done" in unchanged.output


def _run_of_two_of_three(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> tuple[list[str], str, str, str]:
    """``dredge run``'s arguments into ``tmp_path/out`` and three readable scenes copied into
    ``tmp_path/planet``, the first two of them run there."""
    folder = tmp_path / "planet"
    folder.mkdir()
    for source in sorted(scenes.glob("*_AnalyticMS_SR.tif")):
        if "_0000_" not in source.name:  # not the truncated one
            shutil.copy(source, folder / source.name)
    first, second, third = (str(path) for path in sorted(folder.iterdir()))
    args = ["run", "--rivers", str(world / "rivers.geojson"), "--model", str(model)]
    args += ["--no-progress", "--out", str(tmp_path / "out")]
    assert CliRunner().invoke(app, [*args, first, second]).exit_code == 0
    return args, first, second, third


def test_a_finished_scene_no_longer_there_stops_the_run_before_any_work(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> None:
    """A run given again (to add a scene, to recount) after one of its finished scenes was
    moved away detected the new scenes, then stopped in tracking with "no such scene file or
    folder — check the --scenes path", an option `dredge run` does not have. It stops before
    any work, naming the scene and the ways on."""
    from detector.run_manifest import MANIFEST_NAME

    args, first, second, third = _run_of_two_of_three(world, scenes, model, tmp_path)
    Path(first).unlink()  # moved to an archive disk
    again = CliRunner().invoke(app, [*args, first, second, third])
    assert again.exit_code == 2, again.output
    line = " ".join(again.output.split())
    assert f"error: {first}: is no longer there" in line and "--scenes" not in line
    assert third not in (tmp_path / "out" / MANIFEST_NAME).read_text()  # nothing detected


@pytest.mark.parametrize("manifest", ["fingerprinted", "earlier"])
def test_a_finished_scene_cut_short_since_is_named_without_an_option_run_lacks(
    world: Path, scenes: Path, model: Path, tmp_path: Path, manifest: str
) -> None:
    """A run given again after one of its finished scenes was written again, cut short (a
    download redone): tracking stopped with "cannot be read (…) — check the --scenes files",
    an option `dredge run` does not have. The file is not the one detected (its size): it is
    detected again and fails as unreadable, saying the file may be cut short or corrupt and
    what to do, and the others complete. A run whose manifest an earlier version wrote (no
    fingerprint) takes the file as detected: tracking stops with one line that says so; the
    scene detected meanwhile is kept for the next run."""
    from detector.run_manifest import MANIFEST_NAME

    args, first, second, third = _run_of_two_of_three(world, scenes, model, tmp_path)
    if manifest == "earlier":
        path = tmp_path / "out" / MANIFEST_NAME
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table.drop(columns="fingerprint").to_csv(path, index=False)
    Path(first).write_bytes(Path(first).read_bytes()[:600])  # downloaded again, cut short
    again = CliRunner().invoke(app, [*args, first, second, third])
    line = " ".join(again.output.split())
    assert "download or export it again" in line and "--scenes" not in line, line
    if manifest == "earlier":
        assert again.exit_code == 2, again.output
        assert f"error: {first}: cannot be read" in line, line
        return
    assert again.exit_code == 1, again.output
    assert f"warning: {first}: changed since it was detected (size" in line
    assert f"error: {first}: is not a readable raster" in line
    failed = pd.read_csv(tmp_path / "out" / "failures.csv")
    assert failed["scene"].tolist() == [first]
    detections = gpd.read_parquet(tmp_path / "out" / "detections.parquet")
    assert Path(first).name not in set(detections["scene"])  # the old file's: dropped


def test_a_finished_scene_replaced_under_its_name_is_detected_again_from_its_new_content(
    world: Path, scenes: Path, model: Path, tmp_path: Path
) -> None:
    """A scene delivered or exported again under the same path after a run: the manifest knew
    it by its path alone, so the resumed run kept the old file's detections without a word and
    never looked at the new one. It is detected again, with one line, and its detections are
    the new file's, in OUT/scenes and in what tracks and counts are made from (none of the old
    file's beside them)."""
    import shapely

    folder = tmp_path / "planet"
    folder.mkdir()
    for source in sorted(scenes.glob("*_AnalyticMS_SR.tif")):
        if "_0000_" not in source.name:  # not the truncated one
            shutil.copy(source, folder / source.name)
    given = [str(path) for path in sorted(folder.iterdir())]
    first, third = Path(given[0]), Path(given[2])
    args = ["run", *given, "--rivers", str(world / "rivers.geojson"), "--model", str(model)]
    args += ["--no-progress", "--out", str(tmp_path / "out")]
    assert CliRunner().invoke(app, args).exit_code == 0
    before = gpd.read_parquet(tmp_path / "out" / "detections.parquet")

    def found(frame: pd.DataFrame, scene: Path) -> list[tuple[str, float]]:
        rows = frame[frame["scene"] == scene.name]
        boxes = shapely.to_wkt(rows.geometry.to_numpy(), rounding_precision=7)
        return sorted(zip(boxes, rows["score"].round(6), strict=True))

    assert found(before, first) != found(before, third) and found(before, third)
    first.write_bytes(third.read_bytes())  # delivered again: the third scene's imagery
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    after = gpd.read_parquet(tmp_path / "out" / "detections.parquet")
    assert found(after, first) == found(before, third)  # the old file's were kept
    line = " ".join(again.output.split())
    assert f"warning: {first}: changed since it was detected (" in line
    assert "2 of 3 scenes already done" in line
    saved = gpd.read_parquet(tmp_path / "out" / "scenes" / f"{first.name}.parquet")
    assert found(saved, first) == found(before, third)
    assert len(after) == len(before) - len(found(before, first)) + len(found(before, third))
    unchanged = CliRunner().invoke(app, args)
    assert "3 of 3 scenes already done" in unchanged.output
    assert "changed since" not in unchanged.output


def test_finished_scenes_are_checked_at_once_on_a_run_of_tens_of_thousands_of_scenes() -> None:
    """The scenes finished before were found by looking each scene up in the list of those to
    detect: quadratic, 12 s before any work on a fresh run of 48,000 scenes (3 s at 24,000).
    The list is now read once (no lookup in it per scene)."""
    from detector.run import _check_finished_scenes_there

    class Watched(list[str]):
        lookups = 0

        def __contains__(self, item: object) -> bool:
            Watched.lookups += 1
            return super().__contains__(item)

    paths = [f"/planet/{n:06d}_3B_AnalyticMS_SR.tif" for n in range(2_000)]
    _check_finished_scenes_there(paths, Watched(paths))  # a fresh run: nothing finished
    finished = [f"https://planet.example/{n:06d}_SR.tif" for n in range(1_000)]
    _check_finished_scenes_there([*finished, *paths[:1_000]], Watched(paths[:1_000]))
    assert Watched.lookups == 0


def test_the_command_recorded_runs_again_as_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run.json's `command` (and the fine-tuned model's card) joined the arguments with spaces:
    `dredge run "Mi unidad/escenas" --out "runs/a b"` was recorded as
    `dredge run Mi unidad/escenas --out runs/a b`, and a signed link's `&` unquoted; pasted
    into a shell, it ran on other paths, or not at all. Now quoted as the shell reads it."""
    import shlex
    import sys

    import detector.cli.training
    import detector.run

    recorded: list[str] = []

    def keep(*args: object, command: str = "", **kwargs: object) -> None:
        recorded.append(command)
        raise SystemExit(0)

    monkeypatch.setattr(detector.run, "run_pipeline", keep)
    monkeypatch.setattr(detector.cli.training, "_train_on_labels", keep)
    link = "https://x.test/a.tif?X-Amz-Credential=k&X-Amz-Signature=s"
    for args in (
        ["run", "Mi unidad/escenas", link, "--rivers", "ríos.gpkg", "--out", "runs/a b"],
        ["train", "mis etiquetas/", "--scenes", "Mi unidad/escenas", "--out", "runs/it's"],
    ):
        monkeypatch.setattr(sys, "argv", ["/usr/bin/dredge", *args])
        CliRunner().invoke(app, args)
        assert shlex.split(recorded[-1]) == ["dredge", *args], recorded[-1]
