"""COCO JSON (CVAT, Label Studio): read back, images found, boxes outside the image named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from detector.errors import InputError
from tests.label_fixtures import CLASSES, write_coco_set
from training.labels.classes import ClassMap
from training.labels.coco import read_coco
from training.labels.sources import label_format
from training.labels.table import LabelledTile


def test_cvat_layout_round_trip(labelled_tiles: list[LabelledTile], tmp_path: Path) -> None:
    path = write_coco_set(labelled_tiles, tmp_path / "cvat")
    assert label_format(path) == "coco" and label_format(tmp_path / "cvat") == "coco"
    tiles = {t.name: t for t in read_coco(tmp_path / "cvat", ClassMap(CLASSES))}
    assert set(tiles) == {t.name for t in labelled_tiles}
    for original in labelled_tiles:
        read = tiles[original.name]
        assert read.scene == original.scene
        assert len(read.boxes) == len(original.boxes)
        for a, b in zip(read.boxes, original.boxes, strict=True):
            assert a.class_name == b.class_name
            assert max(abs(a.x0 - b.x0), abs(a.y1 - b.y1)) < 0.02  # rounded to 0.01 px
    assert any(not t.boxes for t in tiles.values())


def test_label_studio_upload_paths_are_found_by_name(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    write_coco_set(labelled_tiles[:3], tmp_path / "ls", prefix="../../media/upload/1/")
    tiles = read_coco(tmp_path / "ls" / "annotations" / "instances_default.json", ClassMap(CLASSES))
    assert all(t.image is not None and t.image.is_file() for t in tiles)


def test_images_are_looked_for_beside_the_json_not_through_the_folders_around_it(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    """The search by name used to walk everything under the JSON's grandparent: a JSON saved in
    Downloads walked the home folder for each image, and took another project's image that
    shared the name."""
    write_coco_set(labelled_tiles[:2], tmp_path / "review")
    alone = tmp_path / "downloads" / "instances_default.json"
    alone.parent.mkdir()
    alone.write_bytes((tmp_path / "review" / "annotations" / "instances_default.json").read_bytes())
    with pytest.raises(InputError, match="not found beside it or in an images/ folder"):
        read_coco(alone, ClassMap(CLASSES))
    # CVAT with images: images/default/ beside annotations/
    (tmp_path / "review" / "images").rename(tmp_path / "default")
    (tmp_path / "review" / "images").mkdir()
    (tmp_path / "default").rename(tmp_path / "review" / "images" / "default")
    json_path = tmp_path / "review" / "annotations" / "instances_default.json"
    tiles = read_coco(json_path, ClassMap(CLASSES))
    assert all(t.image is not None and t.image.parent.name == "default" for t in tiles)
    # the same name in two folders is an error, not a guess
    image = next(t.image for t in tiles if t.image is not None)
    (tmp_path / "review" / "images" / "other").mkdir()
    (tmp_path / "review" / "images" / "other" / image.name).write_bytes(image.read_bytes())
    with pytest.raises(InputError, match=r"is in 2 folders"):
        read_coco(json_path, ClassMap(CLASSES))


def _coco(tmp_path: Path, bbox: list[object], name: str = "dredge") -> Path:
    Image.new("RGB", (64, 64)).save(tmp_path / "t.png")
    data = {
        "images": [{"id": 1, "file_name": "t.png", "width": 64, "height": 64}],
        "categories": [{"id": 1, "name": name}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "bbox": bbox}],
    }
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(data))
    return path


def test_a_json_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = _coco(tmp_path, [10, 10, 8, 4])
    path.write_bytes(path.read_text().encode("utf-8-sig"))
    assert len(read_coco(path, ClassMap(CLASSES))[0].boxes) == 1


def test_a_box_outside_the_image_names_the_file_and_annotation(tmp_path: Path) -> None:
    path = _coco(tmp_path, [60, 10, 20, 8])
    with pytest.raises(InputError) as error:
        read_coco(path, ClassMap(CLASSES))
    message = str(error.value)
    assert message.startswith(f"{path}: annotation id 7 (image 't.png'): box x 60–80")
    assert "outside the 64×64 image" in message and "\n" not in message


def test_an_unknown_category_lists_the_models_classes(tmp_path: Path) -> None:
    path = _coco(tmp_path, [10, 10, 5, 5], name="barge")
    with pytest.raises(InputError, match=r"category id 1: class 'barge' .*\(dredge, boat\)"):
        read_coco(path, ClassMap(CLASSES))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=6),
        st.lists(st.one_of(st.none(), st.text(max_size=3), st.integers(-100, 200)), max_size=5),
    )
)
def test_malformed_bboxes_give_input_error_or_boxes_inside(
    tmp_path: Path, bbox: list[object]
) -> None:
    path = _coco(tmp_path, bbox)
    try:
        tiles = read_coco(path, ClassMap(CLASSES))
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    for box in tiles[0].boxes:
        assert 0 <= box.x0 < box.x1 <= 64 and 0 <= box.y0 < box.y1 <= 64


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"images": [\n  {"id": 1,, }]}')
    with pytest.raises(InputError, match=r"broken.json: is not valid JSON .* line 2, column"):
        read_coco(path, ClassMap(CLASSES))


def test_an_image_listed_twice_is_read_once(tmp_path: Path) -> None:
    """Two exports merged: each image listed twice (ids k and k + 100) with its boxes under
    both; every tile and box counted twice without a word (8 review tiles read as 16, 14
    dredges and 32 boats)."""
    path = _coco(tmp_path, [10, 10, 8, 4])
    data = json.loads(path.read_text())
    data["images"].append(dict(data["images"][0], id=101))
    data["annotations"].append(dict(data["annotations"][0], id=8, image_id=101))
    path.write_text(json.dumps(data))
    notes: list[str] = []
    tiles = read_coco(path, ClassMap(CLASSES), notes=notes)
    assert len(tiles) == 1 and len(tiles[0].boxes) == 1
    assert notes == [
        f"{path}: 1 image is listed twice, with the same boxes, and is read once "
        "(first: image id 101, 't.png')"
    ]
    data["annotations"].pop()  # the copy without its box: which is right is not guessed
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"image ids 1 and 101 are both t\.png, with other boxes"):
        read_coco(path, ClassMap(CLASSES))


def test_an_image_id_or_category_id_given_twice_is_one_line(tmp_path: Path) -> None:
    """Two exports merged without renumbering: image id 1 is a.png in one and t.png in the
    other. The later entry replaced the earlier without a word: a.png was not read and its box
    (x 30–38) was read on t.png, 2 boxes on 1 tile for 1 on each of 2; a category id listed as
    dredge and as boat read every box of it as a boat."""
    path = _coco(tmp_path, [10, 10, 8, 4])
    Image.new("RGB", (64, 64)).save(tmp_path / "a.png")
    data = json.loads(path.read_text())
    data["images"].insert(0, dict(data["images"][0], file_name="a.png"))
    data["annotations"].append(dict(data["annotations"][0], id=8, bbox=[30, 30, 8, 4]))
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as error:
        read_coco(path, ClassMap(CLASSES))
    assert str(error.value).startswith(
        f"{path}: image id 1 is listed twice, as 'a.png' and 't.png'"
    )
    data = json.loads(_coco(tmp_path, [10, 10, 8, 4]).read_text())
    data["categories"].append({"id": 1, "name": "boat"})
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="category id 1 is listed twice, as 'dredge' and 'boat'"):
        read_coco(path, ClassMap(CLASSES))
    data["categories"][1]["name"] = "Dredge"  # the same class twice: read as before
    path.write_text(json.dumps(data))
    assert [b.class_name for b in read_coco(path, ClassMap(CLASSES))[0].boxes] == ["dredge"]


def test_a_gsd_that_is_not_a_number_names_the_json(tmp_path: Path) -> None:
    """info.gsd_m "3 m" stopped with "could not convert string to float: '3 m'", naming no
    file (a YOLO data.yaml's gsd_m was already named)."""
    path = _coco(tmp_path, [10, 10, 8, 4])
    data = json.loads(path.read_text())
    data["info"] = {"gsd_m": "3 m"}
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"labels.json: info.gsd_m '3 m' is not a number"):
        read_coco(path, ClassMap(CLASSES), gsd_m=3.0)
    data["info"] = {"gsd_m": "3"}
    path.write_text(json.dumps(data))
    assert len(read_coco(path, ClassMap(CLASSES), gsd_m=3.0)) == 1


