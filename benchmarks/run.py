"""`make bench`: run every benchmark, each in its own process (so memory figures are its own).

Each benchmark writes its table under benchmarks/results/. Benchmarks that need a synthetic
world share one, generated when first needed with `dredge synth --seed 1 --size small`; the
tracking dedup benchmark uses a full-size one (`--size full`, about half an hour), and the
box-size and colour benchmarks read the worlds and runs that the count benchmark keeps (asked
for alone, the count benchmark runs first). A world that cannot be drawn fails the benchmarks
that need it, and a failed count benchmark the two that read what it keeps (each marked "not
run"); the others run, and the run ends with the ``failed:`` line. Run a subset with
`python -m benchmarks.run tiling_memory synth_speed`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from detector.wording import agree

WORLD, FULL_WORLD, COUNT_WORLDS = "{world}", "{full}", "{counts}"
SYNTH = {
    WORLD: ["--seed", "1", "--size", "small"],
    FULL_WORLD: ["--seed", "1", "--size", "full"],
}
BENCHMARKS: dict[str, list[str]] = {
    "synth_speed": [],
    "tiling_memory": ["--world", WORLD],
    "tracking_scale": [],
    "rivers_scale": [],
    "tracking_dedup": ["--world", FULL_WORLD, "--seed", "1", "2", "3"],
    "revisit_cadence": [],
    # with the bundled model (detector/weights):
    "detection_accuracy": [],
    "detection_speed": ["--world", WORLD],
    "corridor_vs_full": ["--world", WORLD],
    "line_check": ["--worlds", WORLD],
    "dask_scaling": ["--world", WORLD],
    "count_accuracy": ["--worlds", COUNT_WORLDS],
    "hull_size_cue": ["--worlds", COUNT_WORLDS],  # after count_accuracy, which writes them
    "colour_cue": ["--worlds", COUNT_WORLDS],  # likewise
    "detect_memory": [],
    "finetune_style": ["--tiles", "60", "200", "--lr0", "0.0002"],
    "resume_cost": ["--write"],
}
WRITER = {COUNT_WORLDS: "count_accuracy"}  # the benchmark that writes each such folder


def schedule(names: list[str]) -> list[str]:
    """The benchmarks to run, in order: ``count_accuracy`` before the first one that reads the
    worlds and runs it keeps (they live in this run's temporary folder), each once."""
    order: list[str] = []
    for name in names or list(BENCHMARKS):
        if COUNT_WORLDS in BENCHMARKS[name] and "count_accuracy" not in order:
            order.append("count_accuracy")
        if name not in order:
            order.append(name)
    return order


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        named = agree(len(unknown), "unknown benchmark", "unknown benchmarks")
        print(f"{named}: {', '.join(unknown)}; choose from: {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    with tempfile.TemporaryDirectory(prefix="dredge-bench-") as tmp:
        places = {
            WORLD: Path(tmp) / "world",
            FULL_WORLD: Path(tmp) / "world-full",
            COUNT_WORLDS: Path(tmp) / "counts",
        }
        drawn: dict[str, int] = {}  # each shared world's `dredge synth` exit status
        for name in schedule(names):
            for key, synth_args in SYNTH.items():
                if key in BENCHMARKS[name] and key not in drawn:
                    synth = ["synth", "--out", str(places[key]), *synth_args]
                    command = [sys.executable, "-m", "detector.cli", *synth]
                    drawn[key] = subprocess.run(command).returncode
            broken = [drawn[key] for key in SYNTH if key in BENCHMARKS[name] and drawn[key]]
            if broken:  # it failed the run with a traceback, the benchmarks after it not run
                print(
                    f"== {name}: not run: drawing its synthetic world failed (exit {broken[0]})",
                    flush=True,
                )
                failed.append(name)
                continue
            unwritten = [
                WRITER[key]
                for key in WRITER
                if key in BENCHMARKS[name] and name != WRITER[key] and WRITER[key] in failed
            ]
            if unwritten:  # it ran on the missing folder and failed with its own advice
                print(f"== {name}: not run: {unwritten[0]} failed", flush=True)
                failed.append(name)
                continue
            args = BENCHMARKS[name]
            for key, place in places.items():
                args = [a.replace(key, str(place)) for a in args]
            start = time.perf_counter()
            print(f"== {name}", flush=True)
            result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args])
            seconds = time.perf_counter() - start
            print(f"== {name}: exit {result.returncode}, {seconds:.0f} s", flush=True)
            if result.returncode:
                failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
