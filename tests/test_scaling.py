"""Stored values to [0, 1]: integer and floating-point scenes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from detector.errors import InputError
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


def test_float_reflectance_in_percent_is_read_as_percent(tmp_path: Path) -> None:
    """Float reflectance × 100 (0–100) was read as 8-bit values (0–255): 8.5 times too dark
    in display scaling, and the land check skipped; 3 demo scenes gave 51 boats and no dredge
    where the same scenes as stored give 20 dredges and 17 boats. Percent is told from 8-bit
    values by its fractions (8-bit values are whole numbers) in more than three bands; in
    three or fewer (8-bit RGB warped into fractions, dark) it stays 8-bit."""
    stored = write_scene(tmp_path / "sr.tif", bands=4, dtype="uint16", **SMALL)
    with rasterio.open(stored.path) as src:
        data, profile = src.read(), src.profile
    rng = np.random.default_rng(0)
    data = np.where(data > 0, data + rng.integers(1, 99, data.shape), 0).astype("uint16")
    noisy, percent = tmp_path / "noisy.tif", tmp_path / "percent.tif"
    with rasterio.open(noisy, "w", **profile) as dst:
        dst.write(data)
    with rasterio.open(percent, "w", **profile | {"dtype": "float32", "predictor": 1}) as dst:
        dst.write(data.astype("float32") / np.float32(100))
    spec = InputSpec(bands=("red", "green", "blue"))
    with open_scene(noisy) as original, open_scene(percent) as floating:
        assert floating.full_scale == 100.0
        assert floating.values_read_as == "float values read as reflectance in percent (0–100)"
        expected = original.read_window(Window(0, 0, 40, 40), spec).data
        got = floating.read_window(Window(0, 0, 40, 40), spec).data
    np.testing.assert_allclose(got, expected, atol=1e-6)
    eight = write_scene(tmp_path / "visual.tif", bands=3, dtype="uint8", **SMALL)
    averaged = tmp_path / "visual_mean.tif"  # 8-bit RGB averaged into fractions
    with rasterio.open(eight.path) as src:
        data, profile = src.read(), src.profile | {"dtype": "float32"}
    with rasterio.open(averaged, "w", **profile) as dst:
        dst.write(np.where(data > 0, data + np.float32(0.5), 0).astype("float32"))
    with open_scene(averaged) as opened:
        assert opened.full_scale == 255.0
    dark = tmp_path / "visual_dark.tif"  # every value under 100, as a warped dark RGB can be
    with rasterio.open(dark, "w", **profile) as dst:
        dst.write(np.where(data > 0, data * np.float32(0.3) + np.float32(0.5), 0))
    with open_scene(dark) as opened:
        assert opened.full_scale == 255.0  # RGB in three bands: 8-bit, never percent


def test_eight_bit_values_in_a_16_bit_file_are_read_as_8_bit(tmp_path: Path) -> None:
    """A Visual product saved as UInt16 (gdal_merge -ot UInt16, a composite of bands) was read
    as reflectance × 10,000, near black: a demo scene gave 15 boats and no dredge instead of
    the 4 dredges of its 8-bit original. Every sampled value at most 255 → 8-bit."""
    eight = write_scene(tmp_path / "visual.tif", bands=3, dtype="uint8", **SMALL)
    wide = tmp_path / "visual_uint16.tif"
    with rasterio.open(eight.path) as src:
        data, profile = src.read(), src.profile | {"dtype": "uint16"}
    with rasterio.open(wide, "w", **profile) as dst:
        dst.write(data.astype("uint16"))
    spec = InputSpec(bands=("red", "green", "blue"))
    with open_scene(eight.path) as original, open_scene(wide) as widened:
        assert widened.full_scale == 255.0
        assert widened.values_read_as == (
            "uint16 values read as 8-bit (0–255): none sampled was above 255"
        )
        assert original.values_read_as is None
        expected = original.read_window(Window(0, 0, 40, 40), spec).data
        got = widened.read_window(Window(0, 0, 40, 40), spec).data
    np.testing.assert_array_equal(got, expected)
    reflectance = write_scene(tmp_path / "sr.tif", bands=4, dtype="uint16", **SMALL)
    with open_scene(reflectance.path) as opened:  # reflectance × 10,000 stays so
        assert opened.full_scale == 10_000.0 and opened.values_read_as is None
    dark = tmp_path / "dark_water_clip.tif"  # 4 bands, every value under 255: still reflectance
    with rasterio.open(reflectance.path) as src:
        data, profile = src.read(), src.profile
    with rasterio.open(dark, "w", **profile) as dst:
        dst.write(np.minimum(data, 200).astype("uint16"))
    with open_scene(dark) as opened:
        assert opened.full_scale == 10_000.0


def test_a_small_clip_in_a_large_frame_is_sampled(tmp_path: Path) -> None:
    """Float reflectance × 10,000 with data only in a small area that none of the nine sampled
    windows meets (an AOI clip kept in the scene's frame): with no sample it was taken as 0–1
    and clipped white (0 detections on a demo scene where the area alone gives 6)."""
    stored = write_scene(tmp_path / "stored.tif", width=300, height=300)
    path = tmp_path / "clip.tif"
    with rasterio.open(stored.path) as src:
        data, profile = src.read().astype("float32"), src.profile
    frame = np.ones(data.shape[1:], dtype=bool)
    frame[140:150, 0:70] = False  # between the sampled windows
    data[:, frame] = -9999
    with rasterio.open(path, "w", **profile | {"dtype": "float32", "nodata": -9999}) as dst:
        dst.write(data)
    with open_scene(path) as scene:
        assert scene.full_scale == 10_000


@pytest.mark.parametrize(
    ("scale", "offset", "stored_from"),
    [
        pytest.param(1e-4, -0.1, lambda r: r + 1000, id="sentinel-2-baseline-04"),
        pytest.param(2.75e-5, -0.2, lambda r: np.round((r / 1e4 + 0.2) / 2.75e-5), id="landsat"),
        pytest.param(5e-5, 0.0, lambda r: r * 2, id="reflectance-x20000"),
    ],
)
def test_a_header_scale_and_offset_are_applied(
    tmp_path: Path, scale: float, offset: float, stored_from: Any
) -> None:
    """GDAL's band scale and offset say what stored values mean; they were ignored (on a demo
    scene: 11, 0 and 9 detections for these three, where the scene gives 12)."""
    original = write_scene(tmp_path / "original.tif", **SMALL).path
    path = tmp_path / "scaled.tif"
    with rasterio.open(original) as src:
        data, profile = src.read().astype(np.float64), src.profile
    stored = np.where(data > 0, stored_from(data), 0).astype("uint16")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(stored)
        dst.scales, dst.offsets = [scale] * 4, [offset] * 4
    for spec in (InputSpec(bands=("red", "nir")), InputSpec(bands=("red",), scale="display")):
        with open_scene(original) as plain, open_scene(path) as scaled:
            expected = plain.read_window(Window(0, 0, 40, 40), spec)
            got = scaled.read_window(Window(0, 0, 40, 40), spec)
            assert scaled.values_read_as is not None and "header's scale" in scaled.values_read_as
        np.testing.assert_allclose(got.data * got.valid, expected.data * expected.valid, atol=2e-4)


def test_a_scale_that_changes_nothing_is_not_named(tmp_path: Path) -> None:
    """Reflectance × 10,000 with scale 0.0001 (as some exports tag it) is read as before."""
    path = write_scene(tmp_path / "tagged.tif", **SMALL).path
    with rasterio.open(path, "r+") as dst:
        dst.scales = [1e-4] * 4
    with open_scene(path) as scene:
        assert scene.calibration is None and scene.values_read_as is None


def test_eight_bit_values_told_by_a_header_scale_stay_a_display_product(tmp_path: Path) -> None:
    """8-bit values stretched to 16 bits (× 256) with the header scale 1/256 that says so: read
    as 8-bit values (the summary line said it), but the display scaling took them for
    reflectance and stretched them again, 3.3 times too bright (white from 77 of 255)."""
    eight = write_scene(tmp_path / "visual.tif", bands=3, dtype="uint8", **SMALL).path
    wide = tmp_path / "visual_x256.tif"
    with rasterio.open(eight) as src:
        data, profile = src.read(), src.profile | {"dtype": "uint16"}
    with rasterio.open(wide, "w", **profile) as dst:
        dst.write(data.astype("uint16") * 256)
        dst.scales = [1 / 256] * 3
    for scale in ("reflectance", "display"):
        spec = InputSpec(bands=("red", "green", "blue"), scale=scale)
        with open_scene(eight) as original, open_scene(wide) as widened:
            assert widened.values_read_as is not None and "8-bit" in widened.values_read_as
            expected = original.read_window(Window(0, 0, 40, 40), spec).data
            got = widened.read_window(Window(0, 0, 40, 40), spec).data
        np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize(
    ("dtype", "bands"),
    [("complex64", 4), ("complex64", 2), ("complex_int16", 2)],
)
def test_complex_values_are_one_line(tmp_path: Path, dtype: str, bands: int) -> None:
    """Radar in complex values (a Sentinel-1 SLC): of four bands the batch stopped on a
    traceback ('Invalid integer data type'), of two named with --scene-bands the real parts
    were read as 8-bit values without a word, and complex_int16 stopped on 'data type not
    understood'."""
    path = tmp_path / f"slc_{dtype}.tif"
    grid = rasterio.Affine(3, 0, 6e5, 0, -3, 9.6e6)
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": bands, "dtype": dtype,
               "crs": "EPSG:32718", "transform": grid}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.full((bands, 40, 40), 30 + 40j, dtype="complex64"))
    names = None if bands == 4 else ("red", "nir")
    with pytest.raises(InputError) as caught:
        open_scene(path, bands=names)
    message = str(caught.value)
    assert message.startswith(f"{path}: holds complex values ({dtype}: radar"), message
    assert "give optical scenes" in message and "\n" not in message
