"""Stored values to [0, 1]: integer and floating-point scenes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from detector.inputspec import InputSpec
from detector.scene import open_scene
from tests.geo_fixtures import write_scene

SMALL: dict[str, Any] = {"width": 40, "height": 40}


@pytest.mark.parametrize(
    ("source", "factor", "full_scale"),
    [
        pytest.param("uint16", 1 / 10_000, 1.0, id="reflectance-0-1"),
        pytest.param("uint16", 1.0, 10_000.0, id="reflectance-x10000"),
        pytest.param("uint8", 1.0, 255.0, id="8-bit-as-float"),
    ],
)
def test_float_scenes_are_scaled_by_their_values(
    tmp_path: Path, source: str, factor: float, full_scale: float
) -> None:
    """Float scenes hold reflectance 0–1, reflectance × 10,000 (Earth Engine exports of integer
    collections) or 8-bit values; the second was read as 0–1 and clipped white: a demo scene
    gave 0 detections instead of 11."""
    bands = 3 if source == "uint8" else 4
    stored = write_scene(tmp_path / f"{source}.tif", bands=bands, dtype=source, **SMALL)
    path = tmp_path / "float.tif"
    with rasterio.open(stored.path) as src:
        data, profile = src.read(), src.profile | {"dtype": "float32", "predictor": 1}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype("float32") * np.float32(factor))
    spec = InputSpec(bands=("red", "green", "blue"))
    with open_scene(stored.path) as original, open_scene(path) as floating:
        assert floating.full_scale == full_scale
        expected = original.read_window(Window(0, 0, 40, 40), spec).data
        got = floating.read_window(Window(0, 0, 40, 40), spec).data
    np.testing.assert_allclose(got, expected, atol=1e-6)
