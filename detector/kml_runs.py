"""Which placemarks of a ``dredges.kml`` given back to ``dredge track`` are its run's own
(:mod:`detector.kml_marks`). The run wrote a ``Dredges (N)`` folder (a placemark per dredge,
with its ``track_id`` and the ``dates`` it was seen on) and a ``Detections (N)`` folder (each
detection with its ``track_id`` and ``link``). In Google Earth an analyst moves a dredge's
placemarks to folders of their own, deletes them, and pastes placemarks, or whole folders,
from another run's ``dredges.kml``, whose track ids are that run's. The run's own folders are
told from pasted ones by the run key that ``dredge counts`` writes in the data of the file's
document and of each placemark (``run``, :func:`detector.kml_export.kml_run_key`); where it
cannot tell (a file written before it had one, folders saved alone), by their dates (a
detection is on a date of its dredge's placemark), and a dredge placemark outside the Dredges
folder from a pasted one by the run's numbering and what the folders' names say they held.
A detection placemark of another run's key whose track_id is one of the run's dredges is
linked anew (:func:`other_runs_detections`), whatever its dates.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from detector.export_edits import id_text
from detector.track_merges import MERGED
from detector.wording import agree, count_of

T = TypeVar("T")

DREDGES_FOLDER = re.compile(r"Dredges \(([\d ,a-z]+)\)( \(#\d+\))?")
"""A Dredges folder's name as ``dredge counts`` writes it (``Dredges (4 counted, 1
uncounted)``), with GDAL's `` (#2)`` after the second folder of a name."""
DETECTIONS_FOLDER = re.compile(r"Detections \(\d+\)( \(#\d+\))?")
_ADVICE = "(to track two runs' detections together, give both runs' detections files)"


@dataclass
class DredgeMarks:
    """The dredge placemarks of one folder of ``dredges.kml`` (those with a ``track_id`` and
    ``n_detections``): their ids, names, days seen (``dates``; None without that field), and
    run keys (``run``; '' without one)."""

    folder: str
    ids: list[str]
    names: list[str]
    days: list[set[str]] | None
    runs: list[str] = field(default_factory=list)

    def key(self) -> str | None:
        """The run key most of its placemarks carry (None where none carries one)."""
        return _most(self.runs)

    def of_run(self, key: str | None) -> tuple[DredgeMarks, DredgeMarks]:
        """Its placemarks of run ``key`` (and those without a key), and those of another run
        (pasted from another run's dredges.kml, into this folder or a folder of their own)."""
        other = [
            bool(key) and i < len(self.runs) and self.runs[i] not in ("", key)
            for i in range(len(self.ids))
        ]
        return self._where([not o for o in other]), self._where(other)

    def _where(self, keep: list[bool]) -> DredgeMarks:
        def pick(values: list[T]) -> list[T]:
            return [v for v, k in zip(values, keep, strict=False) if k]

        days = None if self.days is None else pick(self.days)
        return DredgeMarks(self.folder, pick(self.ids), pick(self.names), days, pick(self.runs))

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


def _most(values: Iterable[object]) -> str | None:
    """The most common non-empty run key of ``values`` (None where there is none)."""
    keys = Counter(v.strip() for v in values if isinstance(v, str) and v.strip())
    return keys.most_common(1)[0][0] if keys else None


def detections_key(part: pd.DataFrame) -> str | None:
    """The run key most of a Detections folder's placemarks carry (None without one)."""
    return _most(part["run"]) if "run" in part else None


