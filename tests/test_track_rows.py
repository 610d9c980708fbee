"""Each row of a detections table read once, as the dredges it stands for: copies, ids,
counts, parts, scores, class words."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from detector.errors import InputError
from detector.track_files import read_detections
from detector.track_prepare import prepare_detections
from tests import track_fixtures as tf
from tests.track_fixtures import lon_lat_on_the_river


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
    assert any(f"1 row with a blank '{column}' taken as one dredge" in n for n in notes)


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
        "4 class_name values not among the tool's class names read by their words "
        "('draga' as dredge, 'Dragas' as dredge, ' dredge' as dredge)" in note
        for note in notes
    ), notes
    # a model's own class of several words (a dredge's support boat) is not read as a dredge
    (left,) = [note for note in notes if "detections left out of tracking" in note]
    assert "1 boat" in left and "1 dredge_boat" in left


@pytest.mark.parametrize(
    ("scores", "expected", "said"),
    [
        (["72%", "29%", ""], [0.72, 0.29, None], "scores written as text ('72%') read as numbers"),
        (["0,72", "0,29", "0,5"], [0.72, 0.29, 0.5], "scores written as text ('0,72')"),
        ([72.0, 29.0, 50.0], [0.72, 0.29, 0.5], "scores reach 72: read as percent"),
        # some typed with their '%', some without: the '72%' was divided twice (0.0072)
        (["72%", "85", "29"], [0.72, 0.85, 0.29], "scores reach 85: read as percent"),
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
    with pytest.raises(InputError, match=r"1 score is not a number, e.g. 'alto'"):
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
    assert "6 rows over 3 scenes repeat a detection_id of their scene with other values" in message
    assert "(e.g. detection_id 1 of " in message and "rows 1 and 4)" in message
    months = again.copy()  # another month's run, numbered from 1 again: not a repeat
    months["scene"] = months["scene"] + "_feb"
    gpd.GeoDataFrame(pd.concat([dets, months], ignore_index=True), crs=dets.crs).to_file(path)
    frame, _ = prepare_detections(read_detections(path), path, net)
    assert len(frame) == 6


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


def test_a_bad_row_after_a_repeated_one_is_named_by_its_own_row(tmp_path: Path) -> None:
    """Rows repeated above it are read once: a bad count, or a detection_id repeated in its
    scene, on the file's fourth row was named row 3 (rows 3 and 4 as rows 2 and 3), its
    number among the rows kept."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marcas.csv"
    rows = [f"2024-03-05,{lon},{lat},1"] * 2 + [f"2024-03-06,{lon},{lat},2"]
    path.write_text("fecha,lon,lat,cantidad\n" + "\n".join([*rows, f"2024-03-07,{lon},{lat},dos"]))
    with pytest.raises(InputError, match=r"row 4: 'cantidad' is 'dos', not a number"):
        prepare_detections(read_detections(path), path, tf.network())
    path = tmp_path / "dets.csv"
    rows = [f"1,s1,2024-03-05,{lon},{lat},0.9"] * 2
    rows += [f"2,s1,2024-03-05,{lon + 0.001},{lat},{score}" for score in (0.9, 0.8)]
    path.write_text("detection_id,scene,acquired,lon,lat,score\n" + "\n".join(rows))
    with pytest.raises(InputError, match=r"\(e\.g\. detection_id 2 of s1, rows 3 and 4\)"):
        prepare_detections(read_detections(path), path, tf.network())


def test_a_bad_row_of_a_geoparquet_with_its_own_index_is_named_by_its_place(
    tmp_path: Path,
) -> None:
    """A GeoParquet saved with its index (marks filtered in pandas, then written: labels 10,
    20, 30, 40) named its third row, a bad count, by its label: 'row 31'."""
    lon, lat = lon_lat_on_the_river()
    marks = gpd.GeoDataFrame(
        {"fecha": ["2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08"]}
        | {"cantidad": ["1", "2", "dos", "1"]},
        geometry=gpd.points_from_xy([lon] * 4, [lat] * 4),
        crs="EPSG:4326",
        index=[10, 20, 30, 40],
    )
    path = tmp_path / "marcas.parquet"
    marks.to_parquet(path)
    with pytest.raises(InputError, match=r"row 3: 'cantidad' is 'dos', not a number"):
        prepare_detections(read_detections(path), path, tf.network())


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
    # one mark: "1 marks of several parts … (2 dredges)" before count_of
    assert any("1 mark of several parts (MultiPoint/MultiPolygon)" in n for n in notes), notes


def test_one_row_counting_several_dredges_is_said_in_the_singular() -> None:
    """One row of ``cantidad`` 3: the note said "(1 rows, 3 dredges)"."""
    import shapely

    from detector.track_rows import one_row_per_dredge

    frame = gpd.GeoDataFrame(
        {"cantidad": [3]}, geometry=[shapely.Point(-73.2, -3.7)], crs="EPSG:4326"
    )
    out, notes = one_row_per_dredge(frame, "marks.csv")
    assert len(out) == 3
    assert notes == [
        "marks.csv: rows read as the number of dredges in 'cantidad' (1 row, 3 dredges)"
    ]


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
    assert any("2 rows repeat another in every column" in n and "row 5)" in n for n in notes)
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
    (note,) = [n for n in notes if "of marks of one date" in n]
    assert note.startswith(f"{path}: 1 pair of marks of one date lies under 7 m apart (the first")
    assert "add a 'scene' column naming each mark's scene, or delete one" in note
    scenes = "".join(f"2024-03-05,{p.x},{p.y},{s}\n" for p, s in zip(points, "ABA", strict=True))
    path.write_text("fecha,lon,lat,escena\n" + scenes)  # the two marks in two scenes: no note
    _, notes = prepare_detections(read_detections(path), path, tf.network())
    assert not [n for n in notes if "of marks of one date" in n]
    one = points.iloc[0]
    path.write_text(f"fecha,lon,lat,cantidad\n2024-03-05,{one.x},{one.y},3\n")  # a group
    _, notes = prepare_detections(read_detections(path), path, tf.network())
    assert not [n for n in notes if "of marks of one date" in n]


def test_rows_pasted_twice_with_a_row_number_are_read_once(tmp_path: Path) -> None:
    """Rows copied with their 'Nro' (the row's number) differ only there: each copy counted
    as a second dredge beside the first (12 for 6 on a demo table)."""
    lon, lat = lon_lat_on_the_river()
    path = tmp_path / "marks.csv"
    rows = [f"{n},{lon},{lat + 0.001 * (n % 2)},2024-03-05" for n in range(1, 5)]
    path.write_text("Nro,lon,lat,fecha\n" + "\n".join(rows) + "\n")
    frame, notes = prepare_detections(read_detections(path), path, tf.network())
    assert len(frame) == 2
    assert any("2 rows repeat another in every column but the id" in n for n in notes)
