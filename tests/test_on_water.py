"""The land check: a box in the river is on water, a roof on the bank is on land; haze, cloud
shadow, UDM2 cloud and the hulls of a group are not land; scenes without reflectance in green
and NIR are not judged; ``detect_scenes`` leaves out what is on land and says so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from shapely import LineString, Polygon, box

import detector.on_water as water_check
from detector.cluster import detect_one
from detector.detect import detect_scenes
from detector.on_water import land_fractions, lines_on_land, off_channel, off_channel_note
from detector.rivers import RiverNetwork
from detector.scene import open_scene
from tests.geo_fixtures import write_rivers
from tests.model_fixtures import BrightBlobDetector, card_for_blobs, untrained_scene_task

NAME = "20240115_143000_00_2400_3B_AnalyticMS_SR.tif"
GSD = 3.0
SIDE = 200  # px; the river is columns 0–99, the bank (forest) columns 100–199
LEFT, TOP = 500_000.0, 9_000_000.0
TRANSFORM = Affine(GSD, 0.0, LEFT, 0.0, -GSD, TOP)
# surface reflectance × 10000 in Planet's band order: blue, green, red, nir
WATER = (400, 500, 300, 100)
FOREST = (300, 600, 400, 3000)
HAZE = (2000, 2100, 2100, 2600)  # bright in blue: not land
SHADOW = (60, 70, 50, 120)  # dark in NIR: not land
HULL = (2500, 2600, 2600, 3200)  # a dredge's deck


def _write(path: Path, image: np.ndarray, dtype: str = "uint16") -> Path:
    profile = {
        "driver": "GTiff",
        "width": SIDE,
        "height": SIDE,
        "count": image.shape[0],
        "dtype": dtype,
        "crs": "EPSG:32718",
        "transform": TRANSFORM,
        "nodata": 0,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(image.astype(dtype))
    return path


def _river_and_bank(bank: tuple[int, ...] = FOREST) -> np.ndarray:
    image = np.empty((4, SIDE, SIDE), dtype=np.int32)
    image[:, :, :100] = np.array(WATER)[:, None, None]
    image[:, :, 100:] = np.array(bank)[:, None, None]
    return image


def _box(col: float, row: float, half: float = 1.5) -> Polygon:
    """A box ``half`` pixels either side of pixel (col, row)'s centre, in map units."""
    x, y = TRANSFORM @ (col + 0.5, row + 0.5)
    return box(x - half * GSD, y - half * GSD, x + half * GSD, y + half * GSD)


def _fractions(path: Path, boxes: list[Polygon]) -> np.ndarray:
    with open_scene(str(path)) as scene:
        return land_fractions(scene, list(boxes), GSD)


def test_a_box_in_the_river_is_on_water_and_a_roof_on_the_bank_is_on_land(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path / NAME, _river_and_bank())
    in_river, on_bank, at_the_edge = _fractions(
        path, [_box(40, 100), _box(160, 100), _box(100, 60)]
    )
    assert in_river == 0.0
    assert on_bank == 1.0
    assert 0.3 < at_the_edge < 0.7  # moored at the bank: half water, half land


def test_a_scene_in_degrees_is_judged_as_one_in_metres(tmp_path: Path) -> None:
    """EPSG:4326 (a scene warped to lon/lat in QGIS): the hulls left out of the disc were grown
    by 3 degrees, not 3 m, and covered it, so no detection there was ever found on land."""
    degree = 3.0 / 111_320  # a 3 m pixel near the equator, in degrees
    lonlat = Affine(degree, 0.0, -73.30, 0.0, -degree, -3.75)
    path = _write(tmp_path / NAME, _river_and_bank())
    with rasterio.open(path, "r+") as dst:
        dst.crs, dst.transform = "EPSG:4326", lonlat

    def square(col: int, row: int) -> Polygon:
        x, y = lonlat @ (col + 0.5, row + 0.5)
        return box(x - 1.5 * degree, y - 1.5 * degree, x + 1.5 * degree, y + 1.5 * degree)

    in_river, on_bank = _fractions(path, [square(40, 100), square(160, 100)])
    assert in_river == 0.0
    assert on_bank == 1.0


