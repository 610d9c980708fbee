"""Linking detections into dredge tracks along the river: meanders, confluences, neighbours,
groups moored side by side, and the tracks table."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString

from detector.rivers import RiverNetwork
from detector.track_gather import gather_detections
from detector.track_rivers import off_river_note
from detector.tracking import TrackParams, link_tracks
from tests import track_fixtures as tf
from tests.track_fixtures import straight_line


def crow_m(a: shapely.Point, b: shapely.Point) -> float:
    return float(a.distance(b))


# --- the meander -------------------------------------------------------------------------------


def test_a_1_km_move_along_a_tight_meander_links() -> None:
    line = tf.meander_line()
    net = tf.network(line)
    before, after = tf.point_at(line, 2100, 10), tf.point_at(line, 3100, 10)
    assert crow_m(before, after) < 300  # the move is 1 km along the channel only
    days = tf.dates(6)
    dets = tf.detections([(t, before) for t in days[:3]] + [(t, after) for t in days[3:]], net)
    linked, tracks = link_tracks(dets, tf.observed(days), params=TrackParams(max_move_m=1100))
    assert len(tracks) == 1
    assert tracks.loc[0, "moves"] == 1
    assert tracks.loc[0, "moved_m"] == pytest.approx(1000, abs=60)
    assert list(linked["link"]) == ["new", "stay", "stay", "move", "stay", "stay"]


def test_a_track_that_moved_round_a_bend_is_drawn_where_it_stayed_longest() -> None:
    """Four dates at one spot, then two across the loop: the track's point is its main
    mooring's (it was the mean of all six, inside the loop: on land, ~115 m from either)."""
    line = tf.meander_line()
    net = tf.network(line)
    stayed, then = tf.point_at(line, 2100, 10), tf.point_at(line, 2700, 10)
    days = tf.dates(6)
    dets = tf.detections([(t, stayed) for t in days[:4]] + [(t, then) for t in days[4:]], net)
    _, tracks = link_tracks(dets, tf.observed(days), params=TrackParams(max_move_m=1100))
    assert len(tracks) == 1 and tracks.loc[0, "moves"] == 1
    drawn = tracks.to_crs(tf.CRS).geometry.iloc[0]
    assert crow_m(drawn, stayed) < 2.0
    assert line.distance(drawn) < 15.0  # on the water, not inside the loop
    assert tracks.loc[0, "mean_chainage_m"] == pytest.approx(
        net.locate(dets.geometry)["chainage_m"].mean()
    )  # the mean position along the channel is still that of all six


def test_a_track_of_two_moorings_seen_as_often_is_drawn_at_the_earlier() -> None:
    """Two moorings seen on as many dates each are as near the median chainage: the tie
    falls to the earlier, as documented. The two distances differed in their last bits, which
    chose the later mooring for 3 in 10 such tracks (and the demo's dredges.kml, read back with
    its 7-decimal degrees, drew its Nanay track 14 450 m from where the run had)."""
    from detector.track_table import main_spot

    rng = np.random.default_rng(0)
    wrong = 0
    for _ in range(200):
        s = rng.uniform(0.0, 5000.0, 2)
        part = pd.DataFrame(
            {"chain": 0, "s": s, "o": 0.0, "ns": [1, 2], "lon": [0.0, 1.0], "lat": 0.0}
        )
        if abs(s[0] - s[1]) > 600:  # beyond the stay gate: two moorings
            wrong += int(main_spot(part, TrackParams()).iloc[0]["lon"] != 0.0)
    assert wrong == 0


