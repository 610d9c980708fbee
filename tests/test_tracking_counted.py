"""Which tracks link and count: clouds, spots "seen empty", gaps, short, low-scoring and fixed
tracks; the detection tables tracked (hand marks, tables without dates, boats, row order)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from detector.errors import InputError
from detector.track_files import read_detections
from detector.track_prepare import prepare_detections
from detector.tracking import TrackParams, link_tracks
from tests import track_fixtures as tf
from tests.track_fixtures import straight_line

# --- clouds and "seen empty" --------------------------------------------------------------------


def test_a_dredge_under_cloud_keeps_its_track() -> None:
    line = straight_line()
    net = tf.network(line)
    spot = tf.point_at(line, 2000, 5)
    days = tf.dates(6)
    seen = [t for k, t in enumerate(days)]
    dets = tf.detections([(t, spot) for k, t in enumerate(days) if k != 2], net)
    params = TrackParams(absent_to_end=1)
    clouded = tf.observed(seen, clouds={days[2]: [spot]})
    linked, tracks = link_tracks(dets, clouded, params=params)
    assert len(tracks) == 1
    assert list(linked["link"]) == ["new", "stay", "stay", "stay", "stay"]
    # The same date clear, without the dredge: its spot was seen empty; the return is a resume.
    linked, tracks = link_tracks(dets, tf.observed(seen), params=params)
    assert len(tracks) == 1
    assert linked["link"].iloc[2] == "resume"
    assert tracks.loc[0, "seen_absent"] == 1


@pytest.mark.parametrize("cloudy", [True, False])
def test_a_move_links_only_when_departure_and_arrival_may_coincide(cloudy: bool) -> None:
    """A is seen on days 0–1, B (2 km away) from day 4. Under cloud on days 2–3 nothing rules
    out that A moved to B: one dredge. With those days clear, A's spot was empty on day 2 and
    B's still empty on day 3: A left before B arrived — two dredges."""
    line = straight_line()
    net = tf.network(line)
    a, b = tf.point_at(line, 2000), tf.point_at(line, 4000)
    days = tf.dates(7)
    dets = tf.detections([(t, a) for t in days[:2]] + [(t, b) for t in days[4:]], net)
    clouds = {days[2]: [a, b], days[3]: [a, b]} if cloudy else {}
    _, tracks = link_tracks(dets, tf.observed(days, clouds=clouds))
    assert len(tracks) == (1 if cloudy else 2)


@pytest.mark.parametrize("empty_looks", [3, 6])
def test_a_spot_seen_empty_on_many_looks_is_not_resumed(empty_looks: int) -> None:
    """Scenes every two days: a dredge at a spot for 20 days, the spot seen empty, then a
    dredge there again. After 3 empty looks the detector may have missed it (one track, a
    resume); after 6 it left, and the next one is another stay (two tracks), though both
    gaps are shorter than ``resume_days``."""
    line = straight_line()
    net = tf.network(line)
    spot = tf.point_at(line, 2000, 5)
    days = tf.dates(20 + empty_looks, every_days=2.0)
    here = days[:10] + days[10 + empty_looks :]
    linked, tracks = link_tracks(tf.detections([(t, spot) for t in here], net), tf.observed(days))
    assert (days[10 + empty_looks] - days[9]).days < TrackParams().resume_days
    assert len(tracks) == (1 if empty_looks <= TrackParams().resume_absent_max else 2)
    assert linked["link"].iloc[10] == ("resume" if empty_looks == 3 else "new")


@pytest.mark.parametrize("clouded", [False, True])
def test_a_track_seen_for_days_between_empty_looks_is_not_counted(clouded: bool) -> None:
    """Scenes every two days: detections at one spot on two dates, the spot seen empty two
    days before and after. A dredge stays weeks: this is not counted. With the looks of the
    week before and the week after under cloud, the stay may have lasted 18 days: it counts."""
    line = straight_line()
    net = tf.network(line)
    spot, other = tf.point_at(line, 2000, 5), tf.point_at(line, 5000, 5)
    days = tf.dates(15, every_days=2.0)
    dets = tf.detections([(days[6], spot), (days[7], spot)] + [(t, other) for t in days], net)
    clouds = {days[k]: [spot] for k in (3, 4, 5, 8, 9, 10)} if clouded else {}
    _, tracks = link_tracks(dets, tf.observed(days, clouds=clouds))
    brief = tracks.set_index("n_dates").loc[2]
    assert brief["counted"] == clouded
    assert tracks.set_index("n_dates").loc[15, "counted"] == True  # noqa: E712


