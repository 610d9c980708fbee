"""Maxar 16-bit products are read as reflectance through their IMD's absCalFactor."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.maxar_radiometry import IMD_BANDS, earth_sun_distance_au, product_metadata
from detector.scene import open_scene
from tests.geo_fixtures import write_scene

PRODUCT = "17AUG31162013-M2AS-058236580010_01_P001"
CALIBRATION = {  # GeoEye-1-like absCalFactor, effectiveBandwidth
    "BAND_B": (1.26e-02, 8.25e-02),
    "BAND_G": (1.28e-02, 8.98e-02),
    "BAND_R": (1.19e-02, 6.13e-02),
    "BAND_N": (1.17e-02, 1.091e-01),
}
GE01_ESUN = {"BAND_B": 1993.18, "BAND_G": 1828.83, "BAND_R": 1491.49, "BAND_N": 1022.58}
SUN_ELEVATION = 61.2
SPEC = InputSpec(bands=("blue", "green", "red", "nir"))
WINDOW = Window(0, 0, 40, 40)


def imd_text(bands: dict[str, tuple[float, float]], satellite: str = "GE01") -> str:
    """An IMD as Maxar writes it (tabs, quoted strings, ``;`` after each field)."""
    groups = "".join(
        f"BEGIN_GROUP = {group}\n\tULLon = -73.31;\n\tabsCalFactor = {cal:.6e};\n"
        f"\teffectiveBandwidth = {width:.6e};\n\tTDILevel = 10;\nEND_GROUP = {group}\n"
        for group, (cal, width) in bands.items()
    )
    return (
        'version = "28.3";\ngenerationTime = 2017-09-01T05:10:11.000000Z;\n'
        f'productOrderId = "058236580010_01_P001";\nbitsPerPixel = 16;\n{groups}'
        f'BEGIN_GROUP = IMAGE_1\n\tsatId = "{satellite}";\n\tCatId = "1050010010A9F100";\n'
        "\tfirstLineTime = 2017-08-31T16:20:13.123456Z;\n\tmeanSunAz = 58.3;\n"
        f"\tmeanSunEl = {SUN_ELEVATION};\nEND_GROUP = IMAGE_1\nEND;\n"
    )


def xml_text(bands: dict[str, tuple[float, float]]) -> str:
    """The same product's ``.XML`` (Maxar's isd document)."""
    groups = "".join(
        f"<{group}><ABSCALFACTOR>{cal:.6e}</ABSCALFACTOR>"
        f"<EFFECTIVEBANDWIDTH>{width:.6e}</EFFECTIVEBANDWIDTH></{group}>"
        for group, (cal, width) in bands.items()
    )
    return (
        f"<isd><IMD><BITSPERPIXEL>16</BITSPERPIXEL>{groups}<IMAGE><SATID>GE01</SATID>"
        "<FIRSTLINETIME>2017-08-31T16:20:13.123456Z</FIRSTLINETIME>"
        f"<MEANSUNEL>{SUN_ELEVATION}</MEANSUNEL></IMAGE></IMD></isd>"
    )


@pytest.fixture
def product(tmp_path: Path) -> Path:
    scene = write_scene(tmp_path / f"{PRODUCT}.TIF", width=60, height=60)
    (tmp_path / f"{PRODUCT}.IMD").write_text(imd_text(CALIBRATION))
    return scene.path


def expected_reflectance(stored: np.ndarray) -> np.ndarray:
    """Maxar's formula written out: DN × absCal / bandwidth × π d² / (ESUN sin(elevation))."""
    distance = earth_sun_distance_au(datetime(2017, 8, 31, 16, 20, 13, tzinfo=UTC))
    factors = [
        CALIBRATION[group][0]
        / CALIBRATION[group][1]
        * math.pi
        * distance**2
        / (GE01_ESUN[group] * math.sin(math.radians(SUN_ELEVATION)))
        for group in ("BAND_B", "BAND_G", "BAND_R", "BAND_N")
    ]
    return np.clip(stored * np.array(factors)[:, None, None], 0, 1)


