"""Vector files read as written: a UTF-8 Shapefile without its .cpg."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely import LineString

from detector.rivers import RiverNetwork
from detector.vector_files import read_vector_layer, utf8_read_as_latin1

LINES = [
    LineString([(-73.30, -3.80), (-73.25, -3.78)]),
    LineString([(-73.30, -3.70), (-73.2, -3.7)]),
]


def shapefile(folder: Path, encoding: str, *, code_page: bool) -> Path:
    path = folder / f"rios_{encoding.lower()}.shp"
    frame = gpd.GeoDataFrame(
        {"nombre": ["Marañón", "Nanay"], "cuenca": ["Río Amazonas", "Río Amazonas"]},
        geometry=LINES,
        crs="EPSG:4326",
    )
    frame.to_file(path, encoding=encoding)
    if not code_page:
        path.with_suffix(".cpg").unlink()
    return path


def test_a_utf8_shapefile_without_its_code_page_is_read_as_utf8(tmp_path: Path) -> None:
    """QGIS and geopandas write UTF-8; copied without its .cpg (zipped by hand with .shp, .shx,
    .dbf and .prj), the file's text was read as ISO-8859-1: the river 'Marañón' was counted as
    'MaraÃ±Ã³n' in counts.csv, without a word."""
    path = shapefile(tmp_path, "UTF-8", code_page=False)
    assert sorted(RiverNetwork.read(path, name_field="nombre").names) == ["Marañón", "Nanay"]
    assert read_vector_layer(path)["cuenca"].tolist() == ["Río Amazonas"] * 2


@pytest.mark.parametrize(
    ("encoding", "code_page"), [("ISO-8859-1", False), ("UTF-8", True), ("CP1252", True)]
)
def test_shapefiles_whose_text_is_read_right_are_left_as_read(
    tmp_path: Path, encoding: str, code_page: bool
) -> None:
    path = shapefile(tmp_path, encoding, code_page=code_page)
    assert read_vector_layer(path)["nombre"].tolist() == ["Marañón", "Nanay"]


@pytest.mark.parametrize(
    ("text", "misread"),
    [("MaraÃ±Ã³n", True), ("RÃ\x8dO", True), ("Marañón", False), ("Nanay", False), ("Ã", False)],
)
def test_utf8_read_as_latin1(text: str, misread: bool) -> None:
    assert utf8_read_as_latin1(text) is misread
