"""`dredge tiles`: chips and index for a batch; one clear line per bad scene; the batch goes on."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
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
from typer.testing import CliRunner

from detector.cli import app
from detector.rivers import RiverNetwork
from detector.track_params import TrackParams
from tests.geo_fixtures import SceneFixture, truncate, write_rivers, write_scene

runner = CliRunner()
PLANET_NAME = "20230715_145012_56_2455_3B_AnalyticMS_SR.tif"


def _rivers(tmp_path: Path, fixture: SceneFixture, **kwargs: str) -> Path:
    return write_rivers(
        tmp_path / "rivers.geojson", {"nanay": fixture.river}, crs=fixture.crs, **kwargs
    )


def _tiles(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["tiles", "--no-progress", *args])
    return result.exit_code, result.stdout, result.stderr


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


def _tiled_once(tmp_path: Path) -> tuple[tuple[str, ...], Path]:
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    out = tmp_path / "out"
    args = (str(scene.path), "--rivers", str(_rivers(tmp_path, scene)), "--out", str(out))
    assert _tiles(*args)[0] == 0
    return args, out / "chips" / PLANET_NAME.removesuffix(".tif")


@pytest.mark.parametrize("refused", ["unlink", "iterdir"])
def test_earlier_chips_that_cannot_be_cleared_are_one_line_naming_their_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refused: str
) -> None:
    """`dredge tiles --overwrite` over a run whose chips folder was made read-only (or
    unreadable) ended in a PermissionError traceback: removing the earlier chips, and looking
    through their folders, ran outside the command's error handling. (As root, where chmod
    refuses nothing, the refusal is made by hand.)"""
    args, folder = _tiled_once(tmp_path)
    real = getattr(Path, refused)

    def refuse(self: Path, *given: object, **kwargs: object) -> object:
        if folder in (self, self.parent):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *given, **kwargs)

    monkeypatch.setattr(Path, refused, refuse)
    code, _, stderr = _tiles(*args, "--overwrite")
    assert code == 2, stderr
    assert stderr.strip().splitlines() == [
        f"error: {folder}: the earlier run's chips in it could not be cleared (Permission "
        f"denied) — make {folder} writable and readable (chmod u+rwx), or choose another --out"
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_earlier_chips_in_a_read_only_folder_are_one_line_naming_it(tmp_path: Path) -> None:
    args, folder = _tiled_once(tmp_path)
    folder.chmod(0o555)
    try:
        code, _, stderr = _tiles(*args, "--overwrite")
    finally:
        folder.chmod(0o755)
    assert code == 2, stderr
    assert f"error: {folder}: the earlier run's chips in it could not be cleared" in stderr


def test_chips_of_an_earlier_run_are_neither_rewritten_unasked_nor_left_behind(
    tmp_path: Path,
) -> None:
    """A labelled chip folder used as --out again (no tiles.parquet) had its chips rewritten
    under the same names with other windows; with --overwrite the earlier run's chips that
    were not cut again stayed beside the new ones. The scaling is recorded in the index and is
    the bundled model's by default (reflectance-scaled chips were near black for it)."""
    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    out = tmp_path / "out"
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(out), "--tile-px", "64")
    code, _, stderr = _tiles(*args, "--overlap-px", "8")
    assert code == 0, stderr
    first = gpd.read_parquet(out / "tiles.parquet")
    assert set(first["scale"]) == {"display"}
    label = out / first["chip"].iloc[0]
    label.with_suffix(".txt").write_text("0 0.5 0.5 0.1 0.1\n")  # labelled in place
    (out / "tiles.parquet").unlink()
    code, _, stderr = _tiles(*args, "--overlap-px", "24")
    assert code == 2 and f"{out / 'chips'}: holds" in stderr and "1 of them labels" in stderr
    code, _, stderr = _tiles(*args, "--overlap-px", "24", "--overwrite")
    assert code == 0, stderr
    code, _, stderr = _tiles(*args, "--tile-px", "32", "--overlap-px", "4", "--overwrite")
    assert code == 0, stderr
    assert "1 label file of the earlier run kept" in stderr and "check it against" in stderr
    index = gpd.read_parquet(out / "tiles.parquet")
    on_disk = {p.relative_to(out).as_posix() for p in (out / "chips").rglob("*.png")}
    assert on_disk == set(index["chip"])  # no stale chip beside the new ones
    assert label.with_suffix(".txt").is_file()  # the user's label is kept


