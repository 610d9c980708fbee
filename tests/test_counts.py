"""Yearly counts of unique dredges, and the `dredge track` / `dredge counts` commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from pyproj import Transformer
from shapely import LineString
from typer.testing import CliRunner

from detector.cli import app
from detector.counts import (
    COUNT_COLUMNS,
    first_year_note,
    first_years,
    partial_year_note,
    sparse_note,
    yearly_counts,
)
from detector.errors import InputError
from detector.rivers import RiverNetwork
from detector.track_pipeline import run_track
from detector.tracking import link_tracks
from tests import track_fixtures as tf
from tests.geo_fixtures import SceneFixture, write_scene
from tests.test_tracking import straight_line


def two_year_world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dredge A in 2024 and 2025 (moving 1.5 km in 2025), dredge B only in 2025."""
    line = straight_line()
    net = tf.network(line)
    y24 = [pd.Timestamp("2024-03-01 14:00", tz="UTC") + pd.Timedelta(days=7 * k) for k in range(4)]
    y25 = [pd.Timestamp("2025-01-02 14:00", tz="UTC") + pd.Timedelta(days=7 * k) for k in range(6)]
    a0, a1, b = tf.point_at(line, 2000), tf.point_at(line, 3500), tf.point_at(line, 500)
    rows = [(t, a0) for t in y24 + y25[:3]] + [(t, a1) for t in y25[3:]] + [(t, b) for t in y25]
    dets = tf.detections(rows, net)
    linked, tracks = link_tracks(dets, tf.observed(y24 + y25))
    return linked, tracks


def test_unique_and_new_dredges_per_year() -> None:
    linked, tracks = two_year_world()
    counts = yearly_counts(tracks, linked).set_index("year")
    assert list(yearly_counts(tracks, linked).columns) == COUNT_COLUMNS
    assert counts.loc[2024, "unique_dredges"] == 1 and counts.loc[2024, "new_dredges"] == 1
    assert counts.loc[2025, "unique_dredges"] == 2 and counts.loc[2025, "new_dredges"] == 1
    assert counts.loc[2024, "detections"] == 4 and counts.loc[2025, "detections"] == 12
    assert counts.loc[2024, "scenes"] == 4 and counts.loc[2025, "scenes"] == 6
    assert (counts["unique_low"] <= counts["unique_dredges"]).all()
    assert (counts["unique_high"] >= counts["unique_dredges"]).all()


def test_a_year_with_scenes_and_no_dredges_gives_a_zero_row() -> None:
    linked, tracks = two_year_world()
    observations = pd.DataFrame(
        {
            "river": ["Meander", "Meander", "Quiet"],
            "date": ["2026-05-01", "2026-06-01", "2025-02-01"],
        }
    )
    counts = yearly_counts(tracks, linked, observations=observations)
    rows = counts.set_index(["river", "year"])
    assert rows.loc[("Meander", 2026)].drop(["seen_km", "seen_share"]).to_dict() == {
        "unique_dredges": 0,
        "new_dredges": 0,
        "detections": 0,
        "scenes": 2,
        "unique_low": 0,
        "unique_high": 0,
    }
    assert rows.loc[("Quiet", 2025), "scenes"] == 1
    assert rows.loc[("Quiet", 2024), "scenes"] == 0  # every river gets every year
    assert len(counts) == 2 * 3


def test_short_tracks_widen_the_range_but_are_not_counted() -> None:
    linked, tracks = two_year_world()
    tracks = tracks.copy()
    tracks.loc[tracks["n_dates"] == 6, "counted"] = False  # pretend B was seen once
    counts = yearly_counts(tracks, linked).set_index("year")
    assert counts.loc[2025, "unique_dredges"] == 1
    assert counts.loc[2025, "unique_high"] == 2


def test_maybe_same_as_lowers_the_low_end() -> None:
    linked, tracks = two_year_world()
    tracks = tracks.copy()
    b = tracks.loc[tracks["n_dates"] == 6, "track_id"].iloc[0]
    a = tracks.loc[tracks["track_id"] != b, "track_id"].iloc[0]
    tracks.loc[tracks["track_id"] == b, "maybe_same_as"] = a
    counts = yearly_counts(tracks, linked, years=[2025]).set_index("year")
    assert counts.loc[2025, "unique_low"] == 1
    assert list(counts.index) == [2025]


def hand_tables(
    rows: list[tuple[int, str, int | None]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A tracks table as edited by hand: (track_id, river, maybe_same_as), each counted, each
    detected on two dates of 2025 on its river."""
    tracks = pd.DataFrame(
        {
            "track_id": [r[0] for r in rows],
            "river": [r[1] for r in rows],
            "first_seen": pd.Timestamp("2025-03-01", tz="UTC"),
            "counted": True,
            "maybe_same_as": pd.array([r[2] for r in rows], dtype="Int64"),
        }
    )
    days = [pd.Timestamp("2025-03-01", tz="UTC"), pd.Timestamp("2025-04-01", tz="UTC")]
    dets = pd.DataFrame(
        [{"track_id": t, "river": river, "acquired": d} for t, river, _ in rows for d in days]
    )
    return tracks, dets


def test_a_pair_naming_each_other_lowers_the_low_end_once() -> None:
    tracks, dets = hand_tables([(1, "Meander", 2), (2, "Meander", 1), (3, "Meander", None)])
    row = yearly_counts(tracks, dets).set_index("river").loc["Meander"]
    assert row["unique_dredges"] == 3
    assert row["unique_low"] == 2  # A and B may be one dredge: 2, not 1


def test_a_pair_on_two_rivers_lowers_neither_rivers_low_end() -> None:
    tracks, dets = hand_tables([(1, "Meander", None), (2, "Quiet", 1)])
    rows = yearly_counts(tracks, dets).set_index("river")
    assert rows.loc["Quiet", "unique_dredges"] == 1
    assert rows.loc["Quiet", "unique_low"] == 1  # not 0: its one dredge continues no other here
    assert rows.loc["Meander", "unique_low"] == 1


def write_strip_scene(path: Path) -> SceneFixture:
    """A scene of 8 km × 800 m around :func:`straight_line` (20 m pixels)."""
    return write_scene(path, gsd_m=20.0, width=400, height=40, centre_lonlat=(-73.40, -3.80))


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """A hand-marked CSV (dates in mixed formats, one point off the river) and the rivers."""
    line = straight_line()
    rivers = folder / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    boxes = tf.detections([(t, tf.point_at(line, 1000)) for t in tf.dates(3)])
    centres = boxes.to_crs(tf.CRS).centroid.to_crs("EPSG:4326")
    table = pd.DataFrame(
        {
            "acquired": ["2024-01-03T14:30:00Z", "2024-01-10 09:30:00-05:00", "2024-01-17"],
            "lon": centres.x.to_numpy(),
            "lat": centres.y.to_numpy(),
        }
    )
    table.loc[len(table)] = ["2024-01-17", -73.0, -3.0]  # far from every river
    marked = folder / "marked.csv"
    table.to_csv(marked, index=False)
    return marked, rivers


def test_new_dredges_of_the_first_year_of_imagery_are_named() -> None:
    """Imagery from 2024 on: every dredge of 2024 is 'new', which is no finding. The first year
    is that of the river's scenes, not of the years reported (--years 2025)."""
    counts = pd.DataFrame(
        {
            "river": ["Nanay", "Nanay", "Itaya", "Itaya"],
            "year": [2024, 2025, 2024, 2025],
            "new_dredges": [8, 3, 0, 2],
        }
    )
    seen = pd.DataFrame(
        {"river": ["Nanay", "Nanay", "Itaya"], "date": ["2024-03-01", "2025-01-09", "2024-05-02"]}
    )
    first = first_years(seen, pd.DataFrame({"river": [], "acquired": []}))
    assert first == {"Itaya": 2024, "Nanay": 2024}
    note = first_year_note(counts, first)
    assert note is not None and note.startswith("new_dredges of Nanay 2024 (the first year")
    assert first_year_note(counts[counts["year"] == 2025], first) is None  # --years 2025
    dets = pd.DataFrame({"river": ["Nanay"], "acquired": ["2025-02-01T15:00:00Z"]})
    assert first_years(None, dets) == {"Nanay": 2025}  # tracked without --scenes


def test_river_years_with_scenes_far_apart_are_named_as_likely_low() -> None:
    counts = pd.DataFrame(
        {
            "river": ["Nanay", "Nanay", "Itaya", "Cenepa", "Santiago"],
            "year": [2024, 2025, 2024, 2024, 2024],
            "unique_high": [8, 15, 3, 4, 0],  # the Santiago has no dredge: nothing to undercount
        }
    )
    monthly = pd.date_range("2024-01-05", periods=24, freq="30D")  # into 2025
    weekly = pd.date_range("2024-03-01", periods=10, freq="7D")  # ten weeks: a short campaign
    observations = pd.DataFrame(
        {
            "river": ["Nanay"] * 24 + ["Cenepa"] * 10 + ["Itaya", "Santiago", "Santiago"],
            "date": [
                *monthly,
                *weekly,
                *pd.to_datetime(["2024-05-01", "2024-05-01", "2024-09-01"]),
            ],
        }
    )
    note = sparse_note(counts, observations.assign(date=observations["date"].dt.strftime("%F")))
    assert note is not None
    assert note.startswith(
        "counts likely low on 3 of 4 river-years with dredge detections (Nanay 2024, Nanay 2025, "
        "Itaya 2024): scenes more than 10 days apart"
    )
    assert sparse_note(counts, observations[observations["river"] == "Cenepa"]) is None


def test_river_years_imaged_over_part_of_the_year_are_named() -> None:
    """A year imaged only in ten weeks (a dry-season campaign, or the current year) was counted
    beside years imaged throughout without a word: dredges of the other months are missing."""
    counts = pd.DataFrame({"river": ["Nanay", "Nanay", "Cenepa"], "year": [2024, 2025, 2024]})
    monthly = pd.date_range("2024-01-05", periods=24, freq="30D")  # into 2025
    weekly = pd.date_range("2024-03-01", periods=10, freq="7D")
    observations = pd.DataFrame(
        {"river": ["Nanay"] * 24 + ["Cenepa"] * 10, "date": [*monthly, *weekly]}
    )
    note = partial_year_note(counts, observations.assign(source="scenes"))
    assert note == (
        "scenes of 1 river-year span under 9 months (Cenepa 2024 (01 Mar–03 May)): a dredge "
        "there only in the months without scenes is not counted — compare it with years "
        "imaged throughout with care"
    )
    # dates of detections alone (tracked without --scenes) say nothing of the imagery
    assert partial_year_note(counts, observations.assign(source="detections")) is None


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


def test_track_and_counts_commands(tmp_path: Path) -> None:
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "run" / "tracks.parquet"
    result = runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "into 1 track (1 counted)" in result.output
    assert "1 of 4 detections is on no river" in result.output
    assert "2 dates have no time zone and 2 have one; all converted to UTC" in result.output
    assert "no scores (marked by hand?)" in result.output
    for name in ("tracks.parquet", "tracks.detections.parquet", "tracks.observations.csv"):
        assert (tmp_path / "run" / name).is_file()
    counts_out = tmp_path / "run" / "counts.json"
    result = runner.invoke(app, ["counts", str(out), "--out", str(counts_out)])
    assert result.exit_code == 0, result.output
    counts = pd.read_json(counts_out)
    assert counts[["river", "year", "unique_dredges"]].values.tolist() == [["Meander", 2024, 1]]


def test_track_notes_of_one_detection_are_singular(tmp_path: Path) -> None:
    """One mark without a score and one dredge marked again in an overlapping scene of the
    same pass: the notes said '1 detection(s) without a score …: a dredge they mark' and
    '1 detection(s) were a dredge seen again'."""
    lon, lat = tf.lon_lat_on_the_river()
    marks = tmp_path / "marcas.csv"
    rows = [
        f"{scene},{lon},{lat},2024-03-05,{score}"
        for scene, score in (("20240305_141737_65_2423", 0.9), ("20240305_141742_11_2423", ""))
    ]
    marks.write_text("Escena,lon,lat,fecha,score\n" + "\n".join(rows) + "\n")
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[tf.meander_line()], crs=tf.CRS).to_file(
        rivers
    )
    run = run_track(marks, rivers, tmp_path / "tracks.parquet")
    text = " ".join(" ".join(run.notes).split())
    assert "1 detection without a score (added by hand?): a dredge it marks counts" in text
    assert "1 detection was a dredge seen again in another scene of the same pass" in text
    assert "on 1 river into 1 track" in run.summary


def test_one_sparse_river_year_is_named_in_the_singular() -> None:
    """'counts likely low on 1 of 1 river-year(s)': the singular now."""
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "unique_high": [2]})
    observations = pd.DataFrame(
        {
            "river": ["Nanay"] * 3,
            "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-05-01"]).strftime("%F"),
            "source": "scenes",
        }
    )
    note = sparse_note(counts, observations)
    assert note is not None and note.startswith(
        "counts likely low on 1 of 1 river-year with dredge detections (Nanay 2024)"
    )


