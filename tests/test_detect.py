"""Batch detection: boxes land on the map, a dredge cut by tile edges is reported once, scenes
on several CRSs end in one EPSG:4326 table, and bad scenes are one line each while the batch
goes on. Most tests use a bright-blob detector so that the truth is exact; the CLI test runs the
real pipeline with an untrained YOLO11n."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS
from shapely import LineString, Point
from typer.testing import CliRunner

from detector.cli import app
from detector.detect import DETECTION_COLUMNS, detect_scenes, output_format, write_detections
from tests.geo_fixtures import SceneFixture, truncate, write_rivers, write_scene
from tests.model_fixtures import BrightBlobDetector, card_for_blobs, write_untrained_model

PLANET = "20240115_143000_00_2400_3B_AnalyticMS_SR.tif"
# Bright dredges as (row0, row1, col0, col1) pixel ranges of a 600 × 600 px scene at 3 m. Tiles
# of 256 px with 32 px overlap start at 0, 224 and 344 on both axes.
EDGE_CUT = (240, 244, 250, 262)  # across col 256 and inside rows 224–256: in four tiles
PAIR = ((341, 345, 338, 350), (347, 351, 338, 350))  # 18 m apart, cut by row and col 344
OFF_RIVER = (20, 24, 200, 212)  # 390 m from the river: outside the corridor
DREDGES = (EDGE_CUT, *PAIR)


def _scene(path: Path, *, crs: str = "EPSG:32718", **kwargs: object) -> SceneFixture:
    """A 600 px scene with a diagonal river and the bright dredges painted on it."""
    gsd = 3.0 / 111_320 if crs == "EPSG:4326" else 3.0
    fixture = write_scene(
        path, crs=crs, gsd_m=gsd, width=600, height=600, dredge_fractions=(), **kwargs
    )
    with rasterio.open(path, "r+") as dst:
        data = dst.read()
        for row0, row1, col0, col1 in (*DREDGES, OFF_RIVER):
            data[:, row0:row1, col0:col1] = 9000 if data.dtype == np.uint16 else 250
        dst.write(data)
    return fixture


def _truth_lonlat(fixture: SceneFixture) -> list[Point]:
    to_wgs84 = Transformer.from_crs(fixture.crs, "EPSG:4326", always_xy=True)
    points = []
    for row0, row1, col0, col1 in DREDGES:
        x, y = fixture.transform @ ((col0 + col1) / 2, (row0 + row1) / 2)
        points.append(Point(to_wgs84.transform(x, y)))
    return points


def _metres_to_nearest(frame: gpd.GeoDataFrame, truth: list[Point]) -> list[float]:
    """For each truth point, the distance in metres to the nearest detection centre."""
    utm = frame.to_crs("EPSG:32718").geometry.centroid
    targets = gpd.GeoSeries(truth, crs="EPSG:4326").to_crs("EPSG:32718")
    return [float(utm.distance(point).min()) for point in targets]


def _rivers(tmp_path: Path, fixture: SceneFixture) -> Path:
    return write_rivers(tmp_path / "rivers.geojson", {"nanay": fixture.river}, crs=fixture.crs)


def test_edge_cut_dredge_once_pair_twice_off_river_left_out(tmp_path: Path) -> None:
    fixture = _scene(tmp_path / PLANET)
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    lines: list[str] = []

    frame, failures = detect_scenes(
        [fixture.path],
        _rivers(tmp_path, fixture),
        model=detector,
        progress=False,
        echo=lines.append,
    )

    assert failures == []
    assert len(frame) == 3  # the edge-cut dredge once, the pair as two
    assert max(_metres_to_nearest(frame, _truth_lonlat(fixture))) < 3.0
    assert tuple(frame.columns) == DETECTION_COLUMNS
    assert frame.crs.to_epsg() == 4326
    assert set(frame["river"]) == {"nanay"} and frame["chainage_m"].between(0, 2600).all()
    assert frame["offset_m"].abs().max() < 30
    assert set(frame["class_name"]) == {"dredge"} and set(frame["sensor"]) == {"planetscope"}
    assert (frame["acquired"] == pd.Timestamp("2024-01-15T14:30:00Z")).all()
    assert frame["detection_id"].is_unique
    assert frame["detection_id"].str.startswith(fixture.path.stem).all()
    (summary,) = lines
    assert summary.startswith(f"{PLANET}: ") and "3 detections (3 dredge)" in summary
    assert "merged" in summary and "1 off-river left out" in summary


@pytest.mark.parametrize("overlap_px", [0, 2])
def test_a_card_with_little_tile_overlap_still_finds_an_edge_cut_dredge_once(
    tmp_path: Path, overlap_px: int
) -> None:
    """A card whose tiles overlap by less than a hull (0 or 6 m): the 36 m dredge across column
    256 lay whole in no tile, and its two parts, side by side with little or no overlap, were
    two dredges. Tiles for detection overlap by at least MIN_OVERLAP_M, whatever the card."""
    fixture = _scene(tmp_path / PLANET)
    blobs = card_for_blobs(tmp_path / "model")
    card = replace(blobs, input=replace(blobs.input, overlap_px=overlap_px))
    frame, failures = detect_scenes(
        [fixture.path],
        _rivers(tmp_path, fixture),
        model=BrightBlobDetector(card),
        progress=False,
        echo=lambda line: None,
    )
    assert failures == []
    assert len(frame) == 3  # the edge-cut dredge once, the pair as two
    assert max(_metres_to_nearest(frame, _truth_lonlat(fixture))) < 3.0


@pytest.mark.parametrize(
    "kind",
    ["south_up", "origin_top_right", "pixels_3_by_5_m"],
)
def test_boxes_land_on_their_dredges_whatever_the_geotransform(tmp_path: Path, kind: str) -> None:
    """A scene stored bottom row first (origin at its bottom-left), right to left, or with
    pixels 3 m wide and 5 m tall: each bright dredge is found once, where it is on the map."""
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32718", always_xy=True).transform(-73.3, -3.75)
    transform = {
        "south_up": Affine(3.0, 0.0, x, 0.0, 3.0, y - 900.0),
        "origin_top_right": Affine(-3.0, 0.0, x + 900.0, 0.0, -3.0, y),
        "pixels_3_by_5_m": Affine(3.0, 0.0, x, 0.0, -5.0, y),
    }[kind]
    data = np.full((4, 300, 300), 900, dtype="uint16")
    dredges = ((50, 53, 60, 68), (140, 143, 150, 158), (230, 233, 210, 218))
    for row0, row1, col0, col1 in dredges:
        data[:, row0:row1, col0:col1] = 9000
    path = tmp_path / PLANET
    profile = {"driver": "GTiff", "width": 300, "height": 300, "count": 4, "dtype": "uint16"}
    with rasterio.open(
        path, "w", crs="EPSG:32718", transform=transform, nodata=0, **profile
    ) as dst:
        dst.write(data)
    river = LineString([transform @ (0, 0), transform @ (300, 300)])
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": river}, crs="EPSG:32718")
    frame, failures = detect_scenes(
        [path],
        rivers,
        model=BrightBlobDetector(card_for_blobs(tmp_path / "model")),
        max_land=None,
        progress=False,
        echo=lambda line: None,
    )
    to_wgs84 = Transformer.from_crs("EPSG:32718", "EPSG:4326", always_xy=True)
    truth = [
        Point(to_wgs84.transform(*(transform @ ((c0 + c1) / 2, (r0 + r1) / 2))))
        for r0, r1, c0, c1 in dredges
    ]
    assert failures == [] and len(frame) == 3
    assert max(_metres_to_nearest(frame, truth)) < 1.5  # resampled 5 m rows: within a pixel


def test_a_hull_boxed_twice_at_a_confluence_is_one_detection(tmp_path: Path) -> None:
    """Two boxes 9 m apart on one hull where a tributary meets the river, one nearer each
    river: the rule that keeps one box per hull compared boxes of one river, and both were
    kept (2 dredges for 1); the boxes of a hull or a group go to one river first."""
    fixture = write_scene(tmp_path / PLANET, width=600, height=600, dredge_fractions=())
    with rasterio.open(fixture.path, "r+") as dst:
        data = dst.read()
        for row0, row1, col0, col1 in ((297, 299, 308, 312), (300, 302, 308, 312)):
            data[:, row0:row1, col0:col1] = 9000
        dst.write(data)
    tributary = LineString([fixture.transform @ (500, 100), fixture.transform @ (300, 300)])
    rivers = write_rivers(
        tmp_path / "rivers.geojson", {"Amazon": fixture.river, "Nanay": tributary}, crs=fixture.crs
    )
    lines: list[str] = []
    frame, _ = detect_scenes(
        [fixture.path],
        rivers,
        model=BrightBlobDetector(card_for_blobs(tmp_path / "model")),
        progress=False,
        echo=lines.append,
    )
    assert len(frame) == 1, lines
    assert "1 second box on one hull dropped" in lines[0]


def _detect_beside_original(
    tmp_path: Path,
    fixture: SceneFixture,
    path: Path,
    dates: dict[str, datetime] | None = None,
) -> tuple[gpd.GeoDataFrame, list[Any], list[str]]:
    """Detect ``path`` (a changed copy of the fixture's scene) and the original with the
    bright-blob detector: the detections, failures and summary lines."""
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    lines: list[str] = []
    frame, failures = detect_scenes(
        [path, fixture.path],
        _rivers(tmp_path, fixture),
        model=detector,
        dates=dates,
        progress=False,
        echo=lines.append,
    )
    return frame, failures, lines


def test_how_float_values_were_read_is_in_the_scene_summary(tmp_path: Path) -> None:
    """Float scenes are scaled by their sampled values (detector.scaling): the summary line
    says how, so that a wrong guess can be seen; integer reflectance says nothing."""
    fixture = _scene(tmp_path / "source" / PLANET)
    path = tmp_path / "float_export.tif"
    with rasterio.open(fixture.path) as src:
        profile = src.profile | {"dtype": "float32", "predictor": 1}
        data = src.read().astype("float32")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    when = {str(path): datetime(2024, 1, 15, 14, 30, tzinfo=UTC)}
    frame, failures, lines = _detect_beside_original(tmp_path, fixture, path, when)
    assert failures == [] and (frame["scene"] == path.name).sum() == 3
    floats, planet = sorted(lines, key=lambda line: not line.startswith("float_export"))
    assert floats.endswith("; float values read as reflectance × 10,000")
    assert "read as" not in planet


def test_several_crs_in_one_wgs84_table(tmp_path: Path) -> None:
    scenes = [
        _scene(tmp_path / "s" / "20240115_143000_00_2400_3B_AnalyticMS_SR.tif"),
        _scene(tmp_path / "s" / "20240301_143000_00_2400_3B_AnalyticMS_SR.tif", crs="EPSG:3857"),
        _scene(tmp_path / "s" / "20240501_143000_00_2400_3B_AnalyticMS_SR.tif", crs="EPSG:4326"),
    ]
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))

    frame, failures = detect_scenes(
        [tmp_path / "s"], _rivers(tmp_path, scenes[0]), model=detector, batch=5, progress=False
    )

    assert failures == []
    assert frame.crs.to_epsg() == 4326
    assert frame.groupby("scene").size().to_dict() == {s.path.name: 3 for s in scenes}
    for fixture in scenes:
        rows = frame[frame["scene"] == fixture.path.name]
        assert max(_metres_to_nearest(rows, _truth_lonlat(fixture))) < 4.5, fixture.crs
    tiles = sum(detector.batch_sizes)
    assert max(detector.batch_sizes) <= 5
    assert len(detector.batch_sizes) == math.ceil(tiles / 5)  # batches span scenes
    path = write_detections(frame, tmp_path / "d.parquet")
    again = gpd.read_parquet(path)
    assert again.crs.to_epsg() == 4326 and tuple(again.columns) == DETECTION_COLUMNS
    assert str(again["acquired"].dtype) == "datetime64[us, UTC]"
    for fmt in ("gpkg", "geojson"):
        other = gpd.read_file(write_detections(frame, tmp_path / f"d.{fmt}", fmt))
        assert len(other) == 9 and other.crs.to_epsg() == 4326
        assert set(DETECTION_COLUMNS) <= set(other.columns)
        # by the suffix, as `dredge detect --out` (the API wrote GeoParquet under any name)
        by_suffix = gpd.read_file(write_detections(frame, tmp_path / f"s.{fmt}"))
        assert len(by_suffix) == 9 and set(DETECTION_COLUMNS) <= set(by_suffix.columns)
    with pytest.raises(ValueError, match=r"no detections format ends in '\.csv'"):
        write_detections(frame, tmp_path / "d.csv")
    assert not (tmp_path / "d.csv").exists()


def test_a_run_that_saves_each_scene_does_not_hold_them_all(tmp_path: Path) -> None:
    """``dredge run`` saves each scene's detections as it finishes (``on_scene``), yet every
    scene's table was also held to the end (about 10 kB a scene: 240 MB at 24,000 scenes) and
    concatenated into a table nobody read; with ``keep=False`` only ``on_scene`` gets them."""
    scenes = [
        _scene(tmp_path / "s" / "20240115_143000_00_2400_3B_AnalyticMS_SR.tif"),
        _scene(tmp_path / "s" / "20240301_143000_00_2400_3B_AnalyticMS_SR.tif"),
    ]
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    saved: list[gpd.GeoDataFrame] = []
    frame, failures = detect_scenes(
        [tmp_path / "s"],
        _rivers(tmp_path, scenes[0]),
        model=detector,
        progress=False,
        on_scene=lambda _path, found, _error: saved.append(found),
        keep=False,
    )
    assert failures == [] and len(frame) == 0 and tuple(frame.columns) == DETECTION_COLUMNS
    assert [len(found) for found in saved] == [3, 3]


def test_bad_scenes_are_one_line_each_and_the_batch_goes_on(tmp_path: Path) -> None:
    folder = tmp_path / "scenes"
    good = _scene(folder / PLANET)
    bad = {
        "no_crs.tif": write_scene(folder / "no_crs.tif", with_crs=False, width=60, height=60),
        "cut.tif": _scene(folder / "2024-02-01_cut.tif"),
        "far.tif": write_scene(
            folder / "2024-02-02_far.tif", width=60, height=60, centre_lonlat=(-74.5, -3.75)
        ),
        "empty.tif": write_scene(folder / "2024-02-03_empty.tif", width=300, height=300),
        "rgb.tif": write_scene(
            folder / "2024-02-04_rgb.tif", bands=3, dtype="uint8", width=300, height=300
        ),
        "undated.tif": write_scene(folder / "undated.tif", width=300, height=300),
        "north.tif": _scene(folder / "2024-02-05_north.tif"),
    }
    truncate(bad["cut.tif"].path)
    with rasterio.open(bad["north.tif"].path, "r+") as dst:
        dst.crs = CRS.from_epsg(32618)  # zone 18N picked for zone 18S's coordinates
    with rasterio.open(bad["empty.tif"].path, "r+") as dst:
        dst.write(np.zeros((dst.count, dst.height, dst.width), dtype=np.uint16))
    card = card_for_blobs(tmp_path / "model", bands=("nir", "red", "green"))
    errors: list[str] = []

    frame, failures = detect_scenes(
        [folder],
        _rivers(tmp_path, good),
        model=BrightBlobDetector(card),
        progress=False,
        warn=errors.append,
    )

    assert set(frame["scene"]) == {PLANET} and len(frame) == 3
    assert len(failures) == len(errors) == len(bad)
    assert all(line.startswith("error: ") and "\n" not in line for line in errors)
    reasons = {Path(path).name: message for path, message in failures}
    expected = {
        "no_crs.tif": "has no CRS",
        "2024-02-01_cut.tif": "is truncated",
        "2024-02-02_far.tif": "does not overlap any river corridor",
        "2024-02-03_empty.tif": "has no valid pixels where it meets the rivers",
        "2024-02-04_rgb.tif": "has no nir band that model test-blobs needs",
        "undated.tif": "acquisition date unknown",
        "2024-02-05_north.tif": "but in EPSG:32718 (the same UTM zone, other hemisphere) it "
        "lies on nanay — if that is where it was taken, set it: gdal_edit.py -a_srs EPSG:32718",
    }
    assert set(reasons) == set(expected)
    for name, fragment in expected.items():
        assert reasons[name].startswith(str(folder / name)) and fragment in reasons[name]
        assert " — " in reasons[name]  # every line says how to fix it


def test_cli_detect_with_an_untrained_yolo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DREDGE_CACHE_DIR", str(tmp_path / "cache"))
    weights = write_untrained_model(tmp_path / "model")
    folder = tmp_path / "scenes"
    good = _scene(folder / PLANET)
    write_scene(folder / "no_crs.tif", with_crs=False, width=60, height=60)
    rivers = _rivers(tmp_path, good)
    out = tmp_path / "out" / "detections.parquet"
    base = ["detect", str(folder), "--rivers", str(rivers), "--model", str(weights)]
    runner = CliRunner()

    result = runner.invoke(app, [*base, "--out", str(out), "--batch", "4"])

    assert result.exit_code == 1, result.output
    assert "model: test-tiny (onnxruntime on cpu" in result.stdout
    assert f"{PLANET}: " in result.stdout and "→" in result.stdout
    assert "1 of 2 scenes failed" in result.stderr
    failures = out.with_name("detections.failures.csv")
    with failures.open(encoding="utf-8-sig") as handle:
        assert [Path(row["scene"]).name for row in csv.DictReader(handle)] == ["no_crs.tif"]
    assert failures.read_bytes().startswith(b"\xef\xbb\xbfscene,error")  # Excel: accents
    frame = gpd.read_parquet(out)
    assert frame.crs.to_epsg() == 4326 and tuple(frame.columns) == DETECTION_COLUMNS
    assert len(frame) > 0 and frame["score"].min() >= 0.25
    assert set(frame["class_name"]) <= {"dredge", "boat"}

    again = runner.invoke(app, [*base, "--out", str(out)])
    assert again.exit_code == 2 and "exists — choose another --out, or pass --overwrite" in (
        again.stderr
    )
    gpkg = tmp_path / "out" / "detections.gpkg"
    only_good = ["detect", str(good.path), *base[2:], "--out", str(gpkg), "--no-progress"]
    result = runner.invoke(app, only_good)
    assert result.exit_code == 0, result.output
    assert len(gpd.read_file(gpkg)) == len(frame)


def test_cli_detect_of_one_scene_that_fails_says_so_in_the_singular(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge detect` of one scene that cannot be read ended '1 of 1 scene(s) failed'."""
    import detector.model

    blobs: Any = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    blobs.describe, blobs.notes = (lambda: "bright blobs"), []
    monkeypatch.setattr(detector.model, "load_model", lambda *args, **kwargs: blobs)
    rivers = _rivers(tmp_path, _scene(tmp_path / "good" / PLANET))
    broken = write_scene(tmp_path / "no_crs.tif", with_crs=False, width=60, height=60)
    out = tmp_path / "detections.parquet"
    args = ["detect", str(broken.path), "--rivers", str(rivers), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 1, result.output
    failures = out.with_name("detections.failures.csv")
    assert result.stderr.strip().endswith(f"error: 1 of 1 scene failed; see {failures}")


@pytest.mark.parametrize("name", ["detections.csv", "detections.shp", "detections.kml"])
def test_detections_to_a_file_of_no_known_format_is_one_clear_error(
    tmp_path: Path, name: str
) -> None:
    """`--out detections.csv` (to open in Excel) wrote GeoParquet under that name, without a
    word; it is refused before any work, as `dredge counts` refuses `counts.xml`."""
    fixture = _scene(tmp_path / PLANET)
    out = tmp_path / name
    args = ["detect", str(fixture.path), "--rivers", str(_rivers(tmp_path, fixture))]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--no-progress"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{out}: no detections format ends in" in lines[0]
    assert "end the name in .parquet, .gpkg or .geojson, or give --format" in lines[0]
    assert not out.exists()
    assert output_format(out, "geojson") == "geojson"  # --format still names any file
    assert output_format(tmp_path / "detections") == "parquet"
    assert output_format(tmp_path / "d.GeoParquet") == "parquet"


def test_detections_named_for_another_format_than_format_is_one_clear_error(
    tmp_path: Path,
) -> None:
    """`--out d.parquet --format geojson` wrote GeoJSON under that name (GeoPandas' Parquet
    reader refused it), as `dredge counts --out c.json --format csv` wrote CSV."""
    fixture = _scene(tmp_path / PLANET)
    out = tmp_path / "d.parquet"
    args = ["detect", str(fixture.path), "--rivers", str(_rivers(tmp_path, fixture))]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--format", "geojson"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"error: {out}: --format is geojson, but the name ends in .parquet — end it in "
        ".geojson, or leave --format out"
    )
    assert not out.exists()
    assert output_format(tmp_path / "d.json", "geojson") == "geojson"
    assert output_format(tmp_path / "d.GPKG", "gpkg") == "gpkg"
    with pytest.raises(ValueError, match=r"--format is parquet, but the name ends in \.gpkg"):
        output_format(tmp_path / "d.gpkg", "parquet")


def test_cli_detect_takes_a_stac_file_and_its_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dredge detect` reads SCENES as `dredge run` does: an undated scene named by a STAC item
    takes the item's datetime (it was taken for a file named items.json and failed)."""
    monkeypatch.setenv("DREDGE_CACHE_DIR", str(tmp_path / "cache"))
    weights = write_untrained_model(tmp_path / "model")
    good = _scene(tmp_path / "scenes" / "pass_a.tif")
    item = {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": "pass_a",
        "geometry": None,
        "properties": {"datetime": "2024-03-02T15:00:00Z"},
        "links": [],
        "assets": {"data": {"href": "scenes/pass_a.tif", "type": "image/tiff", "roles": ["data"]}},
    }
    collection = tmp_path / "items.json"
    collection.write_text(json.dumps({"type": "FeatureCollection", "features": [item]}))
    out = tmp_path / "detections.parquet"
    args = ["detect", str(collection), "--rivers", str(_rivers(tmp_path, good))]
    result = CliRunner().invoke(app, [*args, "--model", str(weights), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = gpd.read_parquet(out)
    assert len(frame) and (frame["acquired"] == pd.Timestamp("2024-03-02 15:00", tz="UTC")).all()


def test_a_scene_line_counts_one_of_each_in_the_singular() -> None:
    """A scene's line said '1 duplicate(s) from tile overlaps merged', '1 second box(es) on
    one hull dropped' and '1 group member(s) …'."""
    from detector.detect import _summary

    frame = pd.DataFrame({"class_name": ["dredge"]})
    counts = {"merged": 1, "same hull": 1, "members": 1, "on land": 2}
    assert _summary("s.tif", 1, frame, counts) == (
        "s.tif: 1 tile, 1 detection (1 dredge); 1 duplicate from tile overlaps merged, 2 on "
        "land left out, 1 second box on one hull dropped, 1 group member scored under --conf "
        "kept beside a confident dredge"
    )
    counts = {"merged": 2, "same hull": 3, "members": 2}
    said = _summary("s.tif", 2, frame, counts)
    assert "2 duplicates from" in said and "3 second boxes on" in said
    assert "2 group members scored" in said


def test_scenes_much_coarser_than_the_model_are_named_once(tmp_path: Path) -> None:
    """Sentinel-2's 10 m given to a 3 m model used to run without a word."""
    fine = _scene(tmp_path / "s" / PLANET)
    coarse = write_scene(
        tmp_path / "s" / "S2A_MSIL2A_2024-02-01_T18MTE.tif", gsd_m=10.0, width=180, height=180
    )
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    warnings: list[str] = []
    _, failures = detect_scenes(
        [fine.path, coarse.path],
        _rivers(tmp_path, fine),
        model=detector,
        progress=False,
        echo=lambda _: None,
        warn=warnings.append,
    )
    assert failures == []
    assert len(warnings) == 1 and "1 scene has pixels over 2 × the 3 m" in warnings[0]
    assert f"{coarse.path.name} at 10.0 m" in warnings[0] and "5 m or finer" in warnings[0]
    assert "a 20 m dredge is 2 pixels across there" in warnings[0]
    assert "detections on it are unreliable" in warnings[0]
    quiet: list[str] = []
    detect_scenes(
        [fine.path], _rivers(tmp_path, fine), model=detector, progress=False, warn=quiet.append
    )
    assert quiet == []


def test_a_date_from_the_tiff_tag_is_pointed_out_in_the_scene_summary(tmp_path: Path) -> None:
    """A scene dated only by TIFFTAG_DATETIME (often the time a program wrote the file) was
    counted in that year without a word; the summary line now says where its date came from."""
    fixture = _scene(tmp_path / "source" / PLANET)
    path = tmp_path / "clip_export.tif"
    with rasterio.open(fixture.path) as src:
        profile, data = src.profile, src.read()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.update_tags(TIFFTAG_DATETIME="2025:03:01 10:00:00")
    frame, failures, lines = _detect_beside_original(tmp_path, fixture, path)
    assert failures == []
    assert (
        frame.loc[frame["scene"] == path.name, "acquired"] == pd.Timestamp("2025-03-01T10:00Z")
    ).all()
    tagged, planet = sorted(lines, key=lambda line: not line.startswith("clip_export"))
    assert tagged.endswith(
        "; dated 2025-03-01 by its TIFFTAG_DATETIME, which many programs set when they write a "
        "file: check it, or give the date with --dates"
    )
    assert "TIFFTAG" not in planet


def _detect_stopped(
    stop: str, out: Path, scenes: list[str], rivers: Path, failed: list[tuple[str, str]]
) -> None:
    """`dredge detect --overwrite` that finds ``failed`` and is stopped (``stop``) just after
    its table would have been renamed into place."""
    import os

    import detector.detect as detect
    import detector.model as model
    import detector.writing as writing

    class Stub:
        def __init__(self) -> None:
            self.notes: list[str] = []

        def describe(self) -> str:
            return "stub"

    real_replace, stopped = os.replace, list[object]()

    def replace(source: object, target: object) -> None:
        real_replace(source, target)  # type: ignore[arg-type]
        if Path(str(target)) == out and not stopped:
            stopped.append(target)
            if stop == "kill":
                os._exit(9)
            raise KeyboardInterrupt

    frame = detect.empty_detections()
    detect.detect_scenes = lambda *a, **k: (frame, failed)
    model.load_model = lambda *a, **k: Stub()  # type: ignore[assignment]
    writing.os.replace = replace  # type: ignore[assignment]
    args = [*scenes, "--rivers", str(rivers), "--out", str(out), "--no-progress", "--overwrite"]
    CliRunner().invoke(app, ["detect", *args])


@pytest.mark.parametrize("stop", ["ctrl-c", "kill"])
@pytest.mark.parametrize("failed_again", [True, False])
def test_detections_and_their_failures_are_never_of_two_runs(
    stop: str, failed_again: bool, tmp_path: Path
) -> None:
    """`dredge detect --overwrite` wrote its table, then `<stem>.failures.csv` (or removed it):
    stopped in between, the new table lay beside the earlier run's failures (a scene listed as
    failed that the table holds). Now both are written together: the earlier pair or the new
    one, also after a kill, once the next command has put a set aside back."""
    import multiprocessing

    from detector.writing import remove_stale_temporaries

    good = write_scene(tmp_path / "scenes" / PLANET, width=60, height=60)
    bad = write_scene(tmp_path / "scenes" / "other.tif", width=60, height=60)
    rivers = _rivers(tmp_path, good)
    out = tmp_path / "detections.parquet"
    failures = tmp_path / "detections.failures.csv"
    out.write_text("earlier table")
    failures.write_text(f"scene,error\n{good.path},earlier\n")
    failed = [(str(bad.path), "its error")] if failed_again else []
    context = multiprocessing.get_context("spawn")  # a fork hangs after onnxruntime's threads
    child = context.Process(
        target=_detect_stopped, args=(stop, out, [str(good.path), str(bad.path)], rivers, failed)
    )
    child.start()
    child.join(120)
    remove_stale_temporaries(out, failures)  # as the next command does before it writes
    table = out.read_bytes()
    listed = failures.read_text(encoding="utf-8-sig") if failures.exists() else None
    if table == b"earlier table":
        assert listed == f"scene,error\n{good.path},earlier\n"  # the earlier pair
    else:  # the new table, with its own failures or none
        assert table[:4] == b"PAR1"
        if failed_again:
            assert listed is not None and "its error" in listed and "earlier" not in listed
        else:
            assert listed in (None, "scene,error\n")


def test_a_stac_scene_whose_link_has_no_file_name_is_named_by_its_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planet's Data API links (`…/download?token=…`, `…/assets/…/download`) name no file: such
    scenes were named by their links' folders (`dl1_download`, `dl2_download`), which told
    nothing of them. Each is named by its STAC item's id, and dated by the item's datetime;
    a link that ends in a file name keeps its file name."""
    from tests.http_fixtures import serving

    monkeypatch.setenv("DREDGE_CACHE_DIR", str(tmp_path / "cache"))
    weights = write_untrained_model(tmp_path / "model")
    good = _scene(tmp_path / "served" / "pass_a.tif")
    for folder in ("dl1", "dl2"):
        (tmp_path / "served" / folder).mkdir()
        (tmp_path / "served" / folder / "download").write_bytes(good.path.read_bytes())
    collection = tmp_path / "items.json"
    out = tmp_path / "detections.parquet"
    args = ["detect", str(collection), "--rivers", str(_rivers(tmp_path, good))]
    with serving(tmp_path / "served") as base:
        features = [
            {
                "type": "Feature",
                "stac_version": "1.0.0",
                "id": name,
                "geometry": None,
                "properties": {"datetime": when},
                "links": [],
                "assets": {"data": {"href": f"{base}/{href}", "type": "image/tiff"}},
            }
            for name, when, href in (
                ("20240620_145051_22_2480", "2024-06-20T14:50:51Z", "dl1/download?token=x"),
                ("20240622_150000_00_2481", "2024-06-22T15:00:00Z", "dl2/download?token=y"),
                ("pass_a_item", "2024-06-25T15:00:00Z", "pass_a.tif?token=z"),
            )
        ]
        collection.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        result = CliRunner().invoke(app, [*args, "--model", str(weights), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = gpd.read_parquet(out)
    assert frame.groupby("scene")["acquired"].first().to_dict() == {
        "20240620_145051_22_2480": pd.Timestamp("2024-06-20 14:50:51", tz="UTC"),
        "20240622_150000_00_2481": pd.Timestamp("2024-06-22 15:00", tz="UTC"),
        "pass_a.tif": pd.Timestamp("2024-06-25 15:00", tz="UTC"),
    }


def test_a_scene_whose_river_is_all_under_cloud_says_so(tmp_path: Path) -> None:
    """Its UDM2 clouds every tile along the river: the summary said "0 tiles, 0 detections"
    alone, as if the river had been seen empty; now it says the river was under cloud."""
    from shapely import box

    from tests.geo_fixtures import write_udm2

    fixture = _scene(tmp_path / "s" / PLANET)
    write_udm2(fixture, box(*fixture.footprint.bounds))
    lines: list[str] = []
    frame, failures = detect_scenes(
        [fixture.path],
        _rivers(tmp_path, fixture),
        model=BrightBlobDetector(card_for_blobs(tmp_path / "model")),
        progress=False,
        echo=lines.append,
    )
    assert failures == [] and frame.empty
    assert lines == [
        f"{PLANET}: 0 tiles, 0 detections; its river all under cloud (7 tiles with no clear "
        "pixel): nothing seen"
    ]


class _TwoBoxesAndAFaintBlob(BrightBlobDetector):
    """Blobs 5 px tall get a second box 1 px (3 m) to the right, scored 0.5 (the model's two
    boxes on one hull, in one tile); blobs 3 px tall score 0.2, under --conf 0.25."""

    def predict(self, batch: np.ndarray, *, conf: float = 0.25) -> list[np.ndarray]:
        out = []
        for boxes in super().predict(batch, conf=conf):
            tall = boxes[:, 3] - boxes[:, 1]
            boxes[tall == 3, 4] = 0.2
            second = boxes[tall == 5] + np.array([1, 0, 1, 0, -0.4, 0], dtype=np.float32)
            out.append(np.concatenate([boxes, second]))
        return out


def test_a_scene_line_says_what_it_merged_and_dropped(tmp_path: Path) -> None:
    """The line said '2 duplicates from tile overlaps merged' for a second box on a hull
    within one tile (3 m from the first: the rule that drops boxes closer than 5 m) and a
    faint box found in two tiles, scored under --conf and never a detection."""
    fixture = write_scene(tmp_path / PLANET, width=600, height=600, dredge_fractions=())
    with rasterio.open(fixture.path, "r+") as dst:
        data = dst.read()
        data[:, 100:105, 98:108] = 9000  # a dredge inside one tile (on the river)
        data[:, 300:303, 230:240] = 9000  # a faint blob where two tiles overlap
        dst.write(data)
    lines: list[str] = []
    frame, _ = detect_scenes(
        [fixture.path],
        _rivers(tmp_path, fixture),
        model=_TwoBoxesAndAFaintBlob(card_for_blobs(tmp_path / "model")),
        max_land=None,
        progress=False,
        echo=lines.append,
    )
    assert frame["score"].tolist() == [pytest.approx(0.9)]
    assert lines == [
        f"{PLANET}: 7 tiles, 1 detection (1 dredge); 1 box within 5 m of a better-scored one "
        "dropped"
    ]


class _AWeakSecondBoxOnTheHull(BrightBlobDetector):
    """Each blob gets a second box 2 px right and 1 px up, scored 0.2: on the diagonal river,
    6.4 m across the channel and 2.1 m along it from the first (6.7 m apart), a group member
    by its place (kept from 0.6 × --conf 0.25) and a second box on the first's hull."""

    def predict(self, batch: np.ndarray, *, conf: float = 0.25) -> list[np.ndarray]:
        out = []
        for boxes in super().predict(batch, conf=conf):
            second = boxes + np.array([2, -1, 2, -1, -0.7, 0], dtype=np.float32)
            out.append(np.concatenate([boxes, second]))
        return out


def test_a_weak_second_box_on_a_hull_is_not_counted_in_the_line(tmp_path: Path) -> None:
    """The line counted '1 second box on one hull dropped' for a box scored 0.2, under
    --conf 0.25 (kept only to find group members), though its notes count boxes scored at
    least --conf: it says nothing of it now."""
    fixture = write_scene(tmp_path / PLANET, width=600, height=600, dredge_fractions=())
    with rasterio.open(fixture.path, "r+") as dst:
        data = dst.read()
        data[:, 100:105, 98:108] = 9000  # a dredge inside one tile (on the river)
        dst.write(data)
    lines: list[str] = []
    frame, _ = detect_scenes(
        [fixture.path],
        _rivers(tmp_path, fixture),
        model=_AWeakSecondBoxOnTheHull(card_for_blobs(tmp_path / "model")),
        max_land=None,
        progress=False,
        echo=lines.append,
    )
    assert frame["score"].tolist() == [pytest.approx(0.9)]
    assert lines == [f"{PLANET}: 7 tiles, 1 detection (1 dredge)"]
