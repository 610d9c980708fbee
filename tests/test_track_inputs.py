"""Detections for the tracker from any table: positions and dates under the names people use."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point

from detector.errors import InputError
from detector.rivers import RiverNetwork
from detector.track_files import read_detections
from detector.track_gather import gather_detections
from detector.track_prepare import prepare_detections
from tests import track_fixtures as tf


def read_marks(
    path: Path, column: str, values: Sequence[str]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Marks on the river on 2024-03-05, one per value of ``column``, written to ``path`` and
    read as `dredge track` reads them: rows and notes."""
    lon, lat = lon_lat_on_the_river()
    rows = [f"{lon},{lat + k * 0.001},2024-03-05,{value}" for k, value in enumerate(values)]
    path.write_text(f"lon,lat,acquired,{column}\n" + "\n".join(rows) + "\n")
    return prepare_detections(read_detections(path), path, tf.network())


def lon_lat_on_the_river() -> tuple[float, float]:
    point = gpd.GeoSeries([tf.point_at(tf.meander_line(), 500)], crs=tf.CRS).to_crs("EPSG:4326")
    return float(point.x.iloc[0]), float(point.y.iloc[0])


@pytest.mark.parametrize(
    "header",
    [
        "lon,lat,acquired",
        "Longitude,Latitude,Date",
        "LNG,LAT,Acquired",
        "X,Y,datetime",
        "Longitud,Latitud,Fecha",  # a Spanish table
        "Longitude,Latitude,Data",  # a Portuguese one ('no acquired column' before)
        "Long,Lat,Fecha",  # 'has no position columns' before
    ],
)
def test_positions_and_dates_are_found_under_any_usual_name_in_any_case(
    header: str, tmp_path: Path
) -> None:
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marked.csv"
    path.write_text(f"{header}\n{lon},{lat},2024-03-05\n{lon},{lat},2024-04-05T14:30:00Z\n")
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]
    assert frame["acquired"].tolist() == [
        pd.Timestamp("2024-03-05", tz="UTC"),
        pd.Timestamp("2024-04-05T14:30:00", tz="UTC"),
    ]


def test_a_table_without_dates_lists_its_columns(tmp_path: Path) -> None:
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marked.csv"
    path.write_text(f"lon,lat,imagen,dia_de_imagen\n{lon},{lat},a,2024-03-05\n")
    with pytest.raises(InputError, match=r"columns: lon, lat, imagen, dia_de_imagen\) — name"):
        prepare_detections(read_detections(path), path, tf.network())


def test_a_table_without_positions_says_which_columns_to_add(tmp_path: Path) -> None:
    path = tmp_path / "marked.csv"
    path.write_text("east,north,acquired\n1,2,2024-03-05\n")
    with pytest.raises(InputError, match="has no position columns — add lon and lat columns"):
        read_detections(path)


