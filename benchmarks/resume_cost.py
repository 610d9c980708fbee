"""What a resume of ``dredge run`` reads of its finished scenes to know they are the files detected.

:meth:`detector.run_state.RunState.forget_changed` fingerprints each finished local scene (its
size and a SHA-1 of its first and last 64 KiB). It read those 128 KiB of every scene on each
resume (24,000 scenes: 3 GB on a network disk); a scene whose size and modification time are
those recorded beside its fingerprint (``mtime_ns``) is now not read. This benchmark makes
``--scenes`` fake finished scenes of ``--size`` bytes (random, modified a year ago), records them
as a run does, and times three resumes: with a manifest of an earlier version (no ``mtime_ns``:
every scene read, as every resume was before), the next one, and one after the scenes were
copied (new modification times: every scene read once, its new time recorded).

    .venv/bin/python -m benchmarks.resume_cost --scenes 2000

Writes ``benchmarks/results/resume_cost.md`` (with ``--write``; else prints the table).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import detector.run_manifest
from benchmarks.report import markdown_table, write_result
from detector.run_manifest import MANIFEST_NAME
from detector.run_state import RunState

A_YEAR_AGO_NS = 1_700_000_000 * 10**9


def _fake_run(folder: Path, scenes: int, size: int) -> list[str]:
    """``scenes`` files of ``size`` random bytes, modified a year ago, recorded as finished."""
    (folder / "scenes").mkdir()
    random = np.random.default_rng(1)
    given = [str(folder / "scenes" / f"scene_{n:05d}.tif") for n in range(scenes)]
    for path in given:
        Path(path).write_bytes(random.bytes(size))
        os.utime(path, ns=(A_YEAR_AGO_NS, A_YEAR_AGO_NS))
    state = RunState.open(folder / "run", {"k": 1}, overwrite=False)
    state.name_scenes(given)
    state.start()
    for path in given:
        state.record(path, None, None)
    return given


class _Counting:
    """Counts the files the manifest's fingerprints open and the bytes read from them."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0

    def open(self, path: Any, *args: Any, **kwargs: Any) -> Any:
        self.files += 1
        file = open(path, *args, **kwargs)  # closed by its caller
        read = file.read

        def counted(n: int = -1) -> bytes:
            data = read(n)
            self.bytes += len(data)
            return data

        file.read = counted
        return file


def _resume(out: Path, given: list[str]) -> tuple[float, _Counting]:
    counting = _Counting()
    detector.run_manifest.open = counting.open  # type: ignore[attr-defined]
    try:
        started = time.perf_counter()
        state = RunState.open(out, {"k": 1}, overwrite=False)
        changed, _ = state.forget_changed(given)
        seconds = time.perf_counter() - started
    finally:
        del detector.run_manifest.open  # type: ignore[attr-defined]
    assert not changed
    state.start()  # the manifest written whole, as a run does before its first scene
    return seconds, counting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--size", type=int, default=192 * 1024, help="bytes of each scene")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write results/resume_cost.md")
    args = parser.parse_args()
    rows = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            given = _fake_run(folder, args.scenes, args.size)
            manifest = folder / "run" / MANIFEST_NAME
            table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
            if "mtime_ns" in table.columns:
                table.drop(columns="mtime_ns").to_csv(manifest, index=False)
            runs = [
                ("manifest without mtime_ns (every resume before)", *_resume(folder / "run", given))
            ]
            runs.append(("next resume", *_resume(folder / "run", given)))
            for path in given:  # copied: other times
                os.utime(path, ns=(A_YEAR_AGO_NS + 10**9, A_YEAR_AGO_NS + 10**9))
            runs.append(("scenes copied (new times)", *_resume(folder / "run", given)))
            runs.append(("next resume after the copy", *_resume(folder / "run", given)))
            rows += [(name, s, c.files, c.bytes) for name, s, c in runs]
    frame = pd.DataFrame(rows, columns=["resume", "seconds", "files", "bytes"])
    summary = frame.groupby("resume", sort=False).agg(
        seconds=("seconds", statistics.median), files=("files", "max"), bytes=("bytes", "max")
    )
    summary["seconds"] = summary["seconds"].map(lambda s: f"{s:.3f}")
    summary["files"] = summary["files"].map(lambda n: f"{n:,}")
    summary["MB read"] = summary.pop("bytes").map(lambda n: f"{n / 1e6:.1f}")
    body = (
        f"{args.scenes:,} finished scenes of {args.size:,} bytes on a local disk (page cache "
        f"warm), median of {args.repeats} runs; seconds of `RunState.open` and "
        f"`forget_changed`.\n\n" + markdown_table(summary.reset_index())
    )
    command = f"python -m benchmarks.resume_cost --scenes {args.scenes} --size {args.size}"
    if args.write:
        write_result("resume_cost", "Resume cost of finished scenes", command, body)
    else:
        print(body)


if __name__ == "__main__":
    main()
