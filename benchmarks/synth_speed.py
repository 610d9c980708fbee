"""How long `dredge synth` takes, and how big its worlds are.

Run: `.venv/bin/python -m benchmarks.synth_speed` (or `make bench`); writes
`benchmarks/results/synth.md`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks.report import markdown_table, write_result
from training.synth.world import WorldConfig, write_world


def measure(config: WorldConfig) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "world"
        start = time.perf_counter()
        write_world(config, out)
        seconds = time.perf_counter() - start
        scenes = list((out / "scenes").glob("*_AnalyticMS_SR.tif"))
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        truth = pd.read_csv(out / "truth" / "dredges.csv")
    return {
        "size": config.size,
        "rivers": len(config.rivers),
        "years": f"{config.years[0]}-{config.years[1]}",
        "scenes": len(scenes),
        "dredges": truth["dredge_id"].nunique(),
        "visible appearances": int(truth["visible"].sum()),
        "seconds": round(seconds, 1),
        "s/scene": round(seconds / len(scenes), 2),
        "MB on disk": round(size_mb, 1),
    }


def main() -> None:
    rows = [
        measure(WorldConfig(seed=1, size="small")),
        measure(WorldConfig(seed=1, size="full", rivers=("Nanay",), years=(2024, 2024))),
    ]
    write_result(
        "synth",
        "Synthetic world generation",
        "python -m benchmarks.synth_speed",
        markdown_table(pd.DataFrame(rows)),
    )


if __name__ == "__main__":
    main()
