"""Tributaries drawn under their river's name: the pieces that branch off its main stem.

A branch is found by where pieces meet, never by how near they pass: a piece whose end lies
on another piece away from that piece's ends (within :data:`MEET_M`), or three or more piece
ends at one point (HydroRIVERS' reaches meet so at each confluence). Ends that meet ends in
twos are consecutive reaches (drawn either way, with a small gap), and a meander whose neck is
narrower than the corridor meets nothing. Starting from the outlet, the main stem goes on
through a piece that another meets (that one is the tributary), and at a point where three
ends meet takes the branch with the most river upstream; what hangs off it at one point alone
is a branch, left out of the reference line (it still counts for the corridor). What meets it
at two points (an island's other arm) is left to :func:`detector.rivers.reference_line`.

A detection within the corridor of the main stem is measured on it; one farther out but by a
branch is measured along the branch from where it leaves the main stem's corridor
(:class:`Branch`), so a dredge moving up a tributary changes its offset only. Measured on the
main stem by its nearest point, a point on a tributary winding back toward the river's head
was placed there: on the demo's Nanay with a 1.5 km tributary, 25 m up it moved a point 973 m
along the river.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from numpy.typing import NDArray
from shapely import LineString

MEET_M = 15.0  # an end this near another end, or another piece, meets it
ALONGSIDE_M = 50.0  # a piece that runs on within this of the one it meets overlaps it
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
    for _ in range(len(pieces)):  # each pass places one piece
        choices = []
        for index, piece in enumerate(todo):
            for turned, oriented in enumerate((piece, piece.reverse())):
                start = shapely.Point(oriented.coords[0])
                met = [(start.distance(main), -1)]
                met += [(start.distance(branch.line), j) for j, branch in enumerate(done)]
                distance, parent = min(met)
                choices.append((distance, index, parent, turned))
        _, index, parent, turned = min(choices)
        piece = todo.pop(index)
        oriented = piece.reverse() if turned else piece
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


@dataclass(frozen=True)
class _Edge:
    """A stretch of piece ``piece`` from ``start_m`` to ``end_m`` along it, between nodes."""

    a: int  # the node it is drawn from
    b: int  # the node it is drawn to
    piece: int
    start_m: float
    end_m: float

    @property
    def length(self) -> float:
        return self.end_m - self.start_m


class _Nodes:
    """Union-find of the points where pieces meet (ints: 2k and 2k+1 are piece k's ends)."""

    def __init__(self, count: int) -> None:
        self.parent = list(range(count))

    def add(self) -> int:
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, node: int) -> int:
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def stem_pieces(parts: Sequence[LineString]) -> tuple[list[LineString], list[LineString]]:
    """The pieces (or stretches of pieces) of the main stem and its side channels, and the
    pieces that branch off it. Without a confluence, the pieces as given and none."""
    if len(parts) < 3 and not _touching_inside(parts):
        return list(parts), []
    nodes, cuts = _meetings(parts)
    edges = _edges(parts, nodes, cuts)
    links: dict[int, list[int]] = {}
    for index, edge in enumerate(edges):
        links.setdefault(edge.a, []).append(index)
        links.setdefault(edge.b, []).append(index)
    if all(len(at) < 3 for at in links.values()):
        return list(parts), []
    branch: set[int] = set()
    for component in _components(links, edges):
        if any(len(links[node]) >= 3 for node in component):
            branch |= _branches(component, links, edges)
    if not branch:
        return list(parts), []
    return _kept(parts, edges, branch)


def _touching_inside(parts: Sequence[LineString]) -> bool:
    """Whether one end of two pieces lies on the other away from its ends (quick test)."""
    if len(parts) < 2:
        return False
    for k, j in ((0, 1), (1, 0)):
        for end in (parts[k].coords[0], parts[k].coords[-1]):
            if _inside(shapely.Point(end), parts[j]):
                return True
    return False


