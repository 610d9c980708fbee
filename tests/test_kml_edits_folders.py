"""dredges.kml with another run's folders or dredges pasted in Google Earth, given back to
`dredge track`: which Detections and Dredges folders are this run's (by their dates, by the
run key), and another run's dredge or detection told by its run key."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd

from detector.exports import write_kml
from detector.track_pipeline import run_track
from tests import track_fixtures as tf
from tests.kml_edit_fixtures import (
    K,
    _detection_folder,
    _dredges_folder,
    _keyless,
    _kml_after_a_merge,
    _paste,
    _placemarks,
    _split_dredge,
    _three_tracks,
    _track_edited,
    _two_runs,
)
from tests.track_fixtures import straight_line


def test_another_runs_detections_folder_pasted_above_this_runs_is_not_taken_for_it(
    tmp_path: Path,
) -> None:
    """Run B's whole Detections folder (dredges 1 and 3 after a hand merge) pasted above run
    A's own (dredges 1 and 2) in Google Earth: the first Detections folder was taken as the
    run's, so B's highest track id, 3, was this run's, and B's 3 detections of dredge 3 were
    left out as of a dredge 'whose placemark was deleted (dredge 3)'. The run's folder is the
    one whose detections are on the dates of its dredge placemarks, named in a note."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rivers, kml = _split_dredge(tmp_path / "a")
    _, other = _kml_after_a_merge(tmp_path / "b", start_days=400)
    root = ET.fromstring(kml.read_bytes())
    document = root.find(f"{K}Document")
    assert document is not None
    theirs = _detection_folder(ET.fromstring(other.read_bytes()))
    document.insert(list(document).index(_detection_folder(root)), theirs)
    edited = tmp_path / "pasted.kml"
    run = _track_edited(root, edited, rivers)
    notes = " ".join(run.notes)
    assert "whose placemark was deleted" not in notes, notes
    assert "3 detections of dredge 3 left out: no such dredge is in this run" in notes, notes
    assert "'Detections (6)' read as this run's" in notes, notes
    assert "'Detections (9)'" in notes, notes


def test_another_runs_dredges_folder_pasted_whole_is_not_this_runs(tmp_path: Path) -> None:
    """Run B's whole Dredges folder ('Dredges (3)') pasted into run A's dredges.kml below A's
    ('Dredges (2)'), with B's detections of its dredge 3, A's dredge 2 deleted (a false
    dredge): both folders were read as A's, their counts added (5), so B's dredge 3 and its
    detections were tracked as A's, and A's deleted dredge 2, its dates now B's dredge 2's,
    had its detections 'not seen on their dredge's dates' linked anew and counted again: 3
    dredges for 1. The Dredges folder on whose dates the run's detections are is the run's,
    the other named in a note and not read. A folder of the same name ('Dredges (2)' of a run
    after a hand merge, pasted above A's) made A's own detections of dredge 1 'pasted', their
    track_id and link not read."""
    from detector.track_files import read_detections

    for run in ("a", "b", "c"):
        (tmp_path / run).mkdir()
    rivers, kml = _split_dredge(tmp_path / "a")
    _three_tracks(tmp_path / "b", start_days=400)
    split = [
        gpd.read_parquet(tmp_path / "b" / f"split{end}.parquet") for end in ("", ".detections")
    ]
    other, _ = write_kml(split[0], tmp_path / "b" / "dredges.kml", split[1])
    root = ET.fromstring(kml.read_bytes())
    theirs = ET.fromstring(other.read_bytes())
    document, ours = root.find(f"{K}Document"), _dredges_folder(root)
    assert document is not None and _dredges_folder(theirs).findtext(f"{K}name") == "Dredges (3)"
    ours.remove(_placemarks(ours, "Dredge 2 (Meander)")[0])
    document.insert(list(document).index(ours) + 1, _dredges_folder(theirs))
    _paste(root, _placemarks(_detection_folder(theirs), " dredge 3"))
    edited = tmp_path / "pasted.kml"
    run = _track_edited(root, edited, rivers)
    notes = " ".join(run.notes)
    assert "2 Dredges folders ('Dredges (2)', 'Dredges (3)'): 'Dredges (2)' read as" in notes
    assert "The other's dredges are not this run's: not counted among its 2 dredges" in notes
    assert "whose placemark was deleted (dredge 2) left out" in notes, notes
    assert "3 detections of dredge 3 left out: no such dredge is in this run" in notes, notes
    assert "(its dredges are numbered up to 2)" in notes, notes
    assert "not seen on their dredge's dates" not in notes, notes
    again = gpd.read_parquet(tmp_path / "again.parquet")
    assert again[["track_id", "n_detections"]].values.tolist() == [[1, 3]]
    _, merged = _kml_after_a_merge(tmp_path / "c", start_days=400)
    root = ET.fromstring(kml.read_bytes())
    document = root.find(f"{K}Document")
    assert document is not None
    pasted = _dredges_folder(ET.fromstring(merged.read_bytes()))
    document.insert(list(document).index(_dredges_folder(root)), pasted)
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    again = read_detections(edited)
    notes = " ".join(again.attrs["notes"])
    assert "('Dredges (2)', the second 'Dredges (2)'): the second 'Dredges (2)' read" in notes
    assert "with other dates" not in notes and "outside the Dredges folder" not in notes, notes
    assert again["track_id"].tolist() == ["1"] * 3 + ["2"] * 3  # read: not linked anew