def test_longitude_and_latitude_the_wrong_way_round_are_pointed_out(tmp_path: Path) -> None:
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marked.csv"
    path.write_text(f"lat,lon,acquired\n{lon},{lat},2024-03-05\n")  # the header is wrong
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].isna().all()  # nothing is moved on a guess
    assert any("1 of 1 would be with longitude and latitude swapped" in n for n in notes)
    path.write_text(f"lon,lat,acquired\n{lon},{lat},2024-03-05\n{lon + 1},{lat},2024-03-05\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert not any("swapped" in n for n in notes)


def test_positions_from_other_centerlines_are_measured_again(tmp_path: Path) -> None:
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "detections.csv"
    path.write_text(
        "lon,lat,acquired,river,chainage_m,offset_m\n"
        f"{lon},{lat},2024-03-05,Old name,9999,0\n"
        f"{lon + 1},{lat},2024-03-05,Old name,9999,0\n"
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist()[0] == "Meander" and pd.isna(frame["river"].iloc[1])
    assert frame["chainage_m"].iloc[0] == pytest.approx(tf.meander_line().length - 500, abs=1)
    assert any("2 detection(s) now lie on another river than the file said" in n for n in notes)
    kept, notes = prepare_detections(read_detections(path), path, None)  # no centerlines given
    assert kept["river"].tolist() == ["Old name", "Old name"]
    assert not any("river" in n for n in notes)


def test_a_detection_put_on_the_other_river_of_a_confluence_is_not_from_other_centerlines(
    tmp_path: Path,
) -> None:
    """`dredge detect` puts a hull's or a group's boxes at a confluence on one river, the one
    nearest to them together: a box there on a river 10 m farther than its nearest is no sign
    of other centerlines (the note said so); one 300 m farther is."""
    x0, y0 = tf.ORIGIN
    amazon = LineString([(x0 - 3000, y0), (x0 + 3000, y0)])
    nanay = LineString([(x0, y0 + 3000), (x0, y0)])
    frame = gpd.GeoDataFrame({"name": ["Amazon", "Nanay"]}, geometry=[amazon, nanay], crs=tf.CRS)
    network = RiverNetwork.from_frame(frame)
    marks = [(tf.START, Point(x0 + 28, y0 + 25)), (tf.START, Point(x0 + 10, y0 + 300))]
    dets = tf.detections(marks)
    dets["river"] = ["Nanay", "Amazon"]  # the first 28 m from the Nanay, 25 m from the Amazon
    dets["chainage_m"], dets["offset_m"] = 0.0, 0.0
    placed, notes = prepare_detections(dets, "d.parquet", network)
    assert placed["river"].tolist() == ["Amazon", "Nanay"]  # measured again; tracking settles
    assert any("1 detection(s) now lie on another river than the file said" in n for n in notes)


def points_frame(**columns: object) -> gpd.GeoDataFrame:
    lon, lat = lon_lat_on_the_river()
    return gpd.GeoDataFrame(
        dict(columns), geometry=gpd.points_from_xy([lon], [lat]), crs="EPSG:4326"
    )


def test_a_geopackage_of_several_layers_gives_its_detections(tmp_path: Path) -> None:
    path = tmp_path / "dredges.gpkg"  # as `dredge counts --gpkg` writes it: dredges first
    points_frame(track_id=[1], first_seen=["2024-03-05"]).to_file(path, layer="dredges")
    points_frame(acquired=["2024-03-05"], score=[0.9]).to_file(path, layer="detections")
    assert read_detections(path)["score"].tolist() == [0.9]
    other = tmp_path / "mine.gpkg"  # any names: the one layer with dates
    points_frame(name=["camp"]).to_file(other, layer="camps")
    points_frame(date=["2024-03-05"]).to_file(other, layer="dredges marked")
    assert read_detections(other)["date"].tolist() == ["2024-03-05"]
    points_frame(date=["2024-04-05"]).to_file(other, layer="more marks")
    with pytest.raises(InputError, match=r"has 3 layers .* and no one layer of dated detections"):
        read_detections(other)


def test_tracks_given_as_detections_say_which_file_to_give(tmp_path: Path) -> None:
    path = tmp_path / "dredges.geojson"
    points_frame(track_id=[1], first_seen=["2024-03-05"], n_dates=[3]).to_file(path)
    with pytest.raises(InputError, match=r"holds dredge tracks .* not detections"):
        prepare_detections(read_detections(path), path, tf.network())


def placemark(name: str, when: str | None, lon: float, lat: float, span: bool = False) -> str:
    if when is None:
        time = ""
    elif span:
        time = f"<TimeSpan><begin>{when}</begin><end>{when}</end></TimeSpan>"
    else:
        time = f"<TimeStamp><when>{when}</when></TimeStamp>"
    return (
        f"<Placemark><name>{name}</name>{time}"
        f"<Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>"
    )


def kml(*folders: tuple[str, list[str]]) -> str:
    body = "".join(f"<Folder><name>{n}</name>{''.join(marks)}</Folder>" for n, marks in folders)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><name>marks</name>{body}</Document></kml>"
    )


def test_placemarks_marked_in_google_earth_are_detections(tmp_path: Path) -> None:
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.kml"
    path.write_text(
        kml(
            ("March", [placemark("draga 1", "2024-03-05", lon, lat)]),
            (
                "April",
                [
                    placemark("draga 1", "2024-04-05T14:30:00Z", lon, lat),
                    placemark("no date", None, lon, lat),  # left out: not a detection
                ],
            ),
        )
    )
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["name"].tolist() == ["draga 1", "draga 1"]
    assert frame["folder"].tolist() == ["March", "April"]
    assert frame["river"].tolist() == ["Meander", "Meander"]
    assert frame["acquired"].tolist() == [
        pd.Timestamp("2024-03-05", tz="UTC"),
        pd.Timestamp("2024-04-05T14:30:00", tz="UTC"),
    ]
    spans = tmp_path / "dredges.kml"
    spans.write_text(kml(("Dredges (1)", [placemark("Dredge 1", "2024-03-05", lon, lat, True)])))
    with pytest.raises(InputError, match=r"no placemark with a date \(1 have a time span"):
        read_detections(spans)


def test_placemarks_in_a_folder_named_by_a_date_take_its_date(tmp_path: Path) -> None:
    """Marks sorted into a folder per image date, without Google Earth's TimeStamp, were 'no
    placemark with a date'."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.kml"
    path.write_text(
        kml(
            ("Planet 2024-03-05", [placemark("draga 1", None, lon, lat)]),
            (
                "2024-04-05",
                [
                    placemark("draga 1", None, lon, lat),
                    placemark("own date", "2024-04-06T14:30:00Z", lon, lat),  # its own wins
                ],
            ),
            ("sin fecha", [placemark("draga 2", None, lon, lat)]),  # left out: no date
        )
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["name"].tolist() == ["draga 1", "draga 1", "own date"]
    assert frame["acquired"].tolist() == [
        pd.Timestamp("2024-03-05", tz="UTC"),
        pd.Timestamp("2024-04-05", tz="UTC"),
        pd.Timestamp("2024-04-06T14:30:00", tz="UTC"),
    ]
    assert any("2 placemark(s) without a date dated by their folder's name" in n for n in notes)


def test_several_detection_files_are_read_as_one_table(tmp_path: Path) -> None:
    """One `dredge detect` output per month, and points marked by hand in two tables whose
    rows are both numbered from 1."""
    net = tf.network()
    line = tf.meander_line()
    january, february = tf.dates(2, every_days=31)
    detected = [tmp_path / "jan.parquet", tmp_path / "feb.parquet"]
    for path, when in zip(detected, (january, february), strict=True):
        tf.detections([(when, tf.point_at(line, 500))]).to_parquet(path)
    lon, lat = lon_lat_on_the_river()
    marks = [tmp_path / "marks_a.csv", tmp_path / "marks_b.csv"]
    for path in marks:
        path.write_text(f"lon,lat,acquired\n{lon},{lat},2024-03-05\n")
    frame, notes = gather_detections([*detected, *marks], net)
    assert len(frame) == 4 and frame["detection_id"].is_unique
    assert "marks_b:1" in set(frame["detection_id"]) and frame.crs == "EPSG:4326"
    assert any("prefixed with its file's name" in note for note in notes)
    assert frame["river"].tolist() == ["Meander"] * 4
    with pytest.raises(InputError, match="is given twice"):
        gather_detections([marks[0], tmp_path / "." / "marks_a.csv"], net)
    again = tmp_path / "jan_other_model.parquet"
    tf.detections([(january, tf.point_at(line, 520))]).to_parquet(again)
    with pytest.raises(InputError, match=r"holds detections of scene 2024.*jan\.parquet"):
        gather_detections([*detected, again], net)
    # two people marking two rivers of one scene: hand marks (no scores) may share scenes
    ana, luis = tmp_path / "ana.parquet", tmp_path / "luis.parquet"
    tf.detections([(january, tf.point_at(line, 500))]).drop(columns="score").to_parquet(ana)
    tf.detections([(january, tf.point_at(line, 900))]).drop(columns="score").to_parquet(luis)
    frame, _ = gather_detections([ana, luis], net)
    assert frame["scene"].nunique() == 1 and len(frame) == 2


def test_a_detector_output_and_hand_marks_track_together(tmp_path: Path) -> None:
    """`dredge track detections.parquet marks.csv`: the detector's text ids beside the marks'
    numbers made a column Parquet refused (a traceback); a dredge in both files is named."""
    net = tf.network()
    line = tf.meander_line()
    (when,) = tf.dates(1)
    detected = tmp_path / "detections.parquet"
    found = tf.detections([(when, tf.point_at(line, 500)), (when, tf.point_at(line, 900))])
    found["detection_id"] = ["scene_0001", "scene_0002"]
    found.to_parquet(detected)
    point = gpd.GeoSeries([tf.point_at(line, 503), tf.point_at(line, 1500)], crs=tf.CRS)
    lonlat = point.to_crs("EPSG:4326")
    marks = tmp_path / "marks.csv"
    rows = "".join(f"{p.x},{p.y},{when.isoformat()}\n" for p in lonlat)
    marks.write_text(f"lon,lat,acquired\n{rows}")
    frame, notes = gather_detections([detected, marks], net)
    assert frame["detection_id"].tolist() == ["scene_0001", "scene_0002", "1", "2"]
    frame.to_parquet(tmp_path / "linked.parquet")  # was: ArrowTypeError
    other = tmp_path / "notes.csv"  # a column of text where the first file's is numbers
    other.write_text(
        f"lon,lat,acquired,nota\n{lonlat.iloc[1].x},{lonlat.iloc[1].y},2024-03-05,ver\n"
    )
    marks.write_text(f"lon,lat,acquired,nota\n{lonlat.iloc[1].x},{lonlat.iloc[1].y},2024-03-05,3\n")
    mixed, _ = gather_detections([marks, other], net)
    assert mixed["nota"].tolist() == ["3", "ver"]
    mixed.to_parquet(tmp_path / "mixed.parquet")  # was: ArrowInvalid
    assert any(n.startswith("1 detection(s) lie within 7 m of one in an earlier") for n in notes)


def test_marks_saved_by_a_spanish_excel_are_read(tmp_path: Path) -> None:
    """';' columns, decimal commas, day-first dates, cp1252: 'has no position columns' before."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.csv"
    rows = f"{lon:.6f};{lat:.6f};05/03/2024\n".replace(".", ",")
    path.write_bytes(f"Longitud;Latitud;Fecha;Descripción\n{rows}".encode("cp1252"))
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander"]
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05", tz="UTC")]
    assert any("read day first" in note for note in notes)


def test_marks_with_spanish_column_names_read_their_dates_day_first(tmp_path: Path) -> None:
    """fecha,latitud,longitud with ',' between columns: 01/03/2024 was read as 3 January (only
    a ';' table was read day first); a QGIS layer with a 'fecha' text column the same."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.csv"
    path.write_text(f"fecha,latitud,longitud\n01/03/2024,{lat},{lon}\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-01", tz="UTC")]
    assert any("Spanish or Portuguese column names ('fecha', 'latitud'" in n for n in notes)
    layer = tmp_path / "marcas.geojson"
    gpd.GeoDataFrame(
        {"fecha": ["01/03/2024"], "clase": ["draga"]},
        geometry=gpd.points_from_xy([lon], [lat]),
        crs="EPSG:4326",
    ).to_file(layer)
    frame, _ = prepare_detections(read_detections(layer), layer, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-01", tz="UTC")]
    english = tmp_path / "marks.csv"
    english.write_text(f"date,lat,lon\n01/03/2024,{lat},{lon}\n")
    frame, _ = prepare_detections(read_detections(english), english, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-01-03", tz="UTC")]  # as before


def test_a_class_column_of_blanks_alone_is_dredges(tmp_path: Path) -> None:
    """Found by the property test: a 'Clase' column whose every cell is blank stopped with a
    raw NotImplementedError from pandas' Arrow strings ('Converting strings to null')."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    path.write_text(f'lon,lat,fecha,Clase\n"{lon}","{lat}","2024-01-27",""\n')
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["class_name"].tolist() == ["dredge"]


def test_a_hand_marked_class_column_is_read_and_look_alikes_are_left_out(tmp_path: Path) -> None:
    """A 'Clase' column of draga and barco: every row used to be a dredge, boats included."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    rows = [f"{lon},{lat},2024-03-05,{kind}" for kind in ("draga", "barco", "Balsa", "")]
    path.write_text("lon,lat,acquired,Clase\n" + "\n".join(rows) + "\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["class_name"].tolist() == ["dredge", "raft", "dredge"]
    assert any("classes read from the 'Clase' column" in note for note in notes)
    assert any("1 boat detection(s) left out of tracking" in note for note in notes)


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("Clase", ["Dragas", "DRAGA ", "draga grande", "balsa-draga", "Dragá"], ["dredge"] * 5),
        ("Clase", ["chupadera", "Tracas", "caranchera"], ["dredge"] * 3),
        ("Objeto", ["draga pequeña", "botes", "peque-peque", "Barcaza"], ["dredge", "barge"]),
        ("tipo", ["draga", "P1"], ["dredge"]),
        ("clase", ["draga", "no draga", "falsa draga", "Dragas falsas"], ["dredge"]),  # noted
    ],
)
def test_class_values_are_read_word_by_word(
    tmp_path: Path, column: str, values: list[str], expected: list[str]
) -> None:
    """Plurals, accents, upper case and a word beside the class: 'dragas', 'draga grande',
    'balsa-draga' were left out as look-alikes; 'Objeto' was no class column (a 'bote' in it
    counted as a dredge). A value that names no class is named in a note."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    rows = [f'{lon},{lat},2024-03-05,"{kind}"' for kind in values]
    path.write_text(f"lon,lat,acquired,{column}\n" + "\n".join(rows) + "\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["class_name"].tolist() == expected
    unknown = [note for note in notes if "name no class this tool knows" in note]
    assert bool(unknown) == ("P1" in values or "no draga" in values)
    if "P1" in values:
        assert "1 'P1' in 'tipo'" in unknown[0]
    if "no draga" in values:
        assert "'no draga'" in unknown[0] and "'falsa draga'" in unknown[0]


@pytest.mark.parametrize(
    ("column", "kinds", "said"),
    [
        ("Categoría", ("draga", "bote"), "classes read from the 'Categoría' column"),
        ("CLASS_NAME", ("dredge", "boat"), "1 boat detection(s) left out of tracking"),
    ],
)
def test_class_columns_are_found_with_accents_or_in_upper_case(
    tmp_path: Path, column: str, kinds: tuple[str, str], said: str
) -> None:
    """'Categoría' (as a Spanish keyboard writes categoria) and CLASS_NAME (a Shapefile's field
    names in upper case) were no class column: the boat in it counted as a dredge, 2 dredges
    for 1."""
    frame, notes = read_marks(tmp_path / "marks.csv", column, kinds)
    assert frame["class_name"].tolist() == ["dredge"]
    assert any(said in note for note in notes)


def test_a_table_with_portuguese_column_names_is_read(tmp_path: Path) -> None:
    """data, classe, imagem, quantidade (a Brazilian analyst's table): 'classe' was no class
    column, its barco counted as a dredge (3 dredges for 2), nor 'imagem' a scene column."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.csv"
    rows = [
        f"01/03/2024,{lat},{lon},draga,a.tif,1",
        f"01/03/2024,{lat + 0.001},{lon},barco,a.tif,1",
        f"01/03/2024,{lat + 0.002},{lon},balsa,b.tif,",
    ]
    header = "Data,Latitude,Longitude,Classe,Imagem,Quantidade"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["class_name"].tolist() == ["dredge", "raft"]
    assert frame["scene"].tolist() == ["a.tif", "b.tif"]
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-01", tz="UTC")] * 2


def test_a_time_column_beside_a_date_column_is_not_the_date(tmp_path: Path) -> None:
    """'Fecha' and 'Time' (the hour): the times were read as the dates, all of them today."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    path.write_text(f"lon,lat,Fecha,Time\n{lon},{lat},2024-03-05,09:51:41\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05", tz="UTC")]
    assert any("dates read from the 'Fecha' column" in note for note in notes)


def test_a_data_column_beside_an_english_date_or_time_is_not_portuguese(tmp_path: Path) -> None:
    """'time' (ISO) beside a 'data' column (what was measured): the dates were read from
    'data' and refused; 'date' beside 'data' read 03/05/2024 day first, as a Portuguese
    table's. A Portuguese 'Data' alone is still the date, day first."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    path.write_text(f"time,lon,lat,data\n2024-03-05T15:00:00Z,{lon},{lat},planet\n")
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05 15:00", tz="UTC")]
    path.write_text(f"date,lon,lat,data\n03/05/2024,{lon},{lat},planet\n")
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05", tz="UTC")]
    path.write_text(f"Data,Longitude,Latitude\n03/05/2024,{lon},{lat}\n")
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-05-03", tz="UTC")]


@pytest.mark.parametrize(
    "column",
    [
        "N° dragas",
        "Nro. dragas",
        "Cantidad de dragas",
        "dragas",
        "N° de dragas",  # these were not read: 3 dragas at a point counted 1
        "Total dragas",
        "Quantidade",
        "Number of dredges",
    ],
)
def test_count_columns_under_spanish_names_and_blank_counts(tmp_path: Path, column: str) -> None:
    """'N° dragas' and the like were not read: a mark of three dredges counted one. A blank
    count is one dredge (it was 'nan', not a number of dredges)."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    path.write_text(
        f"lon,lat,acquired,{column}\n{lon},{lat},2024-03-05,3\n{lon},{lat + 0.001},2024-03-05,\n"
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert len(frame) == 4
    assert any(f"1 row(s) with a blank '{column}' taken as one dredge" in n for n in notes)


def test_class_names_edited_by_hand_in_a_detector_table_are_read_by_their_words(
    tmp_path: Path,
) -> None:
    """A detector table's class_name set to 'draga', 'Dragas' or ' dredge' (a stray space) in
    QGIS: every such row was left out as a look-alike."""
    net = tf.network()
    days = tf.dates(5)
    dets = tf.detections([(t, tf.point_at(tf.meander_line(), 500)) for t in days], net)
    dets["class_name"] = ["dredge", "draga", "Dragas", " dredge", "bote"]
    extra = dets.iloc[[0]].assign(class_name="dredge_boat", detection_id=99)
    dets = pd.concat([dets, extra], ignore_index=True)
    path = tmp_path / "edited.gpkg"
    dets.to_file(path, layer="detections")
    frame, notes = prepare_detections(read_detections(path), path, net)
    assert frame["class_name"].tolist() == ["dredge"] * 4
    assert any(
        "4 class_name value(s) that are not the tool's class names read by their words "
        "('draga' as dredge, 'Dragas' as dredge, ' dredge' as dredge)" in note
        for note in notes
    ), notes
    # a model's own class of several words (a dredge's support boat) is not read as a dredge
    (left,) = [note for note in notes if "detection(s) left out of tracking" in note]
    assert "1 boat" in left and "1 dredge_boat" in left


@pytest.mark.parametrize(
    ("scores", "expected", "said"),
    [
        (["72%", "29%", ""], [0.72, 0.29, None], "scores written as text ('72%') read as numbers"),
        (["0,72", "0,29", "0,5"], [0.72, 0.29, 0.5], "scores written as text ('0,72')"),
        ([72.0, 29.0, 50.0], [0.72, 0.29, 0.5], "scores reach 72: read as percent"),
    ],
)
def test_scores_as_excel_writes_them_and_in_percent(
    tmp_path: Path, scores: list[object], expected: list[float | None], said: str
) -> None:
    """'72%' or '0,285' in a score column was a raw 'could not convert string to float'; scores
    in percent were compared with --count-score 0.45 as they were (every one counted)."""
    net = tf.network()
    dets = tf.detections([(t, tf.point_at(tf.meander_line(), 500)) for t in tf.dates(3)], net)
    dets["score"] = scores
    path = tmp_path / "scores.gpkg"
    dets.to_file(path, layer="detections")
    frame, notes = prepare_detections(read_detections(path), path, net)
    got = [None if pd.isna(v) else round(float(v), 6) for v in frame["score"]]
    assert got == expected
    assert any(said in note for note in notes), notes
    dets["score"] = ["alto", "0.5", "0.4"]
    dets.to_file(path, layer="detections")
    with pytest.raises(InputError, match=r"1 score\(s\) are not numbers, e.g. 'alto'"):
        prepare_detections(read_detections(path), path, net)


def test_two_runs_of_one_scene_appended_into_one_file_are_one_line(tmp_path: Path) -> None:
    """Two detector runs over the same scenes appended (pandas concat, QGIS 'Merge vector
    layers'), differing in a score: every detection_id repeats within its scene, and every
    dredge counted twice, moored beside itself (demo: Nanay 2024 4 → 8, 2025 9 → 20)."""
    net = tf.network()
    dets = tf.detections([(t, tf.point_at(tf.meander_line(), 500)) for t in tf.dates(3)], net)
    again = dets.copy()
    again["score"] = again["score"] + 0.01
    path = tmp_path / "two_runs.gpkg"
    gpd.GeoDataFrame(pd.concat([dets, again], ignore_index=True), crs=dets.crs).to_file(path)
    with pytest.raises(InputError) as caught:
        prepare_detections(read_detections(path), path, net)
    message = str(caught.value)
    assert (
        "6 rows over 3 scene(s) repeat a detection_id of their scene with other values" in message
    )
    assert "(e.g. detection_id 1 of " in message and "rows 1 and 4)" in message
    months = again.copy()  # another month's run, numbered from 1 again: not a repeat
    months["scene"] = months["scene"] + "_feb"
    gpd.GeoDataFrame(pd.concat([dets, months], ignore_index=True), crs=dets.crs).to_file(path)
    frame, _ = prepare_detections(read_detections(path), path, net)
    assert len(frame) == 6


def test_other_dated_layers_beside_the_detections_layer_are_named(tmp_path: Path) -> None:
    """An edited copy saved into dredges.gpkg as a new layer ('detections_edited') was passed
    over for 'detections' without a word: the edit did not count."""
    net = tf.network()
    dets = tf.detections([(t, tf.point_at(tf.meander_line(), 500)) for t in tf.dates(3)], net)
    path = tmp_path / "dredges.gpkg"
    dets.to_file(path, layer="detections")
    dets.iloc[:2].to_file(path, layer="detections_edited")
    frame, notes = prepare_detections(read_detections(path), path, net)
    assert len(frame) == 3
    assert any(
        "read its layer 'detections'; its layer(s) 'detections_edited' also hold dated rows "
        "and were not read" in note
        for note in notes
    ), notes


def test_dredges_deleted_from_the_dredges_layer_of_dredges_gpkg_are_left_out(
    tmp_path: Path,
) -> None:
    """A false dredge deleted from the 'dredges' layer of dredges.gpkg in QGIS (one point per
    dredge, where it shows), or from dredges.geojson, kept its detections in the 'detections'
    layer (dredges.detections.geojson), which `dredge track` reads: it was tracked and counted
    again without a word (on the demo's dredges.gpkg, dredge 20 deleted left Santiago 2024 at
    1 dredge; now 0)."""
    from detector.track_pipeline import run_counts, run_track

    net = tf.network()
    line = tf.meander_line()
    dets = tf.detections(
        [(t, tf.point_at(line, s)) for t in tf.dates(3) for s in (500.0, 2500.0)], net
    )
    dets["track_id"] = [1, 2] * 3
    points = dets.geometry.representative_point().iloc[:2].to_numpy()
    dredges = gpd.GeoDataFrame({"track_id": [1, 2]}, geometry=points, crs=dets.crs)
    path = tmp_path / "dredges.gpkg"
    dredges.iloc[[0]].to_file(path, layer="dredges")  # dredge 2 deleted
    dets.to_file(path, layer="detections")
    frame = read_detections(path)
    assert frame["track_id"].tolist() == [1, 1, 1]
    notes = " ".join(frame.attrs["notes"])
    assert "3 detection(s) of 1 dredge(s) deleted from its 'dredges' layer (track_id 2)" in notes
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    run_track(path, rivers, tmp_path / "tracks.parquet")
    run_counts(tmp_path / "tracks.parquet", tmp_path / "counts.csv")
    assert pd.read_csv(tmp_path / "counts.csv")["unique_dredges"].tolist() == [1]
    whole = tmp_path / "whole.gpkg"  # nothing deleted, or the dredges layer emptied: all read
    dredges.to_file(whole, layer="dredges")
    dets.to_file(whole, layer="detections")
    assert len(read_detections(whole)) == 6 and not read_detections(whole).attrs["notes"]
    emptied = tmp_path / "emptied.gpkg"
    dredges.iloc[:0].to_file(emptied, layer="dredges", geometry_type="Point")
    dets.to_file(emptied, layer="detections")
    assert len(read_detections(emptied)) == 6
    dredges.iloc[[1]].to_file(tmp_path / "d.geojson")  # dredges.geojson, dredge 1 deleted
    dets.to_file(tmp_path / "d.detections.geojson")
    frame = read_detections(tmp_path / "d.detections.geojson")
    assert frame["track_id"].tolist() == [2, 2, 2]
    assert "deleted from d.geojson (track_id 1)" in " ".join(frame.attrs["notes"])


def test_a_track_split_by_hand_in_dredges_gpkg_is_not_taken_for_a_deleted_dredge(
    tmp_path: Path,
) -> None:
    """Detections given a new track_id in the 'detections' layer of dredges.gpkg (a track split
    by hand: the new id has no row among the dredges) were left out as those of a deleted
    dredge. A missing id is a deletion only when its detections are one whole track as
    exported (one `new` link), and every kept dredge still has its own."""
    net = tf.network()
    line = tf.meander_line()
    dets = tf.detections(
        [(t, tf.point_at(line, s)) for t in tf.dates(3) for s in (500.0, 2500.0)], net
    )
    dets["track_id"] = [1, 2] * 3
    dets["link"] = ["new", "new", "stay", "stay", "stay", "stay"]
    points = dets.geometry.representative_point().iloc[:2].to_numpy()
    dredges = gpd.GeoDataFrame({"track_id": [1, 2]}, geometry=points, crs=dets.crs)

    def read(frame: gpd.GeoDataFrame, kept: list[int], name: str) -> gpd.GeoDataFrame:
        path = tmp_path / f"{name}.gpkg"
        dredges[dredges["track_id"].isin(kept)].to_file(path, layer="dredges")
        frame.to_file(path, layer="detections")
        return read_detections(path)

    deleted = read(dets, [1], "deleted")  # dredge 2 deleted: a whole track, left out
    assert deleted["track_id"].tolist() == [1, 1, 1]
    split = dets.copy()
    split.loc[4, "track_id"] = 99  # the last detection of dredge 1 split off
    frame = read(split, [1, 2], "split")
    assert sorted(frame["track_id"].tolist()) == [1, 1, 2, 2, 2, 99]
    assert "track_id 99) are not a whole dredge as exported" in " ".join(frame.attrs["notes"])
    first = dets.copy()
    first.loc[0, "track_id"] = 99  # the first one, with its `new` link, split off
    assert len(read(first, [1, 2], "first")) == 6


def test_a_dredge_deleted_beside_two_merged_by_hand_is_left_out(tmp_path: Path) -> None:
    """Dredge 2 merged into 1 by hand (its detections given track_id 1: dredge 1 starts twice)
    and dredge 3 deleted from the 'dredges' layer: dredge 3 was kept and linked again, 'not a
    whole dredge as exported'; a merge takes no start from a missing id."""
    net = tf.network()
    line = tf.meander_line()
    dets = tf.detections(
        [(t, tf.point_at(line, s)) for t in tf.dates(3) for s in (500.0, 1500.0, 2500.0)], net
    )
    dets["track_id"] = [1, 1, 3] * 3  # dredge 2 merged into 1
    dets["link"] = ["new"] * 3 + ["stay"] * 6
    points = dets.geometry.representative_point().iloc[:3].to_numpy()
    path = tmp_path / "dredges.gpkg"
    dredges = gpd.GeoDataFrame({"track_id": [1, 2, 3]}, geometry=points, crs=dets.crs)
    dredges.iloc[:2].to_file(path, layer="dredges")  # dredge 3 deleted
    dets.to_file(path, layer="detections")
    frame = read_detections(path)
    assert frame["track_id"].tolist() == [1] * 6
    assert "deleted from its 'dredges' layer (track_id 3)" in " ".join(frame.attrs["notes"])


def test_rows_added_by_hand_to_a_detector_table_in_qgis_are_dredges(tmp_path: Path) -> None:
    """A point added to dredges.gpkg's detections layer has no class, id, score or river: it
    was dropped as a look-alike (with the note ': detection(s) left out') and said to have
    changed river."""
    net = tf.network()
    days = tf.dates(2)
    dets = tf.detections([(t, tf.point_at(tf.meander_line(), 500)) for t in days], net)
    added = dets.iloc[[1]].copy()
    for column in ("detection_id", "scene", "sensor", "class_name", "score", "river"):
        added[column] = None
    path = tmp_path / "dredges.gpkg"
    table = gpd.GeoDataFrame(pd.concat([dets, added], ignore_index=True), crs=dets.crs)
    table.to_file(path, layer="detections")
    frame, notes = prepare_detections(read_detections(path), path, net)
    assert frame["class_name"].tolist() == ["dredge"] * 3
    assert frame["detection_id"].astype(str).tolist() == ["1", "2", "added-1"]
    assert frame["river"].tolist() == ["Meander"] * 3
    assert any("1 row(s) without a class (added by hand?) taken as dredges" in n for n in notes)
    lon, lat = lon_lat_on_the_river()
    numbered = tmp_path / "numbered.csv"  # numbers with a blank: read as 1.0, 2.0, NaN
    numbered.write_text(
        f"detection_id,lon,lat,acquired\n1,{lon},{lat},2024-03-05\n,{lon},{lat},2024-03-06\n"
    )
    frame, _ = prepare_detections(read_detections(numbered), numbered, net)
    assert frame["detection_id"].tolist() == ["1", "added-1"]
    frame.to_parquet(tmp_path / "ids.parquet")  # one type of id
    assert not any("left out" in n or "another river" in n for n in notes)


def test_positions_copied_from_google_earth_in_degrees_minutes_seconds(tmp_path: Path) -> None:
    """'could not convert string to float' used to be the only line."""
    lon, lat = lon_lat_on_the_river()

    def dms(value: float, letters: str) -> str:
        whole = abs(value)
        d, m = int(whole), int(whole * 60) % 60
        s = whole * 3600 - d * 3600 - m * 60
        return f'{d}°{m}\'{s:.3f}""{letters[value < 0]}'

    path = tmp_path / "marcas.csv"
    path.write_text(f'fecha,latitud,longitud\n2024-03-05,"{dms(lat, "NS")}","{dms(lon, "EO")}"\n')
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame.geometry.x.iloc[0] == pytest.approx(lon, abs=1e-6)
    assert frame.geometry.y.iloc[0] == pytest.approx(lat, abs=1e-6)
    assert frame["river"].tolist() == ["Meander"]


def test_a_scene_given_as_detections_says_to_quote_the_scenes_glob(tmp_path: Path) -> None:
    """`--scenes scenes/*.tif` unquoted: the shell's second match on was read as detections
    ("unknown file type '.tif'")."""
    scene = tmp_path / "b_3B_AnalyticMS_SR.tif"
    scene.write_bytes(b"")
    with pytest.raises(InputError, match=r"is a scene, not detections .* quote the glob"):
        read_detections(scene)


def test_a_number_of_dredges_per_row_is_read_as_that_many_dredges(tmp_path: Path) -> None:
    """'3 dragas' noted at one point (a group moored side by side) counted as one dredge."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "grupos.csv"
    path.write_text(f"fecha,lon,lat,Cantidad\n2024-03-05,{lon},{lat},3\n2024-04-05,{lon},{lat},1\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert len(frame) == 4 and frame["detection_id"].is_unique
    assert any("(2 rows, 4 dredges)" in note for note in notes)
    path.write_text(f"detection_id,fecha,lon,lat,cantidad\n7,2024-03-05,{lon},{lat},2\n")
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["detection_id"].tolist() == ["7", "7-2"]
    path.write_text(f"fecha,lon,lat,cantidad\n2024-03-05,{lon},{lat},2.5\n")
    with pytest.raises(InputError, match=r"row 1: 'cantidad' is '2.5', not a number of dredges"):
        prepare_detections(read_detections(path), path, tf.network())


def test_a_table_of_projected_coordinates_needs_its_crs(tmp_path: Path) -> None:
    """x/y in UTM metres (a table exported from QGIS) were read as degrees: every mark 'on no
    river', without a word on why."""
    point = tf.point_at(tf.meander_line(), 500)
    path = tmp_path / "utm.csv"
    path.write_text(f"fecha,x,y\n2024-03-05,{point.x:.2f},{point.y:.2f}\n")
    with pytest.raises(InputError, match=r"positions such as .* are not degrees .* column 'crs'"):
        read_detections(path)
    path.write_text(f"fecha,x,y,crs\n2024-03-05,{point.x:.2f},{point.y:.2f},{tf.CRS}\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander"]
    assert frame["chainage_m"].iloc[0] == pytest.approx(
        tf.network().length_m("Meander") - 500, abs=1
    )
    assert any("reprojected from EPSG:32718" in note for note in notes)
    path.write_text(f"fecha,x,y,epsg\n2024-03-05,{point.x:.2f},{point.y:.2f},32718\n")
    assert read_detections(path).crs == tf.CRS


def test_a_row_in_metres_among_degrees_is_named(tmp_path: Path) -> None:
    """One mark pasted in UTM metres into a table of degrees: with a 'crs' column saying
    EPSG:4326 it was a traceback ("RuntimeError: Unable to determine UTM CRS", found by the
    property-based test); without one, the line showed the first row's degrees as the
    positions that "are not degrees"."""
    lon, lat = lon_lat_on_the_river()
    point = tf.point_at(tf.meander_line(), 500)
    rows = f"2024-03-05,{lon},{lat}\n2024-03-05,{point.x:.2f},{point.y:.2f}\n"
    path = tmp_path / "marks.csv"
    path.write_text("fecha,lon,lat\n" + rows)
    with pytest.raises(InputError, match=rf"positions such as {point.x:.1f}, .* \(row 2\)"):
        read_detections(path)
    path.write_text("fecha,lon,lat,crs\n" + rows.replace("\n", ",EPSG:4326\n"))
    with pytest.raises(InputError, match=r"'crs' says EPSG:4326, but positions .* \(row 2\)"):
        prepare_detections(read_detections(path), path, tf.network())


def test_marks_with_an_escena_column_are_one_dredge_in_overlapping_scenes(tmp_path: Path) -> None:
    """A dredge marked (by date only) in two overlapping scenes of a strip, named in an
    'Escena' column: the column was not read, so the two marks made a group of two dredges."""
    from detector.tracking import link_tracks

    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.csv"
    rows = [
        f"{a},{lon},{lat},2024-03-05"
        for a in ("20240305_141737_65_2423", "20240305_141742_11_2423")
    ]
    path.write_text("Escena,lon,lat,fecha\n" + "\n".join(rows) + "\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["scene"].tolist() == ["20240305_141737_65_2423", "20240305_141742_11_2423"]
    assert any("scenes read from the 'Escena' column" in note for note in notes)
    linked, tracks = link_tracks(frame, None)
    assert len(tracks) == 1 and sorted(linked["link"]) == ["duplicate", "new"]


def test_a_mark_whose_geometry_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    """GDAL reads a Circle as no geometry, with a raw RuntimeWarning before our line."""
    import json
    import warnings

    path = tmp_path / "marks.geojson"
    features = [
        {"type": "Point", "coordinates": [-73.4, -3.8]},
        {"type": "Circle", "coordinates": [-73.41, -3.8], "radius": 10},
    ]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"acquired": "2024-03-01"}, "geometry": g}
                    for g in features
                ],
            }
        )
    )
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        frame = read_detections(path)
        with pytest.raises(InputError, match=r"1 rows have no geometry \(the first: row 2; GDAL"):
            prepare_detections(frame, path, None)
    assert not [w for w in seen if "Unsupported geometry" in str(w.message)]


