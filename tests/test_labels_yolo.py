"""YOLO label folders: read back exactly what was written, negatives kept, bad lines named."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from detector.errors import InputError
from tests.label_fixtures import CLASSES, SPEC, write_yolo_set
from training.labels.classes import ClassMap
from training.labels.sources import label_format, read_label_sets
from training.labels.table import Box, LabelledTile, scene_of
from training.labels.yolo import read_yolo


def _boxes(tile: LabelledTile) -> list[tuple[str, float, float, float, float]]:
    return sorted((b.class_name, b.x0, b.y0, b.x1, b.y1) for b in tile.boxes)


def test_round_trip_keeps_boxes_negatives_and_scenes(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    folder = write_yolo_set(labelled_tiles, tmp_path / "yolo")
    assert label_format(folder) == "yolo" and label_format(folder / "data.yaml") == "yolo"
    tiles = {t.name: t for t in read_yolo(folder, ClassMap(CLASSES), gsd_m=SPEC.gsd_m)}
    assert set(tiles) == {t.name for t in labelled_tiles}
    assert any(not t.boxes for t in tiles.values())  # negatives kept
    for original in labelled_tiles:
        read = tiles[original.name]
        assert read.scene == original.scene == scene_of(original.name)
        assert read.width == read.height == SPEC.tile_px
        for a, b in zip(_boxes(read), _boxes(original), strict=True):
            assert a[0] == b[0]
            assert all(abs(x - y) < 1e-3 for x, y in zip(a[1:], b[1:], strict=True))
        assert (read.read(3) == original.pixels).all()


def _one_tile(tmp_path: Path, lines: str, names: str = "names: [dredge, boat]\n") -> Path:
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(exist_ok=True)
    Image.new("RGB", (64, 64)).save(root / "images" / "a_r001_c002.png")
    (root / "labels" / "a_r001_c002.txt").write_text(lines)
    (root / "data.yaml").write_text(names)
    return root


def test_a_line_with_six_numbers_names_the_file_and_line(tmp_path: Path) -> None:
    root = _one_tile(tmp_path, "0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1 0.1 0.87\n")
    with pytest.raises(InputError) as error:
        read_yolo(root, ClassMap(CLASSES))
    message = str(error.value)
    assert "a_r001_c002.txt: line 2 has 6 numbers, not 5" in message
    assert "confidence score" in message and "\n" not in message


def test_unknown_class_lists_the_models_classes(tmp_path: Path) -> None:
    root = _one_tile(tmp_path, "1 0.5 0.5 0.1 0.1\n", names="names: {0: dredge, 1: barge}\n")
    with pytest.raises(InputError, match=r"line 1: class 'barge' is not one of the model's "):
        read_yolo(root, ClassMap(CLASSES))
    tiles = read_yolo(root, ClassMap(CLASSES, {"barge": "dredge"}))
    assert [b.class_name for b in tiles[0].boxes] == ["dredge"]
    assert read_yolo(root, ClassMap(CLASSES, {"barge": "ignore"}))[0].boxes == []


def test_missing_label_file_is_a_negative_and_names_come_from_classes_txt(
    tmp_path: Path,
) -> None:
    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n", names="")
    (root / "data.yaml").unlink()
    (root / "classes.txt").write_text("Dredge\nboat\n")
    Image.new("RGB", (64, 64)).save(root / "images" / "b.png")
    tiles = {t.name: t for t in read_yolo(root, ClassMap(CLASSES))}
    assert tiles["b"].boxes == [] and tiles["b"].scene == "b"
    box = tiles["a_r001_c002"].boxes[0]
    assert (box.class_name, box.x0, box.y0, box.x1, box.y1) == ("dredge", 24, 28, 40, 36)
    assert tiles["a_r001_c002"].scene == "a"


def test_files_edited_in_windows_notepad_are_read(tmp_path: Path) -> None:
    """A byte-order mark made classes.txt's first class '\ufeffdredge' (unknown) and a label
    file's first line unreadable."""
    root = _one_tile(tmp_path, "", names="")
    (root / "data.yaml").unlink()
    (root / "classes.txt").write_bytes("dredge\r\nboat\r\n".encode("utf-8-sig"))
    label = root / "labels" / "a_r001_c002.txt"
    label.write_bytes("1 0.5 0.5 0.25 0.125\r\n".encode("utf-8-sig"))
    tiles = read_yolo(root, ClassMap(CLASSES))
    assert [b.class_name for b in tiles[0].boxes] == ["boat"]
    (root / "data.yaml").write_bytes("names: [dredge, boat]\n".encode("utf-8-sig"))
    assert [b.class_name for b in read_yolo(root, ClassMap(CLASSES))[0].boxes] == ["boat"]
    index = "chip,scene\r\nimages/a_r001_c002.png,20240105_145000_00_2400\r\n"
    (root / "tiles.csv").write_bytes(index.encode("utf-8-sig"))  # re-saved by Excel
    assert read_yolo(root, ClassMap(CLASSES))[0].scene == "20240105_145000_00_2400"


