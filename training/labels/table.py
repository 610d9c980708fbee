"""The common table of labelled tiles that every label reader returns.

A :class:`LabelledTile` is one image at the model's GSD: its pixels (a file on disk, or an
8-bit array read from a scene), its boxes in the image's pixels (corners, x to the right, y
down), the scene it was cut from and, for labels drawn over whole scenes and tiles listed in a
``tiles.parquet`` of `dredge tiles` or ``tiles.csv`` of `dredge review`, its place on the map
(the units of the train/val split: by place where every tile has one, else by scene) and the
label set it came from (reported per source by ``dredge evaluate``). A tile without boxes is a
negative: "no dredge here".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from detector.errors import InputError
from detector.user_tables import saved_text
from detector.wording import count_of

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
EDGE_TOLERANCE_PX = 2.0  # boxes may reach this far past an image's edge (rounding in tools)
# Tile names written by `dredge tiles` (<scene>_r003_c017) and `dredge review` (<scene>_w12_340)
_TILE_SUFFIX = re.compile(r"^(?P<scene>.+)_(?:r\d+_c\d+|w\d+_\d+)$")
# Roboflow renames <stem>.png to <stem>_png.rf.<hash>.jpg; Label Studio uploads as <8 hex>-<name>
_ROBOFLOW_SUFFIX = re.compile(r"_(?:png|jpe?g|tiff?|bmp|webp)\.rf\.[0-9a-f]{8,}$", re.IGNORECASE)
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-")
_FIX_IMAGE = "export the tiles as 8-bit PNG or JPEG (as `dredge tiles` or `dredge review` do)"


@dataclass(frozen=True)
class Box:
    """One labelled object: a model class and a box in the tile's pixels."""

    class_name: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def area(self) -> float:
        """Area in pixels²."""
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)


@dataclass
class LabelledTile:
    """A tile, its boxes, its scene (the split unit) and its label set (``source``)."""

    name: str  # unique within a label set; the chip's file stem
    scene: str
    source: str
    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    image: Path | None = None  # an 8-bit image file …
    pixels: NDArray[np.uint8] | None = None  # … or its pixels (rows, cols, bands)
    place: tuple[float, float] | None = None  # its centre (lon, lat), where the labels tell

    def read(self, bands: int) -> NDArray[np.uint8]:
        """The tile's pixels as (rows, cols, ``bands``) uint8; InputError when they do not fit."""
        if self.pixels is not None:
            array = self.pixels
            where: object = f"{self.source} ({self.name})"
        elif self.image is not None:
            array = load_image(self.image)
            where = self.image
        else:
            raise InputError(self.source, f"tile {self.name} has no pixels", _FIX_IMAGE)
        if array.shape[2] != bands:
            raise InputError(
                where,
                f"has {count_of(array.shape[2], 'band')}; the model reads {bands}",
                "give tiles in the model's bands (see its card's input)",
            )
        return array

    def as_float(self, bands: int) -> NDArray[np.float32]:
        """(bands, rows, cols) float32 in [0, 1], as the detector reads tiles."""
        return np.moveaxis(self.read(bands), -1, 0).astype(np.float32) / np.float32(255)