def test_a_mark_of_several_parts_is_one_dredge_per_part(tmp_path: Path) -> None:
    """Two dredges marked as one MultiPoint feature were one detection at their centre."""
    import shapely

    line = tf.meander_line()
    a, b, c = (tf.point_at(line, along) for along in (500, 530, 1500))
    frame = gpd.GeoDataFrame(
        {"acquired": ["2024-03-01", "2024-03-01"], "detection_id": [7, 8]},
        geometry=[shapely.MultiPoint([a, b]), shapely.MultiPoint([c])],
        crs=tf.CRS,
    )
    path = tmp_path / "marks.gpkg"
    frame.to_file(path, driver="GPKG")
    out, notes = prepare_detections(read_detections(path), path, tf.network(line))
    assert out["detection_id"].astype(str).tolist() == ["7", "7-2", "8"]
    assert out["chainage_m"].round().tolist() == [
        round(line.length - along) for along in (500, 530, 1500)
    ]
    assert any("1 marks of several parts (MultiPoint/MultiPolygon)" in n for n in notes)


def test_rows_that_repeat_another_exactly_are_read_once(tmp_path: Path) -> None:
    """A detections table appended to itself (two runs over the same scenes joined): each
    copy counted as a dredge moored beside the other, Nanay 2024 rose from 4 dredges to 10."""
    lon, lat = lon_lat_on_the_river()
    rows = [
        f"a,2024-03-05,{lon},{lat},dredge",
        f"b,2024-03-05,{lon + 0.0003},{lat},dredge",  # another dredge, 33 m away
        f"c,2024-04-05,{lon},{lat},dredge",  # the first one, a month later
        f"d,2024-03-05,{lon},{lat},barge",  # another class at the same point
    ]
    path = tmp_path / "joined.csv"
    path.write_text("detection_id,acquired,lon,lat,class_name\n" + "\n".join(rows + rows[:2]))
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["detection_id"].tolist() == ["a", "b", "c", "d"]
    assert any("2 row(s) repeat another in every column" in n and "row 5)" in n for n in notes)
    path.write_text("detection_id,acquired,lon,lat,class_name\n" + "\n".join(rows))
    _, notes = prepare_detections(read_detections(path), path, tf.network())
    assert not any("repeat another" in note for note in notes), notes


