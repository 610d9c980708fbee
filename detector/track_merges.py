"""Dredges merged by hand: two tracks the tracker split, joined by editing ``track_id``.

An analyst who sees one dredge counted as two (in QGIS, in the ``detections`` layer of
``dredges.gpkg`` or in ``tracks.detections.parquet``) gives the detections of one track the
other's ``track_id`` and tracks the file again. ``dredge track`` links detections anew, so the
edit was lost without a word: both tracks counted. A track of the tool's own numbering starts
with one detection linked ``new``; an input track with two or more is such a merge. Where the
detections it gathers are exactly those of its file in several tracks on one river as linked
now, those tracks become one (:func:`merge_tracks`), with any detections of other files given
beside it that were linked into them; otherwise a note says the edit was not read.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from detector.track_frames import DAY_NS, WGS84, centres_lon_lat
from detector.track_params import TrackParams, within_gate
from detector.track_table import (
    RULE_BRIEF,
    RULE_FAINT,
    RULE_SHORT,
    RULE_STATIC,
    Rules,
    confidence,
    main_spot,
    nanoseconds,
    uncounted_reasons,
)
from detector.wording import agree, count_of

DAY = pd.Timedelta(days=1)
MERGED = "merged"
"""The ``link`` of a later start of a track merged by hand into another, where the merge was
kept: read as the merge again when the file is tracked again, and not as a second run's track
(a second merge beside a kept one took the file for two runs' tables appended, and both merges
were lost)."""


def hand_merges(frame: pd.DataFrame, source: str | Path) -> tuple[dict[int, np.ndarray], list[str]]:
    """Input ``track_id`` → positions of its rows, for the tracks that start twice or more
    (two detections linked ``new``): tracks merged by hand; and notes. Empty for files without
    the columns (marks, a detector's output), and for two runs' tables appended into one file:
    each run numbers its tracks in a row, so there tracks of consecutive ids start twice (two
    dredges years and kilometres apart were merged as one). A hand merge gathers a track into
    another, so merges into two consecutive ids are read as an append too, and left unread
    with a note: edit one merge at a time, or merge into ids apart."""
    if not {"track_id", "link"} <= set(frame.columns):
        return {}, []
    ids = pd.to_numeric(frame["track_id"], errors="coerce").to_numpy(float)
    link = frame["link"].astype("string")
    new = (link == "new").fillna(False).to_numpy(bool)
    kept = (link == MERGED).fillna(False).to_numpy(bool)  # a merge kept before: still one
    found, counts = np.unique(ids[(new | kept) & np.isfinite(ids)], return_counts=True)
    twice = found[counts >= 2]
    fresh, starts = np.unique(ids[new & np.isfinite(ids)], return_counts=True)
    fresh = fresh[starts >= 2]
    if bool((np.diff(fresh) == 1).any()):
        listed = ", ".join(str(int(t)) for t in fresh[:6]) + (" …" if len(fresh) > 6 else "")
        return {}, [
            f"{source}: tracks of consecutive ids start twice ({listed}), as in the tables of two "
            "runs appended into one file: their track_ids are not read as tracks merged by hand "
            "(all is linked anew) — to merge tracks by hand, give one track's detections another "
            "track's id in one run's table"
        ]
    return {int(t): np.flatnonzero(ids == t) for t in twice}, []


def merge_tracks(
    linked: pd.DataFrame,
    tracks: gpd.GeoDataFrame,
    merges: dict[int, np.ndarray],
    source: str | Path,
    params: TrackParams | None = None,
    *,
    rules: Rules,
    own: range | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame, list[str]]:
    """``linked`` and ``tracks`` with the tracks of each merge in ``merges`` (positions of
    ``linked``'s rows, as :func:`hand_merges` gives) joined into the first, and notes.
    ``params``: what the tracks were linked with, by which the one track is counted or not;
    ``rules``: the rules that left each track out, as :func:`detector.tracking.link_tracks`
    gave them (updated for the tracks joined); ``own``: the positions of the rows of the file
    the merges are of (None: every row). A merge is refused where its tracks, as linked now,
    hold other detections of that file (its other tracks), or lie on other rivers; detections
    of other files given beside it that are linked into them join the merged track (the merge
    was refused, asking to give them its track_id, which cannot be done across two files)."""
    joined: list[str] = []
    refused: list[str] = []
    new_ids = pd.array(linked["track_id"], dtype="Int64")
    for old, rows in merges.items():
        ids = sorted({int(t) for t in new_ids[rows] if pd.notna(t)})
        if len(ids) < 2:
            continue  # linked as one anyway
        whole = np.flatnonzero(np.isin(new_ids.to_numpy(dtype=float, na_value=np.nan), ids))
        besides = np.setdiff1d(whole, rows)  # detections of other tracks of the file, or of
        beside = besides[~np.isin(besides, own)] if own is not None else besides[:0]  # others
        rivers = set(tracks.loc[tracks["track_id"].isin(ids), "river"].astype(str))
        if len(rivers) > 1 or len(whole) - len(beside) != len(rows):
            why = "on other rivers" if len(rivers) > 1 else "with other detections"
            rows_text = count_of(len(rows), "detection")
            refused.append(f"track {old} ({rows_text}): linked as tracks {ids} {why}")
            continue
        linked, tracks = _join(linked, tracks, ids, params or TrackParams(), rules)
        new_ids = pd.array(linked["track_id"], dtype="Int64")
        also = (
            f" with {count_of(len(beside), 'detection')} of the files beside" if len(beside) else ""
        )
        joined.append(f"track {old}: tracks {', '.join(map(str, ids))} as {ids[0]}{also}")
    notes = []
    if joined:
        notes.append(
            f"{source}: {count_of(len(joined), 'track')} merged by hand (track_id edited: the "
            "detections "
            f"of two or more tracks given one) kept as one dredge ({'; '.join(joined[:3])})"
        )
    if refused:
        notes.append(
            f"{source}: {count_of(len(refused), 'track')} merged by hand (track_id edited) could "
            f"not be kept as one, and {agree(len(refused), 'is', 'are')} linked anew "
            f"({'; '.join(refused[:3])}) — give all the "
            "detections of the tracks to merge one track_id, on one river"
        )
    return linked, tracks, notes


def _join(
    linked: pd.DataFrame,
    tracks: gpd.GeoDataFrame,
    ids: list[int],
    params: TrackParams,
    rules: Rules,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """The tracks ``ids`` as one, numbered ``ids[0]``. It is counted as a track of its dates,
    best score, stays and moves would be: two tracks seen once each, merged, are seen on two
    dates (each was left out as seen on one date, and so was the merge, with that reason)."""
    keep, others = ids[0], ids[1:]
    moves, moved_m, static = _path(linked, ids, params)
    linked = linked.copy()
    linked.loc[linked["track_id"].isin(others), "track_id"] = keep
    starts = linked.index[(linked["track_id"] == keep) & (linked["link"] == "new")]
    later = linked.loc[starts].sort_values("acquired").index[1:]
    linked.loc[later, "link"] = MERGED  # one start: the merge is read again, not as an append
    rows = tracks[tracks["track_id"].isin(ids)]
    weight = rows["n_detections"].to_numpy(float)
    dates = sorted({d for text in rows["dates"].astype(str) for d in text.split(";") if d})
    lon, lat = _drawn_at(linked, keep, rows, weight, params)
    one = {
        "first_seen": rows["first_seen"].min(),
        "last_seen": rows["last_seen"].max(),
        "dates": ";".join(dates),
        "n_dates": len(dates),
        "n_detections": int(weight.sum()),
        "mean_chainage_m": float(np.average(rows["mean_chainage_m"], weights=weight)),
        "mean_offset_m": float(np.average(rows["mean_offset_m"], weights=weight)),
        "moves": moves,
        "moved_m": moved_m,
        "ambiguous_links": int(rows["ambiguous_links"].sum()),
        "seen_absent": int(rows["seen_absent"].sum()),
        "static": static,
        "class_name": rows.sort_values("n_detections", ascending=False)["class_name"].iloc[0],
    }
    own = linked[(linked["track_id"] == keep) & (linked["link"] != "duplicate")]
    # hand marks have no score column (a merge of theirs was a KeyError traceback)
    scores = pd.to_numeric(own["score"], errors="coerce") if "score" in own.columns else None
    if scores is None:
        scores = pd.Series(np.nan, index=own.index, dtype=float)
    counted, broken = _counted(one, scores, params, [rules.get(t, frozenset()) for t in ids])
    one.update(counted)
    # as the tracker rates a track of its detections, dates and links (it was the larger of
    # its parts': two tracks seen once, merged, kept 0.45 for the 0.675 of one seen twice)
    rated = confidence(
        pd.Series([scores.mean()]), pd.Series([one["n_dates"]]), pd.Series([one["ambiguous_links"]])
    )
    one["confidence"] = float(rated.iloc[0])
    for other in others:
        rules.pop(other, None)
    rules[keep] = broken
    at = tracks.index[tracks["track_id"] == keep][0]
    tracks = tracks[~tracks["track_id"].isin(others)].copy()
    for column, value in one.items():
        tracks.at[at, column] = value
    tracks.loc[at, "geometry"] = shapely.Point(lon, lat)
    same = pd.array(tracks["maybe_same_as"], dtype="Int64")
    same[np.isin(same.to_numpy(dtype=float, na_value=np.nan), others)] = keep
    same[(tracks["track_id"] == keep).to_numpy() & (same == keep).fillna(False)] = pd.NA
    tracks["maybe_same_as"] = same
    return linked, gpd.GeoDataFrame(tracks.reset_index(drop=True), crs=WGS84)


def _path(linked: pd.DataFrame, ids: list[int], params: TrackParams) -> tuple[int, float, bool]:
    """``moves``, ``moved_m`` and ``static`` of the tracks ``ids`` as one, by the tracker's
    rules (:func:`detector.tracking.link_tracks`) from their detections: its moorings (each
    begun by a detection linked ``new``, ``move`` or ``move?``, in each track's time order),
    in the order they were first seen, a move from each to the next (the joins included);
    a fixed object when none took it beyond the stay gates of the mooring it left and its
    detections span more than ``max_static_days``. (``static`` was that of all its tracks:
    two tracks at one spot, each too short to be judged, stayed not static when merged into a
    year there, and two fixed objects 2 km apart stayed one fixed object.)"""
    mine = linked[linked["track_id"].isin(ids) & (linked["link"] != "duplicate")]
    ns = nanoseconds(mine["acquired"])
    order = np.lexsort((ns, mine["track_id"].to_numpy(float)))
    track = mine["track_id"].to_numpy(float)[order]
    begins = mine["link"].isin(["new", "move", "move?", MERGED]).to_numpy(bool)[order]
    begins |= np.concatenate([[True], track[1:] != track[:-1]])  # a track begins a mooring
    spots = pd.DataFrame(
        {
            "mooring": np.cumsum(begins),
            "ns": ns[order],
            "s": mine["chainage_m"].to_numpy(float)[order],
            "o": mine["offset_m"].to_numpy(float)[order],
        }
    )
    spots = spots.groupby("mooring").agg(ns=("ns", "min"), s=("s", "mean"), o=("o", "mean"))
    spots = spots.sort_values("ns", kind="stable")
    step = np.abs(np.diff(spots["s"].to_numpy()))
    across = np.abs(np.diff(spots["o"].to_numpy()))
    home = within_gate(step, params.stay_gate_m) & within_gate(across, params.stay_lateral_m)
    span = (ns.max() - ns.min()) / DAY_NS if len(ns) else 0.0
    static = params.max_static_days > 0 and bool(home.all()) and span > params.max_static_days
    return len(step), round(float(step.sum()), 1), static


def _drawn_at(
    linked: pd.DataFrame,
    keep: int,
    rows: gpd.GeoDataFrame,
    weight: np.ndarray,
    params: TrackParams,
) -> tuple[float, float]:
    """Where the merged track is drawn: its main mooring, as
    :func:`detector.track_table.main_spot` places every track (the mean of its parts' points,
    weighted, could fall on land between two parts round a bend); without detection
    geometries, that mean."""
    mine = linked[(linked["track_id"] == keep) & (linked["link"] != "duplicate")]
    lon, lat = centres_lon_lat(mine, needed=False)
    finite = np.isfinite(np.column_stack([lon, lat, mine["chainage_m"].to_numpy(float)]))
    if len(mine) and finite.all():
        part = pd.DataFrame(
            {
                "chain": 0,
                "s": mine["chainage_m"].to_numpy(float),
                "o": mine["offset_m"].to_numpy(float),
                "ns": nanoseconds(mine["acquired"]),
                "lon": lon,
                "lat": lat,
            }
        )
        spot = main_spot(part, params).iloc[0]
        return float(spot["lon"]), float(spot["lat"])
    return (
        float(np.average(rows.geometry.x, weights=weight)),
        float(np.average(rows.geometry.y, weights=weight)),
    )


def _counted(
    one: dict[str, object],
    scores: pd.Series,
    params: TrackParams,
    parts: list[frozenset[str]],
) -> tuple[dict[str, object], frozenset[str]]:
    """``counted`` and ``uncounted_reason`` of the merged track, whose detections (less the
    duplicates) scored ``scores`` (NaN: none, marked by hand), and the rules that leave it
    out: by the rules of :func:`detector.track_table.tracks_table`, from its tracks' ``parts``
    (the rules that left each out: its longest stay and best score are theirs at most; too
    few dates only where each was so left out). Read from the rules' codes, not from the words
    of ``uncounted_reason``, which rewording changed (a track left out for too few dates was
    then taken for one seen on enough)."""
    n_dates = int(str(one["n_dates"]))
    short = n_dates < params.min_dates and all(RULE_SHORT in part for part in parts)
    best = float(scores.fillna(1.0).max())
    faint = best < params.count_score
    brief = all(RULE_BRIEF in part for part in parts)
    # in days, as the tracker's table has them: as times, a fixed object "never moved in
    # 33696000000000000 days" (the nanoseconds of 390)
    span = (pd.Timestamp(str(one["last_seen"])) - pd.Timestamp(str(one["first_seen"]))) / DAY
    table = pd.DataFrame(
        {
            "static": [one["static"]],
            "first": [0.0],
            "last": [span],
            "n_dates": [n_dates],
            "best_score": [best],
        }
    )
    flags = {k: np.array([v]) for k, v in (("short", short), ("faint", faint), ("brief", brief))}
    reason = uncounted_reasons(table, params, **flags)[0]
    codes = {RULE_STATIC: bool(one["static"]), RULE_SHORT: short, RULE_FAINT: faint}
    codes[RULE_BRIEF] = brief
    broken = frozenset(code for code, on in codes.items() if on)
    return {"counted": not broken, "uncounted_reason": reason}, broken
