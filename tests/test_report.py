"""The report's summary paragraph."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import LineString

from detector.report import _mapped_rivers, _maps, _summary, write_report
from detector.rivers import RiverNetwork
from tests.geo_fixtures import write_rivers


def test_the_summary_says_how_many_fixed_objects_were_left_out() -> None:
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "scenes": [50], "unique_high": [1]})
    seen = pd.DataFrame({"river": ["Nanay", "Nanay"], "date": ["2024-03-01", "2024-03-06"]})
    tracks = pd.DataFrame({"counted": [True, False, False], "static": [False, True, False]})
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, seen)
    assert "<b>1</b> dredge counted" in text
    assert "1 spot detected for months without moving was left out as a fixed object" in text
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
    assert "<b>3</b> dredge detections tracked (1 of them a dredge seen again in a scene" in text
    text = _summary({"scenes": ["a.tif"]}, detections.iloc[:2], tracks, counts, pd.DataFrame())
    assert "same pass" not in text


def test_the_summary_counts_every_detection_not_only_the_dredges_tracked() -> None:
    """It said "89 detections" of the demo, whose run found 393: 304 boats were not in it."""
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "scenes": [5], "unique_high": [1]})
    tracks = pd.DataFrame({"counted": [True], "static": [False]})
    detections = pd.DataFrame({"class_name": ["dredge"] * 2, "link": ["new", "stay"]})
    found = pd.Series({"boat": 3, "dredge": 2})
    text = _summary({"scenes": ["a.tif"]}, detections, tracks, counts, pd.DataFrame(), found)
    assert "<b>5</b> detections (3 boat: not tracked), <b>2</b> dredge detections tracked," in text
    found = pd.Series({"dredge": 2})
    text = _summary({"scenes": ["a.tif"]}, detections, tracks, counts, pd.DataFrame(), found)
    assert "used, <b>2</b> dredge detections tracked," in text


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
    assert "<b>1</b> river-year had scenes over less than 9 months (Nanay 2025)" in text
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, seen.iloc[:2])
    assert "less than 9 months" not in text


def test_the_maps_are_of_the_rivers_with_most_dredges(tmp_path: Path) -> None:
    """Of 13 rivers with detections, the maps were of the first 12 in the alphabet: Yavarí,
    with every dredge counted, was left out, and the page said only '1 more river(s) not
    drawn'. The rivers with most dredges counted are drawn; the others are named."""
    names = [f"Río {chr(65 + i)}" for i in range(12)] + ["Yavarí"]
    lines = {n: LineString([(500_000 + 1000 * i, 9_500_000), (500_000 + 1000 * i, 9_502_000)])
             for i, n in enumerate(names)}  # fmt: skip
    rivers = RiverNetwork.read(write_rivers(tmp_path / "r.geojson", lines, crs="EPSG:32718"))
    middle = {n: line.interpolate(0.5, normalized=True) for n, line in lines.items()}
    detections = gpd.GeoDataFrame(
        {"river": names + ["Yavarí"] * 3},
        geometry=[middle[n].buffer(10) for n in names + ["Yavarí"] * 3],
        crs="EPSG:32718",
    ).to_crs("EPSG:4326")
    tracks = gpd.GeoDataFrame(
        {"river": ["Yavarí"] * 2, "counted": [True, True], "n_dates": [3, 2],
         "first_seen": pd.to_datetime(["2024-03-01", "2024-05-01"], utc=True)},
        geometry=[middle["Yavarí"]] * 2,
        crs="EPSG:32718",
    ).to_crs("EPSG:4326")  # fmt: skip
    page = _maps(rivers, detections, tracks)
    assert "alt='map of Yavarí'" in page
    assert page.count("alt='map of ") == 12
    assert "1 more river with no more dredges counted than those drawn, not drawn: Río L." in page


