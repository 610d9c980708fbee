"""Evaluate tracks against the synthetic truth: identity metrics and yearly count errors.

Identity metrics follow Ristani et al. (2016), "Performance Measures and a Data Set for
Multi-Target, Multi-Camera Tracking": a predicted detection and a true appearance co-occur when
they are in the same scene and at most ``match_m`` apart. Each true dredge is paired with at
most one track (and each track with one dredge) so that the number of co-occurrences, IDTP, is
largest (Hungarian algorithm on the identity-overlap matrix). Then

- IDP = IDTP / predicted detections, IDR = IDTP / true appearances,
- IDF1 = 2 IDTP / (predicted detections + true appearances).

Where each detection's true dredge is known (degraded truth), :func:`identity_scores_from_labels`
pairs by that label (and scene) instead of by position: the exact score, lower where a track
hops between dredges moored side by side within ``match_m`` of each other.

Only visible true appearances count (a dredge under cloud cannot be detected). Count errors
compare :func:`detector.counts.yearly_counts` with the truth's ``counts.csv`` per river-year.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from detector.observed import scene_key

M_PER_DEG = 111_320.0  # metres per degree on the equator (kept for callers)
FRAME_SPACING_M = 1e8  # scenes are stacked this far apart on a third axis of the k-d tree


@dataclass(frozen=True)
class IdentityScores:
    """IDF1, ID precision and ID recall, with their counts."""

    idf1: float
    idp: float
    idr: float
    idtp: int
    predicted: int
    truth: int
    true_ids: int
    predicted_ids: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def identity_scores(
    truth: pd.DataFrame, predicted: pd.DataFrame, *, match_m: float = 30.0
) -> IdentityScores:
    """IDF1 of ``predicted`` (``track_id``, ``scene``, ``lon``, ``lat``) against ``truth``.

    ``truth`` has ``dredge_id``, ``scene``, ``lon``, ``lat`` and optionally ``visible``.
    Predicted detections without a track id (off-river) count as predictions of an identity
    of their own. A row without a position (``lon`` or ``lat`` NaN) matches nothing: a
    prediction, or a true appearance, left unmatched.
    """
    if "visible" in truth.columns:
        truth = truth[truth["visible"].astype(bool)]
    t_ids, t_codes = _codes(truth["dredge_id"])
    p_track = pd.array(predicted["track_id"], dtype="Int64")
    own = -np.arange(1, len(predicted) + 1)  # an identity for each detection with no track
    p_raw = np.where(pd.isna(p_track), own, p_track.fillna(0).to_numpy(np.int64))
    p_ids, p_codes = _codes(pd.Series(p_raw))
    scenes = pd.Index(
        sorted(set(map(scene_key, truth["scene"])) | set(map(scene_key, predicted["scene"])))
    )
    t_place, p_place = _places(truth, scenes), _places(predicted, scenes)
    # a row without a position (NaN lon or lat: the centre of an empty geometry) pairs with
    # nothing, and counts as a true appearance or a prediction unmatched (it stopped the
    # k-d tree on "data must be finite", and its latitude made its scene's scale NaN)
    t_at, p_at = _has_position(t_place), _has_position(p_place)
    t_xyz, p_xyz = _xyz(t_place[t_at], p_place[p_at], n_scenes=len(scenes))
    overlap = _overlap(t_xyz, t_codes[t_at], len(t_ids), p_xyz, p_codes[p_at], len(p_ids), match_m)
    return _scores(_best_identity_total(overlap), len(truth), len(predicted), t_ids, p_ids)


def identity_scores_from_labels(
    labels: pd.Series, track_id: pd.Series, n_truth: int, *, scenes: pd.Series
) -> IdentityScores:
    """IDF1 of predicted detections whose true dredge is known (``labels``: the dredge each
    detection came from, <NA> for a false one; ``scenes``: the scene each is in), against
    ``n_truth`` true appearances.

    The exact score where it can be had (the degraded truth of the tracking benchmarks):
    :func:`identity_scores` pairs by position, so a track that hops between dredges moored
    side by side, 7–20 m apart, is credited as long as each hop stays within ``match_m``.
    Detections without a track count as an identity of their own each. A true appearance (a
    dredge in a scene) counts once for a track however many of its detections are that
    appearance: two detections of one dredge in one scene counted twice (IDR 2.0, IDF1 1.33
    for one appearance); the second is a prediction, not a match.
    """
    p_track = pd.array(track_id, dtype="Int64")
    own = -np.arange(1, len(p_track) + 1)
    p_raw = np.where(pd.isna(p_track), own, p_track.fillna(0).to_numpy(np.int64))
    p_ids, p_codes = _codes(pd.Series(p_raw))
    rows = pd.DataFrame(
        {
            "label": pd.Series(labels).to_numpy(),
            "scene": [scene_key(scene) for scene in scenes],
            "j": p_codes,
        }
    )
    rows = rows[rows["label"].notna()].drop_duplicates(["label", "scene", "j"])
    t_ids, t_codes = _codes(rows["label"])
    pairs = pd.DataFrame({"i": t_codes, "j": rows["j"].to_numpy()}).groupby(["i", "j"]).size()
    overlap = coo_matrix(
        (
            pairs.to_numpy(float),
            (
                pairs.index.get_level_values("i").to_numpy(),
                pairs.index.get_level_values("j").to_numpy(),
            ),
        ),
        shape=(len(t_ids), len(p_ids)),
    )
    return _scores(_best_identity_total(overlap), n_truth, len(p_track), t_ids, p_ids)


def _scores(
    idtp: int, n_true: int, n_pred: int, t_ids: pd.Index, p_ids: pd.Index
) -> IdentityScores:
    """IDF1, IDP and IDR from the best identity total and the counts."""
    return IdentityScores(
        idf1=_ratio(2 * idtp, n_true + n_pred),
        idp=_ratio(idtp, n_pred),
        idr=_ratio(idtp, n_true),
        idtp=idtp,
        predicted=n_pred,
        truth=n_true,
        true_ids=len(t_ids),
        predicted_ids=len(p_ids),
    )


def count_errors(
    predicted: pd.DataFrame, truth: pd.DataFrame, *, tolerance: float = 0.05
) -> pd.DataFrame:
    """Per river-year: true and predicted unique dredges, the error and whether it is within
    ``tolerance`` (relative) and within the predicted low/high range.

    ``predicted`` is a counts table (:func:`detector.counts.yearly_counts`); ``truth`` is the
    synthetic world's ``truth/counts.csv`` (``river, year, unique_dredges, new_dredges``).
    River-years missing on one side count as zero there.
    """
    keys = ["river", "year"]
    pred = predicted.set_index(keys)
    true = truth.set_index(keys)
    index = pred.index.union(true.index)
    out = pd.DataFrame(index=index)
    out["true_unique"] = true["unique_dredges"]
    out["unique_dredges"] = pred["unique_dredges"]
    out["true_new"] = true["new_dredges"]
    out["new_dredges"] = pred["new_dredges"]
    for column in ("unique_low", "unique_high"):
        out[column] = pred[column] if column in pred.columns else pred["unique_dredges"]
    out = out.fillna(0).astype(np.int64)
    out["error"] = out["unique_dredges"] - out["true_unique"]
    out["relative_error"] = (out["error"] / out["true_unique"].where(out["true_unique"] > 0)).round(
        4
    )
    out["within_tolerance"] = out["error"].abs() <= tolerance * out["true_unique"]
    out["within_range"] = (out["unique_low"] <= out["true_unique"]) & (
        out["true_unique"] <= out["unique_high"]
    )
    return out.reset_index()


def _codes(values: pd.Series) -> tuple[pd.Index, NDArray[np.int64]]:
    codes, uniques = pd.factorize(values)
    return pd.Index(uniques), codes.astype(np.int64)


def _places(frame: pd.DataFrame, scenes: pd.Index) -> NDArray[np.float64]:
    """(n, 3): lon, lat and scene index of each row."""
    if "lon" in frame.columns and "lat" in frame.columns:
        lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    else:
        centres = frame.geometry.to_crs("EPSG:4326").centroid
        lon, lat = centres.x.to_numpy(), centres.y.to_numpy()
    scene = scenes.get_indexer(frame["scene"].map(scene_key))
    return np.column_stack([lon, lat, scene]).astype(np.float64).reshape(-1, 3)


def _has_position(place: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Rows of :func:`_places` whose lon and lat are finite numbers."""
    return np.asarray(np.isfinite(place[:, :2]).all(axis=1))


