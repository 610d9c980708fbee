"""The counts in the tool's messages: a noun in the number of its count, a verb agreeing."""

from __future__ import annotations

from detector.wording import agree, count_of, part_of


def test_part_of_a_whole_of_one_is_singular() -> None:
    """'1 of 1 scenes already done', '1 of 1 river-years within 10% of the truth'."""
    assert part_of(1, 1, "scene") == "1 of 1 scene"
    assert part_of(0, 1, "river-year") == "0 of 1 river-year"
    assert part_of(1, 3, "scene") + " " + agree(1, "has", "have") == "1 of 3 scenes has"
    assert part_of(1_200, 1_500, "box", "boxes") == "1,200 of 1,500 boxes"
    assert count_of(1, "date") == "1 date"
