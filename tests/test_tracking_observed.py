"""What each scene saw, for the tracker: clear, valid ground away from its edges, clouds and
collars, read from its cloud mask and pixels; how the tracker dates a scene, and one it cannot
place."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from detector.acquisition import time_from_name
from detector.cloud_masks import find_udm2
from detector.errors import InputError
from detector.observed import EDGE_MARGIN_M, observed_areas
from detector.scene import open_scene
from tests.geo_fixtures import write_scene, write_udm2

# --- observed areas --------------------------------------------------------------------------


def test_observed_areas_are_the_clear_valid_footprint(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"  # type: ignore[operator]
    scene = write_scene(path, rotated_footprint=True, footprint_scale=0.8)
    centre = scene.footprint.centroid
    cloud = shapely.Point(centre.x + 150, centre.y + 150).buffer(60)
    write_udm2(scene, cloud=cloud)
    assert find_udm2(path) is not None
    areas = observed_areas([path])
    assert areas.loc[0, "acquired"] == pd.Timestamp("2023-07-15 14:50:12", tz="UTC")
    assert areas.loc[0, "scene"] == path.stem
    to_wgs84 = gpd.GeoSeries(
        [centre, cloud.centroid, shapely.Point(scene.transform @ (1, 1))], crs=scene.crs
    ).to_crs("EPSG:4326")
    inside = areas.geometry.iloc[0].contains(to_wgs84).tolist()
    assert inside == [True, False, False]  # clear centre; cloud; nodata corner


def test_the_older_udm_takes_clouds_out_of_what_a_scene_saw(tmp_path: Path) -> None:
    """A 2017 scene with Planet's older UDM (no UDM2): its cloud had counted as seen ground."""
    from tests.geo_fixtures import write_udm

    path = tmp_path / "20170715_145012_56_0e0f_3B_AnalyticMS.tif"
    scene = write_scene(path)
    centre = scene.footprint.centroid
    cloud = shapely.Point(centre.x, centre.y).buffer(80)
    write_udm(scene, cloud=cloud)
    areas = observed_areas([path])
    assert areas.loc[0, "cloud_mask"] == "udm"
    corner = shapely.Point(scene.transform @ (scene.width - 8, scene.height - 8))  # 24 m in
    points = gpd.GeoSeries([centre, corner], crs=scene.crs).to_crs(4326)
    assert areas.geometry.iloc[0].contains(points).tolist() == [False, True]


def test_an_ortho_tiles_cloud_mask_is_read_for_what_it_saw(tmp_path: Path) -> None:
    """PSOrthoTile names (…_2439_BGRN_SR.tif beside …_2439_udm2.tif): the detector read the
    mask, while the tracker took the tile's clouds for seen ground."""
    path = tmp_path / "4626013_1862607_2021-06-15_2439_BGRN_SR.tif"
    scene = write_scene(path)
    centre = scene.footprint.centroid
    cloud = shapely.Point(centre.x, centre.y).buffer(80)
    write_udm2(scene, cloud=cloud, name="4626013_1862607_2021-06-15_2439_udm2.tif")
    areas = observed_areas([path])
    assert bool(areas.loc[0, "cloud_mask"])
    inside = gpd.GeoSeries([centre], crs=scene.crs).to_crs(4326)
    assert not areas.geometry.iloc[0].contains(inside.iloc[0])


def test_ground_under_light_haze_is_seen_and_under_shadow_or_heavy_haze_is_not(
    tmp_path: Path,
) -> None:
    """Planet's UDM2 gives each pixel one class, and light haze (all haze in UDM2.1) is 'seen
    through to the ground', and read by the detector: it was taken as unseen (band 1 only), so
    in a hazy season no dredge could be seen gone."""
    import rasterio
    from rasterio.features import rasterize

    path = tmp_path / "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"
    scene = write_scene(path)
    centre = scene.footprint.centroid
    discs = {
        band: shapely.Point(centre.x + dx, centre.y).buffer(60)
        for band, dx in ((4, -200.0), (5, 0.0), (3, 200.0))  # light haze, heavy haze, shadow
    }
    udm_path = write_udm2(scene)
    with rasterio.open(udm_path, "r+") as udm:
        bands = udm.read()
        for band, disc in discs.items():
            inside = rasterize([(disc, 1)], out_shape=bands.shape[1:], transform=udm.transform)
            bands[0][inside == 1] = 0  # one class per pixel, as Planet writes them
            bands[band - 1][inside == 1] = 1
        udm.write(bands)
    area = observed_areas([path]).geometry.iloc[0]
    points = gpd.GeoSeries([d.centroid for d in discs.values()], crs=scene.crs).to_crs(4326)
    assert area.contains(points).tolist() == [True, False, False]


