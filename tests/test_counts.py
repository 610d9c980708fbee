"""Yearly counts of unique dredges and the notes on them, and the `dredge track` / `dredge counts`
commands: their notes, count rules and options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
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
from detector.track_pipeline import run_track
from tests import track_fixtures as tf
from tests.count_fixtures import two_year_world, write_inputs


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


def test_river_years_without_a_scene_are_named_as_not_observed() -> None:
    from detector.counts import unobserved_note

    counts = pd.DataFrame(
        {"river": ["Nanay", "Nanay", "Itaya"], "year": [2023, 2024, 2024], "scenes": [0, 12, 3]}
    )
    assert unobserved_note(counts) == (
        "no scene of 1 river-year (Nanay 2023): its zero means not observed, not no dredges"
    )
    assert unobserved_note(counts[counts["scenes"] > 0]) is None


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
