"""Tracks do not depend on how the input is split: a river's tracks are the same whether it is
tracked alone or beside other rivers, and whatever the rivers are called."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from benchmarks.tracking_scale import build
from detector.side_by_side import side_by_side_groups
from detector.track_moorings import Moorings
from detector.tracking import TrackParams, _move_candidates, link_tracks

T1 = pd.Timestamp("2024-03-01 14:00", tz="UTC")
T2 = T1 + pd.Timedelta(days=7)


def _table(rows: list[tuple[int, str, pd.Timestamp, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["detection_id", "river", "acquired", "chainage_m", "offset_m"]
    )


def _partition(linked: pd.DataFrame, river: str) -> list[tuple[int, ...]]:
    """The river's detections grouped by track (whatever the track ids)."""
    own = linked[linked["river"] == river]
    return sorted(tuple(sorted(g["detection_id"])) for _, g in own.groupby("track_id"))


def test_another_river_in_the_same_frames_does_not_change_a_tie() -> None:
    """Two dredges 10 m apart that both move 20 m downstream cost the same linked either way
    round. The rivers' frames are assigned together; solved in one matrix with the Beni's
    (tracked beside it, same dates), the Madre's tie fell the other way and its two tracks
    swapped their second detections."""
    madre = [(1, "Madre", T1, 1000.0, 0.0), (2, "Madre", T1, 1010.0, 0.0)]
    madre += [(3, "Madre", T2, 1020.0, 0.0), (4, "Madre", T2, 1030.0, 0.0)]
    beni = [(100 + k, "Beni", T1, s, o) for k, (s, o) in enumerate([(516.2, -9.2), (501.0, 6.3)])]
    beni += [(102 + k, "Beni", T1, s, o) for k, (s, o) in enumerate([(554.8, 2.1), (543.8, 0.9)])]
    beni += [
        (104 + k, "Beni", T2, s, o)
        for k, (s, o) in enumerate([(556.1, 6.3), (500.2, 7.1), (502.0, 4.6)])
    ]
    alone, _ = link_tracks(_table(madre))
    together, _ = link_tracks(_table(madre + beni))
    assert _partition(together, "Madre") == _partition(alone, "Madre")


def test_each_rivers_tracks_are_those_it_gets_alone_under_any_name() -> None:
    """On a simulated world of three rivers (about 14,000 detections), tracking each river
    alone gave 7 of the first river's detections another track than tracking all three."""
    detections, observed = build(3, 1, 1)
    linked, tracks = link_tracks(detections, observed)
    for river in sorted(detections["river"].dropna().unique()):
        own = detections[detections["river"] == river]
        alone, alone_tracks = link_tracks(own, observed)
        assert _partition(alone, river) == _partition(linked, river)
        assert alone_tracks["counted"].sum() == tracks[tracks["river"] == river]["counted"].sum()
    renamed = detections.assign(river=detections["river"].replace({"R00": "Z00"}))
    again, _ = link_tracks(renamed, observed)
    assert _partition(again, "Z00") == _partition(linked, "R00")


def test_a_detection_at_the_edge_of_the_stay_gate_is_judged_alike_on_every_river() -> None:
    """Rivers tracked together were kept apart by adding 1e9 m a river to the chainage, and
    the gates measured on that sum: two detections 500.2 m and 545.2 m along the Zeta (45 m
    apart, give or take 1e-13 m) were two moorings tracked alone and one beside the Alfa,
    which sorts before it (its 45 m measured 45 m ± 1e-7)."""
    zeta = [(1, "Zeta", T1, 500.2, 0.0), (2, "Zeta", T2, 545.2, 0.0)]
    alone, _ = link_tracks(_table(zeta))
    beside, _ = link_tracks(_table([*zeta, (3, "Alfa", T1, 100.0, 0.0)]))
    assert _partition(beside, "Zeta") == _partition(alone, "Zeta")
    assert beside["link"].tolist()[:2] == alone["link"].tolist()


