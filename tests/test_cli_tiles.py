"""`dredge tiles`: chips and index for a batch; one clear line per bad scene or option out of
range; the batch goes on."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rasterio.shutil
from PIL import Image
from shapely import LineString

from detector.cli import app
from detector.rivers import RiverNetwork
from detector.track_params import TrackParams
from tests.cli_tiles_fixtures import PLANET_NAME, _rivers, _tiles, runner
from tests.geo_fixtures import SceneFixture, truncate, write_rivers, write_scene


def test_batch_goes_on_past_bad_scenes(tmp_path: Path) -> None:
    scenes = tmp_path / "scenes"
    good = write_scene(scenes / PLANET_NAME, width=200, height=200)
    mercator = write_scene(scenes / "nicfi_2024-03_mosaic.tif", crs="EPSG:3857", gsd_m=4.77)
    write_scene(scenes / "no_crs.tif", with_crs=False, width=50, height=50)
    cut = truncate(write_scene(scenes / "cut.tif", width=200, height=200).path)
    write_scene(scenes / "elsewhere.tif", width=50, height=50, centre_lonlat=(-74.5, -3.75))
    rivers = write_rivers(
        tmp_path / "rivers.gpkg", {"nanay": good.river, "itaya": _in_utm(mercator)}, crs=good.crs
    )
    out = tmp_path / "out"

    code, stdout, stderr = _tiles(str(scenes), "--rivers", str(rivers), "--out", str(out))

    assert code == 1
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    named = {Path(line.split(": ")[1]).name for line in errors if not line.startswith("error: 3")}
    assert named == {"no_crs.tif", "cut.tif", "elsewhere.tif"}
    assert any("has no CRS" in line for line in errors)
    assert any("is truncated" in line for line in errors)
    assert any("does not overlap any river corridor" in line for line in errors)
    assert "3 of 5 scenes failed" in stderr
    with (out / "failures.csv").open(encoding="utf-8-sig") as handle:
        failed = {Path(row["scene"]).name for row in csv.DictReader(handle)}
    assert failed == {"no_crs.tif", "cut.tif", "elsewhere.tif"}
    assert f"{PLANET_NAME}:" in stdout and "nicfi_2024-03_mosaic.tif:" in stdout
    assert "corridor covered 100.0%" in stdout and "Mpx" in stdout

    index = gpd.read_parquet(out / "tiles.parquet")
    assert index.crs.to_epsg() == 4326
    assert set(index["scene_name"]) == {PLANET_NAME, "nicfi_2024-03_mosaic.tif"}
    for column in ("scene", "river", "window", "transform", "acquired", "chip"):
        assert column in index.columns
    assert str(index["acquired"].dtype) == "datetime64[us, UTC]"
    for row in index.itertuples():
        chip = np.asarray(Image.open(out / row.chip))
        assert chip.shape == (256, 256, 3)
        assert list(row.window)[2:] == [256, 256]
    assert cut.exists()  # nothing deleted


def test_a_scene_name_too_long_for_its_chips_fails_that_scene_saying_so(tmp_path: Path) -> None:
    """A Planet scene named in 252 characters (legal on ext4) raised a raw OSError looking for
    its UDM beside it; one of 240 failed the batch with "could not be written (File name too
    long) — check the disk (space, permissions)": its chips' temporary names passed 255 bytes.
    It fails alone, its line saying the name is too long and to rename it."""
    scenes = tmp_path / "scenes"
    good = write_scene(scenes / PLANET_NAME, width=200, height=200)
    for day, size in (("16", 252), ("17", 240)):  # other captures, named longer
        long = PLANET_NAME.replace("0715_", f"07{day}_").replace(
            "_SR.tif", "_SR_" + "x" * (size - len(PLANET_NAME) - 1) + ".tif"
        )
        write_scene(scenes / long, width=200, height=200)
    out = tmp_path / "out"
    code, _, stderr = _tiles(
        str(scenes), "--rivers", str(_rivers(tmp_path, good)), "--out", str(out)
    )
    assert code == 1, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error: /")]
    assert len(errors) == 2 and "error: 2 of 3 scenes failed" in stderr
    assert all("past the 255 a file name may have" in line for line in errors)
    assert all("rename the scene it is named after" in line for line in errors)
    assert "check the disk" not in stderr and "Traceback" not in stderr
    assert set(gpd.read_parquet(out / "tiles.parquet")["scene_name"]) == {PLANET_NAME}


def _in_utm(fixture: SceneFixture) -> LineString:
    return gpd.GeoSeries([fixture.river], crs=fixture.crs).to_crs("EPSG:32718").iloc[0]


def test_tif_chips_are_georeferenced_like_the_index(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / PLANET_NAME, width=150, height=150)
    rivers = _rivers(tmp_path, scene)
    out = tmp_path / "out"
    code, _, stderr = _tiles(
        str(scene.path),
        "--rivers", str(rivers),
        "--out", str(out),
        "--format", "tif",
        "--bands", "blue,green,red,nir",
        "--tile-px", "64",
        "--overlap-px", "8",
        "--date", "2022-01-02",
    )  # fmt: skip
    assert code == 0, stderr
    index = gpd.read_parquet(out / "tiles.parquet")
    assert len(index) > 1
    assert (index["acquired"] == pd.Timestamp("2022-01-02", tz="UTC")).all()  # --date wins
    for row in index.itertuples():
        with rasterio.open(out / row.chip) as chip:
            assert chip.count == 4 and chip.dtypes[0] == "float32"
            assert chip.descriptions == ("blue", "green", "red", "nir")
            assert tuple(chip.transform)[:6] == tuple(row.transform)
            assert chip.crs.to_epsg() == 32718
            corner = gpd.GeoSeries.from_xy([chip.bounds.left], [chip.bounds.top], crs=chip.crs)
        assert row.geometry.buffer(1e-9).contains(corner.to_crs("EPSG:4326").iloc[0])
    assert not (out / "failures.csv").exists()


def test_rivers_without_names_is_one_fatal_line(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "s.tif", width=50, height=50)
    rivers = _rivers(tmp_path, scene, name_field="RIO")
    code, _, stderr = _tiles(str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "o"))
    assert code == 2
    assert stderr.strip().count("\n") == 0
    assert "has no 'name' column (columns: RIO)" in stderr and "--name-field" in stderr
    code, _, stderr = _tiles(
        str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "o"),
        "--name-field", "RIO",
    )  # fmt: skip
    assert code == 0, stderr


def test_png_cannot_hold_four_bands(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "s.tif", width=50, height=50)
    rivers = _rivers(tmp_path, scene)
    code, _, stderr = _tiles(
        str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "o"),
        "--bands", "blue,green,red,nir",
    )  # fmt: skip
    assert code == 2
    assert "PNG chips hold 1 or 3 bands" in stderr and "--format tif" in stderr


def test_an_index_that_exists_is_replaced_only_when_asked(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    out = tmp_path / "out"
    out.mkdir()
    (out / "tiles.parquet").write_text("my index")
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(out))
    code, _, stderr = _tiles(*args)
    assert code == 2
    assert f"{out / 'tiles.parquet'}: exists — choose another name, or pass --overwrite" in stderr
    assert (out / "tiles.parquet").read_text() == "my index" and not (out / "chips").exists()
    code, stdout, _ = _tiles(*args, "--overwrite")
    assert code == 0 and "1 chip from 1 scene →" in stdout
    assert (out / "tiles.parquet").read_bytes()[:4] == b"PAR1"


def test_a_date_that_is_no_date_is_one_line_naming_the_option(tmp_path: Path) -> None:
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "out"))
    code, _, stderr = _tiles(*args, "--date", "2024-13-01")
    assert code == 2
    assert stderr.strip().splitlines() == [
        "error: --date: '2024-13-01' is not a date (month must be in 1..12) — use YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM:SSZ"
    ]


@pytest.mark.parametrize("typed", ["0001-01-01", "1965-01-01", "1972-07-22T23:59:59Z"])
def test_a_date_before_the_first_satellite_image_is_one_line_naming_the_option(
    tmp_path: Path, typed: str
) -> None:
    """`--date 0001-01-01` (a placeholder) or `1965-01-01` (a typo) dated every scene in a
    year of its own without a word, where a --dates table so dated is refused; the day of
    Landsat 1's first image is a date."""
    from detector.cli.common import date_option

    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "out"))
    code, _, stderr = _tiles(*args, "--date", typed)
    assert code == 2
    assert stderr.strip().splitlines() == [
        f"error: --date: {typed!r} is before the first satellite image (Landsat 1's, "
        "1972-07-23) — a typo, or a placeholder for none? give the scenes' date, e.g. "
        "--date 2024-07-15"
    ]
    assert not (tmp_path / "out").exists()
    assert date_option("1972-07-23") == datetime(1972, 7, 23, tzinfo=UTC)


