"""`dredge track --scenes` and `--dates`: the scenes a river was seen on, their cloud masks,
dates and names beside the detections'."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely import LineString
from typer.testing import CliRunner

from detector.cli import app
from detector.errors import InputError
from detector.track_pipeline import run_track
from tests import track_fixtures as tf
from tests.count_fixtures import write_inputs, write_strip_scene
from tests.geo_fixtures import write_scene
from tests.track_fixtures import straight_line


@pytest.mark.parametrize("every_days", [7.0, 30.0])
def test_counts_from_scenes_far_apart_say_they_are_likely_low(
    tmp_path: Path, every_days: float
) -> None:
    """`dredge counts` after `dredge track --scenes`: a dredge seen monthly is named as likely
    undercounted; seen weekly (eight weeks of a year) it is not."""
    from tests.geo_fixtures import write_udm2

    line = straight_line()
    net = tf.network(line)
    days = tf.dates(8, every_days=every_days)
    spot = tf.point_at(line, 2000)
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for t in days:  # 8 km × 800 m around the river, all clear
        path = scenes / f"{tf.scene_name(t)}.tif"
        write_udm2(write_strip_scene(path))
    dets = tf.detections([(t, spot) for t in days], net)
    marked = tmp_path / "dets.parquet"
    dets.to_parquet(marked)
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    out = tmp_path / "tracks.parquet"
    runner = CliRunner()
    args = ["track", str(marked), "--rivers", str(rivers), "--scenes", str(scenes)]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["counts", str(out), "--out", str(tmp_path / "counts.csv")])
    assert result.exit_code == 0, result.output
    assert ("counts likely low on 1 of 1" in result.output) == (every_days > 10)


def test_a_scene_of_the_main_river_is_no_look_at_a_tributary_beyond_its_mouth(
    tmp_path: Path,
) -> None:
    """The Nanay drawn to the Amazon's bank, 150 m from its centerline; scenes of the Amazon
    whose edge lies 50 m short of the Nanay's line. The corridor's round cap beyond the line's
    end reached 250 m into the Amazon, and `counts.csv` said "Nanay 2024: 0 dredges, 3
    scenes" for a river none of them saw."""
    from tests.geo_fixtures import write_udm2

    x0, y0 = tf.ORIGIN
    amazon = straight_line()
    nanay = LineString([(x0 + 500, y0 + 3000), (x0 + 500, y0 + 150)])
    days = tf.dates(3)
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    south = Transformer.from_crs(tf.CRS, "EPSG:4326", always_xy=True).transform(x0, y0 - 300)
    for t in days:  # 8 km × 800 m, its north edge 100 m north of the Amazon's centerline
        path = scenes / f"{tf.scene_name(t)}.tif"
        write_udm2(write_scene(path, gsd_m=20.0, width=400, height=40, centre_lonlat=south))
    dets = tf.detections([(t, tf.point_at(amazon, 2000)) for t in days])
    dets.to_parquet(tmp_path / "dets.parquet")
    rivers = tmp_path / "rivers.geojson"
    frame = gpd.GeoDataFrame({"name": ["Amazon", "Nanay"]}, geometry=[amazon, nanay], crs=tf.CRS)
    frame.to_file(rivers)
    out = tmp_path / "tracks.parquet"
    run_track(tmp_path / "dets.parquet", rivers, out, scenes=[scenes])
    seen = pd.read_csv(tmp_path / "tracks.observations.csv")
    assert set(seen["river"]) == {"Amazon"} and len(seen) == 3


def test_scenes_without_a_cloud_mask_are_named(tmp_path: Path) -> None:
    """Without UDM2 a scene's clouds count as seen ground: a dredge under one looks gone."""
    from tests.geo_fixtures import write_udm, write_udm2

    line = straight_line()
    days = tf.dates(3)
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for k, t in enumerate(days):
        scene = write_strip_scene(scenes / f"{tf.scene_name(t)}.tif")
        if k == 1:  # the first scene has no mask beside it, the second Planet's older UDM
            write_udm(scene)
        elif k == 2:
            write_udm2(scene)
    marked = tmp_path / "dets.parquet"
    tf.detections([(t, tf.point_at(line, 2000)) for t in days], tf.network(line)).to_parquet(marked)
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    args = ["track", str(marked), "--rivers", str(rivers), "--scenes", str(scenes)]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "tracks.parquet")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    first = tf.scene_name(days[0])
    assert f"1 of 3 scenes has no cloud mask (UDM2) beside it (e.g. {first}" in text
    second = tf.scene_name(days[1])
    assert f"1 of 3 scenes has Planet's older UDM as its cloud mask (e.g. {second}" in text


