"""A run's output folder: what ``dredge run`` writes into OUT, and how.

Split from :mod:`detector.run` (whose names these are imported from too), which runs the
steps: the files a run writes (:data:`RUN_FILES`), the check of ``--out`` before any work
(:func:`check_out`), the folder made and locked while the run works (:func:`working_in`), the
outputs made aside and placed together (:func:`staged`), a write that failed as one line
(:func:`output_errors`), and what ``run.json`` records (:func:`run_manifest`).
"""

from __future__ import annotations

import platform
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detector import __version__
from detector.card import ModelCard
from detector.detect import Failure
from detector.errors import DredgeError, OutputError
from detector.run_key import KEY_NAME
from detector.run_lock import run_lock
from detector.writing import inside, looked_at, output_error, place_from

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
"""Where a run makes its outputs before they are placed in OUT together (:func:`staged`)."""


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
def working_in(out: Path, command: str) -> Iterator[None]:
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
    goes (``OUT/counts.csv``), not where it was being made (:func:`staged`)."""

    def placed(text: str) -> str:
        return text.replace(str(out / STAGING), str(out))

    fix = f"{placed(error.fix)}; finished scenes are kept"
    return OutputError(placed(error.path), placed(error.problem), fix)


@contextmanager
def staged(out: Path) -> Iterator[Path]:
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
