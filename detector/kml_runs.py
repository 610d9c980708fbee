"""Which placemarks of a ``dredges.kml`` given back to ``dredge track`` are its run's own
(:mod:`detector.kml_marks`). The run wrote a ``Dredges (N)`` folder (a placemark per dredge,
with its ``track_id`` and the ``dates`` it was seen on) and a ``Detections (N)`` folder (each
detection with its ``track_id`` and ``link``). In Google Earth an analyst moves a dredge's
placemarks to folders of their own, deletes them, and pastes placemarks, or whole folders,
from another run's ``dredges.kml``, whose track ids are that run's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from detector.export_edits import id_text


def dredges_of_no_run(
    source: Path,
    own: set[str],
    elsewhere: set[str],
    run_dredges: int,
    run_ids: set[str] | None = None,
) -> tuple[list[str], list[str]]:
    """The ids of dredge placemarks outside the Dredges folder of no dredge of the run: not
    among its own (``own``) nor the track ids of its Detections folder (``run_ids``, None
    without one: then numbered above all of ``own`` and ``run_dredges``, its count), and a
    note: another run's dredge pasted with its detections was tracked as one of this run's
    without a word (of a number in a gap of the run's, 2 of dredges 1 and 3 after a hand
    merge, too). Their detections are linked anew
    (:func:`detector.export_edits.google_earth_edits`)."""
    if not own and not run_dredges:
        return [], []
    highest = max([run_dredges, *(int(t) for t in own if t.isdigit())])
    ids = sorted(
        (
            t
            for t in elsewhere - own
            if t.isdigit() and (int(t) > highest if run_ids is None else t not in run_ids)
        ),
        key=int,
    )
    if not ids:
        return [], []
    gap = [t for t in ids if int(t) <= highest]
    none_of = f"; it has no dredge {', '.join(gap)}" if gap else ""
    return ids, [
        f"{source}: {len(ids)} dredge placemark(s) of dredge {', '.join(ids)} outside the "
        f"Dredges folder, of no dredge in this run (its dredges are numbered up to {highest}"
        f"{none_of}) "
        "— pasted from another run's dredges.kml? The track_id and link of their detections "
        "are not read: they are linked anew; delete the placemarks of the other run (to track "
        "two runs' detections together, give both runs' detections files)"
    ]


def run_detections(
    source: Path, folders: list[tuple[str, pd.DataFrame]], own_seen: dict[str, set[str]]
) -> tuple[pd.DataFrame | None, list[str]]:
    """The run's own Detections folder of dredges.kml (None without one), and a note where
    there are several: the one whose detections are most often on the dates of their dredge's
    placemark in the Dredges folder (``own_seen``), the first where none is more so. The first
    was taken: another run's folder pasted whole above it in Google Earth made that run's
    track ids this run's (its dredges above this run's highest were said to be 'of a dredge
    whose placemark was deleted')."""
    if len(folders) < 2:
        return (folders[0][1] if folders else None), []

    def on_their_dates(part: pd.DataFrame) -> float:
        if "track_id" not in part or "timestamp" not in part:
            return 0.0
        tracks = part["track_id"].map(lambda v: id_text(v) if pd.notna(v) else "")
        days = pd.to_datetime(part["timestamp"], utc=True, errors="coerce").dt.strftime("%Y-%m-%d")
        linked = [(t, d) for t, d in zip(tracks, days, strict=True) if t]
        return sum(d in own_seen.get(t, ()) for t, d in linked) / len(linked) if linked else 0.0

    shares = [on_their_dates(part) for _, part in folders]
    best = int(np.argmax(shares))  # the first of the highest
    names = ", ".join(f"'{name}'" for name, _ in folders)
    if shares.count(shares[best]) > 1:
        why = (
            "not told apart by the dates of the Dredges folder's placemarks: the first, "
            f"'{folders[best][0]}', read as this run's"
        )
    else:
        why = (
            f"'{folders[best][0]}' read as this run's ({shares[best]:.0%} of its detections on "
            "their dredge placemark's dates, the other"
            + ("'s " if len(folders) == 2 else "s' ")
            + ", ".join(f"{share:.0%}" for i, share in enumerate(shares) if i != best)
            + ")"
        )
    return folders[best][1], [
        f"{source}: {len(folders)} Detections folders ({names}): {why} — another run's "
        "pasted whole? The other's track ids are not taken for this run's dredges; delete "
        "the folder of the other run (to track two runs' detections together, give both "
        "runs' detections files)"
    ]


def track_ids(detections: pd.DataFrame) -> set[str]:
    """The ``track_id`` values of the detection placemarks of a Detections folder, as text."""
    if "track_id" not in detections:
        return set()
    return set(detections["track_id"].dropna().map(id_text))


def highest_id(detections: pd.DataFrame) -> int:
    """The highest ``track_id`` of the detection placemarks of a run's own Detections folder
    (0 without one). A merge by hand keeps the lower id, so a run's dredges may be numbered
    above their count ('Dredges (2)' holding dredges 1 and 3): its last dredge moved out of the
    Dredges folder was named as another run's (with the advice to delete it), and its
    detections, its placemark deleted, as of no dredge in this run."""
    if "track_id" not in detections:
        return 0
    ids = pd.to_numeric(detections["track_id"].map(id_text), errors="coerce").dropna()
    return int(ids.max()) if len(ids) else 0


def pasted_dredges_note(
    source: Path, seen: dict[str, set[str]], placemarks: dict[str, int], foreign: list[str]
) -> list[str]:
    """A note naming the dredges of which dredges.kml has placemarks with other dates (one
    pasted from another run's dredges.kml; not those of ``foreign``, named by
    :func:`dredges_of_no_run`): their detections are linked anew
    (:func:`detector.export_edits.google_earth_edits`)."""
    ids = sorted((track for track, days in seen.items() if not days and track not in foreign))
    if not ids:
        return []
    shown = ", ".join(
        f"{placemarks[track]} dredge placemarks of dredge {track}" for track in ids[:3]
    )
    more = f" and {len(ids) - 3} more dredges" if len(ids) > 3 else ""
    return [
        f"{source}: {shown}{more} with other dates — pasted from another run's dredges.kml? "
        "The track_id and link of their detections are not read (not a merge by hand): they "
        "are linked anew; delete the placemarks of the other run (to track two runs' "
        "detections together, give both runs' detections files)"
    ]
