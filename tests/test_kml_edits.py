"""dredges.kml edited in Google Earth and given back to `dredge track`: dredges merged by
renaming placemarks, placemarks pasted from another run's dredges.kml, and dredges moved or
pasted after a merge by hand."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd

from detector.track_pipeline import run_counts, run_track
from tests.kml_edit_fixtures import (
    K,
    _detection_folder,
    _dredges_folder,
    _keyless,
    _kml_after_a_merge,
    _paste,
    _placemarks,
    _split_dredge,
    _track_edited,
    _two_runs,
)


def _move_out(root: ET.Element, dredge: int, detections: bool) -> None:
    """Dredge ``dredge``'s placemark moved out of the Dredges folder to a folder 'revisar' of
    its own, with all its detection placemarks (``detections``), or after deleting them all."""
    document = root.find(f"{K}Document")
    assert document is not None
    folder = ET.SubElement(document, f"{K}Folder")
    ET.SubElement(folder, f"{K}name").text = "revisar"
    dredges = _dredges_folder(root)
    (mark,) = [m for m in dredges if m.findtext(f"{K}name") == f"Dredge {dredge} (Meander)"]
    dredges.remove(mark)
    folder.append(mark)
    found = _detection_folder(root)
    for mark in _placemarks(found, f" dredge {dredge}"):
        found.remove(mark)
        if detections:
            folder.append(mark)


def _renumber(marks: list[ET.Element], old: int, new: int) -> None:
    """``marks`` of dredge ``old`` as dredge ``new`` was written: names and track_id."""
    for mark in marks:
        name = mark.find(f"{K}name")
        assert name is not None and name.text is not None
        name.text = name.text.replace(f" dredge {old}", f" dredge {new}")
        name.text = name.text.replace(f"e {old} (", f"e {new} (")
        for data in mark.iter(f"{K}Data"):
            if data.get("name") == "track_id":
                data[0].text = str(new)


def test_dredges_merged_by_renaming_their_placemarks_count_as_one(tmp_path: Path) -> None:
    """An analyst merges two dredges in Google Earth, which edits names only: the detection
    placemarks of dredge 2 renamed '… dredge 1'. The rename was ignored without a word (both
    tracks counted: 2 dredges for 1); it is read as the merge `track_id` edited in
    dredges.gpkg is."""
    rivers, kml = _split_dredge(tmp_path)
    root = ET.fromstring(kml.read_bytes())
    for name in _detection_folder(root).iter(f"{K}name"):
        assert name.text is not None
        name.text = name.text.replace(" dredge 2", " dredge 1")
    edited = tmp_path / "renamed.kml"
    run = _track_edited(root, edited, rivers)
    notes = " ".join(run.notes)
    assert "3 detection placemarks renamed in Google Earth to another dredge" in notes, notes
    assert "of dredge 2" in notes
    assert "1 track merged by hand" in notes
    again = gpd.read_parquet(tmp_path / "again.parquet")
    assert again[["track_id", "n_dates", "n_detections"]].values.tolist() == [[1, 6, 6]]
    run_counts(tmp_path / "again.parquet", tmp_path / "counts.csv")
    assert pd.read_csv(tmp_path / "counts.csv")["unique_dredges"].sum() == 1
    # the dredge's placemark renamed instead ('Dredge 2 (Meander)' → 'Dredge 1 (Meander)')
    root = ET.fromstring(kml.read_bytes())
    for name in root.iter(f"{K}name"):
        if name.text == "Dredge 2 (Meander)":
            name.text = "Dredge 1 (Meander)"
    run = _track_edited(root, edited, rivers)
    assert "1 track merged by hand" in " ".join(run.notes), run.notes
    assert len(gpd.read_parquet(tmp_path / "again.parquet")) == 1
    # as written, nothing is merged and nothing said
    run = run_track(kml, rivers, tmp_path / "as_written.parquet")
    assert "renamed in Google Earth" not in " ".join(run.notes)
    assert "merged by hand" not in " ".join(run.notes)
    assert len(gpd.read_parquet(tmp_path / "as_written.parquet")) == 2


def test_placemarks_pasted_from_another_runs_kml_are_no_hand_merge(tmp_path: Path) -> None:
    """Run B's detections of its dredge 1 (another dredge, 2.5 km away, seen the next year)
    pasted into run A's dredges.kml: they carry track_id 1 and a start linked 'new', so A's
    dredge 1 started twice and was read as a merge by hand: B's dredge joined A's ('kept as
    one dredge', 2 dredges for 3). Placemarks not of their dredge's dates are named in a
    note, and their track_id and link are not read."""
    rivers, kml, other = _two_runs(tmp_path)
    root = ET.fromstring(kml.read_bytes())
    pasted = _placemarks(_detection_folder(ET.fromstring(other.read_bytes())), " dredge 1")
    assert len(pasted) == 3
    _paste(root, pasted)
    edited = tmp_path / "pasted.kml"
    run = _track_edited(root, edited, rivers)
    notes = " ".join(run.notes)
    assert "merged by hand" not in notes, notes
    assert "3 detection placemarks of another run (run key" in notes, notes  # by their key
    again = gpd.read_parquet(tmp_path / "again.parquet")
    assert sorted(again["n_detections"]) == [3, 3, 3]
    run = _track_edited(_keyless(root), edited, rivers)  # before run keys: by their dates
    notes = " ".join(run.notes)
    assert "merged by hand" not in notes, notes
    assert "3 detection placemarks not seen on their dredge's dates" in notes, notes
    assert sorted(gpd.read_parquet(tmp_path / "again.parquet")["n_detections"]) == [3, 3, 3]


def test_placemarks_of_a_dredge_not_in_this_run_are_named_so(tmp_path: Path) -> None:
    """Run B's detections of a dredge numbered above every dredge of run A (B's dredge 27, A
    has 2) pasted into A's dredges.kml: they were left out as of a dredge "whose placemark was
    deleted (dredge 27)". A's own last dredge, its placemark deleted, is still said so."""
    rivers, kml, other = _two_runs(tmp_path)
    root = ET.fromstring(kml.read_bytes())
    pasted = _placemarks(_detection_folder(ET.fromstring(other.read_bytes())), " dredge 1")
    _renumber(pasted, 1, 27)  # as B's dredge 27 was written
    _paste(root, pasted)
    dredges = next(f for f in root.iter(f"{K}Folder") if f.findtext(f"{K}name") == "Dredges (2)")
    last = next(
        m
        for m in dredges.iter(f"{K}Placemark")
        if m.findtext(f"{K}name", "") == "Dredge 2 (Meander)"
    )
    dredges.remove(last)
    edited = tmp_path / "pasted.kml"
    run = _track_edited(root, edited, rivers)
    notes = " ".join(run.notes)
    assert "3 detections of dredge 27 left out: no such dredge is in this run" in notes, notes
    assert "numbered up to 2" in notes
    assert "whose placemark was deleted (dredge 2) left out" in notes, notes
    assert "(dredge 27)" not in notes
    assert gpd.read_parquet(tmp_path / "again.parquet")["n_detections"].tolist() == [3]


