"""Tributaries drawn under their river's name: pieces that branch off its main stem.

Chainage runs along the main stem only (:func:`detector.rivers.main_stem`). A detection
within the corridor of the main stem is measured on it; one farther out but by a branch is
measured along the branch from where it leaves the main stem's corridor: its chainage is that
point's, and its offset the distance out to it plus the distance along the branch beyond it
(signed as the bank the branch joins), so a dredge moving up a tributary changes its offset
only. Measured on the main stem by its nearest point, as side channels are, a point on a
tributary winding back toward the river's head was placed there: on the demo's Nanay with a
1.5 km tributary, 100 m up the tributary moved a point 1 km along the river.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import LineString, MultiLineString

TANGENT_STEP_M = 1.0
STEP_M = 10.0  # spacing of the points looked at to find where a branch leaves the corridor


@dataclass(frozen=True)
class Branch:
    """A piece off the main stem, drawn from where it meets the river (or a branch) outward.

    Past ``exit_m`` along it, a point's chainage is ``chainage_m`` (plus its distance across
    the branch) and its offset ``sign × (offset_m + distance along the branch past exit_m)``.
    """

    line: LineString
    exit_m: float
    chainage_m: float
    offset_m: float
    sign: float


def branch_frames(
    main: LineString, pieces: Sequence[LineString], gap_m: float
) -> tuple[Branch, ...]:
    """Each branch piece oriented outward from where it meets the main stem or a branch met
    before it, with where its positions start (see :class:`Branch`)."""
    done: list[Branch] = []
    todo = list(pieces)
    while todo:
        choices = []
        for index, piece in enumerate(todo):
            for oriented in (piece, piece.reverse()):
                start = shapely.Point(oriented.coords[0])
                met = [(start.distance(main), -1)]
                met += [(start.distance(branch.line), j) for j, branch in enumerate(done)]
                distance, parent = min(met)
                choices.append((distance, index, parent, oriented))
        _, index, parent, oriented = min(choices, key=lambda choice: choice[:3])
        todo.pop(index)
        if parent >= 0:
            up = done[parent]
            at = up.line.project(shapely.Point(oriented.coords[0]))
            if at >= up.exit_m:  # met beyond the corridor: measured on from there
                offset = up.offset_m + at - up.exit_m
                done.append(Branch(oriented, 0.0, up.chainage_m, offset, up.sign))
                continue
        done.append(_leaving(oriented, main, gap_m))
    return tuple(done)


def _leaving(branch: LineString, main: LineString, gap_m: float) -> Branch:
    """``branch`` measured from the first of its points farther than ``gap_m`` from ``main``."""
    xy = shapely.get_coordinates(shapely.segmentize(branch, STEP_M))
    distance, along, signed = measure(main, xy[:, 0], xy[:, 1])
    beyond = np.flatnonzero(distance >= gap_m)
    k = int(beyond[0]) if len(beyond) else len(xy) - 1
    walked = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    sign = 1.0 if signed[k] >= 0 else -1.0
    return Branch(branch, float(walked[k]), float(main.length - along[k]), float(distance[k]), sign)


def along_branches(
    branches: Sequence[Branch], x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(distance to the nearest branch, chainage, offset) of each point measured along it."""
    best = np.full(len(x), np.inf)
    chainage, offset = np.full(len(x), np.nan), np.full(len(x), np.nan)
    for branch in branches:
        distance, along, across = measure(branch.line, x, y)
        nearer = distance < best
        best[nearer] = distance[nearer]
        past = np.maximum(along - branch.exit_m, 0.0)
        chainage[nearer] = (branch.chainage_m + branch.sign * across)[nearer]
        offset[nearer] = (branch.sign * (branch.offset_m + past))[nearer]
    return best, chainage, offset


