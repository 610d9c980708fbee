"""Yearly counts of unique dredges per river, the number analysts publish.

One row per river and year, zero rows included::

    river, year, unique_dredges, new_dredges, detections, scenes, unique_low, unique_high,
    seen_km, seen_share

- ``unique_dredges``: counted tracks (see :mod:`detector.tracking`) with at least one detection
  that year. A dredge seen on twelve dates, or one that moved 2 km, is one dredge.
- ``new_dredges``: those of them first seen that year. In the first year of a river's scenes
  that is every dredge seen (a note says so): nothing earlier was observed.
- ``detections``: detections on the river that year (all of them, counted tracks or not; a
  dredge seen twice in one pass, in overlapping scenes, once).
- ``scenes``: dates on which the river was observed that year — from the scenes' clear, valid
  areas when they were given to ``dredge track``, else the dates with detections.
- ``unique_low``: ``unique_dredges`` less one for each pair of tracks counted on the river that
  year where one may continue the other (``maybe_same_as``: a dredge that went unseen long
  enough to be split in two); a pair named from both sides is one pair.
- ``unique_high``: ``unique_dredges`` plus the tracks detected that year that were not counted,
  whatever the reason (``uncounted_reason``: mostly seen on too few dates, most of them false
  detections, some real dredges seen once; also faint and static ones).
- ``seen_km``: the length of the river (its main channel) inside the clear area of a scene on
  at least one of those dates; ``seen_share`` that length over the river's. The counts are of
  the part seen: a zero row whose scenes saw 3 % of the river is no dredge on that 3 %. Blank
  where not known (tracked without ``--scenes``, or by an older version).

Years are calendar years in UTC. Detections on no river are not counted here; ``dredge track``
reports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detector.errors import InputError, first_line
from detector.observed import merge_stretches, parse_stretches
from detector.user_tables import normalise_dates, read_csv_table
from detector.wording import agree, count_of, part_of

COUNT_COLUMNS = [
    "river",
    "year",
    "unique_dredges",
    "new_dredges",
    "detections",
    "scenes",
    "unique_low",
    "unique_high",
    "seen_km",
    "seen_share",
]
PARTIAL_YEAR_DAYS = 270.0  # scenes spanning less than this (first to last) cover part of a year
LOW_SEEN_SHARE = 0.5  # scenes that saw less of a river-year than this: its counts are of a part
SPARSE_GAP_DAYS = 10.0
"""Where a river's scenes of a year are on average more than this many days apart, the tracker
takes groups that leave and groups that arrive between two looks for moves, and counts run low
(``benchmarks/results/revisit_cadence.md``: 14–23 % low fed perfect detections with scenes
10–30 days apart)."""


def yearly_counts(
    tracks: pd.DataFrame,
    detections: pd.DataFrame,
    *,
    observations: pd.DataFrame | None = None,
    years: Iterable[int] | None = None,
    rivers: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Count unique dredges per river and year.

    ``tracks`` is the tracks table of :func:`detector.tracking.link_tracks` (``track_id``,
    ``river``, ``first_seen``, ``counted``, ``maybe_same_as``); ``detections`` the linked
    detections (``track_id``, ``river``, ``acquired``). ``observations`` (``river``, ``date``;
    see :func:`detector.observed.river_observations`) says which dates each river was seen;
    without it the dates with detections stand in. Rows cover every river in ``rivers``,
    ``tracks``, ``detections`` and ``observations``, for every year in ``years`` (default: from
    the first to the last year observed), so a year with scenes and no dredges gives zeros.
    ValueError when a ``track_id`` is on several rows of ``tracks`` (each row was counted).
    """
    twice = tracks["track_id"][tracks["track_id"].duplicated()].unique()
    if len(twice):  # each of its rows joined its detections: one dredge counted twice
        shown = ", ".join(str(t) for t in twice[:3]) + (" …" if len(twice) > 3 else "")
        raise ValueError(
            f"the tracks hold {count_of(len(twice), 'track_id')} more than once ({shown})"
        )
    dets = _detection_years(detections)
    obs = _observation_years(observations, dets)
    all_rivers = sorted(
        set(rivers or [])
        | set(tracks["river"].dropna().astype(str))
        | set(dets["river"])
        | set(obs["river"])
    )
    if years is None:
        seen_years = pd.concat([dets["year"], obs["year"]])
        span = (
            range(int(seen_years.min()), int(seen_years.max()) + 1) if len(seen_years) else range(0)
        )
        year_list = list(span)
    else:
        year_list = sorted(set(int(y) for y in years))
    grid = pd.MultiIndex.from_product([all_rivers, year_list], names=["river", "year"])
    out = pd.DataFrame(index=grid)
    out["detections"] = dets.groupby(["river", "year"]).size()
    out["scenes"] = obs.groupby(["river", "year"])["date"].nunique()

    info = tracks.set_index("track_id")
    presence = dets.dropna(subset=["track_id"]).drop_duplicates(["track_id", "year"])
    presence = presence.join(info[["counted", "first_seen", "maybe_same_as"]], on="track_id")
    counted = presence[presence["counted"].fillna(False).astype(bool)]
    out["unique_dredges"] = counted.groupby(["river", "year"]).size()
    first_year = pd.to_datetime(counted["first_seen"], utc=True).dt.year
    out["new_dredges"] = counted[first_year == counted["year"]].groupby(["river", "year"]).size()
    out["short"] = presence[~presence.index.isin(counted.index)].groupby(["river", "year"]).size()
    out["split"] = _split_pairs(counted)
    out = out.fillna(0).astype(np.int64)
    out["unique_low"] = out["unique_dredges"] - out["split"]
    out["unique_high"] = out["unique_dredges"] + out["short"]
    out = out.join(_seen_lengths(observations, grid))
    return out.reset_index()[COUNT_COLUMNS]