def test_a_placemark_renamed_to_a_dredge_not_in_the_file_is_no_merge(tmp_path: Path) -> None:
    """A rename to a dredge number the file has no dredge of (a typo, '… dredge 9' for
    '… dredge 1'): the detections renamed were left out as 'of a dredge whose placemark was
    deleted (dredge 9)', though none was, after a note that called them a merge (2 dredges
    for 2: 1); a dredge placemark so renamed ('Dredge 2 (Meander)' to 'Dredge 9 (Meander)')
    was called a merge too, of nothing. Both are read as their dredge, as exported, and a
    note names the rename that merges nothing."""
    rivers, kml = _split_dredge(tmp_path)
    root = ET.fromstring(kml.read_bytes())
    for name in _detection_folder(root).iter(f"{K}name"):
        assert name.text is not None
        name.text = name.text.replace(" dredge 2", " dredge 9")
    edited = tmp_path / "typo.kml"
    run = _track_edited(root, edited, rivers)
    notes = " ".join(run.notes)
    assert "deleted" not in notes and "merge by hand as in" not in notes, notes
    assert "3 placemarks renamed in Google Earth to a dredge not in this file" in notes, notes
    assert "of dredge 2 (no dredge 9)" in notes, notes
    again = gpd.read_parquet(tmp_path / "again.parquet")
    assert sorted(again["n_detections"]) == [3, 3]
    # the dredge's placemark renamed instead
    root = ET.fromstring(kml.read_bytes())
    for name in root.iter(f"{K}name"):
        if name.text == "Dredge 2 (Meander)":
            name.text = "Dredge 9 (Meander)"
    run = _track_edited(root, edited, rivers)
    notes = " ".join(run.notes)
    assert "merge by hand as in" not in notes, notes
    assert "1 placemark renamed in Google Earth to a dredge not in this file" in notes, notes
    assert "'Dredge 9 (Meander)' of dredge 2 (no dredge 9)" in notes
    assert sorted(gpd.read_parquet(tmp_path / "again.parquet")["n_detections"]) == [3, 3]


