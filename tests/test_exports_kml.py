"""dredges.kml: a placemark per dredge with its dates and why it was not counted, read back by
`dredge track` as its detections (edits made in Google Earth kept), runs too large for one
file, and names shown as text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from detector.counts import yearly_counts
from detector.exports import KML_NS, write_kml
from tests.count_fixtures import two_year_world


@pytest.fixture(scope="module")
def world() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    linked, tracks = two_year_world()
    return linked, tracks, yearly_counts(tracks, linked)


def test_kml_has_a_placemark_per_dredge_with_its_dates(world: tuple, tmp_path: Path) -> None:
    linked, tracks, _ = world
    path, included = write_kml(tracks, tmp_path / "d.kml", linked)
    assert included
    root = ET.parse(path).getroot()
    ns = {"k": KML_NS}
    assert root.tag == f"{{{KML_NS}}}kml"
    folders = root.findall("k:Document/k:Folder", ns)
    dredges = folders[0].findall("k:Placemark", ns)
    assert len(dredges) == len(tracks)
    assert len(folders[1].findall("k:Placemark", ns)) == len(linked)
    for mark, row in zip(dredges, tracks.itertuples(), strict=True):
        description = mark.findtext("k:description", namespaces=ns) or ""
        assert all(day in description for day in row.dates.split(";"))
        assert mark.findtext("k:TimeSpan/k:begin", namespaces=ns) == row.first_seen.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        coordinates = mark.findtext("k:Point/k:coordinates", namespaces=ns) or ""
        lon, lat = map(float, coordinates.split(","))
        assert (lon, lat) == pytest.approx((row.geometry.x, row.geometry.y), abs=1e-6)
    _, included = write_kml(tracks, tmp_path / "few.kml", linked, max_detections=3)
    assert not included


def test_kml_says_seen_on_1_date_of_a_dredge_seen_once(world: tuple, tmp_path: Path) -> None:
    """A dredge seen on one date was 'Seen on 1 dates:' in its placemark's description."""
    linked, tracks, _ = world
    first = tracks["dates"].iloc[0].split(";")[0]
    once = tracks.assign(n_dates=[1, *tracks["n_dates"].iloc[1:]])
    once.loc[once.index[0], "dates"] = first
    path, _ = write_kml(once, tmp_path / "d.kml", linked)
    ns = {"k": KML_NS}
    marks = ET.parse(path).getroot().findall("k:Document/k:Folder/k:Placemark", ns)
    lines = [(m.findtext("k:description", namespaces=ns) or "").splitlines() for m in marks]
    assert f"Seen on 1 date: {first}" in lines[0]
    assert f"Seen on {tracks['n_dates'].iloc[1]} dates: " in "\n".join(lines[1])


def test_kml_reads_back_as_its_detections(world: tuple, tmp_path: Path) -> None:
    """Google Earth users may hand dredges.kml to `dredge track`: its dated placemarks are the
    detections (the dredges' placemarks have time spans and are left out)."""
    from detector.track_files import read_detections

    linked, tracks, _ = world
    path, included = write_kml(tracks, tmp_path / "dredges.kml", linked)
    assert included
    again = read_detections(path)
    assert len(again) == len(linked)
    assert sorted(pd.to_datetime(again["acquired"], utc=True)) == sorted(
        pd.to_datetime(linked["acquired"], utc=True).dt.floor("s")
    )


