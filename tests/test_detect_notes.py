"""The summary line `dredge detect` writes for each scene: what it merged and dropped, counted in
the singular or plural, how float values and dates were read, scenes much coarser than the
model, rivers all under cloud. The tests use a bright-blob detector so that the truth is exact."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio

from detector.detect import detect_scenes
from tests.detect_fixtures import PLANET, _rivers, _scene
from tests.geo_fixtures import SceneFixture, write_scene
from tests.model_fixtures import BrightBlobDetector, card_for_blobs


def _detect_beside_original(
    tmp_path: Path,
    fixture: SceneFixture,
    path: Path,
    dates: dict[str, datetime] | None = None,
) -> tuple[gpd.GeoDataFrame, list[Any], list[str]]:
    """Detect ``path`` (a changed copy of the fixture's scene) and the original with the
    bright-blob detector: the detections, failures and summary lines."""
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    lines: list[str] = []
    frame, failures = detect_scenes(
        [path, fixture.path],
        _rivers(tmp_path, fixture),
        model=detector,
        dates=dates,
        progress=False,
        echo=lines.append,
    )
    return frame, failures, lines


def test_how_float_values_were_read_is_in_the_scene_summary(tmp_path: Path) -> None:
    """Float scenes are scaled by their sampled values (detector.scaling): the summary line
    says how, so that a wrong guess can be seen; integer reflectance says nothing."""
    fixture = _scene(tmp_path / "source" / PLANET)
    path = tmp_path / "float_export.tif"
    with rasterio.open(fixture.path) as src:
        profile = src.profile | {"dtype": "float32", "predictor": 1}
        data = src.read().astype("float32")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    when = {str(path): datetime(2024, 1, 15, 14, 30, tzinfo=UTC)}
    frame, failures, lines = _detect_beside_original(tmp_path, fixture, path, when)
    assert failures == [] and (frame["scene"] == path.name).sum() == 3
    floats, planet = sorted(lines, key=lambda line: not line.startswith("float_export"))
    assert floats.endswith("; float values read as reflectance × 10,000")
    assert "read as" not in planet


def test_a_scene_line_counts_one_of_each_in_the_singular() -> None:
    """A scene's line said '1 duplicate(s) from tile overlaps merged', '1 second box(es) on
    one hull dropped' and '1 group member(s) …'."""
    from detector.detect import _summary

    frame = pd.DataFrame({"class_name": ["dredge"]})
    counts = {"merged": 1, "same hull": 1, "members": 1, "on land": 2}
    assert _summary("s.tif", 1, frame, counts) == (
        "s.tif: 1 tile, 1 detection (1 dredge); 1 duplicate from tile overlaps merged, 2 on "
        "land left out, 1 second box on one hull dropped, 1 group member scored under --conf "
        "kept beside a confident dredge"
    )
    counts = {"merged": 2, "same hull": 3, "members": 2}
    said = _summary("s.tif", 2, frame, counts)
    assert "2 duplicates from" in said and "3 second boxes on" in said
    assert "2 group members scored" in said


def test_scenes_much_coarser_than_the_model_are_named_once(tmp_path: Path) -> None:
    """Sentinel-2's 10 m given to a 3 m model used to run without a word."""
    fine = _scene(tmp_path / "s" / PLANET)
    coarse = write_scene(
        tmp_path / "s" / "S2A_MSIL2A_2024-02-01_T18MTE.tif", gsd_m=10.0, width=180, height=180
    )
    detector = BrightBlobDetector(card_for_blobs(tmp_path / "model"))
    warnings: list[str] = []
    _, failures = detect_scenes(
        [fine.path, coarse.path],
        _rivers(tmp_path, fine),
        model=detector,
        progress=False,
        echo=lambda _: None,
        warn=warnings.append,
    )
    assert failures == []
    assert len(warnings) == 1 and "1 scene has pixels over 2 × the 3 m" in warnings[0]
    assert f"{coarse.path.name} at 10.0 m" in warnings[0] and "5 m or finer" in warnings[0]
    assert "a 20 m dredge is 2 pixels across there" in warnings[0]
    assert "detections on it are unreliable" in warnings[0]
    quiet: list[str] = []
    detect_scenes(
        [fine.path], _rivers(tmp_path, fine), model=detector, progress=False, warn=quiet.append
    )
    assert quiet == []


def test_a_date_from_the_tiff_tag_is_pointed_out_in_the_scene_summary(tmp_path: Path) -> None:
    """A scene dated only by TIFFTAG_DATETIME (often the time a program wrote the file) was
    counted in that year without a word; the summary line now says where its date came from."""
    fixture = _scene(tmp_path / "source" / PLANET)
    path = tmp_path / "clip_export.tif"
    with rasterio.open(fixture.path) as src:
        profile, data = src.profile, src.read()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.update_tags(TIFFTAG_DATETIME="2025:03:01 10:00:00")
    frame, failures, lines = _detect_beside_original(tmp_path, fixture, path)
    assert failures == []
    assert (
        frame.loc[frame["scene"] == path.name, "acquired"] == pd.Timestamp("2025-03-01T10:00Z")
    ).all()
    tagged, planet = sorted(lines, key=lambda line: not line.startswith("clip_export"))
    assert tagged.endswith(
        "; dated 2025-03-01 by its TIFFTAG_DATETIME, which many programs set when they write a "
        "file: check it, or give the date with --dates"
    )
    assert "TIFFTAG" not in planet


def test_a_scene_whose_river_is_all_under_cloud_says_so(tmp_path: Path) -> None:
    """Its UDM2 clouds every tile along the river: the summary said "0 tiles, 0 detections"
    alone, as if the river had been seen empty; now it says the river was under cloud."""
    from shapely import box

    from tests.geo_fixtures import write_udm2

    fixture = _scene(tmp_path / "s" / PLANET)
    write_udm2(fixture, box(*fixture.footprint.bounds))
    lines: list[str] = []
    frame, failures = detect_scenes(
        [fixture.path],
        _rivers(tmp_path, fixture),
        model=BrightBlobDetector(card_for_blobs(tmp_path / "model")),
        progress=False,
        echo=lines.append,
    )
    assert failures == [] and frame.empty
    assert lines == [
        f"{PLANET}: 0 tiles, 0 detections; its river all under cloud (7 tiles with no clear "
        "pixel): nothing seen"
    ]


class _TwoBoxesAndAFaintBlob(BrightBlobDetector):
    """Blobs 5 px tall get a second box 1 px (3 m) to the right, scored 0.5 (the model's two
    boxes on one hull, in one tile); blobs 3 px tall score 0.2, under --conf 0.25."""

    def predict(self, batch: np.ndarray, *, conf: float = 0.25) -> list[np.ndarray]:
        out = []
        for boxes in super().predict(batch, conf=conf):
            tall = boxes[:, 3] - boxes[:, 1]
            boxes[tall == 3, 4] = 0.2
            second = boxes[tall == 5] + np.array([1, 0, 1, 0, -0.4, 0], dtype=np.float32)
            out.append(np.concatenate([boxes, second]))
        return out


def test_a_scene_line_says_what_it_merged_and_dropped(tmp_path: Path) -> None:
    """The line said '2 duplicates from tile overlaps merged' for a second box on a hull
    within one tile (3 m from the first: the rule that drops boxes closer than 5 m) and a
    faint box found in two tiles, scored under --conf and never a detection."""
    fixture = write_scene(tmp_path / PLANET, width=600, height=600, dredge_fractions=())
    with rasterio.open(fixture.path, "r+") as dst:
        data = dst.read()
        data[:, 100:105, 98:108] = 9000  # a dredge inside one tile (on the river)
        data[:, 300:303, 230:240] = 9000  # a faint blob where two tiles overlap
        dst.write(data)
    lines: list[str] = []
    frame, _ = detect_scenes(
        [fixture.path],
        _rivers(tmp_path, fixture),
        model=_TwoBoxesAndAFaintBlob(card_for_blobs(tmp_path / "model")),
        max_land=None,
        progress=False,
        echo=lines.append,
    )
    assert frame["score"].tolist() == [pytest.approx(0.9)]
    assert lines == [
        f"{PLANET}: 7 tiles, 1 detection (1 dredge); 1 box within 5 m of a better-scored one "
        "dropped"
    ]


class _AWeakSecondBoxOnTheHull(BrightBlobDetector):
    """Each blob gets a second box 2 px right and 1 px up, scored 0.2: on the diagonal river,
    6.4 m across the channel and 2.1 m along it from the first (6.7 m apart), a group member
    by its place (kept from 0.6 × --conf 0.25) and a second box on the first's hull."""

    def predict(self, batch: np.ndarray, *, conf: float = 0.25) -> list[np.ndarray]:
        out = []
        for boxes in super().predict(batch, conf=conf):
            second = boxes + np.array([2, -1, 2, -1, -0.7, 0], dtype=np.float32)
            out.append(np.concatenate([boxes, second]))
        return out


def test_a_weak_second_box_on_a_hull_is_not_counted_in_the_line(tmp_path: Path) -> None:
    """The line counted '1 second box on one hull dropped' for a box scored 0.2, under
    --conf 0.25 (kept only to find group members), though its notes count boxes scored at
    least --conf: it says nothing of it now."""
    fixture = write_scene(tmp_path / PLANET, width=600, height=600, dredge_fractions=())
    with rasterio.open(fixture.path, "r+") as dst:
        data = dst.read()
        data[:, 100:105, 98:108] = 9000  # a dredge inside one tile (on the river)
        dst.write(data)
    lines: list[str] = []
    frame, _ = detect_scenes(
        [fixture.path],
        _rivers(tmp_path, fixture),
        model=_AWeakSecondBoxOnTheHull(card_for_blobs(tmp_path / "model")),
        max_land=None,
        progress=False,
        echo=lines.append,
    )
    assert frame["score"].tolist() == [pytest.approx(0.9)]
    assert lines == [f"{PLANET}: 7 tiles, 1 detection (1 dredge)"]


PRODUCT_SAYS = {  # a Maxar product's XML and IMD 10 minutes apart
    "XML": "<isd><IMD><IMAGE><FIRSTLINETIME>2023-09-14T15:20:13Z</FIRSTLINETIME></IMAGE></IMD>"
    "</isd>",
    "IMD": "BEGIN_GROUP = IMAGE_1\n\tfirstLineTime = 2023-09-14T15:30:13Z;\nEND_GROUP\n",
}
ADVICE = "check which is the scene's"


def _maxar_tiles(folder: Path) -> list[Path]:
    """Three tiles of one Maxar product whose XML and IMD disagree by 10 minutes."""
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, text in PRODUCT_SAYS.items():
        (folder / f"ORDER_01_P001.{suffix}").write_text(text)
    return [
        write_scene(folder / f"ORDER_01_P001_{tile}.TIF", width=120, height=120).path
        for tile in ("R1C1", "R1C2", "R2C1")
    ]


def test_a_product_files_disagreement_is_said_once_for_its_tiles(tmp_path: Path) -> None:
    """The tiles of one Maxar product share its XML and IMD: each tile's line repeated the same
    'dated … by ….XML, while ….IMD says …: check which is the scene's …' sentence (40 times on
    a product of 40 tiles). It is said on the first tile's line, the others point to it."""
    paths = _maxar_tiles(tmp_path / "scenes")
    fixture = write_scene(tmp_path / "river_source.tif", width=120, height=120)
    lines: list[str] = []
    _, failures = detect_scenes(
        paths,
        _rivers(tmp_path, fixture),
        model=BrightBlobDetector(card_for_blobs(tmp_path / "model")),
        progress=False,
        echo=lines.append,
    )
    assert failures == []
    tiles = [line for line in lines if line.startswith("ORDER_01_P001_")]
    assert len(tiles) == 3, lines
    assert sum(ADVICE in line for line in tiles) == 1, tiles
    first = next(line for line in tiles if ADVICE in line).split(":", 1)[0]
    assert "dated 2023-09-14 15:20 UTC by ORDER_01_P001.XML, while ORDER_01_P001.IMD says" in (
        next(line for line in tiles if ADVICE in line)
    )
    for line in tiles:
        if ADVICE not in line:
            assert line.endswith(
                f"ORDER_01_P001.XML and ORDER_01_P001.IMD disagree on its date (as for {first})"
            ), line
