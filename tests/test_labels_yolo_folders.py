"""Which files of a YOLO folder are tiles and labels: sets under a folder named labels, label
files beside their images or named otherwise, a set given twice or exported again, what
labelling tools, a Mac's zip or a killed `dredge tiles` leave there, tiles renamed, and a
`data.yaml` that points elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from detector.errors import InputError
from tests.label_fixtures import CLASSES, SPEC
from tests.yolo_fixtures import _boxes, _one_tile
from training.labels.classes import ClassMap
from training.labels.sources import read_label_sets
from training.labels.table import Box, LabelledTile, scene_of
from training.labels.yolo import read_yolo


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
