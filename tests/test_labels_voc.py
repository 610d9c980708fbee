"""Pascal VOC XML (LabelImg, CVAT, Roboflow): read back, images found, bad boxes named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from detector.errors import InputError
from tests.label_fixtures import CLASSES, SPEC, save_tiles, voc_xml, write_voc_set
from training.labels.classes import ClassMap
from training.labels.sources import label_format, read_label_sets
from training.labels.table import LabelledTile
from training.labels.voc import read_voc


def _assert_same(read: list[LabelledTile], originals: list[LabelledTile]) -> None:
    tiles = {t.name: t for t in read}
    assert set(tiles) == {t.name for t in originals}
    for original in originals:
        got = tiles[original.name]
        assert got.scene == original.scene and len(got.boxes) == len(original.boxes)
        for a, b in zip(got.boxes, original.boxes, strict=True):
            assert a.class_name == b.class_name
            assert max(abs(a.x0 - b.x0), abs(a.y0 - b.y0), abs(a.x1 - b.x1)) < 0.01


def test_cvat_layout_round_trip(labelled_tiles: list[LabelledTile], tmp_path: Path) -> None:
    out = write_voc_set(labelled_tiles, tmp_path / "cvat")
    assert label_format(out) == "voc"
    assert label_format(out / "Annotations" / f"{labelled_tiles[0].name}.xml") == "voc"
    tiles, notes = read_voc(out, ClassMap(CLASSES))
    _assert_same(tiles, labelled_tiles)
    assert any(not t.boxes for t in tiles) and notes == []  # empty annotations are negatives
    one, _ = read_voc(out / "Annotations" / f"{labelled_tiles[0].name}.xml", ClassMap(CLASSES))
    assert one[0].image == out / "JPEGImages" / f"{labelled_tiles[0].name}.png"


def test_labelimg_layout_unlabelled_images_and_other_xml(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    """XMLs beside the images; an image LabelImg never saved has no XML: it is not a negative,
    it was not looked at. A scene's metadata XML in the folder is not a label."""
    out = write_voc_set(labelled_tiles[:4], tmp_path / "labelimg", cvat=False)
    save_tiles(labelled_tiles[4:6], out)  # never labelled
    (out / "20240301_143000_00_2455_metadata.xml").write_text("<ps:EarthObservation/>")
    sets = read_label_sets([out], ClassMap(CLASSES), SPEC)
    assert sets[0].format == "voc"
    _assert_same(sets[0].tiles, labelled_tiles[:4])
    assert len(sets[0].notes) == 1 and "2 images" in sets[0].notes[0]
    assert "have no annotation XML and are not read" in sets[0].notes[0]