def _split_pairs(counted: pd.DataFrame) -> pd.Series:
    """Per (river, year): the pairs of counted tracks there where one may continue the other.

    A pair lowers ``unique_low`` once, named from one side or both (a tracks file edited by
    hand can hold A → B and B → A), and only where both tracks were counted on that river that
    year: a track on another river, or counted another year, is no second count of this one.
    """
    here = set(zip(counted["track_id"], counted["river"], counted["year"], strict=True))
    pairs = {
        (river, int(year), *sorted((int(track), int(other))))
        for track, other, river, year in zip(
            counted["track_id"],
            counted["maybe_same_as"],
            counted["river"],
            counted["year"],
            strict=True,
        )
        if pd.notna(other) and int(other) != int(track) and (int(other), river, year) in here
    }
    frame = pd.DataFrame(list(pairs), columns=["river", "year", "low", "high"])
    return frame.groupby(["river", "year"]).size()


def _seen_lengths(observations: pd.DataFrame | None, grid: pd.MultiIndex) -> pd.DataFrame:
    """``seen_km`` and ``seen_share`` per (river, year) of ``grid``: the union of the stretches
    seen on its dates (``seen_chainage_m``, ``river_km``: see
    :func:`detector.observed.river_observations`). NaN where unknown: observations without
    those columns (older files, tracking without scenes), or a river-year whose dates only
    detections vouch for (no scene of it given: 0 km seen, and named as seen under half)."""
    out = pd.DataFrame({"seen_km": np.nan, "seen_share": np.nan}, index=grid)
    if observations is None or not {"river_km", "seen_chainage_m"} <= set(observations.columns):
        return out
    lengths = pd.to_numeric(observations["river_km"], errors="coerce")
    measured = observations[lengths.notna()].assign(river_km=lengths[lengths.notna()])
    if measured.empty:
        return out
    measured = measured.assign(year=pd.to_datetime(measured["date"], utc=True).dt.year)
    river_km = measured.groupby(measured["river"].astype(str))["river_km"].max()
    stretches: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for river, year, text in zip(
        measured["river"].astype(str), measured["year"], measured["seen_chainage_m"], strict=True
    ):
        stretches.setdefault((river, int(year)), []).extend(parse_stretches(text))
    for river, year in grid:
        if (river, year) not in stretches:  # no date of the scenes: unknown, not 0 km seen
            continue
        seen_m = sum(b - a for a, b in merge_stretches(stretches.get((river, year), [])))
        total_km = float(river_km[river])
        out.loc[(river, year), "seen_km"] = round(seen_m / 1000, 2)
        out.loc[(river, year), "seen_share"] = (
            min(1.0, round(seen_m / 1000 / total_km, 3)) if total_km else 0.0
        )
    return out


def _detection_years(detections: pd.DataFrame) -> pd.DataFrame:
    """On-river detections with their track, UTC year and date."""
    missing = [c for c in ("river", "acquired") if c not in detections.columns]
    if missing:
        raise ValueError(
            f"detections miss {agree(len(missing), 'a column', 'columns')}: {', '.join(missing)}"
        )
    on = detections[detections["river"].notna()]
    if "link" in on.columns:  # a dredge seen twice in one pass (detector.passes) is one
        on = on[on["link"] != "duplicate"]
    stamps = pd.to_datetime(on["acquired"], utc=True)
    track = on["track_id"] if "track_id" in on.columns else pd.Series(pd.NA, index=on.index)
    return pd.DataFrame(
        {
            "river": on["river"].astype(str).to_numpy(),
            "track_id": pd.array(track, dtype="Int64"),
            "year": stamps.dt.year.to_numpy(),
            "date": stamps.dt.strftime("%Y-%m-%d").to_numpy(),
        }
    )


