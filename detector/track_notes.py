"""What ``dredge track`` tells about its inputs: scenes given beside detections that do not
match them, hand marks with dates that disagree, rivers seen with long gaps. The ``*_note``
functions return one line, or None when there is nothing to say; ``detection_dates`` and
``scenes_not_given`` give what the notes and the run read from the detections."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from detector.observed import scene_key
from detector.wording import agree, count_of, part_of


def detection_dates(detections: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Scene key → acquisition time, as the detections of each scene carry it: the time most
    of its rows give (the earliest of those tied), so that one row pasted from the scene and
    dated anew by hand does not move the whole scene to its date
    (:func:`mixed_scene_dates_note` names such rows)."""
    return {key: when for key, (when, _) in _scene_times(detections).items()}


def mixed_scene_dates_note(detections: pd.DataFrame, source: str | Path) -> str | None:
    """One line naming the scenes whose detections are not all of one day (a row copied from
    the scene to mark a missed dredge, its date edited and its scene kept), or None."""
    odd = {key: found for key, found in _scene_times(detections).items() if len(found[1])}
    if not odd:
        return None
    key, (when, rows) = next(iter(odd.items()))
    ids = detections.loc[rows, "detection_id"] if "detection_id" in detections else None
    named = (
        ", ".join(f"detection_id {v}" for v in ids.head(3))
        if ids is not None and ids.notna().all()
        else agree(len(rows), "row ", "rows ")
        + ", ".join(str(int(detections.index.get_loc(r)) + 1) for r in rows[:3])
    )
    days = sorted(set(pd.to_datetime(detections.loc[rows, "acquired"], utc=True).dt.date))
    others = sum(len(other) for _, other in odd.values())
    dated = agree(
        others,
        "is dated otherwise than the rest of its",
        "are dated otherwise than the rest of their",
    )
    return (
        f"{source}: {count_of(others, 'detection')} of {count_of(len(odd), 'scene')} {dated} "
        f"scene (e.g. {named} of {key}: {', '.join(map(str, days[:3]))}, the "
        f"scene's other rows {when:%Y-%m-%d}): each scene is dated as most of its rows are, "
        "and those rows keep their own date — a row copied to mark a missed dredge keeps its "
        "copy's scene: clear its scene (or give its own), or correct its date"
    )


def _scene_times(detections: pd.DataFrame) -> dict[str, tuple[pd.Timestamp, pd.Index]]:
    """Scene key → (the time most of its rows give, the labels of its rows of another day)."""
    if "scene" not in detections.columns or "acquired" not in detections.columns:
        return {}
    named = detections[["scene", "acquired"]].dropna()
    stamps = pd.to_datetime(named["acquired"], utc=True)
    out = {}
    for key, times in stamps.groupby(named["scene"].map(scene_key), sort=False):
        tally = times.value_counts()
        when = pd.Timestamp(tally[tally == tally.max()].index.min())
        other = times.index[(times.dt.floor("D") != when.floor("D")).to_numpy()]
        out[str(key)] = (when, other)
    return out


SCENES_BEYOND_DAYS = 30.0
"""Scenes with no dredge detection reaching further than this past the last detection (or
before the first) are named: the detections of those months may be in a file not given."""


