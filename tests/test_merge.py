"""Cross-tile merging in map space: an object cut by a tile edge is found once, dredges moored
side by side stay apart. Boxes are built in metres on UTM zone 18S near the Nanay."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from detector.merge import (
    drop_duplicates_on_one_hull,
    intersection_over_smaller,
    keep_side_by_side_members,
    merge_detections,
)

X0, Y0 = 680_000.0, 9_585_000.0  # EPSG:32718


def _frame(
    boxes: list[tuple[str, float, float, float, float, float]],
    *,
    scene: str = "s1.tif",
    crs: str = "EPSG:32718",
) -> gpd.GeoDataFrame:
    """Rows of (tile, score, x0, y0, x1, y1) in metres from (X0, Y0)."""
    return gpd.GeoDataFrame(
        {
            "scene": [scene] * len(boxes),
            "tile": [tile for tile, *_ in boxes],
            "score": [score for _, score, *_ in boxes],
            "class_name": ["dredge"] * len(boxes),
        },
        geometry=[shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for _, _, a, b, c, d in boxes],
        crs=crs,
    )


def _bounds(frame: gpd.GeoDataFrame) -> list[tuple[float, ...]]:
    return sorted(
        tuple(round(v - o, 1) for v, o in zip(g.bounds, (X0, Y0, X0, Y0), strict=True))
        for g in frame.geometry
    )


def test_dredge_cut_by_a_tile_edge_is_found_once() -> None:
    # A 27 × 9 m dredge from x = 756 to 783: tile A (ends at 768) sees its left 12 m,
    # tile B sees it whole. Their centres are 7.5 m apart; IoU 0.44, IoS 1.
    frame = _frame([("A", 0.55, 756, 100, 768, 109), ("B", 0.92, 756.5, 100.2, 783, 109.1)])
    merged = merge_detections(frame)
    assert len(merged) == 1
    assert merged["score"].tolist() == [0.92] and merged["tile"].tolist() == ["B"]
    assert _bounds(merged) == [(756.0, 100.0, 783.0, 109.1)]


def test_partial_box_with_the_better_score_still_gives_the_whole_dredge() -> None:
    frame = _frame([("A", 0.95, 756, 100, 768, 109), ("B", 0.60, 756, 100, 783, 109)])
    merged = merge_detections(frame)
    assert len(merged) == 1 and _bounds(merged) == [(756.0, 100.0, 783.0, 109.0)]


def test_dredge_at_a_four_tile_corner_is_found_once() -> None:
    frame = _frame(
        [(tile, s, 700 + d, 100 + d, 722 + d, 108 + d)
         for tile, s, d in (("A", 0.8, 0.0), ("B", 0.9, 0.6), ("C", 0.7, -0.5), ("D", 0.6, 0.3))]
    )  # fmt: skip
    merged = merge_detections(frame)
    assert len(merged) == 1 and merged["score"].tolist() == [0.9]


@pytest.mark.parametrize("gap_m", [10.0, 15.0, 20.0])
def test_side_by_side_dredges_seen_by_both_tiles_stay_two(gap_m: float) -> None:
    # Two 24 × 8 m dredges along the flow (east-west), centres gap_m apart north-south, both
    # in the overlap of tiles A and B, found by both with a pixel of jitter.
    south = (700, 100, 724, 108)
    north = (700, 100 + gap_m, 724, 108 + gap_m)
    boxes = []
    for tile, jitter, score in (("A", 0.0, 0.8), ("B", 1.0, 0.7)):
        for a, b, c, d in (south, north):
            boxes.append((tile, score, a + jitter, b - jitter / 2, c + jitter, d - jitter / 2))
    merged = merge_detections(_frame(boxes))
    assert len(merged) == 2
    centres = sorted(round(g.centroid.y - Y0) for g in merged.geometry)
    assert centres[1] - centres[0] == pytest.approx(gap_m, abs=1)


def test_side_by_side_dredges_at_45_degrees_in_one_tile_stay_two() -> None:
    # Axis-aligned boxes of two 30 × 12 m dredges heading north-east, 10 m apart across the
    # flow, overlap by most of their area; they come from one tile, so they are two.
    frame = _frame([("A", 0.9, 700, 100, 729.7, 129.7), ("A", 0.85, 692.9, 107.1, 722.6, 136.8)])
    assert len(merge_detections(frame)) == 2


def test_side_by_side_one_seen_by_both_tiles_one_by_one_tile() -> None:
    # Tile A finds both; tile B finds only the southern one. B's box joins its own dredge.
    frame = _frame(
        [
            ("A", 0.8, 700, 100, 724, 108),
            ("A", 0.8, 700, 112, 724, 120),
            ("B", 0.9, 700.5, 103, 724.5, 111),  # southern dredge, seen 3 m off
        ]
    )
    merged = merge_detections(frame)
    assert len(merged) == 2
    assert _bounds(merged) == [(700.0, 100.0, 724.5, 111.0), (700.0, 112.0, 724.0, 120.0)]


def test_neighbours_each_seen_by_a_different_tile_stay_two() -> None:
    frame = _frame([("A", 0.8, 700, 100, 724, 108), ("B", 0.8, 700, 112, 724, 120)])
    assert len(merge_detections(frame)) == 2


def test_distance_gate_in_metres_in_any_crs() -> None:
    # Big boxes (a barge and a raft?) 30 m apart with IoS 0.7: beyond the 20 m gate.
    boxes = [("A", 0.8, 700, 100, 800, 200), ("B", 0.7, 730, 100, 830, 200)]
    assert len(merge_detections(_frame(boxes))) == 2
    assert len(merge_detections(_frame(boxes), distance_m=40)) == 1
    to_wgs84 = _frame(boxes).to_crs("EPSG:4326")
    assert len(merge_detections(to_wgs84)) == 2
    assert len(merge_detections(to_wgs84, distance_m=40)) == 1
    mercator = _frame(boxes).to_crs("EPSG:3857")
    assert len(merge_detections(mercator)) == 2


def test_scenes_are_merged_separately() -> None:
    box = ("A", 0.8, 700, 100, 724, 108)
    frame = gpd.GeoDataFrame(
        pd.concat([_frame([box], scene="day1.tif"), _frame([("B", *box[1:])], scene="day2.tif")]),
        crs="EPSG:32718",
    )
    assert sorted(merge_detections(frame)["scene"]) == ["day1.tif", "day2.tif"]


def test_empty_and_invalid_frames() -> None:
    assert merge_detections(_frame([])).empty
    with pytest.raises(ValueError, match=r"^detections lack column tile$"):
        merge_detections(_frame([]).drop(columns="tile"))
    with pytest.raises(ValueError, match=r"^detections lack columns tile, score$"):
        merge_detections(_frame([]).drop(columns=["tile", "score"]))
    with pytest.raises(ValueError, match="no CRS"):
        merge_detections(_frame([]).set_crs(None, allow_override=True))


def test_intersection_over_smaller() -> None:
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
    b = np.array([[5, 0, 7, 10], [5, 5, 15, 15], [20, 20, 30, 30]], dtype=float)
    assert intersection_over_smaller(a, b).tolist() == [1.0, 0.25, 0.0]


def test_geographic_frame_keeps_its_crs() -> None:
    lonlat = Transformer.from_crs("EPSG:32718", "EPSG:4326", always_xy=True)
    frame = _frame([("A", 0.8, 700, 100, 724, 108)]).to_crs("EPSG:4326")
    merged = merge_detections(frame)
    assert merged.crs.to_epsg() == 4326
    lon, lat = lonlat.transform(X0 + 712, Y0 + 104)
    assert merged.geometry.iloc[0].centroid.distance(shapely.Point(lon, lat)) < 1e-6


def test_two_boxes_of_one_tile_on_one_dredge_are_one() -> None:
    # The model's NMS keeps two boxes 3 m apart on one 24 × 10 m dredge (IoU 0.63 and less):
    # centres closer than a hull is wide are one dredge; the better score stays.
    frame = _frame([("A", 0.6, 700, 100, 724, 110), ("A", 0.7, 703, 100.5, 725, 110.5)])
    merged = merge_detections(frame)
    assert len(merged) == 1 and merged["score"].tolist() == [0.7]
    assert len(merge_detections(frame, min_separation_m=0)) == 2


def test_narrowest_side_by_side_dredges_stay_two() -> None:
    # Two 5 m wide hulls with a 2 m gap: centres 7 m apart, the closest two dredges can be.
    frame = _frame([("A", 0.6, 700, 100, 720, 105), ("A", 0.7, 700, 107, 720, 112)])
    assert len(merge_detections(frame)) == 2


def test_boxes_of_other_classes_are_not_merged_by_distance() -> None:
    frame = _frame([("A", 0.6, 700, 100, 724, 110), ("A", 0.7, 702, 100, 726, 110)])
    frame["class_name"] = ["dredge", "boat"]
    assert sorted(merge_detections(frame)["class_name"]) == ["boat", "dredge"]


def _placed(rows: list[tuple[float, float, float, str]]) -> pd.DataFrame:
    """Boxes placed on a river: (score, chainage_m, offset_m, class_name)."""
    return pd.DataFrame(
        {
            "score": [score for score, *_ in rows],
            "river": "Nanay",
            "chainage_m": [s for _, s, _, _ in rows],
            "offset_m": [o for _, _, o, _ in rows],
            "class_name": [c for *_, c in rows],
        }
    )


def test_a_second_box_along_one_hull_is_dropped() -> None:
    # Two boxes 8 m apart along the channel on one 25 m hull: one dredge, the better score stays.
    frame = _placed([(0.4, 1000.0, 10.0, "dredge"), (0.7, 1008.0, 11.0, "dredge")])
    kept = drop_duplicates_on_one_hull(frame)
    assert kept["score"].tolist() == [0.7]


@pytest.mark.parametrize(
    ("ds", "do", "why"),
    [
        (0.0, 7.0, "narrowest neighbours side by side"),
        (14.0, 0.0, "two short hulls bow to stern"),
        (8.0, 7.5, "neighbours side by side, one a little ahead"),
    ],
)
def test_neighbouring_hulls_stay_two(ds: float, do: float, why: str) -> None:
    frame = _placed([(0.5, 1000.0, 0.0, "dredge"), (0.6, 1000.0 + ds, do, "dredge")])
    assert len(drop_duplicates_on_one_hull(frame)) == 2, why


def test_a_second_box_beside_a_hull_closer_than_two_hulls_can_sit_is_dropped() -> None:
    # 6 m across: two hulls side by side sit at least 7 m apart, centre to centre.
    frame = _placed([(0.7, 1000.0, 0.0, "dredge"), (0.3, 1002.0, 6.0, "dredge")])
    assert drop_duplicates_on_one_hull(frame)["score"].tolist() == [0.7]


def test_one_hull_rule_keeps_other_classes_rivers_and_unplaced_rows() -> None:
    frame = _placed(
        [(0.5, 1000.0, 0.0, "dredge"), (0.6, 1004.0, 1.0, "boat"), (0.7, 1003.0, 0.0, "dredge")]
    )
    frame.loc[3] = [0.9, "Itaya", 1002.0, 0.0, "dredge"]
    frame.loc[4] = [0.9, None, np.nan, np.nan, "dredge"]
    kept = drop_duplicates_on_one_hull(frame)
    assert sorted(kept.index) == [1, 2, 3, 4]


def test_a_weak_box_side_by_side_with_a_confident_dredge_is_kept() -> None:
    # A group of two: the second member scored 0.18 lies 10 m across the channel from the first.
    frame = _placed([(0.7, 1000.0, 0.0, "dredge"), (0.18, 1001.0, 10.0, "dredge")])
    assert len(keep_side_by_side_members(frame, 0.25)) == 2


@pytest.mark.parametrize(
    ("score", "ds", "do", "cls", "why"),
    [
        (0.18, 10.0, 0.0, "dredge", "along the hull: a second box, not a member"),
        (0.18, 0.0, 30.0, "dredge", "too far across to be moored side by side"),
        (0.18, 0.0, 3.0, "dredge", "closer than two hulls can be"),
        (0.18, 1.0, 10.0, "boat", "a boat is no group member"),
    ],
)
def test_other_weak_boxes_are_left_out(
    score: float, ds: float, do: float, cls: str, why: str
) -> None:
    frame = _placed([(0.7, 1000.0, 0.0, "dredge"), (score, 1000.0 + ds, do, cls)])
    assert len(keep_side_by_side_members(frame, 0.25)) == 1, why


def test_weak_boxes_need_a_confident_dredge_on_their_own_river() -> None:
    frame = _placed([(0.7, 1000.0, 0.0, "boat"), (0.2, 1000.0, 10.0, "dredge")])
    frame.loc[2] = [0.9, "Itaya", 1000.0, 20.0, "dredge"]
    assert sorted(keep_side_by_side_members(frame, 0.25).index) == [0, 2]


def test_boxes_of_tied_scores_merge_alike_in_any_row_order() -> None:
    """Scores tied exactly (a model rounding them, a table typed by hand): the greedy merge took
    tied boxes in the table's row order, so a table in another order merged into other boxes
    (17 of 400 random layouts, some into another number of boxes). Tied boxes now go by
    position."""
    rows = [
        ("T0", 0.7, 15.0, 10.2, 25.8, 18.2),
        ("T1", 0.7, 14.7, 9.6, 23.3, 19.3),
        ("T1", 0.5, 12.6, 6.5, 37.1, 16.6),
    ]
    frame = _frame(rows)
    merged = {
        tuple(_bounds(merge_detections(frame.iloc[list(order)])))
        for order in itertools.permutations(range(len(rows)))
    }
    assert len(merged) == 1
    placed = _placed([(0.5, 1000.0, 10.0, "dredge"), (0.5, 1008.0, 11.0, "dredge")])
    kept = {
        tuple(drop_duplicates_on_one_hull(placed.iloc[list(order)])["chainage_m"])
        for order in ((0, 1), (1, 0))
    }
    assert kept == {(1000.0,)}
