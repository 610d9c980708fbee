"""The GPU speed benchmark's check that the GPU finds what the CPU finds."""

from __future__ import annotations

import geopandas as gpd
from shapely import Point

from benchmarks.detection_speed import same_detections

CRS = "EPSG:32718"


def frame(points: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    scenes, classes, xs, ys = zip(*points, strict=True)
    geometry = [Point(x, y).buffer(4) for x, y in zip(xs, ys, strict=True)]
    table = gpd.GeoDataFrame({"scene": scenes, "class_name": classes}, geometry=geometry, crs=CRS)
    return table.to_crs("EPSG:4326")


def test_same_detections_are_matched_one_to_one_by_scene_class_and_distance() -> None:
    cpu = frame([("a", "dredge", 500_000, 9_600_000), ("a", "dredge", 500_010, 9_600_000),
                 ("b", "boat", 500_000, 9_600_000)])  # fmt: skip
    gpu = frame([
        ("a", "dredge", 500_001, 9_600_001),  # the first, 1.4 m off
        ("a", "dredge", 500_002, 9_600_000),  # near the first too: not matched twice
        ("b", "dredge", 500_000, 9_600_000),  # another class
        ("c", "boat", 500_000, 9_600_000),  # another scene
    ])  # fmt: skip
    assert same_detections(gpu, cpu, 3.0) == 1
    assert same_detections(gpu, cpu, 10.0) == 2  # the second pairs with the second
    assert same_detections(gpu.iloc[:0], cpu, 3.0) == 0
