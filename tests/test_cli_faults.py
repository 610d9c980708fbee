"""An unexpected fault ends with the traceback, one line and exit code 3 (detector.cli.faults)."""

from __future__ import annotations

import errno
import signal
import sys
from pathlib import Path

import pytest

import training.synth.world as world
from detector.cli import main
from detector.cli.faults import FAULT_EXIT, fault_line
from detector.cli.signals import Stopped


class _Failing:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def values(self) -> list[object]:
        raise self.exc


def _main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], exc: BaseException
) -> tuple[int | str | None, str]:
    """Run `dredge synth --list-rivers` with the river catalogue raising ``exc``."""
    monkeypatch.setattr(world, "RIVER_CATALOGUE", _Failing(exc))
    monkeypatch.setattr(sys, "argv", ["dredge", "synth", "--list-rivers"])
    with pytest.raises(SystemExit) as stop:
        main()
    return stop.value.code, capsys.readouterr().err


def test_a_bug_prints_its_traceback_then_one_line_and_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _main(monkeypatch, capsys, RuntimeError("index 7 is out of bounds\nmore"))
    # it was Python's traceback alone and exit code 1, what a run with failed scenes returns
    assert code == FAULT_EXIT == 3
    assert "Traceback (most recent call last)" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(
        "error: dredge stopped on an unexpected fault (RuntimeError: index 7 is out of bounds) "
        "— this is a bug in dredge"
    )
    # what `dredge synth` does when run again (it said `dredge run`'s "goes on from its
    # finished scenes" for every command)
    assert last.endswith("(`dredge synth` draws a half-made world anew when run again)"), last


def test_out_of_memory_says_what_to_change(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _main(monkeypatch, capsys, MemoryError())
    last = err.strip().splitlines()[-1]
    assert code == 3 and last.startswith("error: out of memory — ")
    # what lowers the memory of the command run (it named --workers and --batch for all)
    assert last.endswith("run again with less input at a time") and "--" not in last
    run = fault_line(MemoryError(), "run")
    assert "fewer --workers or a smaller --batch" in run and "finished scenes" in run
    assert "--batch" in fault_line(MemoryError(), "detect")


def test_ordinary_exits_and_ctrl_c_pass_through(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["dredge", "synth", "--list-rivers"])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code in (0, None) and "Nanay" in capsys.readouterr().out
    monkeypatch.setattr(world, "RIVER_CATALOGUE", _Failing(KeyboardInterrupt()))
    with pytest.raises((KeyboardInterrupt, SystemExit)) as interrupted:
        main()
    if isinstance(interrupted.value, SystemExit):  # typer's own Ctrl-C handling: exit 130 / 1
        assert interrupted.value.code != FAULT_EXIT
    assert "unexpected fault" not in capsys.readouterr().err


def test_ctrl_c_says_to_run_the_command_again_as_sigterm_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Typer ends a KeyboardInterrupt with exit code 130 and not a word, while SIGTERM printed
    "stopped by SIGTERM — run the same command again": Ctrl-C said nothing of what to do."""
    code, err = _main(monkeypatch, capsys, KeyboardInterrupt())
    assert code == 128 + signal.SIGINT == 130
    lines = err.strip().splitlines()
    assert lines == [
        "error: stopped by Ctrl-C — run the same command again (`dredge synth` draws a "
        "half-made world anew)"
    ], err


RUN_AGAIN = {
    "run": "(`dredge run` goes on from its finished scenes)",
    "train": "(`dredge train` starts over from the first epoch)",
    "synth": "(`dredge synth` draws a half-made world anew)",
    "track": "(`dredge track` starts over)",
}


@pytest.mark.parametrize("command", list(RUN_AGAIN))
def test_the_stop_and_fault_lines_say_what_running_the_command_again_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Every command said "run the same command again (`dredge run` goes on from its finished
    scenes)" after Ctrl-C or SIGTERM, and on a fault: `dredge train` starts over from its first
    epoch, `dredge synth` draws its half-made world anew. `dredge run` keeps its words."""
    from detector.cli.signals import say_stopped

    monkeypatch.setattr(sys, "argv", ["dredge", command, "--out", "somewhere"])
    say_stopped("SIGTERM")
    line = capsys.readouterr().err.strip()
    assert line == f"error: stopped by SIGTERM — run the same command again {RUN_AGAIN[command]}"
    fault = fault_line(RuntimeError("boom"), command)
    assert fault.endswith(f"{RUN_AGAIN[command][:-1]} when run again)"), fault
    if command != "run":
        assert "finished scenes" not in line + fault


def test_dredge_train_stopped_by_ctrl_c_says_it_starts_over(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`dredge train` (the recipe) stopped by Ctrl-C told to run it again as `dredge run` goes
    on from its finished scenes; a training is not resumed."""
    import training.train

    def interrupted(out: Path, **_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(training.train, "train_default", interrupted)
    monkeypatch.setattr(sys, "argv", ["dredge", "train", "--out", str(tmp_path / "t")])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: stopped by Ctrl-C — run the same command again (`dredge train` starts over "
        "from the first epoch)"
    )


class _ClosedPipe:
    """A stderr whose reader went away: every write raises BrokenPipeError."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize(
    "stop", [KeyboardInterrupt(), Stopped(signal.SIGTERM)], ids=["ctrl-c", "sigterm"]
)
def test_stopped_with_stderr_gone_keeps_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, stop: BaseException
) -> None:
    """`dredge run … 2>&1 | tee log` and Ctrl-C: the same Ctrl-C stops tee, and writing the
    'stopped by Ctrl-C' line raised BrokenPipeError, which ended the command with exit code 1
    (what a command with some inputs failed returns) in place of 130 (143 for SIGTERM)."""
    monkeypatch.setattr(world, "RIVER_CATALOGUE", _Failing(stop))
    monkeypatch.setattr(sys, "argv", ["dredge", "synth", "--list-rivers"])
    monkeypatch.setattr(sys, "stderr", _ClosedPipe())
    with pytest.raises(SystemExit) as ended:
        main()
    number = signal.SIGINT if isinstance(stop, KeyboardInterrupt) else signal.SIGTERM
    assert ended.value.code == 128 + number


