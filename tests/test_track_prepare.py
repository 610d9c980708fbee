"""Detections made ready for the tracker: dates, scenes and classes under the names people use."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from detector.errors import InputError
from detector.track_files import read_detections
from detector.track_prepare import prepare_detections
from tests import track_fixtures as tf
from tests.track_fixtures import lon_lat_on_the_river, points_frame


def read_marks(
    path: Path, column: str, values: Sequence[str]
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Marks on the river on 2024-03-05, one per value of ``column``, written to ``path`` and
    read as `dredge track` reads them: rows and notes."""
    lon, lat = lon_lat_on_the_river()
    rows = [f"{lon},{lat + k * 0.001},2024-03-05,{value}" for k, value in enumerate(values)]
    path.write_text(f"lon,lat,acquired,{column}\n" + "\n".join(rows) + "\n")
    return prepare_detections(read_detections(path), path, tf.network())


def test_a_table_without_dates_lists_its_columns(tmp_path: Path) -> None:
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marked.csv"
    path.write_text(f"lon,lat,imagen,dia_de_imagen\n{lon},{lat},a,2024-03-05\n")
    with pytest.raises(InputError, match=r"columns: lon, lat, imagen, dia_de_imagen\) — name"):
        prepare_detections(read_detections(path), path, tf.network())


def test_tracks_given_as_detections_say_which_file_to_give(tmp_path: Path) -> None:
    path = tmp_path / "dredges.geojson"
    points_frame(track_id=[1], first_seen=["2024-03-05"], n_dates=[3]).to_file(path)
    with pytest.raises(InputError, match=r"holds dredge tracks .* not detections"):
        prepare_detections(read_detections(path), path, tf.network())


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
    assert any("1 boat detection left out of tracking" in note for note in notes)


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        ("Clase", ["Dragas", "DRAGA ", "draga grande", "balsa-draga", "Dragá"], ["dredge"] * 5),
        ("Clase", ["chupadera", "Tracas", "caranchera"], ["dredge"] * 3),
        ("Objeto", ["draga pequeña", "botes", "peque-peque", "Barcaza"], ["dredge", "barge"]),
        ("tipo", ["draga", "P1"], ["dredge"]),
        ("clase", ["draga", "no draga", "falsa draga", "Dragas falsas"], ["dredge"]),  # noted
        # a dredge's own number ('Nº', the ordinal sign, became 'no': read as 'no draga', a
        # hard negative, and left out of the count)
        ("Clase", ["Draga Nº 1", "Draga N.º 2", "draga No. 3", "Bote Nº 4"], ["dredge"] * 3),
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
        ("CLASS_NAME", ("dredge", "boat"), "1 boat detection left out of tracking"),
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
    assert any("1 row without a class (added by hand?) taken as a dredge" in n for n in notes)
    lon, lat = lon_lat_on_the_river()
    numbered = tmp_path / "numbered.csv"  # numbers with a blank: read as 1.0, 2.0, NaN
    numbered.write_text(
        f"detection_id,lon,lat,acquired\n1,{lon},{lat},2024-03-05\n,{lon},{lat},2024-03-06\n"
    )
    frame, _ = prepare_detections(read_detections(numbered), numbered, net)
    assert frame["detection_id"].tolist() == ["1", "added-1"]
    frame.to_parquet(tmp_path / "ids.parquet")  # one type of id
    assert not any("left out" in n or "another river" in n for n in notes)


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
        with pytest.raises(InputError, match=r"1 row has no geometry \(the first: row 2; GDAL"):
            prepare_detections(frame, path, None)
    assert not [w for w in seen if "Unsupported geometry" in str(w.message)]


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


def test_marks_dated_in_a_tiff_tags_form_or_before_any_satellite_image(tmp_path: Path) -> None:
    """A mark's `acquired` copied from a GeoTIFF tag (`2024:03:05 14:50:00`) was read as
    0001-01-01 14:50 UTC, and counted in a year 1 of its own without a word; it is 2024-03-05.
    A date before the first satellite image (a placeholder for none: 0001-01-01, or a GeoPackage
    date field of 1970-01-01) is one line naming the file."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    path.write_text(f"lon,lat,acquired\n{lon},{lat},2024:03:05 14:50:00\n")
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["acquired"].tolist() == [pd.Timestamp("2024-03-05 14:50", tz="UTC")]
    path.write_text(f"lon,lat,acquired\n{lon},{lat},2024-03-05\n{lon},{lat + 0.01},0001-01-01\n")
    with pytest.raises(InputError, match=r"marks\.csv: 1 date is before the first satellite"):
        prepare_detections(read_detections(path), path, tf.network())
    layer = tmp_path / "marks.gpkg"
    points_frame(acquired=pd.to_datetime(["1970-01-01"], utc=True)).to_file(layer)
    assert pd.api.types.is_datetime64_any_dtype(read_detections(layer)["acquired"])
    with pytest.raises(InputError, match=r"marks\.gpkg: 1 date is before the first satellite"):
        prepare_detections(read_detections(layer), layer, tf.network())
