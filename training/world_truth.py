"""A synthetic world's truth as :mod:`training.dataset` reads it: the folder's parts
(``dredge synth --out FOLDER``), each scene's truth boxes and river; one clear error for a
part or column that is missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from detector.errors import InputError
from detector.wording import agree

BOX_COLUMNS = ("object_id", "class_name", "visible", "x_min", "y_min", "x_max", "y_max")


def check_world(world: Path) -> None:
    """Raise InputError unless ``world`` looks like a folder written by ``dredge synth``."""
    for part in ("world.json", "rivers.geojson", "scenes", "truth/boxes", "truth/scenes.csv"):
        if not (world / part).exists():
            raise InputError(
                world, f"has no {part}", "give a folder written by `dredge synth --out FOLDER`"
            )


def boxes_path(world: Path, scene_name: str) -> Path:
    """``truth/boxes/<scene>.csv`` of a scene (Planet names: the part before ``_3B_``)."""
    stem = scene_name.rsplit(".", 1)[0]
    for candidate in (stem, stem.split("_3B_")[0]):
        path = world / "truth" / "boxes" / f"{candidate}.csv"
        if path.exists():
            return path
    raise InputError(world, f"has no truth boxes for {scene_name}", "regenerate the world")


def read_boxes(path: Path) -> pd.DataFrame:
    """Read a truth box table; one clear error when a column is missing."""
    frame = pd.read_csv(path)
    missing = [c for c in BOX_COLUMNS if c not in frame.columns]
    if missing:
        columns = agree(len(missing), "column", "columns")
        raise InputError(path, f"lacks {columns} {', '.join(missing)}", "regenerate the world")
    return frame


def scene_rivers(world: Path) -> dict[str, str]:
    """Scene file name → river, from ``truth/scenes.csv``."""
    table = pd.read_csv(world / "truth" / "scenes.csv")
    return {str(s): str(r) for s, r in zip(table["scene"], table["river"], strict=True)}