def read(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with rasterio.open(path) as raw:
        stored = raw.read(window=WINDOW).astype(np.float64)
    with open_scene(path) as scene:
        got = scene.read_window(WINDOW, SPEC)
    return got.data, stored * got.valid


def test_earth_sun_distance() -> None:
    """Perihelion (early January) and aphelion (early July), in astronomical units."""
    perihelion = earth_sun_distance_au(datetime(2024, 1, 3, tzinfo=UTC))
    aphelion = earth_sun_distance_au(datetime(2024, 7, 5, tzinfo=UTC))
    assert perihelion == pytest.approx(0.98331, abs=2e-4)
    assert aphelion == pytest.approx(1.01671, abs=2e-4)


def test_digital_numbers_are_read_as_reflectance(product: Path) -> None:
    """Read as reflectance × 10,000 they were about three times too dark (here blue: DN ×
    3.0e-4 against DN / 10,000)."""
    got, stored = read(product)
    np.testing.assert_allclose(got, expected_reflectance(stored), rtol=1e-5)
    seen = stored[0] > 0
    assert np.median(got[0][seen] / (stored[0][seen] / 10_000)) > 2.5
    with open_scene(product) as scene:
        assert scene.values_read_as is not None
        assert scene.values_read_as.startswith("Maxar digital numbers read as top-of-atmosphere")
        assert "GE01" in scene.values_read_as and "61.2°" in scene.values_read_as


def test_the_xml_serves_as_the_imd(tmp_path: Path, product: Path) -> None:
    product.with_suffix(".IMD").unlink()
    product.with_suffix(".XML").write_text(xml_text(CALIBRATION))
    got, stored = read(product)
    np.testing.assert_allclose(got, expected_reflectance(stored), rtol=1e-5)


@pytest.mark.parametrize(("suffix", "encoding"), [(".IMD", "utf-16"), (".XML", "cp1252")])
def test_an_imd_or_xml_saved_by_a_windows_tool_is_read(
    product: Path, suffix: str, encoding: str
) -> None:
    """An IMD saved in UTF-16 (PowerShell 5's `>`), an XML in Windows-1252 with no encoding
    declaration (Notepad's "ANSI", a note `Peña` in it): the scene was refused, "has no
    absCalFactor", beside the file that has them; its date too is read as the sidecar reader
    reads it."""
    product.with_suffix(".IMD").unlink()
    text = imd_text(CALIBRATION) if suffix == ".IMD" else xml_text(CALIBRATION)
    text = text.replace("<IMD>", "<IMD><NOTE>Río Nanay, Peña</NOTE>")
    product.with_suffix(suffix).write_bytes(text.encode(encoding))
    found = product_metadata(product)
    assert found is not None and set(found.bands) == set(CALIBRATION)
    got, stored = read(product)
    np.testing.assert_allclose(got, expected_reflectance(stored), rtol=1e-5)


def test_a_tile_reads_its_products_imd(tmp_path: Path) -> None:
    """Large products come in tiles (``…_P001_R1C1.TIF``) beside one ``…_P001.IMD``."""
    tile = write_scene(tmp_path / f"{PRODUCT}_R1C1.TIF", width=60, height=60).path
    (tmp_path / f"{PRODUCT}.IMD").write_text(imd_text(CALIBRATION))
    got, stored = read(tile)
    np.testing.assert_allclose(got, expected_reflectance(stored), rtol=1e-5)


def test_a_tile_named_as_maxar_names_it_reads_its_products_imd(tmp_path: Path) -> None:
    """Maxar puts the tile between the product and the order: ``…-M2AS_R1C1-…_P001.TIF``
    beside ``…-M2AS-…_P001.IMD``; such a tile was refused, "no .IMD or .XML beside it"."""
    name = PRODUCT.replace("-M2AS-", "-M2AS_R1C1-")
    tile = write_scene(tmp_path / f"{name}.TIF", width=60, height=60).path
    (tmp_path / f"{PRODUCT}.IMD").write_text(imd_text(CALIBRATION))
    got, stored = read(tile)
    np.testing.assert_allclose(got, expected_reflectance(stored), rtol=1e-5)


def test_without_its_imd_is_one_line(product: Path) -> None:
    product.with_suffix(".IMD").unlink()
    with pytest.raises(InputError) as caught:
        open_scene(product)
    message = str(caught.value)
    assert message.startswith(f"{product}: is a Maxar product of uint16 digital numbers")
    assert ".IMD" in message and "\n" not in message


def test_an_imd_missing_a_band_is_one_line(product: Path) -> None:
    three = {group: CALIBRATION[group] for group in ("BAND_B", "BAND_G", "BAND_R")}
    product.with_suffix(".IMD").write_text(imd_text(three))
    assert product_metadata(product) is not None
    with pytest.raises(InputError, match="effectiveBandwidth for band 4 of its 4 bands"):
        open_scene(product)
    two = {group: CALIBRATION[group] for group in ("BAND_B", "BAND_G")}  # it said 'band(s)'
    product.with_suffix(".IMD").write_text(imd_text(two))
    with pytest.raises(InputError, match="effectiveBandwidth for bands 3, 4 of its 4 bands"):
        open_scene(product)


def test_a_band_name_maxar_has_not_is_named_as_the_fault(product: Path) -> None:
    """``--scene-bands blue,green,green_i,nir``: it said the IMD had "no absCalFactor and
    effectiveBandwidth for band 3", of an IMD that has BAND_G and BAND_R."""
    with pytest.raises(InputError) as caught:
        open_scene(product, bands=("blue", "green", "green_i", "nir"))
    message = str(caught.value)
    assert "its band 3 is named green_i, not a Maxar band name (coastal_blue, blue," in message
    assert "absCalFactor" not in message and "--scene-bands" in message
    assert "\n" not in message


@pytest.mark.parametrize("elevation", ["-3.5", "0", "90.5"])
def test_a_sun_elevation_out_of_range_is_named_with_its_value(
    product: Path, elevation: str
) -> None:
    """A meanSunEl below the horizon or past the zenith was reported as missing, "has no
    meanSunEl", in an IMD that has one."""
    imd = product.with_suffix(".IMD")
    imd.write_text(
        imd_text(CALIBRATION).replace(f"meanSunEl = {SUN_ELEVATION}", f"meanSunEl = {elevation}")
    )
    with pytest.raises(InputError) as caught:
        open_scene(product)
    message = str(caught.value)
    assert f"{imd.name}'s meanSunEl, {float(elevation):g}°, is out of range" in message
    assert "has no meanSunEl" not in message and "\n" not in message
    imd.write_text(imd_text(CALIBRATION).replace(f"meanSunEl = {SUN_ELEVATION};", ""))
    with pytest.raises(InputError, match="has no meanSunEl"):
        open_scene(product)


def test_eight_bit_products_are_display_images(tmp_path: Path) -> None:
    """An 8-bit product (dynamic range adjusted for display) is read as 8-bit, IMD or not."""
    scene = write_scene(tmp_path / f"{PRODUCT}.TIF", width=60, height=60, bands=3, dtype="uint8")
    (tmp_path / f"{PRODUCT}.IMD").write_text(imd_text(CALIBRATION))
    with rasterio.open(scene.path) as raw:
        stored = raw.read(window=WINDOW).astype(np.float64)
    with open_scene(scene.path) as opened:
        assert opened.calibration is None
        got = opened.read_window(WINDOW, InputSpec(bands=("red", "green", "blue")))
    np.testing.assert_allclose(got.data, stored / 255 * got.valid, rtol=1e-5)


def test_worldview_bands_are_matched_by_name(tmp_path: Path) -> None:
    """An 8-band WorldView-3 product: each band its own IMD group and solar irradiance."""
    path = write_scene(tmp_path / f"{PRODUCT}.TIF", width=60, height=60, bands=8).path
    groups = ("BAND_C", "BAND_B", "BAND_G", "BAND_Y", "BAND_R", "BAND_RE", "BAND_N", "BAND_N2")
    calibration = {group: (1.0e-02 + 1e-3 * i, 5.0e-02) for i, group in enumerate(groups)}
    (tmp_path / f"{PRODUCT}.IMD").write_text(imd_text(calibration, satellite="WV03"))
    with open_scene(path) as scene:
        assert scene.calibration is not None
        coefficients = scene.calibration.coefficients
    sine = math.sin(math.radians(SUN_ELEVATION))
    distance = earth_sun_distance_au(datetime(2017, 8, 31, 16, 20, 13, tzinfo=UTC))
    red = calibration["BAND_R"][0] / 5.0e-02 * math.pi * distance**2 / (1535.33 * sine)
    assert coefficients[5] == pytest.approx(red)  # band 5 is red in WorldView's order
    assert coefficients[1] < coefficients[8]  # coastal's ESUN is twice NIR2's


def test_a_satellite_without_a_table_takes_worldview3s(product: Path) -> None:
    product.with_suffix(".IMD").write_text(imd_text(CALIBRATION, satellite="LG01"))
    with open_scene(product) as scene:
        assert scene.values_read_as is not None
        assert "LG01, solar irradiance of WV03" in scene.values_read_as


def test_other_scenes_are_untouched(tmp_path: Path) -> None:
    """A Planet scene beside a stray IMD is reflectance × 10,000 as before."""
    path = write_scene(tmp_path / "20240301_143000_00_2455_3B_AnalyticMS_SR.tif", width=60).path
    (tmp_path / "20240301_143000_00_2455_3B_AnalyticMS_SR.IMD").write_text(imd_text(CALIBRATION))
    got, stored = read(path)
    np.testing.assert_allclose(got, np.clip(stored / 10_000, 0, 1), rtol=1e-5)


def test_a_complete_imd_beside_an_xml_missing_a_band_is_used(product: Path) -> None:
    """The first IMD or XML with any band was taken: an XML lacking BAND_N (looked at before
    the IMD) refused the scene, "has no absCalFactor … for band 4", beside the complete IMD."""
    three = {group: CALIBRATION[group] for group in ("BAND_B", "BAND_G", "BAND_R")}
    product.with_suffix(".XML").write_text(xml_text(three))
    got, stored = read(product)
    np.testing.assert_allclose(got, expected_reflectance(stored), rtol=1e-5)
    with open_scene(product) as scene:
        assert scene.values_read_as is not None and f"{PRODUCT}.IMD's" in scene.values_read_as
    found = product_metadata(product, set(CALIBRATION))
    assert found is not None and found.source.suffix == ".IMD"


def test_no_file_that_calibrates_every_band_names_each_file_tried(product: Path) -> None:
    three = {group: CALIBRATION[group] for group in ("BAND_B", "BAND_G", "BAND_R")}
    two = {group: CALIBRATION[group] for group in ("BAND_B", "BAND_G")}
    product.with_suffix(".XML").write_text(xml_text(two))
    product.with_suffix(".IMD").write_text(imd_text(three))
    with pytest.raises(InputError) as caught:
        open_scene(product)
    message = str(caught.value)
    assert (
        f"{PRODUCT}.XML has no absCalFactor and effectiveBandwidth for bands 3, 4 of its 4 "
        f"bands, nor {PRODUCT}.IMD for band 4 — " in message
    )
    assert "\n" not in message


def test_an_undated_product_says_so_and_takes_the_mean_distance(tmp_path: Path) -> None:
    """No date in the IMD, the name (30 February) or the tags: the Earth–Sun distance was
    2000-01-01's (0.983 AU, reflectance 6.5 % low in July) without a word; it is now 1 AU
    (within 3.4 % on any day) and the summary line says so."""
    name = PRODUCT.replace("17AUG31", "17FEB30")
    path = write_scene(tmp_path / f"{name}.TIF", width=60, height=60).path
    imd = imd_text(CALIBRATION).replace("\tfirstLineTime = 2017-08-31T16:20:13.123456Z;\n", "")
    (tmp_path / f"{name}.IMD").write_text(imd)
    with open_scene(path) as scene:
        assert scene.acquired is None
        assert scene.calibration is not None and scene.values_read_as is not None
        blue = scene.calibration.coefficients[1]
        said = scene.values_read_as
    sine = math.sin(math.radians(SUN_ELEVATION))
    cal, width = CALIBRATION["BAND_B"]
    assert blue == pytest.approx(cal / width * math.pi / (GE01_ESUN["BAND_B"] * sine))
    assert "no acquisition date, so the Earth–Sun distance is taken as 1 AU" in said
    assert "--date" in said
    with open_scene(path, date="2017-08-31") as dated:
        assert dated.values_read_as is not None
        assert "no acquisition date" not in dated.values_read_as


def test_a_foreign_band_name_of_an_8_band_product_is_told_worldviews_names(
    tmp_path: Path,
) -> None:
    """An 8-band product named with SuperDove's bands was told "e.g. --scene-bands
    blue,green,red,nir", four names for eight bands, which it refuses in turn."""
    path = write_scene(tmp_path / f"{PRODUCT}.TIF", width=60, height=60, bands=8).path
    (tmp_path / f"{PRODUCT}.IMD").write_text(imd_text(CALIBRATION, satellite="WV03"))
    superdove = ("coastal_blue", "blue", "green_i", "green", "yellow", "red", "red_edge", "nir")
    with pytest.raises(InputError) as caught:
        open_scene(path, bands=superdove)
    worldview = "coastal_blue,blue,green,yellow,red,red_edge,nir,nir2"
    assert f"--scene-bands {worldview}" in str(caught.value)


@pytest.mark.parametrize("count", [2, 5, 6, 9])
def test_a_foreign_band_name_of_a_product_of_other_band_counts_is_told_as_many_names(
    tmp_path: Path, count: int
) -> None:
    """A Maxar product of 2, 5 or 6 bands named with a SuperDove name was told "e.g.
    --scene-bands blue,green,red,nir", four names, which that file refuses in turn; it is
    told as many Maxar names as it has bands. Of 9 bands (more than Maxar's 8 names), no
    --scene-bands of Maxar's names names them: it is told to write the bands apart."""
    from detector.inputspec import BAND_NAMES

    path = write_scene(tmp_path / f"{PRODUCT}.TIF", width=60, height=60, bands=count).path
    every = {group: (1.0e-02, 5.0e-02) for group in IMD_BANDS.values()}
    (tmp_path / f"{PRODUCT}.IMD").write_text(imd_text(every, satellite="WV03"))
    given = ("green_i", *(n for n in BAND_NAMES if n != "green_i"))[:count]
    with pytest.raises(InputError) as caught:
        open_scene(path, bands=given)
    message = str(caught.value)
    assert "\n" not in message and "green_i" in message
    if count > 8:
        assert "e.g. --scene-bands" not in message and "gdal_translate -b 1" in message
        return
    example = message.split("--scene-bands ")[1].split()[0].strip(",.;)")
    names = example.split(",")
    assert len(names) == count and len(set(names)) == count
    assert all(name in IMD_BANDS for name in names)
    with open_scene(path, bands=names) as scene:  # the example is read
        assert scene.calibration is not None