def test_an_image_size_that_is_not_the_files_names_the_json_and_the_image(
    tmp_path: Path,
) -> None:
    """A JSON made on half-size copies of the tiles (128 for 256 px) was read without a word,
    its boxes in the wrong pixels (8 review tiles: every box missed, AP 0); one made on 640 px
    copies stopped with a numpy error ('zero-size array to reduction operation')."""
    path = _coco(tmp_path, [10, 10, 8, 4])
    data = json.loads(path.read_text())
    data["images"][0].update(width=32, height=32)
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as error:
        read_coco(path, ClassMap(CLASSES))
    assert str(error.value) == (
        f"{path}: image id 1 ('t.png') is 32×32 in the JSON, but {tmp_path / 't.png'} is "
        "64×64 — export the labels again with the images they were drawn on"
    )


def test_a_folder_with_two_coco_files_names_them(tmp_path: Path) -> None:
    """CVAT's COCO export of a project with subsets (annotations/instances_Train.json,
    instances_Validation.json): the folder 'is not a label set this tool reads'."""
    from tests.label_fixtures import SPEC
    from training.labels.sources import read_label_sets

    path = _coco(tmp_path, [10, 10, 8, 4])
    (tmp_path / "annotations").mkdir()
    train = tmp_path / "annotations" / "instances_Train.json"
    validation = tmp_path / "annotations" / "instances_Validation.json"
    path.rename(train)
    validation.write_text(train.read_text())
    with pytest.raises(InputError) as error:
        label_format(tmp_path)
    assert str(error.value) == (
        f"{tmp_path}: holds 2 COCO JSON files (annotations/instances_Train.json, "
        "annotations/instances_Validation.json) and it is not known which to read — give each "
        f"one as a label set: {train} {validation}"
    )
    assert [len(s.tiles) for s in read_label_sets([train], ClassMap(CLASSES), SPEC)] == [1]


