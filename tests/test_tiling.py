"""Tile planner: corridor-only windows, edges, transforms, nodata and cloud, coverage."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import LineString, Point, box, union_all

from detector.inputspec import InputSpec
from detector.rivers import RiverNetwork
from detector.scene import open_scene
from detector.tiling import Tile, TilePlan, coverage, plan_scene, plan_tiles, tile_origins
from tests.geo_fixtures import DREDGE, FOREST, SceneFixture, write_rivers, write_scene, write_udm2

SMALL_TILES = InputSpec(gsd_m=3.0, tile_px=64, overlap_px=8)


def _plan(fixture: SceneFixture, spec: InputSpec, tmp_path: Path, **rivers: Any) -> TilePlan:
    lines = rivers or {"nanay": fixture.river}
    path = write_rivers(tmp_path / "rivers.geojson", lines, crs=fixture.crs)
    network = RiverNetwork.read(path, corridor_m=60)
    scene = open_scene(fixture.path)
    return plan_scene(scene, network, spec)


def _tiles_holding(plan: TilePlan, point: Point) -> list[Tile]:
    return [tile for tile in plan.tiles if tile.footprint.intersects(point)]


# --- window starts -------------------------------------------------------------------------------


@given(
    length=st.integers(1, 5000),
    tile=st.integers(16, 512),
    overlap_share=st.floats(0, 0.5),
)
def test_tile_origins_cover_the_axis_and_stay_inside(
    length: int, tile: int, overlap_share: float
) -> None:
    stride = tile - int(tile * overlap_share)
    starts = tile_origins(length, tile, stride)
    assert starts[0] == 0
    assert all(b - a <= stride for a, b in pairwise(starts))
    assert starts == sorted(set(starts))
    if length >= tile:
        assert starts[-1] == length - tile  # the last window ends on the edge
    else:
        assert starts == [0]  # one window, reaching past the edge


# --- scenes of every kind ------------------------------------------------------------------------

KINDS = [
    pytest.param({"crs": "EPSG:32718", "gsd_m": 3.0}, id="utm-3m-4band-uint16"),
    pytest.param({"crs": "EPSG:32718", "gsd_m": 3.0, "tiled": False}, id="utm-3m-striped"),
    pytest.param({"crs": "EPSG:4326", "gsd_m": 2.7e-5}, id="lonlat-3m"),
    pytest.param({"crs": "EPSG:3857", "gsd_m": 4.77}, id="mercator-4.77m-nicfi"),
    pytest.param(
        {
            "crs": "EPSG:32718",
            "gsd_m": 0.5,
            "bands": 3,
            "dtype": "uint8",
            "width": 600,
            "dredge_offset_px": 40,  # 20 m from the water: its 3 m pixel is all forest
        },
        id="utm-0.5m-3band-uint8",
    ),
    pytest.param({"crs": "EPSG:3857", "gsd_m": 3.0, "bands": 3, "dtype": "uint8"}, id="merc-rgb"),
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_dredge_is_in_a_tile_at_the_right_pixel(tmp_path: Path, kind: dict) -> None:
    options = {"width": 300, "height": 260, "rotated_footprint": True} | kind
    options["height"] = options["width"] - 40
    fixture = write_scene(tmp_path / "s.tif", dredge_fractions=(0.3, 0.5, 0.7), **options)
    plan = _plan(fixture, SMALL_TILES, tmp_path)
    assert plan.tiles
    resolution = plan.grid.transform.a
    for dredge in fixture.dredges:
        holding = _tiles_holding(plan, dredge)
        assert holding, f"dredge at {dredge} is in no tile"
        tile = holding[0]
        data = plan.read(tile).data.max(axis=0)
        expected_col, expected_row = (int(v) for v in ~tile.transform @ (dredge.x, dredge.y))
        rows = slice(max(0, expected_row - 3), expected_row + 4)
        cols = slice(max(0, expected_col - 3), expected_col + 4)
        near = data[rows, cols]
        row, col = np.unravel_index(np.argmax(near), near.shape)
        assert near[row, col] > FOREST[options.get("dtype", "uint16")] / _full(options)
        # the brightest chip pixel near the dredge lies over it: round trip within 0.5 px
        x, y = tile.transform @ (col + cols.start + 0.5, row + rows.start + 0.5)
        assert abs(x - dredge.x) <= 0.5 * resolution + 1e-6
        assert abs(y - dredge.y) <= 0.5 * resolution + 1e-6


def _full(options: dict) -> float:
    return 255.0 if options.get("dtype") == "uint8" else 10000.0


def test_tile_transform_round_trips_through_the_scene_grid(tmp_path: Path) -> None:
    fixture = write_scene(tmp_path / "s.tif", width=200, height=200)
    plan = _plan(fixture, SMALL_TILES, tmp_path)
    rng = np.random.default_rng(1)
    for tile in plan.tiles:
        cols, rows = rng.uniform(0, 64, size=(2, 5))
        x, y = tile.transform @ (cols, rows)
        scene_col, scene_row = ~fixture.transform @ (x, y)
        assert np.allclose(scene_col, cols + tile.window.col_off, atol=1e-6)
        assert np.allclose(scene_row, rows + tile.window.row_off, atol=1e-6)
        assert tile.footprint.equals_exact(plan.grid.window_footprint(tile.window), 1e-6)


def test_only_the_corridor_is_tiled(tmp_path: Path) -> None:
    fixture = write_scene(tmp_path / "s.tif", width=640, height=640)
    left, _, _, top = fixture.footprint.bounds
    corner = LineString([(left, top - 400), (left + 400, top)])  # clips the top-left corner
    plan = _plan(fixture, SMALL_TILES, tmp_path, nanay=corner)
    report = coverage(plan)
    assert 0 < report.tiles < report.grid_tiles / 10
    corridor = corner.buffer(60)
    assert all(tile.footprint.intersects(corridor) for tile in plan.tiles)
    assert report.read_fraction < 0.15
    assert report.corridor_fraction == pytest.approx(1.0)
    assert report.pixels_in_scene == 640 * 640


def test_a_river_that_leaves_the_scene_and_comes_back_is_tiled_on_both_reaches(
    tmp_path: Path,
) -> None:
    """Two reaches in the scene joined by a loop outside it: both tiled whole, nothing between
    them (the rivers file is in EPSG:4326, the scene in UTM)."""
    fixture = write_scene(tmp_path / "s.tif", width=320, height=320)
    left, bottom, right, top = fixture.footprint.bounds
    loop = LineString(
        [
            (left + 100, bottom),
            (left + 100, top + 500),
            (right - 100, top + 500),
            (right - 100, bottom),
        ]
    )
    plan = _plan(fixture, SMALL_TILES, tmp_path, nanay=loop)
    corridor = loop.buffer(60).intersection(fixture.footprint)
    assert corridor.geom_type == "MultiPolygon" and len(corridor.geoms) == 2
    kept = union_all([tile.footprint for tile in plan.tiles])
    assert corridor.difference(kept).area < 1e-6 * corridor.area
    assert coverage(plan).corridor_fraction == pytest.approx(1.0)
    middle = box(
        left + 400, bottom, right - 400, top
    )  # between the reaches: 200 m past their tiles
    assert not any(tile.footprint.intersects(middle) for tile in plan.tiles)


def test_a_gap_between_pieces_of_a_river_is_tiled(tmp_path: Path) -> None:
    """A river drawn in two pieces 600 m apart (a reach missing from the layer): its reference
    line bridges the gap, and so do the corridor and the tiles (they stopped 60 m into it, and a
    dredge at its middle, on the river's line, was in no tile)."""
    fixture = write_scene(tmp_path / "s.tif", width=640, height=640)
    left, bottom, right, top = fixture.footprint.bounds
    y = (top + bottom) / 2
    pieces = [LineString([(left, y), (left + 600, y)]), LineString([(left + 1200, y), (right, y)])]
    plan = _plan(fixture, SMALL_TILES, tmp_path, nanay=pieces)
    gap = LineString([(left + 600, y), (left + 1200, y)])
    kept = union_all([tile.footprint for tile in plan.tiles])
    assert kept.contains(gap.buffer(60))
    assert coverage(plan).corridor_fraction == pytest.approx(1.0)


def test_last_row_and_column_are_tiled(tmp_path: Path) -> None:
    fixture = write_scene(
        tmp_path / "s.tif", width=250, height=230, dredge_fractions=(1.0,), dredge_offset_px=0
    )
    plan = _plan(fixture, SMALL_TILES, tmp_path)
    corner_dredge = fixture.dredges[0]
    holding = _tiles_holding(plan, corner_dredge)
    assert holding
    last = max(plan.tiles, key=lambda tile: (tile.row, tile.col))
    assert last.window.col_off + 64 == 250 and last.window.row_off + 64 == 230
    data = plan.read(last).data
    assert data[0, -1, -1] == pytest.approx(DREDGE["uint16"] / 10000)  # bottom-right pixel


def test_scene_smaller_than_a_tile(tmp_path: Path) -> None:
    fixture = write_scene(tmp_path / "s.tif", width=50, height=40, dredge_fractions=(0.5,))
    plan = _plan(fixture, InputSpec(), tmp_path)
    assert len(plan.tiles) == 1
    tile = plan.tiles[0]
    assert (tile.window.width, tile.window.height) == (256, 256)
    got = plan.read(tile)
    assert got.data.shape == (3, 256, 256)
    assert got.valid[:40, :50].all() and not got.valid[40:, :].any() and not got.valid[:, 50:].any()
    assert coverage(plan).pixels_read == 50 * 40


def test_nodata_windows_are_skipped(tmp_path: Path) -> None:
    fixture = write_scene(
        tmp_path / "s.tif", width=320, height=320, rotated_footprint=True, footprint_scale=0.6
    )
    plan = _plan(fixture, SMALL_TILES, tmp_path)
    assert plan.skipped_nodata > 0  # the river runs through the scene's empty corners
    assert all(tile.valid_fraction > 0 for tile in plan.tiles)
    assert all(tile.footprint.intersects(fixture.footprint) for tile in plan.tiles)
    assert coverage(plan).corridor_fraction == pytest.approx(1.0)


def test_all_cloud_windows_are_skipped_with_udm2(tmp_path: Path) -> None:
    name = "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"
    fixture = write_scene(tmp_path / name, width=320, height=320)
    left, bottom, right, top = fixture.footprint.bounds
    cloud = box(left, (top + bottom) / 2, (left + right) / 2, top)  # top-left quarter
    clear_plan = _plan(fixture, SMALL_TILES, tmp_path)
    write_udm2(fixture, cloud)
    cloudy_plan = _plan(fixture, SMALL_TILES, tmp_path)
    assert clear_plan.skipped_cloud == 0
    assert cloudy_plan.skipped_cloud > 0
    assert len(cloudy_plan.tiles) == len(clear_plan.tiles) - cloudy_plan.skipped_cloud
    assert all(tile.clear_fraction > 0 for tile in cloudy_plan.tiles)
    assert all(not cloud.contains(tile.footprint) for tile in cloudy_plan.tiles)
    assert coverage(cloudy_plan).corridor_fraction < 0.75


def test_no_overlap_with_any_river(tmp_path: Path) -> None:
    fixture = write_scene(tmp_path / "s.tif", width=100, height=100)
    left, bottom, _, _ = fixture.footprint.bounds
    far = LineString([(left + 50_000, bottom), (left + 60_000, bottom + 10_000)])  # 50 km east
    plan = _plan(fixture, SMALL_TILES, tmp_path, nanay=far)
    assert plan.tiles == [] and not plan.overlaps_river
    assert coverage(plan).pixels_read == 0


def test_tiles_know_their_river(tmp_path: Path) -> None:
    fixture = write_scene(tmp_path / "s.tif", width=320, height=320)
    left, _, right, top = fixture.footprint.bounds
    across = LineString([(left, top - 30), (right, top - 30)])  # along the top edge
    plan = _plan(fixture, SMALL_TILES, tmp_path, nanay=fixture.river, itaya=across)
    first = next(tile for tile in plan.tiles if (tile.row, tile.col) == (0, 0))
    assert set(first.rivers) == {"nanay", "itaya"}
    assert {tile.river for tile in plan.tiles} == {"nanay", "itaya"}
    bottom_right = max(plan.tiles, key=lambda tile: (tile.row, tile.col))
    assert bottom_right.rivers == ("nanay",)


def test_plan_tiles_with_rivers_from_a_geodataframe(tmp_path: Path) -> None:
    fixture = write_scene(tmp_path / "s.tif", width=200, height=200)
    frame = gpd.GeoDataFrame({"name": ["nanay"]}, geometry=[fixture.river], crs=fixture.crs)
    with open_scene(fixture.path) as scene:
        tiles = plan_tiles(scene, RiverNetwork.from_frame(frame), SMALL_TILES)
    assert tiles and all(tile.river == "nanay" for tile in tiles)
    assert len({tile.tile_id for tile in tiles}) == len(tiles)
