"""Plain windowed reads give what the warped read gives, for nodata, alpha and UDM2 scenes."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.enums import ColorInterp, Resampling
from rasterio.windows import Window
from shapely import box

import detector.cloud_masks
import detector.scene
from detector.inputspec import InputSpec
from detector.scene import Scene, open_scene
from detector.tiling import tile_origins
from detector.window_reads import file_window
from tests.geo_fixtures import write_scene, write_udm2

PLANET_NAME = "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"
WINDOWS = [
    Window(0, 0, 32, 32),
    Window(20, 13, 32, 32),
    Window(-8, -5, 32, 32),  # past the top-left corner
    Window(50, 50, 32, 32),  # past the bottom-right corner
    Window(70, 0, 16, 16),  # wholly outside
]


def _warped(scene: Scene, window: Window, monkeypatch: pytest.MonkeyPatch) -> tuple:
    with monkeypatch.context() as patch:
        patch.setattr(detector.scene, "file_window", lambda *args: None)
        patch.setattr(detector.cloud_masks, "file_window", lambda *args: None)
        got = scene.read_window(window, InputSpec())
        validity = scene.read_validity(window, scene.grid(3.0), factor=1)
    return got, validity


def _assert_same_as_warped(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_scene(path) as scene:
        for window in WINDOWS:
            transform = scene.grid(3.0).window_transform(window)
            assert file_window(scene._dataset, scene.crs, transform, 32, 32) is not None
            direct = scene.read_window(window, InputSpec())
            valid, clear = scene.read_validity(window, scene.grid(3.0))
            warped, (warped_valid, warped_clear) = _warped(scene, window, monkeypatch)
            np.testing.assert_array_equal(direct.data, warped.data)
            np.testing.assert_array_equal(direct.valid, warped.valid)
            np.testing.assert_array_equal(direct.clear, warped.clear)
            assert direct.transform == warped.transform
            np.testing.assert_array_equal(valid[: direct.valid.shape[0]], warped_valid)
            np.testing.assert_array_equal(clear, warped_clear)


def test_nodata_scene_with_udm2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scene = write_scene(tmp_path / PLANET_NAME, rotated_footprint=True, width=64, height=64)
    left, _, _, top = scene.footprint.bounds
    write_udm2(scene, box(left, top - 60.0, left + 90.0, top))
    _assert_same_as_warped(scene.path, monkeypatch)


def _with_alpha_band(
    source: Path, path: Path, *, tagged: bool, outside: int = 0
) -> tuple[Path, np.ndarray]:
    """``source`` with a fifth band, 255 where it has data: tagged alpha, or only described
    ``alpha`` as Earth Engine writes it (bands B, G, R, N, alpha); ``outside`` fills the bands
    under alpha 0. Returns the file and its alpha."""
    with rasterio.open(source) as src:
        data = src.read()
        profile = src.profile | {"count": 5, "nodata": None}
    alpha = np.where((data != 0).any(axis=0), 255, 0).astype(data.dtype)
    data[:, alpha == 0] = outside
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.concatenate([data, alpha[None]]))
    with rasterio.open(path, "r+") as dst:  # tags set on a file being written do not stay
        if tagged:
            dst.colorinterp = [*dst.colorinterp[:4], ColorInterp.alpha]
        else:
            for band, name in enumerate(("B", "G", "R", "N", "alpha"), 1):
                dst.set_band_description(band, name)
    return path, alpha


def test_alpha_band_scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_scene(tmp_path / "s.tif", rotated_footprint=True, width=64, height=64)
    path, _ = _with_alpha_band(source.path, tmp_path / "20230715_alpha.tif", tagged=True)
    with open_scene(path, bands=("blue", "green", "red", "nir")) as scene:
        assert scene.alpha_band == 5
    _assert_same_as_warped(path, monkeypatch)


def test_scene_without_nodata_is_valid_inside_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_scene(tmp_path / "s.tif", width=64, height=64)
    path = tmp_path / "20230715_plain.tif"
    with rasterio.open(source.path) as src:
        data, profile = src.read(), src.profile | {"nodata": None}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    _assert_same_as_warped(path, monkeypatch)


def test_resampled_or_rotated_grids_are_not_file_windows(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "s.tif", width=64, height=64)
    with open_scene(scene.path) as opened:
        own = opened.grid(3.0)
        assert file_window(opened._dataset, opened.crs, own.transform, 8, 8) == Window(0, 0, 8, 8)
        coarser = opened.grid(6.0)
        assert file_window(opened._dataset, opened.crs, coarser.transform, 8, 8) is None
        half_pixel = own.transform @ own.transform.translation(0.5, 0)
        assert file_window(opened._dataset, opened.crs, half_pixel, 8, 8) is None


def test_nan_in_a_float_scene_without_nodata_is_not_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Float reflectance exported with masked pixels left NaN and no nodata in the header (as
    Earth Engine and numpy exports often are): NaN reached the network, which lost 2 of the
    3 dredges of a demo scene, and counted as ground seen."""
    source = write_scene(tmp_path / "s.tif", rotated_footprint=True, width=64, height=64)
    path = tmp_path / "20230715_float.tif"
    with rasterio.open(source.path) as src:
        data = src.read().astype("float32") / 10_000
        profile = src.profile | {"dtype": "float32", "nodata": None, "predictor": 1}
    data[:, data[0] == 0] = np.nan  # outside the footprint
    data[:, 30:34, 30:34] = np.nan  # a masked patch inside it
    data[2, 40, 40] = np.nan  # one band lost at one pixel
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    _assert_same_as_warped(path, monkeypatch)
    with open_scene(path) as scene:
        got = scene.read_window(Window(0, 0, 64, 64), InputSpec())
        valid, _ = scene.read_validity(Window(0, 0, 64, 64), scene.grid(3.0))
        coarser = scene.read_window(Window(0, 0, 32, 32), InputSpec(gsd_m=6.0))  # warped
    assert np.isfinite(got.data).all() and np.isfinite(coarser.data).all()
    np.testing.assert_array_equal(got.valid, ~np.isnan(data).any(axis=0))
    assert not valid[30:34, 30:34].any() and not got.valid[40, 40]
    assert coarser.valid.any() and not coarser.valid[15:17, 15:17].any()