def test_tiles_at_another_gsd_are_refused(tmp_path: Path) -> None:
    root = _one_tile(tmp_path, "", names="names: [dredge, boat]\ngsd_m: 0.5\n")
    with pytest.raises(InputError, match=r"tiles are at 0\.5 m per pixel; the model reads 12 m"):
        read_label_sets([root], ClassMap(CLASSES), SPEC)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=8),
            st.lists(st.sampled_from(["0", "1", "2", "-1", "x", "0.5", "1e9", "nan"]), max_size=7),
        ),
        max_size=4,
    )
)
def test_malformed_lines_give_input_error_or_boxes_inside_the_image(
    tmp_path: Path, rows: list[list[object]]
) -> None:
    text = "".join(" ".join(str(v) for v in row) + "\n" for row in rows)
    root = _one_tile(tmp_path, text)
    try:
        tiles = read_yolo(root, ClassMap(CLASSES))
    except InputError as exc:
        assert "a_r001_c002.txt" in str(exc) and "\n" not in str(exc)
        return
    for box in tiles[0].boxes:
        assert 0 <= box.x0 < box.x1 <= 64 and 0 <= box.y0 < box.y1 <= 64


def test_a_box_wholly_outside_the_image_within_the_edge_tolerance_is_refused(
    tmp_path: Path,
) -> None:
    """A box in the 2 px past the image's right edge (x 64.64–65.92 on a 64 px tile) was clipped
    to x 64.64–64, a box turned inside out: read as a dredge no prediction could match, it
    counted as a miss (a perfect detector scored recall 0.5 on this tile's two dredges)."""
    root = _one_tile(tmp_path, "0 1.02 0.5 0.02 0.1\n0 0.5 0.5 0.1 0.1\n")
    with pytest.raises(InputError, match=r"a_r001_c002.txt: line 1: box x 64.64–65.92"):
        read_yolo(root, ClassMap(CLASSES))
    root = _one_tile(tmp_path, "0 0.99 0.5 0.04 0.1\n")  # 2 px past the edge: clipped, kept
    (box,) = read_yolo(root, ClassMap(CLASSES))[0].boxes
    assert (box.x0, box.x1) == pytest.approx((62.08, 64.0))


def test_spanish_class_names_are_read_as_the_models_classes() -> None:
    """Labels drawn in Spanish (draga, barco) were refused until mapped by hand, while
    `dredge track` read the same names."""
    from detector.errors import InputError
    from training.labels.classes import ClassMap

    two = ClassMap(["dredge", "boat"])
    assert [two.resolve(n, "l.gpkg", "feature 1") for n in ("Draga", "barco", "balsa")] == [
        "dredge",
        "boat",
        "dredge",
    ]
    assert two.spanish == {"draga": "dredge", "barco": "boat", "balsa": "dredge"}
    assert ClassMap(["dredge", "raft", "boat"]).resolve("balsa", "l.gpkg", "f") == "raft"
    assert ClassMap(["dredge", "boat"], {"barco": "ignore"}).resolve("barco", "l", "f") is None
    with pytest.raises(InputError, match="class 'chata' is not one of the model's classes"):
        two.resolve("chata", "l.gpkg", "feature 2")
    # plural, accents, a word beside the class: they were refused until mapped by hand
    words = ("dragas", "Draga grande", "balsa-draga", "botes")
    assert [two.resolve(n, "l.gpkg", "f") for n in words] == ["dredge", "dredge", "dredge", "boat"]
    assert two.spanish["draga grande"] == "dredge"
    # boats that `dredge track` reads as boats were refused until mapped
    assert [two.resolve(n, "l.gpkg", "f") for n in ("canoa", "Canoas", "peque-peque")] == [
        "boat"
    ] * 3
    # Peru's kinds of dredge, as `dredge track` reads them
    kinds = ("chupadera", "Tracas", "caranchera")
    assert [two.resolve(n, "l.gpkg", "f") for n in kinds] == ["dredge"] * 3
    # a hard negative was read as the class it negates: 'not_dredge' boxes became dredges
    for negative in (
        "not_dredge",
        "no draga",
        "falsa draga",
        "dredge_false_positive",
        "tracas falsas",
    ):
        with pytest.raises(InputError, match=f"class '{negative}' is not one of the model's"):
            two.resolve(negative, "l.gpkg", "f")
    assert (
        ClassMap(["dredge", "boat"], {"not_dredge": "ignore"}).resolve("not_dredge", "l", "f")
        is None
    )