def _observation_years(observations: pd.DataFrame | None, dets: pd.DataFrame) -> pd.DataFrame:
    """River-dates observed: the given table plus the dates with detections."""
    parts = [dets[["river", "date"]]]
    if observations is not None and len(observations):
        dates = pd.to_datetime(observations["date"], utc=True).dt.strftime("%Y-%m-%d")
        parts.append(pd.DataFrame({"river": observations["river"].astype(str), "date": dates}))
    obs = pd.concat(parts, ignore_index=True).drop_duplicates()
    obs["year"] = obs["date"].str.slice(0, 4).astype(int)
    return obs


def _date_spans(observations: pd.DataFrame) -> pd.DataFrame:
    """Per (river, year): the first and last date observed (``min``, ``max``) and how many."""
    dates = pd.to_datetime(observations["date"]).dt.normalize()
    frame = pd.DataFrame({"river": observations["river"].astype(str), "date": dates})
    frame = frame.drop_duplicates()
    frame["year"] = frame["date"].dt.year
    return frame.groupby(["river", "year"])["date"].agg(["min", "max", "size"])


def _from_scenes(observations: pd.DataFrame | None) -> bool:
    """Whether ``observations`` hold scenes' dates: those that say where their dates come
    from (``source``) and hold only the dates with detections (tracked without ``--scenes``)
    tell nothing of when the river was imaged."""
    if observations is None or observations.empty:
        return False
    return "source" not in observations or bool((observations["source"] == "scenes").any())


def mean_gaps(observations: pd.DataFrame) -> pd.Series:
    """Mean days between the dates each river was observed, per (river, year); infinite for a
    river-year observed on one date. ``observations`` has ``river`` and ``date``."""
    spans = _date_spans(observations)
    days = (spans["max"] - spans["min"]).dt.days.astype(float)
    return (days / (spans["size"] - 1)).where(spans["size"] > 1, np.inf)