def test_kml_detections_keep_their_scores_and_an_older_kml_is_refused(
    world: tuple, tmp_path: Path
) -> None:
    """dredges.kml's detections had no score: tracked again, each was a certain hand mark and
    every dredge seen once counted (the demo's dredges.kml: 36 of 36 tracks counted, Nanay
    2024 12 dredges for 4). Their id, scene, class and score are now read back; a dredges.kml
    without them (written before) is one line, whole or its detections' folder alone."""
    from detector.errors import InputError
    from detector.track_files import read_detections

    linked, tracks, _ = world
    linked = linked.assign(score=[0.25 + 0.05 * k for k in range(len(linked))])
    path, _ = write_kml(tracks, tmp_path / "dredges.kml", linked)
    again = read_detections(path)
    again.index = again["detection_id"].astype(int)
    again = again.loc[linked["detection_id"]]
    assert again["score"].tolist() == pytest.approx(linked["score"].tolist(), abs=1e-6)
    assert again["scene"].tolist() == linked["scene"].tolist()
    assert again["class_name"].tolist() == ["dredge"] * len(linked)
    assert "dredge placemarks (time spans) left out" in " ".join(again.attrs["notes"])
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    for mark in root.iter(f"{{{KML_NS}}}Placemark"):
        if mark.find(f"{{{KML_NS}}}TimeStamp") is not None:  # as written before: no data
            mark.remove(mark.find(f"{{{KML_NS}}}ExtendedData"))
    older = tmp_path / "older.kml"
    ET.ElementTree(root).write(older, encoding="utf-8", xml_declaration=True)
    with pytest.raises(InputError, match=r"older.kml: is dredges.kml of `dredge counts`.* — give"):
        read_detections(older)
    folders = root.findall(f"{{{KML_NS}}}Document/{{{KML_NS}}}Folder")
    root.find(f"{{{KML_NS}}}Document").remove(folders[0])  # its detections' folder alone
    ET.ElementTree(root).write(older, encoding="utf-8", xml_declaration=True)
    with pytest.raises(InputError, match=r"is dredges\.kml of `dredge counts`"):
        read_detections(older)


def test_kml_edited_in_google_earth_keeps_its_edits(world: tuple, tmp_path: Path) -> None:
    """Google Earth edits a placemark's name, not its data: a detection of dredges.kml renamed
    'bote' kept the class_name 'dredge' of its data, and a dredge whose placemark was deleted
    kept its detections, both still counted without a word (on the demo's dredges.kml,
    Santiago 2024 stayed at 1 dredge, renamed or deleted; now 0)."""
    from detector.track_files import read_detections

    linked, tracks, _ = world
    path, _ = write_kml(tracks, tmp_path / "dredges.kml", linked)
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    ids = sorted(int(t) for t in tracks["track_id"])
    renamed, deleted = ids[0], ids[-1]
    for folder in root.iter(f"{{{KML_NS}}}Folder"):
        for mark in list(folder.findall(f"{{{KML_NS}}}Placemark")):
            name = mark.find(f"{{{KML_NS}}}name")
            assert name is not None and name.text is not None
            if name.text.endswith(f" dredge {renamed}"):
                name.text = name.text[:10] + " bote"
            if name.text.startswith(f"Dredge {deleted} ("):
                folder.remove(mark)
    edited = tmp_path / "edited.kml"
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    again = read_detections(edited)
    track_of = linked.set_index(linked["detection_id"].astype(str))["track_id"]
    again_tracks = again["detection_id"].astype(str).map(track_of)
    assert (again.loc[again_tracks == renamed, "class_name"] == "boat").all()
    assert (again_tracks == renamed).sum() == (linked["track_id"] == renamed).sum()
    assert (again.loc[again_tracks != renamed, "class_name"] == "dredge").all()
    assert not (again_tracks == deleted).any()
    assert len(again) == len(linked) - (linked["track_id"] == deleted).sum()
    notes = " ".join(again.attrs["notes"])
    assert "renamed (or added) in Google Earth, or of a dredge renamed there, read" in notes
    assert f"whose placemark was deleted (dredge {deleted}) left out" in notes
    untouched = read_detections(path)  # as written: nothing renamed, nothing left out
    assert len(untouched) == len(linked) and (untouched["class_name"] == "dredge").all()
    assert "Google Earth" not in " ".join(untouched.attrs["notes"])
    root = ET.fromstring(path.read_text(encoding="utf-8"))  # the dredge renamed, not its marks
    for name in root.iter(f"{{{KML_NS}}}name"):
        if name.text and name.text.startswith(f"Dredge {renamed} ("):
            name.text = f"Dredge {renamed} falsa draga"
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    again = read_detections(edited)
    again_tracks = again["detection_id"].astype(str).map(track_of)
    assert (
        again.loc[again_tracks == renamed, "class_name"] == f"Dredge {renamed} falsa draga"
    ).all()
    assert (again.loc[again_tracks != renamed, "class_name"] == "dredge").all()
    assert f"; dredge renamed: {renamed})" in " ".join(again.attrs["notes"])