def test_the_note_of_rivers_not_drawn_says_fewer_only_where_they_have_fewer(
    tmp_path: Path,
) -> None:
    """13 rivers with one dredge counted each, one more detection on each of the first 12:
    the 13th, as many dredges counted as every river drawn and fewer detections, was said to
    have "fewer dredges counted". Where each river left has fewer than every river drawn,
    the note says so as before."""
    names = [f"Río {chr(65 + i)}" for i in range(13)]
    lines = {n: LineString([(500_000 + 1000 * i, 9_500_000), (500_000 + 1000 * i, 9_502_000)])
             for i, n in enumerate(names)}  # fmt: skip
    rivers = RiverNetwork.read(write_rivers(tmp_path / "r.geojson", lines, crs="EPSG:32718"))
    middle = {n: line.interpolate(0.5, normalized=True) for n, line in lines.items()}
    on = names + names[:12]  # two detections on each of the first 12 rivers, one on Río M

    def maps(counted: list[bool]) -> str:
        detections = gpd.GeoDataFrame(
            {"river": on}, geometry=[middle[n].buffer(10) for n in on], crs="EPSG:32718"
        ).to_crs("EPSG:4326")
        tracks = gpd.GeoDataFrame(
            {"river": names, "counted": counted, "n_dates": [2] * 13,
             "first_seen": pd.to_datetime(["2024-03-01"] * 13, utc=True)},
            geometry=[middle[n] for n in names],
            crs="EPSG:32718",
        ).to_crs("EPSG:4326")  # fmt: skip
        return _maps(rivers, detections, tracks)

    page = maps([True] * 13)
    assert page.count("alt='map of ") == 12 and "alt='map of Río M'" not in page
    assert "fewer dredges" not in page
    assert "1 more river with no more dredges counted than those drawn, not drawn: Río M." in page
    page = maps([True] * 12 + [False])
    assert "1 more river with fewer dredges counted not drawn: Río M." in page


def test_a_run_without_detections_maps_the_rivers_its_scenes_looked_at(tmp_path: Path) -> None:
    """With no detection the maps were of the first rivers of the file, covered or not."""
    lines = {n: LineString([(500_000 + 1000 * i, 9_500_000), (500_000 + 1000 * i, 9_502_000)])
             for i, n in enumerate(["Itaya", "Nanay", "Santiago"])}  # fmt: skip
    rivers = RiverNetwork.read(write_rivers(tmp_path / "r.geojson", lines, crs="EPSG:32718"))
    empty = gpd.GeoDataFrame({"river": []}, geometry=[], crs="EPSG:4326")
    tracks = gpd.GeoDataFrame({"river": [], "counted": []}, geometry=[], crs="EPSG:4326")
    seen = pd.DataFrame({"river": ["Nanay", "Nanay"], "date": ["2024-01-10", "2024-02-10"]})
    page = _maps(rivers, empty, tracks, seen)
    assert page.count("alt='map of ") == 1 and "alt='map of Nanay'" in page
    page = _maps(rivers, empty, tracks)  # scenes' coverage not known: every river
    assert page.count("alt='map of ") == 3


def test_the_rivers_imaged_without_a_detection_are_named_under_the_maps(tmp_path: Path) -> None:
    """The maps are of the rivers with detections: of three rivers imaged, a run with
    detections on one drew one map, and nothing on the page said the other two were imaged and
    had none (the README promises a map per river). They are named under the maps; a river
    the scenes never looked at is not."""
    names = ["Itaya", "Nanay", "Río <Cenepa>", "Yavarí"]
    lines = {n: LineString([(500_000 + 1000 * i, 9_500_000), (500_000 + 1000 * i, 9_502_000)])
             for i, n in enumerate(names)}  # fmt: skip
    rivers = RiverNetwork.read(write_rivers(tmp_path / "r.geojson", lines, crs="EPSG:32718"))
    middle = lines["Nanay"].interpolate(0.5, normalized=True)
    detections = gpd.GeoDataFrame(
        {"river": ["Nanay"]}, geometry=[middle.buffer(10)], crs="EPSG:32718"
    ).to_crs("EPSG:4326")
    tracks = gpd.GeoDataFrame({"river": [], "counted": []}, geometry=[], crs="EPSG:4326")
    seen = pd.DataFrame({"river": ["Nanay", "Río <Cenepa>", "Itaya"], "date": ["2024-01-10"] * 3})
    page = _maps(rivers, detections, tracks, seen)
    assert page.count("alt='map of ") == 1 and "alt='map of Nanay'" in page
    assert "2 rivers imaged with no detection are not drawn: Itaya, Río &lt;Cenepa&gt;." in page
    assert "Yavarí" not in page  # not imaged
    one = _maps(rivers, detections, tracks, seen[seen["river"] != "Itaya"])
    assert "1 river imaged with no detection is not drawn: Río &lt;Cenepa&gt;." in one
    assert "imaged with no detection" not in _maps(rivers, detections, tracks)  # not known


