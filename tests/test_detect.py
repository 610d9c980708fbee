"""Batch detection: boxes land on the map, a dredge cut by tile edges is reported once, scenes
on several CRSs end in one EPSG:4326 table, and `dredge detect` reads scenes as `dredge run`
does (STAC items and their dates). Most tests use a bright-blob detector so that the truth is
exact; the CLI tests run the real pipeline with an untrained YOLO11n. A scene's summary line:
test_detect_notes.py; bad scenes and outputs: test_detect_faults.py."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from shapely import LineString, Point
from typer.testing import CliRunner

from detector.cli import app
from detector.detect import DETECTION_COLUMNS, detect_scenes, write_detections
from tests.detect_fixtures import DREDGES, PLANET, _rivers, _scene
from tests.geo_fixtures import SceneFixture, write_rivers, write_scene
from tests.model_fixtures import BrightBlobDetector, card_for_blobs, write_untrained_model


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
