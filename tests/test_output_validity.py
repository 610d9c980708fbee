"""Every file ``dredge run`` writes into OUT, read back by the tools analysts open it with.

One run on a small synthetic world (three scenes and a truncated one), then each file is
opened with geopandas / pyogrio / pyarrow, json, xml.etree, pandas, html.parser and PIL, and
checked against the contracts of the README and ``DESIGN.md``: columns and dtypes, EPSG:4326,
no empty, NaN or invalid geometries, coordinates that are longitude/latitude, counts that are
whole numbers with low ≤ unique ≤ high, the same numbers in every file that holds them, and a
report that loads nothing from anywhere.

``tests/test_exports.py`` and ``tests/test_exports_kml.py`` check each exporter on a hand-made
world (exact values, dates in descriptions, the KML detection limit); ``tests/test_run.py``
checks that the run writes every file and loads its report in headless Chromium. This suite
does not repeat those: it is the end-to-end read-back of one real run's folder, file by file.
"""

from __future__ import annotations

import base64
import io
import json
import math
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from PIL import Image
from typer.testing import CliRunner

from detector.cli import app
from detector.counts import COUNT_COLUMNS
from detector.detect import DETECTION_COLUMNS
from detector.exports import KML_NS
from detector.run import RUN_FILES
from detector.run_key import KEY_NAME
from detector.run_manifest import MANIFEST_COLUMNS, MANIFEST_NAME
from detector.run_state import SCENES_DIR
from detector.track_pipeline import OBSERVATION_COLUMNS
from detector.tracking import TRACK_COLUMNS
from tests.geo_fixtures import truncate
from tests.model_fixtures import CLASSES, write_untrained_model
from training.synth.world import WorldConfig, write_world

CONF = 0.5
BROKEN = "20240101_120000_00_0000_3B_AnalyticMS_SR.tif"
COUNT_NUMBERS = [c for c in COUNT_COLUMNS if c not in ("river", "year", "seen_km", "seen_share")]


def _no_nan(token: str) -> float:
    raise AssertionError(f"{token} in JSON (RFC 8259 has no NaN or Infinity)")