def test_a_tie_between_two_moorings_goes_to_the_one_seen_first() -> None:
    """Two moorings seen twice each (A on days 1 and 3, B on days 2 and 4): the tie went to
    whichever of the two middle detections was earlier, so to B where A's detection nearest B
    was its later one (a few metres of jitter chose the mooring), and distances to the median
    rounded to 6 decimals split near ties at a rounding boundary (0.6 m apart, 3 in 2 million
    random pairs: the later drawn). The mooring seen first wins, whatever the jitter."""
    from detector.track_table import main_spot

    def spot(s: list[float], ns: list[int], lon: list[float]) -> float:
        part = pd.DataFrame({"chain": 0, "s": s, "o": 0.0, "ns": ns, "lon": lon, "lat": 0.0})
        return float(main_spot(part, TrackParams()).iloc[0]["lon"])

    a_then_b = ([1, 3, 2, 4], [0.0, 0.0, 1.0, 1.0])
    assert spot([100.0, 110.0, 2000.0, 2010.0], *a_then_b) == 0.0
    assert spot([110.0, 100.0, 2000.0, 2010.0], *a_then_b) == 0.0
    assert spot([-100.0, -110.0, -2000.0, -2010.0], *a_then_b) == 0.0  # chainage reversed
    assert spot([2000.0, 2010.0, 100.0, 110.0], [2, 4, 1, 3], [1.0, 1.0, 0.0, 0.0]) == 0.0
    assert spot([23504.192132494445, 26471.395715494444], [1, 2], [0.0, 1.0]) == 0.0
    assert spot([20465.48202427734, 21773.532039277336], [2, 1], [1.0, 0.0]) == 0.0


def test_a_tie_between_two_moorings_goes_to_the_one_seen_more_often() -> None:
    """The two middle chainages tie between a mooring seen once, first (A, day 1), and one
    seen twice (B, days 2 and 3): B, as README's tracks.parquet row says, though A was seen
    first (the earlier middle detection won before, so A)."""
    from detector.track_table import main_spot

    part = pd.DataFrame(
        {
            "chain": 0,
            "s": [1000.0, 2000.0, 2030.0, 0.0],  # A; B twice, 30 m apart; a stray far off
            "o": 0.0,
            "ns": [1, 2, 3, 4],
            "lon": [0.0, 1.0, 1.0, 5.0],
            "lat": 0.0,
        }
    )
    assert float(main_spot(part, TrackParams()).iloc[0]["lon"]) == 1.0


@pytest.mark.parametrize("meander", [True, False])
def test_dredges_across_a_meander_neck_stay_apart(meander: bool) -> None:
    """X leaves when Y arrives, ~160 m away as the crow flies. Across the neck they are ~1.3 km
    apart along the channel (beyond max_move_m): two dredges. On a straight river the same
    crow-flies distance is a short move: one dredge (the control that this test can fail)."""
    line = tf.meander_line() if meander else straight_line()
    x_along, y_along = (1950, 3244) if meander else (3000, 3160)
    net = tf.network(line)
    x, y = tf.point_at(line, x_along), tf.point_at(line, y_along)
    assert crow_m(x, y) < 200
    days = tf.dates(6)
    dets = tf.detections([(t, x) for t in days[:3]] + [(t, y) for t in days[3:]], net)
    gap = abs(dets["chainage_m"].iloc[0] - dets["chainage_m"].iloc[-1])
    assert gap > 1250 if meander else gap < 200
    _, tracks = link_tracks(dets, tf.observed(days), params=TrackParams(max_move_m=1100))
    assert len(tracks) == (2 if meander else 1)


def test_dredges_moored_on_both_sides_of_a_neck_at_once_stay_two() -> None:
    line = tf.meander_line()
    net = tf.network(line)
    x, y = tf.point_at(line, 1950), tf.point_at(line, 3244)
    days = tf.dates(5)
    dets = tf.detections([(t, p) for t in days for p in (x, y)], net)
    linked, tracks = link_tracks(dets, tf.observed(days))
    assert len(tracks) == 2
    assert linked.groupby("track_id")["chainage_m"].std().max() < 5


# --- the confluence ------------------------------------------------------------------------


