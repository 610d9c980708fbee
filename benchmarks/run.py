"""`make bench`: run every benchmark; each writes its table under benchmarks/results/."""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = ["benchmarks.synth_speed"]


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        importlib.import_module(name).main()
        print(f"== {name} done in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
