"""The progress bar (detector.progress): drawn on a terminal, nothing where stderr is not one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests.geo_fixtures import write_rivers, write_scene


def test_a_run_whose_stderr_is_no_terminal_writes_nothing_there_but_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rich's progress bar, transient, still ends with an empty line on a console that is not
    interactive: `dredge tiles` with the bar on (its default) and stderr captured (a log, a
    pipe, a cluster job) wrote one empty line to stderr. On a terminal the bar is drawn."""
    scene = write_scene(tmp_path / "scenes" / "20230715_145012_56_2455_3B_AnalyticMS_SR.tif",
                        width=200, height=200)  # fmt: skip
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": scene.river}, crs=scene.crs)
    args = [str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, ["tiles", *args])
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and "1 chip from 1 scene" in result.stdout
    from rich.console import Console

    from detector.progress import progress_bar

    assert progress_bar(True).disable and progress_bar(False).disable
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    assert not progress_bar(True).disable and progress_bar(False).disable


def test_dredge_synth_and_the_training_bars_write_nothing_where_no_terminal_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The training code drew its own rich bars, on stdout: a piped `dredge synth` printed one
    empty line before its summary, and so did a dataset build's and a recipe's worlds' bars
    (training.dataset, training.train_worlds). They are detector.progress's bar now."""
    world = tmp_path / "w"
    args = ["synth", "--out", str(world), "--seed", "5", "--rivers", "aguaytia", "--years", "2024"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and result.stdout.startswith("wrote 3 scenes of 1 river")
    from detector.inputspec import InputSpec
    from training.dataset import build_yolo_dataset
    from training.train_worlds import make_worlds

    spec = InputSpec(("red", "green", "blue"), gsd_m=3.0, tile_px=256, overlap_px=32)
    shutil.copytree(world, tmp_path / "w2")  # a second (world, river) group to split off
    capsys.readouterr()
    build_yolo_dataset(
        [world, tmp_path / "w2"], tmp_path / "ds", spec, val_fraction=0.5, progress=True
    )
    assert capsys.readouterr() == ("", "")
    drawn: list[object] = []  # two worlds side by side, drawn by nothing: only the bar runs

    def draw(
        _work: object, jobs: list[object], _workers: int, *, done: Any, what: str
    ) -> list[str]:
        for job in jobs:
            drawn.append(job)
            done()
        return ["" for _ in jobs]

    monkeypatch.setattr("training.processes.in_processes", draw)
    monkeypatch.setattr("training.synth.world.workers_that_fit", lambda *_a, **_k: 3)
    make_worlds([1, 2], "small", tmp_path / "worlds", progress=True, workers=3)
    assert len(drawn) == 2
    assert capsys.readouterr() == (
        f"generating 2 training worlds (small) in {tmp_path}/worlds\n",
        "",
    )


@pytest.mark.parametrize("term", ["dumb", "unknown"])
def test_no_bar_on_a_terminal_that_cannot_redraw_a_line(
    monkeypatch: pytest.MonkeyPatch, term: str
) -> None:
    """A terminal of ``TERM=dumb`` (Emacs' shell, some IDE consoles) is not interactive to
    rich: the bar is never drawn there, and it ended with the empty line the bar was turned
    off for on a log file (``\\r\\n`` on stderr, measured on a pseudo-terminal)."""
    from rich.console import Console

    from detector.progress import progress_bar

    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    monkeypatch.setenv("TERM", "xterm")
    assert not progress_bar(True).disable
    monkeypatch.setenv("TERM", term)
    assert progress_bar(True).disable


@pytest.mark.parametrize("variable", ["FORCE_COLOR", "TTY_COMPATIBLE"])
def test_no_bar_in_a_log_of_a_job_that_asks_for_colours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """``FORCE_COLOR=1`` (or rich's ``TTY_COMPATIBLE=1``), set for colours in a CI job or a
    container, made rich take a log file for a terminal: `dredge tiles … 2> log` drew its bar
    into the log, escape codes and all (176 bytes of one scene; about 1.9 kB a second of a
    long run). Whether stderr is a terminal is asked of stderr now."""
    from detector.progress import progress_bar

    monkeypatch.setenv(variable, "1")
    monkeypatch.setenv("TERM", "xterm")
    assert progress_bar(True).disable
    scene = write_scene(tmp_path / "scenes" / "20230715_145012_56_2455_3B_AnalyticMS_SR.tif",
                        width=200, height=200)  # fmt: skip
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": scene.river}, crs=scene.crs)
    args = [str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, ["tiles", *args], env={variable: "1", "TERM": "xterm"})
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and "1 chip from 1 scene" in result.stdout
