"""YOLO label folders: read back exactly what was written, negatives kept, bad lines named;
class names (Spanish, polygons, data.yaml against classes.txt), files saved by Windows
programs, tiles at another GSD, resized or cut otherwise than the model reads. How a set's
folders and files are found: test_labels_yolo_folders.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from detector.errors import InputError
from tests.label_fixtures import CLASSES, SPEC, write_yolo_set
from tests.yolo_fixtures import _boxes, _one_tile
from training.labels.classes import ClassMap
from training.labels.sources import label_format, read_label_sets
from training.labels.table import LabelledTile, scene_of
from training.labels.yolo import read_yolo


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


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("0,0.5,0.5,0.25,0.25", "line 1 has 1 number, not 5"),  # it said '1 numbers'
        ("0 0,5 0,5 0,25 0,25", "line 1 is not numbers"),
    ],
)
def test_a_line_with_commas_says_to_separate_by_spaces(
    tmp_path: Path, line: str, said: str
) -> None:
    """A label file saved by a spreadsheet or a script with commas: the message said '1
    numbers' and gave no word on the commas."""
    with pytest.raises(InputError, match=said + ".*separate the numbers by spaces, decimals"):
        read_yolo(_one_tile(tmp_path, line + "\n"), ClassMap(CLASSES))


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


def test_a_numbered_dredge_is_not_a_hard_negative() -> None:
    """'Draga Nº 5' (número, with the ordinal sign that loses its accent as 'o') or 'Draga
    No. 5' was read as 'draga no', a negated class: refused, with the advice to map it to
    ignore, which would have left the dredge out as background."""
    two = ClassMap(["dredge", "boat"])
    names = ("Draga Nº 5", "Draga N.º 12", "draga No. 3", "DRAGA no 7", "Bote Nº 2")
    assert [two.resolve(n, "l.kml", "f") for n in names] == ["dredge"] * 4 + ["boat"]
    for negative in ("no draga", "draga no", "falsa draga Nº 2"):
        with pytest.raises(InputError, match=r"--class-map '.*=ignore' \(a hard negative"):
            two.resolve(negative, "l.kml", "f")


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


def test_a_tile_of_one_band_for_a_model_of_three_says_1_band() -> None:
    """Pixels of one band for a three-band model said 'has 1 band(s)'."""
    import numpy as np

    tile = LabelledTile("t", "s", "labels", 4, 4, pixels=np.zeros((4, 4, 1), dtype=np.uint8))
    with pytest.raises(InputError, match=r"labels \(t\): has 1 band; the model reads 3"):
        tile.read(3)