def _xyz(*places: NDArray[np.float64], n_scenes: int) -> tuple[NDArray[np.float64], ...]:
    """Local metres plus a scene axis that keeps scenes apart, for each of ``places``.

    Each scene is scaled at one latitude, the mean of its rows in all ``places``, by WGS84's
    metres per degree there: a metre east is as long at both ends of a pair. (Each point was
    scaled by the cosine of its own latitude: two points due north of each other were set
    apart east–west too, by 0.2 × their distance at 8.75° S, 75.45° W, where a detection 28 m
    north-west of a dredge was 31.0 m from it and one 32 m north-east 29.1 m.)"""
    every = np.concatenate(places) if places else np.zeros((0, 3))
    scene = every[:, 2].astype(np.int64)
    counts = np.bincount(scene, minlength=n_scenes)
    sums = np.bincount(scene, weights=every[:, 1], minlength=n_scenes)
    ref = np.radians(sums / np.maximum(counts, 1))
    per_lat = 111_132.92 - 559.82 * np.cos(2 * ref) + 1.175 * np.cos(4 * ref)
    per_lon = 111_412.84 * np.cos(ref) - 93.5 * np.cos(3 * ref) + 0.118 * np.cos(5 * ref)
    out = []
    for place in places:
        index = place[:, 2].astype(np.int64)
        x = place[:, 0] * per_lon[index]
        y = place[:, 1] * per_lat[index]
        out.append(np.column_stack([x, y, index * FRAME_SPACING_M]))
    return tuple(out)