@pytest.mark.parametrize("bank", [HAZE, SHADOW], ids=["haze", "cloud shadow"])
def test_haze_and_cloud_shadow_are_not_land(tmp_path: Path, bank: tuple[int, ...]) -> None:
    path = _write(tmp_path / NAME, _river_and_bank(bank))
    assert _fractions(path, [_box(160, 100)])[0] == 0.0


def test_a_box_under_udm2_cloud_is_not_judged(tmp_path: Path) -> None:
    path = _write(tmp_path / NAME, _river_and_bank())
    udm = np.zeros((8, SIDE, SIDE), dtype=np.uint8)
    udm[0] = 1  # clear
    udm[0, :, 120:] = 0
    udm[5, :, 120:] = 1  # cloud over the far bank
    _write(tmp_path / NAME.replace("_AnalyticMS_SR", "_udm2"), udm, dtype="uint8")
    assert np.isnan(_fractions(path, [_box(160, 100)])[0])


def test_the_hulls_of_a_group_are_not_land(tmp_path: Path) -> None:
    """Five dredges lashed side by side: each one's surroundings are mostly the others' decks,
    which look like land in NDWI; the detected boxes are left out of the count."""
    image = _river_and_bank()
    cols = range(40, 60, 4)  # 9 m decks 3 m apart, 21 m long
    for col in cols:
        image[:, 97:104, col - 1 : col + 2] = np.array(HULL)[:, None, None]
    path = _write(tmp_path / NAME, image)
    decks = [_box(col, 100, half=1.5) for col in cols]
    hulls = [
        box(b.bounds[0], b.bounds[1] - 2 * GSD, b.bounds[2], b.bounds[3] + 2 * GSD) for b in decks
    ]
    fractions = _fractions(path, hulls)
    assert np.isfinite(fractions).all() and fractions.max() < 0.1, fractions


