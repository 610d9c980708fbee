"""Which band is which: Planet names, header band names and colour tags, the band count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.enums import ColorInterp
from rasterio.windows import Window

from detector.errors import InputError, UsageError
from detector.inputspec import InputSpec, parse_bands
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


@pytest.mark.parametrize(
    "name",
    [
        "17AUG31162013-M2AS-058486236010_01_P001.TIF",
        # behind the Polar Geospatial Center's prefix: read by its band count (22 boats and no
        # dredge on a demo scene where the product gives 12 detections, 4 dredges)
        "WV03_20170831162013_104001003174A900_17AUG31162013-M2AS_R1C1-058486236010_01_P001.tif",
    ],
)
def test_a_worldview_8_band_file_is_read_in_its_own_order(tmp_path: Path, name: str) -> None:
    """WorldView-2/3's eight bands (coastal, blue, green, yellow, red, red edge, NIR1, NIR2)
    were read in SuperDove's order: its red edge as red, its yellow as green. A Maxar product
    name (multispectral or pan-sharpened) now tells the layout; a SuperDove file keeps its."""
    path = tmp_path / name
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


def test_band_names_beat_a_product_name_that_was_kept(tmp_path: Path) -> None:
    """A Planet scene's bands put in R, G, B, NIR order and described so, under the scene's own
    file name: read in Planet's order by its name, red and blue swapped (21 detections, 19
    dredges, on a demo scene that gives 12)."""
    source = write_scene(tmp_path / "source.tif", bands=4, **SMALL).path
    kept = _retagged(source, tmp_path / PLANET_NAME, ("red", "green", "blue", "nir"))
    with open_scene(kept) as scene:
        assert scene.bands == ("red", "green", "blue", "nir") and scene.layout_caveat is None
    (tmp_path / "own").mkdir()
    agreeing = _retagged(source, tmp_path / "own" / PLANET_NAME, ("blue", "green", "red", "nir"))
    with open_scene(agreeing) as scene:
        assert scene.bands == ("blue", "green", "red", "nir") and scene.sensor == "planetscope"


def test_spanish_and_spaced_band_names_are_read(tmp_path: Path) -> None:
    source = write_scene(tmp_path / "source.tif", bands=4, **SMALL).path
    spanish = ("Rojo", "Verde", "Azul", "Infrarrojo cercano")
    with open_scene(_retagged(source, tmp_path / "es.tif", spanish)) as scene:
        assert scene.bands == ("red", "green", "blue", "nir")
    eight = write_scene(tmp_path / "eight.tif", bands=8, **SMALL).path
    spaced = ("Coastal Blue", "Blue", "Green I", "Green", "Yellow", "Red", "Red Edge", "NIR")
    with open_scene(_retagged(eight, tmp_path / "8b.tif", spaced)) as scene:
        assert scene.sensor == "superdove" and scene.layout_caveat is None


def test_band_names_written_with_underscores_are_read(tmp_path: Path) -> None:
    """``Near_Infrared``, ``Borde_Rojo`` (underscores where the names known had a space or a
    hyphen) were names it did not know: a Planet scene in R, G, B, NIR order so described was
    read as BGRN by its name, red and blue swapped (15 detections, 10 dredges, on a demo
    scene that gives 11 and 3), and a file without a product name was refused."""
    source = write_scene(tmp_path / "source.tif", bands=4, **SMALL).path
    described = ("Red", "Green", "Blue", "Near_Infrared")
    with open_scene(_retagged(source, tmp_path / PLANET_NAME, described)) as scene:
        assert scene.bands == ("red", "green", "blue", "nir") and scene.layout_caveat is None
    with open_scene(_retagged(source, tmp_path / "stack.tif", described)) as scene:
        assert scene.bands == ("red", "green", "blue", "nir")
    five = write_scene(tmp_path / "five.tif", bands=5, **SMALL).path
    spanish = ("Azul_Costero", "Azul", "Verde", "Borde_Rojo", "Infrarrojo_Cercano")
    with open_scene(_retagged(five, tmp_path / "es.tif", spanish)) as scene:
        assert scene.bands == ("coastal_blue", "blue", "green", "red_edge", "nir")


def test_band_names_it_does_not_know_are_said(tmp_path: Path) -> None:
    """Sentinel-2 codes in R, G, B, NIR order (an Earth Engine export): read by the band count
    as BGRN; the summary line now says which names it could not read."""
    source = write_scene(tmp_path / "source.tif", bands=4, **SMALL).path
    codes = _retagged(source, tmp_path / "s2.tif", ("B4", "B3", "B2", "B8"))
    with open_scene(codes) as scene:
        assert scene.bands == ("blue", "green", "red", "nir")
        assert scene.layout_caveat == (
            "band descriptions B4, B3, B2, B8 name bands this tool does not know: read as "
            "blue,green,red,nir; if that is not their order, name them with --scene-bands"
        )
    with open_scene(codes, bands=("red", "green", "blue", "nir")) as scene:
        assert scene.layout_caveat is None
    with open_scene(source) as scene:
        assert scene.layout_caveat is None


def test_a_fourth_band_tagged_alpha_by_default_is_one_line(tmp_path: Path) -> None:
    """GDAL tags a new 4-band 8-bit GeoTIFF red, green, blue, alpha: a BGRN scene saved as 8
    bits had its near-infrared read as alpha and its other bands as RGB (38 detections, 36
    dredges, on a demo scene that gives 12). A real alpha band (0 or 255) is still one."""
    path = tmp_path / PLANET_NAME
    grid = rasterio.Affine(3, 0, 6e5, 0, -3, 9.6e6)
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 4, "dtype": "uint8",
               "crs": "EPSG:32718", "transform": grid}  # fmt: skip
    rng = np.random.default_rng(0)
    data = rng.integers(20, 200, size=(4, 40, 40), dtype="uint8")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        assert dst.colorinterp[3] == ColorInterp.alpha  # GDAL's default
    with pytest.raises(InputError) as caught:
        open_scene(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: band 4 is tagged alpha but holds image values")
    assert f"rio edit-info --colorinterp blue,green,red,undefined {path}" in message
    with rasterio.open(path, "r+") as dst:  # what that command does
        dst.colorinterp = (ColorInterp.blue, ColorInterp.green, ColorInterp.red,
                           ColorInterp.undefined)  # fmt: skip
    with open_scene(path) as scene:
        assert scene.bands == ("blue", "green", "red", "nir") and scene.alpha_band is None
    rgba = tmp_path / "rgba.tif"
    data[3] = np.where(rng.random((40, 40)) < 0.3, 0, 255)
    with rasterio.open(rgba, "w", **profile) as dst:
        dst.write(data)
    with open_scene(rgba) as scene:
        assert scene.alpha_band == 4 and scene.bands == ("red", "green", "blue")


def test_an_untagged_mask_band_is_one_line(tmp_path: Path) -> None:
    """An RGBA file whose alpha lost its tag (written as MINISBLACK: gray, undefined, ...) was
    read as blue, green, red, near-infrared: red and blue swapped, the mask taken for NIR. A
    band of only 0 and 255 is now one line with the command that tags it; once tagged, it is
    the alpha band. ``--scene-bands ...,alpha`` says the same."""
    path = tmp_path / "rgba.tif"
    grid = rasterio.Affine(3, 0, 6e5, 0, -3, 9.6e6)
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 4, "dtype": "uint8",
               "crs": "EPSG:32718", "transform": grid, "photometric": "MINISBLACK"}  # fmt: skip
    rng = np.random.default_rng(1)
    data = rng.integers(20, 200, size=(4, 40, 40), dtype="uint8")
    data[3] = np.where(rng.random((40, 40)) < 0.3, 0, 255)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        assert ColorInterp.alpha not in dst.colorinterp
    with pytest.raises(InputError) as caught:
        open_scene(path)
    message = str(caught.value)
    assert "band 4 holds only 0 and 255, like a mask" in message
    assert f"rio edit-info --colorinterp red,green,blue,alpha {path}" in message
    with rasterio.open(path, "r+") as dst:  # what that command does
        dst.colorinterp = (ColorInterp.red, ColorInterp.green, ColorInterp.blue,
                           ColorInterp.alpha)  # fmt: skip
    with open_scene(path) as scene:
        assert scene.alpha_band == 4 and scene.bands == ("red", "green", "blue")
    nir = tmp_path / "bgrn.tif"  # a near-infrared band of image values is read as before
    data[3] = rng.integers(20, 200, size=(40, 40), dtype="uint8")
    with rasterio.open(nir, "w", **profile) as dst:
        dst.write(data)
    with open_scene(nir) as scene:
        assert scene.bands == ("blue", "green", "red", "nir") and scene.alpha_band is None
    with pytest.raises(ValueError, match="'alpha' is not a band name here"):
        parse_bands("red,green,blue,alpha")


def test_an_untagged_8_bit_mask_in_a_16_bit_file_is_one_line(tmp_path: Path) -> None:
    """An RGBA Visual product widened to 16 bits (``gdal_merge.py -ot UInt16``: the alpha tag
    lost, the mask 0 and 255, not 65535) was read as blue, green, red, near-infrared and as
    reflectance × 10,000, without a word: red and blue swapped and near black. It is now the
    untagged mask's line; once tagged, its three bands are 8-bit red, green, blue, read as
    the 8-bit file is."""
    eight = write_scene(tmp_path / "visual.tif", bands=3, dtype="uint8", **SMALL).path
    with rasterio.open(eight) as src:
        rgb, profile = src.read(), src.profile
    alpha = np.where((rgb != 0).any(axis=0), 255, 0).astype("uint8")
    wide = tmp_path / "visual_uint16.tif"
    profile |= {"count": 4, "dtype": "uint16", "nodata": None, "photometric": "MINISBLACK"}
    with rasterio.open(wide, "w", **profile) as dst:
        dst.write(np.concatenate([rgb, alpha[None]]).astype("uint16"))
    with pytest.raises(InputError) as caught:
        open_scene(wide)
    message = str(caught.value)
    assert "band 4 holds only 0 and 255, like a mask, but is not tagged alpha" in message
    assert f"rio edit-info --colorinterp red,green,blue,alpha {wide}" in message
    with rasterio.open(wide, "r+") as dst:  # what that command does
        dst.colorinterp = (ColorInterp.red, ColorInterp.green, ColorInterp.blue,
                           ColorInterp.alpha)  # fmt: skip
    spec = InputSpec(bands=("red", "green", "blue"))
    with open_scene(wide) as widened, open_scene(eight) as original:
        assert widened.alpha_band == 4 and widened.bands == ("red", "green", "blue")
        assert widened.full_scale == 255.0
        got = widened.read_window(Window(0, 0, 40, 40), spec)
        expected = original.read_window(Window(0, 0, 40, 40), spec)
    np.testing.assert_array_equal(got.data, expected.data)
    np.testing.assert_array_equal(got.valid, expected.valid)


def test_a_band_named_twice_is_one_line(tmp_path: Path) -> None:
    """``--scene-bands blue,green,red,red`` (a typo for ``nir``) was taken: the band it replaced
    was lost without a word (on a demo scene its check of detections on land was skipped:
    13 detections, 4 dredges, where the scene gives 11 and 3)."""
    with pytest.raises(ValueError, match="band name red given twice in 'blue,green,red,red'"):
        parse_bands("blue,green,red,red")
    source = write_scene(tmp_path / "source.tif", bands=4, **SMALL).path
    with pytest.raises(InputError) as caught:
        open_scene(source, bands=("blue", "green", "red", "red"))
    assert "band name red given twice (blue,green,red,red)" in str(caught.value)  # 'name(s)'
    with pytest.raises(InputError, match=r"band names red, blue given twice \(red,red,blue,blue\)"):
        open_scene(source, bands=("red", "red", "blue", "blue"))


def test_an_empty_band_name_is_one_line_naming_the_option(tmp_path: Path) -> None:
    """``--scene-bands 'red,,blue'`` (a band left unnamed, a name deleted) was taken as
    red,blue: blue was read from the file's second band, and every band after it shifted;
    ``--bands red,green,blue,`` of `dredge tiles` passed the same way."""
    from typer.testing import CliRunner

    from detector.chips import tiles_spec
    from detector.cli import app

    with pytest.raises(UsageError, match=r"^--scene-bands: 'red,,blue' has an empty band name "
                       r"\(name 2 of 3\) — leave no name empty"):  # fmt: skip
        parse_bands("red,,blue")
    with pytest.raises(UsageError, match=r"^--bands: 'red,green,blue,' has an empty band name"):
        tiles_spec("red,green,blue,", 3.0, 256, 32, "display", "png")
    rivers = tmp_path / "rivers.geojson"
    args = ["detect", str(tmp_path), "--rivers", str(rivers), "--out", str(tmp_path / "d.parquet")]
    result = CliRunner().invoke(app, [*args, "--scene-bands", "blue, ,red,nir"])
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith(
        "error: --scene-bands: 'blue, ,red,nir' has an empty band name (name 2 of 4)"
    ), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_no_band_name_at_all_is_said_so() -> None:
    """`--bands ''` of `dredge tiles`, `--scene-bands ,`, a card's `bands: []`: the line said
    "unknown band names (none given)", of no name unknown."""
    with pytest.raises(UsageError) as caught:
        parse_bands("", "--bands")
    assert str(caught.value) == (
        "--bands: '' names no band — name the file's bands in order, e.g. red,green,blue,nir"
    )
    with pytest.raises(UsageError, match=r"^--scene-bands: ',' names no band — "):
        parse_bands(",")
    with pytest.raises(UsageError, match=r"^no band names given; use coastal_blue, "):
        InputSpec(bands=())
    with pytest.raises(UsageError, match=r"^unknown band name \['swir'\] in 'red,swir'; use "):
        parse_bands("red,swir")


def test_an_alpha_band_before_the_image_bands_is_skipped_in_reads(tmp_path: Path) -> None:
    """A file of alpha, red, green, blue (alpha first): its bands were read by their place
    among the named bands, not in the file: red from the alpha band, green from red, blue
    from green (a grey scene of 255, 200, 100 for 200, 100, 50), on plain and warped reads."""
    path = tmp_path / "argb.tif"
    grid = rasterio.Affine(3, 0, 6e5, 0, -3, 9.6e6)
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 4, "dtype": "uint8",
               "crs": "EPSG:32718", "transform": grid, "photometric": "MINISBLACK"}  # fmt: skip
    data = np.stack([np.full((40, 40), v, dtype="uint8") for v in (255, 200, 100, 50)])
    data[0, :5] = 0  # the alpha band: no data in the first rows
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.colorinterp = (ColorInterp.alpha, ColorInterp.red, ColorInterp.green,
                           ColorInterp.blue)  # fmt: skip
    with open_scene(path) as scene:
        assert scene.bands == ("red", "green", "blue") and scene.alpha_band == 1
        for gsd in (3.0, 6.0):
            got = scene.read_window(Window(0, 0, 20, 20), InputSpec(gsd_m=gsd))
            np.testing.assert_allclose(got.data[:, 10, 10] * 255, [200, 100, 50], atol=1e-3)
        assert not got.valid[0].any() and got.valid[10].all()


def test_an_alpha_band_first_is_the_valid_area_of_warped_reads(tmp_path: Path) -> None:
    """Warped reads (another GSD or CRS) took the warped file's last band for its alpha: with
    the alpha band first that is blue, and valid pixels of blue 0 (dark water in 8 bits) were
    read as no data, on reads and on the tiler's look at a window."""
    path = tmp_path / "argb.tif"
    grid = rasterio.Affine(3, 0, 6e5, 0, -3, 9.6e6)
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 4, "dtype": "uint8",
               "crs": "EPSG:32718", "transform": grid, "photometric": "MINISBLACK"}  # fmt: skip
    data = np.stack([np.full((40, 40), v, dtype="uint8") for v in (255, 200, 100, 50)])
    data[0, :10] = 0  # no data in the first rows
    data[3, 20:] = 0  # blue 0 in the last rows, which hold data
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.colorinterp = (ColorInterp.alpha, ColorInterp.red, ColorInterp.green,
                           ColorInterp.blue)  # fmt: skip
    with open_scene(path) as scene:
        coarse = scene.grid(6.0)
        got = scene.read_window(Window(0, 0, 20, 20), InputSpec(gsd_m=6.0), coarse)
        valid, _ = scene.read_validity(Window(0, 0, 20, 20), coarse, factor=1)
    expected = np.repeat((np.arange(20) >= 5)[:, np.newaxis], 20, axis=1)
    np.testing.assert_array_equal(got.valid, expected)
    np.testing.assert_array_equal(valid, expected)


