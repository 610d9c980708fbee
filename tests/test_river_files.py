"""Rivers files: formats, layers, name columns and names, and the files refused in one line
(:mod:`detector.river_files`, through :class:`detector.rivers.RiverNetwork`)."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely import LineString, Point, box

from detector.errors import InputError
from detector.rivers import RiverNetwork
from tests.geo_fixtures import write_rivers
from tests.river_fixtures import EAST, UTM, X0, Y0, river_network


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".parquet"])
def test_reads_every_format_in_any_crs(tmp_path: Path, suffix: str) -> None:
    path = write_rivers(tmp_path / f"r{suffix}", {"nanay": EAST, "itaya": [EAST]}, crs=UTM)
    network = RiverNetwork.read(path)
    assert network.names == ["itaya", "nanay"]
    assert network.length_m("nanay") == pytest.approx(5000, abs=1)  # WGS84 → UTM and back


def test_name_field_option(tmp_path: Path) -> None:
    path = write_rivers(tmp_path / "r.gpkg", {"Nanay": EAST}, crs=UTM, name_field="RIV_NAME")
    assert RiverNetwork.read(path, name_field="RIV_NAME").names == ["Nanay"]


@pytest.mark.parametrize("field", ["Name", "NAME", "nombre"])
def test_the_name_column_is_found_in_any_case_and_in_spanish(tmp_path: Path, field: str) -> None:
    """Shapefiles write NAME, Google Earth's KML Name, Peru's IGN hydrography nombre."""
    path = write_rivers(tmp_path / "r.gpkg", {"Nanay": EAST}, crs=UTM, name_field=field)
    assert RiverNetwork.read(path).names == ["Nanay"]


def _google_earth_kml(lines: dict[str, LineString]) -> str:
    """Paths in a folder and a pin in another, 3D coordinates, as Google Earth saves them."""
    to_lon_lat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform
    marks = []
    for name, line in lines.items():
        xy = " ".join(f"{lon:.7f},{lat:.7f},0" for lon, lat in map(to_lon_lat, *line.xy))
        marks.append(
            f"<Placemark><name>{name}</name><LineString><tessellate>1</tessellate>"
            f"<coordinates>{xy}</coordinates></LineString></Placemark>"
        )
    lon, lat = to_lon_lat(X0, Y0 + 300)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><Folder><name>Ríos</name>{''.join(marks)}</Folder>"
        "<Folder><name>Campamentos</name><Placemark><name>campamento</name>"
        f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark></Folder>"
        "</Document></kml>"
    )


def test_paths_drawn_in_google_earth_are_centerlines(tmp_path: Path) -> None:
    """KML/KMZ: every folder's paths are read (with their 3D coordinates), pins skipped."""
    import zipfile

    upstream, downstream = (
        LineString([(X0, Y0), (X0 + 2500, Y0)]),
        LineString([(X0 + 2500, Y0), EAST.coords[-1]]),
    )
    kml = tmp_path / "rivers.kml"
    kml.write_text(_google_earth_kml({"Nanay": upstream, "Nanay ": downstream}))
    kmz = tmp_path / "rivers.kmz"
    with zipfile.ZipFile(kmz, "w") as archive:
        archive.write(kml, "doc.kml")
    for path in (kml, kmz):
        network = RiverNetwork.read(path)
        assert network.names == ["Nanay"]
        assert network.length_m("Nanay") == pytest.approx(5000, abs=2)
    pins = tmp_path / "pins.kml"
    pins.write_text(_google_earth_kml({}))
    with pytest.raises(InputError, match="has no paths"):
        RiverNetwork.read(pins)