def test_a_scene_read_with_a_caveat_says_so(tmp_path: Path) -> None:
    """Band names it does not know (B4, B3, B2, B8: red first) were read as Planet's BGRN, red
    and blue swapped in every chip; `dredge detect` said so, `dredge tiles` did not."""
    scene = write_scene(tmp_path / "stack.tif", width=200, height=200)
    with rasterio.open(scene.path, "r+") as dst:
        for band, text in enumerate(("B4", "B3", "B2", "B8"), 1):
            dst.set_band_description(band, text)
    rivers = _rivers(tmp_path, scene)
    code, stdout, stderr = _tiles(
        str(scene.path),
        "--rivers",
        str(rivers),
        "--out",
        str(tmp_path / "o"),
        "--date",
        "2024-01-01",
    )
    assert code == 0, stderr
    assert "B4, B3, B2, B8" in stdout


def test_a_gsd_that_is_no_number_of_metres_is_one_line(tmp_path: Path) -> None:
    """--gsd inf was taken and then said 'does not overlap any river corridor'."""
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "out"))
    for value in ("inf", "0", "nan"):
        code, _, stderr = _tiles(*args, "--gsd", value)
        assert code == 2 and f"--gsd {value} is outside 0.05–100 m per pixel" in stderr, stderr


def test_a_distance_of_inf_metres_is_refused_naming_the_option(tmp_path: Path) -> None:
    """--corridor-m inf passed typer's min=1: `dredge tiles` ended in shapely's traceback
    (buffer distance must be finite), `run` and `detect` in that line without the option,
    `track` put every detection 'on no river' and counted 0; `track --max-move-m inf` was a
    traceback of the assignment ('matrix contains invalid numeric entries')."""
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "out"))
    code, _, stderr = _tiles(*args, "--corridor-m", "inf")
    assert code == 2 and "'--corridor-m': inf is not a number of metres" in stderr, stderr
    assert not (tmp_path / "out").exists()
    table = tmp_path / "marks.csv"
    table.write_text("lon,lat,date\n-73.5,-3.75,2024-01-01\n")
    for option in ("--max-move-m", "--corridor-m"):
        track = ["track", str(table), "--rivers", str(rivers), "--out", str(tmp_path / "t.parquet")]
        result = runner.invoke(app, [*track, option, "inf"])
        assert result.exit_code == 2, result.output
        assert f"'{option}': inf is not a number of metres" in result.stderr
    with pytest.raises(ValueError, match="corridor_m must be a positive number of metres"):
        RiverNetwork.read(rivers, corridor_m=float("inf"))
    with pytest.raises(ValueError, match="max_move_m must be a number of metres"):
        TrackParams(max_move_m=float("inf"))
    for name in ("link_gap_days", "stay_gate_m", "lateral_weight", "group_gate_m"):
        # NaN from Python passed every check (nan <= 0 is False) and gated nothing
        with pytest.raises(ValueError, match=f"^{name} must be a number, got nan$"):
            TrackParams(**{name: float("nan")})


