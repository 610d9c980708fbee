"""The report's summary paragraph."""

from __future__ import annotations

import pandas as pd

from detector.report import _summary


def test_the_summary_says_how_many_fixed_objects_were_left_out() -> None:
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "scenes": [50], "unique_high": [1]})
    seen = pd.DataFrame({"river": ["Nanay", "Nanay"], "date": ["2024-03-01", "2024-03-06"]})
    tracks = pd.DataFrame({"counted": [True, False, False], "static": [False, True, False]})
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, seen)
    assert "<b>1</b> dredges counted" in text
    assert "1 spot(s) detected for months without moving were left out" in text
    text = _summary(
        {"scenes": ["a.tif"]}, pd.DataFrame(), tracks.assign(static=False), counts, seen
    )
    assert "without moving" not in text


def test_the_summary_says_when_counts_come_from_scenes_far_apart() -> None:
    counts = pd.DataFrame(
        {"river": ["Nanay", "Nanay"], "year": [2024, 2025], "scenes": [2, 3], "unique_high": [3, 4]}
    )
    seen = pd.DataFrame(
        {
            "river": ["Nanay"] * 5,
            "date": ["2024-03-01", "2024-04-30", "2025-02-01", "2025-02-06", "2025-02-11"],
        }
    )
    tracks = pd.DataFrame({"counted": [True], "static": [False]})
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, seen)
    assert "<b>1 of 2</b> river-years with dredge detections had scenes more than 10 days" in text
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, seen.iloc[2:])
    assert "days apart" not in text


def test_the_summary_says_how_many_detections_were_a_dredge_seen_twice_in_a_pass() -> None:
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "scenes": [5], "unique_high": [1]})
    tracks = pd.DataFrame({"counted": [True], "static": [False]})
    detections = pd.DataFrame({"link": ["new", "stay", "duplicate"]})
    text = _summary({"scenes": ["a.tif"]}, detections, tracks, counts, pd.DataFrame())
    assert "<b>3</b> detections (1 of them a dredge seen again in a scene of the same pass)" in text
    text = _summary({"scenes": ["a.tif"]}, detections.iloc[:2], tracks, counts, pd.DataFrame())
    assert "same pass" not in text


def test_the_summary_names_years_imaged_over_part_of_the_year() -> None:
    counts = pd.DataFrame(
        {"river": ["Nanay", "Nanay"], "year": [2024, 2025], "scenes": [2, 3], "unique_high": [3, 4]}
    )
    seen = pd.DataFrame(
        {
            "river": ["Nanay"] * 5,
            "date": ["2024-01-10", "2024-12-20", "2025-02-01", "2025-03-06", "2025-04-11"],
        }
    )
    tracks = pd.DataFrame({"counted": [True], "static": [False]})
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, seen)
    assert "<b>1</b> river-year(s) had scenes over less than 9 months (Nanay 2025)" in text
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, seen.iloc[:2])
    assert "less than 9 months" not in text