def confluence() -> RiverNetwork:
    """The Amazon west → east, and the Nanay from the north ending on it (a right angle)."""
    x0, y0 = tf.ORIGIN
    amazon = LineString([(x0 - 3000, y0), (x0 + 3000, y0)])
    nanay = LineString([(x0, y0 + 3000), (x0, y0)])
    frame = gpd.GeoDataFrame({"name": ["Amazon", "Nanay"]}, geometry=[amazon, nanay], crs=tf.CRS)
    return RiverNetwork.from_frame(frame)


@pytest.mark.parametrize("corner_m", [10, 30])
def test_a_dredge_moored_at_a_confluence_is_one_track_on_one_river(
    tmp_path: Path, corner_m: float
) -> None:
    """A dredge moored about as near to both rivers (on the bisector of the Nanay's mouth),
    its position jittered 6 m from date to date: each detection's nearest river changed
    between dates, and it made one track on each river, each counted (2 dredges for 1). A
    dredge 60 m up the Nanay and one 100 m down the Amazon, jittered alike, keep theirs."""
    x0, y0 = tf.ORIGIN
    days = tf.dates(6)
    jitter = [(6, -6), (-6, 6)] * 3  # nearer the Amazon on one date, the Nanay on the next
    rows = [
        (t, shapely.Point(x + dx, y + dy))
        for x, y in ((x0 + corner_m, y0 + corner_m), (x0, y0 + 60), (x0 + 100, y0 - 5))
        for t, (dx, dy) in zip(days, jitter, strict=True)
    ]
    path = tmp_path / "detections.parquet"
    tf.detections(rows).to_parquet(path)
    frame, notes = gather_detections([path], confluence())
    linked, tracks = link_tracks(frame, tf.observed(days))
    assert len(tracks) == 3 and tracks["counted"].all()
    assert (tracks["n_dates"] == 6).all()
    assert linked.groupby("track_id")["river"].nunique().max() == 1
    assert list(linked["river"].iloc[6:]) == ["Nanay"] * 6 + ["Amazon"] * 6
    assert sum("about as near to two rivers" in note for note in notes) == 1


def test_one_detection_settled_at_a_confluence_is_said_in_the_singular() -> None:
    """The note said '1 detection(s) lie about as near to two rivers'."""
    from detector.confluence import settled_note

    assert settled_note(1, "d.parquet").startswith(
        "d.parquet: 1 detection lies about as near to two rivers (at a confluence): "
    )
    assert settled_note(6, "d.parquet").startswith("d.parquet: 6 detections lie about as near")


def test_dredges_on_both_banks_of_a_spit_stay_on_their_own_rivers(tmp_path: Path) -> None:
    """Two rivers 60 m apart (centerlines) for 1 km before they meet, a spit between them; a
    dredge on each of its banks every 150 m, 15 m from its own river's centerline and 45 m
    from the other's, over 6 dates, each scene shifted by 8 m (each way) and each dredge by
    2 m more. Each detection took its own nearest river: 20 tracks for 14, 13 counted on the
    Amazon for 7. A spot is linked one to one, so two dredges across the spit stay two, each
    on its own river."""
    x0, y0 = tf.ORIGIN
    nanay = LineString([(x0, y0 + 3000), (x0, y0 + 60), (x0 + 1000, y0 + 60), (x0 + 1100, y0)])
    amazon = LineString([(x0 - 3000, y0), (x0 + 3000, y0)])
    frame = gpd.GeoDataFrame({"name": ["Amazon", "Nanay"]}, geometry=[amazon, nanay], crs=tf.CRS)
    rng = np.random.default_rng(3)
    days = tf.dates(6)
    spots = [(x0 + 50 + 150 * k, y0 + y) for k in range(7) for y in (15, 45)]
    rows = []
    for t in days:
        sx, sy = rng.normal(0, 8, 2)  # the scene's shift
        rows += [
            (t, shapely.Point(x + sx + rng.normal(0, 2), y + sy + rng.normal(0, 2)))
            for x, y in spots
        ]
    tf.detections(rows).to_parquet(tmp_path / "detections.parquet")
    placed, _ = gather_detections([tmp_path / "detections.parquet"], RiverNetwork.from_frame(frame))
    linked, tracks = link_tracks(placed, tf.observed(days))
    assert tracks.loc[tracks["counted"], "river"].value_counts().to_dict() == {
        "Amazon": 7,
        "Nanay": 7,
    }
    assert len(tracks) == 14
    truth = np.tile(["Amazon", "Nanay"] * 7, len(days))
    assert (linked["river"].to_numpy() == truth).all()


