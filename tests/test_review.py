"""Review export: the least certain detections as tiles whose labels `dredge train` reads back."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests.label_fixtures import CLASSES, SPEC, truth_frame, write_tiny_model
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
    frame = truth_frame(label_world)
    names = {p.stem.split("_3B_")[0]: p.name for p in (label_world / "scenes").glob("*SR.tif")}
    frame["scene"] = [names[s] for s in frame["scene"]]
    frame["score"] = np.linspace(0.3, 0.95, len(frame))
    frame["detection_id"] = [f"d{i}" for i in range(len(frame))]
    path = tmp_path_factory.mktemp("det") / "detections.parquet"
    frame.to_parquet(path)
    return path


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


def test_a_runs_scenes_given_by_another_path_or_moved_elsewhere(
    detections: Path,
    label_world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--scenes naming the run's own scenes by another path than run.json's (absolute for a
    relative one) or in the folder they were moved to since: the manifest's names were kept
    for the paths it lists, and the given ones took other names (``scenes_<name>``) that no
    detection has — 'none of its detections is on the scenes given', for the very scenes."""
    import geopandas as gpd
    import pandas as pd

    from detector.card import load_card
    from detector.scene import open_scene

    run = tmp_path / "run"
    run.mkdir()
    frame = gpd.read_parquet(detections)  # with the scenes' dates, as `dredge run` writes it
    dates = {}
    for path in (label_world / "scenes").glob("*SR.tif"):
        with open_scene(path) as scene:
            dates[path.name] = scene.acquired
    frame["acquired"] = [dates[name] for name in frame["scene"]]
    frame.to_parquet(run / "detections.parquet")
    scenes = sorted(
        str(p.relative_to(label_world.parent)) for p in (label_world / "scenes").glob("*SR.tif")
    )
    record = {
        "cwd": str(label_world.parent),
        "scenes": scenes,
        "model": load_card(model, verify=False).to_dict(),
        "parameters": {"scene_bands": None},
    }
    (run / "run.json").write_text(json.dumps(record))
    manifest = ["scene,name,status,detections,finished,error"]
    manifest += [
        f"{scene},{Path(scene).name},done,1,2024-01-01T00:00:00+00:00," for scene in scenes
    ]
    (run / "manifest.csv").write_text("\n".join(manifest) + "\n")
    monkeypatch.chdir(label_world.parent)
    args = ["review", str(run / "detections.parquet"), "--count", "3"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r0")])
    assert result.exit_code == 0, result.output
    given = ["--scenes", str(label_world / "scenes")]  # absolute; run.json's are relative
    result = CliRunner().invoke(app, [*args, *given, "--out", str(tmp_path / "r1")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r1" / "tiles.csv").read_text() == (
        tmp_path / "r0" / "tiles.csv"
    ).read_text()
    moved = tmp_path / "moved" / "scenes"
    shutil.copytree(label_world / "scenes", moved)
    record["cwd"] = str(tmp_path / "gone")  # where the run was started, and its scenes were
    (run / "run.json").write_text(json.dumps(record))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "r2")])
    assert result.exit_code == 2
    assert "not where" in result.output and "give the folder they are in now with --scenes" in (
        result.output
    )
    result = CliRunner().invoke(app, [*args, "--scenes", str(moved), "--out", str(tmp_path / "r2")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r2" / "tiles.csv").read_text() == (
        tmp_path / "r0" / "tiles.csv"
    ).read_text()
    other = tmp_path / "other" / "scenes"  # scenes of the same names elsewhere (another month)
    shutil.copytree(label_world / "scenes", other)
    given = ["--scenes", str(moved), "--scenes", str(other)]
    result = CliRunner().invoke(app, [*args, *given, "--out", str(tmp_path / "r3")])
    assert result.exit_code == 2, result.output  # which of the two was the run's is not known
    assert "which 2 of the scenes given have" in result.output
    assert "it cannot tell which is its — give only the scenes" in result.output
    # the run's scenes were of another month (NICFI quads of one name): these are not them
    frame["acquired"] = frame["acquired"] + pd.Timedelta(days=31)
    frame.to_parquet(run / "detections.parquet")
    result = CliRunner().invoke(app, [*args, "--scenes", str(moved), "--out", str(tmp_path / "r4")])
    assert result.exit_code == 2, result.output
    assert "none of its detections is on the scenes given" in result.output


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


def test_overwrite_keeps_an_analysts_corrections(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """A re-run of review with --overwrite (for more tiles) deleted the corrected labels in
    its folder without a word. Now it replaces only a folder as review wrote it."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "3"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    (out / ".DS_Store").write_bytes(b"\0")  # Finder's, not a correction
    result = CliRunner().invoke(app, [*args[:-1], "4", "--overwrite"])
    assert result.exit_code == 0, result.output  # nothing done in it: replaced
    assert len(list((out / "images" / "train").glob("*.png"))) == 4
    label = sorted((out / "labels" / "train").glob("*.txt"))[0]
    corrected = label.read_text().splitlines()[1:]  # a false box deleted
    label.write_text("".join(f"{line}\n" for line in corrected))
    result = CliRunner().invoke(app, [*args[:-1], "8", "--overwrite"])
    assert result.exit_code == 2
    assert "--overwrite would delete the work done in it" in result.output
    assert f"first: {label.stem}" in result.output
    said = " ".join(result.output.split())
    assert "1 of 4 tiles labelled otherwise" in said and "(s)" not in said and "(es)" not in said
    assert label.read_text().splitlines() == corrected  # kept
    label.unlink()  # a tile judged empty: its label file deleted
    result = CliRunner().invoke(app, [*args[:-1], "8", "--overwrite"])
    assert result.exit_code == 2 and "1 of its files deleted" in result.output
    (out / "labels" / "train" / "notes.xml").write_text("<annotation/>")  # LabelImg's save
    result = CliRunner().invoke(app, [*args[:-1], "8", "--overwrite"])
    assert result.exit_code == 2 and "1 file it did not write" in result.output
    assert (out / "labels" / "train" / "notes.xml").is_file()


def test_overwrite_keeps_corrections_saved_in_both_yolo_and_coco(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """A tile corrected in both formats (CVAT's YOLO and COCO exports unzipped over the
    folder): YOLO and COCO agreed, and `--overwrite` took the folder for one as review wrote
    it and deleted the corrections. A false box deleted, and a box moved, in both."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "3"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    coco_path = out / "annotations" / "instances_default.json"
    pristine = {p: p.read_bytes() for p in [coco_path, *(out / "labels" / "train").glob("*.txt")]}
    for change in ("delete", "move"):
        for path, data in pristine.items():
            path.write_bytes(data)
        coco = json.loads(coco_path.read_text())
        first = coco["annotations"][0]
        image = next(i for i in coco["images"] if i["id"] == first["image_id"])
        label = out / "labels" / "train" / f"{Path(image['file_name']).stem}.txt"
        lines = label.read_text().splitlines()
        x, y, w, h = first["bbox"]
        line = next(n for n, text in enumerate(lines) if
                    abs(float(text.split()[1]) * image["width"] - (x + w / 2)) < 0.01)  # fmt: skip
        if change == "delete":
            del lines[line]
            coco["annotations"] = coco["annotations"][1:]
        else:
            first["bbox"] = [x + 1, y, w, h]
            parts = lines[line].split()
            parts[1] = f"{float(parts[1]) + 1 / image['width']:.6f}"
            lines[line] = " ".join(parts)
        label.write_text("".join(f"{text}\n" for text in lines))
        coco_path.write_text(json.dumps(coco))
        result = CliRunner().invoke(app, [*args[:-1], "4", "--overwrite"])
        assert result.exit_code == 2, (change, result.output)
        assert "--overwrite would delete the work done in it" in result.output
        assert label.read_text().splitlines() == lines  # kept


def test_overwrite_keeps_notes_taken_in_tiles_csv(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """tiles.csv lists the tiles with their detection and score: an analyst keeping track of
    the tiles done in a column of it (Excel) lost it to `--overwrite` without a word."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count", "3"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    index = out / "tiles.csv"
    lines = index.read_text().splitlines()
    noted = [f"{lines[0]},checked"] + [f"{line},yes" for line in lines[1:]]
    index.write_text("".join(f"{line}\n" for line in noted))
    result = CliRunner().invoke(app, [*args[:-1], "4", "--overwrite"])
    assert result.exit_code == 2, result.output
    assert "--overwrite would delete the work done in it" in result.output
    assert "checked" in result.output
    assert index.read_text().splitlines() == noted


def test_overwrite_stopped_while_the_old_folder_is_deleted_keeps_a_whole_review(
    detections: Path,
    label_world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`dredge review --overwrite` deleted the old folder in place, then renamed the new one
    to it: stopped while deleting (Ctrl-C, a kill), the old folder was half deleted and the new
    one removed with its .partial, both lost. The old folder is now renamed aside first."""
    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count"]  # fmt: skip
    assert CliRunner().invoke(app, [*args, "3"]).exit_code == 0
    real_rmtree = shutil.rmtree

    def stopped_half_way(path: Path, *rest: object, **kwargs: object) -> None:
        if Path(path).name.endswith(".partial"):
            return real_rmtree(path, ignore_errors=True)
        for image in sorted(Path(path).rglob("*.png"))[:2]:
            image.unlink()  # the first files deleted, then Ctrl-C
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(shutil, "rmtree", stopped_half_way)
        result = CliRunner().invoke(app, [*args, "4", "--overwrite"])
    assert result.exit_code == 130, result.output  # as Ctrl-C ends a command
    pngs = list((out / "images" / "train").glob("*.png"))
    assert len(pngs) == 4, pngs  # the new review, whole
    assert len(list((out / "labels" / "train").glob("*.txt"))) == 5  # and classes.txt
    result = CliRunner().invoke(app, [*args, "5", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review"]  # nothing left aside


def test_overwrite_keeps_corrections_made_while_the_new_tiles_were_cut(
    detections: Path,
    label_world: Path,
    model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The folder was looked at for an analyst's corrections before the new tiles were cut
    (minutes, for many scenes), and replaced after: a label corrected in the meantime (the old
    review still open in a labelling tool) was deleted without a word. It is looked at again
    just before it is replaced."""
    import training.review as review

    out = tmp_path / "review"
    args = ["review", str(detections), "--scenes", str(label_world / "scenes"), "--out",
            str(out), "--model", str(model), "--count"]  # fmt: skip
    assert CliRunner().invoke(app, [*args, "3"]).exit_code == 0
    label = sorted((out / "labels" / "train").glob("*.txt"))[0]
    corrected = label.read_text().splitlines()[1:]  # a false box deleted
    real = review.write_yolo

    def corrected_meanwhile(*given: object, **kwargs: object) -> object:
        label.write_text("".join(f"{line}\n" for line in corrected))
        return real(*given, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(review, "write_yolo", corrected_meanwhile)
    result = CliRunner().invoke(app, [*args, "4", "--overwrite"])
    assert result.exit_code == 2, result.output
    assert "--overwrite would delete the work done in it" in result.output
    assert label.read_text().splitlines() == corrected  # kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review"]  # no .partial left


def test_label_studio_tasks_find_tiles_of_scenes_with_url_characters_in_their_names() -> None:
    """A scene named `escena #1, 50% & A+B.tif`: its tasks' image URLs were written as the
    file name, which Label Studio reads as a URL — `#` cut it (the rest a fragment), `&` split
    its `d=` parameter, `+` became a space and `%20` one: the image did not load."""
    from urllib.parse import parse_qs, urlsplit

    from training.labels.table import Box, LabelledTile
    from training.review import _label_studio

    names = ["escena #1, 50% & A+B_w0_0", "Escena%20B (copia)_w1_2", "escena ñ 01_w3_4"]
    tiles = [
        LabelledTile(name, "s", "review", 64, 64, [Box("dredge", 1, 2, 30, 40)]) for name in names
    ]
    tasks = _label_studio(tiles, [[0.5]] * 3, "m")
    for name, task in zip(names, tasks, strict=True):
        url = task["data"]["image"]
        assert url.startswith("/data/local-files/?d=")
        # as Label Studio's server reads its `d` parameter (Django's request.GET)
        assert parse_qs(urlsplit(url).query)["d"] == [f"images/train/{name}.png"]
    assert tasks[2]["data"]["image"] == "/data/local-files/?d=images/train/escena ñ 01_w3_4.png"


def test_scenes_on_a_file_system_without_inode_numbers_take_their_own_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the file system gives no file number (``st_ino`` 0: Python's "if non-zero, it
    identifies the file"; FAT and some network shares on Windows), every file looked like the
    same one: the run's scenes given by another path than run.json's (here through a link)
    took one another's names (a.tif took b.tif's, its image cut with the boxes of b). Now
    such files are told apart by their paths, links resolved."""
    import os

    from training.review import _names_from_here

    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for name in ("a.tif", "b.tif"):
        (scenes / name).write_bytes(name.encode())
    (tmp_path / "link").symlink_to(scenes, target_is_directory=True)
    run = tmp_path / "run"
    run.mkdir()
    recorded = [str(tmp_path / "link" / "a.tif"), str(tmp_path / "link" / "b.tif")]
    manifest = ["scene,name,status,detections,finished,error"]
    manifest += [f"{s},{Path(s).name},done,1,2024-01-01T00:00:00+00:00," for s in recorded]
    (run / "manifest.csv").write_text("\n".join(manifest) + "\n")
    given = [str(scenes / "a.tif"), str(scenes / "b.tif")]
    taken, _ = _names_from_here(run / "detections.parquet", {"scenes": recorded}, given)
    assert [taken.get(p) for p in given] == ["a.tif", "b.tif"]  # the same files: their names
    real_stat = Path.stat

    def no_inode(self: Path, **kwargs: bool) -> os.stat_result:
        got = real_stat(self, **kwargs)
        return os.stat_result((got.st_mode, 0, *tuple(got)[2:]))

    monkeypatch.setattr(Path, "stat", no_inode)
    taken, _ = _names_from_here(run / "detections.parquet", {"scenes": recorded}, given)
    assert [taken.get(p) for p in given] == ["a.tif", "b.tif"]  # by their paths, links resolved


def test_a_scene_of_the_same_file_name_in_another_folder_is_not_taken_for_the_detections(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """`dredge detect` output (no run folder) names scenes by file name: given another scene
    of that name (another date's, in another folder), review cut the detections' boxes from
    its image without a word (the label world's first scene's 10 detections as `x.tif`, given
    its third scene as `b/x.tif`: 3 tiles, 10 boxes pre-filled from another date). Given both
    scenes named `x.tif`, it said 'none of its detections is on the scenes given'."""
    import geopandas as gpd

    from detector.scene import open_scene

    first, _, third = sorted((label_world / "scenes").glob("*SR.tif"))
    for folder, scene in (("a", first), ("b", third)):
        (tmp_path / folder).mkdir()
        shutil.copy(scene, tmp_path / folder / "x.tif")
        for sidecar in scene.parent.glob(scene.name.split("_3B_")[0] + "*metadata*"):
            shutil.copy(sidecar, tmp_path / folder / f"x{sidecar.suffix}")  # x.json
    frame = gpd.read_parquet(detections)
    frame = frame[frame["scene"] == first.name].assign(scene="x.tif")
    with open_scene(tmp_path / "a" / "x.tif") as scene:
        frame["acquired"] = scene.acquired
    frame.to_parquet(tmp_path / "d.parquet")
    common = ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "5"]
    result = CliRunner().invoke(
        app, [*common, "--scenes", str(tmp_path / "b" / "x.tif"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2, result.output
    assert re.search(r"b/x\.tif: .* dates it 20\d\d-\d\d-\d\d, while the detections on scene "
                     r"'x\.tif' in d\.parquet are of", result.output), result.output  # fmt: skip
    assert not (tmp_path / "r").exists()
    both = ["--scenes", str(tmp_path / "a" / "x.tif"), "--scenes", str(tmp_path / "b" / "x.tif")]
    result = CliRunner().invoke(app, [*common, *both, "--out", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert "names its scenes by file name (x.tif), which 2 of the scenes given" in result.output
    result = CliRunner().invoke(
        app, [*common, "--scenes", str(tmp_path / "a" / "x.tif"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output


def test_one_of_two_scenes_of_one_file_name_detected_together_is_reviewed_alone(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """`dredge detect a/x.tif b/x.tif` names the two `a_x.tif` and `b_x.tif` (as `dredge run`
    does); review given one of them alone named it `x.tif` and stopped with 'none of its
    detections is on the scenes given': its detections could not be reviewed."""
    import geopandas as gpd
    import pandas as pd

    from detector.scene import open_scene

    first, _, third = sorted((label_world / "scenes").glob("*SR.tif"))
    frame = gpd.read_parquet(detections)
    parts = []
    for folder, scene in (("a", first), ("b", third)):
        (tmp_path / folder).mkdir()
        shutil.copy(scene, tmp_path / folder / "x.tif")
        for sidecar in scene.parent.glob(scene.name.split("_3B_")[0] + "*metadata*"):
            shutil.copy(sidecar, tmp_path / folder / f"x{sidecar.suffix}")
        mine = frame[frame["scene"] == scene.name].assign(scene=f"{folder}_x.tif")
        with open_scene(tmp_path / folder / "x.tif") as opened:
            mine["acquired"] = opened.acquired
        parts.append(mine)
    pd.concat(parts).to_parquet(tmp_path / "d.parquet")
    common = ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "50"]
    for folder in ("a", "b"):
        out = tmp_path / f"r_{folder}"
        given = ["--scenes", str(tmp_path / folder / "x.tif"), "--out", str(out)]
        result = CliRunner().invoke(app, [*common, *given])
        assert result.exit_code == 0, result.output
        rows = (out / "tiles.csv").read_text().splitlines()[1:]
        assert rows and {row.split(",")[1] for row in rows} == {f"{folder}_x"}
    (tmp_path / "c" / "a").mkdir(parents=True)  # another date's x.tif in a folder called a
    shutil.copy(tmp_path / "b" / "x.tif", tmp_path / "c" / "a" / "x.tif")
    shutil.copy(tmp_path / "b" / "x.json", tmp_path / "c" / "a" / "x.json")
    given = ["--scenes", str(tmp_path / "c" / "a" / "x.tif"), "--out", str(tmp_path / "r_c")]
    result = CliRunner().invoke(app, [*common, *given])
    assert result.exit_code == 2, result.output
    assert "none of its detections is on the scenes given" in result.output


@pytest.mark.parametrize(
    ("folder", "exit_code"),
    [
        ("planet_medres_normalized_analytic_2024-03_mosaic", 0),  # the quad of its month
        ("planet_medres_normalized_analytic_2024-03-01_2024-03-31_mosaic", 0),
        ("global_quarterly_2024q1_mosaic", 0),
        ("planet_medres_normalized_analytic_2024-02_mosaic", 2),  # another month's quad
        ("planet_medres_normalized_analytic_2024-04_mosaic", 2),
    ],
)
def test_a_mosaic_quad_dated_within_its_month_is_the_detections_scene(
    detections: Path, label_world: Path, model: Path, tmp_path: Path, folder: str, exit_code: int
) -> None:
    """A NICFI quad's mosaic name dates only the mosaic's first day: `dredge detect --date
    2024-03-16` on the March quad (as `dredge detect` takes it, without a caveat) gave
    detections of 16 March, and review of them with that very quad was refused as 'another
    scene of the same file name' (its name dates it 2024-03-01); another month's quad still is."""
    first = sorted((label_world / "scenes").glob("*SR.tif"))[0]
    (tmp_path / folder).mkdir()
    shutil.copy(first, tmp_path / folder / "x.tif")
    import geopandas as gpd
    import pandas as pd

    frame = gpd.read_parquet(detections)
    frame = frame[frame["scene"] == first.name].assign(scene="x.tif")
    frame["acquired"] = pd.Timestamp("2024-03-16", tz="UTC")
    frame.to_parquet(tmp_path / "d.parquet")
    result = CliRunner().invoke(
        app,
        ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "5",
         "--scenes", str(tmp_path / folder / "x.tif"), "--out", str(tmp_path / "r")],
    )  # fmt: skip
    assert result.exit_code == exit_code, result.output
    if exit_code:
        assert "another scene of the same file name?" in result.output


def test_detections_without_a_date_are_not_refused_for_their_scenes_date(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """Detections whose ``acquired`` is empty (a table typed or exported without dates) tell
    no day to check a scene against: the date check of plain `dredge detect` output stopped
    with a traceback (NaT does not format as a date) on the scene that dates itself."""
    import geopandas as gpd
    import pandas as pd

    first = sorted((label_world / "scenes").glob("*SR.tif"))[0]
    frame = gpd.read_parquet(detections)
    frame = frame[frame["scene"] == first.name]
    frame["acquired"] = pd.NaT
    frame.to_parquet(tmp_path / "d.parquet")
    result = CliRunner().invoke(
        app,
        ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "5",
         "--scenes", str(first), "--out", str(tmp_path / "r")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_detections_dated_by_detect_date_are_reviewed_with_the_same_date(
    detections: Path, label_world: Path, model: Path, tmp_path: Path
) -> None:
    """`dredge detect --date` (or `--dates`) on a scene that dates itself otherwise (its Planet
    name, metadata.json): reviewing the detections was refused as 'another scene of the same
    file name?' with no way past. `dredge review` takes the same --date / --dates, the scene's
    date for that check; another day given is still refused."""
    import geopandas as gpd
    import pandas as pd

    from detector.scene import open_scene

    first = sorted((label_world / "scenes").glob("*SR.tif"))[0]
    with open_scene(first) as scene:
        own = scene.acquired
    assert own is not None
    given = (own + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
    frame = gpd.read_parquet(detections)
    frame = frame[frame["scene"] == first.name]
    frame["acquired"] = pd.Timestamp(given, tz="UTC")
    frame.to_parquet(tmp_path / "d.parquet")
    table = tmp_path / "dates.csv"
    table.write_text(f"scene,date\n{first.name},{given}\n")
    common = ["review", str(tmp_path / "d.parquet"), "--model", str(model), "--count", "5"]
    common += ["--scenes", str(first)]
    refused = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "r0")])
    assert refused.exit_code == 2, refused.output
    assert "--date or --dates" in " ".join(refused.output.split())
    for k, extra in enumerate([["--date", given], ["--dates", str(table)]]):
        result = CliRunner().invoke(app, [*common, *extra, "--out", str(tmp_path / f"r{k + 1}")])
        assert result.exit_code == 0, result.output
    other = (own + pd.Timedelta(days=5)).strftime("%Y-%m-%d")
    result = CliRunner().invoke(app, [*common, "--date", other, "--out", str(tmp_path / "r3")])
    assert result.exit_code == 2, result.output
    assert "the date given dates it" in result.output


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