def test_a_polygon_line_is_read_as_its_box(tmp_path: Path) -> None:
    """A segmentation export (CVAT "Ultralytics YOLO Segmentation", Roboflow) was refused."""
    polygon = "0 0.40 0.45 0.60 0.45 0.60 0.55 0.50 0.60 0.40 0.55\n"
    tiles = read_yolo(_one_tile(tmp_path, polygon + "1 0.5 0.5 0.25 0.125\n"), ClassMap(CLASSES))
    assert [(b.class_name, round(b.x0, 3), round(b.y0, 3), round(b.x1, 3), round(b.y1, 3))
            for b in tiles[0].boxes] == [
        ("dredge", 25.6, 28.8, 38.4, 38.4), ("boat", 24.0, 28.0, 40.0, 36.0)
    ]  # fmt: skip
    root = _one_tile(tmp_path / "odd", "0 0.40 0.45 0.60 0.45 0.60 0.55 0.50\n")
    with pytest.raises(InputError, match="line 1 has 8 numbers, not 5 — a polygon needs x y"):
        read_yolo(root, ClassMap(CLASSES))


def test_data_yaml_and_classes_txt_naming_classes_otherwise_is_one_line(tmp_path: Path) -> None:
    """A Label Studio export (classes.txt: boat, dredge) unzipped into a `dredge review` folder
    (data.yaml: dredge, boat): data.yaml won without a word and every box changed class (on
    8 review tiles: 16 dredges and 7 boats read for 7 and 16, AP 0)."""
    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n")
    (root / "classes.txt").write_text("boat\ndredge\n")
    with pytest.raises(InputError) as error:
        read_yolo(root, ClassMap(CLASSES))
    message = str(error.value)
    assert "data.yaml names the classes dredge, boat" in message
    assert "classes.txt names them boat, dredge" in message
    assert "delete the one that did not come with the label files" in message
    assert "\n" not in message
    (root / "classes.txt").write_text("Dredge\nboat\n")  # as dredge review writes it: agree
    assert [b.class_name for b in read_yolo(root, ClassMap(CLASSES))[0].boxes] == ["dredge"]


def test_an_evaluation_written_inside_the_label_folder_is_not_read_as_tiles(
    tmp_path: Path,
) -> None:
    """`dredge evaluate bundled set --out set/eval` wrote pr_curve.png and worst_*.png into the
    folder; a rerun read them as 3 negative tiles (on 8 review tiles: dredge FP 1 → 39)."""
    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n")
    (root / "eval").mkdir()
    (root / "eval" / "report.json").write_text("{}")
    for name in ("pr_curve.png", "worst_false_positives.png", "worst_misses.png"):
        Image.new("RGB", (64, 64)).save(root / "eval" / name)
    notes: list[str] = []
    tiles = read_yolo(root, ClassMap(CLASSES), notes=notes)
    assert [t.name for t in tiles] == ["a_r001_c002"]
    assert notes == [
        f"3 images outside images/ in {root} are not tiles and are not read "
        "(first: eval/pr_curve.png); keep other files out of the label folder"
    ]
    # labels beside the images (LabelImg, CVAT YOLO 1.1): the evaluation's folder is known by
    # its report.json, an ultralytics run by its args.yaml
    flat = tmp_path / "flat"
    flat.mkdir()
    Image.new("RGB", (64, 64)).save(flat / "a.png")
    (flat / "a.txt").write_text("0 0.5 0.5 0.25 0.125\n")
    (flat / "classes.txt").write_text("dredge\nboat\n")
    (root / "eval").rename(flat / "eval")
    (flat / "runs" / "train").mkdir(parents=True)
    (flat / "runs" / "train" / "args.yaml").write_text("model: yolo11n.pt\n")
    Image.new("RGB", (64, 64)).save(flat / "runs" / "train" / "results.png")
    (sets,) = read_label_sets([flat], ClassMap(CLASSES), SPEC)
    assert [t.name for t in sets.tiles] == ["a"]
    assert sets.notes[0].startswith("4 images in a dredge evaluate or ultralytics output")


def test_a_set_kept_under_a_folder_named_labels_is_read(tmp_path: Path) -> None:
    """~/labels/nanay/ (images/, labels/, classes.txt): every image was left out as if in the
    set's own labels/ folder ('holds no images')."""
    root = _one_tile(tmp_path / "labels" / "nanay", "0 0.5 0.5 0.25 0.125\n")
    (root / "data.yaml").unlink()
    (root / "classes.txt").write_text("dredge\nboat\n")
    assert [t.name for t in read_yolo(root, ClassMap(CLASSES))] == ["a_r001_c002"]