def test_marks_of_one_date_closer_than_two_hulls_are_pointed_out(tmp_path: Path) -> None:
    """A dredge marked twice on one date (two overlapping scenes, no scene column; a double
    click) counted as two dredges moored side by side without a word. The marks are kept (two
    hulls can be that close), and a note says how to tell them apart."""
    line = tf.meander_line()
    marks = {"first": tf.point_at(line, 500), "again": tf.point_at(line, 503),
             "beside": tf.point_at(line, 500, offset_m=12.0)}  # fmt: skip
    points = gpd.GeoSeries(list(marks.values()), crs=tf.CRS).to_crs("EPSG:4326")
    rows = "".join(f"2024-03-05,{p.x},{p.y}\n" for p in points)
    path = tmp_path / "marcas.csv"
    path.write_text("fecha,lon,lat\n" + rows)
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert len(frame) == 3
    (note,) = [n for n in notes if "pair(s) of marks" in n]
    assert note.startswith(f"{path}: 1 pair(s) of marks of one date lie under 7 m apart (the first")
    assert "add a 'scene' column naming each mark's scene, or delete one" in note
    scenes = "".join(f"2024-03-05,{p.x},{p.y},{s}\n" for p, s in zip(points, "ABA", strict=True))
    path.write_text("fecha,lon,lat,escena\n" + scenes)  # the two marks in two scenes: no note
    _, notes = prepare_detections(read_detections(path), path, tf.network())
    assert not [n for n in notes if "pair(s) of marks" in n]
    one = points.iloc[0]
    path.write_text(f"fecha,lon,lat,cantidad\n2024-03-05,{one.x},{one.y},3\n")  # a group
    _, notes = prepare_detections(read_detections(path), path, tf.network())
    assert not [n for n in notes if "pair(s) of marks" in n]