def _overlap(
    t_xyz: NDArray[np.float64],
    t_codes: NDArray[np.int64],
    n_t: int,
    p_xyz: NDArray[np.float64],
    p_codes: NDArray[np.int64],
    n_p: int,
    match_m: float,
) -> coo_matrix:
    """Identity-overlap matrix: scenes in which true id i and predicted id j co-occur."""
    if len(t_xyz) == 0 or len(p_xyz) == 0:
        return coo_matrix((n_t, n_p))
    pairs = cKDTree(t_xyz).query_ball_tree(cKDTree(p_xyz), r=match_m)
    rows = np.repeat(np.arange(len(pairs)), [len(p) for p in pairs])
    cols = np.fromiter((j for p in pairs for j in p), dtype=np.int64, count=len(rows))
    # One co-occurrence per (true id, predicted id, scene), however many boxes overlap.
    scene = t_xyz[rows, 2]
    keyed = pd.DataFrame({"i": t_codes[rows], "j": p_codes[cols], "scene": scene})
    unique = keyed.drop_duplicates()
    counts = unique.groupby(["i", "j"]).size()
    i = counts.index.get_level_values("i").to_numpy()
    j = counts.index.get_level_values("j").to_numpy()
    return coo_matrix((counts.to_numpy(float), (i, j)), shape=(n_t, n_p))


def _best_identity_total(overlap: coo_matrix) -> int:
    """Largest total overlap of a one-to-one pairing of true and predicted identities.

    Solved per connected component of the overlap graph, so memory stays small.
    """
    if overlap.nnz == 0:
        return 0
    n_t, n_p = overlap.shape
    graph = coo_matrix(
        (np.ones(overlap.nnz), (overlap.row, n_t + overlap.col)), shape=(n_t + n_p, n_t + n_p)
    )
    _, label = connected_components(graph, directed=False)
    component = label[overlap.row]
    order = np.argsort(component, kind="stable")
    cuts = np.flatnonzero(np.diff(component[order])) + 1
    total = 0.0
    for part in np.split(order, cuts):
        rows, r = np.unique(overlap.row[part], return_inverse=True)
        cols, c = np.unique(overlap.col[part], return_inverse=True)
        gain = np.zeros((len(rows), len(cols)))
        np.add.at(gain, (r, c), overlap.data[part])
        row_ind, col_ind = linear_sum_assignment(gain, maximize=True)
        total += float(gain[row_ind, col_ind].sum())
    return round(total)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def truth_counts(truth: pd.DataFrame, rivers: list[str], years: range) -> pd.DataFrame:
    """Unique and new dredges per river and year from visible appearances, zero rows kept.

    The definition of the synthetic world's ``truth/counts.csv``: a dredge counts in a year
    when it is visible in at least one scene of that year; it is new in the first such year.
    """
    seen = truth[truth["visible"].astype(bool)]
    year = pd.to_datetime(seen["acquired"], utc=True).dt.year
    present = pd.DataFrame({"river": seen["river"], "dredge_id": seen["dredge_id"], "year": year})
    present = present.drop_duplicates()
    first = present.groupby("dredge_id")["year"].transform("min")
    grid = pd.MultiIndex.from_product([rivers, list(years)], names=["river", "year"])
    out = pd.DataFrame(index=grid)
    out["unique_dredges"] = present.groupby(["river", "year"]).size()
    out["new_dredges"] = present[first == present["year"]].groupby(["river", "year"]).size()
    return out.fillna(0).astype(np.int64).reset_index()