def test_labelimg_xmls_beside_yolo_label_files_are_read(tmp_path: Path) -> None:
    """LabelImg with its format button switched mid-way: some images saved as Pascal VOC XML,
    others as YOLO .txt, and classes.txt. The folder was read as YOLO and the XMLs passed over
    without a word: their images became negatives (on 8 review tiles, 5 of 8 negative, 4 of 7
    dredges and 7 of 16 boats read)."""
    from tests.label_fixtures import voc_xml

    root = tmp_path / "labelimg"
    root.mkdir()
    Image.new("RGB", (64, 64)).save(root / "a.png")
    (root / "a.txt").write_text("0 0.5 0.5 0.25 0.125\n")
    Image.new("RGB", (64, 64)).save(root / "b.png")
    drawn = LabelledTile("b", "b", "x", 64, 64, [Box("boat", 10, 12, 20, 18)])
    (root / "b.xml").write_text(voc_xml(drawn, "b.png"))
    (root / "classes.txt").write_text("dredge\nboat\n")
    (labels,) = read_label_sets([root], ClassMap(CLASSES), SPEC)
    assert {t.name: _boxes(t) for t in labels.tiles} == {
        "a": [("dredge", 24, 28, 40, 36)],
        "b": [("boat", 10, 12, 20, 18)],
    }
    assert labels.notes == [
        f"1 image in {root} is labelled in Pascal VOC XML beside its image, not in YOLO "
        ".txt (LabelImg saved it with its format button on PascalVOC), and was read from it "
        "(first: b.xml)"
    ]
    # the same image saved in both formats: the same boxes are read once; others are one line
    (root / "b.txt").write_text("1 0.234375 0.234375 0.15625 0.09375\n")
    assert _boxes(read_yolo(root, ClassMap(CLASSES))[1]) == [("boat", 10, 12, 20, 18)]
    (root / "b.txt").write_text("0 0.234375 0.234375 0.15625 0.09375\n")
    with pytest.raises(InputError, match=r"b\.xml: and b\.txt both label b\.png, with other "):
        read_yolo(root, ClassMap(CLASSES))


def test_a_review_folder_whose_coco_file_was_corrected_is_one_line(tmp_path: Path) -> None:
    """A `dredge review` folder holds YOLO labels and a COCO file of the same tiles; the COCO
    file was corrected in CVAT (4 boats deleted on 8 review tiles), the YOLO labels not: the
    folder was read as YOLO, the model's own pre-filled boxes, without a word."""
    import json

    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n")
    (root / "annotations").mkdir()
    coco = {
        "images": [{"id": 1, "file_name": "a_r001_c002.png", "width": 64, "height": 64}],
        "categories": [{"id": 1, "name": "dredge"}, {"id": 2, "name": "boat"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [24, 28, 16, 8]}],
    }
    json_path = root / "annotations" / "instances_default.json"
    json_path.write_text(json.dumps(coco))
    (same,) = read_label_sets([root], ClassMap(CLASSES), SPEC)  # as dredge review wrote it
    assert same.format == "yolo" and _boxes(same.tiles[0]) == [("dredge", 24, 28, 40, 36)]
    coco["annotations"] = []  # the false dredge deleted in CVAT
    json_path.write_text(json.dumps(coco))
    with pytest.raises(InputError) as error:
        read_label_sets([root], ClassMap(CLASSES), SPEC)
    message = str(error.value)
    assert message.startswith(
        f"{root}: its YOLO labels and annotations/instances_default.json label 1 of 1 tile "
        "otherwise (first: a_r001_c002, 1 box in YOLO, 0 in COCO;"
    )
    assert message.endswith(f"give the one you corrected: {json_path} or {root / 'data.yaml'}")
    # either one given by itself is read
    (coco_set,) = read_label_sets([json_path], ClassMap(CLASSES), SPEC)
    assert coco_set.format == "coco" and coco_set.tiles[0].boxes == []
    (yolo_set,) = read_label_sets([root / "data.yaml"], ClassMap(CLASSES), SPEC)
    assert len(yolo_set.tiles[0].boxes) == 1


def test_label_files_named_otherwise_than_their_image_are_matched_or_named(
    tmp_path: Path,
) -> None:
    """A label file with Label Studio's upload prefix (a1b2c3d4-name.txt) or in another case
    than its image matched no image and was passed over without a word: its image became a
    negative (on 8 review tiles: 1 negative, 14 of 16 boats, boat FP 2 → 4)."""
    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n")
    Image.new("RGB", (64, 64)).save(root / "images" / "B_R001_C002.png")
    Image.new("RGB", (64, 64)).save(root / "images" / "c.png")
    (root / "labels" / "b_r001_c002.txt").write_text("1 0.5 0.5 0.25 0.125\n")
    (root / "labels" / "a1b2c3d4-c.txt").write_text("1 0.5 0.5 0.25 0.125\n")
    (root / "labels" / "d.txt").write_text("0 0.5 0.5 0.25 0.125\n")  # no image d
    notes: list[str] = []
    tiles = {t.name: t for t in read_yolo(root, ClassMap(CLASSES), notes=notes)}
    assert {n: [b.class_name for b in t.boxes] for n, t in tiles.items()} == {
        "a_r001_c002": ["dredge"], "B_R001_C002": ["boat"], "c": ["boat"]
    }  # fmt: skip
    assert notes == [
        f"2 label files in {root} named otherwise than their image (in case, or with Label "
        "Studio's upload prefix) were read for it (first: a1b2c3d4-c.txt for c.png)",
        f"1 label file in {root} matches no image and is not read (first: d.txt); an image "
        "whose label file is named otherwise is read as a negative: name each label file as "
        "its image",
    ]
    # two label files that could be one image's: neither is guessed
    (root / "labels" / "C.txt").write_text("0 0.5 0.5 0.25 0.125\n")
    notes = []
    tiles = {t.name: t for t in read_yolo(root, ClassMap(CLASSES), notes=notes)}
    assert tiles["c"].boxes == [] and notes[-1].startswith("3 label files")