def test_a_project_geopackage_gives_its_layer_of_centerlines(tmp_path: Path) -> None:
    """A GeoPackage with camps (points) before the rivers used to be read by its first layer:
    'holds Point geometries, not centerlines', with the centerlines beside them."""
    path = tmp_path / "proyecto.gpkg"
    camps = gpd.GeoDataFrame({"name": ["camp"]}, geometry=[Point(X0, Y0 + 300)], crs=UTM)
    camps.to_file(path, layer="campamentos")
    lines = gpd.GeoDataFrame({"name": ["Nanay"]}, geometry=[EAST], crs=UTM)
    lines.to_file(path, layer="rios")
    assert RiverNetwork.read(path).names == ["Nanay"]
    lines.assign(name="Itaya").to_file(path, layer="tributaries")  # two layers of lines
    assert RiverNetwork.read(path).names == ["Nanay"]  # the one named as rivers
    unnamed = tmp_path / "lines.gpkg"
    lines.to_file(unnamed, layer="lines_2023")
    lines.to_file(unnamed, layer="lines_2024")
    with pytest.raises(InputError, match=r"has 2 layers \(lines_2023, lines_2024\) and no one"):
        RiverNetwork.read(unnamed)


def test_bad_rivers_files_give_one_clear_line(tmp_path: Path) -> None:
    no_name = write_rivers(tmp_path / "a.geojson", {"x": EAST}, crs=UTM, name_field="RIO")
    polygons = tmp_path / "p.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=UTM).to_file(polygons)
    empty = tmp_path / "e.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    unnamed = tmp_path / "u.geojson"
    gpd.GeoDataFrame({"name": [None]}, geometry=[EAST], crs=UTM).to_file(unnamed)
    garbage = tmp_path / "g.gpkg"
    garbage.write_text("not a geopackage")
    cases = {
        no_name: "has no 'name' column (columns: RIO) — name the column that holds river "
        "names with --name-field, here likely --name-field RIO",
        polygons: "holds Polygon geometries",
        empty: "has no",
        unnamed: "1 centerline has no 'name'",
        garbage: "cannot be read as centerlines",
        tmp_path / "missing.geojson": "file not found",
    }
    for path, problem in cases.items():
        with pytest.raises(InputError) as caught:
            RiverNetwork.read(path)
        message = str(caught.value)
        assert message.startswith(str(path)) and problem in message, message
        assert "\n" not in message


def test_a_rivers_file_without_a_name_column_names_the_likely_one(tmp_path: Path) -> None:
    """ANA-style columns (NOMBRE_RIO beside a numeric OBJECTID, or beside other text): the
    error said only "name the column ... with --name-field", leaving the analyst to guess."""
    lines = [EAST, EAST.parallel_offset(3000)]
    ana = tmp_path / "ana.gpkg"
    frame = {"OBJECTID": [1, 2], "NOMBRE_RIO": ["Nanay", "Itaya"]}
    gpd.GeoDataFrame(frame, geometry=lines, crs=UTM).to_file(ana)
    two = tmp_path / "two.gpkg"
    frame = {"CODIGO": ["a1", "a2"], "NOMBRE_RIO": ["Nanay", "Itaya"], "TIPO": ["rio", "rio"]}
    gpd.GeoDataFrame(frame, geometry=lines, crs=UTM).to_file(two)
    vague = tmp_path / "vague.gpkg"
    gpd.GeoDataFrame({"A": ["x", "y"], "B": ["x", "y"]}, geometry=lines, crs=UTM).to_file(vague)
    for path in (ana, two):
        with pytest.raises(InputError, match=r"here likely --name-field NOMBRE_RIO$"):
            RiverNetwork.read(path)
    with pytest.raises(InputError) as caught:
        RiverNetwork.read(vague)
    assert "likely" not in str(caught.value)
    assert "--name-field" in str(caught.value)
    assert len(RiverNetwork.read(ana, name_field="NOMBRE_RIO").rivers) == 2


def test_a_rivers_file_written_latitude_first_is_one_line(tmp_path: Path) -> None:
    """A GeoJSON written [lat, lon] put the Nanay in Antarctica: `dredge detect` said each scene
    "does not overlap any river corridor", and `dredge track` asked whether the detections'
    lon and lat were swapped."""
    import json

    to_lon_lat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform
    lat_first = [[lat, lon] for lon, lat in map(to_lon_lat, *EAST.xy)]
    feature = {"properties": {"name": "Nanay"}, "type": "Feature"}
    feature["geometry"] = {"type": "LineString", "coordinates": lat_first}
    path = tmp_path / "rivers.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(InputError, match=r"'Nanay' lies at 73\.\d° S, 3\.\d° W .* latitude first"):
        RiverNetwork.read(path)


