"""`make bench`: run every benchmark, each in its own process (so memory figures are its own).

Each benchmark writes its table under benchmarks/results/. Benchmarks that need a synthetic
world share one, generated first with `dredge synth --seed 1 --size small`.
Run a subset with `python -m benchmarks.run tiling_memory synth_speed`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORLD = "{world}"
BENCHMARKS: dict[str, list[str]] = {
    "synth_speed": [],
    "tiling_memory": ["--world", WORLD],
    "tracking_scale": [],
    "tracking_dedup": ["--world", WORLD],
    # with the bundled model (detector/weights):
    "detection_accuracy": [],
    "detection_speed": ["--world", WORLD],
    "corridor_vs_full": ["--world", WORLD],
    "dask_scaling": ["--world", WORLD],
    "count_accuracy": [],
    "detect_memory": [],
    "finetune_style": ["--tiles", "60", "200", "--lr0", "0.0002"],
}


def main(names: list[str]) -> int:
    failed = []
    with tempfile.TemporaryDirectory(prefix="dredge-bench-") as tmp:
        world = Path(tmp) / "world"
        for name in names or list(BENCHMARKS):
            args = [a.replace(WORLD, str(world)) for a in BENCHMARKS[name]]
            if WORLD in BENCHMARKS[name] and not world.exists():
                synth = ["synth", "--out", str(world), "--seed", "1", "--size", "small"]
                subprocess.run([sys.executable, "-m", "detector.cli", *synth], check=True)
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
