"""Fine-tune chips from label folders whose tile names differ only in letter case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detector.errors import DredgeError
from tests.label_fixtures import CLASSES, SPEC, write_yolo_set
from training.finetune_data import Split, write_chip_dataset
from training.labels.classes import ClassMap
from training.labels.sources import read_label_sets
from training.labels.table import Box, LabelledTile


def tile(name: str, seed: int) -> LabelledTile:
    pixels = np.random.default_rng(seed).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    box = Box("dredge", 20.0, 20.0, 30.0, 30.0)
    return LabelledTile(name, name.split("_r")[0], "hand", 64, 64, [box], pixels=pixels)


def chip_names(out: Path) -> list[str]:
    return sorted(path.name for path in out.rglob("*") if path.is_file())


def test_tiles_named_apart_only_by_case_give_chips_apart_case_folded(tmp_path: Path) -> None:
    """`Nanay_r000_c000` in one label folder and `nanay_r000_c000` in another were kept as
    named: their chips (`Nanay_r000_c000__x0_y0.png`, `nanay_…`) one file on a disk that
    ignores case (macOS, Windows), one tile's pixels and boxes written over the other's.
    The second is named apart now (`s2_nanay_r000_c000`)."""
    first = write_yolo_set([tile("Nanay_r000_c000", 1)], tmp_path / "a")
    second = write_yolo_set([tile("nanay_r000_c000", 2)], tmp_path / "b")
    sets = read_label_sets([first, second], ClassMap(CLASSES), SPEC)
    tiles = [t for s in sets for t in s.tiles]
    assert [t.name for t in tiles] == ["Nanay_r000_c000", "s2_nanay_r000_c000"]
    out = tmp_path / "chips"
    split = Split(["train", "train"], "scene", "none held out")
    write_chip_dataset(
        tiles, split, out, CLASSES, chip_px=64, bands=3, negatives=0.0, seed=0
    )  # fmt: skip
    names = chip_names(out / "images") + chip_names(out / "labels")
    assert len(names) == 4 and len({name.casefold() for name in names}) == 4, names


def test_chips_of_one_file_name_are_refused_in_one_line(tmp_path: Path) -> None:
    """Tiles made by hand (not read by read_label_sets) named apart only by case: one line
    before any chip is written (the second tile's chip was written over the first's)."""
    tiles = [tile("Nanay_r000_c000", 1), tile("nanay_r000_c000", 2)]
    split = Split(["train", "train"], "scene", "none held out")
    with pytest.raises(DredgeError) as refused:
        write_chip_dataset(
            tiles, split, tmp_path / "chips", CLASSES, chip_px=64, bands=3, negatives=0.0, seed=0
        )
    message = str(refused.value)
    assert "\n" not in message and message.startswith(
        "tiles Nanay_r000_c000 (hand) and nanay_r000_c000 (hand) give chips of one file name"
    )
    assert not (tmp_path / "chips" / "images").exists()