def test_kml_placemarks_renamed_by_adding_a_class_are_read_by_it(
    world: tuple, tmp_path: Path
) -> None:
    """A detection renamed in Google Earth by adding to its name ('2024-01-25 dredge 3 bote'),
    a dredge so ('Dredge 4 (Nanay) - bote'): the exported words came first and named the
    class, so both were read as dredges, the edit lost without a word."""
    from detector.track_files import read_detections

    linked, tracks, _ = world
    path, _ = write_kml(tracks, tmp_path / "dredges.kml", linked)
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    ids = sorted(int(t) for t in tracks["track_id"])
    one, other = ids[0], ids[-1]
    for name in root.iter(f"{{{KML_NS}}}name"):
        if name.text and name.text.endswith(f" dredge {one}"):
            name.text += " bote"
        if name.text and name.text.startswith(f"Dredge {other} ("):
            name.text += " - bote"
    edited = tmp_path / "edited.kml"
    ET.ElementTree(root).write(edited, encoding="utf-8", xml_declaration=True)
    again = read_detections(edited)
    track_of = linked.set_index(linked["detection_id"].astype(str))["track_id"]
    again_tracks = again["detection_id"].astype(str).map(track_of)
    assert (again.loc[again_tracks.isin([one, other]), "class_name"] == "boat").all()
    assert (again.loc[~again_tracks.isin([one, other]), "class_name"] == "dredge").all()
    assert len(again) == len(linked)


def test_kml_read_back_keeps_a_track_merged_by_hand(world: tuple, tmp_path: Path) -> None:
    """A run whose tracks 14 and 15 were merged by hand (kept as one: the later start linked
    'merged'), its dredges.kml read back: the detections carried no track_id nor link, so the
    merge was lost and both counted again without a word (the demo's Nanay 2025 at 10, not
    9). They carry both now, and the merge is read as from dredges.gpkg."""
    from detector.track_files import read_detections
    from detector.track_merges import MERGED, hand_merges

    linked, tracks, _ = world
    merged = linked.copy()
    one, other = sorted(int(t) for t in tracks["track_id"])[:2]
    merged.loc[merged["track_id"] == other, "track_id"] = one
    starts = merged.index[(merged["track_id"] == one) & (merged["link"] == "new")]
    merged.loc[merged.loc[starts].sort_values("acquired").index[1:], "link"] = MERGED
    path, _ = write_kml(tracks[tracks["track_id"] != other], tmp_path / "dredges.kml", merged)
    again = read_detections(path)
    found, notes = hand_merges(again, path)
    assert list(found) == [one] and not notes
    assert len(found[one]) == int((merged["track_id"] == one).sum())


def test_kml_says_why_a_dredge_is_not_counted(world: tuple, tmp_path: Path) -> None:
    """Every track not counted was "seen on too few dates" in dredges.kml: a fixed object seen
    for months, and a track seen on several dates whose best score was under --count-score
    (the demo's track 11: three dates, best score 0.41)."""
    linked, tracks, _ = world
    fixed, faint = tracks["track_id"].tolist()
    still = tracks["track_id"] == fixed
    tracks = tracks.assign(counted=False, static=still, moves=tracks["moves"].where(~still, 0))
    linked = linked.assign(score=linked["score"].where(linked["track_id"] != faint, 0.3))
    path, _ = write_kml(tracks, tmp_path / "d.kml", linked)
    ns = {"k": KML_NS}
    marks = ET.parse(path).getroot().findall("k:Document/k:Folder", ns)[0]
    said = {
        mark.findtext("k:name", namespaces=ns): mark.findtext("k:description", namespaces=ns) or ""
        for mark in marks.findall("k:Placemark", ns)
    }
    fixed_said = said[f"Dredge {fixed} (Meander, uncounted)"]
    assert "Counted: no (a fixed object: never moved in 342 days" in fixed_said
    assert (
        "Counted: no (seen on 6 dates, best detection score 0.30: under --count-score"
        in said[f"Dredge {faint} (Meander, uncounted)"]
    )
    assert ET.parse(path).getroot().findtext("k:Document/k:Folder/k:name", namespaces=ns) == (
        "Dredges (0 counted, 2 uncounted)"
    )
    assert "too few dates" not in "".join(said.values())