def test_a_scene_named_like_the_earlier_runs_does_not_take_its_chips_names(
    tmp_path: Path,
) -> None:
    """Two scenes of one file name from two folders (NICFI quads of two months), tiled by two
    runs into one --out: the second run's chips took the first's names, so the first scene's
    labels, kept by --overwrite, lay beside the other scene's pixels (9 of 11 on a demo scene).
    Now the other scene is named by its folder, as one run names them; the same scene keeps
    its chips' names under any spelling of its path."""
    first = write_scene(tmp_path / "a" / "scene.tif", width=200, height=200)
    second = write_scene(tmp_path / "b" / "scene.tif", width=200, height=200, dredge_offset_px=4)
    rivers = _rivers(tmp_path, first)
    out = tmp_path / "out"
    common = ("--rivers", str(rivers), "--out", str(out), "--tile-px", "64", "--date", "2024-01-01")
    code, _, stderr = _tiles(str(first.path), *common)
    assert code == 0, stderr
    labels = {
        (out / chip).with_suffix(".txt") for chip in gpd.read_parquet(out / "tiles.parquet").chip
    }
    for label in labels:
        label.write_text("0 0.5 0.5 0.1 0.1\n")  # labelled in place

    def names_and_labels_beside(*scenes: Path) -> tuple[set[str], int]:
        code, _, stderr = _tiles(*map(str, scenes), *common, "--overwrite")
        assert code == 0, stderr
        index = gpd.read_parquet(out / "tiles.parquet")
        beside = {(out / chip).with_suffix(".txt") for chip in index["chip"]} & labels
        return set(index["scene_name"]), len(beside)

    again = tmp_path / "a" / ".." / "a" / "scene.tif"
    assert names_and_labels_beside(again) == ({"scene.tif"}, len(labels))  # the same scene
    assert names_and_labels_beside(second.path) == ({"b_scene.tif"}, 0)
    third = write_scene(tmp_path / "c" / "scene.tif", width=200, height=200)
    assert names_and_labels_beside(third.path) == ({"c_scene.tif"}, 0)  # labels of a run before


def test_scenes_named_alike_but_for_case_get_chips_apart_on_a_disk_that_ignores_case(
    tmp_path: Path,
) -> None:
    """`a/Nanay.tif` and `b/nanay.tif` gave `chips/Nanay/Nanay_r000_c000.png` and
    `chips/nanay/nanay_r000_c000.png`: one file on macOS or Windows, one scene's chips over
    the other's. No disk here ignores case, so the chips' paths are compared case-folded."""
    first = write_scene(tmp_path / "a" / "Nanay.tif", width=200, height=200)
    write_scene(tmp_path / "b" / "nanay.tif", width=200, height=200, dredge_offset_px=4)
    out = tmp_path / "out"
    code, _, stderr = _tiles(
        str(first.path), str(tmp_path / "b" / "nanay.tif"), "--rivers",
        str(_rivers(tmp_path, first)), "--out", str(out), "--tile-px", "64", "--date",
        "2024-01-01",
    )  # fmt: skip
    assert code == 0, stderr
    index = gpd.read_parquet(out / "tiles.parquet")
    assert set(index["scene_name"]) == {"a_Nanay.tif", "b_nanay.tif"}
    chips = [str(chip).casefold() for chip in index["chip"]]
    assert len(chips) > 2 and len(set(chips)) == len(chips)
    assert len({str(tile).casefold() for tile in index["tile_id"]}) == len(chips)


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


def _listed_and_on_disk(out: Path) -> tuple[set[str], set[str]]:
    index = gpd.read_parquet(out / "tiles.parquet")
    on_disk = {p.relative_to(out).as_posix() for p in (out / "chips").rglob("*.png")}
    return set(index["chip"]), on_disk


def _tiles_stopped_at(chip: int, stop: object, args: tuple[str, ...]) -> None:
    """`dredge tiles ARGS` with ``stop()`` called in place of writing its chip number ``chip``."""
    import detector.chips as chips

    real, written = chips.write_chip, [0]

    def write_chip(*given: object) -> None:
        written[0] += 1
        if written[0] == chip:
            stop()  # type: ignore[operator]
        real(*given)  # type: ignore[arg-type]

    chips.write_chip = write_chip  # type: ignore[assignment]
    try:
        _tiles(*args)
    finally:
        chips.write_chip = real