@pytest.mark.parametrize("command", ["run", "detect", "train"])
def test_out_of_memory_names_only_what_the_command_takes(command: str) -> None:
    """The line for `dredge train` said "a smaller batch=" while train refused it ("batch=…
    cannot be set as key=value; use the command's options"); batch= is train's own now."""
    import re

    from typer.testing import CliRunner

    from detector.cli import app
    from training.finetune_config import RESERVED_KEYS

    line = fault_line(MemoryError(), command)
    help_text = CliRunner().invoke(app, [command, "--help"], terminal_width=200).output
    for option in re.findall(r"--[a-z-]+", line):
        assert option in help_text, (option, line)
    assert not any(f"{key}=" in line for key in RESERVED_KEYS), line


def test_a_value_error_inside_dredge_run_is_a_fault_not_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`dredge run` turned every ValueError into one 'error:' line and exit 2, with no
    traceback: a bug raising one (numpy's 'operands could not be broadcast') read as bad input.
    Only the tool's own errors are one line now (values out of range, bad band names: a
    UsageError); anything else is the fault line, its traceback and exit 3."""
    import detector.run

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")

    monkeypatch.setattr(detector.run, "run_pipeline", broken)
    args = ["dredge", "run", str(tmp_path), "--rivers", str(tmp_path / "r.geojson")]
    args += ["--out", str(tmp_path / "out")]
    monkeypatch.setattr(sys, "argv", args)
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == FAULT_EXIT, err
    assert "Traceback (most recent call last)" in err
    assert "unexpected fault (ValueError: operands could not be broadcast" in err
    for option, line in [
        (["--scene-bands", "red,red"], "error: band name red given twice in 'red,red'"),
        (["--conf", "2"], "error: --conf must be between 0 and 1, got 2.0"),
    ]:
        monkeypatch.setattr(sys, "argv", [*args, *option])
        with pytest.raises(SystemExit) as stop:
            main()
        err = capsys.readouterr().err
        assert stop.value.code == 2, err
        assert err.strip() == line and "Traceback" not in err


def _exit_and_err(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> tuple[int | str | None, str]:
    monkeypatch.setattr(sys, "argv", ["dredge", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    return stop.value.code, capsys.readouterr().err


def _bad_input_is_one_line_and_a_bug_a_fault(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    broken: str,
    bad_input: list[tuple[list[str], str]],
) -> None:
    """Each of ``bad_input`` (options added to ``args``, and the line they give) is that one
    line, exit 2; a ValueError raised inside ``broken`` is a fault: its traceback, FAULT_EXIT."""
    for option, line in bad_input:
        code, err = _exit_and_err(monkeypatch, capsys, [*args, *option])
        assert code == 2 and err.strip() == line, err

    def broken_call(*args: object, **kwargs: object) -> None:
        raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")

    monkeypatch.setattr(broken, broken_call)
    code, err = _exit_and_err(monkeypatch, capsys, args)
    assert code == FAULT_EXIT, err
    assert "Traceback (most recent call last)" in err
    assert "unexpected fault (ValueError: operands could not be broadcast" in err


@pytest.mark.parametrize(
    ("command", "broken", "bad_input"),
    [
        (
            "detect",
            "detector.detect.output_format",
            [
                (["--conf", "2"], "error: --conf must be between 0 and 1, got 2.0"),
                (["--scene-bands", "red,red"], "error: band name red given twice in 'red,red'"),
            ],
        ),
        (
            "tiles",
            "detector.chips.check_format",
            [
                (["--bands", "red,red"], "error: band name red given twice in 'red,red'"),
                (["--format", "jpg"], "error: --format must be one of png, tif, got 'jpg'"),
            ],
        ),
        (
            "review",
            "training.review.export_review",
            [(["--scene-bands", "red,red"], "error: band name red given twice in 'red,red'")],
        ),
    ],
)
def test_a_value_error_inside_detect_tiles_or_review_is_a_fault_not_bad_input(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    command: str,
    broken: str,
    bad_input: list[tuple[list[str], str]],
) -> None:
    """`dredge detect`, `tiles` and `review` turned every ValueError into one 'error:' line and
    exit 2, as `dredge run` did: a bug raising one read as bad input. The tool's own value
    checks stay one line, exit 2 (a UsageError)."""
    if command == "review":
        args = ["review", str(tmp_path / "d.parquet"), "--out", str(tmp_path / "review")]
    else:
        args = [command, str(tmp_path), "--rivers", str(tmp_path / "r.geojson")]
        args += ["--out", str(tmp_path / ("d.parquet" if command == "detect" else "out"))]
    _bad_input_is_one_line_and_a_bug_a_fault(monkeypatch, capsys, args, broken, bad_input)


@pytest.mark.parametrize(
    ("args", "broken", "bad_input"),
    [
        (
            ["counts", "{tmp}/tracks.parquet", "--out", "{tmp}/c.csv"],
            "detector.track_pipeline.run_counts",
            [(["--format", "xml"], "error: unknown format 'xml'; use one of csv, json")],
        ),
        (
            ["train", "{tmp}/labels", "--out", "{tmp}/train"],
            "training.finetune.finetune",
            [
                (["--imgsz", "33"], "error: --imgsz must be a multiple of 32 (≥ 32), got 33"),
                (["--scene-bands", "red,red"], "error: band name red given twice in 'red,red'"),
            ],
        ),
        (
            ["evaluate", "bundled", "{tmp}/labels", "--out", "{tmp}/evaluation"],
            "training.evaluate_run.run_evaluation",
            [
                (["--iou", "50"], "error: --iou must be in (0, 1], got 50.0"),
                (["--scene-bands", "red,red"], "error: band name red given twice in 'red,red'"),
            ],
        ),
        (
            ["demo", "--out", "{tmp}/demo"],
            "detector.demo.run_demo",
            [(["--seed", "-1"], "error: --seed -1 is negative; give a whole number ≥ 0")],
        ),
    ],
)
def test_a_value_error_inside_counts_train_evaluate_or_demo_is_a_fault_not_bad_input(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    args: list[str],
    broken: str,
    bad_input: list[tuple[list[str], str]],
) -> None:
    """`dredge counts`, `train`, `evaluate` and `demo` still turned every ValueError into one
    'error:' line and exit 2, as `dredge run`, `detect`, `tiles` and `review` did: a bug raising
    one read as bad input. The tool's own value checks stay one line, exit 2."""
    args = [arg.format(tmp=tmp_path) for arg in args]
    _bad_input_is_one_line_and_a_bug_a_fault(monkeypatch, capsys, args, broken, bad_input)


def test_a_closed_output_pipe_ends_as_sigpipe_would(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dredge counts TRACKS | head -1`, `dredge run … | head`: the reader gone, the command
    ended with exit code 1, what a run with some scenes failed returns (`dredge run` stopped
    after head's lines, without a word, exit 1). Now 141 (128 + SIGPIPE), as a process killed
    by the signal, still without a word."""
    monkeypatch.setattr(sys, "stdout", sys.stdout)  # typer swaps in a wrapper that stays quiet
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    code, err = _main(monkeypatch, capsys, BrokenPipeError(errno.EPIPE, "Broken pipe"))
    assert code == 128 + signal.SIGPIPE == 141
    assert err == ""