def test_scenes_without_a_cloud_mask_are_named_as_the_run_names_them(tmp_path: Path) -> None:
    """Two scenes that share a file name (a/NAME.tif, b/NAME.tif, dated by --dates): the notes
    named the one without a mask (or with the older UDM) by its file name, either of them."""
    from tests.geo_fixtures import write_udm, write_udm2

    line = straight_line()
    days = tf.dates(2)
    name = f"{tf.scene_name(days[0])}.tif"
    files = [tmp_path / folder / name for folder in ("a", "b")]
    for k, path in enumerate(files):
        path.parent.mkdir()
        scene = write_strip_scene(path)
        if k:  # b's mask is the older UDM; then none
            write_udm(scene)
        else:
            write_udm2(scene)
    marks = tf.detections([(t, tf.point_at(line, 2000)) for t in days], tf.network(line))
    marks["scene"] = [f"a_{name}", f"b_{name}"]
    marks.to_parquet(tmp_path / "dets.parquet")
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    when = {str(path): t for path, t in zip(files, days, strict=True)}
    out = tmp_path / "tracks.parquet"
    scenes = [str(path) for path in files]
    run = run_track(tmp_path / "dets.parquet", rivers, out, scenes=scenes, dates=when)
    text = " ".join(" ".join(run.notes).split())
    assert f"older UDM as its cloud mask (e.g. b_{name};" in text
    for mask in files[1].parent.glob("*udm*"):
        mask.unlink()
    run = run_track(tmp_path / "dets.parquet", rivers, out, scenes=scenes, dates=when)
    text = " ".join(" ".join(run.notes).split())
    assert f"1 of 2 scenes has no cloud mask (UDM2) beside it (e.g. b_{name})" in text


def test_scenes_with_detections_that_were_not_given_to_track_are_named() -> None:
    from detector.track_notes import scenes_not_given

    dets = pd.DataFrame(
        {"scene": ["a.tif", "b.tif", "b.tif", "c.tif", None], "river": ["R", "R", "R", None, "R"]}
    )
    # c.tif's only detection is on no river; folders and the extension's case do not matter.
    assert scenes_not_given(dets, pd.DataFrame({"scene": ["dir/a.tif"]})) == (1, 2)
    assert scenes_not_given(dets, pd.DataFrame({"scene": ["a", "x/b.TIF"]})) is None
    assert scenes_not_given(dets.drop(columns="scene"), pd.DataFrame({"scene": ["a"]})) is None


def test_tracking_without_scenes_names_rivers_whose_dates_lie_too_far_apart() -> None:
    from detector.track_notes import long_gaps_note

    linked = pd.DataFrame(
        {
            "river": ["A", "A", "B", "B", "B", None],
            "acquired": pd.to_datetime(
                [
                    "2024-01-01",
                    "2024-03-15",
                    "2024-01-01T23:00",
                    "2024-01-25",
                    "2024-02-20",
                    "2023-01-01",
                ],
                utc=True,
                format="ISO8601",
            ),
        }
    )
    note = long_gaps_note(linked, 30.0)
    # A: 74 days between looks; B: 24 and 26 days; the row on no river is not a look.
    assert note is not None and "1 river (A) has detection dates" in note and "--scenes" in note
    assert long_gaps_note(linked, 80.0) is None
    assert long_gaps_note(linked.iloc[:0], 30.0) is None


