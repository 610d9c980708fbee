"""A run's key: ``OUT/run_key.json``, what its detections depend on.

The model's sha256 and input, the score threshold, the flipped views, the land share
(``--max-land``), the rivers file, its name column and corridor, the scene band names: a run
resumed with another key is refused unless
``--overwrite`` is given (:meth:`detector.run_state.RunState.open`). The ``--dates`` table's
digest (:data:`DATES_KEY`) is kept too, but not compared: scenes' dates are, one by one
(:meth:`detector.run_state.RunState.forget_redated`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from detector.card import ModelCard, file_sha256
from detector.errors import InputError, first_line
from detector.river_inputs import rivers_digest, shapefile_parts

KEY_NAME = "run_key.json"
DATES_KEY = "dates_sha256"


def read_key(path: Path) -> dict[str, Any]:
    """A run key, as written: a JSON object (else one line: a JSONDecodeError is a ValueError,
    which ``dredge run`` reports as a fault, with its traceback)."""
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        key = exc
    if not isinstance(key, dict):
        problem = f" ({first_line(key)})" if isinstance(key, Exception) else ""
        raise InputError(
            path,
            f"cannot be read as a run key{problem}",
            "pass --overwrite to start the run again, or choose another --out",
        )
    return key


def run_key(card: Any, parameters: dict[str, Any], rivers: Path) -> dict[str, Any]:
    """What a run's detections depend on (compared when a run resumes)."""
    return {
        "model_sha256": getattr(card, "sha256", None),
        "model_input": card.to_dict()["input"] if isinstance(card, ModelCard) else None,
        "rivers_sha256": rivers_digest(rivers),
        **parameters,
    }


def earlier_key_values(rivers: Path) -> dict[str, str]:
    """Values of a run key as an earlier version wrote them, where they differ: the digest of
    a Shapefile's ``.shp`` alone (a run it began resumes, as it did then)."""
    if rivers.is_file() and shapefile_parts(rivers):
        return {"rivers_sha256": file_sha256(rivers)}
    return {}


def dates_digest(dates: Mapping[str, datetime]) -> str:
    """sha256 of a scene → date table: kept in the run key, not compared on resuming (a
    scene's date is, :meth:`~detector.run_state.RunState.forget_redated`), but for the scenes
    of a manifest written before it kept their dates."""
    lines = sorted(f"{name}={when.isoformat()}" for name, when in dates.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