def test_rows_pasted_twice_with_a_row_number_are_read_once(tmp_path: Path) -> None:
    """Rows copied with their 'Nro' (the row's number) differ only there: each copy counted
    as a second dredge beside the first (12 for 6 on a demo table)."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    rows = [f"{n},{lon},{lat + 0.001 * (n % 2)},2024-03-05" for n in range(1, 5)]
    path.write_text("Nro,lon,lat,fecha\n" + "\n".join(rows) + "\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert len(frame) == 2
    assert any("2 row(s) repeat another in every column but the id" in n for n in notes)


@pytest.mark.parametrize(
    ("flip", "expected"),
    [
        (lambda x, y: (y, x), "with longitude and latitude swapped"),
        (lambda x, y: (-x, y), "with the longitude's sign flipped"),
        (lambda x, y: (x, -y), "with the latitude's sign flipped"),
        (lambda x, y: (-x, -y), "with both signs flipped"),
    ],
)
def test_marks_on_no_river_say_what_would_put_them_on_one(
    tmp_path: Path, flip: Any, expected: str
) -> None:
    """Degrees typed without their minus (the hemisphere in an 'NS' column): every mark was
    on no river, the count a zero, and the note said only that."""
    lon, lat = flip(*lon_lat_on_the_river())
    path = tmp_path / "marks.csv"
    path.write_text(f"lon,lat,fecha\n{lon},{lat},2024-03-05\n")
    _, notes = prepare_detections(read_detections(path), path, tf.network())
    assert any(f"but 1 of 1 would be {expected}" in n for n in notes)


def test_a_table_without_rows_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "marks.csv"
    path.write_text("lon,lat,fecha\n")
    with pytest.raises(InputError, match="holds no rows"):
        read_detections(path)
    empty = tmp_path / "marks.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="holds no rows"):
        prepare_detections(read_detections(empty), empty, tf.network())


def test_degrees_beside_metres_with_their_crs_are_read(tmp_path: Path) -> None:
    """A table with lon/lat in degrees and x/y in the metres its 'crs' column names (QGIS's
    Add geometry attributes, the synthetic world's truth/dredges.csv) took the degrees for
    metres of EPSG:32718: a raw 'RuntimeError: Unable to determine UTM CRS'. Degrees under a
    projected CRS with no x/y beside them are one line; a CRS per row (UTM zones) is the
    x/y's, and lon/lat are read."""
    lon, lat = lon_lat_on_the_river()
    point = tf.point_at(tf.meander_line(), 500)
    path = tmp_path / "truth.csv"
    path.write_text(
        f"acquired,lon,lat,x,y,crs\n2024-03-05,{lon},{lat},{point.x:.2f},{point.y:.2f},{tf.CRS}\n"
        f"2024-03-06,{lon},{lat},{point.x:.2f},{point.y:.2f},{tf.CRS}\n"
    )
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]
    assert frame["chainage_m"].tolist() == pytest.approx(
        [tf.network().length_m("Meander") - 500] * 2, abs=1
    )
    path.write_text(
        f"acquired,lon,lat,x,y,crs\n2024-03-05,{lon},{lat},{point.x:.2f},{point.y:.2f},{tf.CRS}\n"
        f"2024-03-06,{lon},{lat},123.0,456.0,EPSG:32717\n"
    )
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]
    path.write_text(f"acquired,lon,lat,crs\n2024-03-05,{lon},{lat},{tf.CRS}\n")
    with pytest.raises(InputError, match=r"'crs' says EPSG:32718, a CRS in metres, but .* degrees"):
        read_detections(path)


