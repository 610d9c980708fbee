"""How `dredge train LABELS` cuts labelled tiles into chips and holds out validation tiles:
by place (every date of a 5 km square, the training tiles beside it left out), or by scene
where places are unknown or would keep too much from training, and the split line says why."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.finetune_fixtures import _placed
from tests.label_fixtures import write_yolo_set
from training.labels.table import LabelledTile, scene_of


def test_chips_cut_boxes_at_their_edges_as_the_module_says() -> None:
    """Checked by hand (right as it was): 64 px chips over a 120 px wide tile start at x 0 and
    56 (an eighth overlap, the last ending on the edge); a box in the overlap is in both chips;
    one half inside is kept, clipped, one less than half inside is not; a 1 px sliver is
    widened to 3 px inside the chip; a tile smaller than a chip is padded with black."""
    import numpy as np

    from training.finetune_data import cut_chips
    from training.labels.table import Box

    def chips(width: int, height: int, box: Box) -> dict[str, list[tuple[float, ...]]]:
        pixels = np.full((height, width, 3), 7, np.uint8)
        tile = LabelledTile("t", "s", "l", width, height, [box], pixels=pixels)
        return {
            c.name: [(b.x0, b.y0, b.x1, b.y1) for b in c.tile.boxes] for c in cut_chips(tile, 64, 3)
        }

    overlap = chips(120, 64, Box("dredge", 58, 10, 62, 20))
    assert overlap == {"t__x0_y0": [(58, 10, 62, 20)], "t__x56_y0": [(2, 10, 6, 20)]}
    assert chips(120, 64, Box("dredge", 50, 10, 60, 20))["t__x56_y0"] == []  # 4 of 10 px in
    assert chips(120, 64, Box("dredge", 51, 10, 61, 20))["t__x56_y0"] == [(0, 10, 5, 20)]
    assert chips(120, 64, Box("dredge", 63, 10, 65, 20))["t__x0_y0"] == [(61, 10, 64, 20)]
    small = cut_chips(
        LabelledTile("t", "s", "l", 50, 40, [], pixels=np.full((40, 50, 3), 7, np.uint8)), 64, 3
    )
    assert len(small) == 1 and small[0].tile.pixels is not None
    assert small[0].tile.pixels[39, 49, 0] == 7 and small[0].tile.pixels[40, 50].max() == 0


def test_labels_over_whole_scenes_are_held_out_by_place() -> None:
    """The hold-out was by scene: with one reach labelled on four dates, the held-out date's
    tiles lay where the other dates' tiles trained, the same dredges at the same moorings (on
    the label world's vector labels, 11 of 11 held-out tiles overlapped a training tile):
    the validation score was the training set's. Every date of a held-out place is now held
    out, and training tiles that would overlap it are left out."""
    from training.finetune_data import place_cell, split_tiles

    river = [-73.30 + 0.003 * k for k in range(120)]  # tiles every 330 m along 40 km
    tiles = [_placed(f"2024-0{d}", lon, -3.75) for d in range(1, 5) for lon in river]
    split = split_tiles(tiles, 0.25, seed=0, tile_m=768.0)
    assert split.unit == "place" and split.held_out.startswith("by place: 2 of 9 squares")
    val, train = split.tiles(tiles, "val"), split.tiles(tiles, "train")
    assert val and train and {t.scene for t in val} == {"2024-01", "2024-02", "2024-03", "2024-04"}
    assert not {place_cell(t.place) for t in val if t.place} & {
        place_cell(t.place) for t in train if t.place
    }
    east = {t.place[0] for t in val if t.place}
    nearest = min(abs(t.place[0] - lon) for t in train if t.place for lon in east)
    assert nearest * 111_081 > 768 * 2**0.5  # no training tile overlaps a held-out one
    assert "training tiles beside them left out" in split.held_out


def test_tiles_without_a_place_are_held_out_by_scene_and_the_split_says_so() -> None:
    from training.finetune_data import split_tiles

    unplaced = [LabelledTile(f"t{k}", f"scene{k % 4}", "yolo", 64, 64) for k in range(8)]
    split = split_tiles(unplaced, 0.25, seed=0)
    assert split.unit == "scene" and "8 of 8 tiles have no place" in split.held_out
    assert len({t.scene for t in split.tiles(unplaced, "val")}) == 1
    one_square = [_placed(f"scene{k % 4}", -73.3 + 0.001 * k, -3.75) for k in range(8)]
    split = split_tiles(one_square, 0.25, seed=0)
    assert split.unit == "scene" and "one square of 5 km" in split.held_out


def test_tiles_whose_names_say_no_scene_are_named_in_the_split_line() -> None:
    """Tiles exported under names of the analyst's (img_000 … img_007, no tiles.csv) are each
    their own scene: 8 tiles of one scene were held out tile by tile, 2 in val beside 6
    neighbours in train, and the split said "by scene"."""
    from training.finetune_data import split_tiles

    own = [LabelledTile(f"img_{k:03d}", scene_of(f"img_{k:03d}"), "yolo", 64, 64) for k in range(8)]
    split = split_tiles(own, 0.25, seed=0)
    assert split.sides.count("val") == 2 and split.unit == "scene"
    assert "8 of 8 tiles name no scene" in split.held_out
    assert "held out each as its own scene" in split.held_out
    renamed = [LabelledTile("s2_img_000", "img_000", "b", 64, 64)]  # a twin renamed apart
    cut = [LabelledTile(f"20240101_r00{k}_c001", "20240101", "a", 64, 64) for k in range(4)]
    cut += [LabelledTile(f"20240102_w1_{k}", "20240102", "a", 64, 64) for k in range(4)]
    assert "1 of 9 tiles name no scene" in split_tiles(cut + renamed, 0.25, seed=0).held_out
    assert "name no scene" not in split_tiles(cut, 0.25, seed=0).held_out
    assert "name no scene" not in split_tiles(own, 0.0, seed=0).held_out


def test_a_place_hold_out_that_would_take_most_tiles_from_training_is_by_scene() -> None:
    """A reach over two squares of 5 km, labelled on four dates: holding out one square, and
    the training tiles beside it, kept 62 % of the tiles from training for --val-fraction
    0.25 (a small label set mostly lost to validation). Squares are held out until they hold
    the fraction asked; where that still keeps more than half of the tiles (or twice the
    fraction) from training, the hold-out is by scene, and says why."""
    from training.finetune_data import _M_PER_DEGREE, PLACE_CELL_M, split_tiles

    per_metre = 1 / (_M_PER_DEGREE * math.cos(math.radians(-3.75)))
    edge = -1628 * PLACE_CELL_M
    offsets = (-3500.0, -2500.0, -1500.0, -500.0, 500.0, 1500.0, 2500.0, 3500.0)
    tiles = [
        _placed(f"2024-0{d}", (edge + offset) * per_metre, -3.75)
        for d in range(1, 5)
        for offset in offsets
    ]
    split = split_tiles(tiles, 0.25, seed=0, tile_m=1000.0)
    assert split.unit == "scene" and "would have kept 62% of the tiles" in split.held_out
    assert len(split.tiles(tiles, "train")) == 24 and len(split.tiles(tiles, "val")) == 8
    many = split_tiles(tiles, 0.5, seed=0, tile_m=1000.0)  # half asked for: by place
    assert many.unit == "place" and many.held_out.startswith("by place: 1 of 2 squares")


def test_a_short_reach_across_a_squares_edge_still_has_tiles_to_train_on() -> None:
    """A 4.5 km reach labelled on four dates whose tiles straddle a 5 km square's edge: one
    square held out, every tile of the other lay beside it and was left out, and nothing was
    left to train on (by scene, three dates trained). It is held out by scene, and says so."""
    from training.finetune_data import _M_PER_DEGREE, PLACE_CELL_M, split_tiles

    per_metre = 1 / (_M_PER_DEGREE * math.cos(math.radians(-3.75)))
    edge = -1628 * PLACE_CELL_M
    tiles = [
        _placed(f"2024-0{d}", (edge + offset) * per_metre, -3.75)
        for d in range(1, 5)
        for offset in (-1500.0, -500.0, 500.0, 1500.0)
    ]
    split = split_tiles(tiles, 0.25, seed=0, tile_m=640 * 3.0)
    assert split.unit == "scene" and "left no training tile" in split.held_out
    assert len(split.tiles(tiles, "train")) == 12 and len(split.tiles(tiles, "val")) == 4


def test_vector_labels_carry_their_tiles_places(labelled_tiles: list[LabelledTile]) -> None:
    """Tiles cut from labels drawn over whole scenes know where they lie: on the label world,
    the three dates of one reach were split by scene, and each of the 11 held-out tiles
    overlapped a training tile; now none does."""
    from training.finetune_data import split_tiles

    assert all(t.place is not None for t in labelled_tiles)
    # half held out: a quarter of this world's two squares would keep most tiles from training
    split = split_tiles(labelled_tiles, 0.5, seed=0, tile_m=768.0)
    assert split.unit == "place"
    val, train = split.tiles(labelled_tiles, "val"), split.tiles(labelled_tiles, "train")
    assert val and train
    for held in val:
        for t in train:
            assert held.place and t.place
            apart = abs(held.place[0] - t.place[0]) + abs(held.place[1] - t.place[1])
            assert apart * 111_000 > 768  # no training tile at a held-out tile's place


def test_chips_of_dredge_tiles_take_their_place_from_its_index(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    """Chips cut by `dredge tiles` and labelled in CVAT (YOLO, COCO, VOC) had no place: held
    out by scene, other dates of a held-out reach trained. Their tiles.parquet has each
    chip's footprint, read now by chip name."""
    import geopandas as gpd
    import shapely

    from tests.label_fixtures import CLASSES, SPEC
    from training.finetune_data import split_tiles
    from training.labels.classes import ClassMap
    from training.labels.sources import read_label_sets

    folder = write_yolo_set(labelled_tiles, tmp_path / "tiles")
    footprints = [shapely.Point(t.place).buffer(0.003) for t in labelled_tiles if t.place]
    chips = [f"{t.scene}/{t.name}.png" for t in labelled_tiles]
    gpd.GeoDataFrame({"chip": chips}, geometry=footprints, crs="EPSG:4326").to_parquet(
        folder / "tiles.parquet"
    )
    (tiles,) = [s.tiles for s in read_label_sets([folder], ClassMap(CLASSES), SPEC)]
    want = {t.name: t.place for t in labelled_tiles}
    assert all(t.place == pytest.approx(want[t.name]) for t in tiles)
    assert "squares of 5 km" in split_tiles(tiles, 0.25, seed=0, tile_m=768.0).held_out


