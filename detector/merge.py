"""Merge the duplicates that overlapping tiles make, in map space.

Neighbouring tiles overlap (32 px by default, 96 m at 3 m), so a dredge near a tile edge is
found in two to four tiles: whole in one, perhaps cut by the edge in another. Two dredges
moored side by side (10–20 m apart) must stay two. The rules:

- Detections of the same tile are never merged: the model's own NMS already separated them,
  and two boxes in one tile are two objects.
- Across tiles of one scene, two boxes are the same object when their intersection over the
  smaller box (IoS) is at least ``ios`` and their centres are at most ``distance_m`` metres
  apart. IoS, not IoU: a box cut by a tile edge lies inside the whole box (IoS near 1) while
  its IoU can be small.
- Greedy by score: the best detection takes from each other tile the one matching box with
  the highest IoS (then the nearest), so with two dredges side by side each tile's box joins
  its own dredge, not its neighbour.
- The merged detection keeps the best score and class, and the union of the boxes (a box
  cut by an edge adds nothing to the whole one; duplicates differ by a pixel or so).
- Last, two boxes of one class whose centres are closer than ``min_separation_m`` are one
  object, whatever their tiles: two hulls cannot be moored closer than a hull's width (5 m at
  the least), centre to centre, while the model sometimes puts two boxes 2–6 m apart on one
  dredge that its NMS keeps (their IoU is 0.4–0.6). The better-scored box stays.
- Once the boxes are placed on the rivers (``chainage_m`` along the channel, ``offset_m``
  across it), dredges moor parallel to the flow: neighbours side by side lie across the
  channel from each other (7–18 m centre to centre), hulls moored bow to stern lie at least a
  hull's length apart along it, and the model's second box on a long hull lies along it.

  :func:`keep_side_by_side_members` keeps a dredge box scored under the operating threshold
  (down to ``MEMBER_CONF_RATIO`` of it) only when it lies side by side with a confident
  dredge box: less than ``MEMBER_ALONG_M`` apart along the channel and ``MEMBER_ACROSS_M``
  across. Dredges work in groups, and the model scores the second and third members of a
  group lower (0.13–0.24 on the demo world's Nanay) than a lone dredge.

  :func:`drop_duplicates_on_one_hull` then keeps one box per hull: two boxes of one class
  less than ``across_m`` (7 m) apart across the channel *and* a short hull's length
  (``along_m``, 12 m) along it are one dredge. 7 m is the closest two hulls side by side sit,
  centre to centre: half of each (at least 5 m wide) and a gap (at least 2 m). Chosen on the
  validation worlds (seeds 2, 4, 5, 6; ``dredge run`` detections with 5 m re-filtered): 63
  extra boxes lay within 15 m of a truth dredge that had its own box, at a median 7.0 m
  across from their neighbour; at 7 m F1 went 0.909 → 0.914 (true detections 897 → 876,
  false ones 95 → 60) and the yearly counts 25 → 26 of 40 within 10 %, total absolute error
  40 → 33 (6.5 m: 37; 7.5 m: 39; 8 m: F1 0.914, error 38). Dredges lashed closer than that
  count as one.

  Chosen on the validation worlds (seeds 2, 4, 5 and 6, conf 0.25, 15 m centroid match),
  where 77 of the 116 false dredge detections lay within 15 m of a true dredge (64 of all
  116 within 8 m of another box), and 70 of the 170 missed dredges had a box of their own
  scored 0.1–0.25. Through :func:`detector.detect.detect_scenes` there, F1 went
  0.850 → 0.877 (true detections 811 → 853, false ones 116 → 112). One box per hull alone
  gave 0.867 but fewer dredges counted: the second boxes had made up for missed members.

The rules need each hull whole in one tile, so tiles for detection overlap by at least
:data:`MIN_OVERLAP_M` whatever the model card says (:func:`spec_for_merging`): a card with
``overlap_px`` 0 cut a 36 m dredge on a seam into two boxes that touch (IoS 0), two dredges.

Distances are in metres whatever the CRS (UTM, Web Mercator or degrees): coordinates are
scaled by the CRS's units per metre at the centre of the detections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from detector.grid import crs_units_per_metre
from detector.inputspec import InputSpec
from detector.wording import agree

DEFAULT_DISTANCE_M = 20.0  # a box cut in half by an edge is ≤ 15 m off the whole one (30 m dredge)
DEFAULT_IOS = 0.5
DEFAULT_MIN_SEPARATION_M = 5.0  # chosen on validation world seed 2: F1 0.753 → 0.783
MEMBER_CONF_RATIO = 0.6  # members are kept from 0.15 at the default conf of 0.25
MEMBER_ALONG_M = 8.0  # side by side: about the same chainage...
MEMBER_ACROSS_M = (6.0, 20.0)  # ...and a neighbour's distance across (7–18 m centre to centre)
HULL_ALONG_M = 12.0  # the shortest hull's length (synthetic world: 12–30 m)
HULL_ACROSS_M = 7.0  # the closest side-by-side hulls, centre to centre (5 m hulls, 2 m gap)
REQUIRED_COLUMNS = ("scene", "tile", "score", "class_name")
MIN_OVERLAP_M = 2 * DEFAULT_DISTANCE_M  # a hull up to 40 m lies whole in one of two tiles


def boxes_made_at(conf: float) -> float:
    """The score the model's boxes are made at for the operating score ``conf``
    (``MEMBER_CONF_RATIO × conf``: 0.15 for 0.25): group members are kept from there
    (:func:`keep_side_by_side_members`), and the boxes scored at least ``conf`` are these,
    cut. `dredge detect` makes its boxes so, and `dredge evaluate` scores them so: with flips
    a box is the score-weighted mean of its group's boxes down to the score it is made at."""
    return conf * MEMBER_CONF_RATIO