def test_a_geoparquet_saved_again_by_pandas_is_read(tmp_path: Path) -> None:
    """Detections read with pandas, filtered and saved with ``to_parquet`` keep their boxes
    as WKB bytes without GeoParquet's metadata: 'cannot be read as detections ('utf-8' codec
    can't decode byte …)'. Hex WKB (a database export) is read too."""
    lon, lat = lon_lat_on_the_river()
    marks = gpd.GeoDataFrame(
        {"acquired": ["2024-03-05T14:30:00Z"] * 2, "score": [0.8, 0.7]},
        geometry=gpd.points_from_xy([lon, lon + 0.001], [lat, lat]),
        crs="EPSG:4326",
    )
    path = tmp_path / "filtered.parquet"
    pd.DataFrame(marks.to_wkb()).to_parquet(path)
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]
    assert frame.geometry.x.tolist() == pytest.approx([lon, lon + 0.001])
    hexed = tmp_path / "hex.csv"
    pd.DataFrame(marks.to_wkb(hex=True)).to_csv(hexed, index=False)
    frame, _ = prepare_detections(read_detections(hexed), hexed, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]


def test_a_portuguese_data_column_beside_a_time_of_day_is_the_date(tmp_path: Path) -> None:
    """'data' (the date) beside 'time' (the hour): once 'time' came before 'data', the hours
    were taken for the dates and the table refused as "dates are times of day only"."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    path.write_text(f"data,time,lon,lat\n2024-03-05,14:30,{lon},{lat}\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05", tz="UTC")]
    assert any("dates read from the 'data' column" in note for note in notes)
    # its dates are a Portuguese table's: day first (05/03/2024 was 3 May, as US order)
    path.write_text(f"data,time,lon,lat\n05/03/2024,14:30,{lon},{lat}\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05", tz="UTC")]
    assert any("the Portuguese 'data' column holding the dates" in note for note in notes)
    # an English 'data' column of words beside 'time' of hours: the hours are no dates (it
    # said "1 dates cannot be read, e.g. 'sonar'", of the wrong column)
    path.write_text(f"time,data,lon,lat\n14:30,sonar,{lon},{lat}\n")
    with pytest.raises(InputError, match="dates are times of day only"):
        prepare_detections(read_detections(path), path, tf.network())