def test_a_group_moored_across_a_confluence_is_on_one_river(tmp_path: Path) -> None:
    """Two dredges moored side by side 12 m apart across the bisector of the Nanay's mouth,
    one nearer each river, each scene shifted 8 m: they were 4 tracks, 2 counted on each
    river, for 2 dredges. A group moves as one and stays on one river."""
    x0, y0 = tf.ORIGIN
    rng = np.random.default_rng(1)
    days = tf.dates(6)
    rows = []
    for t in days:
        sx, sy = rng.normal(0, 8, 2)
        rows += [(t, shapely.Point(x0 + 21 + dx + sx, y0 + 21 - dx + sy)) for dx in (-4, 4)]
    tf.detections(rows).to_parquet(tmp_path / "detections.parquet")
    placed, _ = gather_detections([tmp_path / "detections.parquet"], confluence())
    linked, tracks = link_tracks(placed, tf.observed(days))
    assert len(tracks) == 2 and tracks["counted"].all()
    assert linked["river"].nunique() == 1


# --- neighbours and one-to-one assignment ---------------------------------------------------


def test_two_dredges_moored_15_m_apart_stay_two() -> None:
    line = straight_line()
    net = tf.network(line)
    rng = np.random.default_rng(3)
    days = tf.dates(10)
    rows, truth = [], []
    for k, t in enumerate(days):
        for dredge, offset in ((0, 0.0), (1, 15.0)):
            if (k + dredge) % 4 == 3:  # each is missed now and then, the other one seen
                continue
            dx, dy = rng.uniform(-3, 3, 2)  # positions jittered by up to 3 m
            p = tf.point_at(line, 3000 + dx, offset + dy)
            rows.append((t, p))
            truth.append(dredge)
    dets = tf.detections(rows, net)
    dets["truth"] = truth
    linked, tracks = link_tracks(dets, tf.observed(days))
    assert len(tracks) == 2
    assert (linked.groupby("track_id")["truth"].nunique() == 1).all()


# --- groups moored side by side -----------------------------------------------------------------


@pytest.mark.parametrize("groups_are_sure", [True, False])
def test_a_group_seen_once_at_each_spot_is_linked_member_by_member(groups_are_sure: bool) -> None:
    """Three dredges moored side by side, seen on four looks a month apart, each time at a new
    spot: every mooring is seen once. A group of detections is rarely false, so its moorings
    link: three tracks of four dates, counted. Without that rule (the control) two moorings seen
    once never link: twelve tracks, and only those on the first and last look can count."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(4, every_days=30.0)
    spots = (1000.0, 2600.0, 1700.0, 3500.0)
    offsets = (-20.0, 0.0, 20.0)
    rows = [(t, tf.point_at(line, s, o)) for t, s in zip(days, spots, strict=True) for o in offsets]
    dets = tf.detections(rows, net)
    dets["member"] = [m for _ in days for m in range(3)]
    params = TrackParams(groups_are_sure=groups_are_sure)
    linked, tracks = link_tracks(dets, tf.observed(days), params=params)
    if groups_are_sure:
        assert len(tracks) == 3 and tracks["counted"].all()
        assert (tracks["n_dates"] == 4).all()
        assert (linked.groupby("track_id")["member"].nunique() == 1).all()
    else:
        assert len(tracks) == 12 and (tracks["n_dates"] == 1).all()
        assert tracks["counted"].sum() == 6


@pytest.mark.parametrize("group_costs", [True, False])
def test_moves_follow_the_group_not_the_nearest_spot(group_costs: bool) -> None:
    """A lone dredge (at 1 km) and a pair (at 3 km) both move between two looks: the lone one
    to 2.2 km, the pair to 2 km. By distance alone the lone dredge would continue as a member
    of the pair (1 km away) and a member of the pair as the lone dredge; the size of the group
    each left and joined keeps them apart. The control, without group costs, mixes them up."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(4, every_days=30.0)
    rows, who = [], []
    for k, t in enumerate(days):
        lone, pair = (1000.0, 3000.0) if k < 2 else (2200.0, 2000.0)
        rows += [(t, tf.point_at(line, lone)), (t, tf.point_at(line, pair, -10))]
        rows += [(t, tf.point_at(line, pair, 10))]
        who += ["lone", "pair-a", "pair-b"]
    dets = tf.detections(rows, net)
    dets["who"] = who
    costs = {} if group_costs else {"group_size_cost_m": 0.0, "group_rank_cost_m": 0.0}
    linked, tracks = link_tracks(dets, tf.observed(days), params=TrackParams(**costs))
    assert len(tracks) == 3
    pure = bool((linked.groupby("track_id")["who"].nunique() == 1).all())
    assert pure is group_costs


