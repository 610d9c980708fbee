"""`make bench` (benchmarks/run.py): which benchmarks run, in which order."""

from __future__ import annotations

import subprocess

import pytest

from benchmarks import run


def test_a_benchmark_that_reads_the_count_worlds_runs_after_the_count_benchmark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[str] = []

    def fake_run(command: list[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        ran.append(command[2])
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(run.subprocess, "run", fake_run)
    # hull_size_cue alone read a temporary folder nothing had written, and failed with advice
    # to run count_accuracy into that folder, deleted when the run ended.
    assert run.main(["hull_size_cue", "colour_cue"]) == 0
    assert ran == [
        "benchmarks.count_accuracy",
        "benchmarks.hull_size_cue",
        "benchmarks.colour_cue",
    ]
    ran.clear()
    assert run.main(["hull_size_cue", "count_accuracy", "synth_speed"]) == 0
    assert ran == [
        "benchmarks.count_accuracy",
        "benchmarks.hull_size_cue",
        "benchmarks.synth_speed",
    ]


def test_a_world_that_cannot_be_drawn_fails_its_benchmarks_and_the_others_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dredge synth` failing for the shared world stopped `make bench` with a traceback
    (CalledProcessError), the remaining benchmarks not run; now the benchmarks needing that
    world fail (drawn once, not again for each), the others run, and the run ends with the
    `failed:` line and exit 1."""
    ran: list[str] = []

    def fake_run(command: list[str], check: bool = False) -> subprocess.CompletedProcess[bytes]:
        ran.append(command[2] if command[2] != "detector.cli" else command[3])
        done = subprocess.CompletedProcess(command, 3 if command[2] == "detector.cli" else 0)
        if check:
            done.check_returncode()  # as subprocess.run(..., check=True)
        return done

    monkeypatch.setattr(run.subprocess, "run", fake_run)
    assert run.main(["tiling_memory", "synth_speed", "detection_speed"]) == 1
    assert ran == ["synth", "benchmarks.synth_speed"]
    output = capsys.readouterr().out
    assert "== tiling_memory: not run: drawing its synthetic world failed (exit 3)" in output
    assert output.splitlines()[-1] == "failed: tiling_memory, detection_speed"


def test_a_failed_count_benchmark_leaves_the_benchmarks_reading_its_runs_not_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """hull_size_cue and colour_cue read the worlds and runs that count_accuracy keeps; with
    count_accuracy failed they still ran on its missing output and failed with their own advice
    (to run count_accuracy into a temporary folder deleted when the run ends). Now they are
    marked not run, the others run, and the run exits 1."""
    ran: list[str] = []

    def fake_run(command: list[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        ran.append(command[2])
        return subprocess.CompletedProcess(command, 1 if "count_accuracy" in command[2] else 0)

    monkeypatch.setattr(run.subprocess, "run", fake_run)
    assert run.main(["hull_size_cue", "colour_cue", "synth_speed"]) == 1
    assert ran == ["benchmarks.count_accuracy", "benchmarks.synth_speed"]
    output = capsys.readouterr().out
    assert "== hull_size_cue: not run: count_accuracy failed" in output
    assert "== colour_cue: not run: count_accuracy failed" in output
    assert output.splitlines()[-1] == "failed: count_accuracy, hull_size_cue, colour_cue"