def test_track_dates_scenes_by_their_detections_then_dates(tmp_path: Path) -> None:
    """Scenes with no date of their own: those with detections take the detections' date; one
    without any needs --dates, and without it the error says so."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(4, every_days=20)
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for k in range(4):
        write_strip_scene(scenes / f"pass_{k}.tif")
    dets = tf.detections([(t, tf.point_at(line, 2000)) for t in days[:3]], net)
    dets["scene"] = [f"pass_{k}.tif" for k in range(3)]
    marked = tmp_path / "dets.parquet"
    dets.to_parquet(marked)
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    args = ["track", str(marked), "--rivers", str(rivers), "--scenes", str(scenes)]
    runner = CliRunner()
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "a.parquet")])
    assert result.exit_code == 2
    assert "pass_3.tif: acquisition date unknown" in result.output and "--dates" in result.output
    table = tmp_path / "dates.csv"
    table.write_text(f"scene,date\npass_3,{days[3]:%Y-%m-%d}\n")
    args += ["--dates", str(table)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "b.parquet")])
    assert result.exit_code == 0, result.output
    seen = pd.read_csv(tmp_path / "b.observations.csv")
    assert seen.loc[seen["source"] == "scenes", "date"].tolist() == [f"{t:%Y-%m-%d}" for t in days]


def test_track_scenes_as_globs_and_the_order_folder_hint(tmp_path: Path) -> None:
    """--scenes reads SCENES as `dredge run` does; a folder whose scenes lie in a subfolder
    (a Planet order) gets one line that points there."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(3, every_days=20)
    scenes = tmp_path / "order" / "PSScene"
    scenes.mkdir(parents=True)
    for t in days:
        write_strip_scene(scenes / f"{tf.scene_name(t)}.tif")
    marked = tmp_path / "dets.parquet"
    tf.detections([(t, tf.point_at(line, 2000)) for t in days], net).to_parquet(marked)
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    args = ["track", str(marked), "--rivers", str(rivers)]
    runner = CliRunner()
    order = tmp_path / "order"
    result = runner.invoke(app, [*args, "--scenes", str(order), "--out", str(tmp_path / "a.pq")])
    assert result.exit_code == 2
    assert f"3 lie in subfolders ({scenes})" in result.output
    glob = f"{order}/**/*.tif"
    result = runner.invoke(app, [*args, "--scenes", glob, "--out", str(tmp_path / "b.parquet")])
    assert result.exit_code == 0, result.output
    assert "read the clear, valid areas of 3 scenes" in result.output


def test_hand_marks_with_scenes_they_did_not_mark_are_named() -> None:
    from detector.track_notes import unmarked_looks_note

    looks = pd.DataFrame(
        {
            "river": ["A", "A", "A", "B"],
            "date": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-02-01"],
        }
    )
    marks = pd.DataFrame(
        {
            "river": ["A", "A", None],
            "acquired": pd.to_datetime(
                ["2024-01-01T14:00Z", "2024-03-01T00:00Z", "2024-02-01T09:00Z"]
            ),
        }
    )
    note = unmarked_looks_note(looks, marks)
    # B has no marks (and is not named); A was seen on 2024-02-01 with nothing marked.
    assert note is not None and note.startswith("1 of 3 dates") and "A 2024-02-01" in note
    assert "with hand marks has no mark on it" in note  # it said '1 of 3 dates … have'
    assert unmarked_looks_note(looks[looks["date"] != "2024-02-01"], marks) is None


def test_hand_marks_naming_scenes_by_planet_id_or_stem_are_aligned_to_the_scenes() -> None:
    """Marks whose scene is a Planet ID were '9 of 9 scenes with detections are not among
    --scenes' while those very scenes were given."""
    from detector.track_pipeline import align_scene_names

    files = [
        "planet/20240303_143659_60_2423_3B_AnalyticMS_SR.tif",
        "planet/20240614_144434_31_241d_3B_AnalyticMS_SR.tif",
        "a/analytic.tif",
        "b/analytic.tif",
    ]
    labels = {f: Path(f).name for f in files[:2]} | {
        files[2]: "a_analytic.tif",
        files[3]: "b_analytic.tif",
    }
    values = [
        "20240303_143659_60_2423",  # a Planet ID
        "20240614_144434_31_241d_3B_AnalyticMS_SR",  # a stem
        "D:\\planet\\20240303_143659_60_2423_3B_AnalyticMS_SR.tif",  # a Windows path
        "20240614_144434_31_241d_3B_AnalyticMS_SR.tif",  # as given: kept as written
        "analytic.tif",  # two scenes share the name: left as it is
        "a_analytic",  # a label
        "other",
        None,
    ]
    got = align_scene_names(pd.DataFrame({"scene": values}), files, labels)["scene"].tolist()
    assert got[:-1] == [
        "20240303_143659_60_2423_3B_AnalyticMS_SR",
        "20240614_144434_31_241d_3B_AnalyticMS_SR",
        "20240303_143659_60_2423_3B_AnalyticMS_SR",
        "20240614_144434_31_241d_3B_AnalyticMS_SR.tif",
        "analytic.tif",
        "a_analytic",
        "other",
    ]
    assert pd.isna(got[-1])