def split_at_absences(truth: pd.DataFrame, *, absence_days: float = 45.0) -> pd.DataFrame:
    """The truth with each dredge split wherever it was off the river over ``absence_days``.

    A reference for trackers that see only positions: linking a dredge perfectly while it is
    on the river, but taking one that left and came back months later (anywhere on the river)
    for a new one. ``dredge_id`` becomes ``ID#k`` for the k-th stretch of presence. Gaps are
    measured between consecutive rows of a dredge, visible or not, so the truth must have a row
    for every scene of its river while the dredge is there (as the simulation's has) and
    scenes must be closer together than ``absence_days``.
    """
    out = truth.copy()
    frame = pd.DataFrame(
        {
            "id": out["dredge_id"].to_numpy(),
            "when": pd.to_datetime(out["acquired"], utc=True).to_numpy(),
        }
    ).sort_values(["id", "when"], kind="stable")
    gap = frame.groupby("id")["when"].diff() > pd.Timedelta(days=absence_days)
    stretch = gap.astype(int).groupby(frame["id"]).cumsum()
    split = frame["id"].astype(str) + "#" + stretch.astype(str)
    out["dredge_id"] = split.sort_index().to_numpy()
    return out


def false_moves(linked: pd.DataFrame, truth: pd.DataFrame) -> int:
    """Links that join two lives: a dredge's last appearance, then another's first, same year.

    ``linked`` holds the detections of counted tracks (``track_id``, ``acquired``) with the
    true ``dredge_id`` each came from (missing for a false detection); ``truth`` the
    appearances the tracker was given (``dredge_id``, ``acquired``, optionally ``visible``):
    the degraded detections with the dredge each came from, or the truth's visible
    appearances when it was given those. Consecutive detections of real dredges in a track
    (false detections between them skipped) whose dredges differ are such a link when the
    first dredge never appears again and the second never appeared before. Each one is a
    dredge that left for good, taken for one that moved: one dredge too few in that year's
    count.
    """
    seen = truth[truth["visible"].astype(bool)] if "visible" in truth.columns else truth
    seen = seen[seen["dredge_id"].notna()]
    when = pd.to_datetime(seen["acquired"], utc=True)
    first = when.groupby(seen["dredge_id"]).min()
    last = when.groupby(seen["dredge_id"]).max()
    frame = pd.DataFrame(
        {
            "track": linked["track_id"].to_numpy(),
            "dredge": linked["dredge_id"].to_numpy(),
            "when": pd.to_datetime(linked["acquired"], utc=True).reset_index(drop=True),
        }
    )
    frame = frame[frame["dredge"].notna()].sort_values(["track", "when"], kind="stable")
    after = frame.groupby("track").shift(-1)
    pairs = frame.assign(next_dredge=after["dredge"], next_when=after["when"]).dropna()
    pairs = pairs[pairs["dredge"] != pairs["next_dredge"]]
    left = pairs["when"] >= pairs["dredge"].map(last)
    arrived = pairs["next_when"] <= pairs["next_dredge"].map(first)
    same_year = pairs["when"].dt.year == pairs["next_when"].dt.year
    return int((left & arrived & same_year).sum())


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table of ``frame`` (floats to 3 decimals)."""

    def cell(value: object) -> str:
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else f"{value:.3f}"
        return str(value)

    lines = [
        "| " + " | ".join(map(str, frame.columns)) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)
