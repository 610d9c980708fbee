"""Vector files read as their authors wrote them.

A Shapefile keeps its text in a code page named by a ``.cpg`` file beside it; without one,
GDAL reads the text as ISO-8859-1. QGIS, geopandas and most tools of today write UTF-8, and a
Shapefile copied without its ``.cpg`` (or zipped by hand with only ``.shp``, ``.shx``,
``.dbf`` and ``.prj``) then reads ``Marañón`` as ``MaraÃ±Ã³n``: a river or class name that
matches nothing, without a word. Text that is valid UTF-8 read as ISO-8859-1 is read again as
UTF-8; real ISO-8859-1 text with accents is almost never valid UTF-8, so it is left as read.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

SHAPEFILE_SUFFIXES = (".shp", ".dbf")

__all__ = ["read_vector_layer", "utf8_read_as_latin1"]


def read_vector_layer(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """``gpd.read_file(path, layer=layer)``, with a UTF-8 Shapefile without ``.cpg`` read as
    UTF-8. A coordinate NaN or Infinity is read without numpy's RuntimeWarning (the callers
    refuse it in one line, :func:`detector.river_files.checked_lines`)."""
    with np.errstate(invalid="ignore"):
        frame = gpd.read_file(path, layer=layer)
    if _shapefile_without_code_page(Path(path)) and _holds_utf8_read_as_latin1(frame):
        frame = gpd.read_file(path, layer=layer, encoding="utf-8")
    return frame


def utf8_read_as_latin1(text: str) -> bool:
    """Whether ``text`` is UTF-8 bytes read as ISO-8859-1 (``MaraÃ±Ã³n``)."""
    if text.isascii():
        return False
    try:
        return text.encode("latin-1").decode("utf-8") != text
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False


def _shapefile_without_code_page(path: Path) -> bool:
    if path.suffix.lower() not in SHAPEFILE_SUFFIXES:
        return False
    stem = path.stem.lower()
    return not any(
        sibling.suffix.lower() == ".cpg" and sibling.stem.lower() == stem
        for sibling in path.parent.iterdir()
    )


def _holds_utf8_read_as_latin1(frame: pd.DataFrame) -> bool:
    names = [str(column) for column in frame.columns]
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    values = [
        value
        for column in frame.columns
        if column != geometry and not pd.api.types.is_numeric_dtype(frame[column])
        for value in frame[column].dropna().unique()
        if isinstance(value, str)
    ]
    texts = [text for text in (*names, *values) if not text.isascii()]
    return bool(texts) and all(utf8_read_as_latin1(text) for text in texts)
