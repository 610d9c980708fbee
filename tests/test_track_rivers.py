"""Detections placed on the rivers: positions measured again, and marks on no river."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, Point

from detector.rivers import RiverNetwork
from detector.track_files import read_detections
from detector.track_prepare import prepare_detections
from tests import track_fixtures as tf
from tests.track_fixtures import lon_lat_on_the_river


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
    assert any("2 detections now lie on another river than the file said" in n for n in notes)
    kept, notes = prepare_detections(read_detections(path), path, None)  # no centerlines given
    assert kept["river"].tolist() == ["Old name", "Old name"]
    assert not any("river" in n for n in notes)


def test_numeric_river_names_with_blanks_are_the_rivers_files_names(tmp_path: Path) -> None:
    """Hand marks naming river `1` (the rivers layer's name) with some river cells blank:
    pandas read the column as decimals, `1.0` against `1`, and the blank as a river given;
    all 3 marks were said to "now lie on another river than the file said"."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    path.write_text(
        "acquired,lon,lat,river,chainage_m,offset_m\n"
        f"2024-03-05,{lon},{lat},1,500,0\n2024-04-05,{lon},{lat},1,500,0\n"
        f"2024-05-05,{lon},{lat},,,\n"
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network(name="1"))
    assert frame["river"].tolist() == ["1", "1", "1"]
    assert not any("another river" in n for n in notes)
    path.write_text(  # a river named otherwise in the file is still pointed out
        f"acquired,lon,lat,river,chainage_m,offset_m\n2024-03-05,{lon},{lat},2,500,0\n"
    )
    frame, notes = prepare_detections(read_detections(path), path, tf.network(name="1"))
    assert any("1 detection now lies on another river than the file said" in n for n in notes)


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
    assert any("1 detection now lies on another river than the file said" in n for n in notes)


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