def test_a_run_whose_scenes_observed_no_river_says_so_instead_of_mapping_every_river(
    tmp_path: Path,
) -> None:
    """An empty tracks.observations.csv (scenes read, every one off the rivers) was read as a
    missing one, coverage not known, and the maps drew every river of the file. A missing
    file still maps every river; an empty one says no river was observed."""
    rivers = _empty_run(tmp_path)
    manifest = {"scenes": ["far_a.tif", "far_b.tif"], "failures": []}
    page = write_report(tmp_path, manifest, rivers=rivers).read_text(encoding="utf-8")
    assert "alt='map of Nanay'" in page  # no observations file: not known, every river
    columns = "river,date,scenes,source,river_km,seen_km,seen_chainage_m\n"
    (tmp_path / "tracks.observations.csv").write_text(columns, encoding="utf-8-sig")
    page = write_report(tmp_path, manifest, rivers=rivers).read_text(encoding="utf-8")
    assert "alt='map of " not in page
    assert "No river was observed" in page


class _CountedList(list[dict[str, str]]):
    """A list that counts how often it is gone through."""

    passes = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.passes += 1
        return super().__iter__()


def _empty_run(out: Path) -> RiverNetwork:
    """A run folder with no detection (enough for the report) and its rivers."""
    line = {"Nanay": LineString([(500_000, 9_500_000), (500_000, 9_502_000)])}
    rivers = RiverNetwork.read(write_rivers(out / "r.geojson", line, crs="EPSG:32718"))
    columns = ["detection_id", "scene", "acquired", "class_name", "score", "river", "track_id"]
    empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs="EPSG:4326")
    empty.to_parquet(out / "tracks.detections.parquet")
    tracks = gpd.GeoDataFrame(
        {"track_id": [], "river": [], "counted": [], "static": []}, geometry=[], crs="EPSG:4326"
    )
    tracks.to_parquet(out / "tracks.parquet")
    counts = {"river": ["Nanay"], "year": [2024], "scenes": [3], "unique_high": [0]}
    pd.DataFrame(counts).to_csv(out / "counts.csv", index=False)
    return rivers


def test_a_run_with_thousands_of_failed_scenes_gets_a_short_report_quickly(
    tmp_path: Path,
) -> None:
    """A search over a whole region gives scenes that miss every river, and each fails. The
    failed scenes were gone through once for every scene (a report of 20,465 scenes, 20,000
    failed, took 95 s instead of 7 s) and listed twice in full (8.5 MB of 0.7). The page lists
    the first 200, and names failures.csv for the rest."""
    rivers = _empty_run(tmp_path)
    failures = _CountedList(
        {"scene": f"far_{i:04d}.tif", "error": f"far_{i:04d}.tif: does not overlap any river"}
        for i in range(1500)
    )
    card = {"input": {"bands": ["red", "green", "blue"], "gsd_m": 3.0, "scale": "display"}}
    scenes = [f["scene"] for f in failures] + ["20240105_x.tif", "20240205_x.tif"]
    manifest = {"scenes": scenes, "failures": failures, "model": card}
    page = write_report(tmp_path, manifest, rivers=rivers).read_text()
    assert failures.passes < 10  # not once per scene
    assert "<b>1,500 scenes failed</b> and are not in the counts" in page
    assert "far_0199.tif" in page and "far_0200.tif" not in page
    assert "… and 1,300 more: every failed scene and its error is in failures.csv" in page


