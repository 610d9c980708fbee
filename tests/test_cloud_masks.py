"""Planet cloud masks beside a scene: UDM2 and the older UDM found by their names, and the
pixels they hide in a scene's windows."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from rasterio.windows import Window
from shapely import box

from detector.cloud_masks import find_cloud_mask, find_udm2, udm2_candidates, udm_candidates
from detector.errors import InputError
from detector.inputspec import InputSpec
from detector.observed import observed_areas
from detector.scene import open_scene
from tests.geo_fixtures import write_scene, write_udm, write_udm2

PLANET_ID = "20230715_145012_56_2455"
PLANET_NAME = f"{PLANET_ID}_3B_AnalyticMS_SR.tif"


def test_udm2_cloud_mask(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / PLANET_NAME, width=60, height=60)
    left, _, _, top = scene.footprint.bounds
    cloud = box(left, top - 30 * 3.0, left + 30 * 3.0, top)  # top-left quarter
    udm = write_udm2(scene, cloud)
    assert udm.name == f"{PLANET_ID}_3B_udm2.tif"
    with open_scene(scene.path) as opened:
        assert opened.udm2_path == str(udm)
        got = opened.read_window(Window(0, 0, 60, 60), InputSpec())
    assert not got.clear[:30, :30].any()
    assert got.clear[30:, :].all() and got.clear[:, 30:].all()
    assert got.valid.all()


def test_the_older_udm_is_the_cloud_mask_of_scenes_without_udm2(tmp_path: Path) -> None:
    """Scenes before August 2018 come with Planet's older UDM (bit flags), not UDM2: its cloud
    bit and its lost-band-data bits hide pixels; with a UDM2 beside it too, UDM2 wins."""
    scene = write_scene(tmp_path / PLANET_NAME, width=60, height=60)
    left, _, _, top = scene.footprint.bounds
    cloud = box(left, top - 30 * 3.0, left + 30 * 3.0, top)  # top-left quarter
    lost = box(left, top - 60 * 3.0, left + 60 * 3.0, top - 50 * 3.0)  # bottom ten rows
    udm = write_udm(scene, cloud, lost)
    assert udm.name == f"{PLANET_ID}_3B_AnalyticMS_DN_udm.tif"
    with open_scene(scene.path) as opened:
        assert opened.cloud_mask is not None and opened.cloud_mask.kind == "udm"
        assert opened.udm2_path is None
        got = opened.read_window(Window(0, 0, 60, 60), InputSpec())
    assert not got.clear[:30, :30].any() and not got.clear[50:, :].any()
    assert got.clear[30:50, :].all() and got.clear[:50, 30:].all()
    assert got.valid.all()
    write_udm2(scene)  # all clear
    with open_scene(scene.path) as opened:
        assert opened.cloud_mask is not None and opened.cloud_mask.kind == "udm2"
        assert opened.read_window(Window(0, 0, 60, 60), InputSpec()).clear.all()


def test_older_udm_names() -> None:
    tile = [p.name for p in udm_candidates(Path("/d/4626013_1862607_2017-06-15_0e0f_BGRN_SR.tif"))]
    assert "4626013_1862607_2017-06-15_0e0f_BGRN_DN_udm.tif" in tile
    clip = [p.name for p in udm_candidates(Path(f"/d/{PLANET_ID}_3B_AnalyticMS_clip.tif"))]
    assert clip[0] == f"{PLANET_ID}_3B_AnalyticMS_DN_udm_clip.tif"


def test_udm2_names_of_clipped_deliveries() -> None:
    names = [p.name for p in udm2_candidates(Path(f"/d/{PLANET_ID}_3B_AnalyticMS_SR_clip.tif"))]
    assert names[0] == f"{PLANET_ID}_3B_udm2_clip.tif"


def test_masks_of_deliveries_in_cog_file_format_are_found(tmp_path: Path) -> None:
    """Orders with the clip and file-format (COG) tools name scene and masks
    ``…_clip_file_format.tif``: the detector found no mask and read clouds as clear ground."""
    name = f"{PLANET_ID}_3B_AnalyticMS_SR_8b_harmonized_clip_file_format.tif"
    scene = write_scene(tmp_path / name, width=60, height=60)
    udm2 = write_udm2(scene, box(*scene.footprint.bounds))
    delivered = udm2.rename(tmp_path / f"{PLANET_ID}_3B_udm2_clip_file_format.tif")
    found = find_cloud_mask(scene.path)
    assert found is not None and found.path == delivered and found.kind == "udm2"
    cog = Path(f"/d/{PLANET_ID}_3B_AnalyticMS_file_format.tif")
    assert udm_candidates(cog)[0].name == f"{PLANET_ID}_3B_AnalyticMS_DN_udm_file_format.tif"
    skysat = Path("/d/20201122_183822_ss01_u0001_analytic_SR_clip_file_format.tif")  # lower case
    assert udm2_candidates(skysat)[0].name == "20201122_183822_ss01_u0001_udm2_clip_file_format.tif"


def test_a_folder_of_scenes_is_listed_once_for_their_masks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mask found by its capture prefix only (renamed on delivery) was looked for with a glob
    of the scene's folder, for each scene, twice (the detector, the tracker): in a folder of
    24,000 scenes without masks 26 ms each time, 21 minutes for the run. The folder is listed
    once (0.3 ms a scene), and again once a file is added."""
    others = [tmp_path / f"20230716_1450{n:02d}_56_2455_3B_AnalyticMS_SR.tif" for n in range(40)]
    for other in others:
        other.touch()
    settled = os.stat(tmp_path).st_mtime_ns - 60 * 10**9  # a folder modified a minute ago
    os.utime(tmp_path, ns=(settled, settled))
    listed: list[Any] = []
    scandir = os.scandir

    def listing(folder: Any = ".") -> Any:
        listed.append(folder)
        return scandir(folder)

    monkeypatch.setattr(os, "scandir", listing)
    assert all(find_udm2(other) is None for other in others)
    assert len(listed) == 1
    scene = write_scene(tmp_path / PLANET_NAME, width=60, height=60)
    renamed = tmp_path / f"{PLANET_ID}_3B_udm2_v2.tif"
    write_udm2(scene, box(*scene.footprint.bounds)).rename(renamed)
    assert find_udm2(scene.path) == renamed and len(listed) == 2


