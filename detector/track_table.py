"""The tracks table: one row per dredge (a chain of moorings), and each detection's link name."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from detector.assignment import grouped_range_pairs
from detector.track_frames import DAY_NS, WGS84
from detector.track_params import TrackParams, within_gate

LINK_NEW, LINK_STAY, LINK_RESUME, LINK_MOVE, LINK_MOVE_AMBIGUOUS, LINK_DUPLICATE = range(6)
TIE_M = 1e-3  # distances to a median chainage this close are a tie (metres)
LINK_NAMES = np.array(["new", "stay", "resume", "move", "move?", "duplicate"], dtype=object)
TRACK_COLUMNS = [
    "track_id",
    "river",
    "class_name",
    "first_seen",
    "last_seen",
    "dates",
    "n_dates",
    "n_detections",
    "mean_chainage_m",
    "mean_offset_m",
    "moves",
    "moved_m",
    "ambiguous_links",
    "seen_absent",
    "static",
    "counted",
    "uncounted_reason",
    "maybe_same_as",
    "confidence",
    "geometry",
]


# The rules that leave a track out of the counts, as codes: ``uncounted_reason`` says them in
# words, for people; what the tool decides from them reads these (:func:`tracks_table`'s
# ``rules``), which a rewording cannot change.
RULE_STATIC, RULE_SHORT, RULE_FAINT, RULE_BRIEF = "static", "short", "faint", "brief"
Rules = dict[int, frozenset[str]]
"""track_id → the codes of the rules that left the track out (none for a counted track)."""


@dataclass
class Linked:
    """Per-detection chain numbers and link codes, and per-chain counters."""

    chain: NDArray[np.int64]
    link: NDArray[np.int64]
    seen_absent: NDArray[np.int64]
    moves: NDArray[np.int64]
    moves_away: NDArray[np.int64]  # moves beyond the stay gates of the mooring left
    moved_m: NDArray[np.float64]
    ambiguous: NDArray[np.int64]
    unseen_before: NDArray[np.float64]  # days its spot went unseen before its first detection
    unseen_after: NDArray[np.float64]  # ...and after its last one (inf: never seen again)
    longest_stay: NDArray[np.float64]  # days between the empty looks around its longest stay


def chain_numbers(pred: NDArray[np.int64]) -> NDArray[np.int64]:
    """Number the chains of moorings (a dredge each), in order of their first mooring, from
    each mooring's predecessor in its chain (``pred``, -1 for a chain's first): ``Linked.chain``
    of :func:`detector.tracking.link_tracks`."""
    chain = np.full(len(pred), -1, dtype=np.int64)
    succ = np.full(len(pred), -1, dtype=np.int64)
    linked = np.flatnonzero(pred >= 0)
    succ[pred[linked]] = linked
    for number, head in enumerate(np.flatnonzero(pred < 0).tolist()):
        node = head
        while node >= 0:
            chain[node] = number
            node = int(succ[node])
    return chain


def tracks_table(
    linked: pd.DataFrame,
    chain: NDArray[np.int64],
    link: NDArray[np.int64],
    times: NDArray[np.float64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    result: Linked,
    params: TrackParams,
    observed: bool,
    *,
    rules: Rules | None = None,
) -> gpd.GeoDataFrame:
    """Summarise each chain as a track, numbered by river and first date; add the track ids
    and link names to ``linked``. ``rules``, when given, gets the codes of the rules that left
    each track out (:data:`Rules`)."""
    on = chain >= 0
    rivers = linked["river"].astype("string").to_numpy(dtype=object, na_value=None)
    names = np.full(len(linked), "off-river", dtype=object)
    names[on] = LINK_NAMES[link[on]]
    if not on.any():
        linked["track_id"] = pd.array([pd.NA] * len(linked), dtype="Int64")
        linked["link"] = names
        return gpd.GeoDataFrame({c: [] for c in TRACK_COLUMNS}, geometry="geometry", crs=WGS84)
    own = on & (link != LINK_DUPLICATE)  # a dredge seen twice in one pass counts once
    scores = column_or(linked, "score", np.nan).astype(float)
    part = pd.DataFrame(
        {
            "chain": chain[own],
            "river": rivers[own],
            "time": times[own],
            "ns": nanoseconds(linked["acquired"])[own],
            "day": np.floor(times[own]).astype(np.int64),
            "s": linked["chainage_m"].to_numpy(float)[own],
            "o": linked["offset_m"].to_numpy(float)[own],
            "lon": lon[own],
            "lat": lat[own],
            "score": scores[own],
            "hand": np.isnan(scores[own]) & params.unscored_sure,  # added by hand: no score
            "class_name": column_or(linked, "class_name", "dredge")[own],
        }
    )
    table = part.groupby("chain", sort=True).agg(
        river=("river", "first"),
        first=("time", "min"),
        last=("time", "max"),
        first_ns=("ns", "min"),
        last_ns=("ns", "max"),
        n_detections=("time", "size"),
        mean_chainage_m=("s", "mean"),
        mean_offset_m=("o", "mean"),
        score=("score", "mean"),
        best_score=("score", "max"),
        hand=("hand", "max"),
    )
    table[["lon", "lat"]] = main_spot(part, params)
    table["first_s"], table["last_s"] = end_chainages(part)
    table = table.sort_values(["river", "first"], kind="stable")
    table["track_id"] = np.arange(1, len(table) + 1)
    track_of_chain = np.zeros(len(result.seen_absent), dtype=np.int64)
    track_of_chain[table.index.to_numpy()] = table["track_id"].to_numpy()
    track_id = pd.array(np.where(on, track_of_chain[np.maximum(chain, 0)], 0), dtype="Int64")
    track_id[~on] = pd.NA
    linked["track_id"] = track_id
    linked["link"] = names

    days = part.drop_duplicates(["chain", "day"]).sort_values(["chain", "day"])
    table["n_dates"] = days.groupby("chain").size()
    iso = pd.to_datetime(days["day"].to_numpy() * DAY_NS, utc=True).strftime("%Y-%m-%d").tolist()
    chains = days["chain"].to_numpy()
    cuts = np.flatnonzero(np.diff(chains)) + 1
    starts, stops = np.concatenate([[0], cuts]), np.concatenate([cuts, [len(chains)]])
    joined = [";".join(iso[a:b]) for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    table["dates"] = pd.Series(joined, index=chains[starts])
    classes = part.groupby(["chain", "class_name"]).size().rename("n").reset_index()
    classes = classes.sort_values(["chain", "n"], ascending=[True, False])
    table["class_name"] = classes.drop_duplicates("chain").set_index("chain")["class_name"]
    chains = table.index.to_numpy()
    table["seen_absent"] = result.seen_absent[chains]
    table["moves"] = result.moves[chains]
    table["moved_m"] = result.moved_m[chains].round(1)
    table["ambiguous_links"] = result.ambiguous[chains]
    # From the detections' own times: through float days, a time on the second came back a
    # hair before it and was floored a second early (last_seen 14:39:59 for 14:40:00).
    table["first_seen"] = pd.to_datetime(table.pop("first_ns"), utc=True).dt.floor("s")
    table["last_seen"] = pd.to_datetime(table.pop("last_ns"), utc=True).dt.floor("s")
    before, after = result.unseen_before[chains], result.unseen_after[chains]
    at_an_edge = np.isinf(np.maximum(before, after))  # spot never seen before, or never after
    long_enough = np.minimum(before, after) >= params.min_stay_days
    unconfirmed = at_an_edge & long_enough & observed
    hand = table.pop("hand").to_numpy(bool)  # marked by hand in a detector's table: seen
    confident = (table["best_score"].fillna(1.0) >= params.count_score) | hand
    span = table["last"] - table["first"]
    # A fixed object seen again at its spot after a long gap (clouds for 80 days: a new
    # mooring there, linked back as a move of 0 m) still never moved; it was counted.
    table["static"] = (params.max_static_days > 0) & (result.moves_away[chains] == 0)
    table["static"] &= span > params.max_static_days
    brief = observed & (result.longest_stay[chains] < params.min_stay_days)
    short = (table["n_dates"] < params.min_dates) & ~unconfirmed & ~hand
    table["counted"] = ~short & confident & ~brief & ~table["static"]
    flags = {
        RULE_STATIC: table["static"].to_numpy(bool),
        RULE_SHORT: short.to_numpy(bool),
        RULE_FAINT: ~confident.to_numpy(bool),
        RULE_BRIEF: np.asarray(brief, bool),
    }
    table["uncounted_reason"] = uncounted_reasons(
        table, params, short=flags[RULE_SHORT], faint=flags[RULE_FAINT], brief=flags[RULE_BRIEF]
    )
    if rules is not None:
        for k, track in enumerate(table["track_id"].tolist()):
            rules[int(track)] = frozenset(code for code, on in flags.items() if on[k])
    table = table.set_index("track_id", drop=False).rename_axis(None)
    table["maybe_same_as"] = maybe_same_as(table, params)
    table["confidence"] = confidence(table["score"], table["n_dates"], table["ambiguous_links"])
    points = shapely.points(table["lon"].to_numpy(), table["lat"].to_numpy())
    out = gpd.GeoDataFrame(table.reset_index(drop=True), geometry=points, crs=WGS84)
    return out[TRACK_COLUMNS]


def confidence(score: pd.Series, n_dates: pd.Series, ambiguous: pd.Series) -> pd.Series:
    """A track's ``confidence`` (0–1, to sort tracks by): the mean score of its detections
    (1 without one: marked by hand) × (1 − 0.5 ^ ``n_dates``), × 0.9 with an ambiguous link."""
    evidence = 1.0 - 0.5 ** n_dates.astype(float)
    clear_links = np.where(ambiguous > 0, 0.9, 1.0)
    return (score.fillna(1.0).clip(0.0, 1.0) * evidence * clear_links).round(3)


def main_spot(part: pd.DataFrame, params: TrackParams) -> pd.DataFrame:
    """Per chain, the mean ``lon``, ``lat`` of its main mooring: the detections within the
    stay gates (``stay_gate_m`` along the channel, ``stay_lateral_m`` across) of the one
    nearest its median chainage. A track's point on the map; the mean of all its detections
    put a dredge that moved round a bend on land, hundreds of metres from any place it was
    seen (the demo's Nanay track 3, 12 detections and 7 moves: 312 m from the nearest)."""
    median = part.groupby("chain")["s"].transform("median")
    d = (part["s"] - median).abs()
    # the two middle chainages of an even count are as far from their median but for the
    # floats' last bits: a tie, won by the mooring seen more often, then the one seen first
    # (by the earlier of the two middle detections, a few metres of jitter chose the mooring:
    # A seen on days 1 and 3, B on 2 and 4, went to B where A's later detection lay nearer B)
    tied = part[(d - d.groupby(part["chain"]).transform("min") <= TIE_M).to_numpy()]
    spots = tied[["chain", "s", "o"]].drop_duplicates().reset_index(drop=True)  # a place once
    around = part[["chain", "s", "o", "ns"]].rename(columns={"s": "s_at", "o": "o_at"})
    pairs = spots.reset_index(names="k").merge(around, on="chain")
    at = _near(pairs["s_at"], pairs["o_at"], pairs["s"].to_numpy(), pairs["o"].to_numpy(), params)
    mooring = pairs[at].groupby("k")["ns"].agg(["size", "min"]).reindex(range(len(spots)))
    spots = spots.assign(size=-mooring["size"].to_numpy(), first=mooring["min"].to_numpy())
    keys = tied.merge(spots, on=["chain", "s", "o"], how="left")
    keys = keys.sort_values(["chain", "size", "first", "ns", "s", "o", "lon", "lat"], kind="stable")
    anchor = keys.drop_duplicates("chain").set_index("chain")
    s = anchor["s"].reindex(part["chain"]).to_numpy()
    o = anchor["o"].reindex(part["chain"]).to_numpy()
    near = _near(part["s"], part["o"], s, o, params)
    return part[near].groupby("chain")[["lon", "lat"]].mean()


def _near(
    s: pd.Series,
    o: pd.Series,
    anchor_s: NDArray[np.float64],
    anchor_o: NDArray[np.float64],
    params: TrackParams,
) -> NDArray[np.bool_]:
    """Detections (``s``, ``o``) at the mooring of an anchor: within the stay gates of it."""
    along = within_gate(np.abs(s.to_numpy() - anchor_s), params.stay_gate_m)
    across = within_gate(np.abs(o.to_numpy() - anchor_o), params.stay_lateral_m)
    return np.asarray(along & (across | np.isnan(anchor_o)), dtype=bool)


def uncounted_reasons(
    table: pd.DataFrame,
    params: TrackParams,
    *,
    short: NDArray[np.bool_],
    faint: NDArray[np.bool_],
    brief: NDArray[np.bool_],
) -> list[str]:
    """Why each track is not counted ("" when it is), naming each rule that left it out with
    the value it was run with and the option that sets it (``--min-dates`` is
    `dredge track`'s only: `dredge run` has none). dredges.kml said "under --min-dates
    (default 2), --count-score, or ...", of tracks of `dredge run` and of ones that
    --min-dates 3 had left out."""
    static = table["static"].to_numpy(bool)
    days = (table["last"] - table["first"]).to_numpy(float)
    n_dates = table["n_dates"].to_numpy(int)
    best = table["best_score"].to_numpy(float)
    reasons: list[str] = []
    for k in range(len(table)):
        why: list[str] = []
        if static[k]:
            why.append(
                f"a fixed object: never moved in {int(days[k])} days, over "
                f"--max-static-days {params.max_static_days:g}"
            )
        if short[k]:
            seen = "one date" if n_dates[k] == 1 else f"{n_dates[k]} dates"
            why.append(
                f"seen on {seen}, under the {params.min_dates} needed (`dredge track --min-dates`)"
            )
        if faint[k]:
            why.append(
                f"best detection score {best[k]:.2f}, under --count-score {params.count_score:g}"
            )
        if brief[k]:
            why.append(
                f"its spot seen empty less than {params.min_stay_days:g} days before and after "
                "each of its stays (as false detections repeat nearby)"
            )
        reasons.append("; ".join(why))
    return reasons


def column_or(frame: pd.DataFrame, name: str, default: object) -> NDArray[np.object_]:
    """A column as a NumPy array, or ``default`` everywhere when it is missing or empty."""
    if name not in frame.columns:
        return np.full(len(frame), default, dtype=object)
    values = frame[name]
    return values.astype(object).where(values.notna(), default).to_numpy()


def end_chainages(part: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per chain, the mean chainage (``s``) of its detections at its first time and at its
    last: where the dredge was first and last seen, as :func:`maybe_same_as` compares them."""
    time = part.groupby("chain")["time"]
    first = part[part["time"] == time.transform("min")].groupby("chain")["s"].mean()
    last = part[part["time"] == time.transform("max")].groupby("chain")["s"].mean()
    return first, last


def maybe_same_as(table: pd.DataFrame, params: TrackParams) -> pd.Series:
    """For each counted track, an earlier counted track on its river that it may continue.

    A track that starts at most ``link_gap_days`` after an earlier track was last seen, its
    first position (``first_s``) within the move gate along the channel of the earlier one's
    last (``last_s``), may be the same dredge after an absence the tracker did not bridge.
    ``counts`` uses this for the low end of its range. Each earlier track is claimed at most
    once, shortest gap first. (The two tracks' mean chainages were compared: a dredge that
    worked 3 km down the river before and after the split was not taken, and two tracks whose
    means were near but whose end and start were 11 km apart were.)
    """
    result = np.full(len(table), -1, dtype=np.int64)
    counted = np.flatnonzero(table["counted"].to_numpy())
    ids = table.index.to_numpy()
    first, last = table["first"].to_numpy(), table["last"].to_numpy()
    first_s, last_s = table["first_s"].to_numpy(float), table["last_s"].to_numpy(float)
    river = pd.factorize(table["river"])[0].astype(np.int64)
    # Looked up by (river, day) pairs: one key of river × a span wider than any time range
    # made a link_gap_days of inf (any gap) a NaN key on the first river and NaN bounds on
    # the others, where no track was then taken as maybe the same as another.
    earlier, later = grouped_range_pairs(
        river[counted],
        last[counted],
        river[counted],
        first[counted] - params.link_gap_days,
        first[counted] - 1e-9,
    )
    earlier, later = counted[earlier], counted[later]
    gap = first[later] - last[earlier]
    close = gap > 0
    close &= within_gate(np.abs(first_s[later] - last_s[earlier]), params.move_gate(gap))
    earlier, later, gap = earlier[close], later[close], gap[close]
    taken: set[int] = set()
    for k in np.argsort(gap, kind="stable").tolist():
        a, b = int(later[k]), int(earlier[k])
        if b in taken or result[a] >= 0:
            continue
        result[a] = ids[b]
        taken.add(b)
    out = pd.Series(pd.array(result, dtype="Int64"), index=table.index)
    out[result < 0] = pd.NA
    return out


def nanoseconds(acquired: pd.Series) -> NDArray[np.int64]:
    """Acquisition times (UTC; naive ones taken as UTC) as nanoseconds since 1970."""
    stamps = pd.to_datetime(acquired, utc=True).dt.tz_localize(None).astype("datetime64[ns]")
    return stamps.to_numpy().astype(np.int64)
