"""Scene reader: band layouts, resampling, normalisation, masks, bad files."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from detector.band_layout import PLANETSCOPE_BANDS, RGB_BANDS, SUPERDOVE_BANDS
from detector.date_tables import date_for_scene, read_date_table
from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.scene import open_scene
from tests.geo_fixtures import DREDGE, FOREST, write_scene

PLANET_ID = "20230715_145012_56_2455"
PLANET_NAME = f"{PLANET_ID}_3B_AnalyticMS_SR.tif"
SMALL: dict[str, Any] = {"width": 40, "height": 40}


def test_a_windows_path_that_is_not_found_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"write paths with / \(this one has Windows backslashes"):
        open_scene(str(tmp_path / "scenes\\a.tif"))


# --- sensors and bands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bands", "dtype", "crs", "gsd", "sensor", "names"),
    [
        (4, "uint16", "EPSG:32718", 3.0, "planetscope", PLANETSCOPE_BANDS),
        (8, "uint16", "EPSG:32718", 3.0, "superdove", SUPERDOVE_BANDS),
        (4, "uint16", "EPSG:3857", 4.77, "nicfi", PLANETSCOPE_BANDS),
        (3, "uint8", "EPSG:32718", 0.5, "rgb", RGB_BANDS),
    ],
)
def test_band_layouts(
    tmp_path: Path, bands: int, dtype: str, crs: str, gsd: float, sensor: str, names: tuple
) -> None:
    scene = write_scene(tmp_path / "s.tif", bands=bands, dtype=dtype, crs=crs, gsd_m=gsd, **SMALL)
    with open_scene(scene.path) as opened:
        assert opened.sensor == sensor
        assert opened.bands == names


def test_band_override_and_unknown_layout(tmp_path: Path) -> None:
    two = write_scene(tmp_path / "two.tif", bands=2, **SMALL)
    with pytest.raises(InputError, match="--scene-bands") as caught:
        open_scene(two.path)
    assert "\n" not in str(caught.value)
    with open_scene(two.path, bands=["red", "nir"]) as opened:
        assert opened.bands == ("red", "nir")
        assert opened.sensor == "custom"
    with pytest.raises(InputError, match="2 band names given for 4 bands"):
        open_scene(write_scene(tmp_path / "four.tif", **SMALL).path, bands=["red", "nir"])
    rgb = write_scene(tmp_path / "rgb.tif", bands=3, dtype="uint8", **SMALL)
    with open_scene(rgb.path) as opened, pytest.raises(InputError, match="has no nir band"):
        opened.read_window(Window(0, 0, 8, 8), InputSpec(bands=("nir",)))


# --- reading -------------------------------------------------------------------------------------


def test_native_read_is_an_exact_copy_normalised(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "s.tif", **SMALL)
    with open_scene(scene.path) as opened, rasterio.open(scene.path) as raw:
        got = opened.read_window(Window(0, 0, 40, 40), InputSpec(bands=("blue", "nir")))
        expected = raw.read([1, 4]).astype(np.float32) / 10000
    np.testing.assert_allclose(got.data, expected, rtol=1e-6)
    assert got.valid.all()


def test_downsampling_averages(tmp_path: Path) -> None:
    # 0.5 m → 3 m: one bright 0.5 m pixel becomes 1/36 of a 3 m pixel, not all or nothing.
    scene = write_scene(tmp_path / "s.tif", gsd_m=0.5, width=60, height=60, dredge_fractions=())
    with rasterio.open(scene.path, "r+") as dst:
        block = dst.read(window=Window(0, 0, 60, 60))
        block[:, 0:6, 0:6] = FOREST["uint16"]
        block[:, 2, 3] = DREDGE["uint16"]
        dst.write(block)
    with open_scene(scene.path) as opened:
        grid = opened.grid(3.0)
        assert (grid.width, grid.height) == (10, 10)
        got = opened.read_window(Window(0, 0, 10, 10), InputSpec(gsd_m=3.0), grid)
    expected = (35 * FOREST["uint16"] + DREDGE["uint16"]) / 36 / 10000
    assert got.data[0, 0, 0] == pytest.approx(expected, rel=1e-3)


def test_upsampling_interpolates(tmp_path: Path) -> None:
    scene = write_scene(
        tmp_path / "s.tif", crs="EPSG:3857", gsd_m=4.77, dredge_fractions=(0.5,), **SMALL
    )
    with open_scene(scene.path) as opened:
        grid = opened.grid(3.0)
        got = opened.read_window(Window(0, 0, grid.width, grid.height), InputSpec(), grid)
    levels = np.unique(np.round(got.data[0][got.valid], 4))
    assert len(levels) > 3  # bilinear: values between water, forest and the dredge
    assert got.data.max() < DREDGE["uint16"] / 10000  # the peak is spread, not copied


def test_web_mercator_grid_is_in_ground_metres(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "s.tif", crs="EPSG:3857", gsd_m=4.77, **SMALL)
    with open_scene(scene.path) as opened:
        latitude = math.radians(-3.75)
        assert opened.native_gsd_m == pytest.approx(4.77 * math.cos(latitude), rel=1e-3)
        assert opened.grid(3.0).transform.a == pytest.approx(3.0 / math.cos(latitude), rel=1e-3)
        assert opened.grid(4.76).transform.a == 4.77  # within 2 %: read at its own pixel size


def test_scaling_of_8_bit_and_display(tmp_path: Path) -> None:
    rgb = write_scene(tmp_path / "rgb.tif", bands=3, dtype="uint8", **SMALL)
    with open_scene(rgb.path) as opened:
        got = opened.read_window(Window(39, 0, 1, 1), InputSpec(gsd_m=3.0))  # forest
    assert got.data[0, 0, 0] == pytest.approx(FOREST["uint8"] / 255)
    planet = write_scene(tmp_path / "p.tif", **SMALL)
    with open_scene(planet.path) as opened:
        got = opened.read_window(Window(39, 0, 1, 1), InputSpec(scale="display"))
    assert got.data[0, 0, 0] == pytest.approx(FOREST["uint16"] / 3000)


def test_valid_mask_follows_nodata_and_grid_edge(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "s.tif", rotated_footprint=True, width=64, height=64)
    with open_scene(scene.path) as opened, rasterio.open(scene.path) as raw:
        grid = opened.grid(3.0)
        got = opened.read_window(Window(-8, 0, 80, 64), InputSpec(), grid)
        stored = raw.read(1) != 0
    assert not got.valid[:, :8].any()  # left of the scene
    assert not got.valid[:, 72:].any()  # right of the scene
    np.testing.assert_array_equal(got.valid[:, 8:72], stored)
    assert (got.data[:, ~got.valid] == 0).all()
    assert (got.clear == got.valid).all()  # no UDM2: clear wherever valid


# --- bad files -----------------------------------------------------------------------------------


def test_a_url_that_cannot_be_reached_says_so_not_corrupt() -> None:
    """A Planet download link (needs an API key) or a URL offline was 'truncated or corrupt;
    download or export it again'."""
    url = "http://127.0.0.1:9/scene_3B_AnalyticMS_SR.tif"  # nothing listens on port 9
    with pytest.raises(InputError) as caught:
        open_scene(url)
    message = str(caught.value)
    assert message.startswith(f"{url}: could not be read over the network")
    assert "API key" in message and "corrupt" not in message and "\n" not in message


