"""The run folder of `dredge train LABELS... --out RUN` (:mod:`training.finetune`): its file
names, whether ``--out`` may be written or replaced (:func:`check_run_dir`), and the
``.<RUN>.partial`` folder a stopped or concurrent run leaves."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from detector.errors import DredgeError
from detector.run_lock import run_lock
from detector.wording import count_of
from detector.writing import put_back_folder_set_aside

WEIGHTS_NAME = "model.pt"
CARD_NAME = "model.card.json"
MANIFEST_NAME = "run.json"


def check_run_dir(
    out: Path, overwrite: bool, inputs: Sequence[tuple[str | Path, str]] = ()
) -> None:
    """DredgeError unless ``out`` is new, empty, or (with ``overwrite``) a finished run that
    holds none of the run's ``inputs`` ((path, what it is) pairs): the whole folder is replaced,
    and labels kept in it, or the model it starts from, were deleted without a word."""
    put_back_folder_set_aside(out)  # a run killed while it replaced the previous one
    if not out.exists():
        return
    if not out.is_dir():
        raise DredgeError(f"{out}: exists and is not a folder — choose another --out")
    if not any(out.iterdir()):
        return
    if not overwrite:
        raise DredgeError(f"{out}: folder is not empty — choose another --out, or pass --overwrite")
    if not (out / MANIFEST_NAME).is_file():
        raise DredgeError(
            f"{out}: --overwrite only replaces a run folder written by `dredge train` "
            f"(it has no {MANIFEST_NAME}); choose another --out"
        )
    if not _is_train_manifest(out / MANIFEST_NAME):
        # `dredge run` writes a run.json too: its detections, tracks and counts were deleted
        raise DredgeError(
            f"{out}: --overwrite only replaces a run folder written by `dredge train`, and its "
            f"{MANIFEST_NAME} is another command's (a `dredge run`: detections, tracks, counts); "
            "choose another --out"
        )
    for path, what in inputs:
        if _lies_in(path, out):
            raise DredgeError(
                f"{out}: --overwrite would delete {path} ({what}) with the previous run — move "
                f"it out of {out} first, or choose another --out"
            )


def _is_train_manifest(path: Path) -> bool:
    """Whether ``path`` is the manifest of a `dredge train` run (it names the weights)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    outputs = data.get("outputs") if isinstance(data, dict) else None
    return isinstance(outputs, dict) and outputs.get("weights") == WEIGHTS_NAME


def _lies_in(given: str | Path, folder: Path) -> bool:
    """Whether the path ``given`` (a glob: its folder) is ``folder`` or lies inside it."""
    text = str(given)
    if "://" in text:
        return False
    parts = Path(text).expanduser().parts
    fixed = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), None)
    kept = parts if fixed is None else parts[:fixed]
    path = Path(*kept) if kept else Path()
    root, resolved = folder.resolve(), path.resolve()
    return resolved == root or root in resolved.parents


def stopped_run_line(partial: Path) -> str:
    """The note for a ``partial`` folder left by a training that was killed (SIGKILL, the
    out-of-memory killer, a power cut): it is deleted and the run starts over, and the note
    says so, with the epochs it had done (its ``yolo/results.csv``). It was deleted without a
    word: a run typed again to go on started over from the first epoch, unannounced."""
    try:
        rows = (partial / "yolo" / "results.csv").read_text(encoding="utf-8").strip()
        done = max(0, len(rows.splitlines()) - 1)
    except (OSError, UnicodeDecodeError):
        done = 0
    when = f"after {count_of(done, 'epoch')}" if done else "before its first epoch ended"
    return (
        f"note: {partial}: left by a training that was stopped {when} — removed; this run "
        "starts again from the first epoch (a stopped training is not resumed)"
    )


def refuse_if_working(partial: Path, command: str) -> None:
    """DredgeError in one line when a training into the same --out works in ``partial`` (the
    command typed again in another terminal): deleting its folder ended it in a traceback, its
    work lost. Checked again just before a left folder is deleted: a training begun while this
    one read its labels was deleted with it."""
    if partial.is_dir():
        with run_lock(partial, command):
            pass
