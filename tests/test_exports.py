"""Exports read back valid: schema, CRS, geometries, KML that parses, a real PNG."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from detector.counts import COUNT_COLUMNS, yearly_counts
from detector.exports import KML_NS, write_chart, write_counts, write_geojson, write_gpkg, write_kml
from tests.test_counts import two_year_world


@pytest.fixture(scope="module")
def world() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    linked, tracks = two_year_world()
    return linked, tracks, yearly_counts(tracks, linked)


def test_counts_csv_and_json_read_back(world: tuple, tmp_path: Path) -> None:
    _, _, counts = world
    csv = pd.read_csv(write_counts(counts, tmp_path / "c.csv"))
    assert list(csv.columns) == COUNT_COLUMNS
    pd.testing.assert_frame_equal(csv, counts, check_dtype=False)
    records = json.loads(write_counts(counts, tmp_path / "c.out", "json").read_text())
    assert records[0] == {  # an unknown seen_km (NaN) is null, not the NaN JSON lacks
        k: None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)
        for k, v in counts.iloc[0].items()
    }
    with pytest.raises(ValueError, match="unknown format"):
        write_counts(counts, tmp_path / "c.xls", "xls")
    with pytest.raises(ValueError, match=r"--format is csv, but the name ends in \.json"):
        write_counts(counts, tmp_path / "c.json", "csv")  # it wrote CSV under that name
    assert not (tmp_path / "c.json").exists()


def test_counts_csv_keeps_accents_for_excel(world: tuple, tmp_path: Path) -> None:
    """Without a byte-order mark Excel shows 'Aguaytía' as 'AguaytÃ­a'."""
    _, _, counts = world
    path = write_counts(counts.assign(river="Aguaytía"), tmp_path / "c.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfriver,")
    assert pd.read_csv(path)["river"].tolist() == ["Aguaytía"] * len(counts)


def test_chart_is_a_png(world: tuple, tmp_path: Path) -> None:
    _, _, counts = world
    path = write_chart(counts, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5000


def test_geopackage_layers(world: tuple, tmp_path: Path) -> None:
    linked, tracks, _ = world
    path = write_gpkg(tracks, linked, tmp_path / "d.gpkg")
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["detections", "dredges"]
    dredges = gpd.read_file(path, layer="dredges")
    dets = gpd.read_file(path, layer="detections")
    for frame, source in ((dredges, tracks), (dets, linked)):
        assert frame.crs.to_epsg() == 4326
        assert len(frame) == len(source)
        assert not (frame.geometry.isna() | frame.geometry.is_empty).any()
        assert set(source.columns) <= set(frame.columns)
    assert dredges["dates"].tolist() == tracks["dates"].tolist()
    assert sorted(dets["track_id"].unique()) == sorted(tracks["track_id"])


def test_geopackage_layers_without_a_dredge_keep_their_geometry_type(
    world: tuple, tmp_path: Path
) -> None:
    """Empty, they were written as geometry type "Unknown" (a table without geometry)."""
    linked, tracks, _ = world
    path = write_gpkg(tracks.iloc[:0], linked.iloc[:0], tmp_path / "d.gpkg")
    assert dict(pyogrio.list_layers(path)) == {"dredges": "Point", "detections": "Polygon"}


def test_geojson_files(world: tuple, tmp_path: Path) -> None:
    linked, tracks, _ = world
    dredges_path, dets_path = write_geojson(tracks, linked, tmp_path / "d.geojson")
    assert dets_path.name == "d.detections.geojson"
    dredges = gpd.read_file(dredges_path)
    assert dredges.crs.to_epsg() == 4326 and len(dredges) == len(tracks)
    assert not dredges.geometry.is_empty.any()
    raw = json.loads(dredges_path.read_text())
    first = raw["features"][0]["properties"]
    assert first["first_seen"].endswith("Z") and ";" in first["dates"]
    assert len(gpd.read_file(dets_path)) == len(linked)


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


def test_a_chart_with_no_river_years_says_so_without_warnings(tmp_path: Path) -> None:
    empty = pd.DataFrame(columns=COUNT_COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warned of a legend with nothing in it
        path = write_chart(empty, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


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


def test_odd_river_names_in_the_chart_and_the_kml(world: tuple, tmp_path: Path) -> None:
    """'$' started matplotlib's math text ('Santiago $\\frac$' stopped the run, 'US$5' was drawn
    in italics), a leading '_' hid a river from the legend, and a control character pasted
    into a name made dredges.kml invalid XML, which Google Earth refuses."""
    from detector.exports import chart_text

    linked, tracks, counts = world
    odd = "Santiago $\\frac$"
    write_chart(counts.assign(river=odd), tmp_path / "chart.png")
    assert chart_text(odd) == "Santiago \\$\\frac\\$" and chart_text("_Nanay") == " _Nanay"
    assert chart_text("x" * 60).endswith("…") and len(chart_text("x" * 60)) == 40
    named = "Nanay\x08\x01"
    path, _ = write_kml(tracks.assign(river=named), tmp_path / "d.kml", linked.assign(river=named))
    root = ET.parse(path).getroot()  # it did not parse: 'not well-formed (invalid token)'
    assert "Nanay" in ET.tostring(root, encoding="unicode")


def test_each_river_has_its_own_bars_in_the_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib's ten-colour cycle gave the 11th river the 1st one's colour (Tigre's bars
    were Amazonas' blue, the 12th and 13th river the 2nd and 3rd one's): a bar could be read as
    the other river's. Each river's bars now differ from every other's in colour or pattern."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex
    from matplotlib.container import BarContainer

    names = [f"River {i:02d}" for i in range(20)]  # more get a chart each
    counts = pd.DataFrame(
        [
            {"river": name, "year": year, "unique_dredges": i + 1, "new_dredges": 0,
             "detections": i + 1, "scenes": 5, "unique_low": i + 1, "unique_high": i + 1}
            for i, name in enumerate(names)
            for year in (2024, 2025)
        ]
    )  # fmt: skip
    figures: list = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig) or close(fig))
    write_chart(counts, tmp_path / "chart.png")
    bars = [c for c in figures[0].axes[0].containers if isinstance(c, BarContainer)]
    styles = {(to_hex(b.patches[0].get_facecolor()), b.patches[0].get_hatch()) for b in bars}
    assert len(bars) == len(names) and len(styles) == len(names)


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
    from tests.test_tracking import straight_line

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


def test_a_chart_of_very_many_rivers_draws_those_with_most_dredges(tmp_path: Path) -> None:
    """1,300 rivers got a small chart each: a PNG of 1584 × 65,592 px (43 s, and a warning
    from Pillow of a decompression bomb where it is read). Over 100, the rivers with most
    dredges are drawn, and the title says how many more counts.csv holds."""
    from PIL import Image

    from detector.exports import CHART_RIVERS, chart_rivers

    names = [f"Río {i:03d}" for i in range(130)]
    counts = pd.DataFrame(
        [{"river": name, "year": 2024, "unique_dredges": i % 7, "unique_low": 0, "unique_high": 9}
         for i, name in enumerate(names)]
    )  # fmt: skip
    rivers, left_out = chart_rivers(counts)
    assert len(rivers) == CHART_RIVERS == 100 and left_out == 30
    totals = counts.set_index("river")["unique_dredges"]
    assert min(totals[rivers]) >= max(totals.drop(index=rivers))  # the busiest kept
    assert rivers == sorted(rivers)
    with Image.open(write_chart(counts, tmp_path / "chart.png")) as image:
        assert image.height < 6000  # 100 small charts, 20 rows: about 4,800 px


def test_every_river_of_a_regional_chart_is_named_and_drawn_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The legend held 20 rivers one under the other; of 30, the last 9 were drawn below the
    image, and their bars were named nowhere (of 100 rivers over 10 years, the bars ran into
    one black block). More than 20 rivers get a chart each, named over it, on one scale."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.container import BarContainer

    names = [f"Río {i:02d}" for i in range(30)]
    counts = pd.DataFrame(
        [{"river": name, "year": year, "unique_dredges": i, "unique_low": i, "unique_high": i}
         for i, name in enumerate(names) for year in (2024, 2025)]
    )  # fmt: skip
    figures: list = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig) or close(fig))
    write_chart(counts, tmp_path / "chart.png")
    fig = figures[0]
    canvas = FigureCanvasAgg(fig)  # closed: drawn again to measure where its texts lie
    canvas.draw()
    page = fig.bbox
    named = {}
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        box = ax.title.get_window_extent(canvas.get_renderer())
        assert page.x0 <= box.x0 and box.x1 <= page.x1 and page.y0 <= box.y0 <= page.y1
        bars = [c for c in ax.containers if isinstance(c, BarContainer)]
        named[ax.get_title()] = [p.get_height() for p in bars[0].patches]
    assert list(named) == names
    assert named["Río 29"] == [29, 29]
    assert len({ax.get_ylim() for ax in fig.axes if ax.get_visible()}) == 1  # one scale


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


def test_exports_are_written_in_the_format_their_name_says(tmp_path: Path) -> None:
    """`dredge counts --chart counts.svg` wrote a PNG under that name, `--kml dredges.kmz`
    the KML text (not the zip a KMZ is: Google Earth and `dredge track` could not open it,
    'is not a valid kmz file'), and `--gpkg dredges.geojson` a GeoPackage, each without a
    word. The chart and the KMZ are now what their names say; a GeoPackage named otherwise is
    one line, before anything is written."""
    import zipfile

    from typer.testing import CliRunner

    from detector.cli import app
    from detector.track_pipeline import run_counts, run_track
    from tests.test_counts import write_inputs

    marked, rivers = write_inputs(tmp_path)
    tracks = tmp_path / "tracks.parquet"
    run_track(marked, rivers, tracks)
    chart, kmz = tmp_path / "counts.svg", tmp_path / "dredges.kmz"
    run_counts(tracks, tmp_path / "counts.csv", chart=chart, kml=kmz)
    assert b"<svg" in chart.read_bytes()[:500]
    assert zipfile.is_zipfile(kmz)
    again = tmp_path / "again.parquet"
    run_track(kmz, rivers, again)  # read back as any KMZ of Google Earth
    assert len(gpd.read_parquet(again)) == len(gpd.read_parquet(tracks))
    for option, name, said in (
        ("--gpkg", "dredges.geojson", "--gpkg writes a GeoPackage — end the name in .gpkg"),
        ("--chart", "chart.csv", "--chart draws PNG, SVG, PDF or JPEG"),
        ("--kml", "dredges.xml", "--kml writes KML for Google Earth"),
    ):
        out = tmp_path / "refused.csv"
        args = ["counts", str(tracks), "--out", str(out), option, str(tmp_path / name)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and said in " ".join(result.output.split()), result.output
        assert not out.exists() and not (tmp_path / name).exists()


def test_a_geojson_of_another_suffix_or_two_outputs_of_one_name_are_refused(
    tmp_path: Path,
) -> None:
    """`dredge counts --geojson dredges.gpkg` wrote GeoJSON under that name (the suffix check
    of --gpkg, --kml and --chart left --geojson out), and `--out c.json --geojson c.json` wrote
    the counts, then the GeoJSON over them: both 'wrote c.json' lines, exit 0, no counts."""
    from typer.testing import CliRunner

    from detector.cli import app
    from detector.track_pipeline import run_track
    from tests.test_counts import write_inputs

    marked, rivers = write_inputs(tmp_path)
    tracks = tmp_path / "tracks.parquet"
    run_track(marked, rivers, tracks)
    same = tmp_path / "c.json"
    for args, line in [
        (["--out", str(tmp_path / "c.csv"), "--geojson", str(tmp_path / "d.gpkg")],
         f"{tmp_path / 'd.gpkg'}: --geojson writes GeoJSON — end the name in .geojson or .json"),
        (["--out", str(same), "--geojson", str(same)],
         f"{same}: given to both --out and --geojson — give each its own name"),
        (["--out", str(tmp_path / "k.json"), "--geojson", str(tmp_path / "d.json")], None),
    ]:  # fmt: skip
        result = CliRunner().invoke(app, ["counts", str(tracks), *args])
        if line is None:  # GeoJSON named .json, beside counts of another name, as before
            assert result.exit_code == 0, result.output
            assert (tmp_path / "d.detections.geojson").is_file()
            continue
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().startswith(f"error: {line}"), result.stderr
        assert not {"c.csv", "c.json", "d.gpkg"} & {p.name for p in tmp_path.iterdir()}


def test_two_outputs_of_one_file_spelt_two_ways_are_refused(tmp_path: Path) -> None:
    """`--out sub/../c.json --geojson c.json` (or a name through a linked folder) name one file:
    it was not refused, both were written under one temporary name, and the run ended in
    'could not be written ([Errno 2] No such file or directory …) — check the disk', with
    neither file written."""
    from detector.errors import DredgeError
    from detector.exports import check_export_names

    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path, target_is_directory=True)
    for spelt in (tmp_path / "sub" / ".." / "c.json", tmp_path / "link" / "c.json"):
        with pytest.raises(DredgeError, match="given to both --out and --geojson"):
            check_export_names(out=spelt, geojson=tmp_path / "c.json")
    check_export_names(out=tmp_path / "sub" / "c.json", geojson=tmp_path / "c.json")
