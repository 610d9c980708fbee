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