def test_track_links_one_dredge_across_several_detection_files(tmp_path: Path) -> None:
    """One table per month of marks: the same dredge in each is one dredge, not three."""
    marked, rivers = write_inputs(tmp_path)
    table = pd.read_csv(marked).iloc[:3]
    months = []
    for month, (_, row) in enumerate(table.iterrows(), start=1):
        path = tmp_path / f"marks_2024-0{month}.csv"
        row.to_frame().T.to_csv(path, index=False)
        months.append(str(path))
    out = tmp_path / "tracks.parquet"
    args = ["track", *months, "--rivers", str(rivers), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "linked 3 detections on 1 river into 1 track (1 counted)" in result.output
    assert "prefixed with its file's name" in result.output


def scored_low(marked: Path) -> None:
    """Scores of 0.4 on every date: under the default --count-score."""
    table = pd.read_csv(marked)
    table["score"] = 0.4
    table.to_csv(marked, index=False)


def one_spot_for_months(marked: Path) -> None:
    """The first spot, marked every 25 days for 150 days: over the default --max-static-days."""
    spot = pd.read_csv(marked).iloc[0]
    days = pd.date_range("2024-01-03", periods=7, freq="25D")
    table = pd.DataFrame({"acquired": days.strftime("%Y-%m-%d"), "lon": spot.lon, "lat": spot.lat})
    table.to_csv(marked, index=False)


@pytest.mark.parametrize(
    ("prepare", "option", "value", "note"),
    [
        (scored_low, "--count-score", "0.3", None),
        (
            one_spot_for_months,
            "--max-static-days",
            "0",
            "1 track never moved over more than 120 days: a fixed object (roof, wreck, pontoon?)",
        ),
    ],
)
def test_a_count_rule_leaves_a_track_out_and_its_option_reaches_the_tracker(
    tmp_path: Path, prepare: Callable[[Path], None], option: str, value: str, note: str | None
) -> None:
    """A spot scored low on every date, or marked at one place for months (a fixed object),
    is left out by default; the rule's option lets it count."""
    marked, rivers = write_inputs(tmp_path)
    prepare(marked)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    args = ["track", str(marked), "--rivers", str(rivers), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "into 1 track (0 counted)" in result.output
    assert pd.read_parquet(out)["static"].tolist() == [note is not None]
    if note:
        assert note in result.output
    result = runner.invoke(app, [*args, option, value, "--overwrite"])
    assert result.exit_code == 0, result.output
    assert "into 1 track (1 counted)" in result.output


def test_the_command_line_default_count_score_is_the_trackers() -> None:
    from detector.cli import COUNT_SCORE
    from detector.tracking import TrackParams

    assert COUNT_SCORE == TrackParams.count_score


def test_the_command_line_default_max_static_days_is_the_trackers() -> None:
    from detector.cli import MAX_STATIC_DAYS
    from detector.tracking import TrackParams

    assert MAX_STATIC_DAYS == TrackParams.max_static_days


def test_track_without_dates_is_one_clear_error(tmp_path: Path) -> None:
    marked, rivers = write_inputs(tmp_path)
    pd.read_csv(marked).drop(columns="acquired").to_csv(marked, index=False)
    result = CliRunner().invoke(app, ["track", str(marked), "--rivers", str(rivers)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no 'acquired' column" in lines[0]


def test_tracking_no_detections_writes_empty_tables_and_guesses_nothing(tmp_path: Path) -> None:
    """A run whose scenes held no dredge (or all failed) hands `track` an empty table: it is
    not taken for detections marked by hand."""
    from detector.detect import empty_detections, write_detections

    _, rivers = write_inputs(tmp_path)
    none = write_detections(empty_detections(), tmp_path / "detections.parquet")
    out = tmp_path / "tracks.parquet"
    runner = CliRunner()
    result = runner.invoke(app, ["track", str(none), "--rivers", str(rivers), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "into 0 tracks (0 counted)" in result.output
    assert "marked by hand" not in result.output
    result = runner.invoke(app, ["counts", str(out), "--out", str(tmp_path / "counts.csv")])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "counts.csv").empty


def test_track_and_counts_replace_a_file_only_when_asked(tmp_path: Path) -> None:
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    mine = tmp_path / "tracks.observations.csv"
    mine.write_text("my notes\n")
    track = ["track", str(marked), "--rivers", str(rivers), "--out", str(out)]
    result = runner.invoke(app, track)
    assert result.exit_code == 2
    assert f"{mine}: exists — choose another name, or pass --overwrite" in result.output
    assert mine.read_text() == "my notes\n" and not out.exists()
    assert runner.invoke(app, [*track, "--overwrite"]).exit_code == 0
    assert "river" in mine.read_text()

    chart = tmp_path / "chart.png"
    chart.write_bytes(b"my chart")
    counts = ["counts", str(out), "--out", str(tmp_path / "counts.csv"), "--chart", str(chart)]
    result = runner.invoke(app, counts)
    assert result.exit_code == 2 and f"{chart}: exists" in result.output
    assert chart.read_bytes() == b"my chart" and not (tmp_path / "counts.csv").exists()
    assert runner.invoke(app, [*counts, "--overwrite"]).exit_code == 0
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_every_export_that_would_be_replaced_is_named_at_once(tmp_path: Path) -> None:
    """`dredge counts` with a chart and a KML that existed named only counts.csv: the others
    came to light one rerun at a time, or were replaced unseen with --overwrite; and the
    temporary a killed command left of the KML stayed (only the first file's were swept)."""
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    csv_out, chart, kml = tmp_path / "counts.csv", tmp_path / "chart.png", tmp_path / "d.kml"
    for path in (csv_out, chart, kml):
        path.write_text("mine")
    left = tmp_path / ".d.kml.tmp-999999999.kml"  # of a process long gone
    left.write_text("half")
    counts = ["counts", str(out), "--out", str(csv_out), "--chart", str(chart), "--kml", str(kml)]
    result = runner.invoke(app, counts)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {csv_out}: exists, and so do {chart}, {kml} — choose other names, or pass "
        "--overwrite (it replaces all 3)"
    ]
    assert all(path.read_text() == "mine" for path in (csv_out, chart, kml))
    assert not left.exists()


@pytest.mark.parametrize("fault", ["ctrl-c", "disk full"])
def test_counts_and_exports_stopped_while_written_are_all_the_earlier_ones(
    fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge counts --overwrite` wrote counts.csv, the chart, the GeoPackage, the GeoJSON and
    the KML one after the other: stopped (Ctrl-C) or failing while it wrote the KML, the new
    counts, chart, GeoPackage and GeoJSON lay beside the earlier run's KML. Now they are
    renamed into place together, at the end: all the earlier ones, or all new."""
    import errno

    import detector.kml_export as kml_export

    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    names = ("counts.csv", "chart.png", "d.gpkg", "d.geojson", "d.detections.geojson", "d.kml")
    for name in names:
        (tmp_path / name).write_text("earlier")
    real = kml_export.ET.ElementTree.write

    def write_kml(self: object, path: object, *args: object, **kwargs: object) -> None:
        real(self, path, *args, **kwargs)  # type: ignore[arg-type]
        if fault == "ctrl-c":
            raise KeyboardInterrupt
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(kml_export.ET.ElementTree, "write", write_kml)
    counts = [
        *("counts", str(out), "--out", str(tmp_path / "counts.csv"), "--overwrite"),
        *("--chart", str(tmp_path / "chart.png"), "--gpkg", str(tmp_path / "d.gpkg")),
        *("--geojson", str(tmp_path / "d.geojson"), "--kml", str(tmp_path / "d.kml")),
    ]
    result = runner.invoke(app, counts)
    assert result.exit_code == (130 if fault == "ctrl-c" else 2)
    if fault == "disk full":
        assert "no space left on the device" in result.stderr
    left = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name in names}
    assert left == dict.fromkeys(names, b"earlier")
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    monkeypatch.undo()
    result = runner.invoke(app, counts)
    assert result.exit_code == 0, result.output
    assert not any((tmp_path / name).read_bytes() == b"earlier" for name in names)


def test_counts_to_a_file_of_no_known_format_is_one_clear_error(tmp_path: Path) -> None:
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    result = runner.invoke(app, ["counts", str(out), "--out", str(tmp_path / "counts.xml")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "end the name in .csv or .json, or give --format" in lines[0]
    assert not (tmp_path / "counts.xml").exists()
    result = runner.invoke(
        app, ["counts", str(out), "--out", str(tmp_path / "counts.xml"), "--format", "csv"]
    )
    assert result.exit_code == 0, result.output


def test_counts_named_for_the_other_format_than_format_is_one_clear_error(
    tmp_path: Path,
) -> None:
    """`--out c.json --format csv` wrote CSV under that name (a JSON reader refused it), and
    `--out c.csv --format json` JSON."""
    marked, rivers = write_inputs(tmp_path)
    runner = CliRunner()
    out = tmp_path / "tracks.parquet"
    runner.invoke(app, ["track", str(marked), "--rivers", str(rivers), "--out", str(out)])
    for name, fmt, other in (("c.json", "csv", ".json"), ("c.csv", "json", ".csv")):
        target = tmp_path / name
        result = runner.invoke(app, ["counts", str(out), "--out", str(target), "--format", fmt])
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == (
            f"error: {target}: --format is {fmt}, but the name ends in {other} — end it in "
            f".{fmt}, or leave --format out"
        )
        assert not target.exists()
    result = runner.invoke(
        app, ["counts", str(out), "--out", str(tmp_path / "c.JSON"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output


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


def test_river_years_without_a_scene_are_named_as_not_observed() -> None:
    from detector.counts import unobserved_note

    counts = pd.DataFrame(
        {"river": ["Nanay", "Nanay", "Itaya"], "year": [2023, 2024, 2024], "scenes": [0, 12, 3]}
    )
    assert unobserved_note(counts) == (
        "no scene of 1 river-year (Nanay 2023): its zero means not observed, not no dredges"
    )
    assert unobserved_note(counts[counts["scenes"] > 0]) is None


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


def test_counts_given_detections_or_another_file_say_to_track_first(tmp_path: Path) -> None:
    """Detections given as TRACKS were '<stem>.detections.detections.parquet: file not found'."""
    from detector.errors import InputError
    from detector.track_pipeline import run_counts

    detections = tmp_path / "detections.parquet"
    tf.detections([(tf.START, tf.point_at(tf.meander_line(), 500))], tf.network()).to_parquet(
        detections
    )
    with pytest.raises(InputError, match=r"holds detections, not dredge tracks .* `dredge track`"):
        run_counts(detections, tmp_path / "counts.csv")
    other = tmp_path / "dredges.gpkg"
    other.write_text("not parquet")
    with pytest.raises(InputError, match="is not a tracks file"):
        run_counts(other, tmp_path / "counts.csv")


@pytest.mark.parametrize(("option", "value"), [("--min-dates", "0"), ("--max-move-m", "-5")])
def test_track_refuses_counts_and_distances_that_cannot_be(
    option: str, value: str, tmp_path: Path
) -> None:
    """--min-dates 0 was a ValueError traceback; --max-move-m -5 ran as if moves were none."""
    from typer.testing import CliRunner

    from detector.cli import app

    result = CliRunner().invoke(
        app,
        [
            "track",
            "x.csv",
            "--rivers",
            "r.geojson",
            "--out",
            str(tmp_path / "t.parquet"),
            option,
            value,
        ],
    )
    assert result.exit_code == 2 and "Invalid value for" in result.output
    assert not (tmp_path / "t.parquet").exists()


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


def cut_to_one(linked: pd.DataFrame) -> pd.DataFrame:
    """Dredge A's detections deleted but its first."""
    a = linked.index[linked["track_id"] == 1]
    return linked.drop(index=a[1:])


def redated(linked: pd.DataFrame) -> pd.DataFrame:
    """Dredge A's last detection dated a year later."""
    out = linked.copy()
    last = out.index[out["track_id"] == 1][-1]
    out.loc[last, "acquired"] += pd.Timedelta(days=365)
    return out


def marked_boat(linked: pd.DataFrame) -> pd.DataFrame:
    """Dredge B's detections set to 'boat' (false detections)."""
    return linked.assign(class_name=linked["class_name"].where(linked["track_id"] != 2, "boat"))


def of_another_run(linked: pd.DataFrame) -> pd.DataFrame:
    """The detections of a run that found dredge A only."""
    looks = tf.observed(list(linked["acquired"].drop_duplicates()))
    return link_tracks(linked[linked["track_id"] == 1].drop(columns=["track_id", "link"]), looks)[0]


def shifted(linked: pd.DataFrame) -> pd.DataFrame:
    """Dredge A's times moved by five hours (local times written without their zone): the
    error named the same days on both sides ('seen 2024-03-01–2025-02-06 here, 2024-03-01–
    2025-02-06 in the tracks')."""
    a = linked["track_id"] == 1
    return linked.assign(
        acquired=linked["acquired"].where(~a, linked["acquired"] + pd.Timedelta(hours=5))
    )


def renamed(linked: pd.DataFrame) -> pd.DataFrame:
    """Dredge B's river renamed (in the detections, or the other way in the tracks): counted
    under the detections' name, and the tracks' name a zero row, without a word."""
    return linked.assign(river=linked["river"].where(linked["track_id"] != 2, "Río Meander"))


def one_moved(river: str | None) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Dredge A's last detection put on ``river`` (None: its river blanked): only the track's
    first detection's river was compared, so it was counted on that river in 2025 (a zero
    row with 1 detection), or left out, without a word; with the rows in the other order the
    same file was refused."""

    def edit(linked: pd.DataFrame) -> pd.DataFrame:
        last = linked.index[linked["track_id"] == 1][-1]
        return linked.assign(river=linked["river"].where(linked.index != last, river))

    return edit


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (cut_to_one, "track 1: 1 detection here, 10 in the tracks"),
        (renamed, "track 2: on Río Meander here, Meander in the tracks"),
        (one_moved("Itaya"), "track 1: on Itaya/Meander here, Meander in the tracks"),
        (one_moved(None), "track 1: on Meander/no river here, Meander in the tracks"),
        (
            shifted,
            "track 1: seen 2024-03-01 19:00:00 UTC–2025-02-06 19:00:00 UTC here, "
            "2024-03-01 14:00:00 UTC–2025-02-06 14:00:00 UTC in the tracks",
        ),
        (redated, "track 1: seen 2024-03-01–2026-02-06 here, 2024-03-01–2025-02-06 in the tracks"),
        (marked_boat, "track 2: 6 detections now 'boat'"),
        (of_another_run, "track 2: no detection here"),
    ],
)
def test_counts_refuse_detections_that_disagree_with_their_tracks(
    edit: Callable[[pd.DataFrame], pd.DataFrame], named: str, tmp_path: Path
) -> None:
    """Detections edited after `dredge track` (set to boat, a track cut to one detection) or
    of another run were counted beside the tracks without a word (the demo: Nanay 4/9 dredges
    in 2024/2025 counted 1/6 with another run's detections)."""
    from detector.errors import InputError
    from detector.track_pipeline import run_counts, sidecars

    linked, tracks = two_year_world()
    out = tmp_path / "tracks.parquet"
    tracks.to_parquet(out)
    beside = sidecars(out)[0]
    linked.to_parquet(beside)
    assert run_counts(out, tmp_path / "counts.csv")[0].startswith("wrote")
    edit(linked).to_parquet(beside)
    with pytest.raises(InputError) as error:
        run_counts(out, tmp_path / "again.csv")
    text = str(error.value)
    assert text.startswith(f"{beside}: does not match tracks.parquet: 1 track disagrees with its")
    assert named in text and "run `dredge track` again" in text
    assert not (tmp_path / "again.csv").exists()


def test_a_track_whose_river_was_blanked_in_the_tracks_is_named_so(tmp_path: Path) -> None:
    """Its river cleared in QGIS: refused, as any river edited, naming it 'no river' (the line
    said 'on Meander here, nan in the tracks')."""
    from detector.track_pipeline import run_counts, sidecars

    linked, tracks = two_year_world()
    out = tmp_path / "tracks.parquet"
    tracks.assign(river=tracks["river"].where(tracks["track_id"] != 1, None)).to_parquet(out)
    linked.to_parquet(sidecars(out)[0])
    with pytest.raises(InputError, match=r"track 1: on Meander here, no river in the tracks\)"):
        run_counts(out, tmp_path / "counts.csv")


def test_counts_of_detections_not_linked_by_track_are_refused_not_zero(tmp_path: Path) -> None:
    """`--detections detections.parquet` (the detector's, no track_id) counted every river-year
    0 dredges without a word (the demo's Nanay 2024/2025: 0/0 for 4/10)."""
    from detector.errors import InputError
    from detector.track_pipeline import run_counts

    linked, tracks = two_year_world()
    out = tmp_path / "tracks.parquet"
    tracks.to_parquet(out)
    raw = tmp_path / "detections.parquet"
    linked.drop(columns=["track_id", "link"]).to_parquet(raw)
    with pytest.raises(InputError, match=r"detections.parquet: does not match .* no track_id"):
        run_counts(out, tmp_path / "counts.csv", detections=raw)
    assert not (tmp_path / "counts.csv").exists()


def test_a_track_on_two_rows_of_the_tracks_is_refused_not_counted_twice(tmp_path: Path) -> None:
    """A track's row copied (QGIS) or two tables appended: yearly_counts counted each row (the
    2025 dredges 2 → 3), and `dredge counts` stopped on a raw pandas error ('Can only compare
    identically-labeled Series objects')."""
    from detector.errors import InputError
    from detector.track_pipeline import run_counts, sidecars

    linked, tracks = two_year_world()
    doubled = pd.concat([tracks, tracks.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"hold 1 track_id more than once \(1\)"):
        yearly_counts(doubled, linked)
    out = tmp_path / "tracks.parquet"
    doubled.to_parquet(out)
    linked.to_parquet(sidecars(out)[0])
    with pytest.raises(
        InputError, match=r"1 track disagrees with its detections \(track 1: 2 rows in"
    ):
        run_counts(out, tmp_path / "counts.csv")
    assert not (tmp_path / "counts.csv").exists()


@pytest.mark.parametrize("column", ["counted", "maybe_same_as", "last_seen"])
def test_a_tracks_file_missing_a_column_counts_read_is_one_clear_error(
    column: str, tmp_path: Path
) -> None:
    """A column deleted from tracks.parquet while editing it was a raw KeyError traceback
    (`counted`, `maybe_same_as`; `last_seen` with --kml)."""
    linked, tracks = two_year_world()
    out = tmp_path / "tracks.parquet"
    tracks.drop(columns=column).to_parquet(out)
    linked.to_parquet(tmp_path / "tracks.detections.parquet")
    result = CliRunner().invoke(
        app,
        ["counts", str(out), "--out", str(tmp_path / "c.csv"), "--kml", str(tmp_path / "d.kml")],
    )
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert f"error: {out}: has no {column} column (removed" in text, text
    assert "run `dredge track` again" in text and not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize(
    ("edit", "file", "problem"),
    [
        (("tracks", "track_id", "1x"), "tracks.parquet", "row 1 of its 'track_id' column holds "
         "'1x', not a whole number"),
        (("tracks", "first_seen", "garbage"), "tracks.parquet", "row 1 of its 'first_seen' column "
         "holds '2024-03-01 14:00:00+00:0garbage', not a date"),
        (("linked", "track_id", "3x"), "tracks.detections.parquet", "row 1 of its 'track_id' "
         "column holds '3x', not a whole number"),
        (("linked", "acquired", "not a date"), "tracks.detections.parquet", "row 1 of its "
         "'acquired' column holds '2024-03-01 14:00:00+00:0not a date', not a date"),
        (("linked", "river", None), "tracks.detections.parquet", "has no river column ("),
        (("linked", "acquired", None), "tracks.detections.parquet", "has no acquired column ("),
    ],
)  # fmt: skip
def test_a_cell_edited_out_of_shape_in_the_tracks_files_is_one_line_naming_the_file(
    tmp_path: Path, edit: tuple[str, str, str | None], file: str, problem: str
) -> None:
    """A track id or date edited into text, or the river or acquired column deleted, in the
    tracks or their linked detections stopped `dredge counts` on pandas' own line ('error:
    invalid literal for int() with base 10: '1x'', 'error: detections miss column(s): river'),
    naming neither the file nor the column; with only the tool's errors one line, a traceback
    that called itself a bug."""
    linked, tracks = two_year_world()
    which, column, value = edit
    frames = {"tracks": tracks, "linked": linked}
    frame = frames[which]
    if value is None:
        frames[which] = frame.drop(columns=column)
    else:
        frames[which] = frame.assign(**{column: frame[column].astype(str).str[:-1] + value})
    frames["tracks"].to_parquet(tmp_path / "tracks.parquet")
    frames["linked"].to_parquet(tmp_path / "tracks.detections.parquet")
    args = ["counts", str(tmp_path / "tracks.parquet"), "--out", str(tmp_path / "c.csv")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.startswith(f"error: {tmp_path / file}: {problem}"), text
    assert "run `dredge track` again" in text and not (tmp_path / "c.csv").exists()


def _count_edited(tmp_path: Path, tracks: pd.DataFrame, linked: pd.DataFrame) -> Any:
    tracks.to_parquet(tmp_path / "tracks.parquet")
    linked.to_parquet(tmp_path / "tracks.detections.parquet")
    args = ["counts", str(tmp_path / "tracks.parquet"), "--out", str(tmp_path / "c.csv")]
    return CliRunner().invoke(app, [*args, "--gpkg", str(tmp_path / "d.gpkg")])


def test_track_ids_typed_as_text_and_times_retyped_in_another_form_are_counted(
    tmp_path: Path,
) -> None:
    """Track ids held as text ('1', '2': the column retyped in QGIS or saved from a table) and
    a whole number typed as '2.0' are the tracks' ids; a first_seen column of text whose cells
    were written in two ISO forms ('…14:00:00+00:00', '…T14:00:00Z') is the same times. Text
    ids stopped `dredge counts` on "You are trying to merge on Int64 and str columns" (a
    traceback called a bug, exit 3), '2.0' was refused as no whole number and the two forms
    as no dates."""
    linked, tracks = two_year_world()
    first = _count_edited(tmp_path, tracks, linked)
    assert first.exit_code == 0, first.output
    expected = pd.read_csv(tmp_path / "c.csv")
    ids = tracks["track_id"].astype(str).tolist()
    ids[-1] = f"{ids[-1]}.0"
    stamps = tracks["first_seen"].astype(str).tolist()
    stamps[-1] = tracks["first_seen"].iloc[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
    edited = tracks.assign(track_id=ids, first_seen=stamps)
    for name in ("c.csv", "d.gpkg"):
        (tmp_path / name).unlink()
    result = _count_edited(tmp_path, edited, linked)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "c.csv"), expected)


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("track_id", None, "row 2 of its 'track_id' column is blank"),
        ("last_seen", None, "row 2 of its 'last_seen' column is blank"),
        ("maybe_same_as", "x", "row 2 of its 'maybe_same_as' column holds 'x', not a whole number"),
    ],
)
def test_a_blank_track_id_or_date_or_a_maybe_same_as_of_text_is_one_line(
    column: str, value: str | None, problem: str, tmp_path: Path
) -> None:
    """A track's id or last_seen cleared, or 'x' typed in maybe_same_as, while editing the
    tracks passed the check of edited cells and stopped `dredge counts` on "cannot convert NA
    to integer", "NaTType does not support strftime" (writing the GeoPackage), "invalid literal
    for int() with base 10: 'x'": a traceback that called itself a bug, exit 3."""
    linked, tracks = two_year_world()
    cells = tracks[column].astype(object)
    cells.iloc[1] = value
    result = _count_edited(tmp_path, tracks.assign(**{column: cells}), linked)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.startswith(f"error: {tmp_path / 'tracks.parquet'}: {problem} — run"), text
    assert "run `dredge track` again" in text and not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize("given", [True, False])
def test_observations_of_another_run_are_one_line(given: bool, tmp_path: Path) -> None:
    """`dredge track` writes every river-day with detections into the observations: ones of
    another run (`--observations`, or copied beside the tracks) that lack them were counted
    with, without a word: the other run's rivers gave zero rows, the tracks' river-years lost
    their scenes and seen_km (on the demo run with two rivers renamed, 10 river-years for 6,
    Itaya 2024 0 scenes for 11)."""
    linked, tracks = two_year_world()
    other = tmp_path / ("other.csv" if given else "tracks.observations.csv")
    other.write_text("river,date,scenes,source\nElsewhere,2024-03-01,1,scenes\n")
    result = _count_edited(tmp_path, tracks, linked) if not given else None
    if given:
        tracks.to_parquet(tmp_path / "tracks.parquet")
        linked.to_parquet(tmp_path / "tracks.detections.parquet")
        args = ["counts", str(tmp_path / "tracks.parquet"), "--out", str(tmp_path / "c.csv")]
        result = CliRunner().invoke(app, [*args, "--observations", str(other)])
    assert result is not None and result.exit_code == 2, result and result.output
    text = " ".join(result.output.split())
    assert text.startswith(
        f"error: {other}: does not match tracks.parquet: 10 of 10 river-days with detections "
        "are not in it (e.g. Meander 2024-03-01): of another run, or edited — "
    ), text
    fix = "leave --observations out" if given else "run `dredge track` again"
    assert fix in text and not (tmp_path / "c.csv").exists()
    from detector.counts import unobserved_detection_days

    one = unobserved_detection_days(pd.DataFrame({"river": [], "date": []}), linked.iloc[:1])
    assert one is not None and one.startswith("1 of 1 river-day with detections is not in it")


def test_detection_scores_held_as_text_are_read_as_numbers(tmp_path: Path) -> None:
    """A score column of the linked detections held as text ('0.83', the column retyped in
    QGIS) stopped `dredge counts --kml` on "Unknown format code 'g' for object of type 'str'",
    a traceback that called itself a bug (exit 3); a score that is no number is one line."""
    linked, tracks = two_year_world()
    kml = ["--kml", str(tmp_path / "d.kml")]
    args = ["counts", str(tmp_path / "tracks.parquet"), "--out", str(tmp_path / "c.csv"), *kml]
    tracks.to_parquet(tmp_path / "tracks.parquet")
    linked.assign(score=linked["score"].astype(str)).to_parquet(
        tmp_path / "tracks.detections.parquet"
    )
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "<value>0.9</value>" in (tmp_path / "d.kml").read_text()
    scores = linked["score"].astype(str).tolist()
    scores[2] = "alta"
    linked.assign(score=scores).to_parquet(tmp_path / "tracks.detections.parquet")
    result = CliRunner().invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "tracks.detections.parquet: row 3 of its 'score' column holds 'alta', not a number" in (
        text
    ), text


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "is empty"),
        (
            "river,date,scenes\nMeander,2024-03-01,1\nMeander,2024-02-30,1\n",
            "1 date cannot be read, e.g. '2024-02-30'",
        ),
    ],
)
def test_an_empty_observations_file_or_a_day_that_is_none_is_one_line(
    content: str, problem: str, tmp_path: Path
) -> None:
    """tracks.observations.csv emptied (a copy cut short), or a date edited into a day that is
    none (2024-02-30, in the form `dredge track` writes), stopped `dredge counts` on pandas'
    "No columns to parse from file" and "day is out of range for month": tracebacks called a
    bug, exit 3; the file went unnamed."""
    linked, tracks = two_year_world()
    seen = tmp_path / "tracks.observations.csv"
    seen.write_text(content, encoding="utf-8")
    result = _count_edited(tmp_path, tracks, linked)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.startswith(f"error: {seen}: {problem}"), text
    assert not (tmp_path / "c.csv").exists()


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


@pytest.mark.parametrize(("yes", "no"), [("True", "False"), ("yes", "no"), ("sí", "no")])
def test_a_counted_column_saved_as_text_is_read_as_true_or_false(
    yes: str, no: str, tmp_path: Path
) -> None:
    """tracks.parquet whose 'counted' was saved as text: every non-empty value was true and
    every track counted (the demo's Nanay 2024: 12 for 4)."""
    from detector.errors import InputError
    from detector.track_pipeline import run_counts, sidecars

    linked, tracks = two_year_world()
    out = tmp_path / "tracks.parquet"
    linked.to_parquet(sidecars(out)[0])
    tracks.to_parquet(out)
    run_counts(out, tmp_path / "as_written.csv")
    expected = pd.read_csv(tmp_path / "as_written.csv")
    tracks.loc[0, "counted"] = False  # so that 'False' must be read as false
    as_text = tracks.assign(counted=tracks["counted"].map({True: yes, False: no}))
    as_text.to_parquet(out)
    run_counts(out, tmp_path / "as_text.csv")
    tracks.to_parquet(out)
    run_counts(out, tmp_path / "as_bool.csv")
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "as_text.csv"), pd.read_csv(tmp_path / "as_bool.csv")
    )
    assert not pd.read_csv(tmp_path / "as_bool.csv").equals(expected)
    as_text.assign(counted="quizás").to_parquet(out)
    with pytest.raises(InputError, match="its 'counted' column holds 'quizás'"):
        run_counts(out, tmp_path / "bad.csv")


def test_two_tracks_merged_by_hand_count_as_one_dredge(tmp_path: Path) -> None:
    """One dredge split in two by the tracker (unseen for 100 days), merged by hand in the
    linked detections (the second track's detections given the first's track_id) and tracked
    again: `dredge track` linked them anew and both counted, without a word (on the demo's
    dredges.gpkg, tracks 14 and 15 merged so left Nanay 2025 at 10 dredges; now 9)."""
    from detector.track_pipeline import run_counts, run_track

    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    days = tf.dates(3) + [t + pd.Timedelta(days=100) for t in tf.dates(3)]
    dets = tf.detections([(t, tf.point_at(line, 500)) for t in days])
    dets.to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "tracks.parquet")
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["track_id"].tolist() == [1, 1, 1, 2, 2, 2]
    merged = linked.assign(track_id=1)
    merged.to_parquet(tmp_path / "merged.parquet")
    run = run_track(tmp_path / "merged.parquet", rivers, tmp_path / "once.parquet")
    assert any("1 track merged by hand" in note for note in run.notes), run.notes
    tracks = gpd.read_parquet(tmp_path / "once.parquet")
    assert tracks[["track_id", "n_dates", "n_detections"]].values.tolist() == [[1, 6, 6]]
    assert gpd.read_parquet(tmp_path / "once.detections.parquet")["track_id"].tolist() == [1] * 6
    run_counts(tmp_path / "once.parquet", tmp_path / "counts.csv")
    assert pd.read_csv(tmp_path / "counts.csv")["unique_dredges"].tolist() == [1]
    moved = linked.assign(track_id=[1, 1, 1, 1, 2, 2])  # one detection moved, not a merge
    moved.to_parquet(tmp_path / "moved.parquet")
    run = run_track(tmp_path / "moved.parquet", rivers, tmp_path / "twice.parquet")
    assert any(
        "1 track merged by hand (track_id edited) could not be kept as one, and is linked "
        "anew" in note
        for note in run.notes
    )
    assert len(gpd.read_parquet(tmp_path / "twice.parquet")) == 2


def test_tracks_merged_by_hand_round_a_bend_are_drawn_where_the_dredge_stayed_longest(
    tmp_path: Path,
) -> None:
    """Two tracks of one dredge, across a meander's loop, merged by hand: drawn at the spot of
    three of its five detections, as `dredge track` draws every track (it was the weighted
    mean of the two tracks' points, inside the loop: on land)."""
    from detector.track_pipeline import run_track

    line = tf.meander_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    stayed, then = tf.point_at(line, 2100, 10), tf.point_at(line, 2700, 10)
    later = [t + pd.Timedelta(days=200) for t in tf.dates(2)]
    dets = tf.detections([(t, stayed) for t in tf.dates(3)] + [(t, then) for t in later])
    dets.to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "tracks.parquet")
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["track_id"].nunique() == 2
    linked.assign(track_id=1).to_parquet(tmp_path / "merged.parquet")
    run = run_track(tmp_path / "merged.parquet", rivers, tmp_path / "once.parquet")
    assert any("1 track merged by hand" in note for note in run.notes), run.notes
    drawn = gpd.read_parquet(tmp_path / "once.parquet").to_crs(tf.CRS).geometry
    assert len(drawn) == 1
    assert drawn.iloc[0].distance(stayed) < 2.0 and line.distance(drawn.iloc[0]) < 15.0


def test_two_runs_tables_appended_into_one_file_are_not_hand_merges(tmp_path: Path) -> None:
    """Two runs' tracks.detections.parquet appended into one file (a year's run, then the next
    year's): each run numbers its tracks from 1, so each id started twice and was read as a
    merge by hand: three pairs of dredges 2.5 km and a year apart counted as 3 dredges for 6."""
    from detector.track_pipeline import run_track

    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    parts = []
    for name, shift, spots in (("a", 0, (500, 1500, 2500)), ("b", 365, (3000, 4000, 5000))):
        days = [t + pd.Timedelta(days=shift) for t in tf.dates(3)]
        folder = tmp_path / name
        folder.mkdir()
        points = [(t, tf.point_at(line, at)) for t in days for at in spots]
        tf.detections(points).to_parquet(folder / "detections.parquet")
        run_track(folder / "detections.parquet", rivers, folder / "tracks.parquet")
        parts.append(gpd.read_parquet(folder / "tracks.detections.parquet"))
    assert sorted(set(parts[0]["track_id"])) == sorted(set(parts[1]["track_id"])) == [1, 2, 3]
    pd.concat(parts, ignore_index=True).to_parquet(tmp_path / "both.parquet")
    run = run_track(tmp_path / "both.parquet", rivers, tmp_path / "tracks.parquet")
    assert not any("merged by hand (track_id edited" in note for note in run.notes), run.notes
    assert any("as in the tables of two runs appended" in note for note in run.notes)
    assert int(gpd.read_parquet(tmp_path / "tracks.parquet")["counted"].sum()) == 6


@pytest.mark.parametrize(
    ("second", "merged"),
    [
        ([1, 2], []),  # a second run of two tracks: 1 and 2 were merged across the runs
        ([2, 3, 4], []),  # a second run numbered from 2 (its first river had one track)
        ([3], [3]),  # one track given track 3's id by hand
        ([2, 5], [2, 5]),  # two merges into ids apart
    ],
)
def test_tracks_that_start_twice_are_merges_only_where_no_two_ids_follow(
    second: list[int], merged: list[int]
) -> None:
    """Two runs' tables appended number their tracks each in a row, so ids that follow each
    other start twice; the rule taking only the first three or more ids for an append merged
    a second run of two tracks, or one numbered from 2, into the first run's."""
    from detector.track_merges import hand_merges

    first = list(range(1, 7))
    frame = pd.DataFrame({"track_id": first + second, "link": ["new"] * (len(first) + len(second))})
    merges, notes = hand_merges(frame, "t.parquet")
    assert sorted(merges) == merged
    assert bool(notes) == (not merged)


def test_merges_by_hand_made_one_at_a_time_are_all_kept(tmp_path: Path) -> None:
    """Two dredges each split by the tracker, merged by hand one at a time (merge, track
    again, merge the next in the output): the kept merge still started twice, so the second
    merge beside it looked like two runs' tables appended, and both were lost (4 tracks for
    2). A kept merge's later start is linked `merged`."""
    from detector.track_pipeline import run_track

    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    days = tf.dates(3) + [t + pd.Timedelta(days=100) for t in tf.dates(3)]
    points = [(t, tf.point_at(line, at)) for t in days for at in (500, 3000)]
    tf.detections(points).to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "tracks.parquet")
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["track_id"].nunique() == 4
    for step, far in enumerate((True, False)):
        spot = (linked["chainage_m"] > 4000) == far
        edited = linked.copy()
        edited.loc[spot, "track_id"] = min(linked.loc[spot, "track_id"])
        edited.to_parquet(tmp_path / f"edit{step}.parquet")
        run = run_track(tmp_path / f"edit{step}.parquet", rivers, tmp_path / f"t{step}.parquet")
        assert not any("appended" in note for note in run.notes), run.notes
        linked = gpd.read_parquet(tmp_path / f"t{step}.detections.parquet")
    assert len(gpd.read_parquet(tmp_path / "t1.parquet")) == 2
    assert sorted(linked["link"].value_counts().items())[:2] == [("merged", 2), ("new", 2)]


def test_two_tracks_seen_once_merged_by_hand_are_counted_as_seen_twice(tmp_path: Path) -> None:
    """Two tracks seen on one date each, merged by hand: the one track, seen on two dates, was
    still left out, 'seen on one date, under the 2 needed' (its counted taken as either's)."""
    from detector.track_pipeline import run_track

    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    days = tf.dates(1) + [t + pd.Timedelta(days=100) for t in tf.dates(1)]
    tf.detections([(t, tf.point_at(line, 500)) for t in days]).to_parquet(tmp_path / "d.parquet")
    run_track(tmp_path / "d.parquet", rivers, tmp_path / "tracks.parquet")
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["track_id"].tolist() == [1, 2]
    assert not gpd.read_parquet(tmp_path / "tracks.parquet")["counted"].any()
    linked.assign(track_id=1).to_parquet(tmp_path / "merged.parquet")
    run_track(tmp_path / "merged.parquet", rivers, tmp_path / "once.parquet")
    tracks = gpd.read_parquet(tmp_path / "once.parquet")
    assert tracks[["n_dates", "counted", "uncounted_reason"]].values.tolist() == [[2, True, ""]]
    faint = linked.assign(track_id=1, score=0.1)  # under --count-score: left out, as is said
    faint.to_parquet(tmp_path / "faint.parquet")
    run_track(tmp_path / "faint.parquet", rivers, tmp_path / "faint_tracks.parquet")
    tracks = gpd.read_parquet(tmp_path / "faint_tracks.parquet")
    assert not tracks["counted"].iloc[0]
    assert tracks["uncounted_reason"].iloc[0].startswith("best detection score 0.10")


def test_a_merge_by_hand_is_counted_by_its_rules_not_by_the_wording_of_its_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tracks seen once each, merged by hand under --min-dates 3: the one track, seen on
    two dates, is still too short. Whether each track was left out for too few dates was read
    from the words of its uncounted_reason ("needed (`dredge track --min-dates`)"): reworded,
    the merge counted as a dredge seen on enough dates."""
    from detector import track_table
    from detector.track_pipeline import run_track

    worded = track_table.uncounted_reasons

    def reworded(*args: Any, **kwargs: Any) -> list[str]:
        return [
            reason.replace("needed", "required").replace("less than", "under")
            for reason in worded(*args, **kwargs)
        ]

    monkeypatch.setattr(track_table, "uncounted_reasons", reworded)
    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    days = tf.dates(1) + [t + pd.Timedelta(days=100) for t in tf.dates(1)]
    tf.detections([(t, tf.point_at(line, 500)) for t in days]).to_parquet(tmp_path / "d.parquet")
    run_track(tmp_path / "d.parquet", rivers, tmp_path / "tracks.parquet", min_dates=3)
    linked = gpd.read_parquet(tmp_path / "tracks.detections.parquet")
    assert linked["track_id"].tolist() == [1, 2]
    linked.assign(track_id=1).to_parquet(tmp_path / "merged.parquet")
    run = run_track(tmp_path / "merged.parquet", rivers, tmp_path / "once.parquet", min_dates=3)
    assert any("1 track merged by hand" in note for note in run.notes), run.notes
    tracks = gpd.read_parquet(tmp_path / "once.parquet")
    assert tracks["n_dates"].tolist() == [2]
    assert not tracks["counted"].iloc[0]
    assert "seen on 2 dates, under the 3" in tracks["uncounted_reason"].iloc[0]


@pytest.mark.parametrize("separator", [";", ","])
def test_observations_saved_again_by_excel_are_read(separator: str, tmp_path: Path) -> None:
    """tracks.observations.csv opened and saved in Excel holds the locale's dates: a Spanish
    Excel's ';' columns were a raw KeyError ('date'), a British Excel's 17/01/2024 dateutil's
    multi-line ValueError. Both are read as `dredge track` reads a table's dates."""
    from detector.counts import read_river_table
    from detector.track_pipeline import run_counts, run_track

    marked, rivers = write_inputs(tmp_path)
    out = tmp_path / "tracks.parquet"
    run_track(marked, rivers, out)
    run_counts(out, tmp_path / "counts.csv")
    seen = tmp_path / "tracks.observations.csv"
    table = read_river_table(seen)
    assert table["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    excel = table.assign(date=pd.to_datetime(table["date"]).dt.strftime("%d/%m/%Y"))
    excel.to_csv(seen, sep=separator, index=False, encoding="cp1252")
    lines = run_counts(out, tmp_path / "again.csv")
    assert "were read day first" in " ".join(lines)
    again = read_river_table(tmp_path / "again.csv")
    pd.testing.assert_frame_equal(again, read_river_table(tmp_path / "counts.csv"))


def test_lengths_seen_saved_by_a_spanish_excel_are_read(tmp_path: Path) -> None:
    """A Spanish Excel writes river_km and seen_km with decimal commas; with the blanks of the
    dates only detections vouch for, the columns were read as text and seen_km, seen_share
    were blank on every river-year (the demo's six) without a word."""
    from detector.counts import read_observations

    seen = tmp_path / "tracks.observations.csv"
    seen.write_text(
        "river;date;scenes;source;river_km;seen_km;seen_chainage_m\n"
        "Meander;01/03/2024;1;scenes;4,27;3,92;146..4068\n"
        "Meander;20/03/2024;0;detections;;;\n",
        encoding="utf-8-sig",
    )
    observations, _ = read_observations(seen)
    assert observations["river_km"].tolist()[0] == 4.27
    linked, tracks = two_year_world()
    counts = yearly_counts(tracks, linked, observations=observations)
    row = counts.set_index(["river", "year"]).loc[("Meander", 2024)]
    assert (row["seen_km"], row["seen_share"]) == (3.92, 0.919)


def test_blank_rows_excel_left_below_the_observations_are_passed_over(tmp_path: Path) -> None:
    """Excel writes ';;;;;;' rows where cells below a table were cleared: they were refused as
    '2 of 4 rows have no date'."""
    from detector.counts import read_observations

    seen = tmp_path / "tracks.observations.csv"
    seen.write_text(
        "river;date;scenes;source;river_km;seen_km;seen_chainage_m\r\n"
        "Meander;01/03/2024;1;scenes;4,27;3,92;146..4068\r\n"
        "Meander;20/03/2024;0;detections;;;\r\n;;;;;;\r\n;;;;;;\r\n",
        encoding="utf-8-sig",
    )
    observations, _ = read_observations(seen)
    assert observations["date"].tolist() == ["2024-03-01", "2024-03-20"]


@pytest.mark.parametrize("name", ["007", "NA", "None"])
def test_river_names_that_pandas_reads_as_numbers_or_missing_are_kept(
    name: str, tmp_path: Path
) -> None:
    """Reach codes ('007') were read back from tracks.observations.csv as 7: the river's
    counts split into rows '007' and '7'. 'NA' or 'None' were read as missing: a raw TypeError."""
    from detector.counts import read_river_table
    from detector.track_pipeline import run_counts, run_track

    marked, rivers = write_inputs(tmp_path)
    frame = gpd.read_file(rivers)
    frame["name"] = name
    frame.to_file(rivers)
    out = tmp_path / "tracks.parquet"
    run_track(marked, rivers, out)
    run_counts(out, tmp_path / "counts.csv")
    counts = read_river_table(tmp_path / "counts.csv")
    assert counts[["river", "year", "unique_dredges"]].values.tolist() == [[name, 2024, 1]]


def test_a_year_whose_scenes_showed_only_boats_is_a_zero_row_without_scenes(
    tmp_path: Path,
) -> None:
    """Without --scenes, the dates a river was looked at come from the detections: boats left
    out of tracking were not among them, so a year whose scenes showed boats and no dredge had
    no row at all (zero rows are for years with scenes and no dredge)."""
    from detector.track_pipeline import run_counts, run_track

    _, rivers = write_inputs(tmp_path)
    net = RiverNetwork.read(rivers)
    line = straight_line()
    days_2024 = tf.dates(3)
    days_2025 = [day + pd.Timedelta(days=365) for day in days_2024]
    dets = tf.detections([(t, tf.point_at(line, 1000)) for t in days_2024 + days_2025], net)
    dets["class_name"] = ["dredge"] * 3 + ["boat"] * 3
    path = tmp_path / "detections.parquet"
    dets.to_parquet(path)
    out = tmp_path / "tracks.parquet"
    run_track(path, rivers, out)
    run_counts(out, tmp_path / "counts.csv")
    counts = pd.read_csv(tmp_path / "counts.csv")
    rows = counts[["year", "unique_dredges", "scenes"]].values.tolist()
    assert rows == [[2024, 1, 3], [2025, 0, 3]]


def sliver_world(folder: Path) -> tuple[Path, Path, Path]:
    """The 6 km Meander: in 2024 three scenes of all of it, with a dredge; in 2025 two scenes
    400 m wide across its middle, with none. Returns the detections, rivers and scenes."""
    line = straight_line()
    scenes = folder / "scenes"
    scenes.mkdir()
    y24 = tf.dates(3)
    y25 = [t + pd.Timedelta(days=400) for t in tf.dates(2)]
    centre = (-73.40, -3.80)  # the line's middle
    for t in y24:
        write_strip_scene(scenes / f"{tf.scene_name(t)}.tif")
    for t in y25:
        write_scene(
            scenes / f"{tf.scene_name(t)}.tif",
            gsd_m=20.0,
            width=20,
            height=40,
            centre_lonlat=centre,
        )
    dets = folder / "dets.parquet"
    tf.detections([(t, tf.point_at(line, 2000)) for t in y24], tf.network(line)).to_parquet(dets)
    rivers = folder / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    return dets, rivers, scenes


def test_counts_say_how_much_of_the_river_the_scenes_saw(tmp_path: Path) -> None:
    """Two scenes of a year that each saw the same 360 m of a 6 km river were two full looks:
    counts.csv said "Meander 2025: 0 dredges, 2 scenes" without a word. Now each river-date has the
    length and stretches seen, each river-year ``seen_km`` and ``seen_share``, and a note names
    the river-years that saw under half of the river."""
    from detector.track_pipeline import run_counts

    dets, rivers, scenes = sliver_world(tmp_path)
    out = tmp_path / "tracks.parquet"
    run_track(dets, rivers, out, scenes=[scenes])
    seen = pd.read_csv(tmp_path / "tracks.observations.csv")
    assert seen["river_km"].tolist() == [6.0] * 5
    assert seen["seen_km"].iloc[:3].tolist() == [6.0] * 3
    assert seen["seen_chainage_m"].iloc[0] == "0..6000"
    assert seen["seen_km"].iloc[3:].tolist() == [0.36] * 2  # 400 m less 20 m at each edge
    assert seen["seen_chainage_m"].iloc[3:].tolist() == ["2820..3180"] * 2
    lines = run_counts(out, tmp_path / "counts.csv")
    counts = pd.read_csv(tmp_path / "counts.csv", encoding="utf-8-sig").set_index("year")
    assert counts.loc[2024, "seen_share"] == 1.0 and counts.loc[2024, "seen_km"] == 6.0
    assert counts.loc[2025, "unique_dredges"] == 0 and counts.loc[2025, "scenes"] == 2
    assert counts.loc[2025, "seen_share"] == 0.06 and counts.loc[2025, "seen_km"] == 0.36
    text = " ".join(lines)
    assert (
        "the scenes of 1 river-year saw under 50% of the river (Meander 2025 (0.36 km, 6%)" in text
    )
    assert "1 of them is a zero row: no dredge on the part seen, not none on the river" in text


def test_a_river_year_only_detections_vouch_for_has_no_length_seen(tmp_path: Path) -> None:
    """A river-year whose dates only detections vouch for (``source`` detections: no scene of
    it given, its lengths blank) saw an unknown length, not 0 km: it was ``seen_km`` 0 and
    ``seen_share`` 0, named as a river-year whose scenes saw 0 % of the river."""
    from detector.track_pipeline import run_counts

    dets, rivers, scenes = sliver_world(tmp_path)
    out = tmp_path / "tracks.parquet"
    run_track(dets, rivers, out, scenes=[scenes])
    observations = tmp_path / "tracks.observations.csv"
    seen = pd.read_csv(observations, dtype=str, keep_default_na=False)
    later = seen["date"].str.startswith("2025")
    seen.loc[later, ["river_km", "seen_km", "seen_chainage_m"]] = ""
    seen.loc[later, "source"] = "detections"
    seen.to_csv(observations, index=False)
    lines = run_counts(out, tmp_path / "counts.csv")
    counts = pd.read_csv(tmp_path / "counts.csv", encoding="utf-8-sig").set_index("year")
    assert counts.loc[2024, "seen_km"] == 6.0
    assert pd.isna(counts.loc[2025, "seen_km"]) and pd.isna(counts.loc[2025, "seen_share"])
    assert not any("saw under" in line for line in lines)


def test_counts_of_observations_without_the_lengths_seen_say_they_are_unknown(
    tmp_path: Path,
) -> None:
    """Observations written by an older `dredge track` (river, date, scenes, source) are
    counted as before, with blank seen_km and seen_share and a note; tracked without scenes,
    blank and no note."""
    from detector.track_pipeline import run_counts

    dets, rivers, scenes = sliver_world(tmp_path)
    out = tmp_path / "tracks.parquet"
    run_track(dets, rivers, out, scenes=[scenes])
    observations = tmp_path / "tracks.observations.csv"
    pd.read_csv(observations).iloc[:, :4].to_csv(observations, index=False)
    lines = run_counts(out, tmp_path / "counts.json")
    assert "NaN" not in (tmp_path / "counts.json").read_text()  # no JSON: null
    counts = pd.read_json(tmp_path / "counts.json")
    assert counts["scenes"].tolist() == [3, 2] and counts["seen_km"].isna().all()
    assert any("how much of each river its scenes saw is unknown" in line for line in lines)
    run_track(dets, rivers, tmp_path / "bare.parquet")
    lines = run_counts(tmp_path / "bare.parquet", tmp_path / "bare.csv")
    bare = pd.read_csv(tmp_path / "bare.csv", encoding="utf-8-sig")
    assert bare["seen_share"].isna().all() and not any("unknown" in line for line in lines)


def test_track_stopped_while_writing_leaves_no_mix_of_two_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge track --overwrite` wrote tracks.parquet, tracks.detections.parquet and
    tracks.observations.csv one after the other: stopped before the last, the new tracks lay
    beside the previous run's observations, and `dredge counts` took their scenes and zero rows
    without a word (here a 2025 of 0 dredges, where the first run counted 1 and the second has
    no 2025). Now the three are replaced together, or the tracks file is missing."""
    from detector.track_pipeline import run_counts
    from tests.geo_fixtures import write_udm2

    line = straight_line()
    net = tf.network(line)
    days_2024 = tf.dates(3)
    days_2025 = [day + pd.Timedelta(days=365) for day in days_2024]
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    for t in days_2024 + days_2025:
        write_udm2(write_strip_scene(scenes / f"{tf.scene_name(t)}.tif"))
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    both = tmp_path / "both.parquet"  # both years' detections, then 2024's alone
    spots = [(t, tf.point_at(line, 2000)) for t in days_2024]
    spots += [(t, tf.point_at(line, 4000)) for t in days_2025]
    tf.detections(spots, net).to_parquet(both)
    first = tmp_path / "2024.parquet"
    tf.detections(spots[:3], net).to_parquet(first)
    out = tmp_path / "tracks.parquet"
    run_track(both, rivers, out, scenes=[str(scenes)])
    run_counts(out, tmp_path / "before.csv")
    before = pd.read_csv(tmp_path / "before.csv")
    rows = before[["year", "unique_dredges", "scenes"]].values.tolist()
    assert rows == [[2024, 1, 3], [2025, 1, 3]]
    of_2024 = sorted(str(path) for path in scenes.glob("2024*.tif"))

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C, or a kill, while the observations were written

    with monkeypatch.context() as patch:
        patch.setattr(pd.DataFrame, "to_csv", stopped)
        with pytest.raises(KeyboardInterrupt):
            run_track(first, rivers, out, scenes=of_2024)
    run_counts(out, tmp_path / "after.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "after.csv"), before)
    run_track(first, rivers, out, scenes=of_2024)
    run_counts(out, tmp_path / "again.csv")
    again = pd.read_csv(tmp_path / "again.csv")
    assert again[["year", "unique_dredges", "scenes"]].values.tolist() == [[2024, 1, 3]]


def test_track_outputs_carry_no_metadata_of_the_reader(tmp_path: Path) -> None:
    """The reader's notes (pandas attrs, with the input's absolute path) were stored in
    tracks.detections.parquet's metadata (PANDAS_ATTRS): a table shared with a partner told
    where the analyst kept their files. The outputs hold the tables only."""
    import pyarrow.parquet as pq

    from detector.track_pipeline import run_track, sidecars

    line = straight_line()
    rivers = tmp_path / "rivers.geojson"
    gpd.GeoDataFrame({"name": ["Meander"]}, geometry=[line], crs=tf.CRS).to_file(rivers)
    points = [(t, tf.point_at(line, at)) for t in tf.dates(3) for at in (500, 1500)]
    table = tf.detections(points)
    table.attrs["note"] = f"read from {tmp_path / 'private' / 'marks.kml'}"
    table.to_parquet(tmp_path / "detections.parquet")
    run_track(tmp_path / "detections.parquet", rivers, tmp_path / "tracks.parquet")
    for path in (tmp_path / "tracks.parquet", *sidecars(tmp_path / "tracks.parquet")[:1]):
        metadata = pq.read_metadata(path).metadata
        assert b"PANDAS_ATTRS" not in metadata, (path.name, metadata[b"PANDAS_ATTRS"][:200])


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


def test_observations_csv_keeps_accents_in_excel(tmp_path: Path) -> None:
    """tracks.observations.csv was UTF-8 without a byte-order mark, which Excel reads in the
    system's code page: `Marañón` showed as `MaraÃ±Ã³n`, where counts.csv beside it (with
    the mark) showed `Marañón`. Read back by `dredge counts` as before."""
    import codecs

    from detector.counts import read_observations
    from detector.track_pipeline import run_counts, run_track

    marked, rivers = write_inputs(tmp_path)
    frame = gpd.read_file(rivers)
    frame["name"] = "Marañón"
    frame.to_file(rivers)
    out = tmp_path / "tracks.parquet"
    run_track(marked, rivers, out)
    raw = (tmp_path / "tracks.observations.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    observations, _ = read_observations(tmp_path / "tracks.observations.csv")
    assert set(observations["river"]) == {"Marañón"}
    run_counts(out, tmp_path / "counts.csv")
    assert "Marañón,2024,1" in (tmp_path / "counts.csv").read_text(encoding="utf-8-sig")


def test_observations_given_that_are_not_there_are_refused(tmp_path: Path) -> None:
    """`dredge counts --observations obs.csv` with a typo in the name (or a folder) counted the
    scenes of each year from the detection dates, with one line among the notes and exit code
    0: on the demo run, Itaya 2024 was 0 scenes ("not observed") for 11, and seen_km blank on
    every river-year. Not given, a missing default is counted so still (older tracks)."""
    from detector.track_pipeline import run_counts

    marked, rivers = write_inputs(tmp_path)
    out = tmp_path / "tracks.parquet"
    run_track(marked, rivers, out)
    for wrong in (tmp_path / "tracks.observatons.csv", tmp_path):
        with pytest.raises(InputError, match="observations") as caught:
            run_counts(out, tmp_path / "counts.csv", observations=wrong)
        assert str(wrong) in str(caught.value)
    assert not (tmp_path / "counts.csv").exists()
    args = ["counts", str(out), "--out", str(tmp_path / "c.csv")]
    typo = CliRunner().invoke(app, [*args, "--observations", str(tmp_path / "obs.csv")])
    assert typo.exit_code == 2 and "file not found" in typo.output, typo.output
    (tmp_path / "tracks.observations.csv").unlink()
    assert run_counts(out, tmp_path / "bare.csv")[-1].endswith("counted from detection dates")


def test_tracks_named_other_than_parquet_are_refused_before_tracking(tmp_path: Path) -> None:
    """`dredge track … --out tracks.gpkg` wrote GeoParquet under that name (QGIS cannot open
    it), and `dredge counts tracks.gpkg` then said it "is not a tracks file … run `dredge
    track` on them first"; without a suffix, the same. Now one line, before any work."""
    marked, rivers = write_inputs(tmp_path)
    for name in ("tracks.gpkg", "tracks.geojson", "tracks"):
        args = ["track", str(marked), "--rivers", str(rivers), "--out", str(tmp_path / name)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "end the name in .parquet" in " ".join(result.output.split()), result.output
        assert not (tmp_path / name).exists()
    assert not list(tmp_path.glob("tracks.*"))
    from detector.track_pipeline import run_counts

    run_track(marked, rivers, tmp_path / "tracks.pq")  # as Parquet's short suffix, which
    assert run_counts(tmp_path / "tracks.pq", tmp_path / "c.csv")  # counts refused as no tracks


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


def test_a_folder_given_for_a_file_says_it_is_a_folder_and_names_the_file_in_it(
    tmp_path: Path,
) -> None:
    """`dredge counts RUN` (a `dredge run` folder for its tracks.parquet), `--detections RUN`
    and `dredge track --dates FOLDER` said 'file not found' of a folder that is there."""
    linked, tracks = two_year_world()
    run = tmp_path / "run"
    run.mkdir()
    tracks.to_parquet(run / "tracks.parquet")
    linked.to_parquet(run / "tracks.detections.parquet")
    empty = tmp_path / "empty"
    empty.mkdir()
    out = ["--out", str(tmp_path / "c.csv")]
    track = ["track", str(run / "d.parquet"), "--rivers", str(run / "r.geojson")]
    track += ["--out", str(tmp_path / "t.parquet"), "--scenes", str(run), "--dates"]
    for args, line in [
        (["counts", str(run), *out], f"{run}: is a folder — give the file in it, "
         f"{run / 'tracks.parquet'}"),
        (["counts", str(run / "tracks.parquet"), *out, "--detections", str(run)],
         f"{run}: is a folder — give the file in it, {run / 'tracks.detections.parquet'}"),
        (["counts", str(empty), *out], f"{empty}: is a folder — give the tracks file written "
         "by `dredge track`"),
        ([*track, str(empty)], f"{empty}: is a folder — give a CSV with columns scene,date"),
    ]:  # fmt: skip
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == f"error: {line}", result.stderr
    assert not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize(
    ("option", "name"),
    [
        ("--out", "counts.csv"),
        ("--chart", "counts.png"),
        ("--gpkg", "dredges.gpkg"),
        ("--geojson", "dredges.geojson"),
        ("--kml", "dredges.kml"),
    ],
)
def test_a_file_option_typed_as_a_folder_is_one_line(
    option: str, name: str, tmp_path: Path
) -> None:
    """`dredge counts TRACKS --out results/` (a folder that is not there yet) wrote a CSV file
    named `results`, exit 0 (typer's Path drops the slash); `--chart charts/` a PNG named
    `charts`. A file option typed with a trailing slash (or `/.`) is one line naming it."""
    linked, tracks = two_year_world()
    tracks.to_parquet(tmp_path / "tracks.parquet")
    linked.to_parquet(tmp_path / "tracks.detections.parquet")
    folder = tmp_path / "results"
    args = ["counts", str(tmp_path / "tracks.parquet"), "--out", str(tmp_path / "c.csv")]
    for typed in (f"{folder}/", f"{folder}/."):
        result = CliRunner().invoke(app, [*args, option, typed])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"error: {option}: {typed!r} names a folder — give a file name ({folder / name})\n"
        )
        assert not folder.exists() and not (tmp_path / "c.csv").exists()


def test_detect_and_track_out_typed_as_a_folder_is_one_line(tmp_path: Path) -> None:
    """`dredge track --out tracks/` and `dredge detect --out found/` named a file `tracks` /
    `found` (typer's Path drops the slash); a folder option (`dredge tiles --out chips/`) keeps
    its slash's meaning."""
    missing = str(tmp_path / "missing.parquet")
    runs = {
        "tracks.parquet": ["track", missing, "--rivers", missing, "--out"],
        "detections.parquet": ["detect", missing, "--rivers", missing, "--no-progress", "--out"],
    }
    for name, command in runs.items():
        result = CliRunner().invoke(app, [*command, f"{tmp_path}/found/"])
        assert result.exit_code == 2, result.output
        assert f"names a folder — give a file name ({tmp_path / 'found' / name})" in result.stderr
    tiles = ["tiles", missing, "--rivers", missing, "--no-progress", "--out", f"{tmp_path}/c/"]
    result = CliRunner().invoke(app, tiles)
    assert "names a folder" not in result.output and "missing.parquet" in result.output