def _inside(point: shapely.Point, piece: LineString) -> bool:
    """Whether ``point`` lies on ``piece`` (within :data:`MEET_M`) away from its ends."""
    if point.distance(piece) > MEET_M:
        return False
    at = piece.project(point)
    return bool(MEET_M < at < piece.length - MEET_M)


def _meetings(
    parts: Sequence[LineString],
) -> tuple[_Nodes, dict[int, list[tuple[float, int]]]]:
    """The nodes where piece ends meet, and the cuts (position, node) on each piece where an
    end meets it away from its ends."""
    count = len(parts)
    ends = shapely.points([c for part in parts for c in (part.coords[0], part.coords[-1])])
    nodes = _Nodes(2 * count)
    near, other = shapely.STRtree(ends).query(ends, predicate="dwithin", distance=MEET_M)
    for i, j in zip(near.tolist(), other.tolist(), strict=True):
        if i // 2 != j // 2:
            nodes.union(i, j)
    cuts: dict[int, list[tuple[float, int]]] = {}
    near, other = shapely.STRtree(list(parts)).query(ends, predicate="dwithin", distance=MEET_M)
    for i, k in zip(near.tolist(), other.tolist(), strict=True):
        if i // 2 != k and _inside(ends[i], parts[k]) and not _overlaps(parts, i, k):
            cut = nodes.add()
            nodes.union(cut, i)
            cuts.setdefault(k, []).append((parts[k].project(ends[i]), cut))
    return nodes, cuts