def test_a_home_folder_written_as_tilde_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shell leaves `--out=~/chips` and a quoted glob '~/scenes/*.tif' as they are: the
    glob matched no scene, and `dredge detect --out=~/d.parquet` made a folder named `~` here,
    detected every scene, then failed to write (blaming the disk)."""
    home, here = tmp_path / "home", tmp_path / "here"
    here.mkdir()
    scene = write_scene(home / "scenes" / PLANET_NAME, width=200, height=200)
    _rivers(home, scene)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(here)
    code, _, stderr = _tiles(
        "~/scenes/*.tif", "--rivers", "~/rivers.geojson", "--out=~/chips", "--date", "2023-07-15"
    )
    assert code == 0, stderr
    assert (home / "chips" / "tiles.parquet").is_file()
    assert not any(here.iterdir())


def test_a_gsd_or_tile_size_no_model_has_is_one_line(tmp_path: Path) -> None:
    """--gsd 0.01 read a 3 m scene 300 times upsampled (still on its first scene after
    minutes); --tile-px 100000 was an ArrayMemoryError traceback (74.5 GiB). The bounds are
    those of a model card's input."""
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "out"))
    for option, value, words in (
        ("--tile-px", "100000", "--tile-px 100000 is over 4096 px"),
        ("--gsd", "1000", "--gsd 1000 is outside 0.05–100 m per pixel"),
        ("--gsd", "0.01", "--gsd 0.01 is outside 0.05–100 m per pixel"),
    ):
        code, _, stderr = _tiles(*args, option, value)
        assert code == 2 and words in stderr, stderr
    assert not (tmp_path / "out").exists()


