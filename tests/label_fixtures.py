"""Labelled tiles for the label-reader, fine-tuning, evaluation and review tests.

A tiny synthetic world (seed 199, a training seed; one river, one year: three scenes) gives
scenes with exact truth boxes. :func:`truth_frame` turns them into the vector labels an
analyst would draw in QGIS; :func:`write_yolo_set` / :func:`write_coco_set` write tiles in the
other formats, as CVAT or Label Studio would export them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from PIL import Image

from detector.card import ModelCard
from detector.inputspec import InputSpec
from training.labels.coco import coco_dict
from training.labels.table import LabelledTile
from training.labels.yolo import write_yolo
from training.synth.world import WorldConfig, write_world

CLASSES = ("dredge", "boat")
SPEC = InputSpec(("red", "green", "blue"), gsd_m=12.0, tile_px=64, overlap_px=8, scale="display")


def write_label_world(out: Path) -> Path:
    """The tiny world (about 6 s)."""
    write_world(WorldConfig(seed=199, rivers=("Nanay",), years=(2024, 2024)), out, progress=False)
    return out


def truth_frame(world: Path, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Visible truth boxes of every scene as polygons with ``scene`` and ``class_name``."""
    rows = []
    for path in sorted((world / "truth" / "boxes").glob("*.csv")):
        table = pd.read_csv(path)
        for row in table[table["visible"]].itertuples():
            rows.append(
                {
                    "scene": path.stem,
                    "class_name": row.class_name,
                    "geometry": shapely.box(row.x_min, row.y_min, row.x_max, row.y_max),
                }
            )
    scene_crs = json.loads((world / "world.json").read_text())["rivers"][0]["crs"]
    return gpd.GeoDataFrame(rows, crs=scene_crs).to_crs(crs)


def save_tiles(tiles: Sequence[LabelledTile], folder: Path) -> list[Path]:
    """Write the tiles' pixels as PNG files; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for tile in tiles:
        assert tile.pixels is not None
        path = folder / f"{tile.name}.png"
        Image.fromarray(tile.pixels).save(path)
        paths.append(path)
    return paths


def write_yolo_set(tiles: Sequence[LabelledTile], out: Path) -> Path:
    """An ultralytics-layout YOLO folder (images/train, labels/train, data.yaml)."""
    images = save_tiles(tiles, out / "images" / "train")
    write_yolo(tiles, out, CLASSES, images=images, extra={"gsd_m": SPEC.gsd_m})
    return out


def write_coco_set(tiles: Sequence[LabelledTile], out: Path, *, prefix: str = "") -> Path:
    """A CVAT-layout COCO export: annotations/instances_default.json and images/."""
    images = save_tiles(tiles, out / "images")
    data = coco_dict(tiles, [f"{prefix}{p.name}" for p in images], CLASSES)
    for image in data["images"]:
        image.pop("scene")  # CVAT does not write it
    (out / "annotations").mkdir(parents=True, exist_ok=True)
    path = out / "annotations" / "instances_default.json"
    path.write_text(json.dumps(data))
    return path


def voc_xml(tile: LabelledTile, file_name: str, *, size: tuple[int, int] | None = None) -> str:
    """A Pascal VOC annotation of ``tile`` as LabelImg writes it (boxes rounded to pixels by
    LabelImg; here to 0.01 px as CVAT writes them)."""
    width, height = size or (tile.width, tile.height)
    objects = "".join(
        f"<object><name>{box.class_name}</name><pose>Unspecified</pose><truncated>0</truncated>"
        f"<difficult>0</difficult><bndbox><xmin>{box.x0:.2f}</xmin><ymin>{box.y0:.2f}</ymin>"
        f"<xmax>{box.x1:.2f}</xmax><ymax>{box.y1:.2f}</ymax></bndbox></object>"
        for box in tile.boxes
    )
    return (
        f"<annotation><folder>images</folder><filename>{file_name}</filename>"
        f"<path>C:\\Users\\analista\\tiles\\{file_name}</path>"
        "<source><database>Unknown</database></source>"
        f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>"
        f"<segmented>0</segmented>{objects}</annotation>"
    )


def write_voc_set(tiles: Sequence[LabelledTile], out: Path, *, cvat: bool = True) -> Path:
    """A CVAT "PASCAL VOC 1.1" export (Annotations/ + JPEGImages/), or LabelImg's layout (each
    XML beside its image)."""
    images = save_tiles(tiles, out / "JPEGImages" if cvat else out)
    xml_folder = out / "Annotations" if cvat else out
    xml_folder.mkdir(parents=True, exist_ok=True)
    for tile, image in zip(tiles, images, strict=True):
        (xml_folder / f"{image.stem}.xml").write_text(voc_xml(tile, image.name))
    return out


def write_tiny_model(folder: Path) -> Path:
    """An untrained YOLO11n with a card at :data:`SPEC` (12 m, 64 px tiles)."""
    from tests.model_fixtures import write_untrained_model

    weights = write_untrained_model(folder, tile_px=SPEC.tile_px)
    card = ModelCard.describe(weights, name="tiny", classes=CLASSES, input=SPEC)
    card.save(weights.with_name(f"{weights.stem}.card.json"))
    return weights