def test_a_4_km_move_between_scenes_a_day_apart_links() -> None:
    line = straight_line()
    net = tf.network(line)
    a, b = tf.point_at(line, 1000, 5), tf.point_at(line, 5000, 5)
    days = tf.dates(10, every_days=1.0)
    dets = tf.detections([(t, a) for t in days[:5]] + [(t, b) for t in days[5:]], net)
    linked, tracks = link_tracks(dets, tf.observed(days))
    assert len(tracks) == 1
    assert linked["link"].iloc[5] == "move"
    # Limited to 2.5 km a day, it would be two dredges.
    _, tracks = link_tracks(dets, tf.observed(days), params=TrackParams(move_speed_m_per_day=2500))
    assert len(tracks) == 2


def test_without_observed_areas_a_long_gap_ends_a_track() -> None:
    line = straight_line()
    net = tf.network(line)
    spot = tf.point_at(line, 2000)
    for gap_days, expected in ((21, 1), (120, 2)):
        moments = [tf.START, tf.START + pd.Timedelta(days=7)]
        moments += [moments[-1] + pd.Timedelta(days=gap_days + 7 * k) for k in range(2)]
        _, tracks = link_tracks(tf.detections([(t, spot) for t in moments], net))
        assert len(tracks) == expected


def test_short_tracks_are_kept_but_not_counted() -> None:
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(6)
    spot, stray = tf.point_at(line, 1000), tf.point_at(line, 4000)
    dets = tf.detections([(t, spot) for t in days] + [(days[2], stray)], net)
    _, tracks = link_tracks(dets, tf.observed(days))
    assert sorted(tracks["n_dates"]) == [1, 6]
    assert tracks.set_index("n_dates").loc[1, "counted"] == False  # noqa: E712
    assert tracks.set_index("n_dates").loc[6, "counted"] == True  # noqa: E712


@pytest.mark.parametrize("unscored_sure", [True, False])
def test_a_dredge_added_by_hand_to_a_detector_table_counts_from_one_date(
    unscored_sure: bool,
) -> None:
    """An analyst adds (in QGIS) a dredge the detector missed, on one date: no score. Among
    scored detections a track seen once is most often false and is not counted; one marked by
    hand was seen, and counts (``dredge track`` sets ``unscored_sure`` for such tables)."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(6)
    spot, added = tf.point_at(line, 1000), tf.point_at(line, 4000)
    dets = tf.detections([(t, spot) for t in days] + [(days[2], added)], net)
    dets.loc[len(days), "score"] = np.nan
    params = TrackParams(unscored_sure=unscored_sure)
    _, tracks = link_tracks(dets, tf.observed(days), params=params)
    assert sorted(tracks["n_dates"]) == [1, 6]
    assert tracks.set_index("n_dates").loc[1, "counted"] == unscored_sure
    assert tracks.set_index("n_dates").loc[6, "counted"]


def test_a_sighting_on_the_last_date_counts_only_when_confident() -> None:
    """A dredge first seen on the river's last date, a month after its spot was seen empty,
    cannot be confirmed by a second date: it counts when its detection is confident, and a
    faint one (most often false) does not."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(4, every_days=30.0)
    spot, faint = tf.point_at(line, 1000), tf.point_at(line, 4000)
    dets = tf.detections([(days[-1], spot), (days[-1], faint)], net)
    dets["score"] = [0.8, 0.3]
    linked, tracks = link_tracks(dets, tf.observed(days))
    counted = tracks.set_index("track_id")["counted"]
    by_score = dict(zip(linked["score"], linked["track_id"], strict=True))
    assert counted[by_score[0.8]] and not counted[by_score[0.3]]
    # Detections without scores (marked by hand) always pass.
    _, tracks = link_tracks(dets.drop(columns="score"), tf.observed(days))
    assert tracks["counted"].all()


