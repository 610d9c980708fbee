"""The detection benchmark's tables: how a world is named."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.detection_accuracy import World


def write_world(path: Path, years: list[int], rivers: list[str]) -> Path:
    """The parts of a `dredge synth` world that the benchmark reads to name it."""
    (path / "truth").mkdir(parents=True)
    config = {"seed": 11, "size": "small", "years": years, "rivers": rivers}
    manifest = {"config": config, "rivers": [{"name": r, "water": "clear"} for r in rivers]}
    (path / "world.json").write_text(json.dumps(manifest))
    (path / "truth" / "dredges.csv").write_text("dredge_id,scene\n")
    (path / "truth" / "scenes.csv").write_text("scene,cloud_cover\n")
    return path


def test_world_label_counts_rivers_in_words(tmp_path: Path) -> None:
    """A world's row said '5 river(s)'; it says '5 rivers', and '1 river' for one."""
    five = World.read(write_world(tmp_path / "five", [2023, 2025], list("ABCDE")))
    one = World.read(write_world(tmp_path / "one", [2024, 2024], ["Nanay"]))
    assert five.label == "seed 11, small, 2023/2025, 5 rivers"
    assert one.label == "seed 11, small, 2024/2024, 1 river"
