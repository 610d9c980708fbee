"""YOLO datasets from synthetic worlds: split by river and world, labels on the truth boxes."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from affine import Affine
from rasterio.windows import Window
from shapely import LineString

from detector.errors import DredgeError, InputError
from detector.inputspec import InputSpec
from detector.scene import open_scene
from tests.geo_fixtures import write_rivers
from training.dataset import (
    CLASSES,
    MIN_BOX_PX,
    DatasetSummary,
    build_yolo_dataset,
    is_ambiguous,
    labels_for_tile,
    split_groups,
)
from training.synth.world import WorldConfig, write_world
from training.world_truth import BOX_COLUMNS

SPEC = InputSpec(("red", "green", "blue"), gsd_m=3.0, tile_px=256, overlap_px=32, scale="display")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dataset") / "w13"
    write_world(WorldConfig(seed=13, rivers=("Nanay", "Cenepa"), years=(2024, 2024)), out)
    return out


@pytest.fixture(scope="module")
def dataset(world: Path, tmp_path_factory: pytest.TempPathFactory) -> DatasetSummary:
    out = tmp_path_factory.mktemp("yolo") / "ds"
    return build_yolo_dataset([world], out, SPEC, val_fraction=0.5, negatives=1.0, progress=False)


def tiles_table(summary: DatasetSummary) -> pd.DataFrame:
    return pd.read_csv(summary.root / "tiles.csv")


def label_path(summary: DatasetSummary, chip: str) -> Path:
    """labels/<split>/<name>.txt of images/<split>/<name>.png."""
    return (summary.root / chip.replace("images/", "labels/", 1)).with_suffix(".txt")


def read_labels(path: Path) -> list[tuple[int, float, float, float, float]]:
    rows = []
    for line in path.read_text().splitlines():
        cls, *values = line.split()
        cx, cy, w, h = (float(v) * SPEC.tile_px for v in values)
        rows.append((int(cls), cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return rows


def test_no_scene_and_no_river_in_both_splits(dataset: DatasetSummary) -> None:
    tiles = tiles_table(dataset)
    by_split = {
        split: set(tiles.loc[tiles["split"] == split, "scene"]) for split in ("train", "val")
    }
    assert by_split["train"] and by_split["val"]
    assert not by_split["train"] & by_split["val"]
    rivers = {split: set(tiles.loc[tiles["split"] == split, "river"]) for split in ("train", "val")}
    assert not rivers["train"] & rivers["val"]
    train, val = dataset.splits["train"], dataset.splits["val"]
    assert not set(train.scenes) & set(val.scenes)
    assert not set(train.groups) & set(val.groups)


def test_labels_fall_on_the_truth_boxes_within_one_pixel(
    dataset: DatasetSummary, world: Path
) -> None:
    """Labels (tile pixels + window offset) against the truth's own scene-pixel boxes."""
    checked = found = 0
    for tile in tiles_table(dataset).itertuples():
        col_off, row_off, size = (int(v) for v in tile.window.split(","))
        stem = tile.scene.split("_3B_")[0]
        truth = pd.read_csv(world / "truth" / "boxes" / f"{stem}.csv")
        truth = truth[truth["class_name"] == "dredge"]
        labels = read_labels(label_path(dataset, tile.chip))
        dredges = [box for cls, *box in labels if cls == 0]
        for x0, y0, x1, y1 in dredges:
            if min(x0, y0) <= 0.01 or max(x1, y1) >= size - 0.01:
                continue  # clipped at the tile's edge: tested on its own below
            scene_box = np.array([x0 + col_off, y0 + row_off, x1 + col_off, y1 + row_off])
            errors = np.abs(
                truth[["col_min", "row_min", "col_max", "row_max"]].to_numpy() - scene_box
            )
            assert errors.max(axis=1).min() <= 1.0, (tile.chip, scene_box)
            checked += 1
        # and the other way round: every visible dredge well inside the tile is labelled
        visible = truth[truth["visible"]]
        inside = visible[
            (visible["col_min"] >= col_off + 2)
            & (visible["row_min"] >= row_off + 2)
            & (visible["col_max"] <= col_off + size - 2)
            & (visible["row_max"] <= row_off + size - 2)
        ]
        found += len(inside)
        assert len(dredges) >= len(inside), tile.chip
    assert checked >= 5 and found >= 5


