"""Property-based tests of the GeoJSON label reader: whatever the file holds, the reader either
reads it into tiles with boxes inside them or raises one InputError line naming the file.

Hypothesis writes FeatureCollections with keys missing or extra, every geometry type (and
unknown ones), null and empty geometries, NaN and infinite coordinates, coordinates that are not
longitude/latitude, properties that are null or not an object, unknown and odd classes and
scenes, and then damages the bytes: truncated JSON, non-UTF-8 bytes, a byte-order mark, an
empty file. The files go in as ``.geojson`` and as ``.json`` (format sniffing included), through
:func:`read_label_sets`, the reader ``dredge train`` calls.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import shapely
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.rivers import RiverNetwork
from detector.scene import Scene, open_scene
from detector.tiling import plan_scene
from tests.label_fixtures import CLASSES, SPEC
from training.labels import vector
from training.labels.classes import ClassMap
from training.labels.sources import read_label_sets

# The first scene of the label world (seed 199) and a lon/lat box well inside it: hypothesis
# needs the numbers when the tests are collected, so they are written here and checked against
# the scene by test_the_scene_box_is_inside_the_scene.
SCENE_STEM = "20240127_141827_74_2423_3B_AnalyticMS_SR"
INSIDE = (-73.430, -3.811, -73.409, -3.790)  # lon0, lat0, lon1, lat1

NEAR_RIVER = (-73.428, -3.805, -73.412, -3.795)  # covered by the scene's corridor tiles

any_float = st.floats(allow_nan=True, allow_infinity=True)
inside = st.one_of(
    st.tuples(st.floats(INSIDE[0], INSIDE[2]), st.floats(INSIDE[1], INSIDE[3])).map(list),
    st.tuples(st.floats(NEAR_RIVER[0], NEAR_RIVER[2]), st.floats(NEAR_RIVER[1], NEAR_RIVER[3])).map(
        list
    ),
)
anywhere = st.one_of(
    inside,
    st.tuples(any_float, any_float).map(list),
    st.tuples(st.floats(-1e7, 1e7), st.floats(-1e7, 1e7)).map(list),  # metres, not degrees
    st.lists(any_float, max_size=4),  # 0, 1, 3 or 4 numbers
)
position = st.one_of(inside, inside, anywhere)


def _box(centre: list[float], half: tuple[float, float]) -> list[list[list[float]]]:
    """A box around ``centre`` (half-sizes in degrees; 0 gives a box with no area)."""
    (x, y), (dx, dy) = centre, half
    return [
        [[x - dx, y - dy], [x + dx, y - dy], [x + dx, y + dy], [x - dx, y + dy], [x - dx, y - dy]]
    ]


half_size = st.floats(0.0, 0.002)  # up to ~220 m: from nothing to several tiles' pixels
box_ring = st.builds(_box, inside, st.tuples(half_size, half_size))
any_ring = st.one_of(box_ring, st.lists(position, max_size=6).map(lambda ring: [ring]))

geometry = st.one_of(
    st.none(),
    st.builds(lambda c: {"type": "Point", "coordinates": c}, position),
    st.builds(lambda c: {"type": "Polygon", "coordinates": c}, any_ring),
    st.builds(lambda c: {"type": "Polygon", "coordinates": c}, box_ring),
    st.builds(lambda c: {"type": "MultiPolygon", "coordinates": [c]}, box_ring),
    st.builds(lambda c: {"type": "LineString", "coordinates": c}, st.lists(position, max_size=3)),
    st.builds(lambda c: {"type": "MultiPoint", "coordinates": c}, st.lists(position, max_size=3)),
    st.builds(
        lambda c: {
            "type": "GeometryCollection",
            "geometries": [{"type": "Point", "coordinates": c}],
        },
        position,
    ),
    st.just({"type": "Polygon", "coordinates": []}),
    st.just({"type": "Point"}),
    st.just({"type": "Circle", "coordinates": [0, 0], "radius": 5}),
    st.just({"coordinates": [-73.42, -3.80]}),
    st.just("POINT (-73.27 -3.75)"),
)
class_name = st.one_of(
    st.sampled_from(["dredge", "boat", " Dredge ", "BOAT", "balsa", "", "ignore"]),
    st.none(),
    st.integers(-2, 3),
    any_float,
    st.text(max_size=6),
)
scene = st.one_of(
    st.sampled_from(
        [SCENE_STEM, f"{SCENE_STEM}.tif", SCENE_STEM.split("_3B_")[0], "other.tif", "", None]
    ),
    st.integers(0, 3),
)
properties: st.SearchStrategy[Any] = st.one_of(
    st.fixed_dictionaries(
        {"class_name": class_name},
        optional={
            "scene": scene,
            "id": st.one_of(st.integers(), st.text(max_size=4), st.none()),
            "label": class_name,
            "note": st.one_of(st.text(max_size=8), any_float, st.lists(st.integers(), max_size=2)),
        },
    ),
    st.fixed_dictionaries({}, optional={"scene": scene, "category": class_name}),
    st.none(),
    st.just([]),
)
odd_feature = st.fixed_dictionaries(
    {"geometry": geometry, "properties": properties},
    optional={"type": st.sampled_from(["Feature", "feature", "Point"]), "bbox": st.just([0, 0])},
).map(lambda f: {"type": "Feature", **f} if "type" not in f else f)
good_feature = st.fixed_dictionaries(
    {
        "geometry": st.one_of(
            st.builds(lambda c: {"type": "Polygon", "coordinates": c}, box_ring),
            st.builds(lambda c: {"type": "Point", "coordinates": c}, inside),
        ),
        "properties": st.fixed_dictionaries(
            {"class_name": st.sampled_from(["dredge", "boat", "Dredge"])},
            optional={"scene": st.sampled_from([SCENE_STEM, f"{SCENE_STEM}.tif"])},
        ),
    }
).map(lambda f: {"type": "Feature", **f})
feature = st.one_of(good_feature, good_feature, odd_feature)  # mostly good, some odd
features = st.lists(feature, min_size=1, max_size=4)
document = st.one_of(
    st.builds(lambda fs: {"type": "FeatureCollection", "features": fs}, features),
    st.builds(lambda fs: {"type": "FeatureCollection", "features": fs}, features),
    st.builds(
        lambda fs, extra: {"type": "FeatureCollection", "features": fs, **extra},
        features,
        st.fixed_dictionaries(
            {},
            optional={
                "crs": st.sampled_from(
                    [
                        {"type": "name", "properties": {"name": "EPSG:32718"}},
                        {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
                        {"type": "name", "properties": {"name": "EPSG:999999"}},
                        {"type": "nonsense"},
                    ]
                ),
                "name": st.text(max_size=5),
                "bbox": st.lists(any_float, max_size=4),
            },
        ),
    ),
    feature,  # one Feature on its own
    st.sampled_from(
        [
            {"type": "FeatureCollection", "features": []},
            {"type": "FeatureCollection"},
            {"type": "FeatureCollection", "features": {"type": "Feature"}},
            [],
            {"type": "Topology"},
        ]
    ),
)
damage = st.one_of(
    st.just(("none", 0.0)),
    st.just(("none", 0.0)),
    st.just(("none", 0.0)),
    st.tuples(st.just("truncate"), st.floats(0.0, 1.0)),
    st.tuples(st.just("non-utf8"), st.floats(0.0, 1.0)),
    st.just(("bom", 0.0)),
    st.just(("empty", 0.0)),
)


def encode(data: Any, how: tuple[str, float]) -> bytes:
    """The document as bytes (NaN and Infinity written as JavaScript does), then damaged."""
    raw = json.dumps(data, allow_nan=True).encode("utf-8")
    kind, where = how
    cut = int(len(raw) * where)
    if kind == "truncate":
        return raw[:cut]
    if kind == "non-utf8":
        return raw[:cut] + b"\xff\xfe\xc3(" + raw[cut:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + raw
    if kind == "empty":
        return b""
    return raw


@pytest.fixture(scope="module")
def one_scene(label_world: Path) -> Iterator[tuple[Path, RiverNetwork]]:
    """The scene and the rivers; its tiles cut and read once (they do not depend on labels)."""
    plans: dict[tuple[str, InputSpec], SimpleNamespace] = {}

    def plan_once(scene: Scene, rivers: RiverNetwork, spec: InputSpec) -> SimpleNamespace:
        if (scene.path, spec) not in plans:
            plan = plan_scene(scene, rivers, spec)
            windows = {tile.tile_id: plan.read(tile) for tile in plan.tiles}
            plans[scene.path, spec] = SimpleNamespace(
                tiles=plan.tiles, read=lambda tile: windows[tile.tile_id]
            )
        return plans[scene.path, spec]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vector, "plan_scene", plan_once)
        scene = label_world / "scenes" / f"{SCENE_STEM}.tif"
        yield scene, RiverNetwork.read(label_world / "rivers.geojson")


def test_the_scene_box_is_inside_the_scene(one_scene: tuple[Path, RiverNetwork]) -> None:
    scene, _ = one_scene
    with open_scene(scene) as opened:
        to_scene = Transformer.from_crs("EPSG:4326", opened.crs, always_xy=True)
        x0, y0 = to_scene.transform(INSIDE[0], INSIDE[1])
        x1, y1 = to_scene.transform(INSIDE[2], INSIDE[3])
        assert opened.footprint.contains(shapely.box(x0, y0, x1, y1).buffer(100))


def read(path: Path, scene: Path, rivers: RiverNetwork) -> None:
    """Read ``path``: tiles with boxes inside them, or one InputError line naming the file."""
    try:
        sets = read_label_sets([path], ClassMap(CLASSES), SPEC, scenes=[scene], rivers=rivers)
    except InputError as exc:
        event(f"InputError: {exc.problem.split(' (')[0][:40]}")
        message = str(exc)
        assert message.startswith(f"{path}: "), message
        assert "\n" not in message, message
        return
    event(f"read: {sum(len(t.boxes) > 0 for t in sets[0].tiles)} tile(s) with boxes")
    for tile in sets[0].tiles:
        assert tile.pixels is not None
        for b in tile.boxes:
            assert b.class_name in CLASSES
            values = (b.x0, b.y0, b.x1, b.y1)
            assert all(math.isfinite(v) for v in values), values
            assert 0 <= b.x0 < b.x1 <= SPEC.tile_px and 0 <= b.y0 < b.y1 <= SPEC.tile_px, values


SETTINGS = settings(
    max_examples=int(os.environ.get("DREDGE_PROPERTY_EXAMPLES", "40")),  # more: a deeper search
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(data=document, how=damage, suffix=st.sampled_from([".geojson", ".json"]))
@example(  # a feature whose class is missing while another has one
    data={
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": {"class_name": "dredge"}},
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-73.42, -3.80]},
                "properties": {"scene": SCENE_STEM},
            },
        ],
    },
    how=("none", 0.0),
    suffix=".geojson",
)
@example(  # NaN coordinates in a polygon
    data={
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[math.nan, -3.75], [-73.27, math.nan], [-73.42, -3.80]]],
                },
                "properties": {"class_name": "dredge"},
            }
        ],
    },
    how=("none", 0.0),
    suffix=".geojson",
)
def test_any_geojson_reads_or_names_the_file(
    data: Any,
    how: tuple[str, float],
    suffix: str,
    one_scene: tuple[Path, RiverNetwork],
    tmp_path: Path,
) -> None:
    scene, rivers = one_scene
    path = tmp_path / f"labels{suffix}"
    path.write_bytes(encode(data, how))
    read(path, scene, rivers)


@SETTINGS
@given(features=st.lists(good_feature, min_size=1, max_size=5))
@example(  # found: a feature without a scene beside one with it read "scene nan is not among…"
    features=[
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-73.42, -3.80]},
            "properties": {"class_name": "dredge"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-73.42, -3.80]},
            "properties": {"class_name": "dredge", "scene": SCENE_STEM},
        },
    ]
)
def test_well_formed_boxes_inside_the_scene_are_read(
    features: list[dict[str, Any]], one_scene: tuple[Path, RiverNetwork], tmp_path: Path
) -> None:
    """Boxes of known classes inside the scene always read (no InputError), boxes in tiles."""
    scene, rivers = one_scene
    path = tmp_path / "good.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    sets = read_label_sets([path], ClassMap(CLASSES), SPEC, scenes=[scene], rivers=rivers)
    assert sets[0].format == "vector" and sets[0].tiles
    for tile in sets[0].tiles:
        for b in tile.boxes:
            assert 0 <= b.x0 < b.x1 <= SPEC.tile_px and 0 <= b.y0 < b.y1 <= SPEC.tile_px