def test_squares_are_held_out_by_their_share_of_the_tiles() -> None:
    """As the module says (it said round(val_fraction × squares) were held out: here two of
    four squares, of 10 tiles of 45, for 0.25)."""
    from training.finetune_data import _draw_by_tiles

    cells = ["a"] * 30 + ["b"] * 5 + ["c"] * 5 + ["d"] * 5
    drawn = _draw_by_tiles(cells, 0.25, seed=2)
    assert sorted(c for c, side in drawn.items() if side == "val") == ["c", "d"]
    for seed in range(20):
        held = [c for c, side in _draw_by_tiles(cells, 0.25, seed).items() if side == "val"]
        assert 1 <= len(held) < 4
        assert held == ["a"] or sum(cells.count(c) for c in held) <= 0.25 * len(cells) + 2.5


def test_one_training_tile_beside_the_held_out_place_is_named_singular(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'1 training tile(s) beside them left out': the singular now. Four squares in a row, the
    first held out; of the second, one tile lies 500 m from a held-out one."""
    import training.finetune_data as finetune_data

    lat = -3.75
    per_m = 1 / (finetune_data._M_PER_DEGREE * math.cos(math.radians(lat)))
    start = math.floor(-73.3 / per_m / 5000) * 5000  # a square's west edge, in metres
    offsets = [(0, 2400), (0, 2500), (0, 4800), (1, 300), (1, 2500), (1, 2600)]
    offsets += [(k, m) for k in (2, 3) for m in (2400, 2500, 2600)]
    tiles = [_placed("2024-01", (start + 5000 * k + m) * per_m, lat) for k, m in offsets]
    first = finetune_data.place_cell(tiles[0].place or (0.0, 0.0))

    def held_out_first(cells: list[str], val_fraction: float, seed: int) -> dict[str, str]:
        return {cell: "val" if cell == first else "train" for cell in cells}

    monkeypatch.setattr(finetune_data, "_draw_by_tiles", held_out_first)
    split = finetune_data.split_tiles(tiles, 0.25, seed=0, tile_m=768.0)
    assert split.unit == "place", split.held_out
    assert split.held_out.endswith("; 1 training tile beside them left out")