def test_three_bands_under_a_planet_product_name_are_said(tmp_path: Path) -> None:
    """A Planet scene cut to three bands under its own name (``gdal_translate -b 1 -b 2 -b 3``
    keeps its blue, green, red; ``-b 3 -b 2 -b 1`` makes red, green, blue) was read as red,
    green, blue without a word: the summary line now says so, and how to name them."""
    source = write_scene(tmp_path / "source.tif", bands=3, **SMALL).path
    cut = tmp_path / PLANET_NAME
    cut.write_bytes(source.read_bytes())
    with open_scene(cut) as scene:
        assert scene.bands == ("red", "green", "blue")
        assert scene.layout_caveat == (
            "3 bands under a Planet product's name (its products have 4 or 8): read as "
            "red,green,blue; if they kept the product's order, name them with "
            "--scene-bands blue,green,red"
        )
    with open_scene(cut, bands=("blue", "green", "red")) as scene:
        assert scene.layout_caveat is None
    (tmp_path / "named").mkdir()
    named = _retagged(source, tmp_path / "named" / PLANET_NAME, ("blue", "green", "red"))
    with open_scene(named) as scene:
        assert scene.bands == ("blue", "green", "red") and scene.layout_caveat is None
    with open_scene(source) as scene:
        assert scene.layout_caveat is None