def _interrupt() -> None:
    raise KeyboardInterrupt


def _killed() -> None:
    os._exit(9)


@pytest.mark.parametrize("stop", ["ctrl-c", "kill"])
def test_a_batch_stopped_half_way_leaves_an_index_of_the_chips_there(
    stop: str, tmp_path: Path
) -> None:
    """`dredge tiles --overwrite` wrote its index once, at the end: stopped half-way (another
    tile size), it left the earlier run's index beside the new chips: of 68 chips it listed,
    55 were gone and 13 were new pixels under the old names; 2 new chips were listed nowhere,
    and a rerun with --overwrite did not remove them. Now the index lists every chip in
    chips/ at any moment; a rerun sweeps the scene being cut when killed."""
    import multiprocessing

    a = write_scene(tmp_path / "scenes" / "a.tif", width=200, height=200)
    b = write_scene(tmp_path / "scenes" / "b.tif", width=200, height=200, dredge_offset_px=4)
    rivers = _rivers(tmp_path, a)
    out = tmp_path / "out"
    args = (str(a.path), str(b.path), "--rivers", str(rivers), "--out", str(out))
    code, _, stderr = _tiles(*args, "--tile-px", "64")
    assert code == 0, stderr
    second = (*args, "--tile-px", "32", "--overlap-px", "4", "--overwrite")
    for chip in (20, 60):  # in the first scene, in the second
        if stop == "ctrl-c":
            _tiles_stopped_at(chip, _interrupt, second)
        else:
            child = multiprocessing.get_context("fork").Process(
                target=_tiles_stopped_at, args=(chip, _killed, second)
            )
            child.start()
            child.join(120)
            assert child.exitcode == 9
        listed, on_disk = _listed_and_on_disk(out)
        assert listed == on_disk
        windows = gpd.read_parquet(out / "tiles.parquet")["window"]
        assert all(list(window)[2:] == [32, 32] for window in windows)
        assert (out / ".chips.partial").exists() == (stop == "kill")
    code, _, stderr = _tiles(*second)
    assert code == 0, stderr
    listed, on_disk = _listed_and_on_disk(out)
    assert listed == on_disk and len(listed) == 94
    assert not (out / ".chips.partial").exists()


def test_a_scene_that_fails_half_way_leaves_none_of_its_chips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scene whose read failed after some tiles (a damaged block, a dropped connection) was
    recorded as failed and the batch went on, with the chips it had cut left in chips/,
    listed in no index."""
    from detector.errors import InputError
    from detector.tiling import TilePlan

    scene = write_scene(tmp_path / "scenes" / PLANET_NAME, width=200, height=200)
    rivers = _rivers(tmp_path, scene)
    out = tmp_path / "out"
    real, reads = TilePlan.read, [0]

    def read(plan: TilePlan, tile: object) -> object:
        reads[0] += 1
        if reads[0] == 3:
            raise InputError(plan.scene.path, "block 3 cannot be read", "export it again")
        return real(plan, tile)  # type: ignore[arg-type]

    monkeypatch.setattr(TilePlan, "read", read)
    args = (str(scene.path), "--rivers", str(rivers), "--out", str(out), "--tile-px", "64")
    code, _, stderr = _tiles(*args)
    assert code == 1 and "block 3 cannot be read" in stderr
    assert _listed_and_on_disk(out) == (set(), set())


def _chips_on_another_disk(tmp_path: Path) -> tuple[SceneFixture, Path, Path, Path]:
    """A scene, its rivers, OUT, and a folder on another file system (tmpfs) for OUT/chips to
    link to; the test is skipped where /dev/shm is the temporary folder's file system."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary folder")
    scene = write_scene(tmp_path / "scenes" / "a.tif", width=200, height=200)
    out = tmp_path / "out"
    out.mkdir()
    return scene, _rivers(tmp_path, scene), out, Path(tempfile.mkdtemp(dir=shm))