def _is_move_candidate(river: int, last_day: float, gap_days: float, end_day: float) -> bool:
    """Whether mooring 0 (seen last on ``last_day``) and mooring 1, first seen ``gap_days``
    later 100 m downstream, are a move candidate, on ``river`` (numbered among the rivers of a
    run whose imagery runs to ``end_day``, a third mooring's: days since 1970)."""
    moorings = Moorings(3)
    moorings.count = 3
    moorings.river[:] = river
    moorings.s[:] = [1000.0, 1100.0, 101_000.0]
    moorings.first[:] = moorings.last[:] = [last_day, last_day + gap_days, end_day]
    moorings.step[:] = moorings.last_step[:] = [0, 1, 2]
    a, b = _move_candidates(moorings, np.ones(3, dtype=bool), TrackParams(), observed=True)
    return (0, 1) in zip(a.tolist(), b.tolist(), strict=True)


@pytest.mark.parametrize("river", [0, 82, 99])
def test_a_move_exactly_link_gap_days_long_is_judged_alike_on_every_river(river: int) -> None:
    """Move candidates were searched on one float key, ``cell × span + days`` (a cell's number
    counting 1e9 m a river, span the days since 1970): on river 82 of a run that keeps time
    to 5 s, so a dredge seen again exactly ``link_gap_days`` (120) after it left was no
    candidate there (it was on river 0), and on river 99 one seen 1 s later still was."""
    second = 1 / 86_400
    last_day, end_day = 19_356 + 55_156 * second, 19_872 + 1_481 * second  # 2022-12, 2024-05
    gap = TrackParams().link_gap_days
    assert _is_move_candidate(river, last_day, gap, end_day)
    assert not _is_move_candidate(river, last_day, gap + second, end_day)


def test_scenes_given_twice_change_no_track() -> None:
    """Each scene given twice (in two folders, or its analytic and visual products): each
    copy was a look of its own, and the copy without the detections saw their spots empty.
    On a simulated world of two rivers (6,204 detections), 255 detections changed their link,
    seen_absent rose from 5,767 to 6,763 and 185 tracks were counted instead of 183."""
    detections, observed = build(2, 1, 5)
    linked, tracks = link_tracks(detections, observed)
    twice = gpd.GeoDataFrame(pd.concat([observed, observed]), crs=observed.crs)
    again, again_tracks = link_tracks(detections, twice)
    for river in ("R00", "R01"):
        assert _partition(again, river) == _partition(linked, river)
    assert again_tracks["seen_absent"].sum() == tracks["seen_absent"].sum()


def test_a_detection_on_a_river_without_an_offset_is_refused_naming_the_column() -> None:
    """A table built in Python with NaN in offset_m on some rows (chainage known): each such
    row failed every gate and opened a track of its own without a word (two dredges seen on
    three dates were 4 tracks). A row on no river may lack both, as before."""
    rows = [(1, "R", T1, 1000.0, 0.0), (2, "R", T1, 1100.0, 0.0)]
    rows += [(3, "R", T2, 1000.0, np.nan), (4, "R", T2, 1100.0, 0.0)]
    with pytest.raises(ValueError, match=r"1 detection on a river has no finite 'offset_m'"):
        link_tracks(_table(rows))
    off_river = [*rows[:2], (3, None, T2, np.nan, np.nan), rows[3]]
    linked, _ = link_tracks(_table(off_river))
    assert linked["link"].tolist() == ["new", "new", "off-river", "stay"]


def test_a_nan_chainage_is_off_river_and_a_huge_one_is_refused() -> None:
    """A NaN chainage never reaches the move lookup's cell numbering (``floor(s / reach)``
    cast to int64): its row is off-river. A finite one past any river did: 1e25 m was cast to
    cell -9223372036854775808 and 1e308 m made its mooring's mean chainage inf ("invalid value
    encountered in cast", "overflow", tracks made of them without a word). Now a chainage of
    1e9 m or more either way (the lookups' spacing of rivers) is refused in one line."""
    rows = [(1, "R", T1, 1000.0, 0.0), (2, "R", T2, 1000.0, 0.0)]
    linked, _ = link_tracks(_table([*rows, (3, "R", T2, np.nan, 0.0)]))
    assert linked["link"].tolist() == ["new", "stay", "off-river"]
    for far in (1e25, 1e308, -1e9):
        with pytest.raises(ValueError, match=r"^2 detections on a river have a 'chainage_m' of "
                           r"1e\+09 m or more either way \(e\.g\. row 2: "):  # fmt: skip
            link_tracks(_table([*rows, (3, "R", T1, far, 0.0), (4, "R", T2, far, 0.0)]))


