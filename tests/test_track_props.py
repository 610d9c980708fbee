"""Property-based tests of tracking and counting: whatever detections are drawn (dredges that
stay, move, go unseen; false detections; dates across a new year; scenes given or not), the
tracks and the yearly counts keep the invariants an analyst relies on, and the order of the
rows does not change them (nor the tracks and their ids).

- ``unique_low <= unique_dredges <= unique_high`` and ``new_dredges <= unique_dredges``;
- summed over the years, a river's ``new_dredges`` are its counted tracks;
- ``detections`` is the river-year's rows (a dredge seen twice in one pass once);
- a track's ``first_seen``/``last_seen`` are its detections' earliest and latest times (to
  the second), its ``dates`` their distinct days, its ``n_detections`` their number.

This search found ``last_seen`` a second before the last detection (times on the second came
back from float days a hair early).
"""

from __future__ import annotations

import os
from random import Random

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detector.counts import yearly_counts
from detector.observed import river_observations
from detector.tracking import TrackParams, link_tracks
from tests import track_fixtures as tf

SETTINGS = settings(
    max_examples=int(os.environ.get("DREDGE_PROPERTY_EXAMPLES", "40")),  # more: a deeper search
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
START = pd.Timestamp("2024-11-01 14:00", tz="UTC")  # scenes run into the next year
Drawn = tuple[pd.DataFrame, list[pd.Timestamp], bool, int]


@st.composite
def world(draw: st.DrawFn) -> Drawn:
    """Detections of a few dredges and false detections on the meander, the scenes' times,
    whether the scenes are given, and --min-dates."""
    days = draw(st.lists(st.integers(0, 150), min_size=2, max_size=10, unique=True))
    moments = [
        START
        + pd.Timedelta(days=d, minutes=draw(st.integers(0, 59)), seconds=draw(st.integers(0, 59)))
        for d in sorted(days)
    ]
    line = tf.meander_line()
    spots = draw(st.lists(st.floats(100, 5000), min_size=1, max_size=4))
    across = [draw(st.floats(-40, 40)) for _ in spots]
    rows = []
    for moment in moments:
        for k in range(len(spots)):
            if draw(st.floats(0, 1)) < 0.3:
                continue  # unseen (missed, or away)
            if draw(st.floats(0, 1)) < 0.1:
                spots[k] = min(max(spots[k] + draw(st.floats(-2000, 2000)), 50), 5200)
            rows.append((moment, tf.point_at(line, spots[k], across[k])))
        if draw(st.booleans()):
            rows.append(
                (moment, tf.point_at(line, draw(st.floats(50, 5200)), draw(st.floats(-60, 60))))
            )
    frame = tf.detections(rows, tf.network(line))
    frame["score"] = [draw(st.floats(0.2, 1.0)) for _ in range(len(frame))]
    return frame, moments, draw(st.booleans()), draw(st.integers(1, 2))


def counted(
    detections: pd.DataFrame, moments: list[pd.Timestamp], scenes: bool, min_dates: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Linked detections, tracks and yearly counts."""
    observed = tf.observed(moments) if scenes else None
    linked, tracks = link_tracks(detections, observed, params=TrackParams(min_dates=min_dates))
    seen = river_observations(observed, tf.network().corridor("EPSG:4326")) if scenes else None
    return linked, tracks, yearly_counts(tracks, linked, observations=seen)


@SETTINGS
@given(world(), st.randoms(use_true_random=False))
def test_counts_keep_their_invariants_in_any_row_order(drawn: Drawn, shuffle: Random) -> None:
    detections, moments, scenes, min_dates = drawn
    if detections.empty:
        return
    linked, tracks, counts = counted(detections, moments, scenes, min_dates)
    assert (counts["unique_low"] <= counts["unique_dredges"]).all()
    assert (counts["unique_dredges"] <= counts["unique_high"]).all()
    assert (counts["new_dredges"] <= counts["unique_dredges"]).all()
    assert counts["new_dredges"].sum() == int(tracks["counted"].sum())
    own = linked[linked["track_id"].notna() & (linked["link"] != "duplicate")]
    years = pd.to_datetime(own["acquired"], utc=True).dt.year
    rows = own.groupby(years).size()
    assert counts.set_index("year")["detections"].reindex(rows.index).tolist() == rows.tolist()
    times = pd.to_datetime(own["acquired"], utc=True)
    table = tracks.set_index("track_id")
    by_track = times.groupby(own["track_id"].astype(int))
    assert (table["first_seen"] == by_track.min().dt.floor("s").reindex(table.index)).all()
    assert (table["last_seen"] == by_track.max().dt.floor("s").reindex(table.index)).all()
    assert (table["n_detections"] == by_track.size().reindex(table.index)).all()
    days = times.dt.strftime("%Y-%m-%d").groupby(own["track_id"].astype(int).to_numpy())
    listed = days.agg(lambda values: ";".join(sorted(set(values))))
    assert table["dates"].tolist() == listed.reindex(table.index).tolist()

    order = list(range(len(detections)))
    shuffle.shuffle(order)
    _, tracks_again, again = counted(
        detections.iloc[order].reset_index(drop=True), moments, scenes, min_dates
    )
    pd.testing.assert_frame_equal(again, counts)
    # the same tracks, the same ids; a mean position may differ in its last digit (a sum of
    # the same numbers in another order: -73.41137971166938 for -73.4113797116694)
    pd.testing.assert_frame_equal(
        tracks_again.drop(columns="geometry"), tracks.drop(columns="geometry")
    )
    assert tracks_again.geometry.geom_equals_exact(tracks.geometry, tolerance=1e-9).all()
