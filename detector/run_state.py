"""Resumable runs: what ``dredge run`` has finished in its output folder.

``OUT/run_key.json`` says what the detections depend on (:mod:`detector.run_key`: a key that
differs, another model or threshold, is refused unless ``--overwrite`` is given, which starts
afresh; the ``--dates`` table's digest is not compared: scenes' dates are, one by one,
:meth:`RunState.forget_redated`); ``OUT/manifest.csv`` has one row per scene attempted
(:mod:`detector.run_manifest`: its ``date`` is the time a scene's detections carry,
:meth:`RunState.forget_redated`; its ``file`` the file a path named, :meth:`RunState.adopt`;
its ``backend`` the one that detected it, :meth:`RunState.backends`; its ``fingerprint`` the
file detected, :meth:`RunState.forget_changed`); each scene's row is
appended as it finishes, and the file is written whole once when a run starts and, where a
scene of an earlier run was recorded again below its old row, when detection ends (the last
row of a scene is the one that counts);
``OUT/scenes/<scene name>.parquet`` holds each finished scene's detections (the name is the
file name, or a label where scenes share one: :func:`detector.acquisition.scene_labels`).
Every other file is written to a temporary name and renamed into place
(:func:`detector.writing.write_atomic`), so a run killed at any moment (even SIGKILL) or stopped
by a full disk or a folder made read-only leaves only whole files; a failed write is one
:class:`~detector.errors.OutputError` line, and the temporary files a killed run left are
removed when the run starts again. Rerunning the same command skips
the scenes marked ``done`` whose file is there (and whose scene file is the one detected),
redoes failed and unfinished ones, and builds
the final tables from the per-scene files of the scenes asked for: no detection is lost or
duplicated. One run at a time works in a folder: its lock is :mod:`detector.run_lock` (its
names, and those of the key, the manifest, :mod:`detector.run_dates`' warnings, the saved
detections' files (:mod:`detector.run_saved`) and the findings a run warns of
(:mod:`detector.run_findings`), are importable from here too).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from detector.acquisition import (
    ITEM_NAMES,
    is_day_only,
    is_remote,
    scene_file_name,
    scene_labels,
    to_utc,
)
from detector.errors import DredgeError, InputError
from detector.json_text import json_text
from detector.river_inputs import rivers_digest
from detector.run_dates import dated_otherwise, has_detections, recorded_time, redated_warnings
from detector.run_findings import SceneFindings, changed_warnings
from detector.run_key import (
    DATES_KEY,
    KEY_NAME,
    dates_digest,
    earlier_key_values,
    read_key,
    run_key,
)
from detector.run_lock import LOCK_NAME, LOCK_WRITE_S, process_identity, run_lock
from detector.run_manifest import (
    MANIFEST_COLUMNS,
    MANIFEST_NAME,
    another_file_there,
    carried_date,
    fingerprint_change,
    manifest_line,
    manifest_names,
    read_manifest,
    scene_stamp,
    unchanged_since,
)
from detector.run_saved import SAVED_NAME_BYTES, WGS84_ID, read_saved, saved_name
from detector.scene_sources import file_key, names_raster_file
from detector.wording import agree, count_of
from detector.writing import append_line, remove_temporaries, write_atomic, write_text_atomic

__all__ = [  # names of detector.run_lock, run_key, run_manifest, run_dates, run_saved and
    # run_findings: imported from here
    "DATES_KEY",
    "KEY_NAME",
    "LOCK_NAME",
    "LOCK_WRITE_S",
    "MANIFEST_COLUMNS",
    "MANIFEST_NAME",
    "SAVED_NAME_BYTES",
    "SCENES_DIR",
    "WGS84_ID",
    "OffChannel",
    "RunState",
    "SceneFindings",
    "changed_warnings",
    "dates_digest",
    "earlier_key_values",
    "manifest_names",
    "process_identity",
    "read_saved",
    "redated_warnings",
    "rivers_digest",
    "run_key",
    "run_lock",
    "saved_name",
]

SCENES_DIR = "scenes"
OffChannel = list[tuple[str, str, float, int]]
"""River lines off the channel: (scene name, river, share of points on land, points)."""


class RunState:
    """The finished scenes of one output folder."""

    def __init__(self, out: Path, key: dict[str, Any]) -> None:
        self.out = out
        self.key = key
        self.rows: dict[str, dict[str, Any]] = {}
        self.names: dict[str, str] = {}
        """Scene path → its name in the tables and under OUT/scenes/ (set by ``name_scenes``)."""
        self._written = False  # the manifest on disk holds self.rows (rows are appended to it)
        self._recorded_again = False  # a scene's row appended below an earlier row of it
        self._cwd = ""  # the working folder while adopt runs
        self.earlier_dates: str | None = None  # the --dates digest of the run resumed
        self.backend = ""  # what runs the model in this call (torch, onnxruntime)

    @classmethod
    def open(
        cls,
        out: Path,
        key: dict[str, Any],
        *,
        overwrite: bool,
        earlier: Mapping[str, str] | None = None,
    ) -> RunState:
        """The state of ``out``: resumed when its key matches, fresh with ``overwrite``.
        ``earlier``: what an earlier version of this tool put in the key for values it now
        works out otherwise (:func:`detector.run_key.earlier_key_values`), taken as the same."""
        state = cls(out, key)
        key_path = out / KEY_NAME
        if key_path.is_file() and not overwrite:
            previous = read_key(key_path)
            # not compared: rows for new scenes added to a --dates table were refused with
            # the run; each scene's date is (forget_redated)
            state.earlier_dates = previous.pop(DATES_KEY, None)
            key = {k: v for k, v in key.items() if k != DATES_KEY}
            for name, value in (earlier or {}).items():
                if previous.get(name) == value:  # resumed as that version resumed it
                    previous[name] = key.get(name)
            if previous != json.loads(json_text(key, default=str)):
                changed = sorted(
                    k for k in set(previous) | set(key) if previous.get(k) != key.get(k)
                )
                again = ""
                if changed == ["rivers_sha256"]:  # a centerline corrected: detections may stand
                    detections: Path | str = out / "detections.parquet"
                    if not Path(detections).is_file():  # a run stopped before its outputs
                        detections = f"{out / SCENES_DIR}/*.parquet"  # were placed together
                    again = (
                        "; to recount on the new rivers without detecting again (detections "
                        f"stay those of the old corridors): dredge track {detections} "
                        "--rivers NEW --scenes SCENES --out TRACKS, then dredge counts TRACKS"
                    )
                raise DredgeError(
                    f"{out}: holds a run made with other settings ({', '.join(changed)}) — "
                    f"choose another --out, or pass --overwrite to start it again{again}"
                )
            state.rows = read_manifest(out / MANIFEST_NAME)
        elif overwrite:
            state.clear()
        return state

    def adopt(self, paths: Sequence[str]) -> None:
        """Take finished scenes recorded under another spelling of the same file (relative or
        absolute, through a link; a signed link signed again, ``…/a.tif?token=b``: Planet's
        links expire, so a run resumed needs fresh ones; a Data API link ``…/download?token=b``
        of the STAC item whose id the scene was named by) as the paths given now, which the
        manifest records from then on (:func:`detector.scene_sources.file_key`). A row is known
        by the file it named when it was recorded (``file``), not by its path as typed: given
        again from another folder, ``a.tif`` of ``2024-02/`` was taken for ``a.tif`` of
        ``2024-01/`` and skipped (NICFI quads of two months share file names)."""
        wanted = set(paths)
        moved = False
        self._cwd = os.getcwd()  # once: a call for each of 24,000 scenes took 0.3 s
        for recorded in [path for path in self.rows if path in wanted]:
            then, named = self._files_of(recorded)
            if then != named and then not in self.rows:  # another file now
                self.rows[then] = {**self.rows.pop(recorded), "scene": then}
                moved = True
        given = {file_key(path): path for path in paths if path not in self.rows}
        # a link that names no file (Planet's …/download?token=…) is its STAC item's scene
        items = {ITEM_NAMES[path]: path for path in paths if path in ITEM_NAMES}
        for recorded in list(self.rows):
            if recorded in wanted:  # given as recorded: its own scene, not a fresh link's
                continue
            now = given.get(self._file_of(recorded))
            if now is None and is_remote(recorded) and not names_raster_file(recorded):
                now = items.get(str(self.rows[recorded].get("name")))
            if now is not None and now not in self.rows:
                self.rows[now] = {**self.rows.pop(recorded), "scene": now}
                moved = True
        for path in wanted & set(self.rows):  # moved with the run: its file is where it is now
            then = str(self.rows[path].get("file") or "")
            if then and self._file_of(path) != then:
                self.rows[path]["file"] = file_key(path)
                moved = True
        if moved:
            self._write_manifest()

    def _file_of(self, recorded: str) -> str:
        """The file (:func:`~detector.scene_sources.file_key`) a recorded scene's path named when
        it was recorded, where a file is still there; else (no such column, or scenes moved with
        the run to another disk or folder: it was refused) the one its path names now."""
        return self._files_of(recorded)[0]

    def _files_of(self, recorded: str) -> tuple[str, str]:
        """(:meth:`_file_of`, the file the path names now); the recorded file's own path (no
        ``..``) is not resolved again (0.65 s on a resume of 24,000 scenes given as before)."""
        then = str(self.rows[recorded].get("file") or "")
        if then and ".." not in recorded.split(os.sep):  # (abspath, with one getcwd)
            if os.path.normpath(os.path.join(self._cwd, recorded)) == then:
                return then, then
        now = file_key(recorded)
        if then and then != now and another_file_there(then, now):
            return then, now
        return now, now

    def forget_redated(self, dates: Mapping[str, datetime]) -> list[str]:
        """Forget the finished scenes whose detections carry another time than ``dates`` now
        gives them (``--dates``, a STAC item's ``datetime``), so that they are detected again,
        and return them. A STAC search saved again with a corrected ``datetime``, or scenes run
        from a folder and then through STAC items that date them otherwise, resumed with the
        detections of the old date, without a word: tracks and counts other than a run made at
        once on the new dates. A scene without detections carries no date (the tracker dates it
        by ``dates``). A row with detections written before the manifest kept their date is
        detected again when the ``--dates`` table is not the one of the run resumed (such a
        run was refused then: adding rows for new scenes to the table was too). So is a scene
        that the run resumed may have dated by its table, given no date now (its row dropped,
        or the table left out), whose own time (sidecar, name) is not its detections': they
        kept the old row's date without a word. Their saved detections are removed, as
        :meth:`forget_changed` does: if detecting one again fails, its old-date detections
        stayed in ``OUT/scenes`` for ``dredge track OUT/scenes/*.parquet`` to read."""
        again = []
        table_changed = self.earlier_dates != self.key.get(DATES_KEY)
        for path, when in dates.items():
            row = self.rows.get(path)
            if row is None or row["status"] != "done":
                continue
            recorded = str(row.get("date") or "")
            if not recorded:
                if table_changed and has_detections(row):  # an older manifest's row
                    again.append(path)
                    self._forget(path)
                continue
            carried, given = recorded_time(recorded), to_utc(when)
            if carried is None:  # a cell edited out of shape: its date is not known
                same = False
            elif is_day_only(when):  # a day alone keeps the scene's own time of that day
                same = carried.date() == given.date()
            else:
                same = abs((carried - given).total_seconds()) < 1
            if not same:
                again.append(path)
                self._forget(path)
        for path, row in list(self.rows.items()) if table_changed and self.earlier_dates else ():
            if path not in dates and row["status"] == "done" and dated_otherwise(path, row):
                again.append(path)
                self._forget(path)
        return again

    def forget_changed(self, paths: Sequence[str]) -> tuple[list[tuple[str, str]], int]:
        """Forget the finished local scenes among ``paths`` whose file is not the one detected
        (its :func:`~detector.run_manifest.scene_fingerprint` differs: a scene delivered or
        exported again under the same path), and remove their saved detections, so that they
        are detected again and their old detections are never read beside the new ones (a
        resumed run kept the old detections without a word, and never looked at the new
        file). Returns (scene, how it changed) and how many finished scenes had no fingerprint
        (a manifest of an earlier version): those are taken as detected from the files there
        now, whose fingerprints are recorded from then on. A file of the size and modification
        time recorded with its fingerprint is not read (it read 128 KiB of each); a copy of the
        run and its scenes (other times, the same bytes) is read once, found the same file, and
        its new times recorded."""
        changed: list[tuple[str, str]] = []
        unrecorded = 0
        for path in paths:
            row = self.rows.get(path)
            if row is None or row["status"] != "done" or is_remote(path):
                continue
            recorded = str(row.get("fingerprint") or "")
            if unchanged_since(path, recorded, str(row.get("mtime_ns") or "")):
                continue  # its size and time as recorded: not read
            now, mtime_ns = scene_stamp(path)
            if not now:  # gone or unreadable: told before any work, or when it is read
                continue
            how = fingerprint_change(recorded, now)
            if how:
                self._forget(path)
                changed.append((path, how))
                continue
            unrecorded += recorded != now  # none (an earlier version's row), or out of shape
            row.update(fingerprint=now, mtime_ns=mtime_ns)  # written when the run starts
        return changed, unrecorded

    def _forget(self, path: str) -> None:
        """Drop a finished scene's row and remove its saved detections: it is detected again."""
        self.scene_file(path).unlink(missing_ok=True)
        del self.rows[path]

    def clear(self) -> None:
        """Forget every finished scene (``--overwrite``): remove the run's own files, the saved
        detections (``OUT/scenes/*.parquet``) and their temporaries, never another file there.
        The whole ``OUT/scenes/`` folder was deleted: ``dredge run project/scenes --out project
        --overwrite`` deleted the analyst's imagery, sidecars and all, then failed every scene
        as 'file not found'."""
        saved = self.out / SCENES_DIR
        if saved.is_dir():
            remove_temporaries(saved)
            for file in saved.glob("*.parquet"):
                file.unlink(missing_ok=True)
            with suppress(OSError):  # holds other files: they stay
                saved.rmdir()
        for name in (KEY_NAME, MANIFEST_NAME):
            (self.out / name).unlink(missing_ok=True)
        self.rows = {}
        self._written = self._recorded_again = False  # the next row starts the file again

    def start(self) -> None:
        """Remove what interrupted writes left, then write the run key (before any scene)."""
        for folder in (self.out, self.out / SCENES_DIR):
            remove_temporaries(folder)
        text = json_text(self.key, indent=2, default=str) + "\n"
        write_text_atomic(self.out / KEY_NAME, text)
        if self.rows:  # one row per scene, without a row a killed run left cut short
            self._write_manifest()

    def name_scenes(self, paths: Sequence[str]) -> dict[str, str]:
        """Name each scene (its file name, or a label where scenes share one; see
        :func:`detector.acquisition.scene_labels`); scenes named in an earlier run keep their
        name."""
        taken = {path: str(row["name"]) for path, row in self.rows.items()}
        self.names = scene_labels(paths, taken=taken)
        return self.names

    def scene_name(self, path: str) -> str:
        row = self.rows.get(path)
        return str(row["name"]) if row else self.names.get(path, scene_file_name(path))

    def scene_file(self, path: str) -> Path:
        return self.out / SCENES_DIR / saved_name(self.scene_name(path))

    def is_done(self, path: str) -> bool:
        """True when ``path`` finished in an earlier run and its detections are on disk."""
        row = self.rows.get(path)
        return bool(row and row["status"] == "done" and self.scene_file(path).is_file())

    def done_besides(self, paths: Sequence[str]) -> list[str]:
        """Finished scenes whose detections are on disk that are not among ``paths``."""
        asked = set(paths)
        return [path for path in self.rows if path not in asked and self.is_done(path)]

    def refuse_others(self, paths: Sequence[str]) -> None:
        """DredgeError where finished scenes are not among ``paths``: the run's tables would be
        made again without them. Where a relative path given names, from here, another file
        than the one a finished scene under that path named, still there (a plain copy of the
        project, the first kept; the run started from another folder), one line says so and
        what to do: it asked to 'give the earlier scenes too', which the user had, by path."""
        besides = self.done_besides(paths)
        by_name: dict[str, list[str]] = {}
        for path in paths:
            if not is_remote(path) and not os.path.isabs(path) and not self.is_done(path):
                by_name.setdefault(os.path.basename(os.path.normpath(path)), []).append(path)
        for done in besides:
            then = str(self.rows[done].get("file") or done)
            for given in by_name.get(os.path.basename(then), []):
                start = then.removesuffix(os.sep + os.path.normpath(given))
                if start != then and os.path.exists(then):
                    raise InputError(
                        given,
                        f"is another file than the one the run in {self.out} finished under "
                        f"this path ({then}, still there: a copy of the scenes, or another "
                        "folder's?)",
                        f"run it from {start}, where it was started, or give the scenes it "
                        "finished (a run moved whole, or copied with `cp -al`, resumes); to "
                        "detect these files, choose another --out, or pass --overwrite",
                    )
        if besides:
            raise DredgeError(
                f"{self.out}: holds {count_of(len(besides), 'finished scene')} that "
                f"{agree(len(besides), 'is', 'are')} not among the scenes given (e.g. "
                f"{besides[0]}), and its tables would be made again without "
                f"{agree(len(besides), 'it', 'them')} — to add scenes to this run give the "
                "earlier scenes too (e.g. both folders), or choose another --out, or pass "
                "--overwrite to start it again"
            )

    def failed(self) -> list[tuple[str, str]]:
        return [(p, str(r["error"])) for p, r in self.rows.items() if r["status"] == "failed"]

    def record(
        self,
        path: str,
        frame: gpd.GeoDataFrame | None,
        error: str | None,
        *,
        coarse_gsd_m: float | None = None,
        off_channel: Sequence[tuple[str, float, int]] = (),
    ) -> None:
        """Save one scene's detections (atomically), then append its row to the manifest.
        ``coarse_gsd_m``: its pixel size when much coarser than the model's; ``off_channel``:
        (river, share, points) of the river lines off the channel in it."""
        flags: dict[str, Any] = {}
        if coarse_gsd_m is not None:
            flags["coarse_gsd_m"] = coarse_gsd_m
        if off_channel:
            flags["off_channel"] = [list(found) for found in off_channel]
        if frame is not None:
            write_atomic(self.scene_file(path), lambda tmp: frame.to_parquet(tmp))
        again = path in self.rows
        self.rows[path] = {
            "scene": path,
            "name": self.scene_name(path),
            "status": "failed" if error else "done",
            "detections": 0 if frame is None else len(frame),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "error": error or "",
            "flags": json_text(flags, ensure_ascii=False) if flags else "",
            "date": carried_date(frame),
            "file": "" if is_remote(path) else file_key(path),
            "backend": "" if error else self.backend,
        }
        stamp = ("", "") if error or is_remote(path) else scene_stamp(path)
        self.rows[path]["fingerprint"], self.rows[path]["mtime_ns"] = stamp
        if not self._written:  # the first row of this run: the header and the rows before it
            self._write_manifest()
            return
        append_line(self.out / MANIFEST_NAME, manifest_line(self.rows[path]))
        self._recorded_again |= again

    def tidy(self) -> None:
        """Write the manifest whole again where a scene recorded in an earlier run (failed, or
        done but its file lost) was recorded again in this one, below its earlier row: one row
        per scene. The manifest was written whole after each scene, which at 24,000 scenes
        took longer than detecting them."""
        if self._recorded_again:
            self._write_manifest()

    def flags(self, paths: Sequence[str]) -> tuple[list[tuple[str, float]], OffChannel]:
        """What the scenes among ``paths`` were found to warn of, in this run or an earlier
        one: (scene name, pixel size) of those much coarser than the model, and the river
        lines off the channel (:func:`detector.on_water.off_channel_warnings`)."""
        coarse: list[tuple[str, float]] = []
        off: OffChannel = []
        for path in paths:
            row = self.rows.get(path)
            text = str(row.get("flags") or "") if row else ""
            if not text:  # none, or a manifest written before flags were kept
                continue
            try:  # a cell edited by hand out of shape: the warnings only, passed over
                found = json.loads(text)
            except ValueError:
                continue
            if not isinstance(found, dict):
                continue
            name = str(row["name"]) if row else ""
            if "coarse_gsd_m" in found:
                coarse.append((name, float(found["coarse_gsd_m"])))
            off += [(name, str(r), float(s), int(n)) for r, s, n in found.get("off_channel", [])]
        return coarse, off

    def backends(self, paths: Sequence[str]) -> list[str]:
        """The backends that detected the finished scenes among ``paths`` (none for a row of a
        manifest written before they were kept)."""
        rows = [self.rows.get(path) for path in paths if self.is_done(path)]
        return sorted({str(row.get("backend") or "") for row in rows if row} - {""})

    def _write_manifest(self) -> None:
        table = pd.DataFrame(list(self.rows.values()), columns=list(MANIFEST_COLUMNS))
        write_atomic(self.out / MANIFEST_NAME, lambda tmp: table.to_csv(tmp, index=False))
        self._written = True
        self._recorded_again = False

    def detections(self, paths: Sequence[str]) -> list[pd.DataFrame]:
        """The saved detections of the finished scenes among ``paths``, in that order (for
        :func:`detector.detection_table.concat_detections`: EPSG:4326, as every scene's is
        saved)."""
        return [read_saved(self.scene_file(p)) for p in paths if self.is_done(p)]
