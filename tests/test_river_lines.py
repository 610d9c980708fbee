"""Reference lines: pieces merged, turned to the flow, overlaps cut and copies, side channels
and tight meanders left as they are (:mod:`detector.river_lines`)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from shapely import LineString, Point
from shapely.ops import substring

from benchmarks.rivers_scale import pieced_river
from detector.river_lines import reference_line
from detector.rivers import DEFAULT_CORRIDOR_M
from tests.river_fixtures import EAST, X0, Y0, points_at, river_network


def test_pieces_in_any_order_are_merged_and_gaps_bridged(tmp_path: Path) -> None:
    pieces = [
        LineString([(X0 + 3000, Y0), (X0 + 5000, Y0)]),  # downstream piece first
        LineString([(X0, Y0), (X0 + 1000, Y0)]),
        LineString([(X0 + 1000, Y0), (X0 + 2950, Y0)]),  # 50 m gap before the next piece
    ]
    network = river_network(tmp_path, {"nanay": pieces})
    assert network.length_m("nanay") == pytest.approx(5000, abs=1)
    got = network.locate(points_at((X0 + 500, Y0 + 10), (X0 + 4500, Y0 - 10)))
    assert list(got["chainage_m"].round()) == [4500, 500]
    assert list(np.sign(got["offset_m"])) == [1, -1]


@pytest.mark.parametrize("turned", [1, 2])
def test_a_piece_drawn_against_the_flow_is_turned_round(tmp_path: Path, turned: int) -> None:
    """Reaches digitised by hand, one of them upstream: the reference line bridged across the
    turned piece and back (6.2 km instead of 3.9 km on a synthetic river), so that positions
    along it were off by up to 2.4 km and across it by 200 m."""
    pieces = [
        LineString([(X0, Y0), (X0 + 1000, Y0 + 300)]),
        LineString([(X0 + 1000, Y0 + 300), (X0 + 1500, Y0 + 600), (X0 + 2000, Y0)]),
        LineString([(X0 + 2000, Y0), (X0 + 5000, Y0 + 200)]),  # the longest: the flow
    ]
    pieces[turned - 1] = pieces[turned - 1].reverse()
    network = river_network(tmp_path, {"nanay": pieces})
    whole = LineString(
        [
            (X0, Y0),
            (X0 + 1000, Y0 + 300),
            (X0 + 1500, Y0 + 600),
            (X0 + 2000, Y0),
            (X0 + 5000, Y0 + 200),
        ]
    )
    assert network.length_m("nanay") == pytest.approx(whole.length, abs=1)
    points = ((X0 + 500, Y0 + 160), (X0 + 1500, Y0 + 560), (X0 + 3000, Y0 + 100))
    got = network.locate(points_at(*points))
    expected = river_network(tmp_path / "one", {"nanay": [whole]}).locate(points_at(*points))
    assert np.allclose(got["chainage_m"], expected["chainage_m"], atol=1)
    assert np.allclose(got["offset_m"], expected["offset_m"], atol=1)


@pytest.mark.parametrize("overlap_m", [3.0, 8.0, 30.0])
def test_reaches_overlapping_by_a_few_metres_make_one_length(overlap_m: float) -> None:
    """Review of c74c52d: a piece begun within 10 m of the end it joins was taken for a
    joint and not cut, and the line went back up each overlap: ten 1 km reaches overlapping
    by 8 m made a 10,144 m line for 10 km."""
    pieces = [
        LineString([(X0 + max(0.0, 1000 * i - overlap_m), Y0), (X0 + 1000 * (i + 1), Y0)])
        for i in range(10)
    ]
    line = reference_line(pieces, 250.0)
    assert line.length == pytest.approx(10_000, abs=0.5)
    assert line.project(Point(X0 + 9500, Y0)) == pytest.approx(9500, abs=0.5)


@pytest.mark.parametrize(
    ("spans", "upstream"),
    [
        # a short piece inside two others' overlap (250 m): its end on the next piece, more than
        # 50 m from that piece's ends, made the main piece look like an island's arm
        ([(0, 1394), (1144, 2243), (1993, 2321), (2071, 4000)], {3}),
        # a short piece overlapping the line by 120 m and going on 60 m past its end
        ([(0, 2447), (2327, 2507), (2387, 2675), (2555, 4000)], {0, 3}),
    ],
)
def test_reaches_overlapping_by_hundreds_of_metres_make_one_length(
    spans: list[tuple[float, float]], upstream: set[int]
) -> None:
    """Reaches traced by hand overlapping by more than 50 m at their joints, some drawn
    upstream: a piece was joined by the end nearer the line's, though that end lay beyond it
    and the other alongside it, and the line went back up the overlap: 4,656 m and 4,360 m
    for 4 km, positions on the last reaches 656 m and 360 m off."""
    pieces = [LineString([(X0 + a, Y0), (X0 + b, Y0)]) for a, b in spans]
    pieces = [p.reverse() if k in upstream else p for k, p in enumerate(pieces)]
    line = reference_line(pieces, DEFAULT_CORRIDOR_M)
    assert line.length == pytest.approx(4000, abs=0.5)
    if line.coords[0][0] > line.coords[-1][0]:
        line = line.reverse()
    for x in (500, 1500, 2500, 3500):
        assert line.project(Point(X0 + x, Y0)) == pytest.approx(x, abs=0.5)


@pytest.mark.parametrize("copy", ["as drawn", "turned round"])
def test_a_reach_traced_twice_is_one_length_of_the_line(tmp_path: Path, copy: str) -> None:
    """Reaches traced by hand overlap at their joints, and a feature copied (or two layers
    merged) gives a reach twice. The reference line went back up each overlap and down again:
    with the demo's upstream Nanay piece given twice, 29 of its 75 dredge detections were placed
    up to 3.9 km off and its counts went from 4 and 9 to 6 and 8; with the next reach begun
    400 m upstream of the joint, 10 m aside, positions were off by up to 801 m, and two
    detections a metre apart in the overlap were 800 m apart along the river."""
    upstream = LineString([(X0, Y0), (X0 + 6000, Y0)])  # 1 km past the joint
    downstream = LineString([(X0 + 5000, Y0 + 15), (X0 + 10_000, Y0 + 15)])
    network = river_network(tmp_path, {"nanay": [upstream, downstream]})
    assert network.length_m("nanay") == pytest.approx(10_000, abs=20)
    moored = network.locate(points_at((X0 + 5200, Y0 + 4), (X0 + 5200, Y0 + 12), (X0 + 4000, Y0)))
    assert moored.loc[0, "chainage_m"] == pytest.approx(moored.loc[1, "chainage_m"], abs=2)
    assert moored.loc[2, "chainage_m"] == pytest.approx(6000, abs=20)
    twice = EAST if copy == "as drawn" else EAST.reverse()
    network = river_network(tmp_path / "twice", {"nanay": [EAST, twice]})
    assert network.length_m("nanay") == pytest.approx(5000, abs=1)
    got = network.locate(points_at((X0 + 1000, Y0 + 20)))
    assert got.loc[0, "chainage_m"] == pytest.approx(4000, abs=1)
    assert got.loc[0, "offset_m"] == pytest.approx(20, abs=1)


def test_a_river_drawn_mostly_downstream_keeps_that_direction() -> None:
    """The longest piece was drawn upstream, the other two (longer together) downstream."""
    pieces = [
        LineString([(0, 0), (2000, 0)]),
        LineString([(5000, 0), (2000, 0)]),  # the longest, drawn against the flow
        LineString([(5000, 0), (7000, 0)]),
    ]
    line = reference_line(pieces, side_gap_m=DEFAULT_CORRIDOR_M)
    assert line.coords[0] == (0, 0) and line.coords[-1] == (7000, 0)
    assert line.length == pytest.approx(7000)
    alone = reference_line(pieces[1:2], side_gap_m=DEFAULT_CORRIDOR_M)
    assert alone.coords[0] == (5000, 0)


def test_side_channel_stays_out_of_the_reference_line() -> None:
    main = LineString([(0, 0), (10_000, 0)])
    island_arm = LineString([(3000, 10), (3500, 200), (4000, 10)])
    line = reference_line([island_arm, main], side_gap_m=DEFAULT_CORRIDOR_M)
    assert line.equals(main)


@pytest.mark.parametrize(
    "drawn",
    [
        [((0, 0), (60, 0)), ((65, 0), (2000, 0))],  # a short head piece, a 5 m gap
        [((60, 0), (0, 0)), ((60, 0), (2000, 0))],  # a short head piece drawn the other way
        [((0, 0), (1900, 0)), ((1905, 0), (1960, 0))],  # a short tail piece, a 5 m gap
    ],
)
def test_a_short_end_piece_with_a_gap_or_drawn_the_other_way_is_joined(
    tmp_path: Path, drawn: list
) -> None:
    """Review of a tributary fix: a short end piece that line_merge does not merge (a 5 m gap,
    or a touching piece drawn the other way) was joined again on every pass, for ever."""
    pieces = [LineString([(X0 + x, Y0 + y) for x, y in line]) for line in drawn]
    network = river_network(tmp_path, {"nanay": pieces})
    whole = drawn[-1][-1][0] - min(drawn[0][0][0], drawn[0][1][0])
    assert network.length_m("nanay") == pytest.approx(whole, abs=1)


def _omegas(neck: float, radius: float = 500.0, straight: float = 1500.0) -> LineString:
    """Three omega meanders whose necks are ``neck`` wide, between straight reaches."""
    points, x = [(X0, Y0)], X0
    half = np.arcsin(neck / 2 / radius)
    for _ in range(3):
        x += straight
        points.append((x, Y0))
        cx, cy = x + neck / 2, Y0 + radius * np.cos(half)
        start = -np.pi / 2 - half
        for a in np.linspace(start, start - (2 * np.pi - 2 * half), 80)[1:]:
            points.append((cx + radius * np.cos(a), cy + radius * np.sin(a)))
        x += neck
        points.append((x, Y0))
    points.append((x + straight, Y0))
    return LineString(points)


@pytest.mark.parametrize("reversed_too", [False, True])
@pytest.mark.parametrize("piece_m", [400.0, 1000.0])
def test_tight_meanders_in_pieces_are_no_tributaries(
    tmp_path: Path, piece_m: float, reversed_too: bool
) -> None:
    """Review of a tributary fix: a 15 km river of omega meanders with 150 m necks, drawn in
    pieces with 5 m gaps (and every other one against the flow). A piece whose end lay within
    the corridor of the line so far was taken for a branch: chainage was off by 7–13 km. And a
    piece round a hairpin bend, passing nearer the line's end than its own end, was cut there
    as an overlap at its joint: in 400 m pieces the river was 36 m short, chainage 31 m off."""
    true = _omegas(neck=150.0)
    cuts = [*np.arange(0, true.length, piece_m), true.length]
    pieces = [substring(true, a + 5, b - 5) for a, b in itertools.pairwise(cuts)]
    if reversed_too:
        pieces = [p.reverse() if i % 2 else p for i, p in enumerate(pieces)]
    network = river_network(tmp_path, {"nanay": pieces})
    assert network.length_m("nanay") == pytest.approx(true.length, abs=12)  # the last gap
    along = np.linspace(50, true.length - 50, 80)
    got = network.locate(points_at(*[(p.x, p.y) for p in (true.interpolate(s) for s in along)]))
    error = np.abs(got["chainage_m"] - (true.length - along))
    assert error.max() < 12, error.max()


@pytest.mark.parametrize("where", ["downstream", "upstream"])
def test_an_island_arm_begun_at_a_joint_of_the_main_channel_stays_out(
    tmp_path: Path, where: str
) -> None:
    """A 12 km river in two pieces, 10 km and 2 km, and an island's arm (2.1 km, 600 m out)
    drawn from their joint to the middle of the short piece (an OpenStreetMap river split into
    ways where the arm leaves it). The arm, longer than the short piece, was joined at the
    joint in its place, and the short piece after it from its far end back up: the line was
    14.6 km long, and a point on the short piece 2 km off in chainage."""
    main = [((0, 0), (10_000, 0)), ((10_000, 0), (12_000, 0))]
    arm = ((10_000, 0), (10_400, 600), (11_100, 600), (11_500, 0))
    probe = (11_800, 10)  # on the short piece, beyond the arm's end
    if where == "upstream":  # mirrored: the short piece is the head, the arm ends at the joint
        main = [((0, 0), (2000, 0)), ((2000, 0), (12_000, 0))]
        arm = ((500, 0), (900, 600), (1600, 600), (2000, 0))
        probe = (200, 10)
    pieces = [LineString([(X0 + x, Y0 + y) for x, y in line]) for line in [*main, arm]]
    network = river_network(tmp_path, {"nanay": pieces})
    assert network.length_m("nanay") == pytest.approx(12_000, abs=1)
    got = network.locate(points_at((X0 + probe[0], Y0 + probe[1])))
    assert got.loc[0, "chainage_m"] == pytest.approx(12_000 - probe[0], abs=1)


@pytest.mark.parametrize(
    ("neck", "piece_m", "reversed_too"), [(150.0, 200.0, False), (60.0, 200.0, True)]
)
def test_tight_meanders_in_short_pieces_keep_every_piece(
    tmp_path: Path, neck: float, piece_m: float, reversed_too: bool
) -> None:
    """The river of omega meanders above, digitised in 200 m pieces (click by click). Every
    piece whose two ends lay within the corridor of the line so far was left out as a side
    channel before the line had come round the loop to it: the pieces that close a loop lie
    across its neck from the pieces that open it. The line then cut across each loop's end:
    193 m short with 150 m necks, chainage 188 m off; with 60 m necks and every other piece
    drawn against the flow, the line ran the wrong way (chainage 15 km off). A piece is now
    told a side channel when it is the nearest one to join."""
    true = _omegas(neck=neck)
    cuts = [*np.arange(0, true.length, piece_m), true.length]
    pieces = [substring(true, a + 5, b - 5) for a, b in itertools.pairwise(cuts)]
    if reversed_too:
        pieces = [p.reverse() if i % 2 else p for i, p in enumerate(pieces)]
    network = river_network(tmp_path, {"nanay": pieces})
    along = np.linspace(50, true.length - 50, 80)
    got = network.locate(points_at(*[(p.x, p.y) for p in (true.interpolate(s) for s in along)]))
    error = np.abs(got["chainage_m"] - (true.length - along))
    assert error.max() < 150 if neck < 100 else error.max() < 12, error.max()


@pytest.mark.parametrize("where", ["downstream", "upstream"])
def test_an_island_arm_near_the_end_of_the_line_stays_out(tmp_path: Path, where: str) -> None:
    """An island's arm that comes back to the river 100 m from the end of its line (the line
    drawn to just past the island): its end lay within the corridor of the line's end, so it
    was taken for a piece extending the line, and joined there back up the arm: a 10.75 km
    river was 11.8 km long, every point's chainage 1,054 m off."""
    main = ((0, 0), (10_750, 0))
    arm = ((10_000, 0), (10_130, -250), (10_520, -250), (10_650, 0))
    probe = (10_300, 10)  # on the main channel, beside the arm
    if where == "upstream":  # mirrored: the arm leaves the river 100 m from its head
        arm = ((100, 0), (230, -250), (620, -250), (750, 0))
        probe = (450, 10)
    pieces = [LineString([(X0 + x, Y0 + y) for x, y in line]) for line in (main, arm)]
    network = river_network(tmp_path, {"nanay": pieces})
    assert network.length_m("nanay") == pytest.approx(10_750, abs=1)
    got = network.locate(points_at((X0 + probe[0], Y0 + probe[1])))
    assert got.loc[0, "chainage_m"] == pytest.approx(10_750 - probe[0], abs=1)