@pytest.mark.parametrize(
    ("count", "suggested"),
    [
        (2, "--scene-bands red,nir"),
        (5, "--scene-bands blue,green,red,red_edge,nir"),  # RapidEye's order
        (1, "a 1-band file (panchromatic, or one band) cannot be read as colour"),
        (16, "gdal_translate -b 2 -b 3 -b 4 -b 8"),
    ],
)
def test_an_unknown_layout_suggests_as_many_band_names_as_the_file_has(
    tmp_path: Path, count: int, suggested: str
) -> None:
    """Every file of an unknown band count was told "e.g. --scene-bands blue,green,red,nir",
    which a file of 1, 2, 5 or 16 bands refuses in turn ("4 band names given for 5 bands");
    past the 9 band names there are, no --scene-bands can name a file's bands."""
    path = write_scene(tmp_path / f"b{count}.tif", bands=count, **SMALL).path
    with pytest.raises(InputError) as caught:
        open_scene(path)
    message = str(caught.value)
    assert "its band layout is unknown" in message and suggested in message, message
    assert "blue,green,red,nir" not in message or count > 9
    assert "\n" not in message
    if 1 < count <= 9:  # what it suggests is taken
        names = message.split("--scene-bands ")[1].split()[0].split(",")
        with open_scene(path, bands=names) as scene:
            assert len(scene.bands) == count
