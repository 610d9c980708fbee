"""The train/val split of `dredge train LABELS`: places held out in metres alike in every
direction, at any latitude."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from detector.errors import DredgeError
from training.finetune_data import (
    Split,
    _beside_held_out,
    place_cell,
    split_tiles,
    write_chip_dataset,
)
from training.labels.table import Box, LabelledTile

# (lon, lat) of a place, and its UTM zone: the Klondike's dredge fields and Madre de Dios
PLACES = ((-139.4, 64.05, "EPSG:32607"), (-69.9, -12.6, "EPSG:32719"))
TILE_M = 768.0  # 64 px at 12 m


def _transformers(utm: str) -> tuple[Transformer, Transformer]:
    to_lonlat = Transformer.from_crs(utm, "EPSG:4326", always_xy=True)
    return to_lonlat, Transformer.from_crs("EPSG:4326", utm, always_xy=True)


@pytest.mark.parametrize(("lon", "lat", "utm"), PLACES)
def test_a_training_tile_overlapping_a_held_out_one_is_left_out_at_any_latitude(
    lon: float, lat: float, utm: str
) -> None:
    """East–west was scaled at each point's own latitude, which shears the plane: a training
    tile 700 m north and 700 m east of a held-out one (990 m away, the two 768 m tiles
    overlapping) was 2.3 km from it at 64.05° N, 139.4° W, and one 700 m north and west
    1.13 km at 12.6° S, 69.9° W (the reach is 1.09 km): both kept, the held-out score
    counting tiles the model saw. Of 300 tiles scattered over 15 km, training tiles
    overlapping a held-out one were kept 95 times over seeds 0–9 at the first place, and 4 at
    the second; none now."""
    to_lonlat, to_utm = _transformers(utm)
    x0, y0 = to_utm.transform(lon, lat)
    held = to_lonlat.transform(x0, y0)
    for east in (-700.0, 700.0):
        beside = to_lonlat.transform(x0 + east, y0 + 700.0)
        assert _beside_held_out([held, beside], ["val", "train"], TILE_M * 2**0.5) == [1]
    far = to_lonlat.transform(x0 + 800.0, y0 + 800.0)  # 1131 m away: beyond the reach
    assert _beside_held_out([held, far], ["val", "train"], TILE_M * 2**0.5) == []
    rng = np.random.default_rng(0)
    x, y = x0 + rng.uniform(0, 15_000, 300), y0 + rng.uniform(0, 15_000, 300)
    lons, lats = to_lonlat.transform(x, y)
    tiles = [
        LabelledTile(f"t{k}", f"2024-0{k % 3 + 1}", "labels.gpkg", 64, 64, place=(a, b))
        for k, (a, b) in enumerate(zip(lons, lats, strict=True))
    ]
    overlapping = 0
    for seed in range(10):
        split = split_tiles(tiles, 0.25, seed=seed, tile_m=TILE_M)
        assert split.unit == "place", split.held_out
        val = np.array([to_utm.transform(*t.place) for t in split.tiles(tiles, "val") if t.place])
        for t in split.tiles(tiles, "train"):
            assert t.place
            tx, ty = to_utm.transform(*t.place)
            overlapping += int(
                ((abs(val[:, 0] - tx) < TILE_M) & (abs(val[:, 1] - ty) < TILE_M)).any()
            )
    assert overlapping == 0


def test_the_squares_are_5_km_squares_at_any_latitude() -> None:
    """Points due north of each other, 3.3 km apart in one row of squares, were set 7.2 km
    apart east–west, two squares, at 64° N, 139.4° W (the squares were slanted strips); they
    share a square now, and a row's squares are 5 km wide there too."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    south = (-139.4, 63.985)
    lon, lat, _ = geod.fwd(*south, 0.0, 3300.0)
    assert place_cell(south).split(",")[0] == place_cell((lon, lat)).split(",")[0]
    assert place_cell(south) == place_cell((lon, lat))  # one row too
    lons = -139.4 + np.arange(0.0, 0.6, 0.001)
    columns = np.array([int(place_cell((a, 63.985)).split(",")[0]) for a in lons])
    edges = lons[1:][np.diff(columns) != 0]
    widths = [geod.inv(a, 63.985, b, 63.985)[2] for a, b in itertools.pairwise(edges)]
    assert len(widths) >= 2 and all(abs(w - 5000.0) <= 60.0 for w in widths), widths


def test_label_sets_without_a_single_box_name_themselves_not_the_split(tmp_path: Path) -> None:
    """Label sets whose tiles are all negatives (label files left empty, every class mapped
    to ignore) said 'the training split has no labelled object — … hold out fewer scenes
    (--val-fraction)', which cannot help, without naming the labels."""
    pixels = np.zeros((64, 64, 3), np.uint8)
    tiles = [LabelledTile(f"t{i}", f"s{i}", "review/", 64, 64, [], pixels=pixels) for i in range(4)]
    split = Split(["train", "train", "val", "val"], "scene", "by scene")
    with pytest.raises(DredgeError, match=r"^review/: no box in any of the 4 tiles read"):
        write_chip_dataset(
            tiles, split, tmp_path, ("dredge", "boat"), chip_px=64, bands=3, negatives=1, seed=0
        )
    tiles[2].boxes.append(Box("dredge", 10, 10, 20, 20))  # boxes held out only: the split's
    with pytest.raises(DredgeError, match="the training split has no labelled object"):
        write_chip_dataset(
            tiles, split, tmp_path, ("dredge", "boat"), chip_px=64, bands=3, negatives=1, seed=0
        )
