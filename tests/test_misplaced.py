"""A scene that meets no river: the other hemisphere's UTM zone is named when it is the cause."""

from __future__ import annotations

from pathlib import Path

import rasterio
from rasterio.crs import CRS

from detector.misplaced import no_river_error, other_hemisphere_rivers
from detector.rivers import RiverNetwork
from detector.scene import open_scene
from tests.geo_fixtures import write_rivers, write_scene


def _with_crs(path: Path, epsg: int) -> Path:
    with rasterio.open(path, "r+") as dst:
        dst.crs = CRS.from_epsg(epsg)
    return path


def test_a_north_zone_for_south_coordinates_is_named(tmp_path: Path) -> None:
    """Zone 18N over zone 18S's numbers puts a Nanay scene near the North Pole."""
    scene = write_scene(tmp_path / "scene.tif", width=60, height=60)
    rivers = RiverNetwork.read(
        write_rivers(tmp_path / "rivers.geojson", {"Nanay": scene.river}, crs=scene.crs)
    )
    with open_scene(_with_crs(scene.path, 32618), date="2024-03-01") as opened:
        assert other_hemisphere_rivers(opened, rivers) == ("EPSG:32718", ["Nanay"])
        message = str(no_river_error(opened, rivers))
    assert message.startswith(f"{scene.path}: does not overlap any river corridor of ")
    assert "its CRS is EPSG:32618, but in EPSG:32718" in message and "lies on Nanay" in message
    assert message.endswith(f"gdal_edit.py -a_srs EPSG:32718 {scene.path}")


def test_a_south_zone_for_north_coordinates_is_named(tmp_path: Path) -> None:
    """North of the equator (Colombia's and Venezuela's rivers), the other way round."""
    scene = write_scene(tmp_path / "scene.tif", width=60, height=60, crs="EPSG:32619",
                        centre_lonlat=(-67.9, 3.9))  # fmt: skip
    rivers = RiverNetwork.read(
        write_rivers(tmp_path / "rivers.geojson", {"Inírida": scene.river}, crs=scene.crs)
    )
    with open_scene(_with_crs(scene.path, 32719), date="2024-03-01") as opened:
        assert other_hemisphere_rivers(opened, rivers) == ("EPSG:32619", ["Inírida"])


def test_a_wrong_hemisphere_is_named_in_any_utm_datum(tmp_path: Path) -> None:
    """Peruvian data in PSAD56 / UTM 18N for zone 18S's numbers (and Brazilian in SIRGAS 2000):
    the hint knew WGS 84 / UTM (EPSG 32601–32760) only and gave the plain line."""
    for north, south in ((24818, 24878), (31972, 31978)):  # PSAD56, SIRGAS 2000 / UTM 18
        folder = tmp_path / str(north)
        folder.mkdir()
        scene = write_scene(folder / "scene.tif", width=60, height=60, crs=f"EPSG:{south}")
        rivers = RiverNetwork.read(
            write_rivers(folder / "rivers.geojson", {"Nanay": scene.river}, crs=scene.crs)
        )
        with open_scene(_with_crs(scene.path, north), date="2024-03-01") as opened:
            assert other_hemisphere_rivers(opened, rivers) == (f"EPSG:{south}", ["Nanay"])
            message = str(no_river_error(opened, rivers))
        assert message.endswith(f"gdal_edit.py -a_srs EPSG:{south} {scene.path}")


def test_a_wrong_hemisphere_on_a_datum_of_its_own_keeps_its_datum_shift(tmp_path: Path) -> None:
    """A UTM CRS of a datum EPSG cannot name, with its shift to WGS 84 (+towgs84, as a GIS
    export of PSAD56 by parameters writes it): the hint's PROJ string left the shift out,
    a CRS of no datum shift, a few hundred metres from where the scene was taken."""
    shift = "+ellps=intl +towgs84=-288,175,-376,0,0,0,0 +units=m +no_defs"
    south = f"+proj=utm +zone=18 +south {shift}"
    scene = write_scene(tmp_path / "scene.tif", width=60, height=60, crs=south)
    rivers = RiverNetwork.read(
        write_rivers(tmp_path / "rivers.geojson", {"Nanay": scene.river}, crs=scene.crs)
    )
    with rasterio.open(scene.path, "r+") as dst:
        dst.crs = CRS.from_string(f"+proj=utm +zone=18 {shift}")
    with open_scene(scene.path, date="2024-03-01") as opened:
        found = other_hemisphere_rivers(opened, rivers)
    assert found is not None and found[1] == ["Nanay"]
    assert found[0].startswith('"+proj=utm +zone=18 +south +ellps=intl +towgs84=-288,175,-376')


def test_a_scene_that_is_simply_elsewhere_keeps_the_plain_line(tmp_path: Path) -> None:
    river = write_scene(tmp_path / "river.tif", width=60, height=60)
    far = write_scene(tmp_path / "far.tif", width=60, height=60, centre_lonlat=(-74.5, -3.75))
    rivers = RiverNetwork.read(
        write_rivers(tmp_path / "rivers.geojson", {"Nanay": river.river}, crs=river.crs)
    )
    mercator = write_scene(tmp_path / "m.tif", crs="EPSG:3857", centre_lonlat=(-74.5, -3.75))
    for path in (far.path, mercator.path):  # a UTM zone and a CRS that has no hemisphere
        with open_scene(path, date="2024-03-01") as opened:
            assert other_hemisphere_rivers(opened, rivers) is None
            message = str(no_river_error(opened, rivers))
        assert "other hemisphere" not in message and "widen --corridor-m" in message


def test_a_crs_set_by_an_aux_xml_beside_the_scene_is_named(tmp_path: Path) -> None:
    """GDAL takes a .aux.xml's CRS over the file's own: the line pointed at the scene only."""
    scene = write_scene(tmp_path / "scene.tif", width=60, height=60)
    rivers = RiverNetwork.read(
        write_rivers(tmp_path / "rivers.geojson", {"Nanay": scene.river}, crs=scene.crs)
    )
    wkt = CRS.from_epsg(32618).to_wkt()
    aux = tmp_path / "scene.tif.aux.xml"
    aux.write_text(f'<PAMDataset><SRS dataAxisToSRSAxisMapping="1,2">{wkt}</SRS></PAMDataset>')
    with open_scene(scene.path, date="2024-03-01") as opened:
        assert opened.crs.to_epsg() == 32618  # the aux's, not the file's 32718
        message = str(no_river_error(opened, rivers))
    assert "(its CRS is the one scene.tif.aux.xml beside it sets: is that right?)" in message
    assert "in EPSG:32718 (the same UTM zone, other hemisphere) it lies on Nanay" in message
