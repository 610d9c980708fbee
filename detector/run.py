"""One command from scenes to counts: detect → track → counts, the exports and the report.

``dredge run SCENES --rivers RIVERS --out OUT`` (and :func:`run_pipeline`) writes into OUT:

=========================  ===============================================================
``detections.parquet``     every detection (GeoParquet, EPSG:4326; see :mod:`detector.detect`)
``failures.csv``           scenes that could not be used: ``scene,error`` (header only if none)
``tracks.parquet``         one row per dredge track (:mod:`detector.tracking`), with
                           ``tracks.detections.parquet`` (detections with their track) and
                           ``tracks.observations.csv`` (dates each river was seen)
``counts.csv``/``.json``   unique and new dredges per river and year (:mod:`detector.counts`)
``counts.png``             the counts as a chart
``dredges.gpkg``           layers ``dredges`` and ``detections`` (QGIS)
``dredges.geojson``        the dredges (``dredges.detections.geojson``: their detections)
``dredges.kml``            one placemark per dredge with its dates (Google Earth)
``run.json``               inputs, parameters, model card, versions, timings, failures
``report.html``            one self-contained page: maps, chart, table, chips, inputs
=========================  ===============================================================

Scenes that fail are listed in ``failures.csv`` and the report; the others complete.

Runs resume (:mod:`detector.run_state`): each finished scene is saved in ``OUT/scenes/`` and
``OUT/manifest.csv`` as it completes, so rerunning the same command after an interruption
skips finished scenes, retries failed ones and ends with the same tables as an uninterrupted
run; a finished scene whose file was replaced since (another size, other bytes at its start or
end) is detected again, with a warning. Tracking, counts, exports and the report are rebuilt
from all scenes each time (seconds).

One run at a time works in a folder (``OUT/.dredge-run.lock``,
:func:`detector.run_lock.run_lock`); a second one stops with one line.

Every file is written whole (:mod:`detector.writing`): a disk that fills up or a folder that
becomes read-only stops the run with one line naming the file and the fix; the files already
written stay whole, and the same command, once there is space, finishes the run. The outputs
above are made in ``OUT/.dredge-run.partial/`` and moved into OUT together at the end, so a run
stopped at any moment leaves the earlier run's set or its own, never some of each
(:mod:`detector.run_outputs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from detector.acquisition import is_remote
from detector.card import ModelCard
from detector.chips import failures_writer
from detector.cluster import (
    SceneTask,
    check_scheduler,
    dask_client,
    detect_on_cluster,
    scheduler_label,
    worker_path,
)
from detector.counts import read_river_table
from detector.detect import (
    Failure,
    coarse_note,
    concat_detections,
    detect_scenes,
    write_detections,
)
from detector.errors import DredgeError, InputError
from detector.exports import write_counts
from detector.json_text import json_text
from detector.model import DEFAULT_CONF, Detector, load_model
from detector.on_water import DEFAULT_MAX_LAND, off_channel_warnings
from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork
from detector.run_key import dates_digest, earlier_key_values, run_key
from detector.run_manifest import manifest_names
from detector.run_outputs import (
    RUN_FILES,
    STAGING,
    check_out,
    output_errors,
    run_manifest,
    staged,
    working_in,
)
from detector.run_state import RunState, SceneFindings, changed_warnings, redated_warnings
from detector.scene_sources import require_scenes
from detector.track_pipeline import run_counts, run_track
from detector.tracking import TrackParams
from detector.wording import count_of, part_of
from detector.writing import (
    put_back_set_aside,
    write_atomic,
    write_text_atomic,
)

__all__ = [  # with the output folder's names (detector.run_outputs), imported from here
    "RUN_FILES",
    "STAGING",
    "RunResult",
    "check_out",
    "output_errors",
    "run_manifest",
    "run_pipeline",
]


@dataclass
class RunResult:
    """What a run wrote and found."""

    out: Path
    scenes: list[str]
    failures: list[Failure]
    detections: int
    tracks: int
    counted: int
    counts: pd.DataFrame
    report: Path
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every scene was used."""
        return not self.failures