def test_a_udm2_whose_classes_are_written_0_and_255_is_read(tmp_path: Path) -> None:
    """Some tools write UDM2's class bands 0/255: the detector read them (any value but 0),
    while the tracker took clear only where band 1 was 1, and the scene saw nothing."""
    import rasterio

    path = tmp_path / "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"
    scene = write_scene(path)
    centre = scene.footprint.centroid
    cloud = shapely.Point(centre.x + 150, centre.y).buffer(60)
    udm_path = write_udm2(scene, cloud=cloud)
    with rasterio.open(udm_path, "r+") as udm:
        udm.write(udm.read() * 255)
    area = observed_areas([path]).geometry.iloc[0]
    points = gpd.GeoSeries([centre, cloud.centroid], crs=scene.crs).to_crs(4326)
    assert area.contains(points).tolist() == [True, False]


@pytest.mark.parametrize(("size", "max_pixels"), [(300, 1024), (800, 100)])
def test_no_seen_spot_is_within_the_edge_margin_of_a_cloud_or_the_edge(
    tmp_path: Path, size: int, max_pixels: int
) -> None:
    """Masks and scenes are read decimated (here to 3 m and 24 m cells, a full PlanetScope
    scene's at the default): read by nearest, small clouds fell between the pixels read, and
    the outline was simplified by a whole cell after eroding by the margin alone. At 24 m
    cells 603 m² of cloud (of 7 clouds 20 m wide) lay inside the area seen, and the image's
    edge was 14.8 m from a seen spot; at 3 m cells a seen spot was 12 m from a cloud."""
    import rasterio
    from rasterio.features import rasterize

    path = tmp_path / "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"
    scene = write_scene(path, width=size, height=size, rotated_footprint=True)
    centre = scene.footprint.centroid
    spots = [(-150, -140), (-60, 90), (20, -30), (70, 160), (140, 40), (-110, 10), (0, 120)]
    cloud = shapely.union_all(
        [shapely.Point(centre.x + dx, centre.y + dy).buffer(10.0) for dx, dy in spots]
        + [
            shapely.Point(centre.x + 200, centre.y - 200)
            .buffer(40.0)
            .intersection(
                shapely.box(centre.x + 170, centre.y - 260, centre.x + 260, centre.y - 150)
            )
        ]
    )
    write_udm2(scene, cloud=cloud)
    area = observed_areas([path], max_pixels=max_pixels).to_crs(scene.crs).geometry.iloc[0]
    with rasterio.open(path) as src:
        nodata = src.read(1) == 0
    cloudy = rasterize([(cloud, 1)], out_shape=nodata.shape, transform=scene.transform) > 0
    t = scene.transform
    for hidden in (cloudy, nodata):
        rows, cols = np.nonzero(hidden)
        pixels = shapely.union_all(
            [
                shapely.box(*(t @ (c, r + 1)), *(t @ (c + 1, r)))
                for r, c in zip(rows, cols, strict=True)
            ]
        )
        assert area.distance(pixels) >= EDGE_MARGIN_M - 0.01


