"""What a rivers file given to --rivers is when it is not the centerlines expected: the column
its names are most likely in, or a scene given in its place (:mod:`detector.rivers` reads it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