def test_a_row_of_a_scene_dated_otherwise_does_not_redate_the_scene() -> None:
    """A detection pasted from a scene to mark a missed dredge, its date edited and its scene
    kept, dated the whole scene when it came first: the scene's clear area counted as seen on
    the new date (the demo's 2024-01-01 Nanay scene on 2024-04-18), without a word."""
    from detector.track_notes import detection_dates, mixed_scene_dates_note

    dets = pd.DataFrame(
        {
            "detection_id": ["added", "a1", "a2", "b1"],
            "scene": ["a.tif", "a.tif", "dir/a.tif", "b.tif"],
            "acquired": pd.to_datetime(
                [
                    "2024-04-18T14:37:46Z",
                    "2024-01-01T14:59:02Z",
                    "2024-01-01T14:59:02Z",
                    "2024-02-01T14:00:00Z",
                ],
                utc=True,
            ),
        }
    )
    dates = detection_dates(dets)
    assert dates["a"] == pd.Timestamp("2024-01-01T14:59:02Z")
    assert dates["b"] == pd.Timestamp("2024-02-01T14:00:00Z")
    note = mixed_scene_dates_note(dets, "marks.parquet")
    assert note is not None and note.startswith(
        "marks.parquet: 1 detection of 1 scene is dated otherwise than the rest of its scene"
    )
    assert "detection_id added of a: 2024-04-18, the scene's other rows 2024-01-01" in note
    same_day = dets.iloc[1:].copy()
    same_day.loc[1, "acquired"] += pd.Timedelta(minutes=5)  # one day: not named
    assert mixed_scene_dates_note(same_day, "marks.parquet") is None


def test_scenes_far_past_the_detections_dates_are_named() -> None:
    """Detections of 2024 only (a 2025 file forgotten) with every scene of 2024-2025: 2025 was
    published as zeros on 9-12 scenes per river without a word. A last scene or two with no
    dredge, close to the last detection, is no sign of that and is not named."""
    from detector.track_notes import scenes_beyond_note

    dets = pd.DataFrame(
        {
            "scene": ["a.tif", "b.tif"],
            "acquired": pd.to_datetime(["2024-01-03T14:00Z", "2024-01-10T14:00Z"], utc=True),
        }
    )
    looks = pd.DataFrame(
        {
            "scene": ["a", "b", "c", "d", "e"],
            "acquired": pd.to_datetime(
                [
                    "2024-01-03T14:00Z",
                    "2024-01-10T14:00Z",
                    "2024-01-25",
                    "2024-06-01",
                    "2023-12-01",
                ],
                utc=True,
                format="ISO8601",
            ),
        }
    )
    note = scenes_beyond_note(dets, looks, "dets.parquet")
    assert note is not None and note.startswith("dets.parquet: 3 of 5 scenes given have no")
    assert "2 after the last, 2024-01-10, to 2024-06-01 and 1 before the first" in note
    assert "another file (forgotten?)" in note
    assert scenes_beyond_note(dets, looks.iloc[:3], "dets.parquet") is None  # 15 days after
    one = scenes_beyond_note(dets, looks.iloc[[0, 1, 3]], "dets.parquet")
    assert one is not None and one.startswith(  # it said '1 of 3 scenes given have … lie'
        "dets.parquet: 1 of 3 scenes given has no dredge detection and lies outside"
    )
    assert scenes_beyond_note(dets.iloc[:0], looks, "dets.parquet") is None


def test_scenes_whose_detections_are_boats_alone_are_not_named_as_left_out(
    tmp_path: Path,
) -> None:
    """`dredge detect` on a year, `dredge track` of its file with the year's scenes: the last
    scenes showed boats and no dredge. They were named as scenes whose detections might be in
    another file ('2 of 4 scenes given have no dredge detection … (forgotten?), give it too'),
    though their boats were in the file given; a scene with no detection at all still is."""
    from tests.geo_fixtures import write_udm2

    line = straight_line()
    net = tf.network(line)
    days = tf.dates(5, every_days=40)
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for t in days[:4]:
        write_udm2(write_strip_scene(scenes / f"{tf.scene_name(t)}.tif"))
    dets = tf.detections([(t, tf.point_at(line, 2000)) for t in days[:4]], net)
    dets.loc[2:, "class_name"] = "boat"  # the last two scenes: boats, no dredge
    marked = tmp_path / "dets.parquet"
    dets.to_parquet(marked)
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    runner = CliRunner()
    args = ["track", str(marked), "--rivers", str(rivers), "--scenes", str(scenes)]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "a.parquet")])
    assert result.exit_code == 0, result.output
    assert "forgotten?" not in result.output
    write_udm2(write_strip_scene(scenes / f"{tf.scene_name(days[4])}.tif"))  # not detected
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "b.parquet")])
    assert result.exit_code == 0, result.output
    assert "1 of 5 scenes given has no dredge detection" in result.output
    assert f"1 after the last, {days[3]:%Y-%m-%d}" in result.output  # the last boat's day


