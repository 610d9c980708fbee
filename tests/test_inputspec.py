"""InputSpec refuses tile and overlap sizes that are not whole pixels, and booleans for numbers
(``True`` is an int in Python): a run.json or dataset holding them was read as if valid."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from detector.errors import UsageError
from detector.inputspec import InputSpec
from detector.run_outputs import _card_json


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"tile_px": 256.5}, "tile_px must be a whole number of pixels (e.g. 256), got 256.5"),
        ({"overlap_px": 32.5}, "overlap_px must be a whole number of pixels (e.g. 32), got 32.5"),
        ({"tile_px": True}, "tile_px must be a whole number of pixels (e.g. 256), got True"),
        ({"overlap_px": False}, "overlap_px must be a whole number of pixels (e.g. 32), got False"),
        ({"tile_px": "256"}, "tile_px must be a whole number of pixels (e.g. 256), got '256'"),
        ({"tile_px": float("nan")}, "tile_px must be a whole number of pixels (e.g. 256), got nan"),
        ({"gsd_m": True}, "gsd_m must be a positive number of metres (e.g. 3.0), got True"),
        ({"gsd_m": "3"}, "gsd_m must be a positive number of metres (e.g. 3.0), got '3'"),
    ],
)  # fmt: skip
def test_sizes_that_are_not_whole_pixels_and_booleans_are_refused(
    changes: dict[str, object], says: str
) -> None:
    """tile_px 256.5 and gsd_m True made an InputSpec (True read as 1 m); "256" and nan were
    Python's TypeError or passed."""
    with pytest.raises(UsageError) as caught:
        InputSpec(**changes)  # type: ignore[arg-type]
    assert str(caught.value) == says


def test_whole_sizes_written_as_floats_are_whole_pixels() -> None:
    """256.0 (as some JSON tools write 256) and numpy's integers are read, as ints."""
    spec = InputSpec(tile_px=256.0, overlap_px=np.int64(32), gsd_m=np.float32(3.0))  # type: ignore[arg-type]
    assert (spec.tile_px, spec.overlap_px, spec.stride_px) == (256, 32, 224)
    assert all(type(v) is int for v in (spec.tile_px, spec.overlap_px, spec.stride_px))
    assert spec == InputSpec(tile_px=256, overlap_px=32, gsd_m=3.0)


def test_a_numpy_gsd_is_a_float_that_json_writes() -> None:
    """gsd_m given as numpy's float32 or int64 (read from a raster's transform, an array) kept
    its type, and a card or run.json of it failed to write: 'Object of type float32 is not
    JSON serializable'."""
    for gsd in (np.float32(3.0), np.int64(3)):
        spec = InputSpec(gsd_m=gsd)  # type: ignore[arg-type]
        assert type(spec.gsd_m) is float and spec.gsd_m == 3.0
        assert json.loads(json.dumps({"gsd_m": spec.gsd_m})) == {"gsd_m": 3.0}


@pytest.mark.parametrize("changes", [{"tile_px": 256.5}, {"gsd_m": True}])
def test_run_json_records_no_input_of_sizes_that_are_not_whole(changes: dict[str, object]) -> None:
    """A detector given from Python whose card's input has tile_px 256.5 (gsd_m True): run.json
    recorded it as valid, and the report cut its chips by it; now it records no input (the
    report cuts its own chips and says why)."""
    values = {"bands": ("red", "green", "blue"), "gsd_m": 3.0, "tile_px": 256, **changes}
    spec = SimpleNamespace(**values)
    got = _card_json(SimpleNamespace(name="mine", classes=["dredge"], input=spec))
    assert got is not None and "input" not in got
    whole = SimpleNamespace(bands=("red", "green", "blue"), gsd_m=3.0, tile_px=256.0)
    recorded = _card_json(SimpleNamespace(name="mine", input=whole))
    assert recorded is not None and recorded["input"]["tile_px"] == 256
    assert type(recorded["input"]["tile_px"]) is int