def test_labels_map_back_onto_the_truth_boxes_in_map_units(
    dataset: DatasetSummary, world: Path
) -> None:
    """Each label neither widened nor clipped, taken from the written YOLO line back through its
    tile's window and the scene's grid to map coordinates, is its truth box to 0.02 px: a
    half-pixel shift (pixel centre for corner) passes the 1 px test above, not this one."""
    checked = 0
    for tile in tiles_table(dataset).itertuples():
        col_off, row_off, size = (int(v) for v in tile.window.split(","))
        stem = tile.scene.split("_3B_")[0]
        truth = pd.read_csv(world / "truth" / "boxes" / f"{stem}.csv")
        with open_scene(world / "scenes" / tile.scene) as scene:
            to_map = scene.grid(SPEC.gsd_m).transform @ Affine.translation(col_off, row_off)
        for cls, x0, y0, x1, y1 in read_labels(label_path(dataset, tile.chip)):
            if min(x1 - x0, y1 - y0) < MIN_BOX_PX + 0.01 or min(x0, y0) < 0.01:
                continue  # widened, or cut by the top or left edge
            if max(x1, y1) > size - 0.01:
                continue  # cut by the right or bottom edge
            (left, top), (right, bottom) = to_map @ (x0, y0), to_map @ (x1, y1)
            same = truth[truth["class_name"] == CLASSES[cls]]
            errors = np.abs(
                same[["x_min", "y_min", "x_max", "y_max"]].to_numpy()
                - np.array([left, bottom, right, top])
            ).max(axis=1)
            assert errors.min() <= 0.02 * SPEC.gsd_m, (tile.chip, errors.min())
            checked += 1
    assert checked >= 10


def test_a_box_cut_by_the_tile_edge_is_clipped_or_left_out() -> None:
    transform = Affine(3.0, 0.0, 1000.0, 0.0, -3.0, 2000.0)  # 64 px tile: x 1000–1192
    boxes = pd.DataFrame(
        [
            # 70 % inside across the right edge (x 1180–1197.14): kept, clipped to col 64
            ("a", "dredge", True, 1180.0, 1900.0, 1180.0 + 12 / 0.7, 1909.0),
            # 30 % inside across the left edge: left out
            ("b", "dredge", True, 1000.0 - 8.4, 1850.0, 1000.0 + 3.6, 1859.0),
            # 1.5 px wide boat, inside: widened about its centre to MIN_BOX_PX
            ("c", "boat", True, 1090.5, 1900.0, 1095.0, 1912.0),
            # under cloud: no label, reported as hidden
            ("d", "dredge", False, 1030.0, 1950.0, 1045.0, 1959.0),
            # outside the tile
            ("e", "dredge", True, 3000.0, 1900.0, 3015.0, 1909.0),
        ],
        columns=["object_id", "class_name", "visible", "x_min", "y_min", "x_max", "y_max"],
    )
    labels, hidden = labels_for_tile(boxes, transform, 64)
    assert len(labels) == 2
    kept, boat = labels
    assert kept.cls == CLASSES.index("dredge")
    assert kept.x0 == pytest.approx(60.0) and kept.x1 == pytest.approx(64.0)
    assert kept.y0 == pytest.approx((2000 - 1909) / 3) and kept.y1 == pytest.approx(100 / 3)
    assert boat.cls == CLASSES.index("boat")
    assert boat.x1 - boat.x0 == pytest.approx(MIN_BOX_PX)
    assert (boat.x0 + boat.x1) / 2 == pytest.approx((1092.75 - 1000) / 3)
    assert boat.y1 - boat.y0 == pytest.approx(4.0)
    assert hidden == [pytest.approx((10.0, 41 / 3, 15.0, 50 / 3))]
    clear = np.ones((64, 64), dtype=bool)
    assert is_ambiguous(clear, hidden)
    assert not is_ambiguous(~clear, hidden)
    assert labels[0].yolo_line(64).startswith("0 0.968750 ")