def _group_rows(
    line: LineString, visits: list[tuple[pd.Timestamp, float, tuple[int, ...]]]
) -> gpd.GeoDataFrame:
    """Detections of a group of three moored side by side (offsets -20, 0, 20 m): for each
    look, the spot along the river and which members the detector found."""
    offsets = (-20.0, 0.0, 20.0)
    rows = [(t, tf.point_at(line, s, offsets[m])) for t, s, found in visits for m in found]
    dets = tf.detections(rows, tf.network(line))
    dets["member"] = [m for _, _, found in visits for m in found]
    return dets


def test_a_member_missed_beside_its_group_has_not_left() -> None:
    """A group of three at 1 km, a look every 5 days; the detector misses one member on the
    last three looks there (days 25–35), then the group is at 2.5 km (days 40–50), all found.
    The member's spot beside its detected neighbours was not seen empty: it left with its
    group, and the move links it. Counting those looks as empty would end its stay on day 25,
    too early to be the move seen on day 40: a fourth track."""
    line = straight_line()
    days = tf.dates(11, every_days=5.0)
    visits = [(t, 1000.0, (0, 1, 2) if k < 5 else (0, 1)) for k, t in enumerate(days[:8])]
    visits += [(t, 2500.0, (0, 1, 2)) for t in days[8:]]
    dets = _group_rows(line, visits)
    linked, tracks = link_tracks(dets, tf.observed(days))
    assert len(tracks) == 3 and tracks["counted"].all()
    assert (linked.groupby("track_id")["member"].nunique() == 1).all()
    assert sorted(tracks["n_dates"]) == [8, 11, 11]


def test_a_member_missed_when_its_group_arrived_links_with_the_group() -> None:
    """A group of three at 1 km (days 0–20) is gone on day 25, when cloud hid 2.5 km. On day 30
    it is at 2.5 km, one member missed; from day 35 all three are found. The missed member's
    spot was not empty on day 30 (its group was there), so it may have arrived with the group
    and the move links it: three tracks, not four."""
    line = straight_line()
    days = tf.dates(9, every_days=5.0)
    visits = [(t, 1000.0, (0, 1, 2)) for t in days[:5]]
    visits += [(days[6], 2500.0, (0, 1))] + [(t, 2500.0, (0, 1, 2)) for t in days[7:]]
    dets = _group_rows(line, visits)
    clouds = {days[5]: [tf.point_at(line, 2500.0)], days[6]: [tf.point_at(line, 1000.0)]}
    linked, tracks = link_tracks(dets, tf.observed(days, clouds=clouds))
    assert len(tracks) == 3 and tracks["counted"].all()
    assert (linked.groupby("track_id")["member"].nunique() == 1).all()