def test_hydrorivers_without_names_says_how_to_name_them(tmp_path: Path) -> None:
    path = tmp_path / "HydroRIVERS_v10_sa.gpkg"
    reaches = {"HYRIV_ID": [61000001], "MAIN_RIV": [61000001], "LENGTH_KM": [5.0]}
    gpd.GeoDataFrame(reaches, geometry=[EAST], crs=UTM).to_file(path)
    with pytest.raises(InputError, match=r"HydroRIVERS has no river names: select the reaches"):
        RiverNetwork.read(path)


def test_names_with_stray_spaces_are_one_river_and_case_twins_are_refused() -> None:
    """A shapefile's 'Nanay ' beside 'Nanay' made two rivers, each counted on its own."""
    upstream = LineString([(X0 - 3000, Y0), (X0, Y0)])
    other = LineString([(X0, Y0 + 5000), (X0 + 4000, Y0 + 5000)])
    frame = gpd.GeoDataFrame(
        {"name": ["Nanay", " Nanay  ", "Itaya"]}, crs=UTM, geometry=[upstream, EAST, other]
    )
    network = RiverNetwork.from_frame(frame)
    assert network.names == ["Itaya", "Nanay"]
    assert network.length_m("Nanay") == pytest.approx(8000, abs=1)
    twins = frame.assign(name=["Río Nanay", "Rio  nanay", "Itaya"])
    with pytest.raises(InputError, match="differ only in case or accents: 'Rio nanay' and 'Río"):
        RiverNetwork.from_frame(twins)
    # 'Río' typed on a Mac is 'i' + a combining accent (NFD): one river, named as composed
    mac = frame.assign(name=["Río Nanay", "Ri\u0301o Nanay", "Itaya"])
    assert RiverNetwork.from_frame(mac).names == ["Itaya", "Río Nanay"]


def test_one_name_on_rivers_far_apart_makes_rivers_of_their_own(tmp_path: Path) -> None:
    """A country's layer names many streams alike: as one river, their reference line bridged
    them across the land (and took detections of other rivers near the bridge)."""
    here = [LineString([(X0, Y0), (X0 + 5000, Y0)]), LineString([(X0 + 5000, Y0), (X0 + 9000, Y0)])]
    gap = [LineString([(X0 + 15_000, Y0), (X0 + 17_000, Y0)])]  # 6 km on: the same river
    far = [LineString([(X0 + 200_000, Y0 + 50_000), (X0 + 203_000, Y0 + 50_000)])]
    network = river_network(tmp_path, {"Quebrada Seca": here + gap + far, "Nanay": [EAST]})
    assert network.names == ["Nanay", "Quebrada Seca", "Quebrada Seca (2)"]
    assert network.length_m("Quebrada Seca") == pytest.approx(17_000, abs=1)  # gap bridged
    assert network.length_m("Quebrada Seca (2)") == pytest.approx(3000, rel=0.01)  # its zone
    assert len(network.notes) == 1 and "'Quebrada Seca': 2 rivers" in network.notes[0]
    assert river_network(tmp_path / "one", {"Nanay": [EAST]}).notes == []


def test_a_river_of_single_points_is_one_line_and_a_dot_beside_a_river_is_dropped(
    tmp_path: Path,
) -> None:
    """A line of two identical points (a double click in QGIS) left nothing to build the river
    on: 'IndexError: pop from empty list'."""
    dot = LineString([(X0 + 100, Y0 + 100), (X0 + 100, Y0 + 100)])
    with pytest.raises(InputError, match=r"river 'nanay' has no line of any length"):
        river_network(tmp_path, {"nanay": [dot]})
    network = river_network(tmp_path / "two", {"nanay": [EAST, dot]})
    assert network.length_m("nanay") == pytest.approx(5000)


