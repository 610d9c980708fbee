"""One river per spot where two rivers meet.

Each detection belongs to the nearest river (:meth:`detector.rivers.RiverNetwork.locate`). At
a confluence (the Nanay's mouth on the Amazon, the Cenepa's on the Marañón) a dredge moored
about as near to both centerlines was put on one river on some dates and on the other on
others, as its position jittered by a few metres from scene to scene: one dredge made a
track on each river, each seen on fewer dates, and was counted on both rivers or on neither.

Here the detections that lie within the corridors of two rivers or more are linked, scene
after scene in time order, into spots: each joins the spot whose mean position lies within
:data:`SPOT_M` of it, one to one (Hungarian algorithm), at most one detection of a scene each,
so that dredges on the two banks of a spit stay apart. The spots of a group (detections of one
scene within :data:`GROUP_M` of each other: dredges moored side by side) are then one, as a
group moves as one and the tracker finds its members on one river. Each spot goes to the
river nearest to all its detections together (the smallest sum of distances), the river of
its mean position whatever one date's jitter; a detection takes it when that river is at most
:data:`JUNCTION_MARGIN_M` farther than its own nearest (a dredge that is clearly on one river
keeps it, on any date).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from detector.assignment import assign_pairs
from detector.rivers import RiverNetwork
from detector.wording import agree, count_of

JUNCTION_MARGIN_M = 40.0
"""A detection takes its spot's river when that river is at most this much farther than its
nearest: with 8 m of jitter (each way) from date to date, a dredge's distances to two rivers
meeting at a right angle differ by up to ~35 m from its mean position's."""
SPOT_M = 45.0
"""A detection joins a spot whose mean position lies within this distance (a dredge's
position jitters by 8 m or so each way from scene to scene: 45 m is four times the spread
of the distance between two of its detections)."""
GROUP_M = 20.0
"""Boxes of one scene this close are one hull or one group moored side by side (neighbours lie
7–18 m apart, centre to centre: :data:`detector.merge.MEMBER_ACROSS_M`)."""
METRES_PER_DEGREE = 111_320.0
RIVER_COLUMNS = ("river", "chainage_m", "offset_m")


def settle_confluences(
    frame: gpd.GeoDataFrame, network: RiverNetwork, *, one_scene: bool = False
) -> tuple[gpd.GeoDataFrame, int]:
    """``frame`` (detections placed on ``network``: ``river``, ``chainage_m``, ``offset_m``;
    ``acquired``, and ``scene`` where known) with the detections of each spot where two
    rivers' corridors overlap on one river (see the module notes); and how many changed
    river.

    ``one_scene``: the boxes of one scene, where a spot is a hull or a group: boxes chained
    within :data:`GROUP_M` of each other (the rules that keep one box per hull and a group's
    members compare boxes of one river: across two, a hull's second box was kept and a
    member scored under ``--conf`` was dropped)."""
    if len(network.rivers) < 2 or frame.empty:
        return frame, 0
    rows = np.flatnonzero(_in_two_corridors(frame.geometry, network))
    if not len(rows):
        return frame, 0
    found = network.candidates(frame.geometry.iloc[rows])
    several = found.groupby("point")["river"].transform("size") >= 2
    found = found[several.to_numpy()]
    if found.empty:
        return frame, 0
    points = np.unique(found["point"].to_numpy())
    spot = (_groups if one_scene else _spots)(frame.iloc[rows[points]])
    found = found.assign(spot=spot[np.searchsorted(points, found["point"].to_numpy())])
    chosen = _spot_rivers(found)
    best = found.groupby("point")["distance_m"].transform("min")
    wanted = found[
        (found["river"] == found["spot"].map(chosen))
        & (found["distance_m"] <= best + JUNCTION_MARGIN_M)
    ]
    at = rows[wanted["point"].to_numpy()]
    before = frame["river"].astype("string").to_numpy()[at]
    changed = before != wanted["river"].to_numpy()
    if not changed.any():
        return frame, 0
    out = frame.copy()
    for column in RIVER_COLUMNS:
        values = out[column].to_numpy(dtype=object if column == "river" else float).copy()
        values[at] = wanted[column].to_numpy()
        out[column] = values
    return out, int(changed.sum())


def about_as_near(
    geometry: gpd.GeoSeries, rivers: pd.Series, network: RiverNetwork
) -> NDArray[np.bool_]:
    """Whether each detection's river in ``rivers`` is at most :data:`JUNCTION_MARGIN_M`
    farther from it than its nearest river (its nearest, or the river that ``dredge detect``
    put it on with its hull or group at a confluence)."""
    out = np.zeros(len(geometry), dtype=bool)
    named = rivers.astype("string").to_numpy()
    rows = np.flatnonzero(rivers.notna().to_numpy() & _in_two_corridors(geometry, network))
    if not len(rows):
        return out
    found = network.candidates(geometry.iloc[rows])
    best = found.groupby("point")["distance_m"].transform("min")
    near = found[found["distance_m"] <= best + JUNCTION_MARGIN_M]
    near = near[near["river"].to_numpy() == named[rows[near["point"].to_numpy()]]]
    out[rows[near["point"].to_numpy()]] = True
    return out