def test_a_category_no_box_uses_needs_no_class(tmp_path: Path) -> None:
    """CVAT exports every label of the project ('person', 'tree'), boxes or none: a category
    that no annotation used was refused ("class 'person' is not one of the model's classes")
    until mapped with --class-map. Now it is passed over with one note; one a box uses is still
    refused."""
    path = _coco(tmp_path, [10, 10, 8, 4])
    data = json.loads(path.read_text())
    data["categories"] += [{"id": 2, "name": "person"}, {"id": 3, "name": "tree"}]
    path.write_text(json.dumps(data))
    notes: list[str] = []
    tiles = read_coco(path, ClassMap(CLASSES), notes=notes)
    assert [b.class_name for b in tiles[0].boxes] == ["dredge"]
    assert notes == [
        f"{path}: 2 categories that no box uses and the model lacks are passed over: "
        "'person', 'tree'"
    ]
    data["annotations"].append(dict(data["annotations"][0], id=8, category_id=3))
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"category id 3: class 'tree' is not one of the model"):
        read_coco(path, ClassMap(CLASSES))


@pytest.mark.parametrize("bad", [[1], {"id": 1}, 1.5, True, None])
def test_an_id_that_is_not_a_number_is_one_line(tmp_path: Path, bad: object) -> None:
    """A category whose id was a list ("id": [1]) stopped with "TypeError: unhashable type:
    'list'" from coco._categories; an image id or an annotation's image_id or category_id
    likewise. Now one line naming the JSON and the category or image."""
    path = _coco(tmp_path, [10, 10, 8, 4])
    data = json.loads(path.read_text())
    data["categories"][0]["id"] = bad
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as error:
        read_coco(path, ClassMap(CLASSES))
    assert str(error.value).startswith(
        f"{path}: category #0 ('dredge') has id {bad!r}, not a whole number"
    )
    data = json.loads(_coco(tmp_path, [10, 10, 8, 4]).read_text())
    data["images"][0]["id"] = bad
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"image #0 \('t.png'\) has id .*not a whole number"):
        read_coco(path, ClassMap(CLASSES))
    for key in ("image_id", "category_id"):
        data = json.loads(_coco(tmp_path, [10, 10, 8, 4]).read_text())
        data["annotations"][0][key] = bad
        path.write_text(json.dumps(data))
        with pytest.raises(InputError, match=rf"annotation id 7: {key} .* is not in "):
            read_coco(path, ClassMap(CLASSES))
