"""A river's reference line: its pieces joined upstream → downstream into one line, less side
channels, copies of a reach and the overlaps of reaches traced by hand
(:class:`detector.rivers.RiverNetwork` measures chainage and offset along it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
import shapely.ops
from shapely import LineString

OVERLAP_M = 50.0  # a piece within this of the line so far traces it again (a reach drawn twice)
JOINT_M = 1.0  # a piece beginning within this of the line's end, or past it, meets it there


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
    end it joins (reaches traced by hand overlap at their joints) is cut where it passes it.
    Where pieces meet at one end, an island's arm (its far end comes back to another piece)
    is not the one joined there (:func:`_not_an_arm`).
    """
    remaining = sorted(parts, key=lambda part: part.length, reverse=True)
    first = remaining.pop(0)
    coords = list(first.coords)
    kept, turned_m = first.length, 0.0  # length of the pieces joined as drawn / turned round
    while remaining:
        line = LineString(coords)
        remaining = [part for part in remaining if not _is_traced_over(part, line)]
        if not remaining:
            break
        head, tail = shapely.Point(coords[0]), shapely.Point(coords[-1])
        gaps = []
        for index, part in enumerate(remaining):
            start, end = shapely.Point(part.coords[0]), shapely.Point(part.coords[-1])
            gaps += [
                (start.distance(tail), 0, index, "after"),
                (end.distance(head), 0, index, "before"),
                (end.distance(tail), 1, index, "after"),  # drawn upstream: turned round
                (start.distance(head), 1, index, "before"),
            ]
        _, turned, index, where = _not_an_arm(gaps, remaining)
        part = remaining.pop(index)
        if _is_side_channel(part, line, side_gap_m):
            continue  # an island's other arm
        piece = list(part.coords)
        if turned:
            piece.reverse()
            turned_m += part.length
        else:
            kept += part.length
        piece = _beyond(piece, LineString(coords), where)
        if where == "after":
            coords = coords + piece[1:] if piece[0] == coords[-1] else coords + piece
        else:
            coords = piece[:-1] + coords if piece[-1] == coords[0] else piece + coords
    return LineString(coords[::-1] if turned_m > kept else coords)


def _not_an_arm(
    gaps: list[tuple[float, int, int, str]], remaining: list[LineString]
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
        coords = remaining[index].coords
        end = shapely.Point(coords[-1] if (where == "after") != bool(turned) else coords[0])
        return any(
            end.distance(piece) <= OVERLAP_M
            and min(end.distance(shapely.Point(piece.coords[k])) for k in (0, -1)) > OVERLAP_M
            for other, piece in enumerate(remaining)
            if other != index
        )

    return min([gap for gap in tied if not is_arm(gap)] or [best])


def _is_traced_over(part: LineString, line: LineString) -> bool:
    """True when all of ``part`` lies within :data:`OVERLAP_M` of ``line``: a reach given twice
    (a feature copied, two layers merged), which adds nothing to the line. Joined to it, the
    reference line went down the reach and back, and each position upstream of it was as far
    along again as the reach is long. Pieces of at most twice that length are never copies:
    a river digitised click by click in short pieces keeps every one."""
    if part.length <= 2 * OVERLAP_M:
        return False
    ends = shapely.points([part.coords[0], part.coords[-1]])
    if shapely.distance(ends, line).max() > OVERLAP_M:  # most pieces: two distances
        return False
    dense = shapely.get_coordinates(shapely.segmentize(part, OVERLAP_M / 2))
    return bool(shapely.distance(shapely.points(dense), line).max() <= OVERLAP_M)


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


def _beyond(piece: list[Any], joined: LineString, where: str) -> list[Any]:
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
    end = joined.coords[-1] if where == "after" else joined.coords[0]
    line, at = LineString(piece), shapely.Point(end)
    if line.distance(at) > OVERLAP_M:
        return piece
    # how far back along the line the piece begins: an overlap begins alongside it, a joint
    # at or past its end (a hairpin bend in the piece may still pass nearer the end than the
    # piece's own end does)
    along = joined.project(shapely.Point(piece[0] if where == "after" else piece[-1]))
    if (joined.length - along if where == "after" else along) <= JOINT_M:
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
    if shapely.distance(shapely.points(dense), joined).max() > OVERLAP_M:
        return piece
    return list(kept.coords)


def _is_side_channel(part: LineString, line: LineString, gap_m: float) -> bool:
    """True when both ends of ``part`` lie by ``line`` and it cannot extend either end, or
    both come back to the line away from its ends."""
    start, end = shapely.Point(part.coords[0]), shapely.Point(part.coords[-1])
    head, tail = shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])
    alongside = start.distance(line) <= gap_m and end.distance(line) <= gap_m
    extends = start.distance(tail) <= gap_m or end.distance(head) <= gap_m
    extends |= end.distance(tail) <= gap_m or start.distance(head) <= gap_m  # drawn upstream
    # both ends back on the line (within OVERLAP_M), away from its ends: an arm, however near
    # an end (one that came back 100 m short of the line's end was joined there, back up it)
    comes_back = all(
        point.distance(line) <= OVERLAP_M
        and min(point.distance(head), point.distance(tail)) > OVERLAP_M
        for point in (start, end)
    )
    return alongside and (comes_back or not extends)


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