def test_a_line_with_a_null_coordinate_is_one_line_naming_its_feature(tmp_path: Path) -> None:
    """GDAL reads a line with one null coordinate as no line at all: beside another river, the
    Nanay was left out without a word (its detections would be on no river)."""
    path = tmp_path / "r.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"name": "Itaya"}, "geometry": {"type": '
        '"LineString", "coordinates": [[-73.30, -3.9], [-73.28, -3.9]]}},'
        '{"type": "Feature", "properties": {"name": "Nanay"}, "geometry": {"type": '
        '"LineString", "coordinates": [[-73.45, -3.8], [null, null], [-73.40, -3.8]]}}]}'
    )
    with pytest.raises(InputError, match=r"feature 2 \(river 'Nanay'\) has no geometry"):
        RiverNetwork.read(path)


@pytest.mark.parametrize(
    "line",
    [
        "[NaN, -3.8], [-73.40, -3.8]",
        "[-73.45, -3.8], [NaN, -3.8], [-73.40, -3.8]",
        "[-73.45, -3.8], [Infinity, -3.8], [-73.40, -3.8]",
        "[-73.45, -3.8], [-73.40, -Infinity]",
    ],
)
def test_a_line_with_a_coordinate_not_a_number_is_one_line_naming_its_feature(
    tmp_path: Path, line: str
) -> None:
    """GDAL reads NaN and Infinity in a GeoJSON line as numbers: the river was built on them.
    A NaN first stopped every command that reads --rivers on a fault ('GEOSException:
    IllegalArgumentException: CGAlgorithmsDD::orientationIndex encountered NaN/Inf numbers',
    a traceback, exit 3); a NaN further on said the river 'has no line of any length', an
    Infinity that it 'does not lie on Earth in the file's CRS'."""
    path = tmp_path / "r.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"name": "Itaya"}, "geometry": {"type": '
        '"LineString", "coordinates": [[-73.30, -3.9], [-73.28, -3.9]]}},'
        '{"type": "Feature", "properties": {"name": "Nanay"}, "geometry": {"type": '
        f'"LineString", "coordinates": [{line}]}}}}]}}'
    )
    with pytest.raises(InputError, match=r"feature 2 \(river 'Nanay'\) has a coordinate that"):
        RiverNetwork.read(path)


def test_scenes_given_as_rivers_are_named(tmp_path: Path) -> None:
    """SCENES and --rivers swapped: a scene or a folder of them given to --rivers was "cannot
    be read as centerlines (… not recognized as being in a supported file format.; It might
    help to specify the correct driver explicitly …)"."""
    folder = tmp_path / "PSScene"
    folder.mkdir()
    scene = folder / "20240101_145902_28_241d_3B_AnalyticMS_SR.tif"
    scene.write_bytes(b"II*\0")
    for path, what in ((folder, "a folder of scenes"), (scene, "a scene (a raster)")):
        with pytest.raises(InputError, match=rf"is {re.escape(what)}, not river centerlines"):
            RiverNetwork.read(path)


def _small_raster(path: Path) -> None:
    import rasterio
    from affine import Affine

    profile = {
        "driver": "GTiff",
        "width": 4,
        "height": 4,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:4326",
        "transform": Affine(0.1, 0, -74, 0, -0.1, -3),  # from_origin's: it warns of `*`
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.zeros((1, 4, 4), "uint8"))


def test_a_folder_of_shapefiles_with_a_raster_beside_is_read(tmp_path: Path) -> None:
    """A folder given to --rivers, read by GDAL for its shapefile, was refused as "a folder of
    scenes" when a raster lay beside the shapefile (a hillshade)."""
    line = LineString([(-73.3, -3.7), (-73.2, -3.7)])
    gpd.GeoDataFrame({"name": ["Nanay"]}, geometry=[line], crs=4326).to_file(tmp_path / "r.shp")
    _small_raster(tmp_path / "hillshade.tif")
    assert RiverNetwork.read(tmp_path).names == ["Nanay"]
    (tmp_path / "r.shp").unlink()
    with pytest.raises(InputError, match="is a folder of scenes"):
        RiverNetwork.read(tmp_path)


