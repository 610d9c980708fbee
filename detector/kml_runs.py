"""Which placemarks of a ``dredges.kml`` given back to ``dredge track`` are its run's own
(:mod:`detector.kml_marks`). The run wrote a ``Dredges (N)`` folder (a placemark per dredge,
with its ``track_id`` and the ``dates`` it was seen on) and a ``Detections (N)`` folder (each
detection with its ``track_id`` and ``link``). In Google Earth an analyst moves a dredge's
placemarks to folders of their own, deletes them, and pastes placemarks, or whole folders,
from another run's ``dredges.kml``, whose track ids are that run's. The run's own folders are
told from pasted ones by their dates (a detection is on a date of its dredge's placemark),
and a dredge placemark outside the Dredges folder from a pasted one by the run's numbering
and what the folders' names say they held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detector.export_edits import id_text
from detector.track_merges import MERGED
from detector.wording import agree, count_of

DREDGES_FOLDER = re.compile(r"Dredges \(([\d ,a-z]+)\)( \(#\d+\))?")
"""A Dredges folder's name as ``dredge counts`` writes it (``Dredges (4 counted, 1
uncounted)``), with GDAL's `` (#2)`` after the second folder of a name."""
DETECTIONS_FOLDER = re.compile(r"Detections \(\d+\)( \(#\d+\))?")
_ADVICE = "(to track two runs' detections together, give both runs' detections files)"


@dataclass
class DredgeMarks:
    """The dredge placemarks of one folder of ``dredges.kml`` (those with a ``track_id`` and
    ``n_detections``): their ids, names, and days seen (``dates``; None without that field)."""

    folder: str
    ids: list[str]
    names: list[str]
    days: list[set[str]] | None

    @property
    def written(self) -> int | None:
        """How many dredges a Dredges folder's name says the run wrote in it (``Dredges (4
        counted, 1 uncounted)``: 5); None for another folder."""
        name = DREDGES_FOLDER.fullmatch(self.folder)
        return None if name is None else sum(map(int, re.findall(r"\d+", name.group(1))))

    def seen(self) -> dict[str, set[str]]:
        """Track id → the days its placemarks here give."""
        out: dict[str, set[str]] = {}
        for track, days in zip(self.ids, self.days or [set()] * len(self.ids), strict=True):
            out.setdefault(track, set()).update(days)
        return out


def folder_label(layer: str) -> str:
    """A folder as Google Earth shows it: GDAL names the second folder of a name ``Dredges (2)
    (#2)``, which the analyst never sees."""
    found = re.fullmatch(r"(.*) \(#(\d+)\)", layer)
    if found is None:
        return f"'{layer}'"
    n = int(found.group(2))
    nth = {2: "second", 3: "third", 4: "fourth"}.get(n, f"{n}th")
    return f"the {nth} '{found.group(1)}'"


def _on_their_dates(part: pd.DataFrame, seen: dict[str, set[str]]) -> float:
    """The share of a Detections folder's linked detections on a date of their dredge's
    placemark (``seen``: track id → days)."""
    if "track_id" not in part or "timestamp" not in part:
        return 0.0
    tracks = part["track_id"].map(lambda v: id_text(v) if pd.notna(v) else "")
    days = pd.to_datetime(part["timestamp"], utc=True, errors="coerce").dt.strftime("%Y-%m-%d")
    linked = [(t, d) for t, d in zip(tracks, days, strict=True) if t]
    return sum(d in seen.get(t, ()) for t, d in linked) / len(linked) if linked else 0.0


def _which_of(kind: str, names: list[str], shares: list[float], measure: str) -> tuple[int, str]:
    """Of several folders of a ``kind``, the one read as the run's (the first of the highest
    share), and a line saying so: ``measure`` says what the share is of."""
    best = int(np.argmax(shares))  # the first of the highest
    labels = [folder_label(name) for name in names]
    listed = f"{len(names)} {kind} folders ({', '.join(labels)})"
    if shares.count(shares[best]) > 1:
        return best, (
            f"{listed}: not told apart by the share {measure}: the first, {labels[best]}, "
            "read as this run's"
        )
    others = ", ".join(f"{share:.0%}" for i, share in enumerate(shares) if i != best)
    other = "the other's" if len(names) == 2 else "the others'"
    shown = f"{shares[best]:.0%} {measure}, {other} {others}"
    return best, f"{listed}: {labels[best]} read as this run's ({shown})"


def run_folders(
    source: Path,
    marks: list[DredgeMarks],
    detections: list[tuple[str, pd.DataFrame]],
) -> tuple[DredgeMarks | None, pd.DataFrame | None, list[str]]:
    """The run's own Dredges folder (None without one) and Detections folder (None without
    one) of ``dredges.kml``, and a note for each kind where there are several: the Dredges
    folder on whose placemarks' dates the detections of a Detections folder most often are,
    then the Detections folder most often on that one's dates (the first where none is more
    so). Another run's Dredges folder pasted whole was read as this run's too: its count was
    added to the run's, its dredges were the run's (its detections pasted beside it tracked
    as the run's, a dredge the analyst deleted counted again by its namesake's dates), and
    where its ids were the run's, the run's own detections were called pasted and linked
    anew. Of several Detections folders the first was taken: another run's pasted whole
    above it made that run's track ids this run's (its dredges above this run's highest were
    said to be 'of a dredge whose placemark was deleted')."""
    folders = [mark for mark in marks if mark.written is not None]
    notes = []
    own = folders[0] if folders else None
    if len(folders) > 1:
        shares = [
            max((_on_their_dates(part, folder.seen()) for _, part in detections), default=0.0)
            for folder in folders
        ]
        best, why = _which_of(
            "Dredges",
            [folder.folder for folder in folders],
            shares,
            "of the Detections folder's detections on the dates of its placemarks",
        )
        own = folders[best]
        others = "other's" if len(folders) == 2 else "others'"
        notes.append(
            f"{source}: {why} — another run's pasted whole? The {others} dredges are not "
            f"this run's: not counted among its {count_of(own.written or 0, 'dredge')}, "
            f"their placemarks not read; delete the folder of the other run {_ADVICE}"
        )
    listed, which = _run_detections(source, detections, own.seen() if own else {})
    return own, listed, notes + which