@pytest.mark.parametrize("stay_gap_days", [60.0, 1e9])
def test_a_group_back_near_its_first_spot_after_a_trip_is_one_dredge_each(
    stay_gap_days: float,
) -> None:
    """A group of three moored at 1 km (days 0, 30) goes to 2.5 km (day 60) and comes back to
    20 m from its first spot (day 150), which clouds hid in between. Continuing the first
    mooring across the 120-day gap would leave the trip as three more dredges; after
    ``stay_gap_days`` the return opens a new mooring and the trip links it: three tracks."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(6, every_days=30.0)
    home, trip, back = tf.point_at(line, 1000), tf.point_at(line, 2500), tf.point_at(line, 1020)
    visits = [(days[0], 1000.0), (days[1], 1000.0), (days[2], 2500.0), (days[5], 1020.0)]
    rows = [(t, tf.point_at(line, s, o)) for t, s in visits for o in (-20.0, 0.0, 20.0)]
    dets = tf.detections(rows, net)
    dets["member"] = [m for _ in visits for m in range(3)]
    clouds = {t: [home, back] for t in days[2:5]} | {days[5]: [trip]}
    params = TrackParams(stay_gap_days=stay_gap_days)
    linked, tracks = link_tracks(dets, tf.observed(days, clouds=clouds), params=params)
    if stay_gap_days < 100:
        assert len(tracks) == 3 and (tracks["n_dates"] == 4).all()
        assert (linked.groupby("track_id")["member"].nunique() == 1).all()
    else:
        assert len(tracks) == 6


def test_off_river_detections_are_kept_without_a_track() -> None:
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(3)
    far = shapely.Point(tf.ORIGIN[0], tf.ORIGIN[1] + 2000)
    dets = tf.detections([(days[0], tf.point_at(line, 100)), (days[1], far)], net)
    dets = dets.iloc[::-1].reset_index(drop=True)  # any input order is kept
    linked, tracks = link_tracks(dets, tf.observed(days))
    assert len(linked) == 2
    assert linked["track_id"].isna().tolist() == [True, False]
    assert linked["link"].tolist() == ["off-river", "new"]
    assert linked["detection_id"].tolist() == dets["detection_id"].tolist()
    assert len(tracks) == 1
    assert "1 of 2 detections is on no river" in str(off_river_note(linked, "d.csv", 250))


def test_tracks_table_schema() -> None:
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(3)
    dets = tf.detections([(t, tf.point_at(line, 1500)) for t in days], net)
    _, tracks = link_tracks(dets, tf.observed(days))
    row = tracks.iloc[0]
    assert tracks.crs.to_epsg() == 4326
    assert row["dates"] == ";".join(t.strftime("%Y-%m-%d") for t in days)
    assert row["first_seen"] == days[0].floor("s") and row["last_seen"] == days[-1].floor("s")
    assert row["n_detections"] == 3 and row["class_name"] == "dredge"
    assert 0 < row["confidence"] <= 1
    assert row.geometry.distance(dets.geometry.iloc[0].centroid) < 1e-4


def test_first_and_last_seen_are_the_detections_own_times() -> None:
    """Times on the second (hand marks, Google Earth TimeStamps) went through float days and
    came back a hair early: last_seen 2025-03-25 14:39:59 for a detection at 14:40:00 (3 of
    the 22 tracks of the demo world's truth marks), and dredges.kml's TimeSpan ended before
    the dredge's last detection."""
    line = straight_line()
    net = tf.network(line)
    days = [pd.Timestamp(t, tz="UTC") for t in ("2024-10-23 15:08", "2025-03-06 14:56")]
    days.append(pd.Timestamp("2025-03-25 14:40:00", tz="UTC"))
    dets = tf.detections([(t, tf.point_at(line, 1500)) for t in days], net)
    _, tracks = link_tracks(dets, tf.observed(days), params=TrackParams(min_dates=1))
    assert tracks["first_seen"].tolist() == [days[0]]
    assert tracks["last_seen"].tolist() == [days[-1]]
