"""The boxes `dredge review` pre-fills: one per object, and as Label Studio tasks.

Detections of several runs put together on one scene (two models run on the same scene, a run
redone with another threshold) hold one object two or more times: each became a pre-filled
box of its own in one tile, boxes on boxes the analyst had to delete one by one (and a
`dredge train` of a tile left so learned each dredge twice). :func:`without_duplicates` keeps
one of each: the higher score of those of one scene and class that overlap by
:data:`IOU_SAME` or more.
"""

from __future__ import annotations

import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from detector.wording import count_of
from training.labels.table import LabelledTile
from training.review_folder import SUBSET

IOU_SAME = 0.7  # two detections of one scene and class overlapping this much are one object


def without_duplicates(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str]:
    """``frame`` (index kept) without the detections that repeat another of its scene and
    class (IoU ≥ :data:`IOU_SAME`, the higher score kept: a score not given counts lowest),
    and a note counting them ('' when none)."""
    drop: list[Any] = []
    keys = [frame["scene"].astype(str), frame["class_name"].astype(str)]
    for _, group in frame.groupby(keys, sort=False):
        if len(group) > 1:
            drop += _repeats(group)
    if not drop:
        return frame, ""
    note = (
        f" ({count_of(len(drop), 'duplicate detection')} left out: each overlaps another of "
        f"its scene and class by IoU ≥ {IOU_SAME}, as runs put together give; the higher "
        "score kept)"
    )
    return frame.drop(index=drop), note


def _repeats(group: gpd.GeoDataFrame) -> list[Any]:
    """Index labels of the detections of one scene and class that overlap one of a higher
    score (greedy, as a detector's non-maximum suppression)."""
    geoms = group.geometry[~(group.geometry.isna() | group.geometry.is_empty)]
    if len(geoms) < 2:
        return []
    if geoms.crs is not None and geoms.crs.is_geographic:  # IoU of areas, not of degrees
        geoms = geoms.to_crs(geoms.estimate_utm_crs())
    bounds = geoms.bounds.to_numpy()
    boxes = shapely.box(*bounds.T)
    areas = shapely.area(boxes)
    scores = group.loc[geoms.index, "score"].astype(float).fillna(-math.inf).to_numpy()
    tree = shapely.STRtree(boxes)
    gone = np.zeros(len(boxes), dtype=bool)
    for i in np.argsort(-scores, kind="stable"):
        if gone[i]:
            continue
        for j in tree.query(boxes[i]):
            if j == i or gone[j]:
                continue
            inter = shapely.area(shapely.intersection(boxes[i], boxes[j]))
            union = areas[i] + areas[j] - inter
            if union > 0 and inter / union >= IOU_SAME:
                gone[j] = True  # not yet kept: ranked below i (a keeper would have taken i)
    return list(geoms.index[gone])


def label_studio_tasks(
    tiles: list[LabelledTile], scores: list[list[float]], model: str
) -> list[dict[str, Any]]:
    """Label Studio tasks: each tile with its boxes as a prediction (percent coordinates); a
    box whose score is not known (NaN in a hand-made table) has none (a NaN is not JSON)."""
    tasks = []
    for tile, tile_scores in zip(tiles, scores, strict=True):
        result = []
        for index, (box, score) in enumerate(zip(tile.boxes, tile_scores, strict=True)):
            result.append(
                {
                    "id": f"{tile.name}_{index}",
                    "type": "rectanglelabels",
                    "from_name": "label",
                    "to_name": "image",
                    "original_width": tile.width,
                    "original_height": tile.height,
                    **({"score": round(score, 4)} if math.isfinite(score) else {}),
                    "value": {
                        "x": 100 * box.x0 / tile.width,
                        "y": 100 * box.y0 / tile.height,
                        "width": 100 * (box.x1 - box.x0) / tile.width,
                        "height": 100 * (box.y1 - box.y0) / tile.height,
                        "rotation": 0,
                        "rectanglelabels": [box.class_name],
                    },
                }
            )
        tasks.append(
            {
                "data": {"image": _local_files_url(f"images/{SUBSET}/{tile.name}.png")},
                "predictions": [{"model_version": model, "result": result}],
            }
        )
    return tasks


def _local_files_url(path: str) -> str:
    """Label Studio's URL of a file it serves: ``/data/local-files/?d=PATH``, with the
    characters that end or change a URL's query value (``%``, ``#``, ``&``, ``+``) escaped
    (a scene named ``escena #1, 50% & A+B.tif``: its tiles did not load). Spaces and accents
    stay as written: the browser escapes them."""
    return "/data/local-files/?d=" + re.sub(r"[%#&+]", lambda m: f"%{ord(m[0]):02X}", path)