def settled_note(count: int, source: object) -> str:
    """The line telling how many detections changed river at confluences."""
    return (
        f"{source}: {count_of(count, 'detection')} {agree(count, 'lies', 'lie')} about as near "
        "to two rivers (at a confluence): "
        "each spot's detections are put on the river nearest to them together, so that a "
        "dredge moored there is one track on one river"
    )


def _in_two_corridors(geometry: gpd.GeoSeries, network: RiverNetwork) -> NDArray[np.bool_]:
    """Whether each detection's centre lies in the corridors of two rivers or more (only
    there can it be near two)."""
    corridor = np.asarray(network.corridor(geometry.crs).geometry.array, dtype=object)
    centres = shapely.centroid(np.asarray(geometry.array, dtype=object))
    _, point = shapely.STRtree(centres).query(corridor, predicate="contains")
    return np.asarray(np.bincount(point, minlength=len(geometry)) >= 2)


def _spot_rivers(found: pd.DataFrame) -> pd.Series:
    """Spot → the river with the smallest sum of distances to its detections, among the
    rivers within the gate of every one of them."""
    members = found.groupby("spot")["point"].nunique()
    totals = found.groupby(["spot", "river"], sort=False).agg(
        distance=("distance_m", "sum"), points=("point", "size")
    )
    every = members.reindex(totals.index.get_level_values("spot")).to_numpy()
    totals = totals[totals["points"].to_numpy() == every].reset_index()
    totals = totals.sort_values(["spot", "distance"], kind="stable").drop_duplicates("spot")
    return totals.set_index("spot")["river"]


def _spots(frame: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """A spot number per detection: scene by scene in time order, each detection joins one
    to one the spot whose mean position lies nearest within :data:`SPOT_M`, else opens one."""
    xy = _metres(frame.geometry)
    times = pd.to_datetime(frame["acquired"], utc=True)
    scenes = frame["scene"].astype("string") if "scene" in frame.columns else None
    key = times.astype("string") if scenes is None else scenes.fillna(times.astype("string"))
    order = np.lexsort((key.to_numpy().astype(str), times.to_numpy()))
    cuts = np.flatnonzero(key.to_numpy()[order][1:] != key.to_numpy()[order][:-1]) + 1
    spot = np.full(len(xy), -1, dtype=np.int64)
    centre = np.zeros((0, 2))
    size = np.zeros(0)
    for look in np.split(order, cuts):
        pairs = cKDTree(centre).query_ball_point(xy[look], SPOT_M) if len(centre) else []
        if sum(map(len, pairs)):
            b = np.repeat(np.arange(len(look)), [len(p) for p in pairs])
            a = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs])
            cost = np.hypot(*(centre[a] - xy[look[b]]).T)
            chosen, _ = assign_pairs(a.astype(np.int64), b.astype(np.int64), cost)
            a, b = a[chosen], b[chosen]
            spot[look[b]] = a
            centre[a] = (centre[a] * size[a, None] + xy[look[b]]) / (size[a, None] + 1)
            size[a] += 1
        fresh = look[spot[look] < 0]
        spot[fresh] = np.arange(len(centre), len(centre) + len(fresh))
        centre = np.concatenate([centre, xy[fresh]])
        size = np.concatenate([size, np.ones(len(fresh))])
    # the spots of a group moored side by side (within GROUP_M of each other in one scene) are
    # one: a group moves as one, and the tracker finds its members on one river
    # pairs of one scene only: scenes a layer apart (all pairs, then those of one scene, was
    # quadratic in the looks at a spot: 32,000 detections of 20 dredges moored at a mouth
    # took 8 s and 2.7 GB)
    _, look = np.unique(key.to_numpy().astype(str), return_inverse=True)
    layers = np.column_stack([xy, look.astype(float) * 4 * GROUP_M])
    pairs = cKDTree(layers).query_pairs(GROUP_M, output_type="ndarray")
    count = len(centre)
    graph = coo_matrix(
        (np.ones(len(pairs)), (spot[pairs[:, 0]], spot[pairs[:, 1]])), shape=(count, count)
    )
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)[spot]


def _groups(frame: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """A group number per box of one scene: boxes chained within :data:`GROUP_M`."""
    xy = _metres(frame.geometry)
    pairs = cKDTree(xy).query_pairs(GROUP_M, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy),) * 2)
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)


def _metres(geometry: gpd.GeoSeries) -> NDArray[np.float64]:
    """Centres as x, y in metres: the CRS's own where projected, else degrees scaled near each
    point (plenty for a few tens of metres)."""
    centres = shapely.centroid(np.asarray(geometry.array, dtype=object))
    x, y = shapely.get_x(centres), shapely.get_y(centres)
    if geometry.crs is not None and geometry.crs.is_projected:
        return np.column_stack([x, y])
    return np.column_stack([x * np.cos(np.radians(y)), y]) * METRES_PER_DEGREE
