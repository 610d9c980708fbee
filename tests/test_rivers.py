"""River centerlines: file formats, merging pieces, corridors, chainage and offsets, bad files."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer
from shapely import LineString, Point, box
from shapely.ops import substring

from detector.errors import InputError
from detector.river_lines import reference_line
from detector.river_measure import utm_zone_of
from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork
from tests.geo_fixtures import write_rivers

UTM = "EPSG:32718"
X0, Y0 = 690_000.0, 9_585_000.0  # near Iquitos
EAST = LineString([(X0, Y0), (X0 + 5000, Y0)])  # flows east: the left bank is north


def _network(tmp_path: Path, lines: dict, **kwargs: object) -> RiverNetwork:
    path = write_rivers(tmp_path / "rivers.geojson", lines, crs=UTM)
    return RiverNetwork.read(path, **kwargs)  # type: ignore[arg-type]


def _points(*xy: tuple[float, float], crs: str = UTM, index: list | None = None) -> gpd.GeoSeries:
    return gpd.GeoSeries([Point(x, y) for x, y in xy], crs=crs, index=index)


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


def test_chainage_from_downstream_end_and_signed_offset(tmp_path: Path) -> None:
    network = _network(tmp_path, {"nanay": EAST})
    got = network.locate(
        _points((X0 + 1000, Y0 + 50), (X0 + 4000, Y0 - 80), (X0 + 2500, Y0 + 2000)),
    )
    assert got.loc[0, "river"] == "nanay"
    assert got.loc[0, "chainage_m"] == pytest.approx(4000, abs=0.5)
    assert got.loc[0, "offset_m"] == pytest.approx(50, abs=0.5)  # north = left bank
    assert got.loc[1, "chainage_m"] == pytest.approx(1000, abs=0.5)
    assert got.loc[1, "offset_m"] == pytest.approx(-80, abs=0.5)
    assert got.loc[2, "river"] is None  # 2 km away: outside the corridor
    assert np.isnan(got.loc[2, "chainage_m"]) and np.isnan(got.loc[2, "offset_m"])


def test_locate_keeps_index_accepts_other_crs_and_gate(tmp_path: Path) -> None:
    network = _network(tmp_path, {"nanay": EAST})
    to_mercator = Transformer.from_crs(UTM, "EPSG:3857", always_xy=True)
    mercator = to_mercator.transform(X0 + 1000, Y0 + 100)
    frame = gpd.GeoDataFrame(geometry=_points(mercator, crs="EPSG:3857", index=["a"]))
    got = network.locate(frame)
    assert list(got.index) == ["a"]
    assert got.loc["a", "offset_m"] == pytest.approx(100, abs=0.5)
    assert network.locate(frame, max_offset_m=50).loc["a", "river"] is None
    assert network.locate(frame.iloc[:0]).empty


def test_nearest_river_wins(tmp_path: Path) -> None:
    north = LineString([(X0, Y0 + 300), (X0 + 5000, Y0 + 300)])
    network = _network(tmp_path, {"nanay": EAST, "itaya": north})
    got = network.locate(_points((X0 + 100, Y0 + 100), (X0 + 100, Y0 + 200)))
    assert list(got["river"]) == ["nanay", "itaya"]


def test_pieces_in_any_order_are_merged_and_gaps_bridged(tmp_path: Path) -> None:
    pieces = [
        LineString([(X0 + 3000, Y0), (X0 + 5000, Y0)]),  # downstream piece first
        LineString([(X0, Y0), (X0 + 1000, Y0)]),
        LineString([(X0 + 1000, Y0), (X0 + 2950, Y0)]),  # 50 m gap before the next piece
    ]
    network = _network(tmp_path, {"nanay": pieces})
    assert network.length_m("nanay") == pytest.approx(5000, abs=1)
    got = network.locate(_points((X0 + 500, Y0 + 10), (X0 + 4500, Y0 - 10)))
    assert list(got["chainage_m"].round()) == [4500, 500]
    assert list(np.sign(got["offset_m"])) == [1, -1]


@pytest.mark.parametrize("turned", [1, 2])
def test_a_piece_drawn_against_the_flow_is_turned_round(tmp_path: Path, turned: int) -> None:
    """Reaches digitised by hand, one of them upstream: the reference line bridged across the
    turned piece and back (6.2 km instead of 3.9 km on a synthetic river), so that positions
    along it were off by up to 2.4 km and across it by 200 m."""
    pieces = [
        LineString([(X0, Y0), (X0 + 1000, Y0 + 300)]),
        LineString([(X0 + 1000, Y0 + 300), (X0 + 1500, Y0 + 600), (X0 + 2000, Y0)]),
        LineString([(X0 + 2000, Y0), (X0 + 5000, Y0 + 200)]),  # the longest: the flow
    ]
    pieces[turned - 1] = pieces[turned - 1].reverse()
    network = _network(tmp_path, {"nanay": pieces})
    whole = LineString(
        [
            (X0, Y0),
            (X0 + 1000, Y0 + 300),
            (X0 + 1500, Y0 + 600),
            (X0 + 2000, Y0),
            (X0 + 5000, Y0 + 200),
        ]
    )
    assert network.length_m("nanay") == pytest.approx(whole.length, abs=1)
    points = ((X0 + 500, Y0 + 160), (X0 + 1500, Y0 + 560), (X0 + 3000, Y0 + 100))
    got = network.locate(_points(*points))
    expected = _network(tmp_path / "one", {"nanay": [whole]}).locate(_points(*points))
    assert np.allclose(got["chainage_m"], expected["chainage_m"], atol=1)
    assert np.allclose(got["offset_m"], expected["offset_m"], atol=1)


@pytest.mark.parametrize("overlap_m", [3.0, 8.0, 30.0])
def test_reaches_overlapping_by_a_few_metres_make_one_length(overlap_m: float) -> None:
    """Review of c74c52d: a piece begun within 10 m of the end it joins was taken for a
    joint and not cut, and the line went back up each overlap: ten 1 km reaches overlapping
    by 8 m made a 10,144 m line for 10 km."""
    pieces = [
        LineString([(X0 + max(0.0, 1000 * i - overlap_m), Y0), (X0 + 1000 * (i + 1), Y0)])
        for i in range(10)
    ]
    line = reference_line(pieces, 250.0)
    assert line.length == pytest.approx(10_000, abs=0.5)
    assert line.project(Point(X0 + 9500, Y0)) == pytest.approx(9500, abs=0.5)


@pytest.mark.parametrize("copy", ["as drawn", "turned round"])
def test_a_reach_traced_twice_is_one_length_of_the_line(tmp_path: Path, copy: str) -> None:
    """Reaches traced by hand overlap at their joints, and a feature copied (or two layers
    merged) gives a reach twice. The reference line went back up each overlap and down again:
    with the demo's upstream Nanay piece given twice, 29 of its 75 dredge detections were placed
    up to 3.9 km off and its counts went from 4 and 9 to 6 and 8; with the next reach begun
    400 m upstream of the joint, 10 m aside, positions were off by up to 801 m, and two
    detections a metre apart in the overlap were 800 m apart along the river."""
    upstream = LineString([(X0, Y0), (X0 + 6000, Y0)])  # 1 km past the joint
    downstream = LineString([(X0 + 5000, Y0 + 15), (X0 + 10_000, Y0 + 15)])
    network = _network(tmp_path, {"nanay": [upstream, downstream]})
    assert network.length_m("nanay") == pytest.approx(10_000, abs=20)
    moored = network.locate(_points((X0 + 5200, Y0 + 4), (X0 + 5200, Y0 + 12), (X0 + 4000, Y0)))
    assert moored.loc[0, "chainage_m"] == pytest.approx(moored.loc[1, "chainage_m"], abs=2)
    assert moored.loc[2, "chainage_m"] == pytest.approx(6000, abs=20)
    twice = EAST if copy == "as drawn" else EAST.reverse()
    network = _network(tmp_path / "twice", {"nanay": [EAST, twice]})
    assert network.length_m("nanay") == pytest.approx(5000, abs=1)
    got = network.locate(_points((X0 + 1000, Y0 + 20)))
    assert got.loc[0, "chainage_m"] == pytest.approx(4000, abs=1)
    assert got.loc[0, "offset_m"] == pytest.approx(20, abs=1)


def test_a_river_drawn_mostly_downstream_keeps_that_direction() -> None:
    """The longest piece was drawn upstream, the other two (longer together) downstream."""
    pieces = [
        LineString([(0, 0), (2000, 0)]),
        LineString([(5000, 0), (2000, 0)]),  # the longest, drawn against the flow
        LineString([(5000, 0), (7000, 0)]),
    ]
    line = reference_line(pieces, side_gap_m=DEFAULT_CORRIDOR_M)
    assert line.coords[0] == (0, 0) and line.coords[-1] == (7000, 0)
    assert line.length == pytest.approx(7000)
    alone = reference_line(pieces[1:2], side_gap_m=DEFAULT_CORRIDOR_M)
    assert alone.coords[0] == (5000, 0)


def test_side_channel_stays_out_of_the_reference_line() -> None:
    main = LineString([(0, 0), (10_000, 0)])
    island_arm = LineString([(3000, 10), (3500, 200), (4000, 10)])
    line = reference_line([island_arm, main], side_gap_m=DEFAULT_CORRIDOR_M)
    assert line.equals(main)


def test_dredges_on_a_side_channel_drawn_beside_the_river_are_on_it(tmp_path: Path) -> None:
    """An island's other arm, drawn under the river's name, 450 m from the main channel at its
    widest: the corridor (and so the tiles) covered it, but positions were gated by the main
    channel alone, so marks on the arm were "on no river" (6 of 9, one dredge counted for 3)
    and `dredge detect` left its detections out."""
    main = LineString([(X0, Y0), (X0 + 10_000, Y0)])
    arm = LineString(
        [(X0 + 3000, Y0), (X0 + 3600, Y0 + 450), (X0 + 5400, Y0 + 450), (X0 + 6000, Y0)]
    )
    network = _network(tmp_path, {"nanay": [main, arm]})
    assert network.length_m("nanay") == pytest.approx(10_000)  # the arm is no part of it
    got = network.locate(_points((X0 + 4200, Y0 + 440), (X0 + 4200, Y0 + 750)))
    assert got.loc[0, "river"] == "nanay"
    assert got.loc[0, "chainage_m"] == pytest.approx(5800, abs=1)
    assert got.loc[0, "offset_m"] == pytest.approx(440, abs=1)
    assert got.loc[1, "river"] is None  # 300 m beyond the arm: off every piece


@pytest.mark.parametrize(
    "drawn",
    [
        [((0, 0), (60, 0)), ((65, 0), (2000, 0))],  # a short head piece, a 5 m gap
        [((60, 0), (0, 0)), ((60, 0), (2000, 0))],  # a short head piece drawn the other way
        [((0, 0), (1900, 0)), ((1905, 0), (1960, 0))],  # a short tail piece, a 5 m gap
    ],
)
def test_a_short_end_piece_with_a_gap_or_drawn_the_other_way_is_joined(
    tmp_path: Path, drawn: list
) -> None:
    """Review of a tributary fix: a short end piece that line_merge does not merge (a 5 m gap,
    or a touching piece drawn the other way) was joined again on every pass, for ever."""
    pieces = [LineString([(X0 + x, Y0 + y) for x, y in line]) for line in drawn]
    network = _network(tmp_path, {"nanay": pieces})
    whole = drawn[-1][-1][0] - min(drawn[0][0][0], drawn[0][1][0])
    assert network.length_m("nanay") == pytest.approx(whole, abs=1)


def _omegas(neck: float, radius: float = 500.0, straight: float = 1500.0) -> LineString:
    """Three omega meanders whose necks are ``neck`` wide, between straight reaches."""
    points, x = [(X0, Y0)], X0
    half = np.arcsin(neck / 2 / radius)
    for _ in range(3):
        x += straight
        points.append((x, Y0))
        cx, cy = x + neck / 2, Y0 + radius * np.cos(half)
        start = -np.pi / 2 - half
        for a in np.linspace(start, start - (2 * np.pi - 2 * half), 80)[1:]:
            points.append((cx + radius * np.cos(a), cy + radius * np.sin(a)))
        x += neck
        points.append((x, Y0))
    points.append((x + straight, Y0))
    return LineString(points)


@pytest.mark.parametrize("reversed_too", [False, True])
@pytest.mark.parametrize("piece_m", [400.0, 1000.0])
def test_tight_meanders_in_pieces_are_no_tributaries(
    tmp_path: Path, piece_m: float, reversed_too: bool
) -> None:
    """Review of a tributary fix: a 15 km river of omega meanders with 150 m necks, drawn in
    pieces with 5 m gaps (and every other one against the flow). A piece whose end lay within
    the corridor of the line so far was taken for a branch: chainage was off by 7–13 km. And a
    piece round a hairpin bend, passing nearer the line's end than its own end, was cut there
    as an overlap at its joint: in 400 m pieces the river was 36 m short, chainage 31 m off."""
    true = _omegas(neck=150.0)
    cuts = [*np.arange(0, true.length, piece_m), true.length]
    pieces = [substring(true, a + 5, b - 5) for a, b in itertools.pairwise(cuts)]
    if reversed_too:
        pieces = [p.reverse() if i % 2 else p for i, p in enumerate(pieces)]
    network = _network(tmp_path, {"nanay": pieces})
    assert network.length_m("nanay") == pytest.approx(true.length, abs=12)  # the last gap
    along = np.linspace(50, true.length - 50, 80)
    got = network.locate(_points(*[(p.x, p.y) for p in (true.interpolate(s) for s in along)]))
    error = np.abs(got["chainage_m"] - (true.length - along))
    assert error.max() < 12, error.max()


def test_corridor_in_scene_crs(tmp_path: Path) -> None:
    network = _network(tmp_path, {"nanay": EAST}, corridor_m=100)
    corridor = network.corridor("EPSG:3857")
    assert list(corridor.columns) == ["river", "geometry"]
    assert corridor.crs.to_epsg() == 3857
    in_utm = corridor.to_crs(UTM).geometry.iloc[0]
    assert in_utm.contains(Point(X0 + 2000, Y0 + 95))
    assert not in_utm.intersects(Point(X0 + 2000, Y0 + 110))
    assert in_utm.within(box(X0 - 101, Y0 - 101, X0 + 5101, Y0 + 101))


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
        unnamed: "have no 'name'",
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


def test_utm_zones_are_the_ones_geopandas_estimates() -> None:
    """The zone is worked out, not queried from the PROJ database (about 0.1 s a river: eight
    minutes for a country's 5,000 named rivers)."""
    rng = np.random.default_rng(0)
    for lon, lat in zip(rng.uniform(-179, 179, 40), rng.uniform(-79, 83, 40), strict=True):
        line = gpd.GeoSeries([LineString([(lon, lat), (lon + 0.2, lat + 0.1)])], crs="EPSG:4326")
        assert utm_zone_of(*line.total_bounds) == line.estimate_utm_crs()
    assert utm_zone_of(np.nan, np.nan, np.nan, np.nan) is None
    assert utm_zone_of(500_000, 9_000_000, 500_100, 9_000_100) is None  # metres, not degrees


def test_many_rivers_in_several_zones_are_each_in_their_own(tmp_path: Path) -> None:
    lines = {
        f"r{k}": [LineString([(lon, -3.0 - k * 0.01), (lon + 0.05, -3.0 - k * 0.01)])]
        for k, lon in enumerate([-80.5, -77.5, -73.0, -80.4, -71.9])
    }
    path = write_rivers(tmp_path / "rivers.geojson", lines, crs="EPSG:4326")
    network = RiverNetwork.read(path)
    zones = [network.rivers[f"r{k}"].crs.to_epsg() for k in range(5)]
    assert zones == [32717, 32718, 32718, 32717, 32719]
    one = RiverNetwork.read(
        write_rivers(tmp_path / "one.geojson", {"r2": lines["r2"]}, crs="EPSG:4326")
    )
    assert network.rivers["r2"].line.equals_exact(one.rivers["r2"].line, 1e-6)
    corridor = network.corridor("EPSG:32718")
    assert list(corridor["river"]) == [f"r{k}" for k in range(5)]
    assert corridor.geometry.is_valid.all() and not corridor.geometry.is_empty.any()


def test_one_name_on_rivers_far_apart_makes_rivers_of_their_own(tmp_path: Path) -> None:
    """A country's layer names many streams alike: as one river, their reference line bridged
    them across the land (and took detections of other rivers near the bridge)."""
    here = [LineString([(X0, Y0), (X0 + 5000, Y0)]), LineString([(X0 + 5000, Y0), (X0 + 9000, Y0)])]
    gap = [LineString([(X0 + 15_000, Y0), (X0 + 17_000, Y0)])]  # 6 km on: the same river
    far = [LineString([(X0 + 200_000, Y0 + 50_000), (X0 + 203_000, Y0 + 50_000)])]
    network = _network(tmp_path, {"Quebrada Seca": here + gap + far, "Nanay": [EAST]})
    assert network.names == ["Nanay", "Quebrada Seca", "Quebrada Seca (2)"]
    assert network.length_m("Quebrada Seca") == pytest.approx(17_000, abs=1)  # gap bridged
    assert network.length_m("Quebrada Seca (2)") == pytest.approx(3000, rel=0.01)  # its zone
    assert len(network.notes) == 1 and "'Quebrada Seca': 2 rivers" in network.notes[0]
    assert _network(tmp_path / "one", {"Nanay": [EAST]}).notes == []


def test_a_river_of_single_points_is_one_line_and_a_dot_beside_a_river_is_dropped(
    tmp_path: Path,
) -> None:
    """A line of two identical points (a double click in QGIS) left nothing to build the river
    on: 'IndexError: pop from empty list'."""
    dot = LineString([(X0 + 100, Y0 + 100), (X0 + 100, Y0 + 100)])
    with pytest.raises(InputError, match=r"river 'nanay' has no line of any length"):
        _network(tmp_path, {"nanay": [dot]})
    network = _network(tmp_path / "two", {"nanay": [EAST, dot]})
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
    from rasterio.transform import from_origin

    profile = {
        "driver": "GTiff",
        "width": 4,
        "height": 4,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:4326",
        "transform": from_origin(-74, -3, 0.1, 0.1),
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
    with pytest.raises(InputError, match=r"1 centerline\(s\) have no 'name'"):
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