def test_a_hidden_dredge_on_nodata_at_the_datas_edge_keeps_its_tile_at_another_gsd(
    tmp_path: Path,
) -> None:
    """A dredge hidden because it lies off the scene's data is ambiguous only on pixels with
    data. At another GSD than the scene's, the tiler's quick look (8 times coarser) calls up to
    7 px beyond the data valid, and so clear: the tile was dropped as ambiguous (of the demo
    world's tiles, 1 at 1.5 m, 1 at 2 m and 2 at 4 m; none at its own 3 m)."""
    from training.dataset import _label_scene

    world = tmp_path / "w"
    (world / "scenes").mkdir(parents=True)
    path = world / "scenes" / "edge.tif"
    data = np.full((4, 64, 64), 900, np.uint16)
    data[:, :, 30:] = 0  # nodata from 3 m column 30: 1.5 m column 60
    x0, y0 = 675000.0, 9580000.0
    profile = {"width": 64, "height": 64, "count": 4, "dtype": "uint16", "nodata": 0}
    transform = Affine(3.0, 0.0, x0, 0.0, -3.0, y0)
    with rasterio.open(
        path, "w", driver="GTiff", crs="EPSG:32718", transform=transform, **profile
    ) as dst:
        dst.write(data)
    write_rivers(
        world / "rivers.geojson", {"A": LineString([(x0 + 45, y0), (x0 + 45, y0 - 192)])},
        crs="EPSG:32718",
    )  # fmt: skip
    (world / "truth" / "boxes").mkdir(parents=True)
    # 1.5 m columns 60.2–63.8, rows 10–20: all on nodata, in a quick-look cell with data
    hidden = ("d1", "dredge", False, x0 + 90.3, y0 - 30.0, x0 + 95.7, y0 - 15.0)
    seen = ("d2", "dredge", True, x0 + 30.0, y0 - 90.0, x0 + 45.0, y0 - 80.0)
    pd.DataFrame([hidden, seen], columns=list(BOX_COLUMNS)).to_csv(
        world / "truth" / "boxes" / "edge.csv", index=False
    )
    spec = InputSpec(("red", "green", "blue"), gsd_m=1.5, tile_px=128, scale="display")
    records, ambiguous = _label_scene(world, "w", "A", path, spec)
    assert ambiguous == 0
    assert [len(record.labels) for record in records] == [1]
    with open_scene(path) as scene:  # the hidden dredge is on no pixel with data
        grid = scene.grid(spec.gsd_m)
        assert not scene.read_window(Window(0, 0, 128, 128), spec, grid).valid[10:20, 60:64].any()


def test_negatives_are_kept(dataset: DatasetSummary, world: Path, tmp_path: Path) -> None:
    train, val = dataset.splits["train"], dataset.splits["val"]
    assert train.negative_tiles == min(train.negatives_available, train.positive_tiles) > 0
    assert val.negative_tiles == val.negatives_available > 0
    tiles = tiles_table(dataset)
    empty = tiles[(tiles["dredges"] == 0) & (tiles["boats"] == 0)]
    assert len(empty) == train.negative_tiles + val.negative_tiles
    for chip in empty["chip"].head(3):
        assert (dataset.root / chip).stat().st_size > 0
        assert label_path(dataset, chip).read_text() == ""
    none = build_yolo_dataset(
        [world], tmp_path / "ds", SPEC, val_fraction=0.5, negatives=0.0, progress=False
    )
    assert none.splits["train"].negative_tiles == 0
    assert none.splits["val"].negative_tiles == val.negative_tiles  # val keeps every tile
    assert none.splits["train"].positive_tiles == train.positive_tiles