def _run_detections(
    source: Path, folders: list[tuple[str, pd.DataFrame]], own_seen: dict[str, set[str]]
) -> tuple[pd.DataFrame | None, list[str]]:
    """The run's own Detections folder (None without one), and a note where there are
    several: the one whose detections are most often on the dates of their dredge's
    placemark in the run's Dredges folder (``own_seen``), the first where none is more so."""
    if len(folders) < 2:
        return (folders[0][1] if folders else None), []
    shares = [_on_their_dates(part, own_seen) for _, part in folders]
    best, why = _which_of(
        "Detections",
        [name for name, _ in folders],
        shares,
        "of its detections on their dredge placemark's dates",
    )
    return folders[best][1], [
        f"{source}: {why} — "
        "another run's pasted whole? The other's track ids are not taken for this run's "
        f"dredges; delete the folder of the other run {_ADVICE}"
    ]


def dredges_of_no_run(
    source: Path,
    own: set[str],
    elsewhere: set[str],
    written: int,
    listed: pd.DataFrame | None,
) -> tuple[list[str], list[str]]:
    """The ids of dredge placemarks outside the run's Dredges folder of no dredge of the run,
    and a note: another run's dredge pasted with its detections was tracked as one of this
    run's without a word (of a number in a gap of the run's, 2 of dredges 1 and 3 after a
    hand merge, too). Their detections are linked anew
    (:func:`detector.export_edits.google_earth_edits`).

    ``own``: the ids in the run's Dredges folder, which its name says held ``written``;
    ``listed``: the run's Detections folder (None without one: then an id numbered above
    all of ``own`` and ``written`` is of no dredge of the run). An id among neither ``own``
    nor the track ids of ``listed`` is the run's only where the Dredges folder lacks as many
    of its dredges, and numbered no higher than the run's dredges may be (its count and its
    hand merges, each a later start linked ``merged``): a dredge the analyst moved out of the
    folder with all its detections, or after deleting them, was named as another run's, with
    the advice to delete it, and its detections linked anew."""
    highest = max([highest_id(written, listed), *(int(t) for t in own if t.isdigit())])
    if not own and not highest:
        return [], []
    if listed is None:
        ids = sorted((t for t in elsewhere - own if t.isdigit() and int(t) > highest), key=int)
    else:
        run_ids = track_ids(listed)
        ids = sorted((t for t in elsewhere - own - run_ids if t.isdigit()), key=int)
        lacking = written - len(own | run_ids)  # the run's dredges neither here nor listed
        links = listed["link"].astype("string") if "link" in listed else pd.Series(dtype="string")
        may_be = max(highest, written + int(links.eq(MERGED).sum()))  # ids merged away
        moved = [t for t in ids if int(t) <= may_be]
        if moved and len(moved) <= lacking:
            ids = [t for t in ids if t not in moved]
    if not ids:
        return [], []
    gap = [t for t in ids if int(t) <= highest]
    none_of = f"; it has no dredge {', '.join(gap)}" if gap else ""
    return ids, [
        f"{source}: {count_of(len(ids), 'dredge placemark')} of dredge {', '.join(ids)} outside "
        f"the Dredges folder, of no dredge in this run (its dredges are numbered up to "
        f"{highest}{none_of}) — pasted from another run's dredges.kml? The track_id and link "
        f"of {agree(len(ids), 'its', 'their')} detections are not read: they are linked anew; "
        f"delete the placemarks of the other run {_ADVICE}"
    ]


def track_ids(detections: pd.DataFrame) -> set[str]:
    """The ``track_id`` values of the detection placemarks of a Detections folder, as text."""
    if "track_id" not in detections:
        return set()
    return set(detections["track_id"].dropna().map(id_text))


def highest_id(written: int, listed: pd.DataFrame | None) -> int:
    """The highest number of a run's dredges: its Dredges folder's count (``written``), or the
    highest ``track_id`` of the detection placemarks of its own Detections folder
    (``listed``) where that is higher. A merge by hand keeps the lower id, so a run's dredges
    may be numbered above their count ('Dredges (2)' holding dredges 1 and 3): its last
    dredge moved out of the Dredges folder was named as another run's (with the advice to
    delete it), and its detections, its placemark deleted, as of no dredge in this run."""
    if listed is None or "track_id" not in listed:
        return written
    ids = pd.to_numeric(listed["track_id"].map(id_text), errors="coerce").dropna()
    return max(written, int(ids.max()) if len(ids) else 0)


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
