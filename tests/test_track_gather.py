"""Several detection files read as one table."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from detector.errors import InputError
from detector.track_gather import gather_detections
from detector.track_pipeline import run_track
from tests import track_fixtures as tf
from tests.track_fixtures import lon_lat_on_the_river


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
    assert any(n.startswith("1 detection lies within 7 m of one in an earlier") for n in notes)


def test_hand_marks_of_one_name_in_two_folders_keep_ids_apart(tmp_path: Path) -> None:
    """One `marcas.csv` per month, each in its month's folder, rows numbered from 1: their ids
    were prefixed with the file's stem alone, and stayed the same (marcas:1 twice)."""
    lon, lat = lon_lat_on_the_river()
    paths = []
    for month, day in (("enero", "2024-01-10"), ("febrero", "2024-02-10")):
        (tmp_path / month).mkdir()
        paths.append(tmp_path / month / "marcas.csv")
        paths[-1].write_text(
            "id,lon,lat,fecha\n" + "".join(f"{k},{lon + k * 1e-4},{lat},{day}\n" for k in (1, 2))
        )
    frame, notes = gather_detections(paths, tf.network())
    assert frame["detection_id"].is_unique
    assert {"enero/marcas:1", "febrero/marcas:2"} <= set(frame["detection_id"])
    assert any("(e.g. enero/marcas:1)" in note for note in notes)


def test_marks_of_one_stem_in_one_folder_beside_another_folder_keep_ids_apart(
    tmp_path: Path,
) -> None:
    """`enero/marcas.csv`, `enero/marcas.txt` and `febrero/marcas.csv`: no folder tells the
    first two apart, and their file names alone left `marcas.csv` twice: `marcas.csv:1` was
    the id of two marks."""
    lon, lat = lon_lat_on_the_river()
    paths = []
    for folder, name, day in (
        ("enero", "marcas.csv", "2024-01-10"),
        ("enero", "marcas.txt", "2024-01-20"),
        ("febrero", "marcas.csv", "2024-02-10"),
    ):
        (tmp_path / folder).mkdir(exist_ok=True)
        paths.append(tmp_path / folder / name)
        paths[-1].write_text(
            "id,lon,lat,fecha\n" + "".join(f"{k},{lon + k * 1e-4},{lat},{day}\n" for k in (1, 2))
        )
    for order in (paths, paths[::-1]):
        frame, _ = gather_detections(order, tf.network())
        assert frame["detection_id"].is_unique
        assert {"enero/marcas.csv:1", "enero/marcas.txt:1", "febrero/marcas.csv:1"} <= set(
            frame["detection_id"]
        )


def test_a_merge_by_hand_is_kept_beside_another_file(tmp_path: Path) -> None:
    """Two tracks of one dredge (140 days unseen, then 2.5 km downstream) merged by hand in
    `tracks.detections.parquet`, then tracked again beside a file of new hand marks: the merge
    is kept, as it is when that file is given alone (only a single file's track ids were read:
    beside another file they were dropped without a word, 2 dredges for 1)."""
    line = tf.meander_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    days = tf.dates(12, every_days=20.0)
    spots = [(t, tf.point_at(line, 500)) for t in days[:3]]
    spots += [(t, tf.point_at(line, 3000)) for t in days[9:]]
    tf.detections(spots).to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "tracks.parquet")
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["track_id"].tolist() == [1, 1, 1, 2, 2, 2]
    edited = tmp_path / "edited.parquet"
    linked.assign(track_id=1).to_parquet(edited)
    lon, lat = lon_lat_on_the_river()  # a dredge marked at the first spot, the next year
    marks = tmp_path / "marks.csv"
    marks.write_text(f"lon,lat,acquired\n{lon},{lat},2025-06-01\n")
    run = run_track([edited, marks], rivers, tmp_path / "again.parquet")
    tracks = gpd.read_parquet(tmp_path / "again.parquet")
    assert tracks["n_dates"].tolist() == [6, 1]
    assert any(note.startswith(f"{edited}: 1 track merged by hand") for note in run.notes)


def test_a_detection_of_another_file_linked_into_a_merged_track_joins_it(tmp_path: Path) -> None:
    """Two tracks of one dredge merged by hand in `tracks.detections.parquet`, tracked again
    beside a hand mark of that dredge ten days after its last detection (linked into the
    second track): the merge was refused, "linked as tracks [1, 2] with other detections —
    give all the detections of the tracks to merge one track_id", which cannot be done across
    two files (2 dredges for 1). The mark joins the merged track, and the note says so."""
    import pandas as pd

    line = tf.meander_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    days = tf.dates(12, every_days=20.0)
    spots = [(t, tf.point_at(line, 500)) for t in days[:3]]
    spots += [(t, tf.point_at(line, 3000)) for t in days[9:]]
    tf.detections(spots).to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "tracks.parquet")
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    edited = tmp_path / "edited.parquet"
    linked.assign(track_id=1).to_parquet(edited)
    mark = gpd.GeoSeries([tf.point_at(line, 3000)], crs=tf.CRS).to_crs(4326).iloc[0]
    marks = tmp_path / "marks.csv"
    marks.write_text(
        f"lon,lat,acquired\n{mark.x},{mark.y},{(days[11] + pd.Timedelta(days=10)).date()}\n"
    )
    run = run_track([edited, marks], rivers, tmp_path / "again.parquet")
    notes = " ".join(run.notes)
    assert "could not be kept as one" not in notes, notes
    assert f"{edited}: 1 track merged by hand" in notes
    assert "(track 1: tracks 1, 2 as 1 with 1 detection of the files beside)" in notes
    tracks = gpd.read_parquet(tmp_path / "again.parquet")
    assert tracks[["track_id", "n_dates"]].values.tolist() == [[1, 7]]
    again = gpd.read_parquet(tmp_path / "again.detections.parquet")
    assert again["track_id"].tolist() == [1] * 7