def test_one_label_set_given_twice_is_read_once(tmp_path: Path) -> None:
    """The same folder given twice, or a folder and its own COCO JSON, counted every tile and
    box twice without a word (8 review tiles read as 16, 14 dredges and 32 boats)."""
    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n")
    first, second = read_label_sets([root, root / "data.yaml"], ClassMap(CLASSES), SPEC)
    assert len(first.tiles) == 1 and second.tiles == []
    assert second.notes == [
        f"1 of 1 tile was read already from {root} (the same image file and boxes) and "
        "is read once (first: a_r001_c002)"
    ]
    other = _one_tile(tmp_path / "copy", "1 0.5 0.5 0.25 0.125\n")
    (other / "images" / "a_r001_c002.png").unlink()
    (other / "images" / "a_r001_c002.png").symlink_to(root / "images" / "a_r001_c002.png")
    with pytest.raises(InputError, match=r"otherwise than .* does \(1 box here, 1 there\)"):
        read_label_sets([root, other], ClassMap(CLASSES), SPEC)


def test_tiles_saved_again_as_jpeg_beside_the_pngs_are_read_once(tmp_path: Path) -> None:
    """Tiles saved as JPEG beside their PNGs (for a labelling tool) share the PNG's label file:
    each copy was read as a tile, every box counted twice (8 review tiles read as 16, 14
    dredges and 32 boats for 7 and 16; dredge F1 0.667 → 0.609) without a word."""
    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n1 0.25 0.25 0.125 0.125\n")
    Image.new("RGB", (64, 64)).save(root / "images" / "a_r001_c002.jpg", quality=90)
    Image.new("RGB", (64, 64)).save(root / "images" / "b_r001_c003.jpg")  # a JPEG of its own
    notes: list[str] = []
    tiles = read_yolo(root, ClassMap(CLASSES), notes=notes)
    assert sorted(t.image.name for t in tiles if t.image) == ["a_r001_c002.png", "b_r001_c003.jpg"]
    assert sum(len(t.boxes) for t in tiles) == 2
    assert notes == [
        f"1 image in {root} is a copy of a tile under the same name in another format, "
        "labelled by the same label file, and is read once, from the lossless copy (first: "
        "a_r001_c002.jpg beside a_r001_c002.png)"
    ]


def test_tiles_exported_again_into_a_second_review_folder_are_read_once(tmp_path: Path) -> None:
    """A second `dredge review` into another folder exports the first's tiles again: given
    both, each such tile was read twice (with the corrected and the pre-filled boxes) without a
    word: the demo run's 8 corrected review tiles and 12 new ones read as 20 tiles, 21 dredges
    for 14."""
    first = _one_tile(tmp_path / "r1", "0 0.5 0.5 0.25 0.125\n")
    second = _one_tile(tmp_path / "r2", "0 0.5 0.5 0.25 0.125\n")
    Image.new("RGB", (64, 64), "white").save(second / "images" / "b_w10_20.png")
    one, two = read_label_sets([first, second], ClassMap(CLASSES), SPEC)
    assert [t.name for t in one.tiles] == ["a_r001_c002"]
    assert [t.name for t in two.tiles] == ["b_w10_20"]
    assert two.notes == [
        f"1 of 2 tiles is a tile of {first} exported again (the same name and pixels), "
        "with the same boxes, and is read once (first: a_r001_c002)"
    ]
    (second / "labels" / "a_r001_c002.txt").write_text("")  # corrected: a false dredge
    with pytest.raises(InputError, match=r"labels tile a_r001_c002, the same tile as .* "
                       r"otherwise than .*r1.set does \(0 boxes here, 1 there\)"):  # fmt: skip
        read_label_sets([first, second], ClassMap(CLASSES), SPEC)
    # another tile under the same name (other pixels) is not a copy
    Image.new("RGB", (64, 64), "white").save(second / "images" / "a_r001_c002.png")
    _, two = read_label_sets([first, second], ClassMap(CLASSES), SPEC)
    assert len(two.tiles) == 2 and two.notes == []


