"""A river's reference line: its pieces joined upstream → downstream into one line, less side
channels, copies of a reach and the overlaps of reaches traced by hand
(:class:`detector.rivers.RiverNetwork` measures chainage and offset along it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
import shapely.ops
from scipy.spatial import cKDTree
from shapely import LineString

OVERLAP_M = 50.0  # a piece within this of the line so far traces it again (a reach drawn twice)
JOINT_M = 1.0  # a piece beginning within this of the line's end, or past it, meets it there
PASSING_M = 10.0  # a reach traced twice passes the end of the line so far within this of it


def reference_line(parts: Sequence[LineString], side_gap_m: float) -> LineString:
    """Join directed pieces into one upstream → downstream line.

    Starting from the longest piece, the nearest piece is joined at the upstream or the
    downstream end (a straight segment bridges a gap). A piece drawn against the flow of the
    longest one (reaches digitised by hand in both directions) is turned round, and the whole
    line is turned when most of its length was drawn the other way. A piece whose
    two ends both lie within ``side_gap_m`` of the line so far when it is the nearest piece to
    join is a side channel (an island's other arm) and is left out of the reference line; it
    still counts for the corridor (told of every piece before each join, the pieces that close
    a tight meander's loop, across its neck from the line, were left out). So is
    a piece that traces over the line (a reach given twice), and a piece begun upstream of the
    end it joins (reaches traced by hand overlap at their joints) is cut where it passes it;
    one that would come back along the line is not joined that way (:func:`_going_on`), and
    one that passes the line's end from alongside it is joined there (:func:`_passing`).
    Where pieces meet at one end, an island's arm (its far end comes back to another piece)
    is not the one joined there (:func:`_not_an_arm`).

    The pieces near each join are found in an index (:class:`_Pieces`), and distances to the
    line so far measured to its segments near the point (:class:`_Line`): weighing every piece
    left at every join, against the whole line, took 9.5 s for 600 pieces whose ends do not
    meet and 53 s for 1,200 (an OpenStreetMap river of thousands of ways took many minutes).
    """
    pieces = _Pieces(sorted(parts, key=lambda part: part.length, reverse=True))
    first = pieces.take(0)
    line = _Line(first, len(parts))
    kept, turned_m = first.length, 0.0  # length of the pieces joined as drawn / turned round
    added: LineString | None = first  # what the line gained since pieces were last weighed
    while pieces.left:
        if added is not None:  # only a piece near what the line gained can now trace over it
            for index in pieces.near(added, OVERLAP_M):
                if _is_traced_over(pieces.parts[index], line):
                    pieces.take(index)
            added = None
        if not pieces.left:
            break
        gaps = pieces.gaps(line.head, line.tail)
        going_on = _going_on(gaps, pieces, line)
        if len(going_on) < len(gaps) or min(gaps)[0] > PASSING_M:  # no joint at the end: a
            # piece may pass it from alongside the line (overlapping it by more than OVERLAP_M)
            going_on = _going_on(gaps + _passing(pieces, line, min(gaps)[0]), pieces, line)
        gaps = going_on or gaps
        _, turned, index, where = _not_an_arm(gaps, pieces)
        part = pieces.take(index)
        piece = np.asarray(part.coords)
        piece = _beyond(piece[::-1] if turned else piece, line, where)
        # weighed as joined, cut where it passes the line's end: whole, its start back up the
        # overlap lay beside the line, and a river bending back near itself was an island's arm
        if _is_side_channel(LineString(piece) if len(piece) > 1 else part, line, side_gap_m):
            continue  # an island's other arm
        if turned:
            turned_m += part.length
        else:
            kept += part.length
        added = line.join(piece, where)
    whole = line.whole()
    return whole.reverse() if turned_m > kept else whole


class _Pieces:
    """The pieces not yet joined (by their rank, longest first), with an index of their ends
    and one of their lines to find those near a point of the line so far."""

    def __init__(self, parts: list[LineString]) -> None:
        self.parts = parts
        self.alive = np.ones(len(parts), dtype=bool)
        self.left = len(parts)
        ends = [(part.coords[k][0], part.coords[k][1]) for part in parts for k in (0, -1)]
        self.ends = cKDTree(np.array(ends, dtype=float).reshape(-1, 2))  # 2k start, 2k+1 end
        self.lines = shapely.STRtree(parts)

    def take(self, index: int) -> LineString:
        """Piece ``index``, no longer left to join."""
        self.alive[index] = False
        self.left -= 1
        return self.parts[index]

    def near(self, geometry: Any, distance: float) -> list[int]:
        """The pieces left within about ``distance`` of ``geometry`` (a metre more: a
        superset, each weighed exactly after), in rank order."""
        found = self.lines.query(geometry, predicate="dwithin", distance=distance + 1.0)
        return sorted(int(k) for k in found if self.alive[k])

    def gaps(self, head: Any, tail: Any) -> list[tuple[float, int, int, str]]:
        """The joins, ``(gap, turned, index, where)``, of each piece left whose end lies within
        :data:`OVERLAP_M` of the nearest one to either end of the line (the nearest join and
        those :func:`_not_an_arm` weighs against it; farther ones are never either)."""
        points = np.array([head[:2], tail[:2]], dtype=float)
        radius = 2 * OVERLAP_M
        while True:  # widen the search until it holds the nearest end and those beside it
            found = [
                np.array(ends, dtype=int) for ends in self.ends.query_ball_point(points, radius)
            ]
            found = [ends[self.alive[ends // 2]] for ends in found]
            near = [
                np.hypot(*(self.ends.data[ends] - point).T)
                for ends, point in zip(found, points, strict=True)
            ]
            if not any(len(d) for d in near):
                radius *= 4
                continue
            wanted = min(float(d.min()) for d in near if len(d)) + OVERLAP_M + 1.0
            if wanted <= radius:
                break
            radius = wanted
        gaps = []
        for where, line_end, ends, d in zip(
            ("before", "after"), (head, tail), found, near, strict=True
        ):
            at = shapely.Point(line_end)
            for end in sorted(int(end) for end in ends[d <= wanted]):
                index, is_end = divmod(end, 2)
                gap = at.distance(shapely.Point(self.parts[index].coords[-1 if is_end else 0]))
                # a piece's end before the head, or its start after the tail, joins as drawn
                turned = int(is_end != (where == "before"))
                gaps.append((gap, turned, index, where))
        return gaps


def _not_an_arm(
    gaps: list[tuple[float, int, int, str]], pieces: _Pieces
) -> tuple[float, int, int, str]:
    """The join of least gap, ``(gap, turned, index, where)``; of the pieces that meet the same
    end of the line within :data:`OVERLAP_M` of the nearest, not an island's arm drawn from
    the joint of two pieces of the main channel: one whose far end comes back to (within
    :data:`OVERLAP_M` of) another piece, more than that from either of its ends (the channel
    goes on past it). Joined there in place of the shorter main piece (the longest went
    first), the reference line went down the arm and then came back up that piece from its
    far end: a 12 km river was 14.6 km long, points on it 2 km off. The main piece may begin
    a few metres off the joint the arm is snapped to (traced by hand, overlapping the line or
    short of it): within :data:`JOINT_M` alone, one 5 m short of it was passed over so."""
    best = min(gaps)
    tied = [gap for gap in gaps if gap[3] == best[3] and gap[0] <= best[0] + OVERLAP_M]
    if len({gap[2] for gap in tied}) < 2:
        return best

    def is_arm(gap: tuple[float, int, int, str]) -> bool:
        _, turned, index, where = gap
        coords = pieces.parts[index].coords
        end = shapely.Point(coords[-1] if (where == "after") != bool(turned) else coords[0])
        return any(
            end.distance(piece) <= OVERLAP_M
            and min(end.distance(shapely.Point(piece.coords[k])) for k in (0, -1)) > OVERLAP_M
            for piece in (pieces.parts[k] for k in pieces.near(end, OVERLAP_M) if k != index)
        )

    return min([gap for gap in tied if not is_arm(gap)] or [best])


def _passing(pieces: _Pieces, line: _Line, nearest: float) -> list[tuple[float, int, int, str]]:
    """The joins, ``(gap, turned, index, where)``, of the pieces left that pass an end of the
    line within :data:`PASSING_M`, nearer than ``nearest`` (the nearest piece's end), with an
    end of theirs alongside the line farther back than :data:`OVERLAP_M` (reaches traced by
    hand overlapping by more than that): joined by that end and cut where they pass the line's
    end (:func:`_beyond`), the gap is how near they pass. Only pieces' ends were weighed, and
    with the end alongside the line far back, the piece was joined the other way round, or
    another piece in its place (an end on the next piece, farther than :data:`OVERLAP_M` from
    its ends, was taken for an island's arm's), and the line went back up the overlap."""
    joins = []
    for where, line_end in (("before", line.head), ("after", line.tail)):
        at = shapely.Point(line_end)
        for index in pieces.near(at, PASSING_M):
            part = pieces.parts[index]
            gap = at.distance(part)
            if gap > PASSING_M or gap >= nearest:
                continue
            ends = shapely.points([part.coords[0], part.coords[-1]])
            alongside = line.distance(ends, OVERLAP_M) <= OVERLAP_M
            back = shapely.distance(ends, at) > OVERLAP_M
            for k in np.flatnonzero(alongside & back):
                cut = part.project(at)  # the overlap: from that end to where it passes
                span = (0.0, cut) if k == 0 else (cut, part.length)
                overlap = shapely.ops.substring(part, *span)
                if line.along_from_end(ends[k], where) > overlap.length + OVERLAP_M:
                    continue  # alongside another reach: a meander's, across its neck
                dense = shapely.segmentize(overlap, OVERLAP_M / 2)
                points = shapely.points(shapely.get_coordinates(dense))
                if line.distance(points, OVERLAP_M).max() > OVERLAP_M:
                    continue  # not alongside all the way
                # as drawn, a piece joins after the tail by its start, before the head by its end
                turned = int((k == 0) != (where == "after"))
                joins.append((float(gap), turned, index, where))
    return joins


def _going_on(
    gaps: list[tuple[float, int, int, str]], pieces: _Pieces, line: _Line
) -> list[tuple[float, int, int, str]]:
    """The joins of ``gaps`` less those whose piece, so joined, would come back along the line:
    its far end lies within :data:`OVERLAP_M` of the line, nearer it than the end joined
    (the piece is the other way round, or it lies alongside the line), back from the line's end
    by at most the piece's length (not across a meander's neck). A short piece that overlaps
    the line by more than it extends it (reaches traced by hand overlap at their joints) has
    its end beyond the line's end nearer that end than its other end alongside the line, and
    joined by that nearer end the reference line went back up the overlap."""
    ends = []
    for _, turned, index, where in gaps:
        coords = pieces.parts[index].coords
        far = (where == "after") != bool(turned)
        ends += [coords[0] if far else coords[-1], coords[-1] if far else coords[0]]
    distance = line.distance(shapely.points(ends), OVERLAP_M).reshape(-1, 2)
    kept = [
        gap
        for gap, (joined, far), end in zip(gaps, distance, ends[1::2], strict=True)
        if not (
            far <= OVERLAP_M
            and far < joined
            and line.along_from_end(shapely.Point(end), gap[3])
            <= pieces.parts[gap[2]].length + OVERLAP_M
        )
    ]
    return kept


def _is_traced_over(part: LineString, line: LineString | _Line) -> bool:
    """True when all of ``part`` lies within :data:`OVERLAP_M` of ``line``: a reach given twice
    (a feature copied, two layers merged), which adds nothing to the line. Joined to it, the
    reference line went down the reach and back, and each position upstream of it was as far
    along again as the reach is long. Pieces of at most twice that length are never copies:
    a river digitised click by click in short pieces keeps every one."""
    if part.length <= 2 * OVERLAP_M:
        return False
    ends = shapely.points([part.coords[0], part.coords[-1]])
    if _distances(ends, line, OVERLAP_M).max() > OVERLAP_M:  # most pieces: two distances
        return False
    dense = shapely.get_coordinates(shapely.segmentize(part, OVERLAP_M / 2))
    return bool(_distances(shapely.points(dense), line, OVERLAP_M).max() <= OVERLAP_M)


def _distances(points: Any, line: LineString | _Line, within: float) -> np.ndarray:
    """The points' distances to ``line``, exact where at most ``within``."""
    if isinstance(line, _Line):
        return line.distance(points, within)
    return np.asarray(shapely.distance(points, line))


def without_copies(pieces: list[LineString]) -> list[LineString]:
    """The pieces less those that trace over a longer one (a reach given twice). Merged first,
    a copy drawn the other way made one line down the reach and back up it."""
    order = sorted(range(len(pieces)), key=lambda k: -pieces[k].length)
    rank = {k: r for r, k in enumerate(order)}
    tree = shapely.STRtree(pieces)
    dropped: set[int] = set()
    for k in order:
        near = tree.query(pieces[k], predicate="dwithin", distance=OVERLAP_M)
        longer = [int(j) for j in near if rank[int(j)] < rank[k] and int(j) not in dropped]
        if any(_is_traced_over(pieces[k], pieces[j]) for j in longer):
            dropped.add(k)
    return [piece for k, piece in enumerate(pieces) if k not in dropped]


def _beyond(piece: np.ndarray, joined: _Line, where: str) -> np.ndarray:
    """The coordinates of ``piece`` (in flow order) that go on from the end of the line
    ``joined`` it joins (``where``: after its tail or before its head): a piece digitised from
    a point upstream of the end it joins (reaches traced by hand overlap at their joints) is
    cut where it passes that end, when the part cut off runs along the line. Joined whole,
    the reference line went back up the overlap and down again: each position in it was on
    two lengths of the line (a moored dredge's chainage flickered between them) and each one
    upstream was twice the overlap too far along. A piece that begins past the line's end
    (its start lies nearest the end itself) meets it there, and a part that leaves the line is
    no overlap: a piece round a hairpin bend can pass nearer the line's end than its own start
    does, and cut there, a river in 400 m pieces round 150 m meander necks was 36 m short."""
    end = joined.tail if where == "after" else joined.head
    line, at = LineString(piece), shapely.Point(end)
    if line.distance(at) > OVERLAP_M:
        return piece
    # how far back along the line the piece begins: an overlap begins alongside it, a joint
    # at or past its end (a hairpin bend in the piece may still pass nearer the end than the
    # piece's own end does)
    start = shapely.Point(piece[0] if where == "after" else piece[-1])
    if joined.along_from_end(start, where) <= JOINT_M:
        return piece
    cut = line.project(at)
    if where == "after" and cut > 0:
        dropped, kept = (
            shapely.ops.substring(line, *span) for span in ((0, cut), (cut, line.length))
        )
    elif where == "before" and cut < line.length:
        dropped, kept = (
            shapely.ops.substring(line, *span) for span in ((cut, line.length), (0, cut))
        )
    else:
        return piece
    dense = shapely.get_coordinates(shapely.segmentize(dropped, OVERLAP_M / 2))
    if joined.distance(shapely.points(dense), OVERLAP_M).max() > OVERLAP_M:
        return piece
    return np.asarray(kept.coords)


def _is_side_channel(part: LineString, line: _Line, gap_m: float) -> bool:
    """True when both ends of ``part`` lie by ``line`` and it cannot extend either end, or
    both come back to the line away from its ends."""
    start, end = shapely.Point(part.coords[0]), shapely.Point(part.coords[-1])
    head, tail = shapely.Point(line.head), shapely.Point(line.tail)
    to_start, to_end = line.distance([start, end], max(gap_m, OVERLAP_M))
    alongside = to_start <= gap_m and to_end <= gap_m
    extends = start.distance(tail) <= gap_m or end.distance(head) <= gap_m
    extends |= end.distance(tail) <= gap_m or start.distance(head) <= gap_m  # drawn upstream
    # both ends back on the line (within OVERLAP_M), away from its ends: an arm, however near
    # an end (one that came back 100 m short of the line's end was joined there, back up it)
    comes_back = all(
        to_line <= OVERLAP_M and min(point.distance(head), point.distance(tail)) > OVERLAP_M
        for point, to_line in ((start, to_start), (end, to_end))
    )
    return bool(alongside and (comes_back or not extends))


class _Line:
    """The line so far, as the runs of segments each join added (in line order), with their
    bounding boxes to find those near a point: its distances are those to the whole line
    wherever they are within the distance asked for (the segments, so the values, are the
    same), without measuring every segment of a line of thousands of pieces at every join."""

    def __init__(self, first: LineString, capacity: int) -> None:
        self.runs: deque[np.ndarray] = deque([np.asarray(first.coords)])
        self.geoms = np.empty(capacity, dtype=object)
        self.boxes = np.empty((capacity, 4))
        self.count = 0
        self.first, self.last = 0, 0  # the runs at the head and the tail
        self.length, self.segments = 0.0, 0  # about: to bound the rounding of a measure along
        self._add(first)

    @property
    def head(self) -> np.ndarray:
        return self.runs[0][0]

    @property
    def tail(self) -> np.ndarray:
        return self.runs[-1][-1]

    def whole(self) -> LineString:
        return LineString(np.concatenate(list(self.runs)))

    def join(self, piece: np.ndarray, where: str) -> LineString | None:
        """Join ``piece`` after the tail or before the head; the segments it added."""
        if where == "after":
            joint = tuple(piece[0]) == tuple(self.tail)
            added = piece if joint else np.concatenate([self.tail[None], piece])
            self.runs.append(added[1:])
        else:
            joint = tuple(piece[-1]) == tuple(self.head)
            added = piece if joint else np.concatenate([piece, self.head[None]])
            self.runs.appendleft(added[:-1])
        if len(added) < 2:
            return None
        run = LineString(added)
        index = self._add(run)
        if where == "after":
            self.last = index
        else:
            self.first = index
        return run

    def _add(self, run: LineString) -> int:
        self.geoms[self.count] = run
        self.boxes[self.count] = run.bounds
        self.length += run.length
        self.segments += len(run.coords) - 1
        self.count += 1
        return self.count - 1

    def near(self, geometry: Any, distance: float) -> np.ndarray:
        """The runs within about ``distance`` of ``geometry`` (a superset)."""
        x0, y0, x1, y1 = shapely.bounds(geometry)
        boxes = self.boxes[: self.count]
        reach = distance + 1.0
        return np.flatnonzero(
            (boxes[:, 0] <= x1 + reach)
            & (boxes[:, 2] >= x0 - reach)
            & (boxes[:, 1] <= y1 + reach)
            & (boxes[:, 3] >= y0 - reach)
        )

    def distance(self, points: Any, within: float) -> np.ndarray:
        """Each point's distance to the line where it is at most ``within``; more otherwise
        (``inf`` or the distance to a nearby run)."""
        points = np.atleast_1d(np.asarray(points, dtype=object))
        runs = self.geoms[self.near(shapely.multipoints(points), within)]
        if not len(runs):
            return np.full(len(points), np.inf)
        return np.asarray(shapely.distance(points[:, None], runs[None, :]).min(axis=1))

    def is_traced_over(self, part: LineString) -> bool:
        """:func:`_is_traced_over` against the line so far."""
        if part.length <= 2 * OVERLAP_M:
            return False
        ends = shapely.points([part.coords[0], part.coords[-1]])
        if self.distance(ends, OVERLAP_M).max() > OVERLAP_M:
            return False
        dense = shapely.get_coordinates(shapely.segmentize(part, OVERLAP_M / 2))
        return bool(self.distance(shapely.points(dense), OVERLAP_M).max() <= OVERLAP_M)

    def along_from_end(self, point: Any, where: str) -> float:
        """How far along the line from its end (the tail after, the head before) the nearest
        point of it to ``point`` lies: within the run at that end, unless another is as near
        or the figure is within rounding of :data:`JOINT_M`, where the whole line is
        measured (summed from the head, the two figures differ by rounding)."""
        end_run = self.geoms[self.last if where == "after" else self.first]
        near = end_run.distance(point)
        others = [k for k in self.near(point, near) if self.geoms[k] is not end_run]
        if not len(others) or shapely.distance(point, self.geoms[others]).min() > near + 1e-6:
            along = end_run.project(point)
            figure = end_run.length - along if where == "after" else along
            rounding = 4 * (self.segments + 1) * float(np.spacing(self.length)) + 1e-9
            if abs(figure - JOINT_M) > rounding:
                return float(figure)
        line = self.whole()
        along = line.project(point)
        return float(line.length - along if where == "after" else along)


def merged_pieces(pieces: list[LineString]) -> list[LineString]:
    """The pieces joined end to start where exactly two meet (:func:`shapely.line_merge`),
    except at a joint that another piece's loose end (one no other piece meets) comes within
    :data:`OVERLAP_M` of: an island's arm snapped to the end of a piece of the main channel
    whose next piece, traced by hand, begins a few metres off. Merged there, the arm and the
    piece it leaves were one line, longest of all, and the reference line went down the arm and
    back up the main channel's next piece: a 12 km river was 14.7 km long. Left apart, the
    joint is weighed as :func:`reference_line` weighs any (:func:`_not_an_arm`)."""
    merged = shapely.line_merge(shapely.MultiLineString(pieces), directed=True)
    parts = [
        part
        for part in shapely.get_parts(merged)
        if isinstance(part, LineString) and part.length > 0
    ]
    kept = _contested_joints(pieces)
    if not kept:
        return parts
    out: list[LineString] = []
    for part in parts:
        coords = list(part.coords)
        cuts = [k for k in range(1, len(coords) - 1) if tuple(coords[k][:2]) in kept]
        for a, b in zip([0, *cuts], [*cuts, len(coords) - 1], strict=True):
            out.append(LineString(coords[a : b + 1]))
    return out


def _contested_joints(pieces: list[LineString]) -> set[tuple[float, float]]:
    """Joints where one piece ends and one begins with another piece's loose end within
    :data:`OVERLAP_M`."""
    ends: dict[tuple[float, float], list[int]] = {}
    for index, piece in enumerate(pieces):
        for k in (0, -1):
            ends.setdefault(tuple(piece.coords[k][:2]), []).append(index)
    loose = [(point, owners[0]) for point, owners in ends.items() if len(owners) == 1]
    joints = {point: owners for point, owners in ends.items() if len(owners) == 2}
    if not loose or not joints:
        return set()
    tree = shapely.STRtree(shapely.points([point for point, _ in loose]))
    where = list(joints)
    near_joint, near_loose = tree.query(
        shapely.points(where), predicate="dwithin", distance=OVERLAP_M
    )
    return {
        where[j]
        for j, k in zip(near_joint.tolist(), near_loose.tolist(), strict=True)
        if loose[k][1] not in joints[where[j]]
    }


BRIDGE_TOLERANCE_M = 0.01  # a segment of the line whose middle is this near a piece was drawn


def bridges(line: LineString, pieces: Sequence[LineString]) -> list[LineString]:
    """The segments of the reference line ``line`` that no piece draws: the straight joins
    across gaps between pieces (a reach missing from the hydrography, an OpenStreetMap way
    under another name). The corridor, buffered from the pieces alone, stopped at each gap:
    a dredge in it lay on the river's line, in no tile."""
    coords = np.asarray(line.coords)[:, :2]
    if len(coords) < 2 or not len(pieces):
        return []
    middles = shapely.points((coords[1:] + coords[:-1]) / 2)
    drawn, _ = shapely.STRtree(list(pieces)).query(
        middles, predicate="dwithin", distance=BRIDGE_TOLERANCE_M
    )
    gaps = np.setdiff1d(np.arange(len(middles)), drawn)
    return [LineString(coords[k : k + 2]) for k in gaps]