def sparse_years(counts: pd.DataFrame, observations: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The river-years of ``counts`` with dredge detections (``unique_high`` > 0) whose observed
    dates are on average more than ``SPARSE_GAP_DAYS`` apart, and how many have detections.

    Observations that say where their dates come from (``source``) and hold no scene's date
    (only the dates with detections: tracked without ``--scenes``) tell nothing of the
    cadence: no river-year is named."""
    with_dredges = counts[counts["unique_high"] > 0]
    gaps = mean_gaps(observations) if _from_scenes(observations) else pd.Series(dtype=float)
    keys = pd.MultiIndex.from_arrays([with_dredges["river"].astype(str), with_dredges["year"]])
    gap = gaps.reindex(keys).to_numpy()
    return with_dredges[gap > SPARSE_GAP_DAYS], len(with_dredges)  # NaN (not known): no


def sparse_note(counts: pd.DataFrame, observations: pd.DataFrame) -> str | None:
    """One line naming the river-years with dredge detections whose scenes were more than
    ``SPARSE_GAP_DAYS`` apart on average (their counts are likely low), or None."""
    sparse, with_dredges = sparse_years(counts, observations)
    if sparse.empty:
        return None
    return (
        f"counts likely low on {part_of(len(sparse), with_dredges, 'river-year')} with dredge "
        f"detections ({_river_years(sparse)}): scenes more than {SPARSE_GAP_DAYS:g} days apart on "
        "average, where groups that leave and groups that arrive between two looks pass for "
        "moves; add every clear scene you have (README: How often must a river be imaged?)"
    )


def partial_years(counts: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """The river-years of ``counts`` whose scenes span less than ``PARTIAL_YEAR_DAYS`` from the
    first to the last (a year imaged only in the dry season, or the current year), with the
    ``first`` and ``last`` date. A dredge there only in the months without scenes is not
    counted, so such a year is not comparable with a year imaged throughout. Observations
    that hold no scene's date (tracked without ``--scenes``) tell nothing: none is named."""
    if not _from_scenes(observations):
        return pd.DataFrame(columns=["river", "year", "first", "last"])
    spans = _date_spans(observations).drop(columns="size").reset_index()
    spans = spans.rename(columns={"min": "first", "max": "last"})
    short = spans[(spans["last"] - spans["first"]).dt.days < PARTIAL_YEAR_DAYS]
    keys = set(zip(counts["river"].astype(str), counts["year"], strict=True))
    keep = [(r, y) in keys for r, y in zip(short["river"], short["year"], strict=True)]
    return short[keep].reset_index(drop=True)


def partial_year_note(counts: pd.DataFrame, observations: pd.DataFrame) -> str | None:
    """One line naming the river-years whose scenes cover part of the year
    (:func:`partial_years`), or None."""
    short = partial_years(counts, observations)
    if short.empty:
        return None
    listed = _river_years(short, detail=lambda row: f" ({row.first:%d %b}–{row.last:%d %b})")
    return (
        f"scenes of {count_of(len(short), 'river-year')} span under "
        f"{PARTIAL_YEAR_DAYS / 30.4:.0f} months ({listed}): a dredge there only in the months "
        f"without scenes is not counted — compare {agree(len(short), 'it', 'them')} with years "
        "imaged throughout with care"
    )


def unobserved_note(counts: pd.DataFrame) -> str | None:
    """One line naming the river-years with no scene at all (their zeros mean not observed, not
    no dredges), or None."""
    unseen = counts[counts["scenes"] == 0]
    if unseen.empty:
        return None
    return (
        f"no scene of {count_of(len(unseen), 'river-year')} ({_river_years(unseen)}): "
        f"{agree(len(unseen), 'its zero means', 'their zeros mean')} not observed, not no dredges"
    )


def low_seen_note(counts: pd.DataFrame) -> str | None:
    """One line naming the river-years with scenes that saw less than ``LOW_SEEN_SHARE`` of the
    river (``seen_share``; their zeros and counts are of the part seen), or None."""
    share = pd.to_numeric(counts["seen_share"], errors="coerce")
    low = counts[(counts["scenes"] > 0) & (share < LOW_SEEN_SHARE)]
    if low.empty:
        return None
    listed = _river_years(
        low, detail=lambda row: f" ({float(row.seen_km):g} km, {float(row.seen_share):.0%})"
    )
    zeros = int((low["unique_high"] == 0).sum())
    return (
        f"the scenes of {count_of(len(low), 'river-year')} saw under {LOW_SEEN_SHARE:.0%} of the "
        f"river ({listed}; seen_km, seen_share in the counts): "
        f"{agree(len(low), 'its count is', 'their counts are')} of the part seen"
        + (
            f"; {zeros} of them {agree(zeros, 'is a zero row', 'are zero rows')}: no dredge on the "
            "part seen, not none on the river"
            if zeros
            else ""
        )
        + " — add scenes of the rest of the river"
    )


def unknown_seen_note(observations: pd.DataFrame, path: Path) -> str | None:
    """A line when ``observations`` (read from ``path``) hold scenes' dates but not how much of
    each river they saw (written before ``seen_chainage_m``), else None."""
    if not _from_scenes(observations) or "seen_chainage_m" in observations.columns:
        return None
    return (
        f"{path}: written by an older `dredge track` (no seen_chainage_m): how much of each "
        "river its scenes saw is unknown (seen_km, seen_share blank) — run `dredge track` "
        "with --scenes again to know it"
    )


def first_years(observations: pd.DataFrame | None, detections: pd.DataFrame) -> dict[str, int]:
    """Each river's first year observed (its scenes' dates and its detections'), over all the
    years tracked, whatever ``--years`` reports."""
    obs = _observation_years(observations, _detection_years(detections))
    return {str(k): int(v) for k, v in obs.groupby("river")["year"].min().items()}


def first_year_note(counts: pd.DataFrame, first: dict[str, int]) -> str | None:
    """One line naming the river-years whose ``new_dredges`` are every dredge seen because they
    are the first year of the river's imagery (``first``: :func:`first_years`), or None."""
    opening = counts[(counts["year"] == counts["river"].map(first)) & (counts["new_dredges"] > 0)]
    if opening.empty:
        return None
    return (
        f"new_dredges of {_river_years(opening)} (the first year of each river's scenes) are "
        "every dredge seen that year: nothing earlier was observed — give earlier scenes, or do "
        "not publish them as new"
    )


def _river_years(
    rows: pd.DataFrame, shown: int = 6, detail: Callable[[Any], str] = lambda row: ""
) -> str:
    """'Nanay 2024, Itaya 2025 and 3 more', each river-year followed by ``detail`` of its row."""
    names = ", ".join(f"{r.river} {r.year}{detail(r)}" for r in rows.head(shown).itertuples())
    return names + (f" and {len(rows) - shown} more" if len(rows) > shown else "")


def read_river_table(path: Path) -> pd.DataFrame:
    """A CSV this tool wrote with a ``river`` column (counts.csv, tracks.observations.csv),
    river names as written: pandas read a river named ``007`` as 7 (its counts split into rows
    ``007`` and ``7``) and one named ``NA`` or ``None`` as missing (a raw TypeError)."""
    blank = {column: [""] for column in ("seen_km", "seen_share", "river_km")}
    return pd.read_csv(path, dtype={"river": str}, keep_default_na=False, na_values=blank)


ISO_DAY = r"\d{4}-\d{2}-\d{2}"
_OBSERVATIONS_FIX = "give the observations written beside the tracks by `dredge track`"


def read_observations(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """``<stem>.observations.csv`` (``river, date, …``) with its dates as ``YYYY-MM-DD``, and
    notes on how they were read. Opened and saved again in Excel it holds the locale's dates
    (``3/1/2024``, ``03/01/2024``), in a Spanish Excel with ``;`` columns: these were a raw
    KeyError ('date') or dateutil's ValueError traceback, and a day-first date of a day up to
    12 would have been read month first. Read as ``dredge track`` reads a table's dates; the
    lengths (``river_km``, ``seen_km``) with the decimal commas of a ``;`` or Spanish tab table
    (they were no numbers, and seen_km and seen_share were blank). Rows with every field blank
    (Excel writes them where cells below the table were cleared) are passed over."""
    try:
        table = read_csv_table(path, dtype={"river": str, "date": str}, keep_default_na=False)
    except pd.errors.EmptyDataError:  # an empty file: pandas' line, a traceback called a bug
        raise InputError(path, "is empty", f"{_OBSERVATIONS_FIX}, or delete it") from None
    except pd.errors.ParserError as exc:
        raise InputError(
            path, f"cannot be read as CSV ({first_line(exc)})", _OBSERVATIONS_FIX
        ) from None
    blank = table.frame.astype(str).apply(lambda column: column.str.strip()).eq("").all(axis=1)
    frame = table.frame[~blank]  # Excel's ';;;;;;' rows below the table: "rows have no date"
    missing = [c for c in ("river", "date") if c not in frame.columns]
    if missing:
        raise InputError(
            path,
            f"has no {' or '.join(missing)} column (columns: {', '.join(frame.columns[:6])})",
            f"{_OBSERVATIONS_FIX} (river, date, scenes, source)",
        )
    for column in ("river_km", "seen_km"):  # blank on the dates only detections vouch for,
        if column in frame and not pd.api.types.is_numeric_dtype(frame[column]):  # so text
            values = frame[column].astype(str).str.strip()
            if table.decimal_comma:  # and '4,27' of a Spanish Excel was no number: blank
                values = values.str.replace(",", ".", regex=False)
            frame[column] = pd.to_numeric(values.replace("", None), errors="coerce")
    text = frame["date"].astype(str).str.strip()
    days = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")  # 2024-13-45: no day
    if text.str.fullmatch(ISO_DAY).all() and days.notna().all():  # as `dredge track` writes
        return frame.assign(date=text), []
    dates, notes = normalise_dates(
        text.replace("", None),
        path,
        day_first=table.day_first_cue,
        decimal_comma=table.decimal_comma,
    )
    # the dates are days: a note that they have no time zone tells nothing
    notes = [note for note in notes if "no time zone" not in note]
    return frame.assign(date=dates.dt.strftime("%Y-%m-%d")), notes


def unobserved_detection_days(observations: pd.DataFrame, detections: pd.DataFrame) -> str | None:
    """What makes ``observations`` (read by :func:`read_observations`) disagree with the linked
    ``detections`` they were written with, or None: river-days with detections that they lack.
    `dredge track` writes every one of them (the dates only detections vouch for too), so such
    observations are of another run, or edited: counted with them, river-years of the tracks
    lost their scenes and seen_km and rivers of that run gave zero rows, without a word."""
    on = detections[detections["river"].notna()]
    if on.empty:
        return None
    stamps = pd.to_datetime(on["acquired"], utc=True)
    days = pd.DataFrame(
        {"river": on["river"].astype(str).to_numpy(), "date": stamps.dt.strftime("%Y-%m-%d")}
    ).drop_duplicates()
    known = set(zip(observations["river"].astype(str), observations["date"], strict=True))
    pairs = zip(days["river"], days["date"], strict=True)
    lacking = days[[pair not in known for pair in pairs]].sort_values(["river", "date"])
    if lacking.empty:
        return None
    first = lacking.iloc[0]
    return (
        f"{part_of(len(lacking), len(days), 'river-day')} with detections "
        f"{agree(len(lacking), 'is', 'are')} not in it (e.g. "
        f"{first['river']} {first['date']}): of another run, or edited"
    )