def file_run_key(root: ElementTree.Element | None) -> str | None:
    """The run key in the data of the file's own document (``dredge counts`` writes it): None
    where it has none (written before it had one; a folder saved alone)."""
    if root is None:
        return None
    document = next((c for c in root if c.tag.rsplit("}", 1)[-1] == "Document"), None)
    for data in [] if document is None else document:
        if data.tag.rsplit("}", 1)[-1] != "ExtendedData":
            continue
        for item in data:
            if item.get("name") == "run":
                value = next((v.text for v in item if v.tag.rsplit("}", 1)[-1] == "value"), "")
                return (value or "").strip() or None
    return None


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
    key: str | None = None,
) -> tuple[DredgeMarks | None, pd.DataFrame | None, list[str], str | None]:
    """The run's own Dredges folder (None without one) and Detections folder (None without
    one) of ``dredges.kml``, a note for each kind where there are several, and the run's key.

    ``key``: the run key of the file's document (:func:`file_run_key`). Of several folders of
    a kind, the one of that key is the run's; where the key cannot tell (none, or none or
    several of that key), the Dredges folder on whose placemarks' dates the detections of a
    Detections folder most often are, then the Detections folder most often on that one's
    dates (the first where none is more so). The run's key is the file's, else its Dredges
    folder's, else its Detections folder's (None where none has one).

    Another run's Dredges folder pasted whole was read as this run's too: its count was
    added to the run's, its dredges were the run's (its detections pasted beside it tracked
    as the run's, a dredge the analyst deleted counted again by its namesake's dates), and
    where its ids were the run's, the run's own detections were called pasted and linked
    anew. Of several Detections folders the first was taken: another run's pasted whole
    above it made that run's track ids this run's (its dredges above this run's highest were
    said to be 'of a dredge whose placemark was deleted'). Another run's Dredges and
    Detections folders both pasted above the run's were read as the run's, by their order,
    and the run's own detections named as pasted."""
    folders = [mark for mark in marks if mark.written is not None]
    notes = []
    own = folders[0] if folders else None
    if len(folders) > 1:
        keyed = [i for i, folder in enumerate(folders) if key and key in folder.runs]
        asked = "another run's pasted whole?" if len(keyed) != 1 else "another run's, pasted whole."
        if len(keyed) == 1:
            best, why = _by_key("Dredges", [folder.folder for folder in folders], keyed[0])
        else:
            shares = [
                max((_on_their_dates(p, folder.seen()) for _, p in detections), default=0.0)
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
            f"{source}: {why} — {asked} The {others} dredges are not "
            f"this run's: not counted among its {count_of(own.written or 0, 'dredge')}, "
            f"their placemarks not read; delete the folder of the other run {_ADVICE}"
        )
    key = key or (own.key() if own else None)
    listed, which = _run_detections(source, detections, own.seen() if own else {}, key)
    if key is None and listed is not None:
        key = detections_key(listed)
    return own, listed, notes + which, key


def _by_key(kind: str, names: list[str], best: int) -> tuple[int, str]:
    """Of several folders of a ``kind``, the one of the file's run key, and a line saying so."""
    labels = [folder_label(name) for name in names]
    other = "the other's another run's" if len(names) == 2 else "the others' other runs'"
    return best, (
        f"{len(names)} {kind} folders ({', '.join(labels)}): {labels[best]} read as this "
        f"run's (by the run key in its placemarks' data, the file's; {other})"
    )


def _run_detections(
    source: Path,
    folders: list[tuple[str, pd.DataFrame]],
    own_seen: dict[str, set[str]],
    key: str | None = None,
) -> tuple[pd.DataFrame | None, list[str]]:
    """The run's own Detections folder (None without one), and a note where there are
    several: the one of the run's ``key``, else the one whose detections are most often on
    the dates of their dredge's placemark in the run's Dredges folder (``own_seen``), the
    first where none is more so."""
    if len(folders) < 2:
        return (folders[0][1] if folders else None), []
    names = [name for name, _ in folders]
    keyed = [i for i, (_, part) in enumerate(folders) if key and detections_key(part) == key]
    asked = "another run's pasted whole?" if len(keyed) != 1 else "another run's, pasted whole."
    if len(keyed) == 1:
        best, why = _by_key("Detections", names, keyed[0])
    else:
        shares = [_on_their_dates(part, own_seen) for _, part in folders]
        best, why = _which_of(
            "Detections", names, shares, "of its detections on their dredge placemark's dates"
        )
    return folders[best][1], [
        f"{source}: {why} — {asked} The other's track ids are not taken for this run's "
        f"dredges; delete the folder of the other run {_ADVICE}"
    ]


