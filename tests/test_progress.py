"""The progress bar (detector.progress): drawn on a terminal, nothing where stderr is not one."""

from __future__ import annotations

from pathlib import Path

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
