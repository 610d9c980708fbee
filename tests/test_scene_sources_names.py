"""SCENES for ``dredge run``: the names scenes are labelled by where file names are alike, and the
--dates rows that name them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from detector.acquisition import scene_labels
from detector.date_tables import date_for_scene
from detector.errors import DredgeError, InputError
from detector.scene_sources import resolve_scenes


def test_dates_rows_that_name_no_scene_are_named() -> None:
    """A typo in a --dates table: its row was ignored without a word. The note is worded in
    the number of its rows ('1 of 2 row(s) name no scene given' of one row)."""
    a, b = "https://example.org/x/a.tif", "https://example.org/x/b.tif"
    sources = resolve_scenes([a, b])
    table = {"a": datetime(2024, 5, 5, tzinfo=UTC), "bb": datetime(2024, 5, 6, tzinfo=UTC)}
    assert sources.dates_with(table) == {a: datetime(2024, 5, 5, tzinfo=UTC)}
    assert sources.notes == [
        "--dates: 1 of 2 rows names no scene given (e.g. 'bb') and is not used — check the "
        "names against the scenes"
    ]
    sources = resolve_scenes([a, b])
    sources.dates_with(table | {"cc": datetime(2024, 5, 7, tzinfo=UTC)})
    assert sources.notes == [
        "--dates: 2 of 3 rows name no scene given (e.g. 'bb') and are not used — check the "
        "names against the scenes"
    ]


def test_products_of_one_planet_capture_are_named_once() -> None:
    """An order with the SR and Visual products of a capture: both were detected silently."""
    sr = "/o/20240317_145141_26_2455_3B_AnalyticMS_SR.tif"
    visual = "/o/20240317_145141_26_2455_3B_Visual.tif"
    classic = "/o/20180915_150036_0f4d_3B_AnalyticMS.tif"  # a Dove Classic id, once
    other = "/o/20240317_145142_27_2455_3B_AnalyticMS_SR.tif"  # the next scene of the strip
    note = resolve_scenes([sr, visual, classic, other]).notes[0]
    assert note.startswith("1 scene file is another product or copy of a Planet capture")
    assert "(e.g. 20240317_145141_26_2455_3B_Visual.tif and 20240317_145141_26_2455_3B_" in note
    assert resolve_scenes([sr, classic, other]).notes == []


def test_scenes_that_share_a_file_name_are_labelled_by_their_folders() -> None:
    """NICFI quads keep one file name month after month; STAC assets are often all called
    analytic.tif. Each scene's name must tell it apart (it names its detections and files)."""
    folder = "/n/planet_medres_normalized_analytic_2024-0{}_mosaic"
    quads = [f"{folder.format(m)}/L15-0745E-1031N.tif" for m in (1, 2)]
    planet = "/p/20240105_145000_00_2400_3B_AnalyticMS_SR.tif"
    assert scene_labels([*quads, planet]) == {
        quads[0]: "planet_medres_normalized_analytic_2024-01_mosaic_L15-0745E-1031N.tif",
        quads[1]: "planet_medres_normalized_analytic_2024-02_mosaic_L15-0745E-1031N.tif",
        planet: "20240105_145000_00_2400_3B_AnalyticMS_SR.tif",
    }
    items = ["https://x.org/items/a/analytic.tif?sig=1", "https://x.org/items/b/analytic.tif"]
    assert list(scene_labels(items).values()) == ["a_analytic.tif", "b_analytic.tif"]
    # a resumed run keeps the names it gave; a newcomer with a taken name is named apart
    taken = {"/old/q.tif": "q.tif"}
    assert scene_labels(["/old/q.tif", "/new/q.tif"], taken=taken) == {
        "/old/q.tif": "q.tif",
        "/new/q.tif": "new_q.tif",
    }
    assert date_for_scene({"new_q": datetime(2024, 1, 1)}, "/new/q.tif", "new_q.tif") == datetime(
        2024, 1, 1
    )


