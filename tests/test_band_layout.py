"""Which band is which: Planet names, header band names and colour tags, the band count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.enums import ColorInterp
from rasterio.windows import Window

from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.scene import open_scene
from tests.geo_fixtures import write_scene

PLANET_NAME = "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"
SMALL: dict[str, Any] = {"width": 40, "height": 40}


def _retagged(
    source: Path, path: Path, descriptions: tuple[str, ...] = (), interp: tuple = ()
) -> Path:
    """A copy of ``source`` whose bands carry these descriptions and colour interpretations."""
    path.write_bytes(source.read_bytes())
    with rasterio.open(path, "r+") as dst:
        if descriptions:
            for band, text in enumerate(descriptions, 1):
                dst.set_band_description(band, text)
        if interp:
            dst.colorinterp = interp
    return path


def test_band_names_in_the_header_are_used(tmp_path: Path) -> None:
    """A stack exported with band names (Earth Engine, QGIS) in another order than Planet's
    BGRN was read as BGRN by its band count: red and blue swapped without a word."""
    source = write_scene(tmp_path / "source.tif", bands=4, **SMALL).path
    rgbn = _retagged(source, tmp_path / "stack.tif", ("Red", "Green", "Blue", "NIR"))
    five = write_scene(tmp_path / "five.tif", bands=5, **SMALL).path
    named = _retagged(
        five, tmp_path / "five_named.tif", ("blue", "green", "red", "red edge", "nir")
    )
    with open_scene(rgbn) as scene, rasterio.open(rgbn) as raw:
        assert scene.bands == ("red", "green", "blue", "nir") and scene.sensor == "custom"
        got = scene.read_window(Window(0, 0, 20, 20), InputSpec(bands=("blue",)))
        np.testing.assert_allclose(got.data[0], raw.read(3, window=Window(0, 0, 20, 20)) / 10_000)
    with open_scene(named) as scene:
        assert scene.bands == ("blue", "green", "red", "red_edge", "nir")


def test_colour_tags_that_contradict_the_assumed_layout_are_one_line(tmp_path: Path) -> None:
    """Four bands tagged red, green, blue (an RGB + NIR stack, or RGBA without an alpha tag)."""
    source = write_scene(tmp_path / "source.tif", bands=4, **SMALL).path
    rgb = (ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.undefined)
    stack = _retagged(source, tmp_path / "stack.tif", interp=rgb)
    with pytest.raises(InputError) as caught:
        open_scene(stack)
    message = str(caught.value)
    assert "band 1 is marked red in its header, but a 4-band file is read as blue," in message
    assert "--scene-bands" in message and "\n" not in message
    with open_scene(stack, bands=("red", "green", "blue", "nir")) as scene:
        assert scene.bands == ("red", "green", "blue", "nir")
    planet = _retagged(source, tmp_path / PLANET_NAME, interp=rgb)  # the name tells BGRN
    with open_scene(planet) as scene:
        assert scene.bands == ("blue", "green", "red", "nir")
    quad = write_scene(tmp_path / "quad.tif", crs="EPSG:3857", gsd_m=4.77, **SMALL).path
    nicfi = _retagged(quad, tmp_path / "L15-0987E-1023N.tif", interp=rgb)  # NICFI's grid does
    with open_scene(nicfi) as scene:
        assert scene.bands == ("blue", "green", "red", "nir") and scene.sensor == "nicfi"


def test_band_descriptions_beat_the_nicfi_grid_and_colour_tags(tmp_path: Path) -> None:
    """Planet's NICFI basemap exported from Earth Engine in display order: bands R, G, B, N
    on NICFI's own grid; and descriptions written over stale RGB colour tags."""
    quad = write_scene(tmp_path / "quad.tif", crs="EPSG:3857", gsd_m=4.77, **SMALL).path
    rgbn = _retagged(quad, tmp_path / "nicfi_rgbn.tif", ("R", "G", "B", "N"))
    with open_scene(rgbn) as scene:
        assert scene.bands == ("red", "green", "blue", "nir")
    source = write_scene(tmp_path / "source.tif", bands=4, **SMALL).path
    rgb = (ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.undefined)
    both = _retagged(source, tmp_path / "both.tif", ("blue", "green", "red", "nir"), rgb)
    with open_scene(both) as scene:
        assert scene.bands == ("blue", "green", "red", "nir")


def test_a_worldview_8_band_file_is_read_in_its_own_order(tmp_path: Path) -> None:
    """WorldView-2/3's eight bands (coastal, blue, green, yellow, red, red edge, NIR1, NIR2)
    were read in SuperDove's order: its red edge as red, its yellow as green. A Maxar product
    name (multispectral or pan-sharpened) now tells the layout; a SuperDove file keeps its."""
    path = tmp_path / "17AUG31162013-M2AS-058486236010_01_P001.TIF"
    grid = rasterio.Affine(2, 0, 600_000, 0, -2, 9_600_000)
    profile = {"driver": "GTiff", "width": 8, "height": 8, "count": 8, "dtype": "float32",
               "crs": "EPSG:32718", "transform": grid}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:  # reflectance (16-bit needs its IMD)
        for band in range(1, 9):  # each band holds its own number / 10
            dst.write(np.full((8, 8), band / 10, dtype="float32"), band)
    spec = InputSpec(bands=("red", "green", "blue"), gsd_m=2.0)
    with open_scene(path) as scene:
        assert scene.sensor == "maxar"
        assert scene.bands == (
            "coastal_blue", "blue", "green", "yellow", "red", "red_edge", "nir", "nir2"
        )  # fmt: skip
        data = scene.read_window(Window(0, 0, 8, 8), spec).data
    np.testing.assert_allclose(data[:, 0, 0], [0.5, 0.3, 0.2], rtol=1e-6)  # bands 5, 3, 2
    superdove = tmp_path / "superdove_8band.tif"
    superdove.write_bytes(path.read_bytes())
    with open_scene(superdove) as scene:
        assert scene.sensor == "superdove" and scene.bands[5] == "red"
    pan = tmp_path / "17AUG31162013-P2AS-058486236010_01_P001.TIF"
    pan.write_bytes(path.read_bytes())  # a P (panchromatic) product name tells nothing
    with open_scene(pan) as scene:
        assert scene.sensor == "superdove"
