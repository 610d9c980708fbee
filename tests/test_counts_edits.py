"""`dredge counts` on tracks and linked detections edited after `dredge track` (QGIS, a table):
refused in one line where they disagree or a cell is out of shape, read where text stands for
numbers, ids or true/false."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.counts import (
    yearly_counts,
)
from detector.errors import InputError
from detector.tracking import link_tracks
from tests import track_fixtures as tf
from tests.count_fixtures import _count_edited, two_year_world


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