def test_kml_reason_is_the_rule_that_left_the_track_out(tmp_path: Path) -> None:
    """dredges.kml guessed the reason from the tracks table: a track that `dredge track
    --min-dates 3` left out after two dates was "under --count-score, or each of its stays
    seen empty" (its best score 0.9, over it), and `dredge run`'s tracks seen once were
    "under --min-dates (default 2)", an option `dredge run` does not have (the demo run: 9
    placemarks). The tracker now writes each rule that left a track out, with its value."""
    from detector.tracking import TrackParams, link_tracks
    from tests import track_fixtures as tf
    from tests.track_fixtures import straight_line

    line = straight_line()
    week = [pd.Timestamp("2024-03-01 14:00", tz="UTC") + pd.Timedelta(days=7 * k) for k in range(6)]
    a, b = tf.point_at(line, 2000), tf.point_at(line, 500)
    dets = tf.detections([(t, a) for t in week[:2]] + [(t, b) for t in week], tf.network(line))
    dets["score"] = [0.9, 0.9] + [0.4] * 6
    params = TrackParams(min_dates=3, count_score=0.5)
    linked, tracks = link_tracks(dets, tf.observed(week), params=params)
    reasons = dict(zip(tracks["n_dates"], tracks["uncounted_reason"], strict=True))
    assert reasons == {
        2: "seen on 2 dates, under the 3 needed (`dredge track --min-dates`)",
        6: "best detection score 0.40, under --count-score 0.5",
    }
    path, _ = write_kml(tracks, tmp_path / "d.kml", linked)
    text = path.read_text()
    assert "Counted: no (seen on 2 dates, under the 3 needed" in text
    assert "Counted: no (best detection score 0.40, under --count-score 0.5)" in text


def test_kml_reason_names_the_rules_a_run_may_have_set() -> None:
    """With --min-dates 3 a track seen on two dates was explained as under --count-score, and
    'seen on one date' assumed the default --min-dates: the run's settings are not in the
    tracks table, so the rules are named."""
    from detector.kml_export import _uncounted

    once = _uncounted({"track_id": 3, "n_dates": 1, "static": False}, {3: 0.8})
    assert once == (
        "no (seen on one date, best detection score 0.80: under `dredge track --min-dates` "
        "(default 2), "
        "--count-score, or each of its stays seen empty before and after)"
    )
    twice = _uncounted({"track_id": 3, "n_dates": 2, "static": False}, {})
    assert twice.startswith("no (seen on 2 dates: under --count-score")