def test_roboflow_splits_sharing_an_image_name(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    write_voc_set(labelled_tiles[:2], tmp_path / "rf" / "train", cvat=False)
    write_voc_set(labelled_tiles[:1], tmp_path / "rf" / "valid", cvat=False)
    tiles, _ = read_voc(tmp_path / "rf", ClassMap(CLASSES))
    first = labelled_tiles[0].name
    assert sorted(t.name for t in tiles) == sorted([first, f"{first}_2", labelled_tiles[1].name])


def _one_xml(tile: LabelledTile, folder: Path, body: str | None = None) -> Path:
    save_tiles([tile], folder)
    xml = folder / f"{tile.name}.xml"
    xml.write_text(body if body is not None else voc_xml(tile, f"{tile.name}.png"))
    return xml


def _with_box(labelled_tiles: list[LabelledTile]) -> LabelledTile:
    return next(t for t in labelled_tiles if t.boxes)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("<xmax>", "<xmax>9999"), "reaches outside the 64×64 image"),
        (("<ymin>", "<ymin>abc"), "bndbox ymin is 'abc"),
        (("<name>dredge", "<name>chata"), "class 'chata' is not one of the model's classes"),
        (("<width>64", "<width>128"), "says its image is 128×64, but"),
        (("</annotation>", ""), "is not valid XML"),
    ],
)
def test_bad_annotations_are_one_line(
    labelled_tiles: list[LabelledTile], tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    tile = _with_box(labelled_tiles)
    text = voc_xml(tile, f"{tile.name}.png").replace(*edit, 1)
    xml = _one_xml(tile, tmp_path / "set", text)
    with pytest.raises(InputError, match=message) as caught:
        read_voc(xml, ClassMap(CLASSES))
    assert str(caught.value).startswith(str(xml)) and "\n" not in str(caught.value)


def test_missing_and_ambiguous_images(labelled_tiles: list[LabelledTile], tmp_path: Path) -> None:
    tile = _with_box(labelled_tiles)
    xml = _one_xml(tile, tmp_path / "set")
    (tmp_path / "set" / f"{tile.name}.png").unlink()
    with pytest.raises(InputError, match="not found beside it or in a JPEGImages/"):
        read_voc(xml, ClassMap(CLASSES))
    out = write_voc_set([tile], tmp_path / "cvat")
    (out / "JPEGImages" / "copy").mkdir()
    shutil.copy(out / "JPEGImages" / f"{tile.name}.png", out / "JPEGImages" / "copy")
    with pytest.raises(InputError, match="is in 2 folders"):
        read_voc(out, ClassMap(CLASSES))


def test_difficult_objects_are_read(labelled_tiles: list[LabelledTile], tmp_path: Path) -> None:
    tile = _with_box(labelled_tiles)
    text = voc_xml(tile, f"{tile.name}.png").replace("<difficult>0", "<difficult>1")
    tiles, _ = read_voc(_one_xml(tile, tmp_path / "set", text), ClassMap(CLASSES))
    assert len(tiles[0].boxes) == len(tile.boxes)


def test_a_folder_of_other_xml_is_not_a_label_set(tmp_path: Path) -> None:
    (tmp_path / "scene_metadata.xml").write_text("<ps:EarthObservation/>")
    with pytest.raises(InputError, match=r"Pascal VOC \.xml files"):
        label_format(tmp_path)


def test_a_copied_xml_is_read_once(labelled_tiles: list[LabelledTile], tmp_path: Path) -> None:
    """Windows Explorer's copy of an XML ('<stem> - copia.xml') labels the same image: it was
    read as a second tile (8 review tiles read as 9, 18 boats for 16)."""
    out = write_voc_set(labelled_tiles[:3], tmp_path / "labelimg", cvat=False)
    tile = next(t for t in labelled_tiles[:3] if t.boxes)
    shutil.copy(out / f"{tile.name}.xml", out / f"{tile.name} - copia.xml")
    tiles, notes = read_voc(out, ClassMap(CLASSES))
    _assert_same(tiles, labelled_tiles[:3])
    assert notes == [
        f"1 XML in {out} labels an image that another XML labels, with the same boxes, and "
        f"is not read again (first: {tile.name} - copia.xml); delete the copy"
    ]
    (out / f"{tile.name} - copia.xml").write_text(voc_xml(LabelledTile("x", "x", "x", 64, 64),
                                                          f"{tile.name}.png"))  # fmt: skip
    with pytest.raises(InputError, match=r"copia\.xml: labels .*\.png as .*\.xml does, with other"):
        read_voc(out, ClassMap(CLASSES))


def test_the_files_a_mac_leaves_in_a_zip_are_passed_over(
    labelled_tiles: list[LabelledTile], tmp_path: Path
) -> None:
    """'._name.png' beside each image were counted as images without an XML, in a note."""
    out = write_voc_set(labelled_tiles[:2], tmp_path / "labelimg", cvat=False)
    (out / "__MACOSX").mkdir()
    for image in list(out.glob("*.png")):
        for folder in (out, out / "__MACOSX"):
            (folder / f"._{image.name}").write_bytes(b"\x00\x05\x16\x07" + b"\x00" * 80)
    tiles, notes = read_voc(out, ClassMap(CLASSES))
    _assert_same(tiles, labelled_tiles[:2])
    assert notes == []


def test_corners_are_read_as_written_with_no_one_pixel_shift(tmp_path: Path) -> None:
    """Checked by hand (as the README says): xmin 10, xmax 20 is x 10–20, 10 px wide, not the
    pixels 10–20 of a 1-based inclusive box (9–20, 11 px), nor ultralytics' VOC.yaml 9–19."""
    from PIL import Image

    Image.new("RGB", (64, 48)).save(tmp_path / "t.png")
    (tmp_path / "t.xml").write_text(
        "<annotation><filename>t.png</filename><size><width>64</width><height>48</height>"
        "</size><object><name>draga</name><bndbox><xmin>10</xmin><ymin>5</ymin><xmax>20</xmax>"
        "<ymax>47</ymax></bndbox></object></annotation>"
    )
    tiles, _ = read_voc(tmp_path, ClassMap(CLASSES))
    (box,) = tiles[0].boxes
    assert (box.class_name, box.x0, box.y0, box.x1, box.y1) == ("dredge", 10, 5, 20, 47)


def _xml(file_name: str, name: str = "dredge") -> str:
    return (
        f"<annotation><filename>{file_name}</filename><size><width>64</width><height>48</height>"
        f"</size><object><name>{name}</name><bndbox><xmin>10</xmin><ymin>5</ymin><xmax>20</xmax>"
        "<ymax>47</ymax></bndbox></object></annotation>"
    )


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8", "utf-8-sig"])
def test_an_xml_saved_in_windows_1252_is_read(tmp_path: Path, encoding: str) -> None:
    """LabelImg on Windows, or an XML edited in Notepad and saved as "ANSI", without an
    encoding declaration: a '<name>draga pequeña</name>' or a file name with ñ was "not valid
    XML (not well-formed (invalid token))", while a YOLO classes.txt in that encoding is read."""
    from PIL import Image

    Image.new("RGB", (64, 48)).save(tmp_path / "caño_01.png")
    xml = tmp_path / "caño_01.xml"
    xml.write_bytes(_xml("caño_01.png", "draga pequeña").encode(encoding))
    tiles, notes = read_voc(tmp_path, ClassMap(CLASSES))
    assert [(t.image, [b.class_name for b in t.boxes]) for t in tiles] == [
        (tmp_path / "caño_01.png", ["dredge"])
    ]
    assert notes == []
    # one that declares its encoding is read in it; one that is broken is still one line
    declared = '<?xml version="1.0" encoding="ISO-8859-1"?>' + _xml("caño_01.png")
    xml.write_bytes(declared.encode("latin-1"))
    assert len(read_voc(xml, ClassMap(CLASSES))[0][0].boxes) == 1
    xml.write_bytes(_xml("caño_01.png", "draga pequeña").encode(encoding)[:-3])
    with pytest.raises(InputError, match=r"caño_01\.xml: is not valid XML \(") as caught:
        read_voc(xml, ClassMap(CLASSES))
    assert "\n" not in str(caught.value)


def test_an_image_of_the_same_name_and_another_type_is_read(tmp_path: Path) -> None:
    """The XML says a.jpg while only a.png lies beside it (the tiles converted after labelling,
    or exported as PNG): "image 'a.jpg' not found". Now a.png is read, with one note; with two
    of that name (a.png, a.tif) none is guessed."""
    from PIL import Image

    Image.new("RGB", (64, 48)).save(tmp_path / "a.png")
    (tmp_path / "a.xml").write_text(_xml("a.jpg"))
    tiles, notes = read_voc(tmp_path, ClassMap(CLASSES))
    assert [(t.image, len(t.boxes)) for t in tiles] == [(tmp_path / "a.png", 1)]
    assert notes == [
        f"1 XML in {tmp_path} names an image that is not there and is read with the one image "
        "of that name and another type (first: a.xml names 'a.jpg', read on a.png); correct "
        "<filename> where that is not the image labelled"
    ]
    Image.new("RGB", (64, 48)).save(tmp_path / "a.tif")
    with pytest.raises(InputError, match=r"a\.xml: image 'a\.jpg' not found beside it"):
        read_voc(tmp_path, ClassMap(CLASSES))
