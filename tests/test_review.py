"""Review export: the least certain detections as tiles whose labels `dredge train` reads back,
from a run's folder or plain `dredge detect` output, one tile for detections near one another
at a scene's edge, and bad detection tables named in one line. `--overwrite` over a corrected
review: test_review_overwrite.py; which scene file the detections are of:
test_review_scenes.py."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests.label_fixtures import CLASSES, SPEC, write_tiny_model
from tests.review_fixtures import write_truth_detections
from training.labels.classes import ClassMap
from training.labels.coco import read_coco
from training.labels.sources import read_label_sets
from training.review import uncertainty_order


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def detections(label_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Truth boxes as if detected: scene file names, scores spread over 0.3–0.95."""
    return write_truth_detections(label_world, tmp_path_factory.mktemp("det"))


def test_order_is_by_closeness_to_one_half() -> None:
    import pandas as pd

    assert uncertainty_order(pd.Series([0.9, 0.52, 0.3, 0.45])) == [1, 3, 2, 0]


def test_export_reads_back_in_yolo_and_coco(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "review"
    result = CliRunner().invoke(
        app,
        ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out", str(out),
         "--count", "4", "--model", str(model)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "4 review tiles" in result.output
    pngs = sorted((out / "images" / "train").glob("*.png"))
    assert len(pngs) == 4
    # LabelImg opens a label file only with a classes.txt beside it
    assert (out / "labels" / "train" / "classes.txt").read_text() == "dredge\nboat\n"
    (yolo,) = read_label_sets([out], ClassMap(CLASSES), SPEC)
    assert yolo.format == "yolo" and len(yolo.tiles) == 4
    assert all(t.boxes for t in yolo.tiles)  # each tile holds at least its detection
    assert all(t.scene.endswith("_AnalyticMS_SR") for t in yolo.tiles)  # from tiles.csv
    coco = {t.name: t for t in read_coco(out / "annotations" / "instances_default.json",
                                         ClassMap(CLASSES))}  # fmt: skip
    for tile in yolo.tiles:
        other = coco[tile.name]
        assert other.scene == tile.scene
        assert [b.class_name for b in other.boxes] == [b.class_name for b in tile.boxes]
        for a, b in zip(other.boxes, tile.boxes, strict=True):
            assert abs(a.x0 - b.x0) < 0.02 and abs(a.y1 - b.y1) < 0.02
    tasks = json.loads((out / "label_studio_tasks.json").read_text())
    assert len(tasks) == 4 and tasks[0]["predictions"][0]["result"][0]["type"] == "rectanglelabels"
    # the most uncertain detection is in the first tile
    first = (out / "tiles.csv").read_text().splitlines()[1].split(",")
    assert 0.45 <= float(first[3]) <= 0.55
    again = CliRunner().invoke(
        app, ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
              str(out), "--model", str(model)],
    )  # fmt: skip
    assert again.exit_code == 2 and "folder is not empty" in again.output


def test_review_tiles_have_a_place_so_train_holds_out_places(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """Review tiles had no place on the map (tiles.csv named only their scene), so `dredge
    train review/` held out by scene: other dates of a held-out tile's reach, the same dredges
    at the same moorings, were in training (on the demo run's 203 review tiles, each of the 40
    held out had a training tile within a tile's width). tiles.csv now gives each tile's centre
    (lon, lat), read back for YOLO and COCO alike, and the split holds out places."""
    from rasterio.warp import transform as warp

    from detector.scene import open_scene

    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "6"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    (yolo,) = read_label_sets([out], ClassMap(CLASSES), SPEC)
    (coco,) = read_label_sets([out / "annotations" / "instances_default.json"],
                              ClassMap(CLASSES), SPEC)  # fmt: skip
    scenes = {p.stem: p for p in (label_world / "scenes").glob("*SR.tif")}
    for tile in yolo.tiles:
        assert tile.place is not None, tile.name
        col, row = (int(v) for v in tile.name.rsplit("_w", 1)[1].split("_"))
        with open_scene(scenes[tile.scene]) as scene:
            grid = scene.grid(SPEC.gsd_m)
            x, y = grid.transform @ (col + tile.width / 2, row + tile.height / 2)
            (lon,), (lat,) = warp(scene.crs, "EPSG:4326", [x], [y])
        assert abs(tile.place[0] - lon) < 1e-5 and abs(tile.place[1] - lat) < 1e-5
    assert {t.name: t.place for t in coco.tiles} == {t.name: t.place for t in yolo.tiles}


def test_an_uncorrected_review_given_as_labels_gets_a_note(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """`dredge train review/` straight after `dredge review` fine-tuned on the model's own
    detections without a word; now a note asks for the corrections first. A tile corrected in
    both YOLO and COCO (an export over them) is a correction: no note."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "3"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    (labels,) = read_label_sets([out], ClassMap(CLASSES), SPEC)
    assert [n for n in labels.notes if "look as `dredge review` wrote them" in n], labels.notes
    label = sorted((out / "labels" / "train").glob("*.txt"))[0]
    label.write_text("")  # judged empty, in YOLO and in COCO
    coco_path = out / "annotations" / "instances_default.json"
    coco = json.loads(coco_path.read_text())
    image = next(i["id"] for i in coco["images"] if Path(i["file_name"]).stem == label.stem)
    coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] != image]
    coco_path.write_text(json.dumps(coco))
    (labels,) = read_label_sets([out], ClassMap(CLASSES), SPEC)
    assert not [n for n in labels.notes if "wrote them" in n], labels.notes


def test_a_label_studio_export_unzipped_over_a_review_folder_is_not_passed_over(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """Label Studio's YOLO export (images/, labels/, classes.txt, notes.json) or its COCO
    export (result.json) unzipped over the review folder: `dredge train review/` read the
    pre-filled labels in labels/train and passed over the corrected ones without a word."""
    from detector.errors import InputError

    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "3"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    image = sorted((out / "images" / "train").glob("*.png"))[0]
    shutil.copy(image, out / "images" / image.name)
    (out / "labels" / f"{image.stem}.txt").write_text("")  # judged: no dredge here
    (out / "notes.json").write_text('{"categories": [], "info": {}}')
    with pytest.raises(InputError, match=re.escape(f"labels/{image.stem}.txt")):
        read_label_sets([out], ClassMap(CLASSES), SPEC)
    (out / "labels" / f"{image.stem}.txt").unlink()
    coco = json.loads((out / "annotations" / "instances_default.json").read_text())
    coco["annotations"] = coco["annotations"][1:]
    (out / "result.json").write_text(json.dumps(coco))  # Label Studio's COCO export
    with pytest.raises(InputError, match=re.escape("result.json")):
        read_label_sets([out], ClassMap(CLASSES), SPEC)
    (out / "result.json").unlink()
    (labels,) = read_label_sets([out], ClassMap(CLASSES), SPEC)  # its own copy: read
    assert len(labels.tiles) == 3


def test_detections_on_other_scenes_are_refused(
    detections: Path, model: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(
        app, ["review", str(detections), "--scenes", str(tmp_path / "empty"), "--out",
              str(tmp_path / "r"), "--model", str(model)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "none of its detections is on the scenes given" in result.output
    assert not (tmp_path / "r").exists()


def test_detections_of_a_run_need_no_scenes_nor_model(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """RUN/detections.parquet: the scenes and the model's card come from RUN/run.json (the
    bundled model's card would cut tiles at another size than the run's model saw)."""
    from detector.card import load_card

    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(detections, run / "detections.parquet")
    scenes = sorted(str(p) for p in (label_world / "scenes").glob("*SR.tif"))
    card = load_card(model, verify=False)
    record = {"scenes": scenes, "model": card.to_dict(), "parameters": {"scene_bands": None}}
    (run / "run.json").write_text(json.dumps(record))
    out = tmp_path / "review"
    args = ["review", str(run / "detections.parquet"), "--out", str(out), "--count", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (yolo,) = read_label_sets([out], ClassMap(CLASSES), SPEC)
    assert card.input.tile_px != 256  # the bundled model's
    assert len(yolo.tiles) == 2 and {t.width for t in yolo.tiles} == {card.input.tile_px}

    (run / "run.json").unlink()
    result = CliRunner().invoke(
        app, [*args[:2], "--out", str(tmp_path / "r2"), "--model", str(model)]
    )
    assert result.exit_code == 2 and "no --scenes given" in result.output


def test_a_run_reviewed_from_another_folder_or_with_another_model(
    detections: Path,
    label_world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """run.json names scenes as given, relative to where `dredge run` was started: from any
    other folder `dredge review` said they were not found. A --model other than the run's cut
    the tiles at its GSD and size without a word (a 1.5 m card cut 3 m detections at 1.5 m)."""
    from detector.card import load_card
    from detector.model import bundled_weights

    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(detections, run / "detections.parquet")
    scenes = sorted(
        str(p.relative_to(label_world.parent)) for p in (label_world / "scenes").glob("*SR.tif")
    )
    card = load_card(model, verify=False)
    record = {
        "cwd": str(label_world.parent),
        "scenes": scenes,
        "model": card.to_dict(),
        "parameters": {"scene_bands": None},
    }
    (run / "run.json").write_text(json.dumps(record))
    manifest = ["scene,name,status,detections,finished,error"]  # as `dredge run` writes it
    manifest += [
        f"{scene},{Path(scene).name},done,1,2024-01-01T00:00:00+00:00," for scene in scenes
    ]
    (run / "manifest.csv").write_text("\n".join(manifest) + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    args = ["review", str(run / "detections.parquet"), "--count", "2"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r1")])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "r2"), "--model", str(bundled_weights())]
    )
    assert result.exit_code == 2
    assert "is not the model of the run whose detections these are" in result.output
    assert "leave --model out" in result.output
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r3"), "--model", str(model)])
    assert result.exit_code == 0, result.output  # the run's own model may be given


def test_detections_at_a_scenes_edge_get_one_tile(
    label_world: Path, model: Path, tmp_path: Path
) -> None:
    """Two detections within the margin of a scene's edge: the second was not 'well inside'
    the first's tile, and got a tile of its own, clamped to the scene: the same window. Both
    were written under one name (tiles.csv and the COCO JSON listing it twice, two Label Studio
    tasks for one image: a correction made in one lost or in conflict with the other). Each
    pre-filled box lies where its detection's polygon is, through the tile's transform."""
    import geopandas as gpd
    import shapely

    from detector.scene import open_scene
    from training.labels.yolo import read_yolo

    scene_path = sorted((label_world / "scenes").glob("*SR.tif"))[0]
    with open_scene(scene_path) as scene:
        grid = scene.grid(SPEC.gsd_m)
        rows = []
        for n, (x, y, score) in enumerate([(4, 30, 0.5), (7, 28, 0.52), (grid.width - 3, 9, 0.54)]):
            (ax, ay), (bx, by) = grid.transform @ (x - 2, y - 2), grid.transform @ (x + 2, y + 2)
            geometry = shapely.box(min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
            rows.append({"detection_id": f"e{n}", "scene": scene_path.name, "score": score,
                         "class_name": "dredge", "geometry": geometry})  # fmt: skip
        frame = gpd.GeoDataFrame(rows, crs=scene.crs).to_crs("EPSG:4326")
    frame.to_parquet(tmp_path / "detections.parquet")
    out = tmp_path / "review"
    args = ["review", str(tmp_path / "detections.parquet"), "--scenes", str(scene_path),
            "--out", str(out), "--model", str(model), "--count", "5"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    chips = [line.split(",")[0] for line in (out / "tiles.csv").read_text().splitlines()[1:]]
    assert len(chips) == len(set(chips)) == 2, chips
    coco = json.loads((out / "annotations" / "instances_default.json").read_text())
    assert len({i["file_name"] for i in coco["images"]}) == len(coco["images"]) == 2
    tasks = json.loads((out / "label_studio_tasks.json").read_text())
    assert len({t["data"]["image"] for t in tasks}) == len(tasks) == 2
    for tile in read_yolo(out, ClassMap(CLASSES)):
        col, row = (int(v) for v in tile.name.rsplit("_w", 1)[1].split("_"))
        for box in tile.boxes:
            cx, cy = col + (box.x0 + box.x1) / 2, row + (box.y0 + box.y1) / 2
            assert min(abs(cx - x) + abs(cy - y) for x, y, _ in [(4, 30, 0), (7, 28, 0),
                       (grid.width - 3, 9, 0)]) < 0.01  # fmt: skip
    assert sum(len(t.boxes) for t in read_yolo(out, ClassMap(CLASSES))) == 3


def test_label_studio_tasks_find_tiles_of_scenes_with_url_characters_in_their_names() -> None:
    """A scene named `escena #1, 50% & A+B.tif`: its tasks' image URLs were written as the
    file name, which Label Studio reads as a URL — `#` cut it (the rest a fragment), `&` split
    its `d=` parameter, `+` became a space and `%20` one: the image did not load."""
    from urllib.parse import parse_qs, urlsplit

    from training.labels.table import Box, LabelledTile
    from training.review_boxes import label_studio_tasks

    names = ["escena #1, 50% & A+B_w0_0", "Escena%20B (copia)_w1_2", "escena ñ 01_w3_4"]
    tiles = [
        LabelledTile(name, "s", "review", 64, 64, [Box("dredge", 1, 2, 30, 40)]) for name in names
    ]
    tasks = label_studio_tasks(tiles, [[0.5]] * 3, "m")
    for name, task in zip(names, tasks, strict=True):
        url = task["data"]["image"]
        assert url.startswith("/data/local-files/?d=")
        # as Label Studio's server reads its `d` parameter (Django's request.GET)
        assert parse_qs(urlsplit(url).query)["d"] == [f"images/train/{name}.png"]
    assert tasks[2]["data"]["image"] == "/data/local-files/?d=images/train/escena ñ 01_w3_4.png"


def test_a_run_folder_given_for_its_detections_names_the_file_in_it(tmp_path: Path) -> None:
    """`dredge review RUN` (the `dredge run` folder, for RUN/detections.parquet) said 'no
    --scenes given, and no run.json of `dredge run` beside it names them' of a folder that
    holds run.json; another folder, 'file not found'."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "detections.parquet").write_bytes(b"")
    (run / "run.json").write_text("{}")
    for given, line in [
        (run, f"{run}: is a folder — give the file in it, {run / 'detections.parquet'}"),
        (tmp_path, f"{tmp_path}: is a folder — give detections.parquet from `dredge detect`"),
    ]:
        result = CliRunner().invoke(app, ["review", str(given), "--out", str(tmp_path / "rv")])
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == f"error: {line}", result.stderr
    assert not (tmp_path / "rv").exists()


def test_detections_lacking_one_column_or_of_one_unknown_class_are_named_singular(
    tmp_path: Path,
) -> None:
    """'lacks column(s) score', 'has class(es) raft': the singular now."""
    import geopandas as gpd
    from shapely import Point

    from detector.errors import InputError
    from training.review import read_detections

    path = tmp_path / "detections.parquet"
    frame = gpd.GeoDataFrame(
        {"scene": ["a.tif"], "class_name": ["raft"]}, geometry=[Point(0, 0)], crs="EPSG:4326"
    )
    frame.to_parquet(path)
    with pytest.raises(InputError, match=r"detections.parquet: lacks column score — give"):
        read_detections(path)
    frame.assign(score=0.9).to_parquet(path)
    model = write_tiny_model(tmp_path / "model")
    scene = tmp_path / "a.tif"
    scene.write_bytes(b"")
    result = CliRunner().invoke(
        app,
        ["review", str(path), "--scenes", str(scene), "--model", str(model),
         "--out", str(tmp_path / "review")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "has class raft that model" in " ".join(result.output.split())
