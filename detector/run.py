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
stopped at any moment leaves the earlier run's set or its own, never some of each.
"""

from __future__ import annotations

import platform
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from detector import __version__
from detector.acquisition import is_remote
from detector.card import ModelCard
from detector.chips import failures_writer
from detector.cluster import (
    SceneTask,
    check_scheduler,
    dask_client,
    detect_on_cluster,
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
from detector.errors import DredgeError, InputError, OutputError
from detector.exports import write_counts
from detector.json_text import json_text
from detector.model import DEFAULT_CONF, Detector, load_model
from detector.on_water import DEFAULT_MAX_LAND, off_channel_warnings
from detector.rivers import DEFAULT_CORRIDOR_M, RiverNetwork
from detector.run_key import KEY_NAME, dates_digest, earlier_key_values, run_key
from detector.run_lock import run_lock
from detector.run_manifest import manifest_names
from detector.run_state import RunState, SceneFindings, changed_warnings, redated_warnings
from detector.scene_sources import require_scenes
from detector.track_pipeline import run_counts, run_track
from detector.tracking import TrackParams
from detector.wording import count_of, part_of
from detector.writing import (
    inside,
    looked_at,
    output_error,
    place_from,
    put_back_set_aside,
    write_atomic,
    write_text_atomic,
)

RUN_FILES = (
    "detections.parquet",
    "failures.csv",
    "tracks.parquet",
    "tracks.detections.parquet",
    "tracks.observations.csv",
    "counts.csv",
    "counts.json",
    "counts.png",
    "dredges.gpkg",
    "dredges.geojson",
    "dredges.detections.geojson",
    "dredges.kml",
    "run.json",
    "report.html",
)
STAGING = ".dredge-run.partial"
"""Where a run makes its outputs before they are placed in OUT together (:func:`_staged`)."""


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


def check_out(out: Path, *, overwrite: bool) -> None:
    """DredgeError when ``out`` holds outputs that are not a resumable run (and no overwrite),
    or its path is past the system's limit (an OSError traceback of ``out.exists()``)."""
    with looked_at(out):
        if out.exists() and not out.is_dir():
            raise DredgeError(f"{out}: is a file; --out must be a folder")
    above = next((p for p in out.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise DredgeError(
            f"{above}: is a file, so --out {out} cannot be made — choose another --out"
        )
    taken = [name for name in RUN_FILES if (out / name).exists()]
    if taken and not overwrite and not (out / KEY_NAME).is_file():
        raise DredgeError(
            f"{out}: holds a previous run ({', '.join(taken[:3])}…) — choose another --out, "
            "or pass --overwrite to replace it"
        )


def run_pipeline(
    scenes: Sequence[str | Path],
    rivers: Path,
    out: Path,
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
    (``local`` or a Dask scheduler address) or ``workers`` > 1 runs the scenes as tasks on a
    Dask cluster (:mod:`detector.cluster`) with the same results. ``dates`` (scene path, file
    name, stem or label → time, as ``--dates`` reads them) wins over the scenes' own dates and
    STAC's.
    """
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
    with output_errors(out), _working_in(out, command):
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
            warn(notes[-1])
        if coarse:
            warn_and_note(coarse_note(coarse, detector.card))
        for line in off_channel_warnings(off_channel, network.corridor_m):
            warn_and_note(line)
        timings["detect_s"] = time.monotonic() - started
        with _staged(out) as staging:  # all placed in out at its end, or none (a kill)

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
            for note in tracked_notes:
                warn(note)
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


@contextmanager
def output_errors(out: Path) -> Iterator[None]:
    """Report a write into ``out`` that failed (disk full, not writable) as one line.

    :class:`OutputError` from :func:`~detector.writing.write_atomic` gets the reminder that the
    finished scenes are kept; an OSError of a write outside it (a folder made, a file removed)
    naming a path in ``out`` becomes one. Other errors pass through.
    """
    try:
        yield
    except OutputError as exc:
        raise _scenes_kept(exc, out) from exc
    except OSError as exc:
        target = Path(exc.filename) if isinstance(exc.filename, str | Path) else None
        error = output_error(exc, target) if target and inside(target, out) else None
        if error is None:
            raise
        raise _scenes_kept(error, out) from exc


@contextmanager
def _working_in(out: Path, command: str) -> Iterator[None]:
    """Make ``out`` and hold its lock while the run works (:func:`run_lock`: one run at a time
    in a folder); remove ``out`` again if this run made it and stopped before writing anything
    into it (an ambiguous ``--dates`` table, a refused resume): no empty folder is left."""
    made = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        with run_lock(out, command):
            yield
    except BaseException:
        if made and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise


def _scenes_kept(error: OutputError, out: Path) -> OutputError:
    """``error`` with the reminder that the finished scenes are kept, its file named where it
    goes (``OUT/counts.csv``), not where it was being made (:func:`_staged`)."""

    def placed(text: str) -> str:
        return text.replace(str(out / STAGING), str(out))

    fix = f"{placed(error.fix)}; finished scenes are kept"
    return OutputError(placed(error.path), placed(error.problem), fix)


@contextmanager
def _staged(out: Path) -> Iterator[Path]:
    """A folder in ``out`` (:data:`STAGING`) for the run's outputs (:data:`RUN_FILES`) while
    they are made (they read one another), moved into ``out`` together at the end
    (:func:`detector.writing.place_from`): stopped at any moment (Ctrl-C, SIGTERM, a kill),
    ``out`` holds the earlier run's outputs or this one's, never some of each. Written in
    place one after the other, a run stopped after its detections left them beside the earlier
    run's tracks, counts, run.json and report until it was run again."""
    staging = out / STAGING
    shutil.rmtree(staging, ignore_errors=True)  # what a killed run left
    staging.mkdir()
    try:
        yield staging
        place_from(staging, out, RUN_FILES)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
        echo(f"dask: {count_of(len(paths), 'scene task')} on {scheduler} ({_describe(client)})")
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


def run_manifest(
    scenes: Sequence[str],
    failures: Sequence[Failure],
    *,
    rivers: Path,
    card: Any,
    parameters: dict[str, Any],
    timings: dict[str, float],
    command: str,
    notes: Sequence[str] = (),
    resumed: int = 0,
) -> dict[str, Any]:
    """What a run was given and used: enough to repeat it and to judge its output.
    ``resumed``: scenes finished by an earlier call into the same folder and not detected
    again, whose time is not in ``timings_s`` (a resumed run of 6 scenes, 5 of them done
    before, gave ``detect_s`` 0.03 without a word of it)."""
    import torch

    from detector.offline import import_ultralytics

    ultralytics = import_ultralytics()

    return {
        "format": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "cwd": str(Path.cwd()),  # where relative scene paths start (`dredge review` from elsewhere)
        "scenes": list(scenes),
        "resumed_scenes": resumed,
        "failures": [{"scene": path, "error": error} for path, error in failures],
        "notes": list(notes),
        "rivers": str(rivers),
        "parameters": parameters,
        "model": _card_json(card),
        "timings_s": {key: round(value, 2) for key, value in timings.items()},
        "versions": {
            "dredge": __version__,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "ultralytics": ultralytics.__version__,
        },
    }


def _card_json(card: Any) -> dict[str, Any] | None:
    return card.to_dict() if isinstance(card, ModelCard) else None