def test_data_yaml_is_readable_and_matches_the_class_list(dataset: DatasetSummary) -> None:
    data = yaml.safe_load(dataset.data_yaml.read_text())
    classes = yaml.safe_load((REPO / "datasets" / "classes.yaml").read_text())["names"]
    assert data["names"] == classes == dict(enumerate(CLASSES))
    root = Path(data["path"])
    assert root.is_absolute() and root == dataset.root
    for split in ("train", "val"):
        images = sorted((root / data[split]).glob("*.png"))
        assert len(images) == dataset.splits[split].tiles
        labels = sorted((root / "labels" / split).glob("*.txt"))
        assert [p.stem for p in labels] == [p.stem for p in images]
    with (dataset.root / "tiles.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    instances = sum(int(r["dredges"]) for r in rows if r["split"] == "train")
    assert instances == dataset.splits["train"].instances["dredge"] > 0


def test_split_groups_puts_every_river_in_val_and_is_seeded() -> None:
    groups = [(f"w{w}", river) for w in range(4) for river in ("A", "B", "C")]
    split = split_groups(groups, 0.25, seed=0)
    val = [g for g, s in split.items() if s == "val"]
    assert len(val) == 3 and {river for _, river in val} == {"A", "B", "C"}
    assert split == split_groups(list(reversed(groups)), 0.25, seed=0)
    assert split != split_groups(groups, 0.25, seed=1)
    with pytest.raises(DredgeError, match="at least two"):
        split_groups([("w0", "A")], 0.25, seed=0)


def test_a_folder_that_is_not_a_world_gets_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope: has no world\.json — give a folder written by"):
        build_yolo_dataset([tmp_path / "nope"], tmp_path / "out", SPEC, progress=False)


def test_worlds_whose_folders_differ_only_in_case_are_refused(world: Path, tmp_path: Path) -> None:
    """Worlds in `a/Nanay` and `b/nanay` gave chips `Nanay_<tile>.png` and `nanay_<tile>.png`:
    one file on a disk that ignores case (macOS, Windows), one world's chips and labels over
    the other's. Now one line before any chip is cut (no disk here ignores case: the names
    are compared case-folded)."""
    import shutil

    upper = shutil.copytree(world, tmp_path / "a" / "Nanay")
    lower = shutil.copytree(world, tmp_path / "b" / "nanay")
    with pytest.raises(DredgeError, match="world folders need distinct names, in any letter case"):
        build_yolo_dataset([upper, lower], tmp_path / "ds", SPEC, progress=False)
    assert not (tmp_path / "ds").exists()


def test_workers_cut_the_same_dataset(dataset: DatasetSummary, world: Path, tmp_path: Path) -> None:
    """Scenes labelled and cut in two processes give the same chips, labels and table."""
    parallel = build_yolo_dataset(
        [world], tmp_path / "ds", SPEC, val_fraction=0.5, negatives=1.0, progress=False, workers=2
    )
    assert parallel.splits == dataset.splits
    assert (parallel.root / "tiles.csv").read_text() == (dataset.root / "tiles.csv").read_text()
    files = sorted(p.relative_to(dataset.root) for p in dataset.root.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(parallel.root) for p in parallel.root.rglob("*") if p.is_file()
    )
    for name in files:
        if name.suffix in (".png", ".txt"):
            assert (parallel.root / name).read_bytes() == (dataset.root / name).read_bytes(), name


def test_a_bad_scene_in_a_worker_is_one_clear_line(world: Path, tmp_path: Path) -> None:
    """An InputError raised in a chip-cutting process reaches the caller as the same line (the
    error's parts did not survive pickling, and the pool broke with a TypeError)."""
    import shutil

    copy = shutil.copytree(world, tmp_path / "w13")
    missing = sorted((copy / "truth" / "boxes").glob("*.csv"))[-1]
    missing.unlink()
    with pytest.raises(InputError, match=f"has no truth boxes for {missing.stem}"):
        build_yolo_dataset([copy], tmp_path / "ds", SPEC, progress=False, workers=2)


def test_a_build_stopped_while_it_wrote_chips_is_replaced_by_the_next_one(
    dataset: DatasetSummary, world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped (Ctrl-C) while it wrote chips, a build left ``images/`` and ``labels/`` without
    ``summary.json``; the rerun with ``overwrite`` (as every `dredge train --recipe` makes it)
    was refused: "overwrite only replaces a dataset folder (no summary.json)"."""
    import training.dataset as module

    write_scene, calls = module._write_scene, []

    def stopped(*args: object) -> object:
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return write_scene(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "_write_scene", stopped)
    out = tmp_path / "ds"
    with pytest.raises(KeyboardInterrupt):
        build_yolo_dataset([world], out, SPEC, val_fraction=0.5, progress=False, overwrite=True)
    assert (out / "images").is_dir() and not (out / "summary.json").exists()
    monkeypatch.setattr(module, "_write_scene", write_scene)
    again = build_yolo_dataset([world], out, SPEC, val_fraction=0.5, progress=False, overwrite=True)
    assert again.splits == dataset.splits
    assert (out / "tiles.csv").read_text() == (dataset.root / "tiles.csv").read_text()
    # a folder that is no dataset is still never replaced, and a new one needs no overwrite
    other = tmp_path / "mine"
    (other / "images").mkdir(parents=True)
    with pytest.raises(DredgeError, match="overwrite only replaces a dataset folder"):
        build_yolo_dataset([world], other, SPEC, progress=False, overwrite=True)
    assert (other / "images").is_dir()


def test_the_dataset_is_the_same_for_the_worlds_given_in_any_order(
    world: Path, drawn_world: Callable[[WorldConfig, Path], Path], tmp_path: Path
) -> None:
    """The split was the same, but the train negatives were drawn from the tiles in the order
    the worlds were given: 14 of 26 empty train chips differed for two worlds given the other
    way round."""
    other = tmp_path / "w14"
    drawn_world(WorldConfig(seed=14, rivers=("Nanay",), years=(2024, 2024)), other)

    def build(worlds: list[Path], name: str) -> tuple[DatasetSummary, str]:
        summary = build_yolo_dataset(
            worlds, tmp_path / name, SPEC, val_fraction=0.25, negatives=0.5, progress=False
        )
        return summary, (summary.root / "tiles.csv").read_text()

    forward, forward_tiles = build([world, other], "forward")
    backward, backward_tiles = build([other, world], "backward")
    assert forward.splits["train"].negatives_available > forward.splits["train"].negative_tiles
    assert {g.split("/")[0] for g in forward.splits["train"].groups} == {"w13", "w14"}
    assert backward_tiles == forward_tiles
    assert backward.splits == forward.splits and backward.worlds == forward.worlds


def test_val_holds_different_rivers_up_to_every_river() -> None:
    """As the module says (it said every river was in val with several worlds: with two worlds
    of three rivers, 0.25 holds out two groups, of two rivers)."""
    groups = [(w, river) for w in ("w1", "w2") for river in ("A", "B", "C")]
    for fraction, n_val in ((0.25, 2), (0.5, 3), (0.75, 5)):
        val = [g for g, side in split_groups(groups, fraction, seed=0).items() if side == "val"]
        assert len(val) == n_val and len({river for _, river in val}) == min(n_val, 3)


def test_a_truth_table_lacking_one_column_names_it_singular(tmp_path: Path) -> None:
    """'lacks column(s) x0': the singular now."""
    from training.world_truth import read_boxes

    path = tmp_path / "boxes.csv"
    pd.DataFrame({c: [1] for c in BOX_COLUMNS[1:]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=rf"lacks column {BOX_COLUMNS[0]} — regenerate"):
        read_boxes(path)