def test_a_dredge_pasted_with_its_detections_blames_no_placemark_of_this_run(
    tmp_path: Path,
) -> None:
    """Run B's dredge 1 pasted into run A's dredges.kml with its detections (its dredge
    placemark too, in one folder): the folder's detections were read as dredge placemarks
    and the last placemark of id 1 gave the dates, so A's own 3 detections of dredge 1 were
    named 'pasted from another run' with B's (6), which the note said to delete. Two dredge
    placemarks of one id with other dates are named instead, and the detections of that id
    are linked anew (3 dredges, none merged by hand)."""
    rivers, kml, other = _two_runs(tmp_path)
    root = ET.fromstring(kml.read_bytes())
    theirs = ET.fromstring(other.read_bytes())
    pasted = _placemarks(theirs, (" dredge 1", "Dredge 1 (Meander)"))
    assert len(pasted) == 4
    _paste(root, pasted)
    edited = tmp_path / "pasted.kml"
    run = _track_edited(root, edited, rivers)
    notes = " ".join(run.notes)
    assert "merged by hand" not in notes, notes
    assert "not seen on their dredge's dates" not in notes, notes  # A's own were named so
    assert "2 dredge placemarks of dredge 1 with other dates" in notes, notes
    again = gpd.read_parquet(tmp_path / "again.parquet")
    assert sorted(again["n_detections"]) == [3, 3, 3]


def test_a_dredge_not_in_this_run_pasted_with_its_detections_is_named(tmp_path: Path) -> None:
    """Run B's dredge 27 (A has 2) pasted into A's dredges.kml with its dredge placemark, in a
    folder of its own: it was tracked as one of A's dredges without a word (3 dredges, B's
    among them), where its detections pasted alone are left out as of no dredge in this run,
    and a pasted dredge of a number A has is named. It is named too: its detections are
    linked anew."""
    rivers, kml, other = _two_runs(tmp_path)
    root = ET.fromstring(kml.read_bytes())
    pasted = _placemarks(ET.fromstring(other.read_bytes()), (" dredge 1", "Dredge 1 (Meander)"))
    _renumber(pasted, 1, 27)  # as B's dredge 27 was written
    _paste(root, pasted)
    edited = tmp_path / "pasted.kml"
    for keyed in (False, True):  # written before dredges.kml had run keys: by its number
        copy = ET.fromstring(ET.tostring(root))
        run = _track_edited(copy if keyed else _keyless(copy), edited, rivers)
        notes = " ".join(run.notes)
        assert "merged by hand" not in notes, notes
        named = "of another run (run key" if keyed else "outside the Dredges folder"
        assert f"1 dredge placemark of dredge 27 {named}" in notes, notes
        assert keyed or "numbered up to 2" in notes, notes
        assert "The track_id and link of its detections are not read" in notes, notes
        assert "with other dates" not in notes, notes
        again = gpd.read_parquet(tmp_path / "again.parquet")
        assert sorted(again["n_detections"]) == [3, 3, 3]