def run_pipeline(
    scenes: Sequence[str | Path] | str | Path,
    rivers: str | Path,
    out: str | Path,
    *,
    model: Detector | str | Path | None = None,
    conf: float = DEFAULT_CONF,
    batch: int = 16,
    device: str = "cpu",
    backend: str = "auto",
    flips: bool = True,
    max_land: float | None = DEFAULT_MAX_LAND,
    scene_bands: Sequence[str] | None = None,
    dates: Mapping[str, datetime] | None = None,
    corridor_m: float = DEFAULT_CORRIDOR_M,
    name_field: str = "name",
    count_score: float = TrackParams.count_score,
    max_static_days: float = TrackParams.max_static_days,
    overwrite: bool = False,
    scheduler: str | None = None,
    workers: int = 1,
    progress: bool = True,
    command: str = "",
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> RunResult:
    """Detect, track and count; write everything listed in the module notes into ``out``.

    A problem with the model, the rivers or ``out`` raises :class:`DredgeError` before any
    work; a problem with one scene is warned, recorded and the others go on. ``scheduler``
    (``local``, a Dask scheduler address or scheduler file) or ``workers`` > 1 runs the scenes
    as tasks on a Dask cluster (:mod:`detector.cluster`) with the same results. ``dates``
    (scene path, file name, stem or label → time, as ``--dates`` reads them) wins over the
    scenes' own dates and STAC's. ``scenes`` may be one path (a folder, a file, a glob, a list)
    or several; paths may be ``str`` or :class:`~pathlib.Path`.
    """
    out, rivers = Path(out), Path(rivers)  # str from a notebook: no attribute 'exists'
    if workers < 1:
        raise DredgeError(f"--workers must be at least 1, got {workers}")
    check_scheduler(scheduler)
    if workers > 1 and scheduler not in (None, "local"):  # it was ignored without a word
        raise DredgeError(
            f"--workers {workers} starts a local cluster, and --scheduler {scheduler} runs on "
            "an existing one with its own workers — give one of the two (start more workers "
            "on that cluster with `dask worker`)"
        )
    if (scheduler or workers > 1) and isinstance(model, Detector):
        raise DredgeError("a cluster run needs the model as a path, not a loaded model")
    check_out(out, overwrite=overwrite)
    sources = require_scenes(scenes)
    network = RiverNetwork.read(rivers, name_field=name_field, corridor_m=corridor_m)
    detector = (
        model
        if isinstance(model, Detector)
        else load_model(model, backend=backend, device=device, flips=flips)
    )
    notes: list[str] = [  # for the analyst: run.json, report
        *network.notes,
        *sources.notes,
        *getattr(dates, "notes", []),  # a --dates table's (a DateTable)
        *getattr(detector, "notes", []),
    ]
    for note in notes:
        warn(note)

    def warn_and_note(line: str) -> None:
        if line.startswith("warning: "):
            notes.append(line.removeprefix("warning: "))
        warn(line)

    echo(f"model: {getattr(detector, 'describe', lambda: str(detector))()}")
    card = getattr(detector, "card", None)
    detection_parameters = {
        "conf": conf,
        "flips": getattr(detector, "flips", flips),
        "max_land": max_land,
        "corridor_m": corridor_m,
        "name_field": name_field,
        "scene_bands": list(scene_bands) if scene_bands else None,
    }
    if dates:
        detection_parameters["dates_sha256"] = dates_digest(dates)
    with output_errors(out), working_in(out, command):
        put_back_set_aside(out)  # a run killed while placing its outputs: the earlier set, whole
        state = RunState.open(
            out,
            run_key(card, detection_parameters, rivers),
            overwrite=overwrite,
            earlier=earlier_key_values(rivers),
        )
        state.adopt(sources.paths)
        state.backend = str(getattr(detector, "backend", backend))
        state.refuse_others(sources.paths)  # finished scenes not given: not remade without
        names = state.name_scenes(sources.paths)
        for line in changed_warnings(*state.forget_changed(sources.paths)):  # files replaced
            warn_and_note(line)
        noted = len(sources.notes)
        scene_dates = sources.dates_with(dates, names)
        for note in sources.notes[noted:]:  # --dates rows that name no scene
            warn_and_note(f"warning: {note}")
        for warning in redated_warnings(state.forget_redated(scene_dates), scene_dates):
            warn_and_note(warning)
        todo = [path for path in sources.paths if not state.is_done(path)]
        _check_finished_scenes_there(sources.paths, todo)
        if len(todo) < len(sources.paths):
            echo(
                f"resuming {out}: "
                f"{part_of(len(sources.paths) - len(todo), len(sources.paths), 'scene')} "
                "already done"
            )
        state.start()
        timings: dict[str, float] = {}
        started = time.monotonic()
        found = SceneFindings(state)
        if scheduler or workers > 1:
            _detect_on_cluster(
                todo,
                scheduler or "local",
                workers,
                SceneTask(
                    model=None if model is None else worker_path(str(model)),
                    backend=backend,
                    device=device,
                    flips=flips,
                    max_land=max_land,
                    rivers=worker_path(str(rivers)),
                    name_field=name_field,
                    corridor_m=corridor_m,
                    conf=conf,
                    batch=batch,
                    scene_bands=tuple(scene_bands) if scene_bands else None,
                    model_digest=card.digest() if isinstance(card, ModelCard) else None,
                    rivers_sha256=state.key["rivers_sha256"],
                ),
                scene_dates,
                state.names,
                found,
                echo,
                warn,
            )
        else:
            detect_scenes(
                todo,
                network,
                model=detector,
                conf=conf,
                batch=batch,
                max_land=max_land,
                bands=scene_bands,
                dates=scene_dates or None,
                names=names,
                progress=progress,
                echo=echo,
                warn=warn_and_note,
                on_scene=found.record,
                keep=False,  # saved by found.record, read back below
                on_coarse=found.coarse,
                on_off_channel=found.off_channel,
            )
        state.tidy()  # one row per scene again where a scene was retried
        coarse, off_channel = state.flags(sources.paths)  # the earlier runs' scenes' too
        backends = state.backends(sources.paths)
        if len(backends) > 1:  # resumed with another --backend (or --device, under auto)
            notes.append(
                f"the run's scenes were detected with {' and '.join(backends)} (resumed with "
                "another --backend or --device); their scores differ by about 1e-6 (the same "
                "detections on the demo scenes)"
            )
            warn(f"note: {notes[-1]}")
        if coarse:
            warn_and_note(coarse_note(coarse, detector.card))
        for line in off_channel_warnings(off_channel, network.corridor_m):
            warn_and_note(line)
        timings["detect_s"] = time.monotonic() - started
        with staged(out) as staging:  # all placed in out at its end, or none (a kill)

            def told(line: str) -> str:  # the files' names as they will be, not as made
                return line.replace(str(staging), str(out))

            errors = dict(state.failed())  # in the order scenes finished (a cluster's)
            failures = [(path, errors[path]) for path in sources.paths if path in errors]
            frame = concat_detections(state.detections(sources.paths))
            write_detections(frame, staging / "detections.parquet")
            write_atomic(staging / "failures.csv", failures_writer(failures))
            echo(
                f"{count_of(len(frame), 'detection')} from "
                f"{count_of(len(sources.paths) - len(failures), 'scene')}"
            )

            started = time.monotonic()
            failed = {path for path, _ in failures}
            usable = [path for path in sources.paths if path not in failed]
            tracked = run_track(
                staging / "detections.parquet",
                network,  # read once (a country's layer takes seconds), its notes told above
                staging / "tracks.parquet",
                scenes=usable,
                name_field=name_field,
                corridor_m=corridor_m,
                params=TrackParams(count_score=count_score, max_static_days=max_static_days),
                dates={path: when for path, when in scene_dates.items() if path not in failed},
                names=names,
            )
            tracked_notes = [told(note) for note in tracked.notes]
            for note in tracked_notes:  # as `dredge track` prints them (it had no prefix)
                warn(f"note: {note}")
            notes += tracked_notes
            echo(told(tracked.summary))
            lines = run_counts(
                staging / "tracks.parquet",
                staging / "counts.csv",
                chart=staging / "counts.png",
                gpkg=staging / "dredges.gpkg",
                geojson=staging / "dredges.geojson",
                kml=staging / "dredges.kml",
            )
            counts = read_river_table(staging / "counts.csv")
            write_counts(counts, staging / "counts.json", "json")
            timings["track_count_s"] = time.monotonic() - started
            lines = [told(line) for line in lines]
            for line in lines:
                echo(line)
            notes += [line for line in lines if not line.startswith("wrote ")]

            tracks = pd.read_parquet(staging / "tracks.parquet", columns=["counted"])
            manifest = run_manifest(
                sources.paths,
                failures,
                rivers=rivers,
                card=card,
                parameters={
                    **detection_parameters,
                    "batch": batch,
                    "device": device,
                    "backend": getattr(detector, "backend", backend),
                    "count_score": count_score,
                    "max_static_days": max_static_days,
                },
                timings=timings,
                command=command,
                notes=notes,
                resumed=len(sources.paths) - len(todo),
            )
            text = json_text(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
            write_text_atomic(staging / "run.json", text)
            result = RunResult(
                out=out,
                scenes=sources.paths,
                failures=failures,
                detections=len(frame),
                tracks=len(tracks),
                counted=int(tracks["counted"].sum()) if len(tracks) else 0,
                counts=counts,
                report=out / "report.html",
                timings=timings,
                notes=notes,
            )
            from detector.report import write_report  # matplotlib: only when a run gets this far

            started = time.monotonic()
            write_report(staging, manifest, rivers=network, names=manifest_names(out))
            timings["report_s"] = time.monotonic() - started
        echo(f"report: {result.report}")
        return result


def _check_finished_scenes_there(paths: Sequence[str], todo: Sequence[str]) -> None:
    """InputError, before any work, when a scene of ``paths`` not in ``todo`` (finished by an
    earlier call) is no longer at its path: tracks and counts are made again from every
    scene's clear area. It stopped after detection with 'no such scene file or folder — check
    the --scenes path', an option `dredge run` does not have. (``todo`` was a list looked
    through for each scene: 12 s before any work on a fresh run of 48,000 scenes.)"""
    waiting = set(todo)
    gone = [
        path
        for path in paths
        if path not in waiting and not is_remote(path) and not Path(path).exists()
    ]
    if gone:
        more = f" ({len(gone)} of its finished scenes are not)" if len(gone) > 1 else ""
        raise InputError(
            gone[0],
            f"is no longer there{more}: a scene this run finished earlier, whose clear area "
            "its tracks and counts are made from again",
            "put the scenes back where they were and run the same command again, or start "
            "another --out with the scenes where they are now",
        )


def _detect_on_cluster(
    paths: Sequence[str],
    scheduler: str,
    workers: int,
    task: SceneTask,
    dates: dict[str, datetime],
    names: Mapping[str, str],
    found: SceneFindings,
    echo: Callable[[str], None],
    warn: Callable[[str], None],
) -> None:
    def record(path: str, frame: Any, error: str | None) -> None:
        found.record(path, frame, error)
        if error:
            warn(f"error: {error}")

    with dask_client(scheduler, workers) as client:
        echo(
            f"dask: {count_of(len(paths), 'scene task')} on {scheduler_label(scheduler)} "
            f"({_describe(client)})"
        )
        detect_on_cluster(
            client,
            paths,
            task,
            dates=dates,
            names=names,
            on_scene=record,
            on_flags=found.add,
            progress=echo,
        )


def _describe(client: Any) -> str:
    try:
        count = len(client.scheduler_info().get("workers", {}))
    except Exception:  # informational only
        return "workers unknown"
    return count_of(count, "worker")