def test_a_dredge_pasted_in_place_of_one_deleted_whole_is_another_runs(tmp_path: Path) -> None:
    """Run A's dredge 2 deleted whole (placemark and detections) and run B's dredge 2 pasted
    with its detections, in a folder of its own or into A's Dredges folder: of a number A's
    dredges may have, in place of the one the folder lacks, it was taken for A's without a
    word, its track_id and link read. Its run key (in its data) is not the file's: it is
    named as another run's and its detections are linked anew."""
    from detector.track_files import read_detections

    rivers, kml, other = _two_runs(tmp_path)
    for into in ("revisar", "Dredges"):
        root = ET.fromstring(kml.read_bytes())
        dredges, found = _dredges_folder(root), _detection_folder(root)
        dredges.remove(_placemarks(dredges, "Dredge 2 (Meander)")[0])
        for mark in _placemarks(found, " dredge 2"):
            found.remove(mark)
        theirs = ET.fromstring(other.read_bytes())
        dredge = _placemarks(theirs, "Dredge 2 (Meander)")
        _paste(root, _placemarks(theirs, " dredge 2") + (dredge if into == "revisar" else []))
        if into == "Dredges":
            dredges.extend(dredge)
        edited = tmp_path / f"into_{into}.kml"
        ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
        again = read_detections(edited)
        notes = " ".join(again.attrs["notes"])
        assert "1 dredge placemark of dredge 2 of another run (run key" in notes, notes
        assert again["track_id"].tolist()[:3] == ["1"] * 3  # A's read
        assert again["track_id"].isna().tolist()[3:] == [True] * 3  # B's linked anew
    run = run_track(edited, rivers, tmp_path / "again.parquet")
    assert "of another run" in " ".join(run.notes)
    assert sorted(gpd.read_parquet(tmp_path / "again.parquet")["n_detections"]) == [3, 3]


def test_another_runs_two_folders_pasted_above_this_runs_are_told_by_their_run_key(
    tmp_path: Path,
) -> None:
    """Run B's Dredges and Detections folders both pasted above run A's ('Dredges (2)',
    'Detections (6)' twice): the Dredges folders were not told apart by dates (each matches
    its own Detections folder), so the first, B's, was read as the run's, then B's
    Detections folder with it, and A's own 6 detections were named 'not seen on their
    dredge's dates', their track_id and link not read. The run key of the file's document
    tells A's folders whatever their order; without run keys (an older dredges.kml) the
    note that they were not told apart stays."""
    from detector.track_files import read_detections

    _, kml, other = _two_runs(tmp_path)
    root = ET.fromstring(kml.read_bytes())
    theirs = ET.fromstring(other.read_bytes())
    document = root.find(f"{K}Document")
    assert document is not None
    at = list(document).index(_dredges_folder(root))
    document.insert(at, _detection_folder(theirs))
    document.insert(at, _dredges_folder(theirs))
    edited = tmp_path / "pasted.kml"
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    again = read_detections(edited)
    notes = " ".join(again.attrs["notes"])
    for kind in ("Dredges (2)", "Detections (6)"):
        assert f"the second '{kind}' read as this run's (by the run key" in notes, notes
    assert "not told apart" not in notes, notes
    a_days = again["acquired"].astype(str).str.startswith("2024")
    assert again.loc[a_days, "track_id"].tolist() == ["1"] * 3 + ["2"] * 3  # A's read
    assert again.loc[~a_days, "track_id"].isna().all()  # B's linked anew
    ET.ElementTree(_keyless(root)).write(edited, encoding="utf-8", xml_declaration=True)
    notes = " ".join(read_detections(edited).attrs["notes"])
    assert "not told apart by the share" in notes, notes  # no key: by order, as before


def test_another_runs_detection_pasted_alone_on_its_namesakes_dates_is_linked_anew(
    tmp_path: Path,
) -> None:
    """Run B's detection of its dredge 1 (3 km away) pasted alone into run A's dredges.kml,
    its date one of A's dredge 1's: its dates were all that was checked, so it was read as
    A's dredge 1 (track_id '1', without a word). Its run key (in its data) is not A's: its
    track_id and link are not read, with a note; A's own detections are read as before."""
    from detector.exports import write_kml
    from detector.track_files import read_detections

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rivers, kml = _split_dredge(tmp_path / "a")
    b = tmp_path / "b"  # seen on A's dredge 1's dates and one more: another run key
    dets = tf.detections([(t, tf.point_at(straight_line(), 3000.0)) for t in tf.dates(4)])
    dets.assign(detection_id=dets["detection_id"] + 100).to_parquet(b / "detections.parquet")
    run_track(b / "detections.parquet", rivers, b / "tracks.parquet")
    tracks, linked = (
        gpd.read_parquet(b / "tracks.parquet"),
        gpd.read_parquet(b / "tracks.detections.parquet"),
    )
    other, _ = write_kml(tracks, b / "dredges.kml", linked)
    root = ET.fromstring(kml.read_bytes())
    _paste(
        root, _placemarks(_detection_folder(ET.fromstring(other.read_bytes())), " dredge 1")[1:2]
    )
    edited = tmp_path / "pasted.kml"
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    again = read_detections(edited)
    assert again["track_id"].tolist() == ["1"] * 3 + ["2"] * 3 + [None]
    assert again["link"].isna().tolist() == [False] * 6 + [True]
    assert "run" not in again
    notes = " ".join(again.attrs["notes"])
    assert "1 detection placemark of another run (run key" in notes, notes
    assert "with the track_id of this run's dredge 1" in notes
    assert "it is linked anew as a detection" in notes
    ET.ElementTree(_keyless(root)).write(edited, encoding="utf-8", xml_declaration=True)
    assert read_detections(edited)["track_id"].tolist()[6] == "1"  # no key: by its dates