def _any_in_blocks(mask: np.ndarray, side: int) -> np.ndarray:
    rows, cols = mask.shape
    return mask.reshape(rows // side, side, cols // side, side).any(axis=(1, 3))


def _bilinear_weights(fine: int) -> np.ndarray:
    """GDAL's bilinear weights from a grid to one twice as fine, aligned (fine × coarse)."""
    weights = np.zeros((fine, fine // 2))
    for row in range(fine):
        centre = (row + 0.5) / 2 - 0.5
        below = math.floor(centre)
        for pixel, weight in ((below, 1 - (centre - below)), (below + 1, centre - below)):
            if 0 <= pixel < fine // 2:
                weights[row, pixel] = weight
    return weights


def test_nan_and_a_nodata_tag_are_both_no_data_at_every_gsd(tmp_path: Path) -> None:
    """A float scene whose nodata tag is not NaN (a profile copied with nodata=0) and whose
    masked pixels are NaN: GDAL's warper took the tag alone, so read at another GSD NaN was data
    (the tiler's quick look called a scene 72 % valid 100 % valid at 6 m, 81 % at 1.5 m) and
    NaN spread through resampling. Against the read at the scene's own GSD: at 6 m (average)
    each pixel is the mean of the valid pixels under it; at 1.5 m (bilinear) a pixel is valid
    where the one under it is, the bilinear mean of its valid neighbours."""
    source = write_scene(tmp_path / "s.tif", rotated_footprint=True, width=64, height=64)
    path = tmp_path / "20230715_float.tif"
    with rasterio.open(source.path) as src:
        data = src.read().astype("float32") / 10_000
        profile = src.profile | {"dtype": "float32", "nodata": 0, "predictor": 1}
    data[:, data[0] == 0] = np.nan  # outside the footprint: NaN, not the tag's 0
    data[:, :, :16] = np.nan  # a masked strip
    data[:, 40:56, 40:56] = 0.0  # and the tag's value, no data too
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    with open_scene(path) as scene:
        native = scene.read_window(Window(0, 0, 64, 64), InputSpec())
        truth = ~np.isnan(data).any(axis=0) & (data != 0).any(axis=0)
        np.testing.assert_array_equal(native.valid, truth)
        values = native.data.astype(np.float64)  # 0 where not valid
        for gsd_m, side in ((6.0, 32), (1.5, 128)):
            grid, window = scene.grid(gsd_m), Window(0, 0, side, side)
            got = scene.read_window(window, InputSpec(gsd_m=gsd_m), grid)
            quick, _ = scene.read_validity(window, grid)
            if gsd_m == 6.0:
                valid = _any_in_blocks(native.valid, 2)
                count = native.valid.reshape(32, 2, 32, 2).sum(axis=(1, 3))
                mean = values.reshape(3, 32, 2, 32, 2).sum(axis=(2, 4)) / np.maximum(count, 1)
                native_px = 16  # under each pixel of the quick look, 8 times coarser
            else:
                valid = np.repeat(np.repeat(native.valid, 2, axis=0), 2, axis=1)
                weights = _bilinear_weights(side)
                spread = weights @ native.valid @ weights.T
                mean = weights @ values @ weights.T / np.where(spread > 0, spread, 1)
                native_px = 4
            np.testing.assert_array_equal(got.valid, valid)
            np.testing.assert_allclose(got.data[:, valid], mean[:, valid], atol=1e-6)
            looked = _any_in_blocks(native.valid, native_px)
            np.testing.assert_array_equal(quick, np.repeat(np.repeat(looked, 8, 0), 8, 1))
            assert not quick.all()


@pytest.mark.parametrize("tagged", [True, False])
def test_nan_under_alpha_255_is_no_data_to_the_quick_look(tmp_path: Path, tagged: bool) -> None:
    """A float scene with an alpha band whose pixels under alpha 255 are NaN: the tiler's
    quick look took the alpha alone (75 % valid at 6 m where the read found 50 %), so tiles
    were planned over NaN. Against the read at the scene's own GSD, at 3, 6 and 1.5 m: a pixel
    of the look (8 times coarser) is valid where any pixel of the read under it is."""
    source = write_scene(tmp_path / "s.tif", rotated_footprint=True, width=64, height=64)
    floating = tmp_path / "float.tif"
    with rasterio.open(source.path) as src:
        data = src.read().astype("float32") / 10_000
        profile = src.profile | {"dtype": "float32", "nodata": None, "predictor": 1}
    data[:, :, 32:48] = np.nan  # a strip of NaN under alpha 255
    data[:, 8:12, 4:9] = np.nan  # and a patch of it
    with rasterio.open(floating, "w", **profile) as dst:
        dst.write(data)
    # under alpha 0 lie values (7), not NaN: no data all the same
    path, alpha = _with_alpha_band(floating, tmp_path / "20230715_a.tif", tagged=tagged, outside=7)
    with open_scene(path, bands=("blue", "green", "red", "nir")) as scene:
        assert scene.alpha_band == 5
        native = scene.read_window(Window(0, 0, 64, 64), InputSpec())
        np.testing.assert_array_equal(native.valid, (alpha > 0) & ~np.isnan(data).any(axis=0))
        own, _ = scene.read_validity(Window(0, 0, 64, 64), scene.grid(3.0))
        np.testing.assert_array_equal(own, native.valid)
        for gsd_m, side, native_px in ((6.0, 32, 16), (1.5, 128, 4)):
            grid, window = scene.grid(gsd_m), Window(0, 0, side, side)
            quick, _ = scene.read_validity(window, grid)
            looked = _any_in_blocks(native.valid, native_px)
            np.testing.assert_array_equal(quick, np.repeat(np.repeat(looked, 8, 0), 8, 1))
            assert scene.read_window(window, InputSpec(gsd_m=gsd_m), grid).valid.mean() <= (
                quick.mean()
            )


def test_nan_under_alpha_255_is_not_seen_ground_to_the_tracker(tmp_path: Path) -> None:
    """The tracker's seen area of a float scene with an alpha band took the alpha alone, so
    pixels NaN under alpha 255 counted as seen ground (75 % of the frame where 50 % has data).
    Now its area is that of the same pixels written as nodata 0 in a uint16 scene."""
    from detector.observed import _valid_pixels, observed_areas

    source = write_scene(tmp_path / "s.tif", width=64, height=64)
    with rasterio.open(source.path) as src:
        counts, profile = src.read(), src.profile
    data = counts.astype("float32") / 10_000
    data[:, :, 16:32] = np.nan  # NaN under alpha 255
    alpha = np.full((1, 64, 64), 255, dtype="float32")
    alpha[:, :, :16] = 0
    floating = tmp_path / "float_alpha.tif"
    float_profile = profile | {"dtype": "float32", "nodata": None, "count": 5, "predictor": 1}
    with rasterio.open(floating, "w", **float_profile) as dst:
        dst.write(np.concatenate([data, alpha]))
    with rasterio.open(floating, "r+") as dst:
        dst.colorinterp = [*dst.colorinterp[:4], ColorInterp.alpha]
    counts[:, :, :32] = 0
    as_nodata = tmp_path / "as_nodata.tif"
    with rasterio.open(as_nodata, "w", **profile) as dst:
        dst.write(counts)
    with rasterio.open(floating) as src:
        assert _valid_pixels(src, (64, 64)).mean() == 0.5
    day = {str(p): datetime(2024, 3, 1, tzinfo=UTC) for p in (floating, as_nodata)}
    seen, truth = observed_areas([floating, as_nodata], dates=day).geometry
    assert truth.area > 0
    assert seen.symmetric_difference(truth).area < 0.01 * truth.area


def test_a_band_described_alpha_is_the_alpha_band(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Earth Engine writes band names, not colour tags: a NICFI basemap exported as B, G, R,
    N, alpha had five bands of unknown layout, and no --scene-bands could name the fifth."""
    source = write_scene(tmp_path / "s.tif", rotated_footprint=True, width=64, height=64)
    # what lies under alpha 0 is not data, whatever it holds
    path, alpha = _with_alpha_band(source.path, tmp_path / "export.tif", tagged=False, outside=7)
    with open_scene(path) as scene:
        assert scene.alpha_band == 5 and scene.bands == ("blue", "green", "red", "nir")
        got = scene.read_window(Window(0, 0, 64, 64), InputSpec())
        coarser = scene.read_window(Window(0, 0, 32, 32), InputSpec(gsd_m=6.0))  # warped
    np.testing.assert_array_equal(got.valid, alpha > 0)
    assert coarser.valid.any() and not coarser.valid.all()
    _assert_same_as_warped(path, monkeypatch)
    from detector.observed import observed_areas

    day = {str(p): datetime(2024, 3, 1, tzinfo=UTC) for p in (path, source.path)}
    seen, as_nodata = observed_areas([path, source.path], dates=day).geometry
    assert seen.symmetric_difference(as_nodata).area < 0.01 * as_nodata.area


@pytest.mark.parametrize(("gsd_m", "degrees"), [(0.5, 25), (4.77, 40)])
def test_a_rotated_scene_window_with_data_in_a_corner_is_not_taken_for_empty(
    tmp_path: Path, gsd_m: float, degrees: float
) -> None:
    """The tiler's quick look warps validity on a grid 8 times coarser; on a rotated grid GDAL's
    coarse warp missed data lying in a window's corner: of the 25 tiles of 32 px with data on a
    0.5 m scene rotated 25°, 3 (with 19 to 51 valid pixels) were taken for empty, not tiled."""
    side = round(300 / gsd_m)
    turn = math.radians(degrees)
    cos, sin = gsd_m * math.cos(turn), gsd_m * math.sin(turn)
    path = tmp_path / "20230715_rotated.tif"
    profile = {"driver": "GTiff", "width": side, "height": side, "count": 3, "dtype": "uint8"}
    transform = Affine(cos, sin, 500_000.0, sin, -cos, 9_585_000.0)
    with rasterio.open(path, "w", crs="EPSG:32718", transform=transform, nodata=0, **profile) as d:
        d.write(np.full((3, side, side), 100, dtype=np.uint8))
    spec = InputSpec(tile_px=32, overlap_px=0)
    with open_scene(path) as scene:
        grid = scene.grid(spec.gsd_m)
        for row in tile_origins(grid.height, 32, 32):
            for col in tile_origins(grid.width, 32, 32):
                window = Window(col, row, 32, 32)
                valid, _ = scene.read_validity(window, grid)
                read = scene.read_window(window, spec, grid).valid
                assert valid.any() == read.any(), (window, int(read.sum()))


@pytest.mark.parametrize("degrees", [20.0, 45.0])
def test_a_rotated_scene_at_the_models_gsd_is_resampled_as_an_upsampled_one(
    tmp_path: Path, degrees: float
) -> None:
    """A rotated scene read at its own pixel size is resampled onto the north-up grid (no
    window of the file is one of it): that was nearest neighbour, which drops some pixels and
    doubles others (a one-pixel dredge could vanish), while every other resampled read is
    average or bilinear, as the README says. A ramp read bilinear stays a ramp."""
    turn = math.radians(degrees)
    cos, sin = 3.0 * math.cos(turn), 3.0 * math.sin(turn)
    path = tmp_path / "20230715_rotated.tif"
    profile = {"driver": "GTiff", "width": 40, "height": 40, "count": 3, "dtype": "uint16"}
    transform = Affine(cos, sin, 500_000.0, sin, -cos, 9_585_000.0)
    ramp = np.broadcast_to(1000 + 40 * np.arange(40, dtype=np.uint16), (3, 40, 40))
    with rasterio.open(path, "w", crs="EPSG:32718", transform=transform, nodata=0, **profile) as d:
        d.write(ramp)
    spec = InputSpec(tile_px=64, overlap_px=0)
    with open_scene(path) as scene:
        grid = scene.grid(spec.gsd_m)
        assert scene.resampling_for(grid) is Resampling.bilinear  # it was nearest
        got = scene.read_window(Window(0, 0, grid.width, grid.height), spec, grid)
    # the source column under each pixel centre, where all four pixels around it are inside
    rows, cols = np.mgrid[0 : grid.height, 0 : grid.width] + 0.5
    xs, ys = grid.transform @ (cols, rows)
    src_col, src_row = ~transform @ (xs, ys)
    inner = (src_col > 1) & (src_col < 39) & (src_row > 1) & (src_row < 39)
    expected = (1000 + 40 * (src_col - 0.5)) / 10_000  # the ramp between pixel centres
    assert inner.sum() > 500
    assert np.abs(got.data[0][inner] - expected[inner]).max() < 0.0005  # nearest: up to 0.002