@pytest.mark.parametrize("shift", [0.0, 0.5, 480.8, 1234.5, 98765.4])
def test_gates_hold_their_edge_wherever_the_reach_lies_on_the_river(shift: float) -> None:
    """A detection exactly 45 m (the stay gate) along from a mooring, and two 30 m (the group
    gate) apart, their chainages written to 0.1 m: the same geometry at every shift of the
    chainage links and groups alike, and the gates are inclusive. 19.4 and 64.4 m are
    45.00000000000001 m apart in floating point: the second detection opened a mooring of its
    own there (shifted by 0.5 or 480.8 m, too: 500.2 and 545.2 m) and stayed elsewhere; 2.2 and
    32.2 m are 30.000000000000004 m apart, and were two groups of one."""
    rows = [(1, "R", T1, 19.4, 0.0), (2, "R", T2, 64.4, 0.0), (3, "R", T2, 2000.0, 0.0)]
    shifted = [(i, r, t, round(s + shift, 1), o) for i, r, t, s, o in rows]
    linked, _ = link_tracks(_table(shifted))
    assert linked["link"].tolist() == ["new", "stay", "new"]
    assert _partition(linked, "R") == [(1, 2), (3,)]
    ends = np.array([round(2.2 + shift, 1), round(32.2 + shift, 1)])
    groups = side_by_side_groups(ends, np.array([-10.0, 10.0]), np.zeros(2), 30.0)
    assert groups.size.tolist() == [2, 2]


def test_a_move_of_exactly_the_longest_move_links() -> None:
    """A mooring at 15,275.49 m and one 6,000 m (max_move_m) downstream a month later: the
    difference is 6000.000000000002 m in floating point, and the move was not linked."""
    a = 15275.492379532281
    assert (a + 6000.0) - a > 6000.0
    later = T2 + pd.Timedelta(days=35)
    rows = [(1, "R", T1, a, 0.0), (2, "R", T2, a, 0.0), (3, "R", later, a + 6000.0, 0.0)]
    rows += [(4, "R", later + pd.Timedelta(days=7), a + 6000.0, 0.0)]
    linked, tracks = link_tracks(_table(rows))
    assert linked["link"].tolist() == ["new", "stay", "move", "stay"]
    assert len(tracks) == 1


@pytest.mark.parametrize("shift", [0.0, 1234.5])
def test_a_tracks_main_spot_holds_the_stay_gates_edge_wherever_it_lies(shift: float) -> None:
    """A track's point is the mean of its detections within the stay gates of its main
    mooring: one 45 m along from it is inside, whatever the chainages (19.4 and 64.4 m,
    45.00000000000001 m apart, left it out; 1,253.9 and 1,298.9 m took it in)."""
    from detector.track_params import TrackParams
    from detector.track_table import main_spot

    s = [round(v + shift, 1) for v in (19.4, 19.4, 19.4, 64.4)]
    part = pd.DataFrame(
        {"chain": 0, "s": s, "o": [0.0, 0.0, 0.0, 35.0], "ns": 0,
         "lon": [0.0, 0.0, 0.0, 4.0], "lat": 0.0}
    )  # fmt: skip
    assert main_spot(part, TrackParams()).loc[0, "lon"] == pytest.approx(1.0)