def test_a_cloud_mask_cut_short_is_one_line_naming_it(tmp_path: Path) -> None:
    """A UDM2 whose download stopped part way (its header whole): `dredge track --scenes`
    stopped on "an unexpected fault (RasterioIOError: Read failed …) — this is a bug in
    dredge", with a traceback and no file named."""
    path = tmp_path / "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"
    scene = write_scene(path)
    udm = write_udm2(scene, cloud=scene.footprint.centroid.buffer(100))
    data = udm.read_bytes()
    udm.write_bytes(data[: len(data) * 9 // 10])
    with pytest.raises(InputError, match=rf"^{re.escape(str(udm))}: cannot be read \(.*download"):
        observed_areas([path])


def test_scenes_are_dated_by_the_table_then_their_name_metadata_or_tags(tmp_path: Path) -> None:
    undated = tmp_path / "scene.tif"
    write_scene(undated)
    with pytest.raises(InputError, match=r"acquisition date unknown.*--dates"):
        observed_areas([undated])
    iso = tmp_path / "maxar_2024-03-05.tif"
    write_scene(iso)
    table = {"scene": pd.Timestamp("2024-02-01 10:00", tz="America/Lima")}
    areas = observed_areas([undated, iso], dates=table)
    assert areas["acquired"].tolist() == [
        pd.Timestamp("2024-02-01 15:00", tz="UTC"),
        pd.Timestamp("2024-03-05", tz="UTC"),
    ]
    assert time_from_name("20231301_120000_x.tif") is None  # month 13


@pytest.mark.parametrize(
    "name",
    [
        "nanay_clip_20241102_093015.tif",  # a day and time behind a prefix: an export's
        "nanay_20241102_093015_0001.tif",
        "Nanay_20230715_145012_56_2455_3B_AnalyticMS_SR.tif",  # a Planet id: dated by both
        "nanay_2024-12-31T22:00-05.tif",
    ],
)
def test_the_tracker_dates_a_scene_by_its_name_as_the_scene_reader_does(
    tmp_path: Path, name: str
) -> None:
    """`dredge track --scenes` read names with a reader of its own, which took any
    ``YYYYMMDD_HHMMSS`` for the acquisition time: it dated ``nanay_clip_20241102_093015.tif``
    2024-11-02 09:30:15, where `open_scene` (and so `dredge run`) leaves that export's time
    undated. Both now read the name one way."""
    scene = write_scene(tmp_path / name, width=64, height=64)
    with open_scene(scene.path) as opened:
        own = opened.acquired
    if own is None:
        with pytest.raises(InputError, match="acquisition date unknown"):
            observed_areas([scene.path])
    else:
        assert observed_areas([scene.path])["acquired"].tolist() == [pd.Timestamp(own)]


def test_a_white_collar_without_nodata_is_not_seen(tmp_path: Path) -> None:
    """An 8-bit export whose collar is white (255) and that declares no nodata: the collar
    counted as seen ground (nodata was taken as 0), the whole frame of a demo scene, 1.5 km²
    beyond its image. A black collar still reads as before."""
    import rasterio

    base = write_scene(tmp_path / "base.tif", width=200, height=200)
    with rasterio.open(base.path) as src:
        profile = src.profile
    profile.update(dtype="uint8", count=3, nodata=None)
    rgb = np.random.default_rng(0).integers(20, 200, size=(3, 200, 200), dtype=np.uint8)
    west, south, east, north = base.footprint.bounds
    image = shapely.box(west + 300, south, east, north).buffer(-EDGE_MARGIN_M, join_style="mitre")
    for fill in (255, 0):
        rgb[:, :, :100] = fill  # the collar: west of 100 px
        path = tmp_path / f"20240105_15000{fill % 10}_export.tif"
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(rgb)
        area = observed_areas([path]).to_crs(base.crs).geometry.iloc[0]
        assert area.area == pytest.approx(image.area, rel=0.05)


def test_a_signed_scenes_negative_collar_without_nodata_is_not_seen(tmp_path: Path) -> None:
    """A 16-bit signed export (reflectance) whose collar is -9999 and that declares no
    nodata: once only 0 or the type's largest value could be a fill, the collar counted as
    seen ground again."""
    import rasterio

    base = write_scene(tmp_path / "base.tif", width=200, height=200)
    with rasterio.open(base.path) as src:
        profile = src.profile
    profile.update(dtype="int16", count=3, nodata=None)
    bands = np.random.default_rng(0).integers(200, 3000, size=(3, 200, 200), dtype=np.int16)
    bands[:, :, :100] = -9999  # the collar: west of 100 px
    west, south, east, north = base.footprint.bounds
    image = shapely.box(west + 300, south, east, north).buffer(-EDGE_MARGIN_M, join_style="mitre")
    path = tmp_path / "20240105_150000_sr.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(bands)
    area = observed_areas([path]).to_crs(base.crs).geometry.iloc[0]
    assert area.area == pytest.approx(image.area, rel=0.05)


def test_corners_of_a_single_band_scene_that_happen_to_agree_are_no_collar(
    tmp_path: Path,
) -> None:
    """A single-band 8-bit scene with no collar and no nodata, whose corner pixels happen to
    hold the same value (50, of even forest): every pixel of 50 was taken as nodata, and the
    area seen, eroded by the edge margin around each, shrank to nothing."""
    import rasterio

    base = write_scene(tmp_path / "base.tif", width=200, height=200)
    with rasterio.open(base.path) as src:
        profile = src.profile
    profile.update(dtype="uint8", count=1, nodata=None)
    grey = np.random.default_rng(0).integers(45, 56, size=(1, 200, 200), dtype=np.uint8)
    grey[:, 0, 0] = grey[:, 0, -1] = 50
    path = tmp_path / "20240105_150000_pan.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grey)
    area = observed_areas([path]).to_crs(base.crs).geometry.iloc[0]
    inner = base.footprint.buffer(-EDGE_MARGIN_M, join_style="mitre")
    assert area.area == pytest.approx(inner.area, rel=0.05)


def test_a_jpeg_compressed_scenes_smeared_black_collar_is_not_seen(tmp_path: Path) -> None:
    """JPEG compression (``gdal_translate -co COMPRESS=JPEG`` of an 8-bit visual scene with
    nodata 0) turns the black collar next to the image into values near 0, which are not
    nodata: the tracker took them as seen ground, up to 46 m out on a demo scene."""
    import rasterio

    base = write_scene(tmp_path / "base.tif", width=256, height=256)
    path = tmp_path / "20240105_150000_visual.tif"
    rgb = np.random.default_rng(0).integers(60, 200, size=(3, 256, 256), dtype=np.uint8)
    rgb[:, :, :100] = 0  # the collar: west of 100 px
    with rasterio.open(base.path) as src:
        profile = src.profile
    profile.update(dtype="uint8", count=3, compress="jpeg", photometric="ycbcr")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(rgb)
    with rasterio.open(path) as written:
        assert (written.read()[:, :, :100] > 0).any(axis=0).sum() > 100  # the smear
    area = observed_areas([path]).to_crs(base.crs).geometry.iloc[0]
    image_west = base.footprint.bounds[0] + 300.0
    assert area.bounds[0] - image_west >= EDGE_MARGIN_M


def test_a_scene_without_georeferencing_given_to_track_is_one_line(tmp_path: Path) -> None:
    """``dredge track --scenes`` with a scene without a CRS (or still in its sensor's geometry)
    said what ``dredge detect`` says of it; it was pyproj's CRSError traceback."""
    path = tmp_path / "20240105_150000_x.tif"
    write_scene(path, with_crs=False)
    with pytest.raises(InputError, match=r"x\.tif: has no CRS — georeference it"):
        observed_areas([path])


@pytest.mark.parametrize("kind", ["float-nan-nodata", "float-nan-undeclared", "alpha", "mask"])
def test_observed_area_leaves_out_pixels_without_data(tmp_path: Path, kind: str) -> None:
    """NaN (declared or not), an alpha band or an internal mask mark pixels without data, as
    for the detector; only zeros were looked for (a NaN border counted as seen)."""
    import rasterio

    base = write_scene(tmp_path / "base.tif", width=200, height=200)
    path = tmp_path / f"20240105_150000_{kind}.tif"
    with rasterio.open(base.path) as src:
        profile, pixels = src.profile, src.read()
    profile.update(nodata=None)
    left = np.s_[:, :, :100]
    if kind.startswith("float"):
        data = pixels.astype("float32") / 10_000
        data[left] = np.nan
        profile.update(dtype="float32", nodata=np.nan if kind == "float-nan-nodata" else None)
    else:
        data = np.maximum(pixels[:3] // 40, 1).astype("uint8")  # no zero pixel anywhere
        profile.update(dtype="uint8", count=3 + (kind == "alpha"))
    with rasterio.open(path, "w", **profile) as dst:
        if kind == "alpha":
            alpha = np.full(data.shape[1:], 255, dtype="uint8")
            alpha[:, :100] = 0
            dst.write(np.concatenate([data, alpha[None]]))
            dst.colorinterp = [*dst.colorinterp[:3], rasterio.enums.ColorInterp.alpha]
        else:
            dst.write(data)
            if kind == "mask":
                mask = np.full(data.shape[1:], 255, dtype="uint8")
                mask[:, :100] = 0
                dst.write_mask(mask)
    area = observed_areas([path]).to_crs(base.crs).geometry.iloc[0].area
    west, south, east, north = base.footprint.bounds
    half = shapely.box((west + east) / 2, south, east, north)
    inner = half.buffer(-EDGE_MARGIN_M, join_style="mitre")  # spots by the edge are not seen
    assert area == pytest.approx(inner.area, rel=0.05)


def test_a_spot_where_the_image_or_a_cloud_cuts_a_dredge_is_not_seen(tmp_path: Path) -> None:
    """A dredge whose centre lies 5 m inside a scene's edge is half cut off, and the detector
    misses it (a 22 m demo dredge was found from 10 m in); the area was eroded by one decimated
    pixel, 3 m on a clip of 1000 px, so its spot counted as seen empty. A cloud's edge too."""
    import rasterio

    base = write_scene(tmp_path / "base.tif", width=200, height=200)
    path = tmp_path / "20240105_150000_clip.tif"
    with rasterio.open(base.path) as src:
        profile, pixels = src.profile, src.read()
    pixels[:, :, :100] = 0  # no data west of x = 100 px (300 m)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(pixels)
    west, _, _, top = shapely.bounds(base.footprint)
    edge = west + 300.0
    cloud = shapely.box(edge + 150, top - 600, edge + 300, top)
    write_udm2(
        write_scene(path.with_name("unused.tif"), width=200, height=200),
        cloud=cloud,
        name=path.name.replace(".tif", "_udm2.tif"),
    )
    spots = [edge + 6, edge + 21, edge + 144, edge + 129]  # image edge; cloud edge
    points = gpd.GeoSeries([shapely.Point(x, top - 300) for x in spots], crs=base.crs)
    area = observed_areas([path]).geometry.iloc[0]
    assert area.contains(points.to_crs(4326)).tolist() == [False, True, False, True]


def test_a_mask_found_by_prefix_is_the_scenes_own_for_detector_and_tracker(
    tmp_path: Path,
) -> None:
    """Scenes of one collect share a name prefix: the mask with the longest shared start is the
    scene's; two that tie are neither (the first in name order had been taken). The tracker
    alone used to look by prefix: the detector read such a scene as cloud-free."""
    collect = "20230715_145012_ssc3d1"
    for part in ("0010", "0011"):
        scene = write_scene(tmp_path / f"{collect}_{part}_analytic_SR.tif", width=40, height=40)
        write_udm2(scene, name=f"{collect}_{part}_analytic_SR_mask_udm2.tif")
    path = tmp_path / f"{collect}_0011_analytic_SR.tif"
    own = tmp_path / f"{collect}_0011_analytic_SR_mask_udm2.tif"
    assert find_udm2(path) == own
    with open_scene(path) as opened:
        assert opened.cloud_mask is not None and opened.cloud_mask.path == own
    assert observed_areas([path]).loc[0, "cloud_mask"] == "udm2"
    (tmp_path / f"{collect}_0012_x.tif").touch()  # no mask shares more of its name than another
    assert find_udm2(tmp_path / f"{collect}_0012_x.tif") is None
    other = tmp_path / "20230716_101010_ssc9d9_0001_analytic_SR.tif"
    other.touch()
    (tmp_path / "20230716_101010_ssc9d9_0001_notes_udm2.tif").touch()  # not a raster
    assert find_udm2(other) is None
