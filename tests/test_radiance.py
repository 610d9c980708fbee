"""Planet radiance ("analytic") scenes are read as reflectance through their XML coefficients."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.radiance import is_planet_radiance, reflectance_coefficients
from detector.scene import open_scene
from tests.geo_fixtures import write_scene

SCENE_ID = "20170715_145012_56_2455"
COEFFICIENTS = {1: 2.1e-5, 2: 2.3e-5, 3: 2.6e-5, 4: 3.9e-5}
SPEC = InputSpec(bands=("blue", "green", "red", "nir"))
WINDOW = Window(0, 0, 40, 40)


def write_planet_xml(path: Path, coefficients: dict[int, float]) -> Path:
    """A Planet ``_metadata.xml`` (namespaces as Planet writes them) with these coefficients."""
    bands = "".join(
        f"<ps:bandSpecificMetadata><ps:bandNumber>{band}</ps:bandNumber>"
        f"<ps:radiometricScaleFactor>0.01</ps:radiometricScaleFactor>"
        f"<ps:reflectanceCoefficient>{value:.6e}</ps:reflectanceCoefficient>"
        f"</ps:bandSpecificMetadata>"
        for band, value in coefficients.items()
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ps:EarthObservation xmlns:ps="http://schemas.planet.com/ps/v1/planet_product_metadata_geo"'
        ' xmlns:eop="http://earth.esa.int/eop">'
        "<eop:acquisitionDate>2017-07-15T14:50:12+00:00</eop:acquisitionDate>"
        f"<gml:resultOf xmlns:gml='http://www.opengis.net/gml'><ps:EarthObservationResult>{bands}"
        "</ps:EarthObservationResult></gml:resultOf></ps:EarthObservation>"
    )
    return path


@pytest.fixture
def radiance(tmp_path: Path) -> Path:
    scene = write_scene(tmp_path / f"{SCENE_ID}_3B_AnalyticMS.tif", width=60, height=60)
    write_planet_xml(tmp_path / f"{SCENE_ID}_3B_AnalyticMS_metadata.xml", COEFFICIENTS)
    return scene.path


def test_names_of_radiance_assets() -> None:
    radiance = ["_3B_AnalyticMS.tif", "_3B_AnalyticMS_8b.tif", "_3B_AnalyticMS_clip.tif"]
    radiance += ["_3B_AnalyticMS_8b_clip_file_format.tif"]  # clipped, in COG file format
    reflectance = ["_3B_AnalyticMS_SR.tif", "_3B_AnalyticMS_SR_8b_clip.tif", "_3B_Visual.tif"]
    assert all(is_planet_radiance(SCENE_ID + end) for end in radiance)
    assert not any(is_planet_radiance(SCENE_ID + end) for end in reflectance)
    assert is_planet_radiance("4626013_1862607_2017-07-15_0e0f_BGRN_Analytic.tif")  # ortho tile
    assert not is_planet_radiance("1234567_2017-07-15_RE1_3A_Analytic.tif")  # RapidEye: no XML
    # coefficients, read as before


def test_radiance_is_read_as_reflectance(radiance: Path) -> None:
    """A stored value times its band's coefficient; divided by 10,000 the image was 2-5 times
    too bright (here 2.1e-5 × DN against DN / 10,000 in blue)."""
    with rasterio.open(radiance) as raw:
        stored = raw.read(window=WINDOW).astype(np.float64)
    with open_scene(radiance) as scene:
        got = scene.read_window(WINDOW, SPEC)
    coefficient = np.array([COEFFICIENTS[band] for band in (1, 2, 3, 4)])[:, None, None]
    expected = np.clip(stored * coefficient, 0, 1) * got.valid
    np.testing.assert_allclose(got.data, expected, rtol=1e-5)


def test_reflectance_products_ignore_the_coefficients(tmp_path: Path, radiance: Path) -> None:
    """The _SR asset comes with the same XML; its values are reflectance × 10,000 already."""
    sr = radiance.with_name(f"{SCENE_ID}_3B_AnalyticMS_SR.tif")
    shutil.copy(radiance, sr)
    with open_scene(sr) as scene:
        assert scene.band_full_scale == {}
        got = scene.read_window(WINDOW, SPEC)
    with rasterio.open(sr) as raw:
        expected = np.clip(raw.read(window=WINDOW) / 10_000, 0, 1)
    np.testing.assert_allclose(got.data, expected, rtol=1e-5)


def test_radiance_without_its_xml_is_one_line(tmp_path: Path, radiance: Path) -> None:
    radiance.with_name(f"{SCENE_ID}_3B_AnalyticMS_metadata.xml").unlink()
    with pytest.raises(InputError) as caught:
        open_scene(radiance)
    message = str(caught.value)
    assert message.startswith(f"{radiance}: is Planet radiance")
    assert "_metadata.xml" in message and "analytic_sr" in message and "\n" not in message


def test_an_xml_missing_a_band_is_one_line(tmp_path: Path, radiance: Path) -> None:
    xml = radiance.with_name(f"{SCENE_ID}_3B_AnalyticMS_metadata.xml")
    write_planet_xml(xml, {band: COEFFICIENTS[band] for band in (1, 2, 3)})
    assert reflectance_coefficients(radiance) is not None  # the XML is found
    with pytest.raises(InputError, match="no reflectance coefficient for band 4 of its 4 bands"):
        open_scene(radiance)
    write_planet_xml(xml, {band: COEFFICIENTS[band] for band in (1, 2)})  # it said 'band(s)'
    with pytest.raises(InputError, match="coefficient for bands 3, 4 of its 4 bands"):
        open_scene(radiance)


def test_an_xml_saved_in_windows_1252_is_read(tmp_path: Path, radiance: Path) -> None:
    """A Planet XML saved by Notepad as "ANSI" (Windows-1252, its declaration removed: a note
    `Peña` added by hand) was not well-formed to the reader, and the scene refused: "no
    _metadata.xml beside it", beside the XML."""
    xml = radiance.with_name(f"{SCENE_ID}_3B_AnalyticMS_metadata.xml")
    text = xml.read_text().replace('<?xml version="1.0" encoding="UTF-8"?>', "")
    xml.write_bytes(text.replace("<eop:acq", "<ps:note>Peña</ps:note><eop:acq", 1).encode("cp1252"))
    found = reflectance_coefficients(radiance)
    assert found is not None and found[0] == pytest.approx(COEFFICIENTS)
    with open_scene(radiance) as scene:
        assert scene.values_read_as is not None