def scenes_beyond_note(
    detections: pd.DataFrame,
    observed: pd.DataFrame,
    source: str | Path,
    look_alikes: Sequence[pd.DataFrame] = (),
) -> str | None:
    """One line naming how many scenes (``observed``: ``scene``, ``acquired``) have no dredge
    detection and lie after the last detection's day or before the first's, when they reach
    more than ``SCENES_BEYOND_DAYS`` beyond it (a detections file forgotten, e.g. one year's:
    those scenes are looks that found no dredge, and their river-years are published as
    zeros), or None. The ``look_alikes`` left out of tracking (boats: ``scene``,
    ``acquired``) are detections too: a scene with a boat and no dredge was in the file given
    (it was named as forgotten), and their days widen the detections' dates."""
    rows = [d[["scene", "acquired"]] for d in look_alikes if "scene" in d.columns and len(d)]
    if rows and not detections.empty and "scene" in detections.columns:
        detections = pd.concat([detections[["scene", "acquired"]], *rows], ignore_index=True)
    if detections.empty or observed.empty:
        return None
    days = pd.to_datetime(detections["acquired"], utc=True).dt.floor("D")
    first, last = days.min(), days.max()
    named = {scene_key(v) for v in detections["scene"].dropna()} if "scene" in detections else set()
    empty = ~observed["scene"].map(scene_key).isin(named).to_numpy()
    looks = pd.to_datetime(observed["acquired"], utc=True).dt.floor("D")[empty]
    after, before = looks[looks > last], looks[looks < first]
    far = pd.Timedelta(days=SCENES_BEYOND_DAYS)
    if (after.empty or after.max() - last <= far) and (before.empty or first - before.min() <= far):
        return None  # the last scene or two, with no dredge: no sign of a file left out
    parts = []
    if len(after):
        parts.append(f"{len(after)} after the last, {last:%Y-%m-%d}, to {after.max():%Y-%m-%d}")
    if len(before):
        parts.append(
            f"{len(before)} before the first, {first:%Y-%m-%d}, from {before.min():%Y-%m-%d}"
        )
    outside = len(after) + len(before)
    return (
        f"{source}: {part_of(outside, len(observed), 'scene')} given "
        f"{agree(outside, 'has', 'have')} no dredge detection and {agree(outside, 'lies', 'lie')} "
        f"outside the detections' dates ({' and '.join(parts)}): each is a "
        f"look that found no dredge, and {agree(outside, 'its', 'their')} river-years count "
        f"zeros — if {agree(outside, 'its', 'their')} detections are in another file "
        "(forgotten?), give it too"
    )


def unmarked_looks_note(observations: pd.DataFrame, marks: pd.DataFrame) -> str | None:
    """Hand marks given with scenes: one line naming the dates on which a scene saw a river
    that has marks, but none was marked there (each counts as a look that found the river
    empty where clear, so a dredge seems to leave), or None."""
    on = marks[marks["river"].notna()]
    if on.empty or observations.empty:
        return None
    days = pd.to_datetime(on["acquired"], utc=True).dt.strftime("%Y-%m-%d")
    marked = set(zip(on["river"].astype(str), days, strict=True))
    looks = observations[observations["river"].astype(str).isin({r for r, _ in marked})]
    pairs = list(zip(looks["river"].astype(str), looks["date"].astype(str), strict=True))
    empty = [pair for pair in pairs if pair not in marked]
    if not empty:
        return None
    river, day = empty[0]
    return (
        f"{part_of(len(empty), len(pairs), 'date')} on which the scenes saw a river with hand "
        f"marks {agree(len(empty), 'has', 'have')} no mark on it (e.g. {river} {day}): each is "
        "a look that found no dredge where "
        "the scene was clear — right if you looked at those scenes; leave out of --scenes any "
        "you did not mark, or its dredges will seem to leave"
    )


def long_gaps_note(linked: pd.DataFrame, gap_days: float) -> str | None:
    """Tracked without scenes: one line naming the rivers whose detection dates lie more than
    ``gap_days`` apart somewhere (a dredge counts as gone that long after its last detection,
    so one that moved in such a gap counts twice), or None."""
    on = linked[linked["river"].notna()]
    if on.empty:
        return None
    days = pd.DataFrame(
        {"river": on["river"].astype(str), "day": pd.to_datetime(on["acquired"], utc=True)}
    )
    days["day"] = days["day"].dt.floor("D")
    days = days.drop_duplicates().sort_values(["river", "day"])
    gaps = days.groupby("river")["day"].diff().dt.days
    rivers = sorted(days.loc[gaps > gap_days, "river"].unique())
    if not rivers:
        return None
    return (
        f"no --scenes: a dredge counts as gone {gap_days:g} days after its last detection, and "
        f"{count_of(len(rivers), 'river')} ({', '.join(rivers)}) "
        f"{agree(len(rivers), 'has', 'have')} detection dates further apart than that: a dredge "
        "that moved between two such dates counts twice there: read those counts as high — give "
        "the scenes (--scenes) where you have them, so that moves can be linked"
    )


def scenes_not_given(detections: pd.DataFrame, observed: pd.DataFrame) -> tuple[int, int] | None:
    """(scenes with on-river detections that ``observed`` lacks, scenes with detections), when
    some are missing; None otherwise or when the detections name no scenes."""
    if "scene" not in detections.columns or "river" not in detections.columns:
        return None
    on = detections.loc[detections["river"].notna(), "scene"].dropna()
    named = {scene_key(name) for name in on.unique()}
    missing = named - {scene_key(name) for name in observed["scene"]}
    return (len(missing), len(named)) if missing else None