def _unidentified(path: Path) -> str:
    """What PIL says of a file it cannot identify. Once ultralytics is imported, its Image.open
    imports pi-heif (not installed) for such a file: a text file or an empty .png among the
    tiles stopped `dredge train` on "No module named 'pi_heif'", a traceback called a bug."""
    return f"is not a readable image (cannot identify image file {str(path)!r})"


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image, from its header only."""
    try:
        with Image.open(path) as image:
            return image.size
    except FileNotFoundError:
        raise InputError(path, "image not found", "check the label set's image folder") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(path, f"is not a readable image ({exc})", _FIX_IMAGE) from None
    except ImportError:  # ultralytics' Image.open: for a file PIL cannot identify, pi-heif
        raise InputError(path, _unidentified(path), _FIX_IMAGE) from None


def load_image(path: Path) -> NDArray[np.uint8]:
    """An 8-bit image as (rows, cols, bands): grey 1 band, colour 3 (an alpha band dropped)."""
    try:
        with Image.open(path) as opened:
            mode = opened.mode
            image: Image.Image = opened
            if mode in ("P", "CMYK", "YCbCr", "RGBA"):
                image = opened.convert("RGB")
            elif mode == "LA":
                image = opened.convert("L")
            elif mode not in ("RGB", "L"):
                raise InputError(path, f"has pixel mode {mode!r}, not 8-bit", _FIX_IMAGE)
            array = np.asarray(image, dtype=np.uint8)
    except FileNotFoundError:
        raise InputError(path, "image not found", "check the label set's image folder") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(path, f"is not a readable image ({exc})", _FIX_IMAGE) from None
    except ImportError:  # ultralytics' Image.open: for a file PIL cannot identify, pi-heif
        raise InputError(path, _unidentified(path), _FIX_IMAGE) from None
    return array[:, :, None] if array.ndim == 2 else array


def the_one_image(
    file_name: str, found: list[Path], source: Path, *, looked: str, fixes: tuple[str, str]
) -> Path:
    """The one image found for ``file_name``; InputError naming ``source`` when none was found
    (``looked``: where it was looked for) or when several were (a guess could take the wrong
    one). ``fixes``: what to do about several, and about none."""
    if len(found) > 1:
        raise InputError(
            source,
            f"image {file_name!r} is in {len(found)} folders ({found[0]}, {found[1]})",
            fixes[0],
        )
    if not found:
        raise InputError(source, f"image {file_name!r} not found {looked}", fixes[1])
    return found[0]


def is_mac_metadata(path: Path) -> bool:
    """True for the files a Mac leaves in a zip: ``__MACOSX/…`` and ``._name`` (AppleDouble
    resource forks named as the file they go with, but not an image)."""
    return path.name.startswith("._") or "__MACOSX" in path.parts


def is_stray(path: Path) -> bool:
    """True for files that are not labels nor tiles though named like them: a Mac's
    (:func:`is_mac_metadata`) and the temporary file of a write that was killed
    (``.<chip>.png.tmp-<pid>.png`` of `dredge tiles`: a copy of a chip, read as one more tile
    with no label, a negative, or a chip cut short, "not a readable image")."""
    from detector.writing import is_temporary

    return is_mac_metadata(path) or is_temporary(path)


def read_text(path: Path) -> str:
    """A text file as Windows tools save it: UTF-8 (with or without a byte-order mark), UTF-16
    with its byte-order mark (PowerShell 5's ``>``, Notepad's "Unicode"), else Windows-1252
    (Notepad's "ANSI": ``pequeña``); InputError naming the file when it is none of them."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "file not found", "check the path") from None
    try:
        return saved_text(data, also=("cp1252",))
    except UnicodeDecodeError:
        raise InputError(
            path, "is not text in UTF-8, UTF-16 or Windows-1252", "save it again as UTF-8"
        ) from None


def file_name_key(name: str) -> str:
    """What tells tile and chip names apart as file names on any disk: composed (NFC) and
    without letter case (macOS and Windows disks ignore both: ``Nanay_r000_c000`` and
    ``nanay_r000_c000`` are one file there)."""
    return unicodedata.normalize("NFC", name).casefold()


def tile_stem(stem: str) -> str:
    """A tile's file stem as it was written, without what labelling tools add to it: Roboflow's
    ``_png.rf.<hash>`` and Label Studio's upload prefix ``a1b2c3d4-``."""
    return _UPLOAD_PREFIX.sub("", _ROBOFLOW_SUFFIX.sub("", stem))


def cut_tile_name(stem: str) -> str | None:
    """The name `dredge tiles` or `dredge review` gave a tile (``<scene>_r003_c017``,
    ``<scene>_w12_340``), renamed by a labelling tool or not; None for other names."""
    stem = tile_stem(stem)
    return stem if _TILE_SUFFIX.match(stem) else None


def same_pixels(a: LabelledTile, b: LabelledTile) -> bool:
    """True when two tiles hold the same pixels (one tile exported twice)."""
    if (a.width, a.height) != (b.width, b.height):
        return False
    left = a.pixels if a.pixels is not None else load_image(a.image) if a.image else None
    right = b.pixels if b.pixels is not None else load_image(b.image) if b.image else None
    return left is not None and right is not None and np.array_equal(left, right)


def scene_of(stem: str) -> str:
    """The scene a tile was cut from, from its name (renamed by Roboflow or Label Studio or
    not); the name itself when it does not say."""
    stem = tile_stem(stem)
    match = _TILE_SUFFIX.match(stem)
    return match.group("scene") if match else stem


def same_boxes(a: Sequence[Box], b: Sequence[Box]) -> bool:
    """The same boxes in any order, to a pixel (YOLO's six decimals, VOC's whole pixels)."""
    left = list(b)
    for p in a:
        twin = next(
            (
                q
                for q in left
                if q.class_name == p.class_name
                and max(abs(p.x0 - q.x0), abs(p.y0 - q.y0), abs(p.x1 - q.x1), abs(p.y1 - q.y1))
                <= 1.0
            ),
            None,
        )
        if twin is None:
            return False
        left.remove(twin)
    return not left


def check_box(
    box: tuple[float, float, float, float],
    width: int,
    height: int,
    path: object,
    where: str,
    fix: str,
) -> tuple[float, float, float, float]:
    """A box clipped to its image; InputError when it is empty, reaches outside it by more
    than :data:`EDGE_TOLERANCE_PX` or lies wholly outside it."""
    x0, y0, x1, y1 = box
    if not all(np.isfinite(v) for v in box):
        raise InputError(path, f"{where}: box has a value that is not a number", fix)
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        raise InputError(path, f"{where}: box has no area (width or height ≤ 0)", fix)
    tol = EDGE_TOLERANCE_PX
    outside = x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height  # within tol, but all out
    if x0 < -tol or y0 < -tol or x1 > width + tol or y1 > height + tol or outside:
        raise InputError(
            path,
            f"{where}: box x {x0:g}–{x1:g}, y {y0:g}–{y1:g} reaches outside the "
            f"{width}×{height} image",
            fix,
        )
    return max(x0, 0.0), max(y0, 0.0), min(x1, float(width)), min(y1, float(height))
