"""Helpers of the synthetic world tests (test_synth*.py): a one-river world's settings, the first
scene of it with a dredge, and the digest of every file of a folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

from training.synth.scenes import SceneSpec
from training.synth.world import RiverWorld, WorldConfig, build_world

ONE_RIVER = WorldConfig(seed=3, rivers=("Nanay",), years=(2024, 2024))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _first_dredge() -> tuple[RiverWorld, SceneSpec, tuple[float, float, float, float]]:
    """The first scene of ONE_RIVER with a dredge, and an 80 m square around that dredge."""
    river = build_world(ONE_RIVER).rivers[0]
    scene, pose = next(
        (s, river.ground_on(s).dredges[0]) for s in river.scenes if river.ground_on(s).dredges
    )
    return river, scene, (pose.x - 40, pose.y - 40, pose.x + 40, pose.y + 40)