def _overlaps(parts: Sequence[LineString], end: int, k: int) -> bool:
    """Whether the piece of ``end`` runs on along piece ``k`` from it, and ``k`` ends by it:
    reaches traced by hand overlapping at their joint (each begins on the other), not a
    tributary meeting its river."""
    piece = parts[end // 2]
    if shapely.distance(shapely.points([parts[k].coords[0], parts[k].coords[-1]]), piece).min() > (
        ALONGSIDE_M
    ):
        return False
    step = min(2 * ALONGSIDE_M, piece.length)
    on = piece.interpolate(step if end % 2 == 0 else piece.length - step)
    return bool(on.distance(parts[k]) <= ALONGSIDE_M)


def _edges(
    parts: Sequence[LineString], nodes: _Nodes, cuts: dict[int, list[tuple[float, int]]]
) -> list[_Edge]:
    """Each piece as stretches between the nodes on it (points of length nought dropped)."""
    edges = []
    for k, part in enumerate(parts):
        stops = [(0.0, 2 * k), *sorted(cuts.get(k, [])), (part.length, 2 * k + 1)]
        for (start, a), (end, b) in itertools.pairwise(stops):
            a, b = nodes.find(a), nodes.find(b)
            if a != b:
                edges.append(_Edge(a, b, k, start, end))
    return edges


def _components(links: dict[int, list[int]], edges: list[_Edge]) -> list[list[int]]:
    """The nodes of each connected part of the network."""
    seen: set[int] = set()
    out = []
    for first in links:
        if first in seen:
            continue
        seen.add(first)
        component, todo = [first], [first]
        while todo:
            for index in links[todo.pop()]:
                edge = edges[index]
                for node in (edge.a, edge.b):
                    if node not in seen:
                        seen.add(node)
                        component.append(node)
                        todo.append(node)
        out.append(component)
    return out


def _outlet(component: list[int], links: dict[int, list[int]], edges: list[_Edge]) -> int | None:
    """The free end of a network that most of its length was drawn toward, along it (pieces
    are drawn downstream; some may be drawn the other way)."""
    leaves = [node for node in component if len(links[node]) == 1]
    sinks = [node for node in leaves if edges[links[node][0]].b == node] or leaves
    best, outlet = -1.0, None
    for leaf in sinks:
        depth = _depths(leaf, links, edges)
        toward = sum(e.length for e in edges if e.a in depth and depth[e.a] > depth.get(e.b, -1))
        if toward > best:
            best, outlet = toward, leaf
    return outlet


def _depths(first: int, links: dict[int, list[int]], edges: list[_Edge]) -> dict[int, int]:
    """Steps from ``first`` to each node it reaches (breadth first)."""
    depth, todo = {first: 0}, [first]
    while todo:
        following = []
        for node in todo:
            for index in links[node]:
                edge = edges[index]
                other = edge.b if edge.a == node else edge.a
                if other not in depth:
                    depth[other] = depth[node] + 1
                    following.append(other)
        todo = following
    return depth


def _branches(component: list[int], links: dict[int, list[int]], edges: list[_Edge]) -> set[int]:
    """The edges of a network that branch off its main stem (see the module docstring)."""
    outlet = _outlet(component, links, edges)
    if outlet is None:  # a ring: no free end to flow out of
        return set()
    # a tree of the network grown from the outlet; each node's river upstream in it
    parent: dict[int, int] = {outlet: -1}
    order, todo = [outlet], [outlet]
    while todo:
        following = []
        for node in todo:
            for index in links[node]:
                edge = edges[index]
                other = edge.b if edge.a == node else edge.a
                if other not in parent:
                    parent[other] = index
                    order.append(other)
                    following.append(other)
        todo = following
    upstream = dict.fromkeys(order, 0.0)
    for node in reversed(order[1:]):
        edge = edges[parent[node]]
        above = edge.a if edge.b == node else edge.b
        upstream[above] += edge.length + upstream[node]
    trunk_nodes, trunk, node, came = {outlet}, set(), outlet, -1
    while True:
        children = [
            (edges[index].piece == came, edges[index].length + upstream[child], -index, child)
            for index in links[node]
            for child in (edges[index].a, edges[index].b)
            if child != node and parent.get(child) == index
        ]
        if not children:
            break
        _, _, index, node = max(children)
        index = -index
        trunk_nodes.add(node)
        trunk.add(index)
        came = edges[index].piece
    return _hanging(trunk, trunk_nodes, links, edges)


def _hanging(
    trunk: set[int], trunk_nodes: set[int], links: dict[int, list[int]], edges: list[_Edge]
) -> set[int]:
    """The edges off the trunk that meet it at one node only (a side channel meets it at two)."""
    branch: set[int] = set()
    seen: set[int] = set(trunk)
    for first in range(len(edges)):
        if first in seen or not {edges[first].a, edges[first].b} & trunk_nodes:
            continue
        group, met, todo = {first}, set(), [first]
        seen.add(first)
        while todo:
            edge = edges[todo.pop()]
            for node in (edge.a, edge.b):
                if node in trunk_nodes:
                    met.add(node)
                    continue
                for index in links[node]:
                    if index not in seen:
                        seen.add(index)
                        group.add(index)
                        todo.append(index)
        if len(met) == 1:
            branch |= group
    return branch


def _kept(
    parts: Sequence[LineString], edges: list[_Edge], branch: set[int]
) -> tuple[list[LineString], list[LineString]]:
    """Each piece less its branch stretches (whole when it has none), and the branch pieces."""
    stretches: dict[int, list[tuple[float, float, bool]]] = {}
    for index, edge in enumerate(edges):
        stretches.setdefault(edge.piece, []).append((edge.start_m, edge.end_m, index in branch))
    kept: list[LineString] = []
    off: list[LineString] = []
    for k, part in enumerate(parts):
        marks = sorted(stretches.get(k, []))
        if not any(is_branch for _, _, is_branch in marks):
            kept.append(part)
            continue
        runs: list[list[float]] = []  # (start, end) of the stretches kept, joined when they touch
        for start, end, is_branch in marks:
            if is_branch:
                off.append(_substring(part, start, end))
            elif runs and np.isclose(runs[-1][1], start):
                runs[-1][1] = end
            else:
                runs.append([start, end])
        kept += [_substring(part, start, end) for start, end in runs]
    return kept, off


def _substring(part: LineString, start: float, end: float) -> LineString:
    out = shapely.ops.substring(part, start, end)
    return out if isinstance(out, LineString) else LineString([out, out])
