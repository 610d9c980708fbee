"""Scene files that cannot be read as they are: each gives one line naming the file and the fix
(no CRS, truncated, not a raster, not found, still in its sensor's geometry)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from detector.errors import InputError
from detector.scene import open_scene
from tests.geo_fixtures import truncate, write_scene

SMALL: dict[str, Any] = {"width": 40, "height": 40}


def test_bad_files_give_one_clear_line(tmp_path: Path) -> None:
    no_crs = write_scene(tmp_path / "no_crs.tif", with_crs=False, **SMALL)
    cut = write_scene(tmp_path / "cut.tif", width=200, height=200)
    truncate(cut.path, 0.6)
    text = tmp_path / "notes.tif"
    text.write_text("not an image")
    cases = {
        no_crs.path: "has no CRS",
        cut.path: "is truncated",
        text: "is not a readable raster",
        tmp_path / "missing.tif": "file not found",
    }
    for path, problem in cases.items():
        with pytest.raises(InputError) as caught:
            open_scene(path)
        message = str(caught.value)
        assert message.startswith(str(path)), message
        assert problem in message
        assert " — " in message and "\n" not in message


def _unrectified(path: Path, **georef: Any) -> Path:
    """A 4-band image in its sensor's geometry: GCPs or RPCs, no CRS, no geotransform."""
    with rasterio.open(
        path, "w", driver="GTiff", width=40, height=40, count=4, dtype="uint16", **georef
    ) as out:
        out.write(np.full((4, 40, 40), 500, dtype="uint16"))
    return path


def test_an_image_in_sensor_geometry_asks_for_orthorectification(tmp_path: Path) -> None:
    """Planet basic (L1B) and Maxar level-1B images carry RPCs or GCPs and no map grid; the
    line said "has no CRS — gdal_edit.py -a_srs", which would not place them."""
    from rasterio.control import GroundControlPoint
    from rasterio.rpc import RPC

    corners = [(0, 0), (0, 40), (40, 0), (40, 40)]
    gcps = [
        GroundControlPoint(row, col, 675_000 + 3 * col, 9_580_000 - 3 * row) for row, col in corners
    ]
    term = np.eye(20).tolist()  # term[k]: only the k-th of the 20 RPC coefficients is 1
    rpcs = RPC(
        height_off=100, height_scale=500, lat_off=-3.8, lat_scale=0.1, long_off=-73.4,
        long_scale=0.1, line_off=20, line_scale=20, samp_off=20, samp_scale=20,
        line_num_coeff=[-c for c in term[2]], line_den_coeff=term[0],
        samp_num_coeff=term[1], samp_den_coeff=term[0],
    )  # fmt: skip
    cases = {
        _unrectified(tmp_path / "gcps.tif", gcps=gcps, crs="EPSG:32718"): "gdalwarp -tps",
        _unrectified(tmp_path / "rpcs.tif", rpcs=rpcs): "gdalwarp -rpc",
    }
    for path, fix in cases.items():
        with pytest.raises(InputError) as caught:
            open_scene(path)
        message = str(caught.value)
        assert message.startswith(f"{path}: is not orthorectified"), message
        assert fix in message and "has no CRS" not in message and "\n" not in message


def test_a_metre_crs_over_coordinates_in_degrees_is_one_line(tmp_path: Path) -> None:
    """A scene in longitude and latitude given a UTM CRS (`gdal_edit.py -a_srs EPSG:32718`, the
    fix for a file without a CRS, followed for one in degrees) has pixels of 2.7e-05 "metres"
    near the origin of its zone: it failed as "does not overlap any river corridor … — check
    that the rivers file covers this scene, or widen --corridor-m", a fix that cannot work."""
    from affine import Affine

    path = tmp_path / "scene.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=40, height=40, count=4, dtype="uint16",
        crs="EPSG:32718", transform=Affine(2.7e-5, 0, -73.43, 0, -2.7e-5, -3.79),
    ) as out:  # fmt: skip
        out.write(np.full((4, 40, 40), 500, dtype="uint16"))
    with pytest.raises(InputError) as caught:
        open_scene(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: has a projected CRS (EPSG:32718) but coordinates")
    assert "gdal_edit.py -a_srs EPSG:4326" in message and "\n" not in message
    fine = write_scene(tmp_path / "drone.tif", gsd_m=0.05, **SMALL)  # 5 cm: a scene
    open_scene(fine.path).close()


@pytest.mark.parametrize("a, b, d, e", [(0, 0, 0, 0), (3, 0, 0, 0), (3, 3, 3, 3)])
def test_a_geotransform_of_no_area_is_one_line(
    tmp_path: Path, a: float, b: float, d: float, e: float
) -> None:
    """A geotransform whose pixels have no area (all zeros, a pixel height of 0, or both axes
    along one line): `dredge run` stopped on 'ZeroDivisionError: float division by zero' in
    the scene's grid, with a traceback and exit 3, rather than failing that scene."""
    from rasterio.crs import CRS
    from rasterio.transform import Affine

    path = tmp_path / "flat.tif"
    transform = Affine(a, b, 675_000, d, e, 9_580_000)
    with rasterio.open(
        path, "w", driver="GTiff", width=40, height=40, count=4, dtype="uint16",
        crs=CRS.from_epsg(32718), transform=transform,
    ) as out:  # fmt: skip
        out.write(np.full((4, 40, 40), 500, dtype="uint16"))
    with pytest.raises(InputError, match=r"flat\.tif: has a geotransform whose pixels have no"):
        open_scene(path)