def test_a_label_file_saved_beside_the_image_and_one_in_labels_are_one_line(
    tmp_path: Path,
) -> None:
    """LabelImg opened on images/ without its save folder set saves the corrected labels beside
    the image: the pre-filled ones in labels/ were read instead, without a word (a false boat
    deleted in one of 8 review tiles was still read: 16 boats for 15)."""
    root = _one_tile(tmp_path, "1 0.5 0.5 0.25 0.125\n1 0.2 0.2 0.125 0.125\n")
    beside = root / "images" / "a_r001_c002.txt"
    beside.write_text("1 0.5 0.5 0.25 0.125\n1 0.2 0.2 0.125 0.125\n")  # the same boxes
    notes: list[str] = []
    assert len(read_yolo(root, ClassMap(CLASSES), notes=notes)[0].boxes) == 2
    assert notes == []  # the copy beside is not a label file of no image
    beside.write_text("1 0.5 0.5 0.25 0.125\n")  # a false boat deleted
    with pytest.raises(InputError, match=r"images.a_r001_c002\.txt: and .*labels.a_r001_c002\."
                       r"txt both label a_r001_c002\.png, with other boxes"):  # fmt: skip
        read_yolo(root, ClassMap(CLASSES))
    beside.write_text("12 0.5 0.5 0.25 0.125\n")  # LabelImg's own class list's index
    with pytest.raises(InputError, match=r"both label a_r001_c002\.png, with other boxes"):
        read_yolo(root, ClassMap(CLASSES))


def test_a_classes_txt_labelimg_wrote_beside_the_label_files_in_another_order_is_one_line(
    tmp_path: Path,
) -> None:
    """LabelImg saves a classes.txt beside each label file, in its own class list's order: with
    a list of boat, dredge its saved files swapped 0 and 1, read by data.yaml's dredge, boat
    without a word (on 8 review tiles with one saved so, 4 dredges and 19 boats for 7 and 16,
    dredge F1 0.667 → 0.444)."""
    root = _one_tile(tmp_path, "1 0.5 0.5 0.25 0.125\n")
    (root / "labels" / "classes.txt").write_text("Dredge\nboat\n")  # the same, as review writes
    assert [b.class_name for b in read_yolo(root, ClassMap(CLASSES))[0].boxes] == ["boat"]
    (root / "labels" / "classes.txt").write_text("boat\ndredge\n")
    with pytest.raises(InputError, match=r"labels.classes\.txt: names the classes boat, dredge "
                       r"\(index 0, 1, …\) where data\.yaml names them dredge, boat"):  # fmt: skip
        read_yolo(root, ClassMap(CLASSES))


def test_label_files_saved_as_utf16_or_windows_1252_are_read(tmp_path: Path) -> None:
    """Label files saved by PowerShell 5 (UTF-16) and a classes.txt saved by Notepad as "ANSI"
    (Windows-1252: 'draga pequeña') stopped with "'utf-8' codec can't decode byte 0xff in
    position 0", naming no file."""
    root = _one_tile(tmp_path, "", names="")
    (root / "data.yaml").unlink()
    (root / "classes.txt").write_bytes("draga pequeña\r\nbote\r\n".encode("cp1252"))
    label = root / "labels" / "a_r001_c002.txt"
    label.write_bytes("1 0.5 0.5 0.25 0.125\r\n0 0.5 0.5 0.25 0.125\r\n".encode("utf-16"))
    tiles = read_yolo(root, ClassMap(CLASSES))
    assert [b.class_name for b in tiles[0].boxes] == ["boat", "dredge"]
    label.write_bytes(b"0 0.5 0.5 0.25 0.125\n\x81\x8d\n")  # not text in any of them
    with pytest.raises(InputError, match=r"a_r001_c002\.txt: is not text in UTF-8, UTF-16 or "):
        read_yolo(root, ClassMap(CLASSES))


def test_the_files_a_mac_leaves_in_a_zip_are_passed_over(tmp_path: Path) -> None:
    """A zip made on a Mac holds __MACOSX/ and '._name.png' files (not images): the first was
    read as a tile ('is not a readable image')."""
    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n")
    for folder in (root / "__MACOSX" / "images", root / "images", root / "labels"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "._a_r001_c002.png").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 80)
        (folder / "._a_r001_c002.txt").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 80)
    notes: list[str] = []
    assert [t.name for t in read_yolo(root, ClassMap(CLASSES), notes=notes)] == ["a_r001_c002"]
    assert notes == []