def test_river_codes_in_a_column_of_decimals_are_named_as_whole_numbers(tmp_path: Path) -> None:
    """A Shapefile's Real field of reach codes (`--name-field codigo`) named the rivers
    `4972.0` and `4975.0` in counts.csv, the report and every map; one `3.0` among whole
    numbers in a GeoJSON did so to all of them."""
    other = LineString([(X0, Y0 + 5000), (X0 + 4000, Y0 + 5000)])
    path = tmp_path / "cuencas.shp"
    frame = gpd.GeoDataFrame({"codigo": [4972.0, 4975.0]}, crs=UTM, geometry=[EAST, other])
    frame.to_file(path)
    assert RiverNetwork.read(path, name_field="codigo").names == ["4972", "4975"]
    mixed = frame.assign(codigo=[3.0, 2.5])
    assert RiverNetwork.from_frame(mixed, name_field="codigo").names == ["2.5", "3"]


def test_names_that_differ_by_more_than_case_or_accents_are_two_rivers() -> None:
    """Names were compared with every character outside ASCII dropped: `Quebrada 1–2` (an en
    dash) and `Quebrada 12`, or `Ña’pe` (a typographic apostrophe) and `Ñape`, were refused as
    names that 'differ only in case or accents'."""
    other = LineString([(X0, Y0 + 5000), (X0 + 4000, Y0 + 5000)])
    frame = gpd.GeoDataFrame({"name": ["Quebrada 1–2", "Quebrada 12"]}, crs=UTM,
                             geometry=[EAST, other])  # fmt: skip
    assert RiverNetwork.from_frame(frame).names == ["Quebrada 12", "Quebrada 1–2"]
    apostrophe = frame.assign(name=["Quebrada Ña’pe", "Quebrada Ñape"])
    assert len(RiverNetwork.from_frame(apostrophe).names) == 2
    with pytest.raises(InputError, match="differ only in case or accents"):
        RiverNetwork.from_frame(frame.assign(name=["Quebrada Ña’pe", "QUEBRADA NA’PE"]))


def test_invisible_characters_pasted_into_a_name_make_no_other_river() -> None:
    """A name pasted from a web page or a CSV's first cell carries a zero-width space, a
    byte-order mark or a soft hyphen: `Nanay\\u200b` beside `Nanay` was refused as names that
    'differ only in case or accents' (shown as 'Nanay' and 'Nanay\\u200b'); a name of such
    characters alone is no name."""
    other = LineString([(X0, Y0 + 5000), (X0 + 4000, Y0 + 5000)])
    upstream = LineString([(X0 - 3000, Y0), (X0, Y0)])
    frame = gpd.GeoDataFrame({"name": ["\ufeffNanay\u200b", "Nanay", "Ita\u00adya"]}, crs=UTM,
                             geometry=[upstream, EAST, other])  # fmt: skip
    network = RiverNetwork.from_frame(frame)
    assert network.names == ["Itaya", "Nanay"]
    assert network.length_m("Nanay") == pytest.approx(8000, abs=1)
    with pytest.raises(InputError, match=r"1 centerline has no 'name'"):
        RiverNetwork.from_frame(frame.assign(name=["Nanay", "Nanay", "\u200b"]))


def test_a_name_column_with_spaces_around_or_accents_is_found(tmp_path: Path) -> None:
    """A GeoJSON joined from a spreadsheet whose header was `Nombre ` was "has no 'name'
    column (columns: Nombre , OBJECTID)", with the advice `--name-field Nombre `, which typed
    unquoted did not find it either; `--name-field nombre_rio` did not find `Nombre_Río`."""
    other = LineString([(X0, Y0 + 5000), (X0 + 4000, Y0 + 5000)])
    path = tmp_path / "rios.geojson"
    frame = gpd.GeoDataFrame({"Nombre ": ["Nanay", "Itaya"], "OBJECTID": [1, 2]}, crs=UTM,
                             geometry=[EAST, other])  # fmt: skip
    frame.to_file(path)
    assert RiverNetwork.read(path).names == ["Itaya", "Nanay"]
    frame.rename(columns={"Nombre ": "Nombre_Río"}).to_file(path)
    assert RiverNetwork.read(path, name_field="nombre_rio").names == ["Itaya", "Nanay"]
