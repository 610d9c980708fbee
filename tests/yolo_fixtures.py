"""Helpers of the YOLO label tests (test_labels_yolo*.py): a tile's boxes as sorted tuples, and
a set of one 64 px tile with the given label lines."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from training.labels.table import LabelledTile


def _boxes(tile: LabelledTile) -> list[tuple[str, float, float, float, float]]:
    return sorted((b.class_name, b.x0, b.y0, b.x1, b.y1) for b in tile.boxes)


def _one_tile(tmp_path: Path, lines: str, names: str = "names: [dredge, boat]\n") -> Path:
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(exist_ok=True)
    Image.new("RGB", (64, 64)).save(root / "images" / "a_r001_c002.png")
    (root / "labels" / "a_r001_c002.txt").write_text(lines)
    (root / "data.yaml").write_text(names)
    return root