def test_the_temporaries_of_a_killed_dredge_tiles_are_not_tiles(tmp_path: Path) -> None:
    """`dredge tiles` killed (SIGKILL, out of memory) while it saved a chip left
    `.NAME.png.tmp-PID.png` among the chips: a whole one was read as one more tile with no
    label, a negative (on a demo scene's 11 chips labelled in place, 12 tiles of 2 scenes), one
    cut short stopped the reading ('is not a readable image'). Both are passed over."""
    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n")
    chip = root / "images" / "a_r001_c002.png"
    (root / "images" / ".a_r001_c003.png.tmp-4242.png").write_bytes(chip.read_bytes())
    (root / "images" / ".a_r002_c002.png.tmp-4243.png").write_bytes(chip.read_bytes()[:40])
    notes: list[str] = []
    assert [t.name for t in read_yolo(root, ClassMap(CLASSES), notes=notes)] == ["a_r001_c002"]
    assert notes == []


def test_a_roboflow_data_yaml_with_dotdot_splits_is_read_as_ultralytics_reads_it(
    tmp_path: Path,
) -> None:
    """Roboflow's YOLO export writes 'train: ../train/images' beside train/: ultralytics
    falls back to 'train/images'; it was "split folder '../train/images' not found"."""
    root = tmp_path / "roboflow"
    for split in ("train", "valid"):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir()
        Image.new("RGB", (64, 64)).save(root / split / "images" / f"{split}_r001_c002.png")
        (root / split / "labels" / f"{split}_r001_c002.txt").write_text("0 0.5 0.5 0.25 0.125\n")
    (root / "data.yaml").write_text(
        "train: ../train/images\nval: ../valid/images\nnc: 2\nnames: ['dredge', 'boat']\n"
    )
    tiles = read_yolo(root, ClassMap(CLASSES))
    assert sorted(t.name for t in tiles) == ["train_r001_c002", "valid_r001_c002"]
    (root / "data.yaml").write_text("train: ../elsewhere/images\nnames: [dredge, boat]\n")
    with pytest.raises(InputError, match=r"split folder '../elsewhere/images' not found"):
        read_yolo(root, ClassMap(CLASSES))


def test_tiles_renamed_by_roboflow_or_label_studio_keep_their_scene(tmp_path: Path) -> None:
    """Roboflow's '<stem>_png.rf.<hash>' and Label Studio's '<8 hex>-<stem>' made every tile
    its own scene (8 review tiles from 7 scenes read as 8), so the scene hold-out of
    `dredge train` put tiles of one scene in both train and val."""
    scene = "20240220_151324_92_227b_3B_AnalyticMS_SR"
    assert scene_of(f"{scene}_w575_417_png.rf.0000000aabcdef0000000a") == scene
    assert scene_of(f"{scene}_r001_c002_jpg.rf.3f2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c") == scene
    assert scene_of(f"3f2a1b9c-{scene}_w575_417") == scene
    assert scene_of("20240220_151324_92_227b") == "20240220_151324_92_227b"  # a Planet ID
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for name in (f"a1b2c3d4-{scene}_w1_2", f"0f9e8d7c-{scene}_w3_4", "b_png.rf.0123456789ab"):
        Image.new("RGB", (64, 64)).save(root / "images" / f"{name}.png")
        (root / "labels" / f"{name}.txt").write_text("0 0.5 0.5 0.25 0.125\n")
    (root / "classes.txt").write_text("dredge\nboat\n")
    (root / "tiles.csv").write_text("chip,scene\nimages/train/b.png,20240105_145000_00_2400\n")
    scenes = {t.name: t.scene for t in read_yolo(root, ClassMap(CLASSES))}
    assert scenes == {
        f"a1b2c3d4-{scene}_w1_2": scene,
        f"0f9e8d7c-{scene}_w3_4": scene,
        "b_png.rf.0123456789ab": "20240105_145000_00_2400",  # dredge review's tiles.csv
    }


def test_tiles_resized_to_an_export_size_are_named(tmp_path: Path) -> None:
    """Roboflow's default export stretches tiles to 640 × 640: 256 px tiles at 3 m became
    1.2 m tiles, scored as if at the model's 3 m (dredge TP 4 → 0, FP 49) without a word."""
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for k in range(3):
        Image.new("RGB", (640, 640)).save(root / "images" / f"a_r00{k}_c002.png")
        (root / "labels" / f"a_r00{k}_c002.txt").write_text("0 0.5 0.5 0.05 0.05\n")
    (root / "data.yaml").write_text("names: [dredge, boat]\n")
    (label_set,) = read_label_sets([root], ClassMap(CLASSES), SPEC)
    assert any(
        f"3 of 3 tiles are 640 × 640 px, a labelling tool's export size, where the model's are "
        f"{SPEC.tile_px} px" in note
        for note in label_set.notes
    ), label_set.notes
    same = _one_tile(tmp_path / "own", "0 0.5 0.5 0.1 0.1\n")  # the model's own tile size
    (own,) = read_label_sets([same], ClassMap(CLASSES), SPEC)
    assert not [note for note in own.notes if "export size" in note]


