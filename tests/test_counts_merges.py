"""Tracks merged by hand (the linked detections' track_id edited) and tracked again: counted as
one dredge, drawn where it stayed, told from two runs' tables appended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from tests import track_fixtures as tf
from tests.track_fixtures import straight_line


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
