"""Detections for the review tests (test_review*.py): the label world's truth boxes as if the
model had found them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.label_fixtures import truth_frame


def write_truth_detections(label_world: Path, folder: Path) -> Path:
    """Truth boxes as if detected: scene file names, scores spread over 0.3–0.95, written to
    ``folder/detections.parquet``."""
    frame = truth_frame(label_world)
    names = {p.stem.split("_3B_")[0]: p.name for p in (label_world / "scenes").glob("*SR.tif")}
    frame["scene"] = [names[s] for s in frame["scene"]]
    frame["score"] = np.linspace(0.3, 0.95, len(frame))
    frame["detection_id"] = [f"d{i}" for i in range(len(frame))]
    path = folder / "detections.parquet"
    frame.to_parquet(path)
    return path