@dataclass(frozen=True)
class _Boxes:
    """Boxes of one scene: bounds in CRS units, centres in metres, tiles and scores."""

    bounds: NDArray[np.float64]  # (n, 4): minx, miny, maxx, maxy
    centres_m: NDArray[np.float64]  # (n, 2)
    tiles: NDArray[np.int64]  # tile codes
    scores: NDArray[np.float64]


def spec_for_merging(spec: InputSpec) -> InputSpec:
    """``spec`` with tiles overlapping by at least :data:`MIN_OVERLAP_M` (at most half a tile,
    as :class:`~detector.inputspec.InputSpec` allows): the model sees tiles of the same size,
    only more of them where the card's overlap is narrower than a hull."""
    needed = min(math.ceil(MIN_OVERLAP_M / spec.gsd_m - 1e-9), spec.tile_px // 2)
    if spec.overlap_px >= needed:
        return spec
    return replace(spec, overlap_px=needed)


def merge_detections(
    frame: gpd.GeoDataFrame,
    *,
    distance_m: float = DEFAULT_DISTANCE_M,
    ios: float = DEFAULT_IOS,
    min_separation_m: float = DEFAULT_MIN_SEPARATION_M,
) -> gpd.GeoDataFrame:
    """One row per object: duplicates from overlapping tiles merged (see the module docstring).

    ``frame`` has box polygons in a CRS and the columns ``scene``, ``tile``, ``score`` and
    ``class_name``; the result has the same columns, with the index reset. Scenes are merged
    separately (different scenes are different dates).
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        noun = agree(len(missing), "column", "columns")
        raise ValueError(f"detections lack {noun} {', '.join(missing)}")
    if frame.crs is None:
        raise ValueError("detections have no CRS; merging needs map coordinates")
    if frame.empty:
        return frame.reset_index(drop=True)
    parts = [
        drop_close_duplicates(_merge_scene(group, distance_m, ios), min_separation_m)
        for _, group in frame.groupby("scene", sort=False)
    ]
    merged = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry=frame.geometry.name, crs=frame.crs)


def _merge_scene(frame: gpd.GeoDataFrame, distance_m: float, ios: float) -> gpd.GeoDataFrame:
    frame = _in_canonical_order(frame)
    boxes = _boxes(frame)
    clusters = _cluster_boxes(boxes, distance_m, ios)
    seeds = [cluster[0] for cluster in clusters]
    out = frame.iloc[seeds].copy()
    out["score"] = [float(boxes.scores[cluster].max()) for cluster in clusters]
    out[frame.geometry.name] = [
        shapely.box(*_union_bounds(boxes.bounds[cluster])) for cluster in clusters
    ]
    return out


def _in_canonical_order(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows best score first; boxes of one score largest first (a box cut by a tile edge
    after the whole one, as tiles in row order happened to give them), then by position (min
    x, min y, max x, max y), tile and class; index reset. The greedy steps take tied boxes in
    this order, not the table's, so that a table in another row order merges alike (with
    scores tied, 17 of 400 random layouts merged into other boxes, some into another number of
    them)."""
    bounds = frame.geometry.bounds.to_numpy(dtype=float)
    area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    keys = (
        frame["class_name"].astype(str).to_numpy(),
        frame["tile"].astype(str).to_numpy(),
        *bounds.T[::-1],
        -area,
        -frame["score"].to_numpy(dtype=float),
    )
    return frame.iloc[np.lexsort(keys)].reset_index(drop=True)


def drop_close_duplicates(frame: gpd.GeoDataFrame, min_separation_m: float) -> gpd.GeoDataFrame:
    """Boxes of one scene less those whose centre is within ``min_separation_m`` of the centre
    of a better-scored box of the same class."""
    if min_separation_m <= 0 or len(frame) < 2:
        return frame
    frame = frame.reset_index(drop=True)
    _, centres = _centres_m(frame)
    classes = pd.factorize(frame["class_name"])[0]
    reach = (min_separation_m, min_separation_m)
    dropped = _worse_near(centres, frame["score"].to_numpy(float), classes, reach, round_=True)
    return frame[~dropped].reset_index(drop=True)


def keep_side_by_side_members(
    frame: pd.DataFrame,
    conf: float,
    *,
    along_m: float = MEMBER_ALONG_M,
    across_m: tuple[float, float] = MEMBER_ACROSS_M,
) -> pd.DataFrame:
    """Boxes of one scene, placed on the rivers, scored at least ``conf``, and the dredge boxes
    scored under it that lie side by side with a dredge box scored at least ``conf`` on the
    same river: less than ``along_m`` apart along the channel, ``across_m`` (low, high) apart
    across it. ``frame`` needs ``river``, ``chainage_m``, ``offset_m``, ``score`` and
    ``class_name``. The index is kept."""
    scores = frame["score"].to_numpy(float)
    keep = scores >= conf
    dredge = (frame["class_name"] == "dredge").to_numpy()
    weak = np.flatnonzero(~keep & dredge)
    anchors = np.flatnonzero(keep & dredge)
    if len(weak) and len(anchors):
        river = frame["river"].astype("string").fillna("").to_numpy()
        s = frame["chainage_m"].to_numpy(float)
        o = frame["offset_m"].to_numpy(float)
        same = river[weak][:, None] == river[anchors][None, :]
        ds = np.abs(s[weak][:, None] - s[anchors][None, :])
        do = np.abs(o[weak][:, None] - o[anchors][None, :])
        beside = same & (ds < along_m) & (do >= across_m[0]) & (do <= across_m[1])
        keep[weak[beside.any(axis=1)]] = True
    return frame[keep]


def drop_duplicates_on_one_hull(
    frame: pd.DataFrame, *, along_m: float = HULL_ALONG_M, across_m: float = HULL_ACROSS_M
) -> pd.DataFrame:
    """Boxes of one scene, placed on the rivers, less those within ``along_m`` along the
    channel and ``across_m`` across it of a better-scored box of the same class on the same
    river (see the module docstring). ``frame`` needs ``river``, ``chainage_m``, ``offset_m``,
    ``score`` and ``class_name``; rows without a river are kept. The index is kept."""
    if len(frame) < 2 or along_m <= 0 or across_m <= 0:
        return frame
    river = frame["river"].astype("string")
    chainage = frame["chainage_m"].to_numpy(float)
    groups = pd.factorize(pd.Series(zip(river, frame["class_name"], strict=True)))[0]
    groups[~(river.notna().to_numpy() & np.isfinite(chainage))] = -1  # not placed: kept
    xy = np.column_stack([chainage, frame["offset_m"].to_numpy(float)])
    scores = frame["score"].to_numpy(float)
    return frame[~_worse_near(xy, scores, groups, (along_m, across_m), round_=False)]


def _worse_near(
    xy: NDArray[np.float64],
    scores: NDArray[np.float64],
    groups: NDArray[np.int64],
    reach: tuple[float, float],
    *,
    round_: bool,
) -> NDArray[np.bool_]:
    """Greedy, best score first (tied scores by x, then y): which points lie near a
    better-scored point of their group that was itself kept. Near: closer than ``reach[0]`` in
    x and ``reach[1]`` in y, or within the circle of radius ``reach[0]`` when ``round_``.
    Points of group -1 are never dropped."""
    dropped = np.zeros(len(xy), dtype=bool)
    for group in np.unique(groups[groups >= 0]):
        rows = np.flatnonzero(groups == group)
        tree = shapely.STRtree(shapely.points(xy[rows]))
        for index in rows[np.lexsort((xy[rows, 1], xy[rows, 0], -scores[rows]))]:
            if dropped[index]:
                continue
            (x, y), (rx, ry) = xy[index], reach
            near = rows[tree.query(shapely.box(x - rx, y - ry, x + rx, y + ry))]
            near = near[near != index]
            dx, dy = np.abs(xy[near] - xy[index]).T
            close = np.hypot(dx, dy) < rx if round_ else (dx < rx) & (dy < ry)
            dropped[near[close & (scores[near] <= scores[index])]] = True
    return dropped


def _centres_m(frame: gpd.GeoDataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Box bounds in CRS units, and box centres in metres (scaled at the boxes' middle)."""
    bounds = frame.geometry.bounds.to_numpy(dtype=float)
    centres = np.column_stack(
        [(bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2]
    )
    middle = centres.mean(axis=0)
    units_x, units_y = crs_units_per_metre(frame.crs, float(middle[0]), float(middle[1]))
    return bounds, centres / np.array([units_x, units_y])


def _boxes(frame: gpd.GeoDataFrame) -> _Boxes:
    bounds, centres_m = _centres_m(frame)
    codes, _ = pd.factorize(frame["tile"])
    return _Boxes(
        bounds=bounds,
        centres_m=centres_m,
        tiles=np.asarray(codes, dtype=np.int64),
        scores=frame["score"].to_numpy(dtype=float),
    )


def _cluster_boxes(boxes: _Boxes, distance_m: float, ios: float) -> list[list[int]]:
    """Groups of box indices that are one object; each group starts with its best box."""
    matches = _matches(boxes, distance_m, ios)
    owner = np.full(len(boxes.scores), -1, dtype=np.int64)
    clusters: list[list[int]] = []
    for seed in np.argsort(-boxes.scores, kind="stable"):
        if owner[seed] >= 0:
            continue
        owner[seed] = seed
        cluster, tiles = [int(seed)], {int(boxes.tiles[seed])}
        for other in matches.get(int(seed), []):
            tile = int(boxes.tiles[other])
            if owner[other] >= 0 or tile in tiles:
                continue
            owner[other] = seed
            cluster.append(other)
            tiles.add(tile)
        clusters.append(cluster)
    return clusters


def _matches(boxes: _Boxes, distance_m: float, ios: float) -> dict[int, list[int]]:
    """For each box, the boxes of other tiles that may be the same object, best first."""
    geoms = shapely.box(*boxes.bounds.T)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = (left != right) & (boxes.tiles[left] != boxes.tiles[right])
    left, right = left[keep], right[keep]
    overlap = intersection_over_smaller(boxes.bounds[left], boxes.bounds[right])
    distance = np.hypot(*(boxes.centres_m[left] - boxes.centres_m[right]).T)
    good = (overlap >= ios) & (distance <= distance_m)
    matches: dict[int, list[int]] = {}
    order = np.lexsort((distance[good], -overlap[good]))  # highest IoS first, then nearest
    for a, b in zip(left[good][order], right[good][order], strict=True):
        matches.setdefault(int(a), []).append(int(b))
    return matches


def intersection_over_smaller(
    a: NDArray[np.float64], b: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Row-wise intersection area over the smaller box's area, for (n, 4) bounds arrays."""
    width = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    height = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    inter = np.clip(width, 0, None) * np.clip(height, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    smaller = np.maximum(np.minimum(area_a, area_b), np.finfo(float).tiny)
    return np.asarray(inter / smaller, dtype=float)


def _union_bounds(bounds: NDArray[np.float64]) -> tuple[float, float, float, float]:
    return (
        float(bounds[:, 0].min()),
        float(bounds[:, 1].min()),
        float(bounds[:, 2].max()),
        float(bounds[:, 3].max()),
    )