def test_the_page_shows_scene_links_without_their_signed_query(tmp_path: Path) -> None:
    """The report is made to be shared, and it printed each scene's link whole, in the scene
    list, the failed scenes, the command and the notes: a Planet ``…/download?token=…`` or an
    S3 presigned link (``X-Amz-Credential``, ``X-Amz-Signature``) fetched the scene for anyone
    who read the page until it expired. The page shows the links without their query (they
    are whole in run.json and manifest.csv, for a rerun)."""
    rivers = _empty_run(tmp_path)
    planet = "https://api.planet.com/data/v1/assets/abc/download?token=SECRET1"
    s3 = (
        "https://b.s3.amazonaws.com/s/a_SR.tif?X-Amz-Credential=AKIASECRET2%2F20240101"
        "&X-Amz-Signature=SECRET3"
    )
    manifest = {
        "scenes": [planet, s3, "scenes/20240105_x.tif"],
        "failures": [{"scene": s3, "error": f"{s3}: answered 403 Forbidden"}],
        "notes": [f"{planet}: no date in its name; dated by its STAC item"],
        "command": f"dredge run '{planet}' '{s3}' --rivers r.geojson --out run",
    }
    page = write_report(tmp_path, manifest, rivers=rivers).read_text(encoding="utf-8")
    assert "SECRET" not in page
    assert "https://api.planet.com/data/v1/assets/abc/download?…" in page
    assert "https://b.s3.amazonaws.com/s/a_SR.tif?…: answered 403 Forbidden" in page
    assert "scenes/20240105_x.tif" in page


def test_the_page_shows_scene_links_without_their_user_name_and_password(tmp_path: Path) -> None:
    """A link with a user name and password (``https://user:password@host/…``, Planet's API
    key as ``https://KEY:@api.planet.com/…``), which GDAL's curl sends to the server, was printed
    whole in the scene list, the failed scenes and the command: anyone who read the shared page
    had the password. The page shows ``https://…@host/…`` (run.json keeps the link whole)."""
    rivers = _empty_run(tmp_path)
    basic = "https://analyst:SECRET1@data.example.org/scenes/20240105_SR.tif"
    planet = "/vsicurl/https://SECRET2:@api.planet.com/data/v1/assets/abc/download"
    manifest = {
        "scenes": [basic, planet, "scenes/a@home.tif"],
        "failures": [{"scene": planet, "error": f"{planet}: answered 403 Forbidden"}],
        "command": f"dredge run '{basic}' '{planet}' --rivers r.geojson --out run",
    }
    page = write_report(tmp_path, manifest, rivers=rivers).read_text(encoding="utf-8")
    assert "SECRET" not in page
    assert "https://…@data.example.org/scenes/20240105_SR.tif" in page
    assert "/vsicurl/https://…@api.planet.com/data/v1/assets/abc/download: answered 403" in page
    assert "scenes/a@home.tif" in page  # an @ in a path is no password


def test_the_page_holds_no_control_character_of_a_river_name_or_note(tmp_path: Path) -> None:
    """A river name pasted from a PDF or Excel with a control character (``Santiago\\x08``),
    an escape code in a tool's error: they went into the page as they were, and HTML forbids
    them (a parse error: the page is not valid HTML), as dredges.kml's XML does. They are
    left out of the page's text, as of dredges.kml."""
    import re

    rivers = _empty_run(tmp_path)
    named = "Santiago\x08 bajo\x7f\x85"
    counts = {"river": [named], "year": [2024], "scenes": [3], "unique_high": [0]}
    pd.DataFrame(counts).to_csv(tmp_path / "counts.csv", index=False)
    manifest = {
        "scenes": ["a.tif", "b\x01.tif"],
        "failures": [{"scene": "b\x01.tif", "error": "b\x01.tif: GDAL said \x1b[31mno\x1b[0m"}],
        "notes": [f"river {named}: no scene"],
    }
    page = write_report(tmp_path, manifest, rivers=rivers).read_text(encoding="utf-8")
    # HTML's parse errors: controls but tab, LF, FF, CR and space; C1 controls; noncharacters
    forbidden = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
    assert not forbidden.findall(page)
    assert "<td class=l>Santiago bajo</td>" in page
    assert "b.tif: GDAL said [31mno[0m" in page