def test_chips_folder_on_another_disk(tmp_path: Path) -> None:
    """OUT/chips as a link to another disk (a bigger one): the chips, cut in OUT/.chips.partial
    to be listed before they are in place, could not be renamed across disks (EXDEV), and the
    batch stopped with "could not be written"; they are copied there."""
    scene, rivers, out, other = _chips_on_another_disk(tmp_path)
    try:
        (out / "chips").symlink_to(other, target_is_directory=True)
        code, _, stderr = _tiles(str(scene.path), "--rivers", str(rivers), "--out", str(out))
        assert code == 0, stderr
        listed, on_disk = _listed_and_on_disk(out)
        assert listed == on_disk and len(listed) > 0
        assert any(other.rglob("*.png"))
    finally:
        shutil.rmtree(other)


def test_the_index_is_written_a_few_times_in_a_batch_not_once_per_scene(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rewritten whole after each scene, the index cost 19 s for 400 scenes of 25 chips (0.1 s
    written once) and grew with the square of the batch; it is written when the scenes cut
    since hold as many chips as it lists, and lists every chip at the end."""
    import detector.chips as chips

    first = write_scene(tmp_path / "scenes" / "s00.tif", width=200, height=200)
    for k in range(1, 12):
        write_scene(tmp_path / "scenes" / f"s{k:02d}.tif", width=200, height=200)
    writes: list[int] = []
    write_index = chips.write_index

    def counted(rows: list[dict[str, object]], path: Path) -> None:
        writes.append(len(rows))
        write_index(rows, path)

    monkeypatch.setattr(chips, "write_index", counted)
    out = tmp_path / "out"
    args = [str(tmp_path / "scenes"), "--rivers", str(_rivers(tmp_path, first)), "--out", str(out)]
    code, _, stderr = _tiles(*args)
    assert code == 0, stderr
    listed, on_disk = _listed_and_on_disk(out)
    assert listed == on_disk and writes[-1] == len(listed) > 0
    assert len(writes) <= 1 + 5, writes  # the empty index, then doubling: 1, 2, 4, 8, 12 scenes


def test_a_disk_that_fills_up_while_chips_are_copied_to_it_leaves_no_half_chip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chips/ on another disk: a chip is copied there, and a copy that the disk stopped half-way
    (full) was left in chips/ under the chip's name, listed in the index, cut short."""
    import errno

    scene, rivers, out, other = _chips_on_another_disk(tmp_path)
    copies = [0]
    real = shutil.copyfile

    def copyfile(src: object, dst: object, **kwargs: object) -> object:
        copies[0] += 1
        if copies[0] == 2:  # the disk fills up half-way through the second chip
            data = Path(str(src)).read_bytes()
            Path(str(dst)).write_bytes(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shutil, "copyfile", copyfile)
    try:
        (out / "chips").symlink_to(other, target_is_directory=True)
        args = ("--rivers", str(rivers), "--out", str(out), "--tile-px", "64")
        code, _, stderr = _tiles(str(scene.path), *args)
        assert code == 2 and "no space" in stderr.lower(), stderr
        for chip in other.rglob("*"):
            if chip.is_file():
                Image.open(chip).load()  # whole, or not there
    finally:
        shutil.rmtree(other)


def test_scenes_of_one_name_but_another_format_keep_their_tile_ids_apart(tmp_path: Path) -> None:
    """``a.tif`` and ``a.img`` in one run: tile ids dropped any suffix while scenes are told
    apart by their name without .tif/.tiff, so 34 of the 68 ids in ``tiles.parquet`` named
    two chips (the dataset names chips by them). Now one rule makes the stem everywhere."""
    first = write_scene(tmp_path / "s" / "a.tif", width=200, height=200)
    other = write_scene(tmp_path / "t" / "src.tif", width=200, height=200, dredge_offset_px=4)
    img = tmp_path / "s" / "a.img"
    rasterio.shutil.copy(other.path, img, driver="HFA")
    out = tmp_path / "out"
    args = ("--rivers", str(_rivers(tmp_path, first)), "--out", str(out), "--tile-px", "64")
    code, _, stderr = _tiles(str(first.path), str(img), *args, "--date", "2024-01-01")
    assert code == 0, stderr
    index = gpd.read_parquet(out / "tiles.parquet")
    assert set(index["scene_name"]) == {"a.tif", "a.img"}
    assert index["tile_id"].is_unique and index["chip"].is_unique
    assert {Path(chip).stem for chip in index["chip"]} == set(index["tile_id"])