def test_scenes_whose_boats_lie_beyond_the_corridor_are_not_named_as_left_out(
    tmp_path: Path,
) -> None:
    """`dredge detect --corridor-m 500`, `dredge track` with the default 250 m: the last two
    scenes showed boats 350 m off the centerline and no dredge. Those boats were dropped with
    no river, and their scenes named as forgotten ('2 of 4 scenes given have no dredge
    detection … (forgotten?)'); they still are no look at the river nor a dredge."""
    from tests.geo_fixtures import write_udm2

    line = straight_line()
    net = tf.network(line)
    days = tf.dates(4, every_days=40)
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for t in days:  # 8 km × 800 m around the river: the boats lie in it
        write_udm2(write_strip_scene(scenes / f"{tf.scene_name(t)}.tif"))
    spots = [tf.point_at(line, 2000)] * 2 + [tf.point_at(line, 2000, offset_m=350)] * 2
    dets = tf.detections(list(zip(days, spots, strict=True)), net)
    dets.loc[2:, "class_name"] = "boat"  # the last two scenes: boats off the corridor
    marked = tmp_path / "dets.parquet"
    dets.to_parquet(marked)
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    out = tmp_path / "tracks.parquet"
    args = ["track", str(marked), "--rivers", str(rivers), "--scenes", str(scenes)]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "forgotten?" not in result.output
    tracks = gpd.read_parquet(out)
    assert int(tracks["n_detections"].sum()) == 2  # the boats are no dredges
    alone = tmp_path / "alone.parquet"  # no scenes: the boats off the corridor are no looks
    result = CliRunner().invoke(app, [*args[:4], "--out", str(alone)])
    assert result.exit_code == 0, result.output
    looked = pd.read_csv(tmp_path / "alone.observations.csv")
    assert sorted(looked["date"]) == [f"{t:%Y-%m-%d}" for t in days[:2]]


def test_a_second_scene_folder_after_scenes_is_named(tmp_path: Path) -> None:
    """`--scenes a/ b/`: --scenes takes one path, so b/ fell to DETECTIONS and `dredge track`
    said "b: file not found — check the DETECTIONS path" of a folder that is there; `dredge
    train` (b/ read as LABELS) said "is not a label set this tool reads"."""
    from training.labels.sources import label_format

    marked, rivers = write_inputs(tmp_path)
    folders = [tmp_path / "2024-01", tmp_path / "2024-02"]
    for folder in folders:
        folder.mkdir()
        (folder / "20240105_140000_00_2405_3B_AnalyticMS_SR.tif").write_bytes(b"")
    args = ["track", str(marked), "--rivers", str(rivers), "--scenes", *map(str, folders)]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "t.parquet")])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert f"{folders[1]}: is a folder of scenes, not DETECTIONS" in said, said
    assert "repeat --scenes before each folder (--scenes a/ --scenes b/)" in said
    with pytest.raises(InputError, match="is a folder of scenes, not LABELS"):
        label_format(folders[1])


def test_detections_of_a_scene_named_in_the_other_unicode_form_are_of_the_scene_given() -> None:
    """Detections made on a Mac name `escena ñ río 01.tif` decomposed (`n` + a combining
    tilde); the same scene given to `dredge track --scenes` from a copy whose name is composed
    was 'not among --scenes' (a note showing names alike, and no dredge there could be seen
    gone), and its date was not the detections'."""
    import unicodedata

    from detector.observed import scene_key
    from detector.track_notes import detection_dates, scenes_not_given

    name = "escena ñ río 01.tif"
    detections = pd.DataFrame(
        {
            "scene": [unicodedata.normalize("NFD", name)],
            "river": ["Nanay"],
            "acquired": [pd.Timestamp("2025-02-14 14:47", tz="UTC")],
        }
    )
    observed = pd.DataFrame({"scene": [scene_key(unicodedata.normalize("NFC", name))]})
    assert scenes_not_given(detections, observed) is None
    dates = detection_dates(detections)
    assert dates[scene_key(unicodedata.normalize("NFC", name))] == pd.Timestamp(
        "2025-02-14 14:47", tz="UTC"
    )


def test_dates_without_scenes_are_refused(tmp_path: Path) -> None:
    """`dredge track … --dates dates.csv` without --scenes read the table and used none of it,
    without a word: the detections kept their own dates (a table meant to correct them, or
    given for scenes forgotten, changed nothing)."""
    marked, rivers = write_inputs(tmp_path)
    table = tmp_path / "dates.csv"
    table.write_text("scene,date\nescena.tif,2021-06-01\n", encoding="utf-8")
    out = tmp_path / "tracks.parquet"
    args = ["track", str(marked), "--rivers", str(rivers), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--dates", str(table)])
    assert result.exit_code == 2, result.output
    assert "--dates dates the scenes given with --scenes, and none were given" in " ".join(
        result.output.split()
    )
    assert not out.exists()
