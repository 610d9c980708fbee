"""A run's manifest: ``OUT/manifest.csv``, one row per scene attempted.

Its columns (:data:`MANIFEST_COLUMNS`): ``scene, name, status`` (``done`` or ``failed``),
``detections``, ``finished`` (UTC), ``error`` and ``flags`` (what the run warns of at its end,
as JSON: pixels much coarser than the model's, river lines off the channel; kept so that a
resumed or recounted run warns of its earlier scenes too) and ``date`` (the acquisition time
its detections carry, :func:`carried_date`: a finished scene given another one, by ``--dates``
or its STAC item, is detected again), ``file`` (the absolute path of a local scene, which its
path as given may not name from another folder), ``backend`` (torch or onnxruntime) and
``fingerprint`` (a finished local scene's file, :func:`scene_fingerprint`: one replaced under
the same path since, another size or other bytes, is detected again) and ``mtime_ns`` (that
file's modification time then: a file of the same size and time is not read again on resume,
:func:`unchanged_since`). Each scene's row is
appended as it finishes (:func:`manifest_line`,
:func:`detector.writing.append_line`: a killed run leaves at most its last row cut short,
which :func:`read_manifest` does not read; one edited out of shape, saved by a spreadsheet with
``;`` or in Latin-1, or without a column it needs, is one :class:`~detector.errors.InputError`
line); what keeps and compares the rows is :class:`detector.run_state.RunState`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from detector.acquisition import to_utc
from detector.errors import DredgeError, InputError, first_line
from detector.wording import agree
from detector.writing import complete_lines

MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = (
    "scene",
    "name",
    "status",
    "detections",
    "finished",
    "error",
    "flags",
    "date",
    "file",
    "backend",
    "fingerprint",
    "mtime_ns",
)
REQUIRED_COLUMNS = ("scene", "name", "status")
"""Without these a row cannot be resumed; the others default to empty (earlier manifests)."""


def manifest_names(folder: Path) -> dict[str, str]:
    """Scene path → its name in the tables, from ``folder/manifest.csv`` of a run (empty when
    there is none)."""
    try:
        rows = read_manifest(folder / MANIFEST_NAME)
    except (DredgeError, ValueError, KeyError, OSError):  # not a manifest this tool wrote
        return {}
    return {path: str(row["name"]) for path, row in rows.items()}


def carried_date(frame: pd.DataFrame | None) -> str:
    """The acquisition time a scene's detections carry (ISO, UTC), or "" without any."""
    if frame is None or not len(frame) or "acquired" not in frame.columns:
        return ""
    return to_utc(pd.Timestamp(frame["acquired"].iloc[0]).to_pydatetime()).isoformat()


FINGERPRINT_BYTES = 64 * 1024
"""How much of a scene file's start and of its end :func:`scene_fingerprint` reads."""


def scene_fingerprint(path: str) -> str:
    """``SIZE:HASH`` of a local scene file: its size in bytes and a SHA-1 digest of its first
    and last 64 KiB (128 KiB read, however large the file; SHA-1 hashed them in 0.17 ms,
    BLAKE2b in 0.41), which a copy (``cp -r``, another disk: other times) keeps and a file
    written again with other content (a scene delivered or exported again under its name)
    does not; "" where it is no file that can be read. Bytes changed between the two ends
    alone, at the same size, are not seen (a scene exported again differs at its ends: its
    header, its first and last tiles)."""
    return scene_stamp(path)[0]


RECENT_NS = 2_000_000_000
"""A modification time this close to when a file is read is not recorded (FAT's clock tick
is 2 s): a file written again within the same tick would keep it."""