def test_an_xml_missing_a_band_counts_the_image_bands_alone(tmp_path: Path) -> None:
    """A scene of four bands and an alpha band (Earth Engine's export: described ``alpha``)
    whose XML lacks band 4 was "band 4 of its 5 bands", counting the alpha band, which needs
    no coefficient (the Maxar line counts image bands alone)."""
    four = write_scene(tmp_path / "four.tif", width=60, height=60).path
    path = tmp_path / f"{SCENE_ID}_3B_AnalyticMS.tif"
    with rasterio.open(four) as src:
        data, profile = src.read(), src.profile
    alpha = np.where((data != 0).any(axis=0), 65535, 0).astype("uint16")
    with rasterio.open(path, "w", **(profile | {"count": 5})) as dst:
        dst.write(np.concatenate([data, alpha[None]]))
        dst.set_band_description(5, "alpha")
    write_planet_xml(path.with_name(f"{SCENE_ID}_3B_AnalyticMS_metadata.xml"), COEFFICIENTS)
    with open_scene(path) as scene:  # its four coefficients serve its four image bands
        assert scene.alpha_band == 5 and scene.calibration is not None
    write_planet_xml(
        path.with_name(f"{SCENE_ID}_3B_AnalyticMS_metadata.xml"),
        {band: COEFFICIENTS[band] for band in (1, 2, 3)},
    )
    with pytest.raises(InputError) as caught:
        open_scene(path)
    assert "no reflectance coefficient for band 4 of its 4 bands —" in str(caught.value)
