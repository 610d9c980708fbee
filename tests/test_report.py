"""The report's summary paragraph."""

from __future__ import annotations

import pandas as pd

from detector.report import _summary


def test_the_summary_says_how_many_fixed_objects_were_left_out() -> None:
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024]})
    tracks = pd.DataFrame({"counted": [True, False, False], "static": [False, True, False]})
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts)
    assert "<b>1</b> dredges counted" in text
    assert "1 spot(s) detected for months without moving were left out" in text
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks.assign(static=False), counts)
    assert "without moving" not in text
