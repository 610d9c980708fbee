"""tracks.observations.csv, the river-days the scenes (or detections) saw: the lengths of river
seen, zero rows, and the file saved again by Excel, of another run, edited or missing."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.counts import (
    yearly_counts,
)
from detector.errors import InputError
from detector.rivers import RiverNetwork
from detector.track_pipeline import run_track
from tests import track_fixtures as tf
from tests.count_fixtures import _count_edited, two_year_world, write_inputs, write_strip_scene
from tests.geo_fixtures import write_scene
from tests.track_fixtures import straight_line


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