def test_scenes_told_apart_by_a_number_are_so_named_whatever_their_order() -> None:
    """`/b/b/x.tif`, `/b/b_x.tif` and `/b_b/x.tif` are all `b_b_x.tif` by their folders, and
    were numbered in the order listed: `0_b_b_x.tif` was one scene in one run and another in
    the next (6 orders, 6 namings; 134 of 3,000 random sets of such paths named otherwise
    when shuffled), their detections and dates going with the number; and a number could give
    a label a file had already (`1_s_ñ.tif` twice: one scene to the tracker)."""
    import unicodedata
    from itertools import permutations

    paths = ["/b/b/x.tif", "/b/b_x.tif", "/b_b/x.tif"]
    first = scene_labels(paths)
    assert len(set(first.values())) == 3
    for order in permutations(paths):
        assert scene_labels(list(order)) == first, order
    # a number given where a file has that name already: two scenes of one label (composed)
    named = ["/a/1_s_ñ.tif", "/s/" + unicodedata.normalize("NFD", "ñ.tif"), "/s/ñ.tif"]
    labels = scene_labels(named).values()
    assert len({unicodedata.normalize("NFC", label) for label in labels}) == 3, labels


def test_scenes_whose_names_differ_only_in_case_are_named_apart_in_any_case() -> None:
    """`a/Nanay.tif` and `b/nanay.tif` were named `Nanay.tif` and `nanay.tif`: their chips
    (`chips/Nanay/Nanay_r000_c000.png`, `chips/nanay/…`) and review tiles were one file on a
    disk that ignores case (macOS, Windows). They are named by their folders now, or numbered
    where one folder holds both; the names are checked here case-folded."""
    from detector.scene_names import check_stems_apart

    apart = ["/s/a/Nanay.tif", "/s/b/nanay.tif"]
    assert scene_labels(apart) == {apart[0]: "a_Nanay.tif", apart[1]: "b_nanay.tif"}
    one_folder = ["/s/a/Nanay.tif", "/s/a/nanay.tif", "/s/a/Itaya.tif"]
    labels = list(scene_labels(one_folder).values())
    assert len({label.casefold() for label in labels}) == 3, labels
    assert labels[2] == "Itaya.tif"  # a name no other shares in any case keeps its name
    taken = {"/old/Nanay.tif": "Nanay.tif"}  # a resumed run: the newcomer is named apart
    resumed = scene_labels(["/old/Nanay.tif", "/new/nanay.tif"], taken=taken)
    assert resumed == {"/old/Nanay.tif": "Nanay.tif", "/new/nanay.tif": "new_nanay.tif"}
    with pytest.raises(DredgeError, match="two scenes named alike but for their suffix"):
        check_stems_apart(["/s/a/Nanay.tif", "/s/a/nanay.TIF"])  # both chips: nanay_r…


def test_scenes_of_two_folders_named_alike_but_for_case_and_suffix_are_named_apart() -> None:
    """`x/Nanay.tif` and `y/nanay.TIF` were refused as one scene ('rename one'), though their
    folders tell them apart: the suffix kept its case in the labels' key, so they kept their
    names, whose stems folded alike. A run of them made before case was folded (named
    `Nanay.tif` and `nanay.TIF` then) could not be resumed; it keeps its names."""
    from detector.scene_names import check_stems_apart

    for apart in (["/s/x/Nanay.tif", "/s/y/nanay.TIF"], ["/s/x/nanay.tif", "/s/y/nanay.tiff"]):
        check_stems_apart(apart)
        labels = scene_labels(apart)
        assert list(labels.values()) == [f"x_{Path(apart[0]).name}", f"y_{Path(apart[1]).name}"]
    earlier = {"/s/x/Nanay.tif": "Nanay.tif", "/s/y/nanay.TIF": "nanay.TIF"}
    check_stems_apart(list(earlier))
    assert scene_labels(list(earlier), taken=earlier) == earlier
    check_stems_apart(["/s/a/Nanay.tif", "/s/A/nanay.TIF"])  # two folders on Linux: numbered


def test_a_dates_row_naming_scenes_that_share_a_file_name_is_refused() -> None:
    quads = [f"/n/mosaic_2024-0{m}/L15.tif" for m in (1, 2)]
    sources = resolve_scenes(quads)
    with pytest.raises(InputError, match=r"'L15.tif' names 2 of the scenes .* mosaic_2024-01_"):
        sources.dates_with({"L15.tif": datetime(2024, 5, 1)})
    by_label = sources.dates_with({"mosaic_2024-02_L15": datetime(2024, 2, 9)})
    assert by_label == {quads[1]: datetime(2024, 2, 9)}
    assert sources.dates_with({quads[0]: datetime(2024, 1, 9)}) == {quads[0]: datetime(2024, 1, 9)}