def test_a_track_whose_detections_all_score_low_is_not_counted() -> None:
    """A spot detected on every date but never above ``count_score``: most often a fixed
    look-alike (a moored boat, a roof) rather than a dredge. Kept, not counted."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(5)
    dets = tf.detections([(t, tf.point_at(line, 1000)) for t in days], net)
    dets["score"] = 0.4
    _, tracks = link_tracks(dets, tf.observed(days))
    assert len(tracks) == 1 and tracks.loc[0, "n_dates"] == 5
    assert not tracks.loc[0, "counted"]
    dets.loc[2, "score"] = 0.6
    _, tracks = link_tracks(dets, tf.observed(days))
    assert tracks.loc[0, "counted"]


@pytest.mark.parametrize(("every_days", "static"), [(10.0, False), (30.0, True)])
def test_a_spot_detected_for_months_without_moving_is_a_fixed_object(
    every_days: float, static: bool
) -> None:
    """Dredges stay weeks at a spot and then move. Detected at one spot on six looks a month
    apart (150 days), it is a roof, a wreck or a pontoon: kept, marked ``static``, not
    counted. On six looks ten days apart (50 days) it is a dredge."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(6, every_days=every_days)
    dets = tf.detections([(t, tf.point_at(line, 1000)) for t in days], net)
    _, tracks = link_tracks(dets, tf.observed(days))
    assert len(tracks) == 1 and tracks.loc[0, "moves"] == 0
    assert bool(tracks.loc[0, "static"]) is static
    assert bool(tracks.loc[0, "counted"]) is not static
    _, tracks = link_tracks(dets, tf.observed(days), params=TrackParams(max_static_days=0))
    assert tracks.loc[0, "counted"] and not tracks.loc[0, "static"]
    # Over the same months, a dredge that moved 1 km halfway is no fixed object.
    half = [(t, tf.point_at(line, 1000 if k < 3 else 2000)) for k, t in enumerate(days)]
    _, tracks = link_tracks(tf.detections(half, net), tf.observed(days))
    assert len(tracks) == 1 and tracks.loc[0, "moves"] == 1
    assert tracks.loc[0, "counted"] and not tracks.loc[0, "static"]