def test_scenes_without_reflectance_in_green_and_nir_are_not_judged(tmp_path: Path) -> None:
    rgb_only = _write(tmp_path / "rgb" / NAME, _river_and_bank()[[2, 1, 0]])
    eight_bit = _write(tmp_path / "8bit" / NAME, _river_and_bank() // 40, dtype="uint8")
    for path in (rgb_only, eight_bit):
        assert np.isnan(_fractions(path, [_box(160, 100)])[0]), path


def test_eight_bit_values_told_by_a_header_scale_are_not_judged(tmp_path: Path) -> None:
    """8-bit values × 256 in a 16-bit file with the header scale 1/256 are read as the 8-bit
    display product they are, and like it are not judged: the check went by the stored full
    scale alone and put the bank's box on land (1.0) from display values."""
    wide = _write(tmp_path / NAME, (_river_and_bank() // 40) * 256)
    with rasterio.open(wide, "r+") as dst:
        dst.scales = [1 / 256] * 4
    assert np.isnan(_fractions(wide, [_box(160, 100), _box(50, 100)])).all()


def test_detect_leaves_out_a_bright_roof_on_the_bank_and_says_so(tmp_path: Path) -> None:
    image = _river_and_bank()
    image[:, 98:102, 40:46] = 9000  # a dredge in the river
    image[:, 98:102, 120:126] = 9000  # a metal roof on the bank
    path = _write(tmp_path / NAME, image)
    river = LineString([TRANSFORM @ (80, 0), TRANSFORM @ (80, SIDE)])  # roof: 130 m away
    rivers = write_rivers(tmp_path / "rivers.geojson", {"nanay": river}, crs="EPSG:32718")
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))

    lines: list[str] = []
    frame, failures = detect_scenes(
        [path], rivers, model=detector, progress=False, echo=lines.append
    )
    assert not failures and len(frame) == 1
    assert frame.to_crs("EPSG:32718").geometry.centroid.x.iloc[0] < LEFT + 100 * GSD
    assert "1 on land left out" in lines[0]

    kept, _ = detect_scenes([path], rivers, model=detector, progress=False, max_land=None)
    assert len(kept) == 2


def test_the_command_line_default_max_land_is_the_detectors() -> None:
    from detector.cli import MAX_LAND
    from detector.on_water import DEFAULT_MAX_LAND

    assert MAX_LAND == DEFAULT_MAX_LAND


def _off_channel_scene(folder: Path) -> tuple[Path, Path]:
    """A 1.2 km reach (40 points along a line at 30 m) of water and forest, and a rivers file:
    the nanay's line on the water, the itaya's 210 m east of it, on land."""
    tall = 400
    image = np.empty((4, tall, SIDE), dtype=np.int32)
    image[:, :, :100] = np.array(WATER)[:, None, None]
    image[:, :, 100:] = np.array(FOREST)[:, None, None]
    path = folder / NAME
    profile = {"driver": "GTiff", "width": SIDE, "height": tall, "count": 4, "dtype": "uint16",
               "crs": "EPSG:32718", "transform": TRANSFORM, "nodata": 0}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(image.astype("uint16"))
    on_water = LineString([TRANSFORM @ (50, 0), TRANSFORM @ (50, tall)])
    on_land = LineString([TRANSFORM @ (170, 0), TRANSFORM @ (170, tall)])
    lines = {"nanay": on_water, "itaya": on_land}
    return path, write_rivers(folder / "r.geojson", lines, crs="EPSG:32718")


def test_a_river_line_off_the_channel_is_pointed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A centerline hundreds of metres off the channel (a coarse hydrography layer) left the
    dredges outside its corridor unseen without a word; the scene's summary line now says the
    line is on land. A line on the water, or on a scene without NIR, says nothing."""
    path, rivers = _off_channel_scene(tmp_path)
    network = RiverNetwork.read(rivers)
    with open_scene(path) as scene:
        shares = lines_on_land(scene, network, GSD)
        off = off_channel(scene, network, GSD)
    assert shares["nanay"][0] == 0.0 and shares["itaya"][0] == 1.0
    points = shares["itaya"][1]
    assert points >= 38 and off == {"itaya": (1.0, points)}
    note = off_channel_note("itaya", 1.0, points, network.corridor_m)
    assert note == (
        f"the itaya line is on land at 100% of {points} points looked at here: is it on the "
        "channel? Dredges more than 250 m from it (--corridor-m) are not looked for; draw it on "
        "the water or widen the corridor"
    )
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    lines: list[str] = []
    warnings: list[str] = []
    detect_scenes(
        [path], network, model=detector, progress=False, echo=lines.append, warn=warnings.append
    )
    assert lines[0].endswith(note) and "nanay line" not in lines[0]
    assert warnings == [  # once more at the end: a scene's line scrolls by in a long run
        f"warning: the itaya line is on land at over 40% of the points looked at in 1 scene "
        f"(worst: {NAME}, 100% of {points} points): is it on the channel? Dredges more than 250 "
        "m from it (--corridor-m) were not looked for; draw it on the water or widen the corridor"
    ]
    # on a cluster, the worker hands it to the client, which warns
    task = untrained_scene_task(tmp_path / "untrained", rivers)
    _, _, error, flags = detect_one(task, str(path), None)
    assert error is None and flags.off_channel == [(NAME, "itaya", 1.0, points)]
    monkeypatch.setattr(water_check, "LINE_MAX_POINTS", 10)  # a long reach: an even sample
    with open_scene(path) as scene:
        assert lines_on_land(scene, network, GSD)["itaya"] == (1.0, 10)
    rgb_only = _write(tmp_path / "rgb" / NAME, _river_and_bank()[[2, 1, 0]])
    with open_scene(rgb_only) as scene:
        assert lines_on_land(scene, network, GSD) == {}


def test_a_resumed_run_still_warns_of_a_river_line_off_the_channel(tmp_path: Path) -> None:
    """The warning was made from the scenes detected in this call only: the same command run
    again (to recount, or to finish after a kill) left it out of its notes, run.json and
    report. Each scene's findings are kept in the manifest and warned of on every call."""
    import json

    from detector.run import run_pipeline

    path, rivers = _off_channel_scene(tmp_path)
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    out = tmp_path / "run"
    for _ in range(2):  # the second call detects nothing: the scene is done
        warnings: list[str] = []
        run_pipeline(
            [str(path)], rivers, out, model=detector, progress=False,
            echo=lambda _: None, warn=warnings.append,
        )  # fmt: skip
        line = next(w for w in warnings if "itaya line is on land" in w)
        assert f"in 1 scene (worst: {NAME}, 100% of" in line
        notes = json.loads((out / "run.json").read_text(encoding="utf-8"))["notes"]
        assert line.removeprefix("warning: ") in notes
        assert "the itaya line is on land" in (out / "report.html").read_text(encoding="utf-8")