def test_a_data_yaml_path_to_another_folder_is_named(tmp_path: Path) -> None:
    """A corrected copy of a set whose data.yaml still says 'path: /the/original': the
    original's labels were read, under the copy's name, without a word."""
    original = tmp_path / "original"
    (original / "images" / "train").mkdir(parents=True)
    (original / "labels" / "train").mkdir(parents=True)
    Image.new("RGB", (64, 64)).save(original / "images" / "train" / "a_r001_c002.png")
    (original / "labels" / "train" / "a_r001_c002.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    copy = tmp_path / "corrected"
    (copy / "images" / "train").mkdir(parents=True)
    (copy / "labels" / "train").mkdir(parents=True)
    Image.new("RGB", (64, 64)).save(copy / "images" / "train" / "a_r001_c002.png")
    (copy / "labels" / "train" / "a_r001_c002.txt").write_text("")  # corrected: no dredge
    (copy / "data.yaml").write_text(
        f"path: {original}\ntrain: images/train\nnames: [dredge, boat]\n"
    )
    (label_set,) = read_label_sets([copy], ClassMap(CLASSES), SPEC)
    assert any(
        f"its 'path' ({original}) is another folder than its own: images and labels are read "
        f"from {original}, not from {copy}" in note
        for note in label_set.notes
    ), label_set.notes


def test_chips_cut_otherwise_than_the_model_reads_are_one_line(tmp_path: Path) -> None:
    """Chips of `dredge tiles` at another GSD, bands or scaling than the model's, labelled in
    place: scored without a word (dredge F1 0.23 at 1.5 m, 0.16 in false colour, 0.36 for
    reflectance-scaled chips, against 0.85)."""
    import geopandas as gpd
    from shapely import box

    root = _one_tile(tmp_path, "0 0.5 0.5 0.1 0.1\n")
    (root / "data.yaml").unlink()
    (root / "classes.txt").write_text("dredge\nboat\n")
    index = {"gsd_m": [1.5], "bands": ["nir,red,green"], "scale": [SPEC.scale]}
    gpd.GeoDataFrame(index, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_parquet(
        root / "tiles.parquet"
    )
    with pytest.raises(InputError) as error:
        read_label_sets([root], ClassMap(CLASSES), SPEC)
    message = str(error.value)
    assert "its chips were cut with gsd 1.5 m, bands nir,red,green" in message
    assert f"where the model reads gsd {SPEC.gsd_m:g} m, bands red,green,blue" in message
    assert f"dredge tiles --gsd {SPEC.gsd_m:g} --bands red,green,blue" in message
    right = {"gsd_m": [SPEC.gsd_m], "bands": ["red,green,blue"], "scale": [SPEC.scale]}
    gpd.GeoDataFrame(right, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_parquet(
        root / "tiles.parquet"
    )
    (label_set,) = read_label_sets([root], ClassMap(CLASSES), SPEC)
    assert len(label_set.tiles) == 1


def test_images_without_a_label_file_in_a_folder_labelled_in_place_are_named(
    tmp_path: Path,
) -> None:
    """LabelImg in place, 3 of 33 chips labelled: 30 chips never opened were read as empty
    tiles without a word (dredge precision 0.90 → 0.53 on the model's finds there)."""
    root = tmp_path / "chips"
    root.mkdir()
    for k in range(3):
        Image.new("RGB", (64, 64)).save(root / f"a_r00{k}_c002.png")
    (root / "a_r000_c002.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    (root / "classes.txt").write_text("dredge\nboat\n")
    (label_set,) = read_label_sets([root], ClassMap(CLASSES), SPEC)
    assert any(
        "2 of 3 images in" in note and "have no label file and are read as negatives" in note
        for note in label_set.notes
    ), label_set.notes


def test_a_file_that_is_no_image_among_the_tiles_is_one_line_once_ultralytics_is_loaded(
    tmp_path: Path,
) -> None:
    """ultralytics (loaded by `dredge train` before it reads the labels) replaces PIL's
    Image.open with one that, for a file PIL cannot identify, imports pi-heif, which is not
    installed: a text file or an empty .png among the tiles stopped `dredge train` on
    "No module named 'pi_heif'", a traceback that called itself a bug (exit 3)."""
    import ultralytics.utils.patches  # noqa: F401  (its Image.open, as in `dredge train`)

    root = _one_tile(tmp_path, "0 0.5 0.5 0.25 0.125\n")
    (root / "images" / "notes.png").write_text("not an image\n")
    with pytest.raises(InputError, match=r"notes\.png: is not a readable image \(cannot "):
        read_yolo(root, ClassMap(CLASSES))


def test_a_tile_of_one_band_for_a_model_of_three_says_1_band() -> None:
    """Pixels of one band for a three-band model said 'has 1 band(s)'."""
    import numpy as np

    tile = LabelledTile("t", "s", "labels", 4, 4, pixels=np.zeros((4, 4, 1), dtype=np.uint8))
    with pytest.raises(InputError, match=r"labels \(t\): has 1 band; the model reads 3"):
        tile.read(3)