def test_a_fixed_object_hidden_by_clouds_for_months_is_still_a_fixed_object() -> None:
    """A roof detected every 10 days for 300 days, under cloud for 80 of them: seen again
    after more than ``stay_gap_days`` with other looks in between (passes that found another
    dredge on the river, 3 km away), it opened a new mooring at its own spot, linked back as a
    move of 0 m, and so it "moved": counted as a dredge. A move back into the stay gates of
    its spot is no move; one of 1 km still is."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(31, every_days=10.0)
    hidden = days[11:18]
    other = [(t, tf.point_at(line, 4000)) for t in days]
    for along, static in ((1000.0, True), (2000.0, False)):
        roof = [(t, tf.point_at(line, 1000 if k < 11 else along)) for k, t in enumerate(days)]
        dets = tf.detections([(t, p) for t, p in roof if t not in hidden] + other, net)
        clouds = {t: [tf.point_at(line, 1000), tf.point_at(line, along)] for t in hidden}
        linked, tracks = link_tracks(dets, tf.observed(days, clouds=clouds))
        assert len(tracks) == 2
        track = tracks[tracks["mean_chainage_m"] > 3000].iloc[0]  # chainage from downstream
        assert track["moves"] == 1
        assert "move" in set(linked.loc[linked["track_id"] == track["track_id"], "link"])
        assert bool(track["static"]) is static
        assert bool(track["counted"]) is not static
    assert track["moved_m"] == 1000.0


@pytest.mark.parametrize(("every_days", "counted"), [(30.0, True), (5.0, False)])
def test_a_sighting_on_the_first_date_counts_when_the_next_look_was_weeks_later(
    every_days: float, counted: bool
) -> None:
    """Seen on the first date, then its spot empty: it may have stayed for weeks before the
    imagery began and left before the next look a month later; gone five days later, it was
    most likely a false detection (a dredge stays weeks at a mooring)."""
    line = straight_line()
    net = tf.network(line)
    days = tf.dates(4, every_days=every_days)
    dets = tf.detections([(days[0], tf.point_at(line, 1000))], net)
    _, tracks = link_tracks(dets, tf.observed(days))
    assert tracks.loc[0, "n_dates"] == 1 and tracks.loc[0, "seen_absent"] > 0
    assert bool(tracks.loc[0, "counted"]) is counted
    # The same sighting in the middle of the imagery (seen empty before and after) never counts.
    dets = tf.detections([(days[1], tf.point_at(line, 1000))], net)
    _, tracks = link_tracks(dets, tf.observed(days))
    assert not tracks.loc[0, "counted"]


# --- inputs ------------------------------------------------------------------------------------


def test_hand_marked_points_in_another_crs(tmp_path: pytest.TempPathFactory) -> None:
    line = straight_line()
    net = tf.network(line)
    points = [tf.point_at(line, 1000), tf.point_at(line, 1003)]
    frame = gpd.GeoDataFrame({"date": ["2024-01-01", "2024-01-15"]}, geometry=points, crs=tf.CRS)
    path = tmp_path / "marked.gpkg"  # type: ignore[operator]
    frame.to_file(path)
    ready, notes = prepare_detections(read_detections(path), path, net)
    assert ready.crs.to_epsg() == 4326
    assert any("reprojected from EPSG:32718" in n for n in notes)
    assert any("'date' column" in n for n in notes)
    assert ready["river"].tolist() == ["Meander", "Meander"]
    _, tracks = link_tracks(ready, params=TrackParams(min_dates=1))
    assert len(tracks) == 1 and tracks.loc[0, "counted"]


def test_csv_without_dates_is_refused(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "marked.csv"  # type: ignore[operator]
    pd.DataFrame({"lon": [-73.4], "lat": [-3.8]}).to_csv(path, index=False)
    frame = read_detections(path)
    assert frame.crs.to_epsg() == 4326
    with pytest.raises(InputError, match="no 'acquired' column"):
        prepare_detections(frame, path, tf.network())


def test_boats_are_not_tracked_or_counted(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "detections.csv"  # type: ignore[operator]
    pd.DataFrame(
        {
            "lon": [-73.4, -73.4, -73.41],
            "lat": [-3.8, -3.8, -3.8],
            "acquired": ["2024-01-01", "2024-01-15", "2024-01-15"],
            "class_name": ["dredge", "dredge", "boat"],
        }
    ).to_csv(path, index=False)
    ready, notes = prepare_detections(read_detections(path), path, tf.network())
    assert ready["class_name"].tolist() == ["dredge", "dredge"]
    assert any("1 boat detection left out of tracking" in n for n in notes)
    only_boats = read_detections(path).iloc[[2]]
    empty, _ = prepare_detections(only_boats, path, tf.network())
    _, tracks = link_tracks(empty, params=TrackParams(min_dates=1))
    assert len(tracks) == 0


@pytest.mark.parametrize("scenes", [False, True])
def test_tracks_do_not_depend_on_row_order_or_rounding_noise(scenes: bool) -> None:
    """Two dredges that move the same way along and across the channel cost the same total
    linked either way round (|Δs| and |Δo| add up alike): the choice fell to the order of the
    rows and to 1e-9 m of noise in the positions (here 10 of 20 shuffled, shifted copies
    linked the other way; on the demo run, tracks 4 and 21 swapped their last three
    detections), and track ids followed the order of the rows within a scene. Shuffled rows
    and shifted positions now give the same tracks, detection for detection."""
    line = straight_line()
    moments = tf.dates(7)
    rows = [(t, tf.point_at(line, s, o)) for t in moments[:3] for s, o in ((2000, -10), (2100, -5))]
    rows += [(t, tf.point_at(line, s, o)) for t in moments[4:] for s, o in ((3000, 5), (3100, 10))]
    dets = tf.detections(rows, tf.network(line))
    observed = tf.observed(moments) if scenes else None

    def tracks_of(frame: pd.DataFrame) -> dict[int, int]:
        linked, _ = link_tracks(frame, observed)
        return dict(zip(linked["detection_id"], linked["track_id"], strict=True))

    first = tracks_of(dets)
    assert len(set(first.values())) == 2  # two dredges, each moved once
    rng = np.random.default_rng(1)
    for trial in range(6):
        other = dets.sample(frac=1.0, random_state=trial)
        for column in ("chainage_m", "offset_m"):
            other[column] += rng.uniform(-1e-9, 1e-9, len(other))
        assert tracks_of(other) == first