def test_a_track_begun_the_longest_move_from_one_ended_may_be_it() -> None:
    """``maybe_same_as`` (the counts' low end) takes a track begun within the move gate of an
    earlier one: 6,000 m (max_move_m) from 15,275.49 m is 6000.000000000002 m in floating
    point, and it was not taken."""
    from detector.track_params import TrackParams
    from detector.track_table import maybe_same_as

    a = 15275.492379532281
    table = pd.DataFrame(
        {"counted": True, "first": [0.0, 40.0], "last": [10.0, 50.0],
         "first_s": [a, a + 6000.0], "last_s": [a, a + 6000.0], "river": "R"},
        index=pd.Index([1, 2], name="track_id"),
    )  # fmt: skip
    got = maybe_same_as(table, TrackParams())
    assert got.isna().tolist() == [True, False] and got[2] == 1


def test_a_link_gap_of_any_length_takes_the_earlier_track_on_every_river() -> None:
    """``TrackParams(link_gap_days=inf)`` (any gap) from Python: ``maybe_same_as`` looked its
    pairs up on one key of river × (a span grown by the gap, inf) + day: NaN on the first river
    (0 × inf) and NaN bounds on the others, and a track begun 40 days after an earlier one
    ended at its spot was taken as maybe the same on river A only (with the NaN pairs of
    ``range_pairs``), then on none. Now on both, as with the 120 days' default."""
    from detector.track_params import TrackParams
    from detector.track_table import maybe_same_as

    table = pd.DataFrame(
        {"counted": True, "first": [0.0, 50.0, 0.0, 50.0], "last": [10.0, 60.0, 10.0, 60.0],
         "first_s": 100.0, "last_s": 100.0, "river": ["A", "A", "B", "B"]},
        index=pd.Index([1, 2, 3, 4], name="track_id"),
    )  # fmt: skip
    for gap in (120.0, np.inf):
        got = maybe_same_as(table, TrackParams(link_gap_days=gap))
        assert got.isna().tolist() == [True, False, True, False] and got[2] == 1 and got[4] == 3


def _two_tracks(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> pd.Series:
    """``maybe_same_as`` of two tracks linked (without observed areas) from their detections
    (day, chainage), the second's days counted from day 100, 70 days after the first's last
    one: too long a gap for a move (60 days at most without observed areas), short enough for
    ``maybe_same_as`` (``link_gap_days``, 120)."""
    days = [(d, s) for d, s in a] + [(100.0 + d, s) for d, s in b]
    rows = [(k, "R", T1 + pd.Timedelta(days=d), s, 0.0) for k, (d, s) in enumerate(days)]
    _, tracks = link_tracks(_table(rows))
    assert tracks["counted"].tolist() == [True, True]
    return tracks.set_index("track_id")["maybe_same_as"]


def test_a_track_begun_where_an_earlier_one_ended_may_be_it_though_their_means_are_far() -> None:
    """A dredge that worked 3 km at a time down the river (0, 3,000, 6,000 m), unseen for 70
    days and then seen from 6,500 m on (to 12,500 m): the later track starts 500 m from where
    the earlier ended. Their mean chainages (3,000 and 9,500 m) are 6,500 m apart, over the
    move gate (6,000 m), and it was not taken as maybe the same (the counts' low end)."""
    a = [(0.0, 0.0), (5.0, 0.0), (15.0, 3000.0), (20.0, 3000.0), (30.0, 6000.0)]
    b = [(0.0, 6500.0), (5.0, 6500.0), (15.0, 9500.0), (20.0, 9500.0), (30.0, 12500.0)]
    same = _two_tracks(a, b)
    assert pd.isna(same[1]) and same[2] == 1


def test_a_track_begun_far_from_where_an_earlier_one_ended_is_not_it() -> None:
    """A track that ended at 12,500 m and a later one begun at 1,500 m, 11 km away: not the
    same dredge. Their mean chainages (8,833 and 5,167 m) are 3,667 m apart, within the move
    gate, and it was taken as maybe the same."""
    a = [(0.0, 7000.0), (5.0, 7000.0), (10.0, 7000.0), (15.0, 7000.0)]
    a += [(25.0, 12500.0), (30.0, 12500.0)]
    b = [(0.0, 1500.0), (5.0, 1500.0)]
    b += [(15.0, 7000.0), (20.0, 7000.0), (25.0, 7000.0), (30.0, 7000.0)]
    assert _two_tracks(a, b).isna().all()