def measure(
    line: LineString, x: NDArray[np.float64], y: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(distance to the line, distance along it from its start, signed offset) per point."""
    points = shapely.points(x, y)
    along = shapely.line_locate_point(line, points)
    nearest = shapely.line_interpolate_point(line, along)
    distance = shapely.distance(points, line)
    ahead = shapely.line_interpolate_point(line, np.minimum(along + TANGENT_STEP_M, line.length))
    behind = shapely.line_interpolate_point(line, np.maximum(along - TANGENT_STEP_M, 0.0))
    tx = shapely.get_x(ahead) - shapely.get_x(behind)
    ty = shapely.get_y(ahead) - shapely.get_y(behind)
    px = x - shapely.get_x(nearest)
    py = y - shapely.get_y(nearest)
    side = np.sign(tx * py - ty * px)  # > 0: left of the direction of flow
    side[side == 0] = 1.0
    return (
        np.asarray(distance, dtype=float),
        np.asarray(along, dtype=float),
        np.asarray(distance * side, dtype=float),
    )


def branching(
    parts: list[LineString],
    remaining: list[int],
    branches: list[int],
    line: LineString,
    gap_m: float,
    overlap_m: float,
) -> list[int]:
    """The pieces of ``remaining`` that branch off ``line`` or off a branch (to a fixed point:
    a tributary's upper reaches meet the line through it); ``overlap_m``: see
    :func:`_branches_off`."""
    head, tail = shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])
    found: list[int] = []
    while True:
        side = shapely.MultiLineString([parts[k] for k in branches + found])
        new = [
            k
            for k in remaining
            if k not in found and _branches_off(parts[k], line, head, tail, side, gap_m, overlap_m)
        ]
        if not new:
            return found
        found += new


def _branches_off(
    part: LineString,
    line: LineString,
    head: shapely.Point,
    tail: shapely.Point,
    side: MultiLineString,
    gap_m: float,
    overlap_m: float,
) -> bool:
    """True when ``part`` meets ``line`` (within ``gap_m``) away from its ends and goes on from
    neither end, or meets a branch ``side`` of it. A piece that passes within ``overlap_m`` of
    the head or the tail is a reach begun upstream of the end it joins, not a branch."""
    ends = [shapely.Point(part.coords[0]), shapely.Point(part.coords[-1])]
    reach = [min(end.distance(head), end.distance(tail)) for end in ends]
    near = [end.distance(line) for end in ends]
    if any(g <= gap_m and d >= g / 2 for g, d in zip(reach, near, strict=True)):
        return False  # it goes on from the head or the tail
    if any(d <= gap_m and d < g / 2 for g, d in zip(reach, near, strict=True)):
        # not a reach traced on past the end it joins (overlapping at its joint)
        return part.distance(head) > overlap_m and part.distance(tail) > overlap_m
    return not side.is_empty and min(end.distance(side) for end in ends) <= gap_m


class Touches:
    """Which pieces meet (an end within ``gap_m`` of another piece), and where."""

    def __init__(self, parts: list[LineString], gap_m: float) -> None:
        self.parts, self.gap_m = parts, gap_m
        self._pairs: dict[int, list[tuple[int, shapely.Point]]] | None = None

    def pairs(self) -> dict[int, list[tuple[int, shapely.Point]]]:
        if self._pairs is None:
            ends = shapely.points(
                [c for part in self.parts for c in (part.coords[0], part.coords[-1])]
            )
            at, other = shapely.STRtree(self.parts).query(
                ends, predicate="dwithin", distance=self.gap_m
            )
            self._pairs = {}
            for end, k in zip(at.tolist(), other.tolist(), strict=True):
                if end // 2 != k:
                    self._pairs.setdefault(end // 2, []).append((k, ends[end]))
                    self._pairs.setdefault(k, []).append((end // 2, ends[end]))
        return self._pairs

    def upstream_m(self, first: int, pool: set[int], confluence: shapely.Point) -> float:
        """Length of the pieces of ``pool`` met from ``first`` other than at ``confluence``."""
        pairs, seen, todo = self.pairs(), {first}, [first]
        while todo:
            for k, where in pairs.get(todo.pop(), []):
                if k in pool and k not in seen and where.distance(confluence) > self.gap_m:
                    seen.add(k)
                    todo.append(k)
        return sum(self.parts[k].length for k in seen)


def outlet(parts: Sequence[LineString], gap_m: float, hint: int) -> tuple[int, bool]:
    """The piece at the mouth of a branching river, and whether it was drawn against the flow.

    The pieces make a network (split where one meets another away from its ends). Its mouth is
    the free end, in the part of the network that holds piece ``hint``, toward which most of
    its length was drawn, along the network: as for a river without branches, it flows the
    way most of it was drawn. Only free ends that a piece was drawn toward are looked at (a
    network digitised downstream, as HydroRIVERS, has one)."""
    nodes = _Nodes(parts, gap_m)
    edges = nodes.edges()
    links: dict[int, list[tuple[int, int]]] = {}  # node: (edge, other node)
    for index, (a, b, _, _) in enumerate(edges):
        if a != b:
            links.setdefault(a, []).append((index, b))
            links.setdefault(b, []).append((index, a))
    start = nodes.find(2 * hint)
    reached = _depths(links, start)
    leaves = [node for node in reached if len(links.get(node, [])) == 1]
    sinks = [node for node in leaves if edges[links[node][0][0]][1] == node] or leaves
    if not sinks:
        return hint, False

    def drained(leaf: int) -> float:
        depth = _depths(links, leaf)
        return sum(
            length for a, b, length, _ in edges if a in depth and b in depth and depth[b] < depth[a]
        )

    mouth = max(sinks, key=drained)
    edge = links[mouth][0][0]
    return edges[edge][3], edges[edge][1] != mouth


def _depths(links: dict[int, list[tuple[int, int]]], first: int) -> dict[int, int]:
    """Steps from ``first`` to each node it reaches (breadth first)."""
    depth, todo = {first: 0}, [first]
    while todo:
        nxt = []
        for node in todo:
            for _, other in links.get(node, []):
                if other not in depth:
                    depth[other] = depth[node] + 1
                    nxt.append(other)
        todo = nxt
    return depth


class _Nodes:
    """Where the pieces of a river meet: piece ends within ``gap_m`` of another piece's end
    (the nearest), or of another piece away from its ends (which is cut there)."""

    def __init__(self, parts: Sequence[LineString], gap_m: float) -> None:
        self.parts = list(parts)
        count = len(self.parts)
        self.parent = list(range(2 * count))  # 2k, 2k + 1: the ends of piece k; then cuts
        self.cuts: dict[int, list[tuple[float, int]]] = {}
        ends = shapely.points([c for part in self.parts for c in (part.coords[0], part.coords[-1])])
        near_end, near_piece = shapely.STRtree(ends), shapely.STRtree(self.parts)
        for end, point in enumerate(ends):
            best = (np.inf, 0, -1)  # distance; 0: to another end, 1: inside a piece; which
            for j in near_end.query(point, "dwithin", gap_m).tolist():
                if j // 2 != end // 2 and point.distance(ends[j]) < best[0]:
                    best = (point.distance(ends[j]), 0, j)
            for k in near_piece.query(point, "dwithin", gap_m).tolist():
                piece = self.parts[k]
                inside = gap_m < piece.project(point) < piece.length - gap_m
                if k != end // 2 and inside and point.distance(piece) < best[0]:
                    best = (point.distance(piece), 1, k)
            _, inside, which = best
            if which >= 0 and not inside:
                self.union(end, which)
            elif which >= 0:
                cut = len(self.parent)
                self.parent.append(cut)
                self.cuts.setdefault(which, []).append((self.parts[which].project(point), cut))
                self.union(end, cut)

    def find(self, node: int) -> int:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)

    def edges(self) -> list[tuple[int, int, float, int]]:
        """(node drawn from, node drawn to, length, piece) of each stretch between nodes."""
        out = []
        for k, piece in enumerate(self.parts):
            stops = [(0.0, 2 * k), *sorted(self.cuts.get(k, [])), (piece.length, 2 * k + 1)]
            for (a, na), (b, nb) in itertools.pairwise(stops):
                out.append((self.find(na), self.find(nb), b - a, k))
        return out