def test_the_summary_counts_only_the_rivers_with_a_dredge_counted() -> None:
    """The demo's summary said "15 dredges counted on 3 river(s)": Itaya, imaged, had none."""
    counts = pd.DataFrame(
        {"river": ["Itaya", "Nanay", "Santiago"], "year": [2024] * 3, "scenes": [5] * 3,
         "unique_dredges": [0, 2, 1], "unique_high": [0, 2, 1]}
    )  # fmt: skip
    tracks = pd.DataFrame(
        {"river": ["Nanay", "Nanay", "Santiago", "Itaya"], "counted": [True, True, True, False],
         "static": [False] * 4}
    )  # fmt: skip
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, pd.DataFrame())
    assert "<b>3</b> dredges counted on 2 of the 3 rivers imaged, 2024." in text
    text = _summary(
        {"scenes": ["a.tif"]}, pd.DataFrame(), tracks.assign(counted=True), counts, pd.DataFrame()
    )
    assert "<b>4</b> dredges counted on 3 rivers, 2024." in text


def test_the_summary_of_a_one_year_run_names_the_year_once() -> None:
    counts = pd.DataFrame({"river": ["Nanay"], "year": [2024], "scenes": [5], "unique_high": [1]})
    tracks = pd.DataFrame({"counted": [True], "static": [False]})
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, pd.DataFrame())
    assert "counted on 1 river, 2024. " in text and "2024–2024" not in text
    counts = pd.concat([counts, counts.assign(year=2025)])
    text = _summary({"scenes": ["a.tif"]}, pd.DataFrame(), tracks, counts, pd.DataFrame())
    assert "counted on 1 river, 2024–2025. " in text


def test_a_run_whose_every_scene_failed_has_no_map(tmp_path: Path) -> None:
    """Every scene failed: the maps drew every river of the file as if the run had looked at
    it (3 maps of the demo's rivers for 2 unreadable scenes). The page says there is nothing
    to map."""
    rivers = _empty_run(tmp_path)
    failures = [{"scene": s, "error": f"{s}: is not a readable raster"} for s in ("a.tif", "b.tif")]
    manifest = {"scenes": ["a.tif", "b.tif"], "failures": failures}
    page = write_report(tmp_path, manifest, rivers=rivers).read_text(encoding="utf-8")
    assert "alt='map of " not in page
    assert "No scene was read (every one failed)" in page
    manifest["failures"] = failures[:1]
    page = write_report(tmp_path, manifest, rivers=rivers).read_text(encoding="utf-8")
    assert "alt='map of Nanay'" in page


def test_a_long_path_in_the_failures_table_wraps_within_the_page(tmp_path: Path) -> None:
    """A scene's path or link has no space to break at: the failures table (and a note) grew
    past the page's width, cut off at the window's edge. Table cells and list items may break
    anywhere, by the page's own style (nothing loaded)."""
    import re

    rivers = _empty_run(tmp_path)
    long = "https://data.example.org/" + "/".join(f"folder_{i:03d}" for i in range(40)) + "/a.tif"
    manifest = {
        "scenes": [long, "b.tif"],
        "failures": [{"scene": long, "error": f"{long}: answered 404"}],
        "notes": [f"{long}: no date in its name"],
    }
    page = write_report(tmp_path, manifest, rivers=rivers).read_text(encoding="utf-8")
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    wraps = {
        selector.strip()
        for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", style)
        if "overflow-wrap:anywhere" in body.replace(" ", "")
        for selector in selectors.split(",")
    }
    assert {"td", "li"} <= wraps
    assert "<link" not in page and "<script" not in page


def test_rivers_with_as_many_dredges_are_mapped_by_detections_without_duplicates(
    tmp_path: Path,
) -> None:
    """Of two rivers with no dredge counted, Itaya's 3 detections (2 of them its one detection
    seen again in scenes of the same pass) ranked it before Nanay's 2: counts.csv and the map
    titles say 1 and 2."""
    lines = {n: LineString([(500_000 + 1000 * i, 9_500_000), (500_000 + 1000 * i, 9_502_000)])
             for i, n in enumerate(["Itaya", "Nanay"])}  # fmt: skip
    rivers = RiverNetwork.read(write_rivers(tmp_path / "r.geojson", lines, crs="EPSG:32718"))
    detections = pd.DataFrame(
        {
            "river": ["Itaya"] * 3 + ["Nanay"] * 2,
            "link": ["new", "duplicate", "duplicate", "new", "stay"],
        }
    )
    tracks = pd.DataFrame({"river": ["Itaya", "Nanay"], "counted": [False, False]})
    assert _mapped_rivers(rivers, detections, tracks) == ["Nanay", "Itaya"]