def scene_stamp(path: str) -> tuple[str, str]:
    """:func:`scene_fingerprint` of a local scene file and its modification time in
    nanoseconds (``st_mtime_ns``, from before its bytes are read: a file changed while it is
    read has a later one), both "" where it is no file that can be read. The time is "" too
    where it is within 2 s of now (:data:`RECENT_NS`): the file could be written again at the
    same size within the file system's clock tick, keeping that time, and would not be read
    on resume; such a file is read on resume, and its time recorded once it is older."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return "", ""
        with open(path, "rb") as file:
            status = os.fstat(file.fileno())
            recent = time.time_ns() - status.st_mtime_ns < RECENT_NS
            size = status.st_size
            digest = hashlib.sha1(file.read(FINGERPRINT_BYTES), usedforsecurity=False)
            if size > FINGERPRINT_BYTES:
                file.seek(max(FINGERPRINT_BYTES, size - FINGERPRINT_BYTES))
                digest.update(file.read(FINGERPRINT_BYTES))
    except OSError:
        return "", ""
    return f"{size}:{digest.hexdigest()}", "" if recent else str(status.st_mtime_ns)


def unchanged_since(path: str, fingerprint: str, mtime_ns: str) -> bool:
    """Whether the file ``path`` has the size of its recorded ``fingerprint`` and the
    modification time ``mtime_ns`` recorded with it: then it is the file fingerprinted, and
    is not read (a resume of 24,000 finished scenes read 128 KiB of each, 3 GB on a network
    disk, to find them unchanged). False where either is not recorded (a manifest of an
    earlier version, a cell out of shape, a time too recent to trust: :func:`scene_stamp`) or
    the file is not there. A file written again at the same size has a new modification time
    (unless its time is set back by hand to the one recorded: ``touch -d``)."""
    size, _, digest = fingerprint.partition(":")
    if not (size.isdigit() and digest and mtime_ns.isdigit()):
        return False
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return False
    return (
        stat.S_ISREG(status.st_mode)
        and status.st_size == int(size)
        and status.st_mtime_ns == int(mtime_ns)
    )


def fingerprint_change(recorded: str, now: str) -> str | None:
    """How a scene file changed between two :func:`scene_fingerprint` (its size, else its
    content), or None where it did not, or either is not known ("" or out of shape)."""
    before, _, old = recorded.partition(":")
    after, _, new = now.partition(":")
    if not (before.isdigit() and after.isdigit() and old and new):
        return None
    if before != after:
        return f"size {int(before):,} → {int(after):,} bytes"
    return None if old == new else "content, at the same size"


def manifest_line(row: Mapping[str, Any]) -> str:
    """One row of the manifest as ``DataFrame.to_csv`` writes it (Python's csv module)."""
    line = io.StringIO()
    csv.writer(line, lineterminator=os.linesep).writerow([row[c] for c in MANIFEST_COLUMNS])
    return line.getvalue()


def read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """Scene path → its row; a scene's last row where it has several (recorded again), and
    without a last row cut short by a killed run. Paths and names as written: pandas read
    scenes named ``0012`` and ``0345`` as 12 and 345 (a resumed run detected them again)."""
    if not path.is_file():
        return {}
    data = complete_lines(path.read_bytes())
    if not data:
        return {}
    try:
        table = pd.read_csv(
            io.BytesIO(data),
            dtype={
                "scene": str,
                "name": str,
                "error": "string",
                "flags": "string",
                "date": str,
                "file": str,
                "backend": str,
                "fingerprint": str,
                "mtime_ns": str,
            },
            keep_default_na=False,
        )
    except (UnicodeDecodeError, ValueError) as exc:  # pandas' ParserError is a ValueError
        raise _unreadable(path, first_line(exc)) from None
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        raise _unreadable(
            path, f"no {agree(len(missing), 'column', 'columns')} {', '.join(missing)}"
        )
    for column in MANIFEST_COLUMNS:  # a manifest of an earlier version lacks the later ones
        if column not in table.columns:
            table[column] = ""
    return {str(row["scene"]): row for row in table.to_dict("records")}


def _unreadable(path: Path, why: str) -> InputError:
    """A manifest edited by hand out of shape (saved by a spreadsheet with ``;`` or in
    Latin-1, a column deleted): it stopped ``dredge run`` with a traceback, 'this is a bug in
    dredge' and exit 3 (a KeyError, a UnicodeDecodeError)."""
    return InputError(
        path,
        f"cannot be read as this run's manifest ({why})",
        "put back the file dredge wrote (comma-separated, UTF-8), or delete it to detect "
        "every scene again, or pass --overwrite to start the run again",
    )


def another_file_there(then: str, now: str) -> bool:
    """True when the file ``then`` is there and is not ``now`` (a hard link, ``cp -al``, or a
    second mount point is the same file; not where ``st_ino`` is 0, FAT drives)."""
    try:
        old = os.stat(then)
    except OSError:  # gone: moved with the run
        return False
    try:
        new = os.stat(now)
    except OSError:
        return True
    return old.st_ino == 0 or (old.st_dev, old.st_ino) != (new.st_dev, new.st_ino)