def test_the_last_dredge_after_a_hand_merge_is_of_this_run(tmp_path: Path) -> None:
    """After a hand merge the run's dredges are 1 and 3 ('Dredges (2)'). Dredge 3's placemark
    moved out of the Dredges folder (a folder 'revisar' of its own) was named 'of no dredge in
    this run (its dredges are numbered up to 2) — pasted from another run's dredges.kml?',
    with the advice to delete it; its placemark deleted (a false dredge), its detections were
    left out as 'no such dredge is in this run'. The track ids of the run's own Detections
    folder are of this run: moved, it is one of its dredges without a word; deleted, its
    placemark was."""
    rivers, kml = _kml_after_a_merge(tmp_path)
    root = ET.fromstring(kml.read_bytes())
    dredges = next(f for f in root.iter(f"{K}Folder") if f.findtext(f"{K}name") == "Dredges (2)")
    last = next(
        m
        for m in dredges.iter(f"{K}Placemark")
        if m.findtext(f"{K}name", "") == "Dredge 3 (Meander)"
    )
    dredges.remove(last)
    deleted = tmp_path / "deleted.kml"
    ET.ElementTree(root).write(deleted, encoding="utf-8", xml_declaration=True)
    folder = ET.SubElement(root.find(f"{K}Document"), f"{K}Folder")  # type: ignore[arg-type]
    ET.SubElement(folder, f"{K}name").text = "revisar"
    folder.append(last)
    moved = tmp_path / "moved.kml"
    ET.ElementTree(root).write(moved, encoding="utf-8", xml_declaration=True)
    run = run_track(moved, rivers, tmp_path / "moved.parquet")
    notes = " ".join(run.notes)
    assert "of no dredge in this run" not in notes, notes
    assert "with other dates" not in notes, notes
    again = gpd.read_parquet(tmp_path / "moved.parquet")
    assert again[["track_id", "n_detections"]].values.tolist() == [[1, 6], [3, 3]]
    run = run_track(deleted, rivers, tmp_path / "deleted.parquet")
    notes = " ".join(run.notes)
    assert "whose placemark was deleted (dredge 3) left out" in notes, notes
    assert "no such dredge is in this run" not in notes, notes
    assert gpd.read_parquet(tmp_path / "deleted.parquet")["n_detections"].tolist() == [6]


def test_a_dredge_moved_out_of_its_folder_with_its_detections_or_after_them_is_this_runs(
    tmp_path: Path,
) -> None:
    """An analyst moves a dredge's placemark out of the Dredges folder (to a folder 'revisar'
    of its own) with all its detections, or after deleting them all: it was named 'of no
    dredge in this run (its dredges are numbered up to 2; it has no dredge 2) — pasted from
    another run's dredges.kml?', with the advice to delete it, and its detections were linked
    anew, their track_id and link not read; after a hand merge (dredges 1 and 3), dredge 3 so
    too. 'Dredges (2)' holding one dredge lacks one of the run's: the dredge outside it,
    numbered as the run's are (up to its count and its hand merges), is that one, without a
    word. Numbered above them (another run's dredge 27 pasted with its detections beside a
    false dredge deleted whole), it is still named."""
    from detector.track_files import read_detections

    rivers, kml, other = _two_runs(tmp_path)
    notes = read_detections(kml).attrs["notes"]  # as written: no note but the placemarks'
    assert len(notes) == 1 and "its 2 dredge placemarks (time spans) left out" in notes[0]
    for detections, tracks in ((True, [[1, 3], [2, 3]]), (False, [[1, 3]])):
        root = ET.fromstring(kml.read_bytes())
        _move_out(root, 2, detections)
        edited = tmp_path / f"moved_{detections}.kml"
        ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
        again = read_detections(edited)
        notes = " ".join(again.attrs["notes"])
        assert "of no dredge in this run" not in notes and "pasted" not in notes, notes
        assert again["track_id"].tolist() == ["1"] * 3 + ["2"] * 3 * detections  # read
        run_track(edited, rivers, tmp_path / "again.parquet")
        again = gpd.read_parquet(tmp_path / "again.parquet")
        assert again[["track_id", "n_detections"]].values.tolist() == tracks
    (tmp_path / "merged").mkdir()
    rivers_m, merged = _kml_after_a_merge(tmp_path / "merged")
    root = ET.fromstring(merged.read_bytes())
    _move_out(root, 3, detections=True)
    edited = tmp_path / "moved_after_a_merge.kml"
    run = _track_edited(root, edited, rivers_m)
    assert "pasted" not in " ".join(run.notes), run.notes
    again = gpd.read_parquet(tmp_path / "again.parquet")
    assert again[["track_id", "n_detections"]].values.tolist() == [[1, 6], [3, 3]]
    # dredge 2 deleted whole (a false dredge), and run B's dredge 27 pasted with its detections
    root = ET.fromstring(kml.read_bytes())
    dredges, found = _dredges_folder(root), _detection_folder(root)
    dredges.remove(_placemarks(dredges, "Dredge 2 (Meander)")[0])
    for mark in _placemarks(found, " dredge 2"):
        found.remove(mark)
    pasted = _placemarks(ET.fromstring(other.read_bytes()), (" dredge 1", "Dredge 1 (Meander)"))
    _renumber(pasted, 1, 27)
    _paste(root, pasted)
    edited = tmp_path / "pasted.kml"
    run = _track_edited(_keyless(root), edited, rivers)  # before run keys: by its number
    assert "1 dredge placemark of dredge 27 outside the Dredges folder" in " ".join(run.notes)
    assert sorted(gpd.read_parquet(tmp_path / "again.parquet")["n_detections"]) == [3, 3]


