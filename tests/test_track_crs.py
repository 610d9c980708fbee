"""The CRS of a table's positions: degrees, metres with a crs column, and rows that cannot be
degrees."""

from __future__ import annotations

from pathlib import Path

import pytest

from detector.errors import InputError
from detector.track_files import read_detections
from detector.track_prepare import prepare_detections
from tests import track_fixtures as tf
from tests.track_fixtures import lon_lat_on_the_river


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


def test_crs84_positions_are_not_reported_as_reprojected(tmp_path: Path) -> None:
    """A GeoParquet in OGC:CRS84 (lon/lat, as GeoJSON and many tools write) was noted as
    "reprojected from OGC:CRS84 to EPSG:4326", though no coordinate moved."""
    line = tf.meander_line()
    marks = tf.detections([(t, tf.point_at(line, 500)) for t in tf.dates(2)])
    path = tmp_path / "crs84.parquet"
    marks.set_crs("OGC:CRS84", allow_override=True).to_parquet(path)
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert not [n for n in notes if "reprojected" in n]
    assert frame.crs == "EPSG:4326"
    assert frame.total_bounds.tolist() == marks.total_bounds.tolist()  # nothing moved
    assert frame["river"].tolist() == ["Meander", "Meander"]


def test_an_epsg_column_with_a_blank_cell_is_read(tmp_path: Path) -> None:
    """An 'epsg' column of codes with one blank cell is read by pandas as decimals: 32718
    became '32718.0', refused as "not a CRS — write it as EPSG:32718" though the file said
    32718. A column blank in every row said "'epsg' names 0 CRSs ()"."""
    point = tf.point_at(tf.meander_line(), 500)
    path = tmp_path / "utm.csv"
    path.write_text(
        f"fecha,x,y,epsg\n2024-03-05,{point.x:.2f},{point.y:.2f},32718\n"
        f"2024-03-06,{point.x:.2f},{point.y:.2f},\n"
    )
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].tolist() == ["Meander", "Meander"]
    path.write_text(f"fecha,x,y,epsg\n2024-03-05,{point.x:.2f},{point.y:.2f},\n")
    with pytest.raises(InputError, match=r"'epsg' is blank in every row — write .* or delete"):
        read_detections(path)


def test_a_row_without_a_position_under_a_crs_in_metres_is_read(tmp_path: Path) -> None:
    """A table in UTM metres with its 'crs' column and a row whose x and y are blank was
    refused: "positions such as nan, nan (row 2) are degrees". It is read as the same table
    in lon/lat is: that row has no position, on no river."""
    point = tf.point_at(tf.meander_line(), 500)
    path = tmp_path / "utm.csv"
    path.write_text(
        f"fecha,x,y,crs\n2024-03-05,{point.x:.2f},{point.y:.2f},{tf.CRS}\n2024-03-06,,,{tf.CRS}\n"
    )
    frame, _ = prepare_detections(read_detections(path), path, tf.network())
    assert frame["river"].iloc[0] == "Meander"
    assert frame["river"].isna().iloc[1]
