"""`dredge track` from the command line: the files it writes and the files it reads."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from tests import track_fixtures as tf


def test_track_never_writes_over_its_own_detections(tmp_path: Path) -> None:
    """`--out` naming a DETECTIONS file, or a name whose linked detections go to one, is
    refused, --overwrite or not, and the file is left as it was (with --overwrite the
    detector's 4 detections were replaced by 1 row per dredge, and an edited
    tracks.detections.parquet given back by its relinked copy)."""
    line = tf.meander_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    detections = tmp_path / "detections.parquet"
    tf.detections([(t, tf.point_at(line, 500)) for t in tf.dates(4)]).to_parquet(detections)
    runner = CliRunner()
    track = ["track", "--rivers", str(rivers), "--overwrite"]
    before = detections.read_bytes()
    result = runner.invoke(app, [*track, str(detections), "--out", str(detections)])
    assert result.exit_code == 2 and detections.read_bytes() == before
    assert f"{detections}: given as DETECTIONS, and --out {detections} writes the tracks" in (
        result.output
    )
    out = tmp_path / "tracks.parquet"
    assert runner.invoke(app, [*track, str(detections), "--out", str(out)]).exit_code == 0
    edited = tmp_path / "tracks.detections.parquet"
    linked = gpd.read_parquet(edited)
    linked.loc[0, "class_name"] = "boat"  # a false detection, corrected by hand
    linked.to_parquet(edited)
    before = edited.read_bytes()
    again = tmp_path / "." / "tracks.parquet"  # the same name, spelled otherwise
    result = runner.invoke(app, [*track, str(edited), "--out", str(again)])
    assert result.exit_code == 2 and edited.read_bytes() == before
    assert "writes the linked detections to it, over the file read" in result.output
    assert len(gpd.read_parquet(edited)) == 4


def test_a_mark_without_a_position_is_quiet_and_named_once(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    """A hand-mark row with blank lon/lat (POINT (NaN NaN), not empty) made shapely warn
    "RuntimeWarning: invalid value encountered in point_on_surface" (the close-marks check)
    and was counted among the detections "farther than 250 m from every centerline". It is
    kept on no river, as the README promises, with no warning and one note of its own."""
    lon, lat = tf.lon_lat_on_the_river()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[tf.meander_line()], crs=tf.CRS).to_file(
        rivers
    )
    marks = tmp_path / "marks.csv"
    marks.write_text(
        f"fecha,lon,lat\n2024-03-05,{lon},{lat}\n2024-03-06,,\n2024-03-07,{lon},{lat + 1e-4}\n"
    )
    out = tmp_path / "tracks.parquet"
    result = CliRunner().invoke(
        app, ["track", "--rivers", str(rivers), str(marks), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []
    assert (
        f"note: {marks}: 1 of 3 rows has no position (blank coordinates; the first: row 2) and "
        "is left on no river" in " ".join(result.output.split())
    )
    assert "farther than" not in result.output
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["river"].isna().tolist() == [False, True, False]