@pytest.mark.parametrize("where", ["downstream", "upstream"])
@pytest.mark.parametrize("off_m", [-20.0, 5.0, 20.0])
def test_an_island_arm_at_a_joint_the_main_piece_misses_by_metres_stays_out(
    tmp_path: Path, where: str, off_m: float
) -> None:
    """The river and arm above, the arm snapped to the long piece's end and the short piece
    begun a few metres off it (traced by hand: overlapping the long piece by 20 m, or 5 or
    20 m short of the joint). Only pieces within 1 m of the nearest were weighed against the
    arm, so the arm was joined in the short piece's place: the line 14.6 km long, a point on
    the short piece 642 m off in chainage."""
    main: list[tuple[tuple[float, float], ...]] = [
        ((0, 0), (10_000, 0)),
        ((10_000 + off_m, 0), (12_000, 0)),
    ]
    arm = ((10_000, 0), (10_400, 600), (11_100, 600), (11_500, 0))
    probe = (11_800, 10)
    if where == "upstream":  # mirrored: the short piece is the head, the arm ends at the joint
        main = [((0, 0), (2000 - off_m, 0)), ((2000, 0), (12_000, 0))]
        arm = ((500, 0), (900, 600), (1600, 600), (2000, 0))
        probe = (200, 10)
    pieces = [LineString([(X0 + x, Y0 + y) for x, y in line]) for line in [*main, arm]]
    network = river_network(tmp_path, {"nanay": pieces})
    assert network.length_m("nanay") == pytest.approx(12_000, abs=1)
    got = network.locate(points_at((X0 + probe[0], Y0 + probe[1])))
    assert got.loc[0, "chainage_m"] == pytest.approx(12_000 - probe[0], abs=1)