def test_a_chip_size_overlap_or_scale_out_of_range_names_the_option_typed(
    tmp_path: Path,
) -> None:
    """--tile-px 8 said 'tile_px must be at least 16', --overlap-px 200 'overlap_px must be
    between 0 and half the tile', --scale raw 'scale must be one of …': names of the model
    card's keys, not the options the user typed."""
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(tmp_path / "out"))
    for option, value, line in (
        ("--tile-px", "8", "error: --tile-px 8 is under 16 px"),
        (
            "--overlap-px",
            "200",
            "error: --overlap-px 200 is not between 0 and half of --tile-px (128)",
        ),
        (
            "--overlap-px",
            "-1",
            "error: --overlap-px -1 is not between 0 and half of --tile-px (128)",
        ),
        ("--scale", "raw", "error: --scale must be one of reflectance, display, got 'raw'"),
    ):
        code, _, stderr = _tiles(*args, option, value)
        assert code == 2 and stderr.strip() == line, stderr
    assert not (tmp_path / "out").exists()


def test_a_product_files_disagreement_is_said_once_for_its_tiles(tmp_path: Path) -> None:
    """`dredge tiles` of three tiles of one Maxar product whose XML and IMD disagree: each
    tile's line repeated the same 'dated … while … says …: check which is the scene's …'."""
    from tests.test_detect_notes import ADVICE, _maxar_tiles

    paths = _maxar_tiles(tmp_path / "scenes")
    fixture = write_scene(tmp_path / "river_source.tif", width=120, height=120)
    code, stdout, stderr = _tiles(
        *map(str, paths), "--rivers", str(_rivers(tmp_path, fixture)), "--out", str(tmp_path / "o")
    )
    assert code == 0, stderr
    lines = [line for line in stdout.splitlines() if line.startswith("ORDER_01_P001_")]
    assert len(lines) == 3 and sum(ADVICE in line for line in lines) == 1, lines
    assert lines[2].endswith("disagree on its date (as for ORDER_01_P001_R1C1.TIF)"), lines
