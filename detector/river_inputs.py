"""What a rivers file given to --rivers is when it is not the centerlines expected: the column
its names are most likely in, or a scene given in its place; and its names as text, checked for
twins that differ only in case or accents (:mod:`detector.rivers` reads it); and its digest,
which a run's key and Dask workers compare (:func:`rivers_digest`)."""

from __future__ import annotations

import glob
import hashlib
import unicodedata
from pathlib import Path

import pandas as pd

from detector.card import file_sha256
from detector.errors import InputError

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".jp2")
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".fgb", ".tab", ".mif")


def refuse_scenes(source: Path) -> None:
    """A scene, or a folder of them, given as rivers (SCENES and --rivers swapped) is named so:
    it was "cannot be read as centerlines (… not recognized as being in a supported file
    format.; It might help to specify the correct driver …)"."""
    scene = source.suffix.lower() in RASTER_SUFFIXES
    if source.is_dir() and source.suffix.lower() != ".gdb":  # a FileGDB is a folder
        suffixes = {p.suffix.lower() for p in source.iterdir()}
        # a folder that GDAL reads as a vector data source (its shapefiles) is no folder of
        # scenes for holding a raster beside them (a hillshade, a scene to look at)
        scene = bool(suffixes & set(RASTER_SUFFIXES)) and not suffixes & set(VECTOR_SUFFIXES)
    if scene:
        what = "a folder of scenes" if source.is_dir() else "a scene (a raster)"
        raise InputError(
            source,
            f"is {what}, not river centerlines",
            "give the scenes as SCENES and the centerlines' file (GeoJSON, GeoPackage, "
            "Shapefile, GeoParquet, KML) to --rivers",
        )


def likely_name_column(frame: pd.DataFrame, columns: list[str]) -> str | None:
    """The column that most likely holds river names, to name in the error: the only column of
    text, else the only one whose name says name or river (``NOMBRE_RIO``, ``RIVER``)."""
    text = [c for c in columns if frame[c].map(lambda v: isinstance(v, str)).mean() > 0.5]
    if len(text) == 1:
        return text[0]
    words = ("nom", "name", "rio", "río", "river")
    named = [c for c in text if any(word in c.casefold() for word in words)]
    return named[0] if len(named) == 1 else None


def name_text(name: object) -> str:
    """A river's name as text: a code held in a column of decimals (a Shapefile's Real field,
    one `3.0` among whole numbers in a GeoJSON) as the whole number it is (`4972`, not
    `4972.0`, in every table and map); see the comment for the rest."""
    if isinstance(name, float) and name.is_integer():
        return str(int(name))
    # composed (NFC), without the invisible format characters a name pasted from a web page or
    # a CSV's first cell carries (a zero-width space, a byte-order mark, a soft hyphen):
    # 'Nanay\u200b' beside 'Nanay' was refused as a name that differs in case or accents
    text = unicodedata.normalize("NFC", str(name))
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def check_names_apart(names: pd.Series, source: str) -> None:
    """InputError when two river names differ only in case or accents (Santiago, santiago;
    Río Nanay, Rio Nanay): most likely one river typed twice, which would be counted apart."""
    groups: dict[str, set[str]] = {}
    for name in names.unique():
        # accents alone dropped: without every other non-ASCII character too ('Quebrada 1–2'
        # and 'Quebrada 12' were refused as names that differ only in case or accents)
        decomposed = unicodedata.normalize("NFKD", str(name))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        groups.setdefault(folded.casefold(), set()).add(str(name))
    clashes = [sorted(group) for group in groups.values() if len(group) > 1]
    if clashes:
        shown = "; ".join(" and ".join(repr(n) for n in group) for group in clashes[:3])
        raise InputError(
            source,
            f"river names differ only in case or accents: {shown}",
            "write one name for one river (each name is counted as a river of its own)",
        )


SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg")
"""The files of a Shapefile beside its ``.shp`` that what is read from it depends on: the
index, the attributes (the rivers' names), the CRS and the names' encoding."""


def rivers_digest(rivers: Path) -> str:
    """sha256 of a rivers file (of a Shapefile, of its ``.shp`` and the parts beside it in
    :data:`SHAPEFILE_PARTS`); of a folder source (a FileGDB ``.gdb``), of its files' names
    and bytes; another source (a URL) is its text. A folder's digest was its path as
    typed, which a Dask worker, given it absolute, never matched: every scene failed. A
    Shapefile's was its ``.shp`` alone: a river renamed in its ``.dbf``, or its ``.prj``
    corrected (other corridors), resumed the run with the old detections without a word."""
    if rivers.is_file():
        beside = shapefile_parts(rivers)
        if not beside:
            return file_sha256(rivers)
        digest = hashlib.sha256(file_sha256(rivers).encode())
        for part in beside:
            digest.update(part.suffix.lower().encode() + b"\0" + file_sha256(part).encode())
        return digest.hexdigest()
    if rivers.is_dir():
        digest = hashlib.sha256()
        parts = (p for p in rivers.rglob("*") if p.is_file() and p.suffix != ".lock")
        for part in sorted(parts):  # (ArcGIS adds and drops .lock files while it reads)
            digest.update(part.relative_to(rivers).as_posix().encode() + b"\0")
            digest.update(file_sha256(part).encode())
        return digest.hexdigest()
    return str(rivers)


def shapefile_parts(path: Path) -> list[Path]:
    """The parts in :data:`SHAPEFILE_PARTS` beside a ``.shp`` (any case), in that order; []
    for another file."""
    if path.suffix.lower() != ".shp":
        return []
    beside = {
        part.suffix.lower(): part
        for part in path.parent.glob(f"{glob.escape(path.stem)}.*")
        if part.stem == path.stem  # not rivers.v2.dbf beside rivers.shp
    }
    return [beside[suffix] for suffix in SHAPEFILE_PARTS if suffix in beside]
