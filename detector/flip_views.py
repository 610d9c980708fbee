"""Flipped views: the model sees each tile as it is, mirrored left–right, up–down and both,
and a box is kept when two of the four views find it.

A 3 m dredge is 2–5 pixels wide, and one view's score on it is noisy: a real dredge is missed
in one view and found in another, and a false one (a roof, foam, a boat's wake) is rarely
found in two. The four views' boxes are grouped by centre (within :data:`AGREE_RADIUS_PX`, one
class); a group's score is its second-best view's best score, its box the score-weighted mean
(the plain mean where every member scored 0, as ``--conf 0`` keeps).
Where the views split on an object's class (two say dredge, two boat), only the class whose
views' best scores sum higher keeps its box: one object, one box.

Chosen on the validation world (seed 2, monthly, five rivers, 2024; dredge F1 with a 15 m
centroid match, conf 0.25; never a test world): one view P 0.891 R 0.771 F1 0.826; four views
with the second-best score 0.938 / 0.800 / 0.863 (0.866 at conf 0.2 and at 0.3); the mean of
the four views' scores 0.863 at its best conf (0.15); eight views (with transposes) 0.865 at
best; every view's boxes pooled under NMS 0.822 at best (the recall of four views, P ≤ 0.77);
a grouping radius of 3 px 0.835 (neighbours moored side by side merge). It costs four forward
passes per tile.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FLIPS: tuple[tuple[bool, bool], ...] = ((False, False), (True, False), (False, True), (True, True))
"""(left–right, up–down) mirror of each view; the first is the tile as it is."""
AGREE_RADIUS_PX = 2.0
"""Boxes of one class from different views whose centres are this close are one object."""
AGREEING_VIEWS = 2
"""A group scores what its ``AGREEING_VIEWS``-th best view scores."""


def flip_batch(batch: NDArray[np.float32], left_right: bool, up_down: bool) -> NDArray[np.float32]:
    """The (n, bands, h, w) batch mirrored as asked: a strided view, no copy
    (:func:`detector.model_boxes.pad_to_stride` makes the one contiguous copy the model needs)."""
    if left_right:
        batch = batch[:, :, :, ::-1]
    if up_down:
        batch = batch[:, :, ::-1, :]
    return batch


def unflip_raw(
    raw: NDArray[np.float32], left_right: bool, up_down: bool, *, width: int, height: int
) -> NDArray[np.float32]:
    """Raw YOLO output of a flipped batch (n, 4 + classes, anchors; centre x, y first) mapped
    back to the unflipped tile of ``width`` × ``height`` pixels (``raw`` itself when unflipped)."""
    if not (left_right or up_down):
        return raw
    raw = np.array(raw, dtype=np.float32, copy=True)
    if left_right:
        raw[:, 0] = width - raw[:, 0]
    if up_down:
        raw[:, 1] = height - raw[:, 1]
    return raw


def fuse_views(
    views: Sequence[NDArray[np.float32]],
    *,
    conf: float,
    radius_px: float = AGREE_RADIUS_PX,
    agreeing: int = AGREEING_VIEWS,
) -> NDArray[np.float32]:
    """One tile's boxes from several views (each (n, 6): x0, y0, x1, y1, score, class) → the
    groups whose ``agreeing``-th best view scores at least ``conf``, best first.

    Views that split on an object's class (two say dredge, two boat) make a group of each
    class: only the one whose views' best scores sum higher is kept, as one view's
    class-agnostic NMS keeps one box per object (both were kept: one object, two boxes)."""
    boxes = np.concatenate([np.asarray(v, dtype=np.float32).reshape(-1, 6) for v in views])
    view = np.concatenate([np.full(len(v), i) for i, v in enumerate(views)]).astype(np.int64)
    centres = np.column_stack([boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]]) / 2
    taken = np.zeros(len(boxes), dtype=bool)
    fused: list[list[float]] = []
    seeds: list[int] = []
    summed: list[float] = []
    for seed in np.argsort(-boxes[:, 4], kind="stable"):
        if taken[seed]:
            continue
        near = np.hypot(*(centres - centres[seed]).T) <= radius_px
        members = np.flatnonzero(near & ~taken & (boxes[:, 5] == boxes[seed, 5]))
        taken[members] = True
        best_per_view = np.zeros(len(views), dtype=np.float32)
        np.maximum.at(best_per_view, view[members], boxes[members, 4])
        score = float(np.sort(best_per_view)[::-1][agreeing - 1]) if agreeing <= len(views) else 0
        if score < conf:
            continue
        weights = boxes[members, 4]
        if weights.sum() <= 0:  # every view scored 0 (under --conf 0): 0/0 made a NaN box
            weights = np.ones_like(weights)
        box = (boxes[members, :4] * weights[:, None]).sum(axis=0) / weights.sum()
        fused.append([*box.tolist(), score, float(boxes[seed, 5])])
        seeds.append(int(seed))
        summed.append(float(best_per_view.sum()))
    kept: list[int] = []
    for k in np.argsort(-np.asarray(summed), kind="stable").tolist():
        near = np.hypot(*(centres[[seeds[j] for j in kept]] - centres[seeds[k]]).T) <= radius_px
        other = np.asarray([fused[j][5] != fused[k][5] for j in kept], dtype=bool)
        if not (near & other).any():  # the object's other class won on its summed score
            kept.append(k)
    out = np.asarray([fused[k] for k in kept], dtype=np.float32).reshape(-1, 6)
    return out[np.argsort(-out[:, 4], kind="stable")]
