"""JSON as the tool writes it: strict JSON, a number that is not finite (NaN, ±inf) as null.

Python's ``json.dumps`` writes a NaN as a bare ``NaN``, which is not JSON: CVAT, Label Studio
and every strict parser refuse the file (a hand-made detections table with an empty score gave
a review folder neither tool would import). Every JSON file the tool writes goes through
:func:`json_text`, so a NaN can never slip out again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def finite(value: Any) -> Any:
    """``value`` with every float that is not finite (in dicts, lists, tuples) as None."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def json_text(data: Any, **options: Any) -> str:
    """``json.dumps(data, **options)`` as strict JSON: a NaN or infinity is written null."""
    return json.dumps(finite(data), allow_nan=False, **options)