def test_a_mask_added_without_changing_the_folders_mtime_is_found(tmp_path: Path) -> None:
    """On a file system with a coarse mtime (FAT 2 s, HFS+ 1 s, a kernel's clock tick) a mask
    added just after the folder was listed leaves its mtime as it was: the listing cached under
    that mtime missed the mask for the rest of the run. A folder modified in the last seconds
    is listed again."""
    scene = write_scene(tmp_path / PLANET_NAME, width=60, height=60)
    stage = tmp_path / "stage"
    staged = write_udm2(
        write_scene(stage / PLANET_NAME, width=60, height=60), box(*scene.footprint.bounds)
    )
    before = os.stat(tmp_path)
    assert find_udm2(scene.path) is None
    renamed = tmp_path / f"{PLANET_ID}_3B_udm2_v2.tif"
    staged.rename(renamed)
    os.utime(tmp_path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same coarse stamp
    assert find_udm2(scene.path) == renamed


@pytest.mark.parametrize("data", [b"", b"<html>403 Forbidden</html>", b"II*\x00\x08\x00\x00\x00"])
def test_a_cloud_mask_that_cannot_be_opened_is_one_line(tmp_path: Path, data: bytes) -> None:
    """A UDM2 beside the scene that GDAL cannot open (empty, an error page saved in its place,
    a header cut short) was no mask without a word: the scene's clouds read as clear ground."""
    scene = write_scene(tmp_path / PLANET_NAME, width=60, height=60)
    udm = tmp_path / f"{PLANET_ID}_3B_udm2.tif"
    udm.write_bytes(data)
    with pytest.raises(InputError, match=r"_3B_udm2\.tif: is named as the scene's cloud mask"):
        open_scene(scene.path).close()
    with pytest.raises(InputError, match=r"or move it away to read the scene without a cloud"):
        observed_areas([scene.path])


@pytest.mark.parametrize(("scene_suffix", "mask_suffix"), [(".TIF", ".TIF"), (".tif", ".tiff")])
def test_a_mask_whose_name_ends_tif_in_capitals_or_tiff_is_read(
    tmp_path: Path, scene_suffix: str, mask_suffix: str
) -> None:
    """A UDM2 named ``…_udm2.TIF`` (a folder's names upper-cased by a copy) or ``…_udm2.tiff``
    was left out of the scenes as a mask, yet not looked for beside its scene, which asked
    for ``….tif`` alone: the scene's clouds read as clear ground."""
    scene = write_scene(
        tmp_path / f"{PLANET_ID}_3B_AnalyticMS_SR{scene_suffix}", width=60, height=60
    )
    udm2 = write_udm2(scene, box(*scene.footprint.bounds))
    named = udm2.rename(tmp_path / f"{PLANET_ID}_3B_udm2{mask_suffix}")
    found = find_cloud_mask(scene.path)
    assert found is not None and found.path == named
    with open_scene(scene.path) as opened:
        assert not opened.read_window(Window(0, 0, 60, 60), InputSpec()).clear.any()
    renamed = named.rename(tmp_path / f"{PLANET_ID}_3B_udm2_v2{mask_suffix}")  # by its prefix
    assert find_udm2(scene.path) == renamed


@pytest.mark.parametrize(
    ("scene_name", "mask_name", "kind"),
    [
        (f"{PLANET_ID}_3B_ANALYTICMS_SR.TIF", f"{PLANET_ID}_3B_UDM2.TIF", "udm2"),
        (f"{PLANET_ID}_3B_AnalyticMS_SR.tif", f"{PLANET_ID}_3B_UDM2.tif", "udm2"),
        (f"{PLANET_ID}_3B_ANALYTICMS_SR.TIF", f"{PLANET_ID}_3B_ANALYTICMS_DN_UDM.TIF", "udm"),
    ],
)
def test_a_mask_named_in_capitals_is_the_scenes_cloud_mask(
    tmp_path: Path, scene_name: str, mask_name: str, kind: str
) -> None:
    """A delivery renamed to upper case (``…_3B_UDM2.TIF`` beside ``…_3B_ANALYTICMS_SR.TIF``):
    the mask was left out of the scenes as a mask, yet the lookups matched ``udm`` in lower
    case only, so no cloud mask was found and the scene's clouds read as clear ground."""
    scene = write_scene(tmp_path / scene_name, width=60, height=60)
    cloud = box(*scene.footprint.bounds)
    written = write_udm2(scene, cloud) if kind == "udm2" else write_udm(scene, cloud)
    named = written.rename(tmp_path / mask_name)
    found = find_cloud_mask(scene.path)
    assert found is not None and (found.path, found.kind) == (named, kind)
    with open_scene(scene.path) as opened:
        assert not opened.read_window(Window(0, 0, 60, 60), InputSpec()).clear.any()
    if kind == "udm2":  # by its capture prefix
        renamed = named.rename(tmp_path / mask_name.replace("UDM2", "UDM2_V2"))
        assert find_udm2(scene.path) == renamed


@pytest.mark.parametrize("pixel", [1, 2])  # the scene's grid (read as is), or coarser (warped)
def test_a_udm2_over_part_of_the_scene_leaves_the_rest_unseen_for_detector_and_tracker(
    tmp_path: Path, pixel: int
) -> None:
    """A UDM2 over the left half of its scene (cut, or of another size): the tracker saw only
    the half it covers, the detector read the other half as clear. Now neither sees it, and
    the scene's summary says so, naming its UDM2."""
    import numpy as np
    import rasterio
    from affine import Affine

    scene = write_scene(tmp_path / PLANET_NAME, width=40, height=40)
    udm = tmp_path / f"{PLANET_ID}_3B_udm2.tif"
    flags = np.zeros((8, 40 // pixel, 20 // pixel), dtype="uint8")
    flags[0] = 1  # all clear where it covers
    with rasterio.open(
        udm, "w", driver="GTiff", width=20 // pixel, height=40 // pixel, count=8,
        dtype="uint8", crs=scene.crs, transform=scene.transform @ Affine.scale(pixel),
    ) as dst:  # fmt: skip
        dst.write(flags)
    with open_scene(scene.path) as opened:
        got = opened.read_window(Window(0, 0, 40, 40), InputSpec())
        assert got.valid.all() and got.clear[:, :20].all()
        assert not got.clear[:, 20:].any()  # it was all clear
        caveat = opened.mask_caveat
    seen = observed_areas([scene.path])
    left, bottom, right, top = scene.footprint.bounds
    x_mid = (left + right) / 2
    area = seen.to_crs(scene.crs).geometry.iloc[0]
    assert area.intersects(box(left, bottom, x_mid, top))
    assert not area.intersects(box(x_mid + 1, bottom, right, top))  # as the detector now reads
    assert caveat is not None and f"its UDM2 {udm.name} covers 50% of it" in caveat
    assert seen.attrs["mask_notes"] == [f"{PLANET_NAME}: {caveat}"]


def test_a_scene_warped_to_another_crs_beside_its_whole_udm2_is_not_said_to_be_partly_covered(
    tmp_path: Path,
) -> None:
    """A scene warped to EPSG:4326 beside its own whole UTM UDM2: its grid's envelope passes
    the UDM2's turned edges by a nodata collar, and the summary and dredge track said 'its
    UDM2 … covers 99% of it: the rest is taken as not seen … put the scene's own whole UDM2
    beside it'. Nothing of its data lies outside the UDM2: nothing is said, nothing hidden."""
    import shutil
    import warnings

    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    (tmp_path / "utm").mkdir()
    scene = write_scene(tmp_path / "utm" / PLANET_NAME, width=60, height=60)
    udm = write_udm2(scene)
    warped = tmp_path / PLANET_NAME
    with rasterio.open(scene.path) as src, warnings.catch_warnings():
        # rasterio's own Affine `*` (its from_bounds): affine's PendingDeprecationWarning
        warnings.filterwarnings("ignore", "Use `@` matmul", PendingDeprecationWarning)
        grid, width, height = calculate_default_transform(
            src.crs, "EPSG:4326", src.width, src.height, *src.bounds
        )
        profile = src.profile | {"crs": "EPSG:4326", "transform": grid, "nodata": 0}
        with rasterio.open(warped, "w", **(profile | {"width": width, "height": height})) as dst:
            for band in range(1, src.count + 1):
                reproject(
                    rasterio.band(src, band), rasterio.band(dst, band),
                    resampling=Resampling.nearest, dst_nodata=0,
                )  # fmt: skip
    shutil.copy(udm, tmp_path / udm.name)
    with open_scene(warped) as opened:
        got = opened.read_window(Window(0, 0, opened.width, opened.height), InputSpec())
        assert (got.clear == got.valid).all()
        assert opened.mask_caveat is None
    assert observed_areas([warped]).attrs["mask_notes"] == []