def test_a_dredge_pasted_into_a_gap_of_this_runs_numbers_is_named(tmp_path: Path) -> None:
    """After a hand merge the run's dredges are 1 and 3. Run B's dredge 2 pasted in with its
    detections (its dredge placemark too, in a folder of its own): 2 is below the highest
    number, so it was tracked as one of this run's dredges without a word, its track_id and
    link read. A dredge placemark outside the Dredges folder whose id is neither there nor
    among the track ids of the run's own Detections folder is named, and its detections are
    linked anew."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rivers, kml = _kml_after_a_merge(tmp_path / "a")
    _, other = _split_dredge(tmp_path / "b", along_m=4500.0, start_days=400)
    root = ET.fromstring(kml.read_bytes())
    pasted = _placemarks(ET.fromstring(other.read_bytes()), (" dredge 2", "Dredge 2 (Meander)"))
    assert len(pasted) == 4
    _paste(root, pasted)
    edited = tmp_path / "pasted.kml"
    run = _track_edited(_keyless(root), edited, rivers)  # before run keys: by its number
    notes = " ".join(run.notes)
    assert "1 dredge placemark of dredge 2 outside the Dredges folder" in notes, notes
    assert "(its dredges are numbered up to 3; it has no dredge 2)" in notes, notes
    assert "with other dates" not in notes, notes
    again = gpd.read_parquet(tmp_path / "again.parquet")
    assert sorted(again["n_detections"]) == [3, 3, 6]
    assert 2 not in again["track_id"].tolist()  # B's track_id not read: linked anew


def test_notes_on_one_edited_placemark_read_in_the_singular() -> None:
    """The notes on Google Earth's edits said '1 detection placemark(s) not seen on their
    dredge's dates … Their track_id … delete them', '1 placemark(s) renamed … rename them',
    '1 detection(s) of 1 dredge(s) whose placemark was deleted'; one of each now reads
    singular, its pronouns with it."""
    from detector import export_edits as edits

    source = Path("dredges.kml")
    day = pd.Timestamp("2024-03-05", tz="UTC")
    frame = gpd.GeoDataFrame(
        {"track_id": [1, 1, 1], "acquired": [day, day, day + pd.Timedelta(days=30)]},
        geometry=gpd.points_from_xy([0, 0, 0], [0, 0, 0]),
        crs=4326,
    )
    names = pd.Series(["2024-03-05 dredge 9", "2024-03-05 dredge 2", "2024-04-04 dredge 1"])
    _, notes = edits._not_of_their_dredge(frame, names, {"1": {"2024-03-05"}}, source)
    assert notes == [
        "dredges.kml: 1 detection placemark not seen on its dredge's dates ('2024-04-04 dredge "
        "1': dredge 1 was not seen on 2024-04-04) — pasted from another run's dredges.kml, or "
        "copied? Its track_id and link are not read (not a merge by hand): it is linked anew "
        "as a detection; delete it if it is another run's (to track two runs' detections "
        "together, give both runs' detections files)"
    ]
    dredges = {"1": "Dredge 1 (Meander)", "2": "Dredge 2 (Meander)"}
    tracks = pd.Series(["9", "2", "1"])
    _, notes, _ = edits._renamed_to_another_dredge(frame, names, tracks, dredges, source)
    assert notes[0].startswith(
        "dredges.kml: 1 placemark renamed in Google Earth to a dredge not in this file "
        "('2024-03-05 dredge 9' of dredge 1 (no dredge 9)): no merge — read as of its dredge "
        "as exported; to merge, rename it to the number of a dredge placemark of the file"
    )
    assert notes[1].startswith(
        "dredges.kml: 1 detection placemark renamed in Google Earth to another dredge"
    )
    _, notes = edits._of_no_dredge_left(frame, pd.Series(["2", "5", "1"]), {"1": ""}, source, 2)
    assert notes[0].startswith(
        "dredges.kml: 1 detection of 1 dredge whose placemark was deleted (dredge 2) left out"
    )
    assert notes[1].startswith("dredges.kml: 1 detection of dredge 5 left out: no such dredge")