def test_a_dates_row_with_a_path_of_another_computer_finds_the_scene_by_its_name(
    tmp_path: Path,
) -> None:
    """A table made on another computer (`/home/ana/planet/a.tif`, `C:\\Users\\…\\b.tif`)
    named no scene given: its dates were left out with a note. Two such paths sharing a
    file name stay as written (each would name every scene of that name)."""
    table_path = tmp_path / "dates.csv"
    table_path.write_text(
        "scene,date\n/home/ana/planet/a.tif,2024-03-01\nC:\\Users\\ana\\b.tif,2024-03-02\n"
        "/x/c.tif,2024-03-03\n/y/c.tif,2024-03-04\n"
    )
    table = read_date_table(table_path)
    assert date_for_scene(table, tmp_path / "a.tif") == datetime(2024, 3, 1, tzinfo=UTC)
    assert date_for_scene(table, tmp_path / "b.tif") == datetime(2024, 3, 2, tzinfo=UTC)
    assert date_for_scene(table, tmp_path / "c.tif") is None


def test_a_missing_band_names_no_option_review_lacks(tmp_path: Path) -> None:
    """A scene without a band the model reads told `dredge review` users to "choose --bands",
    an option only `dredge tiles` has."""
    scene = write_scene(tmp_path / PLANET_NAME, **SMALL)
    with open_scene(scene.path, bands=["blue", "green", "nir", "red_edge"]) as opened:
        with pytest.raises(InputError) as caught:
            opened.band_index("red")
    assert str(caught.value).endswith(
        "has no red band (its bands: blue, green, nir, red_edge) — name the file's bands in "
        "order with --scene-bands, or use bands it has (dredge tiles: --bands; else a model "
        "trained on them)"
    )
