"""Pascal VOC XML labels, as LabelImg, CVAT ("PASCAL VOC 1.1") and Roboflow export them.

One XML per image (root ``<annotation>``): ``<filename>``, ``<size>`` (``width``, ``height``)
and an ``<object>`` per box with ``<name>`` and ``<bndbox>`` (``xmin``, ``ymin``, ``xmax``,
``ymax`` in pixels, read as the corners written, with no 1-pixel shift: tools differ on whether
the first pixel is 0 or 1 and the file does not say; ultralytics' ``VOC.yaml`` takes them as
1-based and shifts boxes 1 px up and left). A path is read as VOC when it
is such an XML, or a folder holding some, at any depth: CVAT's ``Annotations/`` (images in
``JPEGImages/``), or XMLs beside their images (LabelImg, Roboflow's ``train/``, ``valid/``).
Other XML files in the folder (a Planet scene's metadata) are not labels and are passed over.

An XML without objects is a negative. An image without an XML was not labelled (LabelImg
writes none for an image it never saved) and is not read. Two XMLs of one image (a copy,
``name - copia.xml``) are read once, with a note, when their boxes agree, else an
:class:`InputError` naming both. Objects marked
``<difficult>1</difficult>`` are read like the others: leaving them out would teach the model
that a drawn dredge is background. An image is looked for at ``<filename>`` beside the XML,
then by name beside it, in ``JPEGImages/`` or ``images/`` beside it or beside its folder; a
name found in two places is an error, not a guess. A box outside its image, a class the model
does not know, or a value that is not a number is an :class:`InputError` naming the XML.
Where the image named is not there but exactly one image of its name with another type is (the
XML says ``a.jpg``, ``a.png`` lies beside it), that one is read, with a note. An XML without an
encoding declaration is read as UTF-8, else as Windows-1252 (Notepad's "ANSI":
``<name>pequeña</name>``), as YOLO labels are.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from detector.errors import InputError
from detector.wording import agree, count_of
from training.labels.classes import ClassMap
from training.labels.table import (
    IMAGE_SUFFIXES,
    Box,
    LabelledTile,
    check_box,
    image_size,
    is_stray,
    same_boxes,
    scene_of,
    the_one_image,
)

IMAGE_FOLDERS = ("JPEGImages", "images")
_FIX_XML = "export the labels again as Pascal VOC (LabelImg: PascalVOC; CVAT: PASCAL VOC 1.1)"
_FIX_BOX = "correct or delete the box in the labelling tool and export again"


def is_voc(path: Path) -> bool:
    """True for a VOC annotation XML, or a folder holding one at any depth."""
    if path.is_file():
        return path.suffix.lower() == ".xml" and _is_annotation(path)
    return path.is_dir() and bool(voc_files(path))


def voc_files(path: Path) -> list[Path]:
    """The VOC annotation XMLs of ``path`` (itself, or under it), in name order."""
    if path.is_file():
        return [path] if _is_annotation(path) else []
    found = [
        p
        for p in sorted(path.rglob("*"))
        if p.suffix.lower() == ".xml" and p.is_file() and not is_stray(p)
    ]
    return [p for p in found if _is_annotation(p)]


def _is_annotation(path: Path) -> bool:
    """An XML whose root element is ``<annotation>`` (not a scene's metadata)."""
    try:
        for _, element in ET.iterparse(path, events=("start",)):
            return element.tag.rsplit("}", 1)[-1].lower() == "annotation"
    except (OSError, ET.ParseError):
        return False
    return False


def read_voc(path: Path, class_map: ClassMap) -> tuple[list[LabelledTile], list[str]]:
    """Read a VOC XML (or a folder of them) into labelled tiles, and notes for people."""
    files = voc_files(path)
    if not files:
        raise InputError(path, "holds no Pascal VOC annotation (.xml)", _FIX_XML)
    index = _image_index(path if path.is_dir() else path.parent)
    read: dict[Path, list[tuple[Path, LabelledTile]]] = {}  # image → its XMLs and tiles
    renamed: list[tuple[Path, str, Path]] = []  # XML, the image it names, the one read
    for xml in files:
        tile = _read_one(xml, class_map, index, str(path), renamed)
        assert tile.image is not None
        read.setdefault(tile.image, []).append((xml, tile))
    tiles: list[LabelledTile] = []
    names: set[str] = set()
    copies: list[Path] = []
    for image, found in read.items():
        # a copy of an XML ('name - copia.xml', 'name (1).xml'): the one named as the image wins
        found.sort(key=lambda pair: pair[0].stem != image.stem)
        first_xml, tile = found[0]
        for xml, other in found[1:]:
            if not same_boxes(other.boxes, tile.boxes):
                raise InputError(
                    xml,
                    f"labels {image.name} as {first_xml.name} does, with other boxes",
                    "delete the one that is not right (one image, one XML)",
                )
            copies.append(xml)
        base, number = tile.name, 2
        while tile.name in names:  # the same image name in two folders (train/, valid/)
            tile.name = f"{base}_{number}"
            number += 1
        names.add(tile.name)
        tiles.append(tile)
    labelled = {tile.image for tile in tiles}
    unlabelled = [p for p in index_images(index) if p not in labelled]
    notes = []
    if renamed:
        n, (xml, named, image) = len(renamed), renamed[0]
        notes.append(
            f"{count_of(n, 'XML')} in {path} {agree(n, 'names', 'name')} an image that is not "
            f"there and {agree(n, 'is', 'are')} read with the one image of that name and "
            f"another type (first: {xml.name} names {named!r}, read on {image.name}); correct "
            "<filename> where that is not the image labelled"
        )
    if copies:
        n = len(copies)
        notes.append(
            f"{count_of(n, 'XML')} in {path} {agree(n, 'labels', 'label')} an image that another "
            f"XML labels, with the same boxes, and {agree(n, 'is', 'are')} not read again (first: "
            f"{copies[0].name}); delete {agree(n, 'the copy', 'the copies')}"
        )
    if unlabelled and path.is_dir():
        n = len(unlabelled)
        notes.append(
            f"{count_of(n, 'image')} in {path} {agree(n, 'has', 'have')} no annotation XML and "
            f"{agree(n, 'is', 'are')} not read "
            f"(first: {unlabelled[0].name}); save an empty annotation for an image with no "
            "dredge to teach the model that it holds none"
        )
    return tiles, notes


def read_voc_file(xml: Path, image: Path, class_map: ClassMap) -> list[Box]:
    """The boxes of one VOC XML whose image is ``image`` (a LabelImg XML beside its image in a
    YOLO folder)."""
    return _read_one(xml, class_map, {image.name: [image]}, str(xml)).boxes


def _read_one(
    xml: Path,
    class_map: ClassMap,
    index: dict[str, list[Path]],
    source: str,
    renamed: list[tuple[Path, str, Path]] | None = None,
) -> LabelledTile:
    root = _parse(xml)
    file_name = (root.findtext("filename") or "").strip()
    if not file_name:
        raise InputError(xml, "has no <filename>", _FIX_XML)
    image = _find_image(file_name, xml, index, renamed)
    width, height = _size(root, xml, image)
    boxes: list[Box] = []
    for number, obj in enumerate(root.iter("object"), start=1):
        name = (obj.findtext("name") or "").strip()
        where = f"object {number} ({name or 'no name'})"
        target = class_map.resolve(name, xml, where)
        corners = []
        for key in ("xmin", "ymin", "xmax", "ymax"):
            text = obj.findtext(f"bndbox/{key}")
            try:
                corners.append(float(text or ""))
            except ValueError:
                problem = f"{where}: bndbox {key} is {text!r}, not a number"
                raise InputError(xml, problem, _FIX_BOX) from None
        x0, y0, x1, y1 = corners
        clipped = check_box((x0, y0, x1, y1), width, height, xml, where, _FIX_BOX)
        if target is not None:
            boxes.append(Box(target, *clipped))
    return LabelledTile(
        name=image.stem,
        scene=scene_of(image.stem),
        source=source,
        width=width,
        height=height,
        boxes=boxes,
        image=image,
    )


def _parse(xml: Path) -> ET.Element:
    """The XML's root element: in the encoding it declares (UTF-8 where it declares none), else,
    without a declaration, in Windows-1252 (LabelImg on Windows, Notepad's "ANSI": a
    ``pequeña`` was "not valid XML (invalid token)")."""
    try:
        raw = xml.read_bytes()
    except FileNotFoundError:
        raise InputError(xml, "file not found", "check the path") from None
    try:
        return ET.fromstring(raw)
    except ET.ParseError as exc:
        error = exc
    text = _windows_text(raw)
    if text is not None:
        try:
            return ET.fromstring(text)
        except ET.ParseError:
            pass
    raise InputError(xml, f"is not valid XML ({error})", _FIX_XML) from None


def _windows_text(raw: bytes) -> str | None:
    """``raw`` read as Windows-1252 where it is not UTF-8 (nor UTF-16) and declares no
    encoding (as :func:`training.labels.table.read_text` decides for YOLO labels); else None."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return None
    head = raw.lstrip()[:200]
    if head.startswith(b"<?xml") and b"encoding" in head.split(b"?>", 1)[0]:
        return None
    try:
        raw.decode("utf-8")
        return None  # UTF-8: the error is not the encoding's
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _size(root: ET.Element, xml: Path, image: Path) -> tuple[int, int]:
    """The image's size: the file's own (the XML's ``<size>`` must agree when it is given)."""
    width, height = image_size(image)
    told = (root.findtext("size/width"), root.findtext("size/height"))
    try:
        given = tuple(int(float(v)) for v in told if v is not None and v.strip())
    except ValueError:
        given = ()
    if len(given) == 2 and given != (0, 0) and given != (width, height):
        raise InputError(
            xml,
            f"says its image is {given[0]}×{given[1]}, but {image.name} is {width}×{height}",
            "export the labels again with the images they were drawn on",
        )
    return width, height


def _find_image(
    file_name: str,
    xml: Path,
    index: dict[str, list[Path]],
    renamed: list[tuple[Path, str, Path]] | None = None,
) -> Path:
    """The image an XML names; where it is not there, the one image of its name with another
    type or none (CVAT may write the name without its suffix), beside the XML first (noted in
    ``renamed`` where the name had a type: ``a.jpg`` read on ``a.png``)."""
    name = Path(file_name.replace("\\", "/")).name
    beside = xml.parent / name
    if beside.is_file():
        return beside
    found = index.get(name, [])
    typed = Path(name).suffix.lower() in IMAGE_SUFFIXES
    if not found:
        found = _same_stem(Path(name).stem if typed else name, xml, index)
        if typed and len(found) > 1:
            found = []  # a.png and a.tif: which one was labelled is not guessed
        elif typed and found and renamed is not None:
            renamed.append((xml, file_name, found[0]))
    return the_one_image(
        file_name,
        found,
        xml,
        looked="beside it or in a JPEGImages/ or images/ folder",
        fixes=(
            "keep one copy, or put each XML beside its image",
            "put the exported images next to the XML files (CVAT: JPEGImages/ beside Annotations/)",
        ),
    )


def _same_stem(stem: str, xml: Path, index: dict[str, list[Path]]) -> list[Path]:
    """Images named ``stem`` with any type: those beside the XML, else those of the index."""
    found = [p for key, paths in index.items() if Path(key).stem == stem for p in paths]
    beside = [p for p in found if p.parent == xml.parent]
    return beside or found


def _image_index(root: Path) -> dict[str, list[Path]]:
    """Image files by base name under ``root``, and, for CVAT's ``Annotations/``, in the image
    folders beside it (never a wider search: a stranger's image may share a name)."""
    folders = [root]
    if root.name.lower() == "annotations":
        folders += [root.parent / name for name in IMAGE_FOLDERS]
    index: dict[str, list[Path]] = {}
    seen: set[Path] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES or is_stray(path):
                continue
            if path.is_file() and path not in seen:
                seen.add(path)
                index.setdefault(path.name, []).append(path)
    return index


def index_images(index: dict[str, list[Path]]) -> list[Path]:
    """Every image of an index, in name order."""
    return sorted(path for paths in index.values() for path in paths)