def read_json(path: Path) -> Any:
    """Strict JSON: UTF-8, and NaN / Infinity refused."""
    return json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_nan)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of one ``dredge run``: three scenes of a small world and one truncated GeoTIFF."""
    base = tmp_path_factory.mktemp("validity")
    world = base / "world"
    write_world(WorldConfig(seed=17, rivers=("Nanay",), years=(2024, 2024)), world)
    scenes = base / "scenes"
    shutil.copytree(world / "scenes", scenes)
    shutil.copy(sorted(scenes.glob("*_AnalyticMS_SR.tif"))[0], scenes / BROKEN)
    truncate(scenes / BROKEN)
    model = write_untrained_model(base / "model")
    run = base / "run"
    result = CliRunner().invoke(
        app,
        [
            *("run", str(scenes), "--rivers", str(world / "rivers.geojson"), "--out", str(run)),
            *("--model", str(model), "--conf", str(CONF), "--no-progress"),
        ],
    )
    assert result.exit_code == 1, result.output  # the truncated scene failed, the others not
    return run


@pytest.fixture(scope="module")
def detections(out: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(out / "detections.parquet")


@pytest.fixture(scope="module")
def tracks(out: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(out / "tracks.parquet")


@pytest.fixture(scope="module")
def linked(out: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(out / "tracks.detections.parquet")


@pytest.fixture(scope="module")
def manifest(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / MANIFEST_NAME, dtype={"error": "string"}, keep_default_na=False)


def assert_lonlat_geometries(frame: gpd.GeoDataFrame, kinds: set[str]) -> None:
    """EPSG:4326; every geometry there, not empty, valid, of ``kinds``, finite, in range."""
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    geoms = frame.geometry
    assert not geoms.isna().any() and not geoms.is_empty.any()
    assert geoms.is_valid.all()
    assert set(geoms.geom_type) <= kinds, set(geoms.geom_type)
    coords = shapely.get_coordinates(np.asarray(geoms.array, dtype=object))
    assert np.isfinite(coords).all()
    assert (np.abs(coords[:, 0]) <= 180).all() and (np.abs(coords[:, 1]) <= 90).all()


# --------------------------------------------------------------------------------------------
# The folder


def test_out_holds_the_run_files_and_nothing_else(out: Path, manifest: pd.DataFrame) -> None:
    """The files of the README's table, the resume state, one file per finished scene; no
    temporary or half-written file left."""
    done = manifest.loc[manifest["status"] == "done", "name"]
    expected = {*RUN_FILES, MANIFEST_NAME, KEY_NAME, *(f"{SCENES_DIR}/{n}.parquet" for n in done)}
    found = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert found == expected
    assert all(path.stat().st_size > 0 for path in out.rglob("*") if path.is_file())


def test_manifest_run_key_and_scene_files(
    out: Path, manifest: pd.DataFrame, detections: gpd.GeoDataFrame
) -> None:
    assert list(manifest.columns) == list(MANIFEST_COLUMNS)
    assert manifest["scene"].is_unique and set(manifest["status"]) == {"done", "failed"}
    failed = manifest[manifest["status"] == "failed"]
    assert [Path(s).name for s in failed["scene"]] == [BROKEN]
    assert (failed["detections"] == 0).all() and (failed["error"] != "").all()
    for row in manifest[manifest["status"] == "done"].itertuples():
        frame = gpd.read_parquet(out / SCENES_DIR / f"{row.name}.parquet")
        assert len(frame) == row.detections == (detections["scene"] == row.name).sum()
        assert datetime.fromisoformat(row.finished).tzinfo is not None
    key = read_json(out / KEY_NAME)
    assert key["conf"] == CONF and len(key["model_sha256"]) == 64


# --------------------------------------------------------------------------------------------
# GeoParquet


def test_detections_parquet_follows_the_contract(
    out: Path, detections: gpd.GeoDataFrame, manifest: pd.DataFrame
) -> None:
    geo = json.loads(pq.read_schema(out / "detections.parquet").metadata[b"geo"])
    assert geo["primary_column"] == "geometry"
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    assert list(detections.columns) == list(DETECTION_COLUMNS)
    assert len(detections) > 0 and detections["detection_id"].is_unique
    text = ["detection_id", "scene", "sensor", "class_name", "river"]
    assert all(pd.api.types.is_string_dtype(detections[c]) for c in text)
    assert str(detections["acquired"].dt.tz) == "UTC"
    assert all(
        pd.api.types.is_float_dtype(detections[c]) for c in ("score", "chainage_m", "offset_m")
    )
    assert not detections.drop(columns="geometry").isna().any().any()
    assert detections["score"].between(CONF, 1.0).all()
    assert set(detections["class_name"]) <= set(CLASSES)
    assert np.isfinite(detections[["chainage_m", "offset_m"]].to_numpy()).all()
    assert (detections["chainage_m"] >= 0).all()
    done = set(manifest.loc[manifest["status"] == "done", "name"])
    assert set(detections["scene"]) <= done
    assert_lonlat_geometries(detections, {"Polygon"})


def test_tracks_and_their_detections(
    out: Path,
    tracks: gpd.GeoDataFrame,
    linked: gpd.GeoDataFrame,
    detections: gpd.GeoDataFrame,
) -> None:
    assert list(tracks.columns) == TRACK_COLUMNS
    assert len(tracks) > 0 and tracks["track_id"].is_unique
    assert_lonlat_geometries(tracks, {"Point"})
    assert (tracks["first_seen"] <= tracks["last_seen"]).all()
    assert str(tracks["first_seen"].dt.tz) == "UTC"
    assert (tracks["n_dates"] >= 1).all() and (tracks["n_detections"] >= tracks["n_dates"]).all()
    assert tracks["n_dates"].tolist() == [len(d.split(";")) for d in tracks["dates"]]
    assert pd.api.types.is_bool_dtype(tracks["counted"])
    assert tracks["confidence"].between(0, 1).all()
    numbers = tracks.drop(columns=["geometry", "maybe_same_as"])
    assert not numbers.isna().any().any()
    assert set(tracks["maybe_same_as"].dropna()) <= set(tracks["track_id"])

    assert {"detection_id", "track_id", "link"} <= set(linked.columns)
    assert_lonlat_geometries(linked, {"Polygon"})
    assert set(linked["detection_id"]) <= set(detections["detection_id"])
    assert set(linked["track_id"].dropna()) == set(tracks["track_id"])
    per_track = linked.groupby("track_id").size()
    assert (
        per_track.sort_index().tolist()
        == tracks.set_index("track_id")["n_detections"].sort_index().tolist()
    )

    observations = pd.read_csv(out / "tracks.observations.csv")
    assert list(observations.columns) == OBSERVATION_COLUMNS
    assert pd.to_datetime(observations["date"], format="%Y-%m-%d").notna().all()
    assert (observations["scenes"] >= 1).all()
    assert set(observations["source"]) <= {"scenes", "detections"}
    assert observations["seen_km"].between(0, observations["river_km"]).all()


# --------------------------------------------------------------------------------------------
# GIS exports


def test_every_geopackage_layer(
    out: Path, tracks: gpd.GeoDataFrame, linked: gpd.GeoDataFrame
) -> None:
    path = out / "dredges.gpkg"
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert set(layers) == {"dredges", "detections"}
    for layer, source, kinds in (
        ("dredges", tracks, {"Point"}),
        ("detections", linked, {"Polygon"}),
    ):
        info = pyogrio.read_info(path, layer=layer)
        assert info["features"] == len(source)
        frame = gpd.read_file(path, layer=layer)
        assert_lonlat_geometries(frame, kinds)
        assert set(source.columns) <= set(frame.columns)
    dredges = gpd.read_file(path, layer="dredges")
    assert dredges["track_id"].tolist() == tracks["track_id"].tolist()


def _positions(geometry: dict[str, Any]) -> list[list[float]]:
    """Every position of a GeoJSON geometry."""

    def walk(value: Any) -> Iterator[list[float]]:
        if value and isinstance(value[0], int | float):
            yield value
        else:
            for item in value:
                yield from walk(item)

    return list(walk(geometry["coordinates"]))


@pytest.mark.parametrize(
    ("name", "source", "kind"),
    [("dredges.geojson", "tracks", "Point"), ("dredges.detections.geojson", "linked", "Polygon")],
)
def test_geojson_is_rfc_7946(
    name: str, source: str, kind: str, out: Path, request: pytest.FixtureRequest
) -> None:
    """UTF-8 JSON without NaN; a FeatureCollection of Features in longitude/latitude."""
    path = out / name
    data = read_json(path)
    expected: gpd.GeoDataFrame = request.getfixturevalue(source)
    assert data["type"] == "FeatureCollection"
    assert data["name"] == name.removesuffix(".geojson")  # not a temporary file's name
    assert data.get("crs", {}).get("properties", {}).get("name", "CRS84").endswith("CRS84")
    assert len(data["features"]) == len(expected)
    for feature in data["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        assert feature["geometry"]["type"] == kind
        for lon, lat, *_ in _positions(feature["geometry"]):
            assert math.isfinite(lon) and math.isfinite(lat)
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    frame = gpd.read_file(path)
    assert_lonlat_geometries(frame, {kind})


def test_kml_parses_with_a_placemark_per_dredge(
    out: Path, tracks: gpd.GeoDataFrame, linked: gpd.GeoDataFrame
) -> None:
    root = ET.parse(out / "dredges.kml").getroot()
    ns = {"k": KML_NS}
    folders = root.findall("k:Document/k:Folder", ns)
    dredges = folders[0].findall("k:Placemark", ns)
    assert len(dredges) == len(tracks)
    assert len(folders) == 2 and len(folders[1].findall("k:Placemark", ns)) == len(linked)
    for mark in root.iter(f"{{{KML_NS}}}Placemark"):
        text = mark.findtext("k:Point/k:coordinates", namespaces=ns) or ""
        lon, lat = map(float, text.split(","))
        assert -180 <= lon <= 180 and -90 <= lat <= 90
    for mark in dredges:
        begin = mark.findtext("k:TimeSpan/k:begin", namespaces=ns) or ""
        end = mark.findtext("k:TimeSpan/k:end", namespaces=ns) or ""
        assert begin.endswith("Z") and begin <= end
    styles = {f"#{s.get('id')}" for s in root.iter(f"{{{KML_NS}}}Style")}
    assert {m.findtext("k:styleUrl", namespaces=ns) for m in dredges} <= styles


# --------------------------------------------------------------------------------------------
# Counts, failures, the run's record


def test_counts_csv_and_json_agree_and_add_up(
    out: Path, tracks: gpd.GeoDataFrame, manifest: pd.DataFrame
) -> None:
    counts = pd.read_csv(out / "counts.csv")
    assert list(counts.columns) == COUNT_COLUMNS
    assert not counts[COUNT_NUMBERS].isna().any().any()
    assert all(pd.api.types.is_integer_dtype(counts[c]) for c in ["year", *COUNT_NUMBERS])
    assert (counts[COUNT_NUMBERS] >= 0).all().all()
    assert (counts["unique_low"] <= counts["unique_dredges"]).all()
    assert (counts["unique_dredges"] <= counts["unique_high"]).all()
    assert (counts["new_dredges"] <= counts["unique_dredges"]).all()
    assert not counts.duplicated(["river", "year"]).any()
    assert counts["unique_dredges"].sum() == int(tracks["counted"].sum())
    assert counts["scenes"].tolist() == [int((manifest["status"] == "done").sum())]
    records = read_json(out / "counts.json")
    assert pd.DataFrame(records)[COUNT_COLUMNS].equals(counts)
    assert all(isinstance(r[c], int) for r in records for c in COUNT_NUMBERS)
    assert counts["seen_share"].between(0, 1).all() and (counts["seen_km"] > 0).all()


def test_failures_csv_matches_the_manifest_and_run_json(out: Path, manifest: pd.DataFrame) -> None:
    failures = pd.read_csv(out / "failures.csv")
    assert list(failures.columns) == ["scene", "error"] and len(failures) == 1
    scene, error = failures.iloc[0]
    assert Path(scene).name == BROKEN
    assert error.startswith(f"{scene}: ") and " — " in error and "\n" not in error
    assert manifest.set_index("scene").loc[scene, "error"] == error
    record = read_json(out / "run.json")
    assert record["failures"] == [{"scene": scene, "error": error}]


def test_run_json_records_the_run(out: Path, manifest: pd.DataFrame) -> None:
    record = read_json(out / "run.json")
    assert {
        "format",
        "created",
        "command",
        "scenes",
        "failures",
        "rivers",
        "parameters",
        "model",
        "timings_s",
        "versions",
    } <= set(record)
    assert datetime.fromisoformat(record["created"]).utcoffset() is not None
    assert record["command"].split(" ")[0] == "dredge"  # then pytest's own arguments, if any
    assert sorted(record["scenes"]) == sorted(manifest["scene"])
    assert record["parameters"]["conf"] == CONF and Path(record["rivers"]).is_file()
    assert record["model"]["classes"] == list(CLASSES) and len(record["model"]["sha256"]) == 64
    assert all(isinstance(v, str) and v for v in record["versions"].values())
    assert all(isinstance(v, int | float) and v >= 0 for v in record["timings_s"].values())


def test_counts_chart_is_a_whole_png(out: Path) -> None:
    with Image.open(out / "counts.png") as image:
        image.verify()
    with Image.open(out / "counts.png") as image:
        assert image.format == "PNG" and min(image.size) > 100
        image.load()


# --------------------------------------------------------------------------------------------
# The report


class _Resources(HTMLParser):
    """Every attribute of the page that can load something, and the tags that can."""

    LOADING: ClassVar[set[str]] = {
        "src",
        "href",
        "srcset",
        "poster",
        "data",
        "action",
        "formaction",
        "background",
    }

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in self.LOADING and value is not None:
                self.urls.append((tag, name, value))
            if name == "style" and value:
                self.styles.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def test_report_loads_nothing_from_anywhere(out: Path) -> None:
    """Parsed, not searched (``test_run`` searches the text and opens it in Chromium): every
    src/href is a data: URI or an anchor, no script, frame, object or stylesheet link, no url()
    or @import in styles; every picture is a whole PNG."""
    page = (out / "report.html").read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(page)
    parser.close()
    assert not {"script", "iframe", "frame", "object", "embed", "link", "base"} & set(parser.tags)
    for tag, name, value in parser.urls:
        assert value.startswith(("data:", "#")), (tag, name, value[:80])
    for style in parser.styles:
        assert "url(" not in style and "@import" not in style
    images = [value for tag, name, value in parser.urls if tag == "img" and name == "src"]
    assert len(images) >= 3  # chart, map, chips
    for uri in images:
        head, data = uri.split(",", 1)
        assert head == "data:image/png;base64"
        with Image.open(io.BytesIO(base64.b64decode(data, validate=True))) as image:
            image.verify()