def test_a_river_in_hundreds_of_shuffled_pieces_is_joined_whole() -> None:
    """An OpenStreetMap river of many ways whose ends do not meet (5 m gaps, every third drawn
    upstream, in no order): the pieces near each join are found in an index (every piece left
    was weighed at every join, 9.5 s for 600 pieces, 53 s for 1,200: see
    ``benchmarks/rivers_scale.py``). The line still goes through every piece, in flow order."""
    pieces = pieced_river(400)
    line = reference_line(pieces, DEFAULT_CORRIDOR_M)
    drawn = [
        p.reverse() if k % 3 == 2 else p for k, p in enumerate(pieced_river(400, shuffled=False))
    ]
    assert line.length == pytest.approx(sum(p.length for p in drawn) + 5 * 399, rel=1e-3)
    for piece in drawn[::40]:  # each in flow order: its start before its end along the line
        assert line.project(Point(piece.coords[0])) < line.project(Point(piece.coords[-1]))


def test_a_piece_overlapping_by_more_than_the_corridor_round_a_hairpin_is_joined(
    tmp_path: Path,
) -> None:
    """A reach traced from 300 m back up the last one (more than the 250 m corridor) that bends
    back to within 200 m of it: weighed whole, both its ends lay beside the line and it was
    left out as an island's other arm: the river was 3,000 m long, not 5,283, and a dredge on
    the reach past the bend was off it."""
    pieces = [
        LineString([(X0, Y0), (X0 + 3000, Y0)]),
        LineString(
            [
                (X0 + 2700, Y0 + 3),
                (X0 + 3000, Y0 + 2),
                (X0 + 3400, Y0),
                (X0 + 3600, Y0 + 200),
                (X0 + 3400, Y0 + 200),
                (X0 + 2000, Y0 + 200),
            ]
        ),
    ]
    network = river_network(tmp_path, {"nanay": pieces})
    assert network.length_m("nanay") == pytest.approx(5283, abs=5)
    got = network.locate(points_at((X0 + 2500, Y0 + 200)))
    assert abs(got["offset_m"].iloc[0]) < 5  # on the reach, not 200 m beside the first
