"""``dredge run``: scenes to counts in one command, with a corrupt scene among them; its outputs
and report, runs into a folder in use, and runs stopped or killed while writing."""

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
from typer.testing import CliRunner

from detector.chips import failures_writer
from detector.cli import app
from detector.run import RUN_FILES
from tests import run_fixtures
from tests.network import blocked_network

# The module fixtures this module builds for itself (see tests/run_fixtures.py).
world = run_fixtures.world
scenes = run_fixtures.scenes
model = run_fixtures.model


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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
    (out.parent / "stderr.txt").write_text(result.stderr, encoding="utf-8")
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


def test_the_run_notes_go_to_run_json_and_the_report(run: Path) -> None:
    """Notes printed while a run works (scenes read, look-alikes left out, counts likely low)
    were lost with the terminal; the report is what an analyst passes on."""
    notes = json.loads((run / "run.json").read_text())["notes"]
    assert any(note.startswith("read the clear, valid areas of") for note in notes)
    report = (run / "report.html").read_text()
    assert f"<h2 id='notes'>Notes ({len(notes)})</h2>" in report
    assert all(html.escape(note, quote=True) in report for note in notes)


def test_the_tracking_notes_are_printed_as_dredge_track_prints_them(run: Path) -> None:
    """`dredge run` printed the tracker's notes ("read the clear, valid areas of 3 scenes",
    "N boat detections left out of tracking …") without the `note: ` that `dredge track`
    prints before the same lines."""
    stderr = (run.parent / "stderr.txt").read_text(encoding="utf-8").splitlines()
    notes = json.loads((run / "run.json").read_text())["notes"]
    tracked = [note for note in notes if note.startswith("read the clear, valid areas of")]
    assert len(tracked) == 1, notes
    assert f"note: {tracked[0]}" in stderr, stderr
    assert tracked[0] not in stderr, stderr


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
