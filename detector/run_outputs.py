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
from detector.inputspec import InputSpec
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


INPUT_KEYS = ("bands", "gsd_m", "tile_px", "overlap_px", "scale")
NOT_A_MODEL_CARD = "not a ModelCard: the detector's own card, with no weights or sha256"
"""run.json's ``model.card`` where the detector's card was of another kind (:func:`_card_json`)."""


def is_model_card(recorded: Any) -> bool:
    """Whether run.json's ``model`` is a ModelCard's (not None, nor what :func:`_card_json`
    recorded of a card of another kind, which is no card `dredge review` can cut tiles by)."""
    return isinstance(recorded, dict) and recorded.get("card") != NOT_A_MODEL_CARD


def _card_json(card: Any) -> dict[str, Any] | None:
    """The model card as run.json records it: a :class:`ModelCard`'s :meth:`~ModelCard.to_dict`;
    for a card of another kind (a detector made from Python with its own card object), what it
    has of a name, classes and input (bands, GSD, …), looked up by name. Such a card was
    recorded as ``null``: the report said "model ?" and cut its chips in red, green, blue at
    3 m, not in the model's bands and resolution. None for no card."""
    if isinstance(card, ModelCard):
        return card.to_dict()
    if card is None:
        return None
    data: dict[str, Any] = {"card": NOT_A_MODEL_CARD}
    name = getattr(card, "name", None)
    if name is not None:
        data["name"] = str(name)
    classes = getattr(card, "classes", None)
    if isinstance(classes, list | tuple) and classes:
        data["classes"] = [str(c) for c in classes]
    spec = _input_json(getattr(card, "input", None))
    if spec:
        data["input"] = spec
    return data


def _input_json(spec: Any) -> dict[str, Any] | None:
    """A duck-typed card's input as a ModelCard records it: the keys it has, where they make
    an :class:`InputSpec` (else None: the report falls back to its own chips)."""
    if spec is None:
        return None
    found = {key: getattr(spec, key) for key in INPUT_KEYS if getattr(spec, key, None) is not None}
    if "bands" not in found:
        return None
    try:
        made = InputSpec(**{**found, "bands": tuple(str(b) for b in found["bands"])})
    except (DredgeError, TypeError, ValueError):
        return None
    return {key: _plain(getattr(made, key)) for key in found}


def _plain(value: Any) -> Any:
    """A value as JSON writes it (a tuple of bands as a list, numpy numbers as Python's)."""
    if isinstance(value, tuple):
        return list(value)
    return value.item() if hasattr(value, "item") else value