def test_a_kml_without_its_detections_says_where_they_are(
    world: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over 50,000 detections, dredges.kml holds the dredges alone. It said nothing of it (the
    run's notes, run.json and the report neither), and given back to `dredge track` it was
    read as marks without a date, with the fix to date each placemark in Google Earth."""
    from detector.errors import InputError
    from detector.track_files import read_detections

    linked, tracks, _ = world
    path, included = write_kml(
        tracks, tmp_path / "dredges.kml", linked, max_detections=3, elsewhere="dredges.gpkg"
    )
    assert not included
    root = ET.parse(path).getroot()
    folders = root.findall(f"{{{KML_NS}}}Document/{{{KML_NS}}}Folder")
    description = folders[1].findtext(f"{{{KML_NS}}}description") or ""
    assert f"its {len(linked)} detections (over 3, too many for Google Earth)" in description
    assert "they are in dredges.gpkg" in description
    refused = r"dredges.kml: is dredges.kml of `dredge counts` without its detections .* — give"
    with pytest.raises(InputError, match=refused):
        read_detections(path)
    from detector import track_pipeline
    from detector.track_pipeline import run_counts, sidecars

    tracks.to_parquet(tmp_path / "tracks.parquet")
    linked.to_parquet(sidecars(tmp_path / "tracks.parquet")[0])
    monkeypatch.setattr(track_pipeline, "KML_DETECTION_LIMIT", 3)
    lines = run_counts(
        tmp_path / "tracks.parquet", tmp_path / "c.csv", kml=tmp_path / "run.kml",
        gpkg=tmp_path / "run.gpkg",
    )  # fmt: skip
    assert (
        f"run.kml: dredges only — its {len(linked)} detections (over 3, too many for Google "
        "Earth) are left out of the KML: they are in the detections layer of run.gpkg and "
        "tracks.detections.parquet;"
    ) in " ".join(lines)


def test_a_kml_of_too_many_dredges_holds_the_counted_ones(
    world: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without its detections, dredges.kml still held a placemark per track: of a run of 10
    years on 20 rivers (1,036,203 detections, 71,550 tracks, 17,215 counted) about 77 MB, most
    of it tracks not counted, mainly false detections seen once. Over 50,000 tracks it holds
    the counted dredges, and a folder and a note say where the others are."""
    from detector import track_pipeline
    from detector.track_pipeline import run_counts, sidecars

    linked, tracks, _ = world
    tracks = tracks.assign(counted=[True, False])
    path, included = write_kml(tracks, tmp_path / "d.kml", linked, max_detections=1)
    assert not included
    ns = {"k": KML_NS}
    folders = ET.parse(path).getroot().findall("k:Document/k:Folder", ns)
    assert [f.findtext("k:name", namespaces=ns) for f in folders] == [
        "Dredges (1 counted)",
        "Dredges not counted (1): not in this file",
        f"Detections ({len(linked)}): not in this file",
    ]
    assert len(folders[0].findall("k:Placemark", ns)) == 1
    assert "they are in the dredges layer of dredges.gpkg" in (
        folders[1].findtext("k:description", namespaces=ns) or ""
    )
    tracks.to_parquet(tmp_path / "tracks.parquet")
    linked.to_parquet(sidecars(tmp_path / "tracks.parquet")[0])
    monkeypatch.setattr(track_pipeline, "KML_DETECTION_LIMIT", 1)
    lines = run_counts(tmp_path / "tracks.parquet", tmp_path / "c.csv", kml=tmp_path / "r.kml")
    assert (
        "r.kml: the 1 counted dredges of 2 (the others are in tracks.parquet) — its "
        f"{len(linked)} detections"
    ) in " ".join(lines)
    _, included = write_kml(tracks, tmp_path / "all.kml", linked, max_detections=2)
    folders = ET.parse(tmp_path / "all.kml").getroot().findall("k:Document/k:Folder", ns)
    assert len(folders[0].findall("k:Placemark", ns)) == 2  # up to the limit, all of them


def test_kml_descriptions_show_names_as_text_in_google_earth(world: tuple, tmp_path: Path) -> None:
    """Google Earth shows a placemark's description as HTML: a river named `<b>A & B</b>` was
    shown bold (and a `<script>` in a name would run in the balloon). Names are escaped for
    HTML inside the KML's own escaping; the placemark's name (plain text there) is as given."""
    linked, tracks, _ = world
    river = '<b>A & B</b> "río"'
    path, _ = write_kml(tracks.assign(river=river), tmp_path / "d.kml", linked)
    ns = {"k": KML_NS}
    marks = ET.parse(path).getroot().findall("k:Document/k:Folder/k:Placemark", ns)
    description = marks[0].findtext("k:description", namespaces=ns) or ""
    assert 'River: &lt;b&gt;A &amp; B&lt;/b&gt; "río"' in description.splitlines()
    assert (marks[0].findtext("k:name", namespaces=ns) or "").startswith(
        f"Dredge {tracks['track_id'].iloc[0]} ({river}"
    )


def test_kml_run_key_tells_two_runs_apart_by_their_place(world: tuple, tmp_path: Path) -> None:
    """Two runs whose tracks match in id, river, dates and detections but lie 3 km apart had
    one run key (the key hashed only those figures): their pasted placemarks were not told
    apart. Each track's place is in the key now; one run written twice keeps its key."""
    from detector.kml_export import kml_run_key

    linked, tracks, _ = world
    moved = tracks.to_crs(tracks.estimate_utm_crs()).translate(xoff=3000.0)
    there = tracks.set_geometry(moved.to_crs(tracks.crs))
    assert kml_run_key(tracks) != kml_run_key(there)
    keys = set()
    for name in ("one.kml", "two.kml"):
        root = ET.parse(write_kml(tracks, tmp_path / name, linked)[0]).getroot()
        keys |= {
            d.findtext(f"{{{KML_NS}}}value")
            for d in root.iter(f"{{{KML_NS}}}Data")
            if d.get("name") == "run"
        }
    assert keys == {kml_run_key(tracks)}