def dredges_of_no_run(
    source: Path,
    own: set[str],
    elsewhere: set[str],
    written: int,
    listed: pd.DataFrame | None,
    other: dict[str, str] | None = None,
    key: str | None = None,
) -> tuple[list[str], list[str]]:
    """The ids of dredge placemarks of no dredge of the run, and a note each way: another
    run's dredge pasted with its detections was tracked as one of this run's without a word
    (of a number in a gap of the run's, 2 of dredges 1 and 3 after a hand merge, too; of the
    number of one the analyst deleted whole, too). Their detections are linked anew
    (:func:`detector.export_edits.google_earth_edits`).

    ``other``: the ids of dredge placemarks that carry another run key than the run's
    (``key``), in or outside its Dredges folder, and that key: another run's, but where the
    run has a dredge placemark of that id (then its dates tell: :func:`pasted_dredges_note`).
    ``elsewhere``: those outside the Dredges folder without a run key (one with the run's
    is the run's): :func:`_by_numbering` tells which are the run's.
    """
    theirs = {t: run for t, run in (other or {}).items() if t not in own}
    ids, notes = _by_numbering(source, own, elsewhere - set(theirs), written, listed)
    if theirs:
        listed_ids = sorted(
            theirs, key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else 0, t)
        )
        runs = ", ".join(sorted(set(theirs.values())))
        count = len(listed_ids)
        ids += [t for t in listed_ids if t not in ids]
        notes.append(
            f"{source}: {count_of(count, 'dredge placemark')} of dredge "
            f"{', '.join(listed_ids)} of another run (run key {runs}, this run's {key}) — "
            f"pasted from another run's dredges.kml? The track_id and link of "
            f"{agree(count, 'its', 'their')} detections are not read: they are linked anew; "
            f"delete the placemarks of the other run {_ADVICE}"
        )
    return ids, notes


def _by_numbering(
    source: Path,
    own: set[str],
    elsewhere: set[str],
    written: int,
    listed: pd.DataFrame | None,
) -> tuple[list[str], list[str]]:
    """Of the ids of dredge placemarks outside the run's Dredges folder without a run key
    (``dredges.kml`` written before it had one), those of no dredge of the run, and a note.

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


def other_runs_detections(
    source: Path,
    frame: pd.DataFrame,
    key: str | None,
    dredges: Iterable[str],
    pasted_folders: Iterable[str] = (),
) -> tuple[pd.DataFrame, list[str]]:
    """``frame`` (dredges.kml's detection placemarks) without its ``run`` column, and without
    the ``track_id`` and ``link`` of the detection placemarks whose run key is another than
    the run's (``key``) where their track_id is one of ``dredges`` (the ids of this run's
    dredges, those whose placemark was deleted too); and a note. Another run's detection
    pasted on its own, whose dates fell on those of this run's dredge of its id, was read as
    that dredge's without a word (only its dates were checked:
    :func:`detector.export_edits.google_earth_edits`), and one of the id of a dredge whose
    placemark was deleted was left out with that dredge's own; it is linked anew. Those in
    ``pasted_folders`` (another run's Detections folders pasted whole, named by
    :func:`run_folders`) are cleared without another note."""
    if "run" not in frame:
        return frame, []
    runs = frame["run"].astype("string").fillna("").str.strip()
    frame = frame.drop(columns="run")
    if not key or "track_id" not in frame:
        return frame, []
    track = frame["track_id"].map(lambda v: id_text(v) if pd.notna(v) else "")
    other = (runs.ne("") & runs.ne(key) & track.isin(list(dredges))).to_numpy(bool)
    if not other.any():
        return frame, []
    frame = frame.copy()
    frame["track_id"] = frame["track_id"].astype(object).where(~other, None)
    if "link" in frame:
        frame["link"] = frame["link"].astype(object).where(~other, None)
    if "folder" in frame:
        other &= ~frame["folder"].isin(list(pasted_folders)).to_numpy(bool)
    if not other.any():
        return frame, []
    count = int(other.sum())
    ids = sorted(
        set(track[other]), key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else 0, t)
    )
    anew = agree(count, "it is linked anew as a detection", "they are linked anew as detections")
    return frame, [
        f"{source}: {count_of(count, 'detection placemark')} of another run (run key "
        f"{', '.join(sorted(set(runs[other])))}, this run's {key}) with the track_id of this "
        f"run's dredge {', '.join(ids)} — pasted from another run's dredges.kml? "
        f"{agree(count, 'Its', 'Their')} track_id and link are not read: {anew}; delete "
        f"{agree(count, 'it if it is', 'them if they are')} another run's {_ADVICE}"
    ]
